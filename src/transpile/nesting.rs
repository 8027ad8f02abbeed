//! A cheap upper bound on how deep the syntax tree of a JavaScript or
//! TypeScript file can be, checked before oxc sees the file.
//!
//! oxc parses, transforms and prints by recursion, one stack frame (or
//! several) per level of the tree. Brackets nest (`((((1))))`), but so do
//! flat chains: `1+1+1+…` is a left-leaning tree as deep as it is long, and
//! so are `a.b.c.…`, `f()()()…`, `!!!!x`, `typeof typeof x`, `a ? b : c ?
//! …` and `A<A<A<…>>>`. The estimate counts, for every open bracket, the
//! tokens of the expression in progress at each enclosing level, so it
//! grows with every one of those shapes. Separators that end an expression
//! (`;`, `,`, and a line break that neither ends nor starts with an
//! operator) reset the count of their level.
//!
//! Strings, comments and template text are skipped. Regular expressions are
//! not recognised; their brackets can only shift the estimate by a few.

/// Deepest estimated nesting accepted. Real programs stay far below (a
/// long hand-written expression is a few hundred tokens); the large stack
/// that transpiling runs on ([`crate::deep_stack`]) fits many times this.
pub const MAX_NESTING: usize = 10_000;

/// Most parentheses open at once. Each `(` may begin an arrow function's
/// parameters, which the parser only knows at the `=>` after its `)`: it
/// looks ahead over everything inside, so nested parentheses cost time
/// quadratic in their depth (`(a = (a = (a = … 1))) => 0`, 2,400 deep,
/// took seconds). Hand-written code nests a few dozen.
pub const MAX_PARENTHESES: usize = 500;

/// The file nests deeper than [`MAX_NESTING`] or [`MAX_PARENTHESES`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{line}:{column}: error: this program nests too deeply to compile (more than {MAX_NESTING} levels of brackets and chained operators, or {MAX_PARENTHESES} of parentheses); split the expression or the nesting"
)]
pub struct TooDeep {
    pub line: usize,
    pub column: usize,
}

/// Checks `source` against [`MAX_NESTING`].
pub fn check(source: &str) -> Result<(), TooDeep> {
    let mut scanner = Scanner::default();
    let bytes = source.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        index = scanner.step(bytes, index);
        if scanner.depth() > MAX_NESTING || scanner.parentheses > MAX_PARENTHESES {
            let (line, column) = line_column(source, index);
            return Err(TooDeep { line, column });
        }
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Frame {
    /// `(`.
    Parenthesis,
    /// `[` or `{`.
    Bracket,
    /// `${` inside a template literal: its `}` goes back to template text.
    TemplateExpression,
}

#[derive(Default)]
struct Scanner {
    /// Open brackets, innermost last, with the token count of the
    /// expression in progress at each level.
    frames: Vec<(Frame, usize)>,
    /// Tokens of the expression in progress at the outermost level.
    top: usize,
    /// `(` frames open now.
    parentheses: usize,
    /// The sum of every level's count, kept up to date.
    total: usize,
    /// A line ended after a token that can end an expression: the count
    /// resets unless the next line starts with an operator.
    pending_reset: bool,
    /// The last token was an operator (or a prefix keyword), so a line
    /// break after it continues the expression.
    after_operator: bool,
}

impl Scanner {
    fn depth(&self) -> usize {
        self.total + self.frames.len()
    }

    fn current(&mut self) -> &mut usize {
        match self.frames.last_mut() {
            Some((_, count)) => count,
            None => &mut self.top,
        }
    }

    fn count_token(&mut self, operator: bool) {
        if std::mem::take(&mut self.pending_reset) && !operator {
            self.reset();
        }
        *self.current() += 1;
        self.total += 1;
        self.after_operator = operator;
    }

    fn reset(&mut self) {
        let count = std::mem::take(self.current());
        self.total -= count;
    }

    fn open(&mut self, frame: Frame) {
        self.count_token(true);
        if frame == Frame::Parenthesis {
            self.parentheses += 1;
        }
        self.frames.push((frame, 0));
    }

    /// Closes the innermost bracket; returns what it was.
    fn close(&mut self) -> Option<Frame> {
        self.pending_reset = false;
        let (frame, count) = self.frames.pop()?;
        self.total -= count;
        if frame == Frame::Parenthesis {
            self.parentheses -= 1;
        }
        self.after_operator = false;
        Some(frame)
    }

    /// Consumes one token (or skips one string, comment or space) starting
    /// at `index`; returns where the next one starts.
    fn step(&mut self, bytes: &[u8], index: usize) -> usize {
        let byte = bytes[index];
        match byte {
            b'\n' => {
                if !self.after_operator {
                    self.pending_reset = true;
                }
                index + 1
            }
            b' ' | b'\t' | b'\r' => index + 1,
            b'/' if bytes.get(index + 1) == Some(&b'/') => skip_line(bytes, index),
            b'/' if bytes.get(index + 1) == Some(&b'*') => skip_block_comment(bytes, index),
            b'"' | b'\'' => {
                self.count_token(false);
                skip_string(bytes, index, byte)
            }
            b'`' => {
                self.count_token(false);
                self.template_text(bytes, index + 1)
            }
            b'(' => {
                self.open(Frame::Parenthesis);
                index + 1
            }
            b'[' | b'{' => {
                self.open(Frame::Bracket);
                index + 1
            }
            b')' | b']' => {
                self.close();
                index + 1
            }
            b'}' => match self.close() {
                Some(Frame::TemplateExpression) => self.template_text(bytes, index + 1),
                _ => index + 1,
            },
            b';' | b',' => {
                self.pending_reset = false;
                self.reset();
                self.after_operator = true;
                index + 1
            }
            _ if is_word(byte) => {
                let end = index + bytes[index..].iter().take_while(|&&b| is_word(b)).count();
                let word = &bytes[index..end];
                self.count_token(PREFIX_WORDS.contains(&word));
                end
            }
            _ => {
                self.count_token(true);
                index + 1
            }
        }
    }

    /// Skips template text from `index` to the closing backtick, or enters
    /// a `${` expression.
    fn template_text(&mut self, bytes: &[u8], mut index: usize) -> usize {
        while index < bytes.len() {
            match bytes[index] {
                b'\\' => index += 2,
                b'`' => {
                    self.after_operator = false;
                    return index + 1;
                }
                b'$' if bytes.get(index + 1) == Some(&b'{') => {
                    self.open(Frame::TemplateExpression);
                    return index + 2;
                }
                _ => index += 1,
            }
        }
        bytes.len()
    }
}

/// Words that continue an expression across a line break, as operators do.
const PREFIX_WORDS: [&[u8]; 14] = [
    b"typeof",
    b"void",
    b"delete",
    b"new",
    b"await",
    b"yield",
    b"in",
    b"instanceof",
    b"as",
    b"satisfies",
    b"keyof",
    b"infer",
    b"readonly",
    b"extends",
];

fn is_word(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'$' || byte >= 0x80
}

fn skip_line(bytes: &[u8], index: usize) -> usize {
    bytes[index..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |n| index + n)
}

fn skip_block_comment(bytes: &[u8], index: usize) -> usize {
    bytes[index + 2..]
        .windows(2)
        .position(|w| w == b"*/")
        .map_or(bytes.len(), |n| index + 2 + n + 2)
}

fn skip_string(bytes: &[u8], mut index: usize, quote: u8) -> usize {
    index += 1;
    while index < bytes.len() {
        match bytes[index] {
            b'\\' => index += 2,
            b'\n' => return index,
            b if b == quote => return index + 1,
            _ => index += 1,
        }
    }
    bytes.len()
}

/// 1-based line and column (in bytes) of a byte offset.
fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let before = &source.as_bytes()[..offset.min(source.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deep(n: usize, unit: &str) -> String {
        unit.repeat(n)
    }

    #[test]
    fn ordinary_programs_pass() {
        let program = "import { a } from './a';\n\
            const xs: Array<Map<string, number>> = [new Map([['k', 1]])];\n\
            function f(x: number): number { return x > 0 ? f(x - 1) + 1 : 0; }\n\
            const s = `t ${a + `u ${1}`} (((`;\n\
            // ((((((((\n/* [[[[[[ */ const r = '((((((';\n\
            console.log(xs.map((m) => m.get('k')).filter(Boolean).length)\n";
        assert_eq!(check(program), Ok(()));
        // Many short statements, with and without semicolons.
        assert_eq!(check(&"let a = 1 + 2 * 3\n".repeat(50_000)), Ok(()));
        assert_eq!(check(&"f(a, b, c);\n".repeat(50_000)), Ok(()));
        // A long array literal is wide, not deep.
        assert_eq!(check(&format!("[{}]", "1,".repeat(100_000))), Ok(()));
    }

    #[test]
    fn every_nesting_shape_is_caught() {
        let n = MAX_NESTING + 10;
        let shapes = [
            format!("{}1{}", deep(n, "("), deep(n, ")")),
            format!("{}{}", deep(n, "["), deep(n, "]")),
            format!("{}{}", deep(n, "{"), deep(n, "}")),
            format!("1{}", deep(n, "+1")),
            format!("1{}", deep(n, "\n+1")),
            format!("1{}", deep(n, "+\n1")),
            format!("a{}", deep(n, ".b")),
            format!("f{}", deep(n, "()")),
            format!("{}x", deep(n, "!")),
            format!("{}x", deep(n, "typeof\n")),
            format!("let t: {}number{};", deep(n, "A<"), deep(n, ">")),
            format!("x{}", deep(n, " ? 1 : x")),
            format!("`{}`", deep(n, "${`")),
        ];
        for (index, shape) in shapes.iter().enumerate() {
            assert!(check(shape).is_err(), "shape {index} passed");
        }
    }

    #[test]
    fn parentheses_are_bounded_on_their_own() {
        let defaults = |n: usize| format!("const f = {}1{} => 0;", deep(n, "(a = "), deep(n, ")"));
        assert_eq!(check(&defaults(MAX_PARENTHESES - 10)), Ok(()));
        assert!(check(&defaults(MAX_PARENTHESES + 1)).is_err());
        // Brackets of other kinds may nest deeper.
        let arrays = format!("[{}]", deep(MAX_PARENTHESES * 4, "[1,"));
        assert!(check(&(arrays.clone() + &deep(MAX_PARENTHESES * 4, "]"))).is_ok());
    }

    #[test]
    fn the_error_says_where() {
        let source = format!("let x = 1;\nlet y = {}", deep(MAX_NESTING + 1, "("));
        let error = check(&source).unwrap_err();
        assert_eq!(error.line, 2);
        assert!(error.to_string().contains("nests too deeply"), "{error}");
    }
}
