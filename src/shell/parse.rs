//! Parses a command line into lists, pipelines and commands.
//!
//! The grammar is the everyday subset of POSIX sh: quoting (`'…'`, `"…"`,
//! backslash), `$VAR`, `${VAR}` and `$?`, command substitution `$(…)`, a
//! leading `~`, unquoted glob characters (`*`, `?`, `[…]`), `NAME=value`
//! assignments before a command, `;` and newlines, `&&`, `||`, pipes,
//! comments, and the redirections `<`, `<<<`, `>`, `>>`, `2>`, `2>>` and
//! `2>&1`. Words are expanded when a command runs, not here, so that
//! `false; echo $?` sees the status of `false`.

use std::fmt;

/// A command line: and-or lists run one after another.
pub type Script = Vec<AndOr>;

/// `a && b || c`: pipelines joined by `&&` and `||`.
#[derive(Debug, Clone, PartialEq)]
pub struct AndOr {
    pub first: Pipeline,
    pub rest: Vec<(Connector, Pipeline)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connector {
    And,
    Or,
}

/// `a | b | c`.
pub type Pipeline = Vec<Command>;

/// One simple command: its assignments, words and redirections.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Command {
    /// `NAME=value` words before the command name: the command's own
    /// environment, or (with no command) the shell's variables.
    pub assignments: Vec<(String, Word)>,
    pub words: Vec<Word>,
    pub redirects: Vec<Redirect>,
}

/// A word before expansion.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Word(pub Vec<Part>);

#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    Literal(String),
    /// `$NAME`, `${NAME}` or `$?`.
    Variable(String),
    /// An unquoted `~` at the start of a word: the home directory.
    Home,
    /// Unquoted glob characters: `*`, `?` or a bracket expression `[…]`.
    Pattern(String),
    /// `$(…)`: the output of a command line; unquoted, it splits into
    /// words at whitespace.
    Command {
        script: String,
        quoted: bool,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Redirect {
    /// `< file`
    Input(Word),
    /// `<<< word`: the word and a newline as standard input.
    HereString(Word),
    /// `> file`, `>> file`, `2> file`, `2>> file`.
    Output {
        stream: OutputStream,
        target: Word,
        append: bool,
    },
    /// `2>&1`
    StderrToStdout,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputStream {
    Stdout,
    Stderr,
}

/// A syntax error, worded as bash words them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError(pub String);

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "syntax error: {}", self.0)
    }
}

impl std::error::Error for SyntaxError {}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(Word),
    Operator(&'static str),
}

/// Parses a whole command line (which may hold several lines).
pub fn parse(line: &str) -> Result<Script, SyntaxError> {
    let tokens = tokenize(line)?;
    Parser { tokens, at: 0 }.script()
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn peek_operator(&self) -> Option<&'static str> {
        match self.peek() {
            Some(Token::Operator(op)) => Some(op),
            _ => None,
        }
    }

    fn unexpected(&self) -> SyntaxError {
        match self.peek() {
            Some(Token::Operator(op)) => {
                let shown = if *op == "\n" { "newline" } else { op };
                SyntaxError(format!("near unexpected token `{shown}'"))
            }
            Some(Token::Word(_)) => SyntaxError("unexpected word".to_owned()),
            None => SyntaxError("unexpected end of line".to_owned()),
        }
    }

    fn script(mut self) -> Result<Script, SyntaxError> {
        let mut script = Vec::new();
        loop {
            while matches!(self.peek_operator(), Some(";" | "\n")) {
                if self.peek_operator() == Some(";") && script.is_empty() {
                    return Err(self.unexpected());
                }
                self.at += 1;
            }
            if self.peek().is_none() {
                return Ok(script);
            }
            script.push(self.and_or()?);
            match self.peek_operator() {
                None if self.peek().is_none() => return Ok(script),
                Some(";" | "\n") => self.at += 1,
                _ => return Err(self.unexpected()),
            }
            if self.peek_operator() == Some(";") {
                return Err(self.unexpected());
            }
        }
    }

    fn and_or(&mut self) -> Result<AndOr, SyntaxError> {
        let first = self.pipeline()?;
        let mut rest = Vec::new();
        loop {
            let connector = match self.peek_operator() {
                Some("&&") => Connector::And,
                Some("||") => Connector::Or,
                _ => return Ok(AndOr { first, rest }),
            };
            self.at += 1;
            while self.peek_operator() == Some("\n") {
                self.at += 1;
            }
            rest.push((connector, self.pipeline()?));
        }
    }

    fn pipeline(&mut self) -> Result<Pipeline, SyntaxError> {
        let mut pipeline = vec![self.command()?];
        while self.peek_operator() == Some("|") {
            self.at += 1;
            while self.peek_operator() == Some("\n") {
                self.at += 1;
            }
            pipeline.push(self.command()?);
        }
        Ok(pipeline)
    }

    fn command(&mut self) -> Result<Command, SyntaxError> {
        let mut command = Command::default();
        loop {
            match self.peek().cloned() {
                Some(Token::Word(word)) => {
                    self.at += 1;
                    match assignment(&word) {
                        Some(assignment) if command.words.is_empty() => {
                            command.assignments.push(assignment)
                        }
                        _ => command.words.push(word),
                    }
                }
                Some(Token::Operator("2>&1")) => {
                    self.at += 1;
                    command.redirects.push(Redirect::StderrToStdout);
                }
                Some(Token::Operator(op @ ("<" | "<<<" | ">" | ">>" | "2>" | "2>>"))) => {
                    self.at += 1;
                    let Some(Token::Word(target)) = self.peek().cloned() else {
                        return Err(self.unexpected());
                    };
                    self.at += 1;
                    command.redirects.push(match op {
                        "<" => Redirect::Input(target),
                        "<<<" => Redirect::HereString(target),
                        _ => Redirect::Output {
                            stream: if op.starts_with('2') {
                                OutputStream::Stderr
                            } else {
                                OutputStream::Stdout
                            },
                            target,
                            append: op.ends_with(">>"),
                        },
                    });
                }
                _ => break,
            }
        }
        if command.words.is_empty()
            && command.redirects.is_empty()
            && command.assignments.is_empty()
        {
            return Err(self.unexpected());
        }
        Ok(command)
    }
}

/// `NAME=value` as a word that starts unquoted: the name and the value's
/// parts.
fn assignment(word: &Word) -> Option<(String, Word)> {
    let Some(Part::Literal(first)) = word.0.first() else {
        return None;
    };
    let (name, value) = first.split_once('=')?;
    let mut chars = name.chars();
    let starts_well = chars
        .next()
        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic());
    if !starts_well || !chars.all(|c| c == '_' || c.is_ascii_alphanumeric()) {
        return None;
    }
    let mut parts = Vec::new();
    if !value.is_empty() {
        parts.push(Part::Literal(value.to_owned()));
    }
    parts.extend(word.0[1..].iter().cloned());
    Some((name.to_owned(), Word(parts)))
}

/// Splits a line into words and operators, keeping quoting information in
/// the words' parts.
fn tokenize(line: &str) -> Result<Vec<Token>, SyntaxError> {
    let mut tokens = Vec::new();
    let mut chars = line.chars().peekable();
    let mut word: Option<Word> = None;

    fn push_literal(word: &mut Option<Word>, c: char) {
        let parts = &mut word.get_or_insert_with(Word::default).0;
        match parts.last_mut() {
            Some(Part::Literal(text)) => text.push(c),
            _ => parts.push(Part::Literal(c.to_string())),
        }
    }

    fn finish(tokens: &mut Vec<Token>, word: &mut Option<Word>) {
        if let Some(word) = word.take() {
            tokens.push(Token::Word(word));
        }
    }

    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\r' => finish(&mut tokens, &mut word),
            '\n' | ';' => {
                finish(&mut tokens, &mut word);
                tokens.push(Token::Operator(if c == '\n' { "\n" } else { ";" }));
            }
            '#' if word.is_none() => while chars.next_if(|&c| c != '\n').is_some() {},
            '&' => {
                finish(&mut tokens, &mut word);
                if chars.next_if_eq(&'&').is_some() {
                    tokens.push(Token::Operator("&&"));
                } else {
                    return Err(SyntaxError(
                        "background jobs (`&') are not supported".to_owned(),
                    ));
                }
            }
            '|' => {
                finish(&mut tokens, &mut word);
                if chars.next_if_eq(&'|').is_some() {
                    tokens.push(Token::Operator("||"));
                } else {
                    tokens.push(Token::Operator("|"));
                }
            }
            '<' => {
                finish(&mut tokens, &mut word);
                if chars.next_if_eq(&'<').is_some() {
                    if chars.next_if_eq(&'<').is_none() {
                        return Err(SyntaxError(
                            "here-documents (`<<') are not supported; use `<<<' or a file"
                                .to_owned(),
                        ));
                    }
                    tokens.push(Token::Operator("<<<"));
                } else {
                    tokens.push(Token::Operator("<"));
                }
            }
            '*' | '?' => pattern(&mut word, c.to_string()),
            '[' => {
                let mut class = String::from("[");
                let mut lookahead = chars.clone();
                let mut closed = false;
                for next in lookahead.by_ref() {
                    class.push(next);
                    if next == ']' && class.len() > 2 {
                        closed = true;
                        break;
                    }
                    if matches!(
                        next,
                        ' ' | '\t' | '\n' | ';' | '|' | '&' | '<' | '>' | '\'' | '"' | '\\' | '$'
                    ) {
                        break;
                    }
                }
                if closed {
                    chars = lookahead;
                    pattern(&mut word, class);
                } else {
                    push_literal(&mut word, '[');
                }
            }
            '>' => {
                // `2>` only when the 2 stands alone as a word.
                let stderr = word
                    .as_ref()
                    .is_some_and(|w| w.0 == [Part::Literal("2".into())]);
                if stderr {
                    word = None;
                } else {
                    finish(&mut tokens, &mut word);
                }
                let append = chars.next_if_eq(&'>').is_some();
                if stderr && !append && chars.next_if_eq(&'&').is_some() {
                    if chars.next_if_eq(&'1').is_some() {
                        tokens.push(Token::Operator("2>&1"));
                        continue;
                    }
                    return Err(SyntaxError(
                        "only the redirection `2>&1' duplicates a stream".to_owned(),
                    ));
                }
                tokens.push(Token::Operator(match (stderr, append) {
                    (false, false) => ">",
                    (false, true) => ">>",
                    (true, false) => "2>",
                    (true, true) => "2>>",
                }));
            }
            '\'' => {
                word.get_or_insert_with(Word::default);
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => push_literal(&mut word, c),
                        None => {
                            return Err(SyntaxError(
                                "unexpected end of line while looking for matching `''".to_owned(),
                            ));
                        }
                    }
                }
            }
            '"' => {
                word.get_or_insert_with(Word::default);
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('$' | '"' | '\\' | '`')) => push_literal(&mut word, c),
                            Some('\n') => {}
                            Some(c) => {
                                push_literal(&mut word, '\\');
                                push_literal(&mut word, c);
                            }
                            None => push_literal(&mut word, '\\'),
                        },
                        Some('$') => dollar(&mut chars, &mut word, true)?,
                        Some(c) => push_literal(&mut word, c),
                        None => {
                            return Err(SyntaxError(
                                "unexpected end of line while looking for matching `\"'".to_owned(),
                            ));
                        }
                    }
                }
            }
            '\\' => match chars.next() {
                Some('\n') => {}
                Some(c) => push_literal(&mut word, c),
                None => push_literal(&mut word, '\\'),
            },
            '$' => dollar(&mut chars, &mut word, false)?,
            '~' if word.is_none()
                && matches!(
                    chars.peek(),
                    None | Some('/' | ' ' | '\t' | ';' | '\n' | '|' | '&' | '>' | '<')
                ) =>
            {
                word = Some(Word(vec![Part::Home]));
            }
            c => push_literal(&mut word, c),
        }
    }
    finish(&mut tokens, &mut word);
    Ok(tokens)
}

fn pattern(word: &mut Option<Word>, text: String) {
    let parts = &mut word.get_or_insert_with(Word::default).0;
    match parts.last_mut() {
        Some(Part::Pattern(existing)) => existing.push_str(&text),
        _ => parts.push(Part::Pattern(text)),
    }
}

/// Command substitutions nested deeper than this are refused (each level
/// is parsed again when it runs).
pub const MAX_SUBSTITUTION_DEPTH: usize = 8;

/// Reads what follows a `$`: `(…)` or a variable.
fn dollar(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    word: &mut Option<Word>,
    quoted: bool,
) -> Result<(), SyntaxError> {
    if chars.next_if_eq(&'(').is_none() {
        return variable(chars, word);
    }
    let script = substitution(chars)?;
    word.get_or_insert_with(Word::default)
        .0
        .push(Part::Command { script, quoted });
    Ok(())
}

/// The text of a `$(…)` up to its closing parenthesis (which is consumed),
/// skipping parentheses inside quotes and nested substitutions.
fn substitution(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
) -> Result<String, SyntaxError> {
    let unclosed =
        || SyntaxError("unexpected end of line while looking for matching `)'".to_owned());
    let mut script = String::new();
    let mut depth = 1usize;
    while let Some(c) = chars.next() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Ok(script);
                }
            }
            '\'' => {
                script.push(c);
                loop {
                    let next = chars.next().ok_or_else(unclosed)?;
                    script.push(next);
                    if next == '\'' {
                        break;
                    }
                }
                continue;
            }
            '"' => {
                script.push(c);
                loop {
                    let next = chars.next().ok_or_else(unclosed)?;
                    script.push(next);
                    match next {
                        '"' => break,
                        '\\' => script.push(chars.next().ok_or_else(unclosed)?),
                        _ => {}
                    }
                }
                continue;
            }
            '\\' => {
                script.push(c);
                if let Some(next) = chars.next() {
                    script.push(next);
                }
                continue;
            }
            _ => {}
        }
        if depth > MAX_SUBSTITUTION_DEPTH {
            return Err(SyntaxError(
                "command substitutions nested too deeply".to_owned(),
            ));
        }
        script.push(c);
    }
    Err(unclosed())
}

/// Reads what follows a `$`: a name, `{name}` or `?`; a lone `$` is literal.
fn variable(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    word: &mut Option<Word>,
) -> Result<(), SyntaxError> {
    let parts = &mut word.get_or_insert_with(Word::default).0;
    if chars.next_if_eq(&'?').is_some() {
        parts.push(Part::Variable("?".to_owned()));
        return Ok(());
    }
    if chars.next_if_eq(&'{').is_some() {
        let mut name = String::new();
        loop {
            match chars.next() {
                Some('}') => break,
                Some(c) if c == '?' || c == '_' || c.is_ascii_alphanumeric() => name.push(c),
                _ => return Err(SyntaxError("bad substitution".to_owned())),
            }
        }
        if name.is_empty() {
            return Err(SyntaxError("bad substitution".to_owned()));
        }
        parts.push(Part::Variable(name));
        return Ok(());
    }
    let mut name = String::new();
    if let Some(c) = chars.next_if(|&c| c == '_' || c.is_ascii_alphabetic()) {
        name.push(c);
        while let Some(c) = chars.next_if(|&c| c == '_' || c.is_ascii_alphanumeric()) {
            name.push(c);
        }
    }
    if name.is_empty() {
        match parts.last_mut() {
            Some(Part::Literal(text)) => text.push('$'),
            _ => parts.push(Part::Literal("$".to_owned())),
        }
    } else {
        parts.push(Part::Variable(name));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn literal(text: &str) -> Word {
        Word(vec![Part::Literal(text.to_owned())])
    }

    fn words(script: &Script) -> Vec<Vec<Word>> {
        script
            .iter()
            .flat_map(|and_or| {
                std::iter::once(&and_or.first)
                    .chain(and_or.rest.iter().map(|(_, p)| p))
                    .flat_map(|p| p.iter().map(|c| c.words.clone()))
            })
            .collect()
    }

    #[test]
    fn quoting_and_variables() {
        let script = parse(r#"echo 'a  b' "c $HOME d" e\ f "\$x" ~/g $?"#).unwrap();
        assert_eq!(
            words(&script)[0],
            vec![
                literal("echo"),
                literal("a  b"),
                Word(vec![
                    Part::Literal("c ".into()),
                    Part::Variable("HOME".into()),
                    Part::Literal(" d".into())
                ]),
                literal("e f"),
                literal("$x"),
                Word(vec![Part::Home, Part::Literal("/g".into())]),
                Word(vec![Part::Variable("?".into())]),
            ]
        );
    }

    #[test]
    fn lists_pipes_and_redirections() {
        let script = parse("a && b || c; d | e > f 2>&1 < g; h 2>> i").unwrap();
        assert_eq!(script.len(), 3);
        assert_eq!(script[0].rest.len(), 2);
        assert_eq!(script[0].rest[0].0, Connector::And);
        assert_eq!(script[0].rest[1].0, Connector::Or);
        let pipeline = &script[1].first;
        assert_eq!(pipeline.len(), 2);
        assert_eq!(
            pipeline[1].redirects,
            vec![
                Redirect::Output {
                    stream: OutputStream::Stdout,
                    target: literal("f"),
                    append: false
                },
                Redirect::StderrToStdout,
                Redirect::Input(literal("g")),
            ]
        );
        assert_eq!(
            script[2].first[0].redirects,
            vec![Redirect::Output {
                stream: OutputStream::Stderr,
                target: literal("i"),
                append: true
            }]
        );
    }

    #[test]
    fn syntax_errors_read_like_bash() {
        for (line, message) in [
            (
                "echo 'abc",
                "unexpected end of line while looking for matching `''",
            ),
            ("| ls", "near unexpected token `|'"),
            ("ls &&", "unexpected end of line"),
            ("ls ;;", "near unexpected token `;'"),
            ("ls >", "unexpected end of line"),
            ("sleep 1 &", "background jobs (`&') are not supported"),
        ] {
            assert_eq!(parse(line), Err(SyntaxError(message.to_owned())), "{line}");
        }
        assert_eq!(parse("  # only a comment").unwrap(), vec![]);
        assert_eq!(parse("ls;").unwrap().len(), 1);
    }

    #[test]
    fn globs_substitutions_assignments_and_here_strings() {
        let script = parse(
            r#"X=1 Y="a b" cmd *.py 'q*' d?[ab].c [ x $(echo "(" $(pwd)) "$(ls)" <<< "$X here""#,
        )
        .unwrap();
        let command = &script[0].first[0];
        assert_eq!(
            command.assignments,
            vec![
                ("X".to_owned(), literal("1")),
                ("Y".to_owned(), literal("a b"))
            ]
        );
        let words = &command.words;
        assert_eq!(words[0], literal("cmd"));
        assert_eq!(
            words[1],
            Word(vec![Part::Pattern("*".into()), Part::Literal(".py".into())])
        );
        assert_eq!(words[2], literal("q*"));
        assert_eq!(
            words[3],
            Word(vec![
                Part::Literal("d".into()),
                Part::Pattern("?[ab]".into()),
                Part::Literal(".c".into())
            ])
        );
        assert_eq!(words[4], literal("["));
        assert_eq!(
            words[6],
            Word(vec![Part::Command {
                script: r#"echo "(" $(pwd)"#.into(),
                quoted: false
            }])
        );
        assert_eq!(
            words[7],
            Word(vec![Part::Command {
                script: "ls".into(),
                quoted: true
            }])
        );
        assert_eq!(
            command.redirects,
            vec![Redirect::HereString(Word(vec![
                Part::Variable("X".into()),
                Part::Literal(" here".into())
            ]))]
        );
        // Alone, assignments are a command; after the name, words.
        assert_eq!(parse("A=1").unwrap()[0].first[0].assignments.len(), 1);
        assert_eq!(parse("echo A=1").unwrap()[0].first[0].words.len(), 2);
        assert_eq!(
            parse("echo $(ls"),
            Err(SyntaxError(
                "unexpected end of line while looking for matching `)'".to_owned()
            ))
        );
        assert!(parse("cat << EOF").is_err());
    }
}
