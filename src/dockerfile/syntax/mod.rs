//! Dockerfile syntax: [`parse`] reads a Dockerfile the way BuildKit's
//! frontend does (parser directives, comments, line continuations, exec and
//! shell forms, flags, heredocs, CRLF, a BOM) into a [`Dockerfile`]. It never
//! fails and never panics, whatever the input.
//!
//! The parsed file borrows from the text: a keyword, a flag or a shell-form
//! argument that the text holds as it is (most do) is a slice of it, and only
//! continuation lines, lowercase keywords and quoted flags are copied.

use std::borrow::Cow;
use std::cell::OnceCell;

pub(crate) mod lex;
mod parse;

pub use parse::parse;

/// A parsed Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dockerfile<'a> {
    /// The escape character: `\` unless an `# escape=` directive set `` ` ``.
    pub escape: char,
    /// Parser directives found at the very top (`# syntax=`, `# escape=`, `# check=`).
    pub directives: Vec<Directive>,
    /// Instructions in file order.
    pub instructions: Vec<Instruction<'a>>,
}

/// A parser directive such as `# syntax=docker/dockerfile:1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// Lowercase name: `syntax`, `escape` or `check`.
    pub name: String,
    /// The value, trimmed.
    pub value: String,
    /// 1-based line.
    pub line: usize,
}

/// One instruction, with its continuation lines and heredocs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction<'a> {
    /// Uppercase keyword, e.g. `FROM`.
    pub keyword: Cow<'a, str>,
    /// Leading `--name[=value]` flags.
    pub flags: Vec<Flag<'a>>,
    /// The arguments after the flags.
    pub args: Args<'a>,
    /// Heredocs opened on the instruction's first line (`RUN`, `COPY`, `ADD` only).
    pub heredocs: Vec<Heredoc>,
    /// 1-based line where the instruction starts.
    pub line: usize,
    /// 1-based last line, including continuation lines and heredoc terminators.
    pub end_line: usize,
    /// Byte offset of the keyword in the text.
    pub start: usize,
    /// Byte offset of the end of the instruction's last line (before its line break).
    pub end: usize,
    /// When an empty line came inside its continuation, the 1-based line
    /// BuildKit reports that at (the last line it read); 0 otherwise.
    pub empty_continuation: usize,
    /// The file's escape character ([`Dockerfile::escape`]).
    pub(crate) escape: char,
    /// [`Instruction::key_values`], worked out on the first call.
    pub(crate) pairs: Pairs,
}

/// The `name[=value]` pairs of an instruction, split once for every rule
/// that asks. Derived from the instruction's other fields, so it takes no
/// part in comparing two instructions.
#[derive(Debug, Clone, Default)]
pub(crate) struct Pairs(OnceCell<Vec<(String, Option<String>)>>);

impl PartialEq for Pairs {
    fn eq(&self, _: &Pairs) -> bool {
        true
    }
}

impl Eq for Pairs {}

/// A flag such as `--from=build` (`name` is `from`) or `--link` (no value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag<'a> {
    /// Name without the leading `--`.
    pub name: Cow<'a, str>,
    /// The value after `=`, unquoted; `None` when there is no `=`.
    pub value: Option<Cow<'a, str>>,
}

impl Flag<'_> {
    /// The same flag, owning its text.
    pub fn into_owned(self) -> Flag<'static> {
        Flag {
            name: Cow::Owned(self.name.into_owned()),
            value: self.value.map(|v| Cow::Owned(v.into_owned())),
        }
    }
}

/// An instruction's arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Args<'a> {
    /// Exec (JSON) form `["a", "b"]`, for the instructions that accept it
    /// (`RUN`, `CMD`, `ENTRYPOINT`, `SHELL`, `COPY`, `ADD`, `VOLUME`).
    Exec(Vec<String>),
    /// Shell form: the continuation-joined text, trimmed.
    Shell(Cow<'a, str>),
}

impl Args<'_> {
    /// The same arguments, owning their text.
    pub fn into_owned(self) -> Args<'static> {
        match self {
            Args::Exec(list) => Args::Exec(list),
            Args::Shell(text) => Args::Shell(Cow::Owned(text.into_owned())),
        }
    }

    /// The shell-form text, if this is the shell form.
    pub fn as_shell(&self) -> Option<&str> {
        match self {
            Args::Shell(s) => Some(s),
            Args::Exec(_) => None,
        }
    }

    /// The exec-form list, if this is the exec form.
    pub fn as_exec(&self) -> Option<&[String]> {
        match self {
            Args::Exec(v) => Some(v),
            Args::Shell(_) => None,
        }
    }
}

/// A heredoc: `<<EOF` … `EOF`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    /// The delimiter, unquoted (`EOF` for `<<"EOF"`).
    pub delimiter: String,
    /// The body: every line up to the delimiter line, each ending in `\n`
    /// (leading tabs removed for `<<-`).
    pub body: String,
    /// `false` when the delimiter was quoted, so variables are not expanded.
    pub expand: bool,
    /// `false` when the file ended before the delimiter line (BuildKit:
    /// "unterminated heredoc").
    pub closed: bool,
}

/// One build stage: a `FROM` and the instructions up to the next `FROM`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage<'a> {
    /// 0-based stage index.
    pub index: usize,
    /// The `FROM` instruction.
    pub from: &'a Instruction<'a>,
    /// The base image (or earlier stage name) as written; may contain `$VAR`.
    pub image: &'a str,
    /// The `AS name`, lowercased as BuildKit does.
    pub name: Option<Cow<'a, str>>,
    /// The `--platform` flag's value.
    pub platform: Option<&'a str>,
    /// The stage's instructions after its `FROM`.
    pub instructions: &'a [Instruction<'a>],
}

impl<'a> Dockerfile<'a> {
    /// The build stages in order. Instructions before the first `FROM`
    /// (global `ARG`s) belong to no stage; see [`Dockerfile::global_instructions`].
    pub fn stages(&self) -> Vec<Stage<'_>> {
        let froms: Vec<usize> = self
            .instructions
            .iter()
            .enumerate()
            .filter(|(_, ins)| ins.keyword == "FROM")
            .map(|(i, _)| i)
            .collect();
        let mut stages = Vec::with_capacity(froms.len());
        for (index, &at) in froms.iter().enumerate() {
            let next = froms
                .get(index + 1)
                .copied()
                .unwrap_or(self.instructions.len());
            let from = &self.instructions[at];
            let mut words = from.args.as_shell().unwrap_or("").split_whitespace();
            let image = words.next().unwrap_or("");
            let name = match (words.next(), words.next()) {
                (Some(kw), Some(name)) if kw.eq_ignore_ascii_case("as") => {
                    Some(match name.bytes().any(|c| c.is_ascii_uppercase()) {
                        true => Cow::Owned(name.to_ascii_lowercase()),
                        false => Cow::Borrowed(name),
                    })
                }
                _ => None,
            };
            stages.push(Stage {
                index,
                from,
                image,
                name,
                platform: from.flag("platform").and_then(|f| f.value.as_deref()),
                instructions: &self.instructions[at + 1..next],
            });
        }
        stages
    }

    /// The instructions before the first `FROM` (normally global `ARG`s).
    pub fn global_instructions(&self) -> &[Instruction<'a>] {
        let first_from = self
            .instructions
            .iter()
            .position(|ins| ins.keyword == "FROM")
            .unwrap_or(self.instructions.len());
        &self.instructions[..first_from]
    }
}

impl<'a> Instruction<'a> {
    /// The first flag called `name` (without `--`).
    pub fn flag(&self, name: &str) -> Option<&Flag<'a>> {
        self.flags.iter().find(|f| f.name == name)
    }

    /// The `name[=value]` pairs of an `ENV`, `ARG` or `LABEL` (both the
    /// `ENV A=b C=d` and the legacy `ENV A b c` forms), names and values
    /// unquoted. Split on the first call, kept for the next.
    pub fn key_values(&self) -> &[(String, Option<String>)] {
        self.pairs.0.get_or_init(|| self.split_pairs())
    }

    fn split_pairs(&self) -> Vec<(String, Option<String>)> {
        let escape = self.escape;
        let Args::Shell(text) = &self.args else {
            return Vec::new();
        };
        let words = lex::raw_words(text, escape);
        let Some(first) = words.first() else {
            return Vec::new();
        };
        let pair = |word: &str| match word.split_once('=') {
            Some((k, v)) => (
                lex::unquote(k, escape).0.into_owned(),
                Some(lex::unquote(v, escape).0.into_owned()),
            ),
            None => (lex::unquote(word, escape).0.into_owned(), None),
        };
        if self.keyword != "ARG" && !first.contains('=') {
            // Legacy `ENV name value with spaces`.
            let text = text.trim();
            return match text.find(char::is_whitespace) {
                Some(at) => {
                    let value = lex::unquote(text[at..].trim(), escape).0.into_owned();
                    vec![(text[..at].to_string(), Some(value))]
                }
                None => vec![(text.to_string(), None)],
            };
        }
        words.iter().map(|w| pair(w)).collect()
    }
}
