//! Allocations sized by user input.
//!
//! A byte of command line once cost a megabyte of memory: 24 KB of `$V`
//! with a 60 KiB variable, or ` *` repeated over 9,000 names, each word
//! expanded in full. And a `printf` width asked for a terabyte. So a size
//! that comes from input is checked against its cap before the memory is
//! taken: [`ArgvBudget`] while a command's words are expanded, like the
//! kernel's `ARG_MAX`, and [`check`] for single sizes (widths, counts).

use super::Refusal;

/// Checks a size that input asked for (`what` names it for the user).
pub fn check(what: &'static str, requested: u64, limit: u64) -> Result<(), Refusal> {
    if requested > limit {
        return Err(Refusal::TooLarge {
            what,
            requested,
            limit,
        });
    }
    Ok(())
}

/// What is left of one command's argv: bytes and words, taken as the
/// words are expanded (variables, `$(…)`, globs), so expansion stops at
/// the cap instead of after it.
#[derive(Debug, Clone)]
pub struct ArgvBudget {
    bytes: usize,
    words: usize,
    bytes_left: usize,
    words_left: usize,
}

impl Default for ArgvBudget {
    fn default() -> Self {
        Self::for_command()
    }
}

impl ArgvBudget {
    /// The configured budget (`MAX_ARGV_BYTES`, `MAX_ARGV_WORDS`).
    pub fn for_command() -> Self {
        let settings = super::settings();
        Self::new(settings.argv_bytes, settings.argv_words)
    }

    pub fn new(bytes: usize, words: usize) -> Self {
        Self {
            bytes,
            words,
            bytes_left: bytes,
            words_left: words,
        }
    }

    fn refusal(&self) -> Refusal {
        Refusal::ArgumentsTooLong {
            bytes: self.bytes,
            words: self.words,
        }
    }

    /// Takes `len` more bytes of text.
    pub fn bytes(&mut self, len: usize) -> Result<(), Refusal> {
        self.bytes_left = self
            .bytes_left
            .checked_sub(len)
            .ok_or_else(|| self.refusal())?;
        Ok(())
    }

    /// Takes one more word of `len` bytes (its text not taken yet).
    pub fn word(&mut self, len: usize) -> Result<(), Refusal> {
        if self.words_left == 0 || self.bytes_left < len {
            return Err(self.refusal());
        }
        self.words_left -= 1;
        self.bytes_left -= len;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_runs_out_by_bytes_or_by_words() {
        let mut budget = ArgvBudget::new(10, 2);
        budget.bytes(6).unwrap();
        assert!(budget.bytes(5).is_err());
        budget.word(4).unwrap();
        assert!(budget.word(1).is_err(), "no bytes are left");
        budget.word(0).unwrap();
        assert!(budget.word(0).is_err(), "no words are left");
        assert!(check("a width", 11, 10).is_err());
        assert!(check("a width", 10, 10).is_ok());
    }
}
