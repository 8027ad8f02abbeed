//! Tab completion: command names for the first word of a command, paths
//! in the sandbox (through cap-std) for the others.

use serde::Serialize;

use super::{Shell, builtins, paths, programs, utilities};

/// Candidates returned at most, and directory entries looked at.
const MAX_CANDIDATES: usize = 500;
const MAX_SCANNED: usize = 10_000;

/// What may replace the word before the cursor.
#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct Completion {
    /// Where the word being completed starts (in characters).
    pub start: usize,
    /// Whole words that could replace it, sorted; directories end in `/`.
    pub candidates: Vec<String>,
}

/// Names the shell runs without a path.
fn command_names() -> impl Iterator<Item = &'static str> {
    builtins::NAMES
        .into_iter()
        .chain(utilities::NAMES)
        .chain(programs::NAMES)
}

impl Shell {
    /// Completes the word that ends at `cursor` (a character index) in
    /// `line`.
    pub fn complete(&self, line: &str, cursor: usize) -> Completion {
        let before: Vec<char> = line.chars().take(cursor).collect();
        let start = before
            .iter()
            .rposition(|c| {
                c.is_whitespace() || matches!(c, ';' | '|' | '&' | '<' | '>' | '(' | '`')
            })
            .map_or(0, |at| at + 1);
        let word: String = before[start..].iter().collect();
        let command_position = before[..start]
            .iter()
            .rev()
            .find(|c| !c.is_whitespace())
            .is_none_or(|c| matches!(c, ';' | '|' | '&' | '('));
        let mut candidates: Vec<String> = if command_position && !word.contains('/') {
            command_names()
                .filter(|name| name.starts_with(word.as_str()))
                .map(str::to_owned)
                .collect()
        } else {
            self.complete_path(&word)
        };
        candidates.sort();
        candidates.dedup();
        candidates.truncate(MAX_CANDIDATES);
        Completion { start, candidates }
    }

    fn complete_path(&self, word: &str) -> Vec<String> {
        let (directory, prefix) = match word.rfind('/') {
            Some(at) => (&word[..=at], &word[at + 1..]),
            None => ("", word),
        };
        let typed = if directory.starts_with('~') {
            directory.replacen('~', "", 1)
        } else {
            directory.to_owned()
        };
        let path = if typed.is_empty() {
            self.cwd.clone()
        } else {
            self.resolve(&typed)
        };
        let Ok(entries) = self.sandbox.dir().read_dir(paths::cap_path(&path)) else {
            return Vec::new();
        };
        entries
            .take(MAX_SCANNED)
            .filter_map(|entry| {
                let entry = entry.ok()?;
                let name = entry.file_name().into_string().ok()?;
                if !name.starts_with(prefix) || (name.starts_with('.') && !prefix.starts_with('.'))
                {
                    return None;
                }
                let slash = if entry.file_type().ok()?.is_dir() {
                    "/"
                } else {
                    ""
                };
                Some(format!("{directory}{name}{slash}"))
            })
            .collect()
    }
}
