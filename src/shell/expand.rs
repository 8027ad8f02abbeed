//! Word expansion, as sh does it when a command runs: `~`, variables,
//! command substitution (`$(…)`, split into words when unquoted), then
//! globs (`*`, `?`, `[…]`) matched over the sandbox through cap-std. A
//! pattern that matches nothing stays as typed, as in bash.
//!
//! What a command line expands to is taken from its [`ArgvBudget`] as it
//! grows, so `$V$V$V…` or `* * *…` stops at the cap (like `ARG_MAX`)
//! instead of after it.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures_util::future::BoxFuture;
use globset::{GlobBuilder, GlobMatcher};

use super::io::{OutputSink, OutputTarget};
use super::operands::is_dir;
use super::parse::{MAX_SUBSTITUTION_DEPTH, Part, Word};
use super::{Context, Exit, Shell, paths};
use crate::budget::sizes::ArgvBudget;
use crate::engine::{OutputChunk, StreamKind};

/// Paths a glob may match, and directories it may read: a pattern over a
/// huge tree stops there instead of holding the server.
const MAX_GLOB_MATCHES: usize = 10_000;
const MAX_GLOB_DIRECTORIES: usize = 10_000;

/// A word being expanded: its text, and (once any part of it was an
/// unquoted pattern) the same text as a glob pattern, literal characters
/// escaped. Most words have no pattern and hold their text once.
#[derive(Default)]
struct Field {
    text: String,
    glob: Option<String>,
}

impl Field {
    fn push_literal(&mut self, text: &str, budget: &mut ArgvBudget) -> Result<(), String> {
        budget.bytes(text.len()).map_err(|e| e.to_string())?;
        self.text.push_str(text);
        if let Some(glob) = &mut self.glob {
            escape_into(glob, text);
        }
        Ok(())
    }

    fn push_pattern(&mut self, pattern: &str, budget: &mut ArgvBudget) -> Result<(), String> {
        budget.bytes(pattern.len()).map_err(|e| e.to_string())?;
        let text = &self.text;
        let glob = self.glob.get_or_insert_with(|| {
            let mut glob = String::with_capacity(text.len() + pattern.len());
            escape_into(&mut glob, text);
            glob
        });
        glob.push_str(pattern);
        self.text.push_str(pattern);
        Ok(())
    }
}

/// `text` with the glob's special characters escaped, added to `glob`.
fn escape_into(glob: &mut String, text: &str) {
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '{' | '}' | '\\') {
            glob.push('\\');
        }
        glob.push(c);
    }
}

impl Shell {
    /// Expands a command's words into its argv, within `budget`.
    pub(super) async fn expand_words(
        &mut self,
        words: &[Word],
        context: &Context,
        budget: &mut ArgvBudget,
    ) -> Result<Vec<String>, String> {
        let mut argv = Vec::new();
        for word in words {
            for field in self.fields(word, context, budget).await? {
                if let Some(glob) = &field.glob {
                    let matches = self.glob(glob);
                    if !matches.is_empty() {
                        for matched in matches {
                            budget.word(matched.len()).map_err(|e| e.to_string())?;
                            argv.push(matched);
                        }
                        continue;
                    }
                }
                // The field's text was taken as it grew.
                budget.word(0).map_err(|e| e.to_string())?;
                argv.push(field.text);
            }
        }
        Ok(argv)
    }

    /// Expands one word into one string (a redirection's target, an
    /// assignment's value): no splitting, no globbing.
    pub(super) async fn expand_word(
        &mut self,
        word: &Word,
        context: &Context,
        budget: &mut ArgvBudget,
    ) -> Result<String, String> {
        let mut text = String::new();
        for part in &word.0 {
            let piece = match part {
                Part::Command { script, .. } => self.substitute(script, context).await?,
                part => self.simple_part(part),
            };
            budget.bytes(piece.len()).map_err(|e| e.to_string())?;
            text.push_str(&piece);
        }
        Ok(text)
    }

    /// A part that needs nothing run.
    fn simple_part(&self, part: &Part) -> String {
        match part {
            Part::Literal(text) | Part::Pattern(text) => text.clone(),
            Part::Home => "/".to_owned(),
            Part::Variable(name) => self.variable(name).unwrap_or_default(),
            Part::Command { .. } => String::new(),
        }
    }

    async fn fields(
        &mut self,
        word: &Word,
        context: &Context,
        budget: &mut ArgvBudget,
    ) -> Result<Vec<Field>, String> {
        let mut fields = Vec::new();
        let mut current = Some(Field::default());
        for part in &word.0 {
            match part {
                Part::Pattern(pattern) => current
                    .get_or_insert_with(Field::default)
                    .push_pattern(pattern, budget)?,
                Part::Command {
                    script,
                    quoted: false,
                } => {
                    let output = self.substitute(script, context).await?;
                    let starts_blank = output.starts_with(char::is_whitespace);
                    let mut words = output.split_whitespace().peekable();
                    if starts_blank
                        && let Some(field) = current.take()
                        && !field.text.is_empty()
                    {
                        fields.push(field);
                    }
                    while let Some(piece) = words.next() {
                        current
                            .get_or_insert_with(Field::default)
                            .push_literal(piece, budget)?;
                        if words.peek().is_some() {
                            fields.extend(current.take());
                        }
                    }
                    if output.ends_with(char::is_whitespace) && !output.trim().is_empty() {
                        fields.extend(current.take());
                    }
                }
                Part::Command { script, .. } => {
                    let output = self.substitute(script, context).await?;
                    current
                        .get_or_insert_with(Field::default)
                        .push_literal(&output, budget)?;
                }
                part => {
                    let text = self.simple_part(part);
                    current
                        .get_or_insert_with(Field::default)
                        .push_literal(&text, budget)?;
                }
            }
        }
        // A word of quotes only (`""`) is one empty field; an unquoted
        // substitution that printed nothing is none.
        let only_unquoted_substitutions = word
            .0
            .iter()
            .all(|part| matches!(part, Part::Command { quoted: false, .. }));
        if let Some(field) = current
            && !(field.text.is_empty() && only_unquoted_substitutions)
        {
            fields.push(field);
        }
        Ok(fields)
    }

    /// Runs `script` and returns what it wrote to stdout, without its
    /// trailing newlines. Its errors go to the terminal.
    async fn substitute(&mut self, script: &str, context: &Context) -> Result<String, String> {
        if self.substitution_depth >= MAX_SUBSTITUTION_DEPTH {
            return Err("command substitutions nested too deeply".to_owned());
        }
        let capture = Arc::new(Capture {
            stdout: Mutex::new(Vec::new()),
            limit: context.limits.output_bytes,
            terminal: context.output.clone(),
        });
        let inner = context.with_output(capture.clone());
        self.substitution_depth += 1;
        let exit = self.run_nested(script, &inner).await;
        self.substitution_depth -= 1;
        self.last_code = exit.code;
        let bytes = std::mem::take(&mut *capture.stdout.lock().unwrap_or_else(|p| p.into_inner()));
        let text = String::from_utf8_lossy(&bytes);
        Ok(text.trim_end_matches('\n').to_owned())
    }

    /// Runs a command line inside another (boxed: the two recurse).
    fn run_nested<'a>(&'a mut self, script: &'a str, context: &'a Context) -> BoxFuture<'a, Exit> {
        Box::pin(self.run_script(script, context))
    }

    /// The sandbox paths `pattern` matches, sorted; relative patterns give
    /// paths relative to the working directory, as typed.
    fn glob(&self, pattern: &str) -> Vec<String> {
        let absolute = pattern.starts_with('/');
        let components: Vec<&str> = pattern.split('/').filter(|c| !c.is_empty()).collect();
        let Some(matchers) = components
            .iter()
            .map(|component| component_matcher(component))
            .collect::<Option<Vec<_>>>()
        else {
            return Vec::new();
        };
        let start = if absolute {
            PathBuf::new()
        } else {
            self.cwd.clone()
        };
        let mut found = vec![(start, String::from(if absolute { "/" } else { "" }))];
        let mut directories_read = 0;
        for (index, (component, matcher)) in components.iter().zip(&matchers).enumerate() {
            let last = index + 1 == components.len();
            let mut next = Vec::new();
            for (dir, shown) in &found {
                let join = |name: &str| {
                    if shown.is_empty() || shown.ends_with('/') {
                        format!("{shown}{name}")
                    } else {
                        format!("{shown}/{name}")
                    }
                };
                match matcher {
                    // A literal component is looked up, not listed.
                    None => {
                        let name = unescape(component);
                        let path = paths::resolve(dir, &name);
                        if (last && self.sandbox.dir().exists(paths::cap_path(&path)))
                            || is_dir(self, &path)
                        {
                            next.push((path, join(&name)));
                        }
                    }
                    Some(matcher) => {
                        directories_read += 1;
                        if directories_read > MAX_GLOB_DIRECTORIES {
                            return Vec::new();
                        }
                        for name in self.names_in(dir) {
                            let hidden_ok = component.starts_with('.');
                            if (name.starts_with('.') && !hidden_ok) || !matcher.is_match(&name) {
                                continue;
                            }
                            let path = dir.join(&name);
                            if last || is_dir(self, &path) {
                                next.push((path, join(&name)));
                            }
                            if next.len() > MAX_GLOB_MATCHES {
                                return Vec::new();
                            }
                        }
                    }
                }
            }
            found = next;
        }
        let mut matches: Vec<String> = found.into_iter().map(|(_, shown)| shown).collect();
        if pattern.ends_with('/') {
            matches.iter_mut().for_each(|m| m.push('/'));
        }
        matches.sort();
        matches
    }

    fn names_in(&self, dir: &Path) -> Vec<String> {
        let Ok(entries) = self.sandbox.dir().read_dir(paths::cap_path(dir)) else {
            return Vec::new();
        };
        entries
            .take(MAX_GLOB_MATCHES + 1)
            .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
            .collect()
    }
}

/// A matcher for one path component: `Some(None)` for a literal one (no
/// unescaped pattern character), `None` for an invalid pattern.
fn component_matcher(component: &str) -> Option<Option<GlobMatcher>> {
    let mut escaped = false;
    let mut has_pattern = false;
    for c in component.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '*' | '?' | '[' => has_pattern = true,
            _ => {}
        }
    }
    if !has_pattern {
        return Some(None);
    }
    let glob = GlobBuilder::new(component)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .ok()?;
    Some(Some(glob.compile_matcher()))
}

/// A literal component's text, without the escapes [`Field`] added.
fn unescape(component: &str) -> String {
    let mut text = String::with_capacity(component.len());
    let mut chars = component.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            text.extend(chars.next());
        } else {
            text.push(c);
        }
    }
    text
}

/// Collects a substitution's stdout (up to the output limit); its stderr
/// goes to the terminal as the command writes it.
struct Capture {
    stdout: Mutex<Vec<u8>>,
    limit: usize,
    terminal: OutputSink,
}

impl Capture {
    fn keep(&self, data: &Bytes) {
        let mut stdout = self.stdout.lock().unwrap_or_else(|p| p.into_inner());
        let room = self.limit.saturating_sub(stdout.len());
        stdout.extend_from_slice(&data[..data.len().min(room)]);
    }
}

impl OutputTarget for Capture {
    fn send(&self, chunk: OutputChunk) -> BoxFuture<'_, ()> {
        match chunk.stream {
            StreamKind::Stdout => {
                self.keep(&chunk.data);
                Box::pin(std::future::ready(()))
            }
            StreamKind::Stderr => self.terminal.send(chunk),
        }
    }

    fn send_now(&self, chunk: OutputChunk) {
        match chunk.stream {
            StreamKind::Stdout => self.keep(&chunk.data),
            StreamKind::Stderr => self.terminal.send_now(chunk),
        }
    }

    /// A download is no output: it still reaches the terminal.
    fn offer_download(&self, path: String) -> bool {
        self.terminal.offer_download(path)
    }
}
