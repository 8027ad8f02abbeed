//! How a program's output is held against the expected one.

use std::fmt;
use std::str::FromStr;

/// A way of comparing output with the expected output.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Compare {
    /// Byte for byte.
    Exact,
    /// Trailing whitespace of each line, and trailing blank lines, do not
    /// count (what Judge0 compares): the default.
    #[default]
    TrimLines,
    /// The same whitespace-separated tokens.
    Tokens,
    /// Tokens, where two numbers match when their absolute or relative
    /// difference is at most the tolerance (`float:1e-6`).
    Float(f64),
}

/// Why a compare mode was not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "compare must be exact, trim-lines, tokens or float:<tolerance> (a number from 0 to 1, such as float:1e-6), not '{0}'"
)]
pub struct UnknownCompare(String);

/// The longest mode accepted, so that an error never echoes a huge input.
const MAX_MODE_CHARS: usize = 64;

impl FromStr for Compare {
    type Err = UnknownCompare;

    fn from_str(mode: &str) -> Result<Self, Self::Err> {
        let unknown = || UnknownCompare(mode.chars().take(MAX_MODE_CHARS).collect());
        match mode {
            "exact" => Ok(Compare::Exact),
            "trim-lines" => Ok(Compare::TrimLines),
            "tokens" => Ok(Compare::Tokens),
            _ => {
                let tolerance: f64 = mode
                    .strip_prefix("float:")
                    .and_then(|t| t.parse().ok())
                    .ok_or_else(unknown)?;
                if (0.0..=1.0).contains(&tolerance) {
                    Ok(Compare::Float(tolerance))
                } else {
                    Err(unknown())
                }
            }
        }
    }
}

impl fmt::Display for Compare {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Compare::Exact => f.write_str("exact"),
            Compare::TrimLines => f.write_str("trim-lines"),
            Compare::Tokens => f.write_str("tokens"),
            Compare::Float(tolerance) => write!(f, "float:{tolerance}"),
        }
    }
}

impl Compare {
    /// Whether `actual` matches `expected` under this mode.
    pub fn matches(self, actual: &str, expected: &str) -> bool {
        match self {
            Compare::Exact => actual == expected,
            Compare::TrimLines => trimmed_lines(actual).eq(trimmed_lines(expected)),
            Compare::Tokens => actual.split_whitespace().eq(expected.split_whitespace()),
            Compare::Float(tolerance) => {
                let (mut actual, mut expected) =
                    (actual.split_whitespace(), expected.split_whitespace());
                loop {
                    match (actual.next(), expected.next()) {
                        (None, None) => return true,
                        (Some(a), Some(e)) if tokens_match(a, e, tolerance) => {}
                        _ => return false,
                    }
                }
            }
        }
    }
}

/// The lines of `text` without trailing whitespace, trailing blank lines
/// dropped.
fn trimmed_lines(text: &str) -> impl Iterator<Item = &str> {
    text.trim_end().split('\n').map(str::trim_end)
}

/// Two tokens match if they are equal, or both are finite numbers within
/// `tolerance` of each other, absolutely or relatively.
fn tokens_match(actual: &str, expected: &str, tolerance: f64) -> bool {
    if actual == expected {
        return true;
    }
    let (Ok(a), Ok(e)) = (actual.parse::<f64>(), expected.parse::<f64>()) else {
        return false;
    };
    if !a.is_finite() || !e.is_finite() {
        return false;
    }
    let difference = (a - e).abs();
    difference <= tolerance || difference <= tolerance * e.abs()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse_and_print() {
        for mode in ["exact", "trim-lines", "tokens", "float:0.000001"] {
            let compare: Compare = mode.parse().unwrap();
            assert_eq!(compare.to_string(), mode);
        }
        assert_eq!("float:1e-6".parse(), Ok(Compare::Float(1e-6)));
        for bad in [
            "",
            "EXACT",
            "float:",
            "float:x",
            "float:-1",
            "float:2",
            "float:NaN",
            "float:inf",
        ] {
            assert!(bad.parse::<Compare>().is_err(), "{bad}");
        }
        let long = "x".repeat(10_000);
        let error = long.parse::<Compare>().unwrap_err().to_string();
        assert!(error.len() < 300, "{error}");
    }

    #[test]
    fn exact_is_byte_for_byte() {
        assert!(Compare::Exact.matches("1 2\n", "1 2\n"));
        assert!(!Compare::Exact.matches("1 2", "1 2\n"));
    }

    #[test]
    fn trim_lines_ignores_trailing_space_and_blank_lines_only() {
        let compare = Compare::TrimLines;
        assert!(compare.matches("1 2  \n3\n\n\n", "1 2\n3"));
        assert!(compare.matches("", "\n\n"));
        assert!(
            !compare.matches(" 1 2\n3", "1 2\n3"),
            "leading space counts"
        );
        assert!(!compare.matches("1  2\n3", "1 2\n3"), "inner space counts");
        assert!(
            !compare.matches("1 2\n\n3", "1 2\n3"),
            "inner blank lines count"
        );
    }

    #[test]
    fn tokens_ignore_all_whitespace() {
        assert!(Compare::Tokens.matches(" 1\t2\n\n3 ", "1 2 3\n"));
        assert!(!Compare::Tokens.matches("1 2", "1 2 3"));
        assert!(!Compare::Tokens.matches("1.0", "1"));
    }

    #[test]
    fn floats_match_within_the_tolerance() {
        let compare = Compare::Float(1e-6);
        assert!(compare.matches("0.3333333 x", "0.33333333333 x"));
        assert!(compare.matches("1000000.5", "1000000.0"), "relative");
        assert!(!compare.matches("0.3334", "0.3333"));
        assert!(!compare.matches("0.5 y", "0.5 x"), "words still count");
        assert!(!compare.matches("nan", "0"), "NaN is no number to compare");
        assert!(!compare.matches("1 2", "1"));
    }
}
