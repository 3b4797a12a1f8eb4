//! Lint checks over a parsed Dockerfile.

use std::collections::HashMap;

use crate::diagnostics::{quote, Diagnostic, Severity, Span};

use super::lex::{expand, heredoc_marker, raw_words, unquote};
use super::{parse, Args, Dockerfile, Instruction, Stage};

/// Every code [`check`] can report, with a one-line description.
pub const CODES: &[(&str, &str)] = &[
    ("PKG101", "the Dockerfile has no FROM instruction"),
    ("PKG102", "a base image has neither a tag nor a digest"),
    ("PKG103", "a base image uses the mutable `latest` tag"),
    (
        "PKG104",
        "the final stage runs as root (no USER, or USER root)",
    ),
    (
        "PKG105",
        "ADD downloads a URL or git repository without --checksum",
    ),
    (
        "PKG106",
        "a secret in ENV or ARG, or a hard-coded token or private key",
    ),
    (
        "PKG107",
        "a COPY/ADD source is absolute or outside the build context",
    ),
];

/// Lint a Dockerfile. `file` is its repository-relative path, used in the
/// findings. All findings are warnings, sorted by position.
pub fn check(file: &str, text: &str) -> Vec<Diagnostic> {
    let df = parse(text);
    let mut out = Findings {
        file,
        text,
        spans: HashMap::new(),
        list: Vec::new(),
    };
    let stages = df.stages();
    if stages.is_empty() {
        out.list.push(Diagnostic {
            severity: Severity::Warning,
            code: "PKG101",
            message: "no FROM instruction; a Dockerfile needs a base image".to_string(),
            file: file.to_string(),
            pointer: String::new(),
            span: Span::from_bytes(text, 0, 0),
        });
    } else {
        let bases = resolve_bases(&df, &stages);
        check_base_images(&stages, &bases, &mut out);
        check_final_user(&stages, &bases, df.escape, &mut out);
    }
    for ins in &df.instructions {
        match ins.keyword.as_str() {
            "ADD" | "COPY" => check_sources(ins, df.escape, &mut out),
            _ => {}
        }
        check_secrets(ins, df.escape, &mut out);
    }
    let mut list = out.list;
    list.sort_by_key(|d| (d.span.line, d.span.column));
    list
}

/// Collects findings; spans are computed once per instruction, so many
/// findings on one long instruction stay linear.
struct Findings<'a> {
    file: &'a str,
    text: &'a str,
    spans: HashMap<usize, Span>,
    list: Vec<Diagnostic>,
}

impl Findings<'_> {
    fn push(&mut self, ins: &Instruction, code: &'static str, message: String) {
        let text = self.text;
        let span = *self
            .spans
            .entry(ins.start)
            .or_insert_with(|| instruction_span(text, ins));
        self.list.push(Diagnostic {
            severity: Severity::Warning,
            code,
            message,
            file: self.file.to_string(),
            pointer: String::new(),
            span,
        });
    }
}

/// `Span::from_bytes(text, ins.start, ins.end)`, counting only from the
/// start of the instruction's first line.
pub(crate) fn instruction_span(text: &str, ins: &Instruction) -> Span {
    let line_start = text
        .get(..ins.start)
        .and_then(|before| before.rfind('\n'))
        .map_or(0, |at| at + 1);
    match text.get(line_start..) {
        Some(rest) if ins.line > 0 => {
            let mut span = Span::from_bytes(
                rest,
                ins.start - line_start,
                ins.end.saturating_sub(line_start),
            );
            span.line += ins.line - 1;
            span.end_line += ins.line - 1;
            span
        }
        _ => Span::from_bytes(text, ins.start, ins.end),
    }
}

/// What a stage is built on.
#[derive(Debug, Clone, PartialEq)]
enum Base {
    Scratch,
    /// An earlier stage, by index.
    Stage(usize),
    /// An image reference; `from_arg` when it came from an ARG default.
    Image {
        reference: String,
        from_arg: bool,
    },
    /// A build arg without a default, or no image at all.
    Unknown,
}

/// The global ARGs (before the first FROM) with their defaults, expanded.
fn global_args(df: &Dockerfile) -> HashMap<String, Option<String>> {
    let mut vars: HashMap<String, Option<String>> = HashMap::new();
    for ins in df.global_instructions() {
        if ins.keyword != "ARG" {
            continue;
        }
        for (name, value) in ins.key_values(df.escape) {
            let value = value.and_then(|v| expand(&v, &vars));
            vars.insert(name, value);
        }
    }
    vars
}

fn resolve_bases(df: &Dockerfile, stages: &[Stage<'_>]) -> Vec<Base> {
    let vars = global_args(df);
    let mut bases = Vec::with_capacity(stages.len());
    for (i, stage) in stages.iter().enumerate() {
        let (image, from_arg) = match stage.image.contains('$') {
            true => match expand(&stage.image, &vars) {
                Some(image) => (image, true),
                None => (String::new(), true),
            },
            false => (stage.image.clone(), false),
        };
        let lower = image.to_ascii_lowercase();
        let base = if image.is_empty() {
            Base::Unknown
        } else if lower == "scratch" {
            Base::Scratch
        } else if let Some(j) = stages[..i]
            .iter()
            .rposition(|s| s.name.as_deref() == Some(lower.as_str()))
        {
            Base::Stage(j)
        } else {
            Base::Image {
                reference: image,
                from_arg,
            }
        };
        bases.push(base);
    }
    bases
}

/// Split an image reference into name, tag (if any), and whether it has a digest.
fn split_reference(reference: &str) -> (&str, Option<&str>, bool) {
    let (reference, digest) = match reference.split_once('@') {
        Some((name, _)) => (name, true),
        None => (reference, false),
    };
    let last_part = reference.rfind('/').map_or(0, |at| at + 1);
    match reference[last_part..].rfind(':') {
        Some(at) => {
            let colon = last_part + at;
            (&reference[..colon], Some(&reference[colon + 1..]), digest)
        }
        None => (reference, None, digest),
    }
}

/// An example pinned reference for the message.
fn pin_example(name: &str) -> String {
    let short = name.to_ascii_lowercase();
    let short = short.strip_prefix("docker.io/").unwrap_or(&short);
    let short = short.strip_prefix("library/").unwrap_or(short);
    let example = match short {
        "node" => "node:22.11-bookworm-slim",
        "python" => "python:3.12-slim-bookworm",
        "golang" => "golang:1.23-bookworm",
        "rust" => "rust:1.83-slim-bookworm",
        "alpine" => "alpine:3.20",
        "debian" => "debian:bookworm-slim",
        "ubuntu" => "ubuntu:24.04",
        "nginx" => "nginx:1.27-alpine",
        _ => return format!("{name}:<version>"),
    };
    example.to_string()
}

/// PKG102, PKG103.
fn check_base_images(stages: &[Stage<'_>], bases: &[Base], out: &mut Findings<'_>) {
    for (stage, base) in stages.iter().zip(bases) {
        let Base::Image {
            reference,
            from_arg,
        } = base
        else {
            continue;
        };
        let (name, tag, digest) = split_reference(reference);
        if digest {
            continue;
        }
        let origin = match from_arg {
            true => " (from an ARG default)",
            false => "",
        };
        match tag {
            None | Some("") => out.push(
                stage.from,
                "PKG102",
                format!(
                    "base image {}{origin} has no tag; pin a version (e.g. {})",
                    quote(reference),
                    pin_example(name)
                ),
            ),
            Some("latest") => out.push(
                stage.from,
                "PKG103",
                format!(
                    "base image {}{origin} uses the mutable \"latest\" tag; pin a version (e.g. {})",
                    quote(reference),
                    pin_example(name)
                ),
            ),
            Some(_) => {}
        }
    }
}

/// Whether a `USER` argument names root (`root`, `0`, `root:root`, `0:0`, …).
fn is_root_user(args: &Args, escape: char) -> bool {
    let text = args.as_shell().unwrap_or("");
    let word = raw_words(text, escape)
        .into_iter()
        .next()
        .unwrap_or_default();
    let (user, _) = unquote(&word, escape);
    let user = user.split(':').next().unwrap_or("");
    user == "root" || user == "0"
}

/// PKG104: follow the final stage back through stage references to the
/// last USER, or to the base image.
fn check_final_user(stages: &[Stage<'_>], bases: &[Base], escape: char, out: &mut Findings<'_>) {
    let Some(last) = stages.len().checked_sub(1) else {
        return;
    };
    let mut at = last;
    // Stage references only point backwards, so this ends.
    loop {
        let stage = &stages[at];
        if let Some(user) = stage
            .instructions
            .iter()
            .rev()
            .find(|i| i.keyword == "USER")
        {
            if is_root_user(&user.args, escape) {
                let shown = user.args.as_shell().unwrap_or("").trim();
                out.push(
                    user,
                    "PKG104",
                    format!(
                        "final stage runs as {}; switch to a non-root USER",
                        quote(shown)
                    ),
                );
            }
            return;
        }
        match &bases[at] {
            Base::Stage(j) if *j < at => at = *j,
            Base::Scratch => return,
            Base::Image { reference, .. }
                if split_reference(reference)
                    .1
                    .is_some_and(|tag| tag.contains("nonroot")) =>
            {
                return
            }
            _ => {
                out.push(
                    stages[last].from,
                    "PKG104",
                    "final stage has no USER, so the container runs as root; add a non-root USER"
                        .to_string(),
                );
                return;
            }
        }
    }
}

fn is_remote(source: &str) -> bool {
    let lower = source.to_ascii_lowercase();
    ["http://", "https://", "git://", "git@"]
        .iter()
        .any(|prefix| lower.starts_with(prefix))
}

/// Whether a relative path's lexical normalisation climbs above its root.
fn escapes_root(path: &str, escape: char) -> bool {
    let mut depth = 0usize;
    let separators: &[char] = match escape {
        '\\' => &['/'],
        _ => &['/', '\\'],
    };
    for segment in path.split(separators) {
        match segment {
            "" | "." => {}
            ".." => match depth.checked_sub(1) {
                Some(d) => depth = d,
                None => return true,
            },
            _ => depth += 1,
        }
    }
    false
}

/// The source operands of a COPY/ADD (all but the destination), unquoted,
/// without heredoc markers.
fn copy_sources(ins: &Instruction, escape: char) -> Vec<String> {
    match &ins.args {
        Args::Exec(list) => list.split_last().map_or(Vec::new(), |(_, s)| s.to_vec()),
        Args::Shell(text) => {
            let words = raw_words(text, escape);
            let Some((_, sources)) = words.split_last() else {
                return Vec::new();
            };
            sources
                .iter()
                .filter(|w| ins.heredocs.is_empty() || heredoc_marker(w).is_none())
                .map(|w| unquote(w, escape).0)
                .collect()
        }
    }
}

/// PKG105, PKG107.
fn check_sources(ins: &Instruction, escape: char, out: &mut Findings<'_>) {
    let from_elsewhere = ins.flag("from").is_some();
    let verified = ins.flag("checksum").is_some_and(|f| f.value.is_some());
    for source in copy_sources(ins, escape) {
        if is_remote(&source) {
            if ins.keyword == "ADD" && !verified {
                out.push(
                    ins,
                    "PKG105",
                    format!(
                        "ADD downloads {} without verifying it; use ADD --checksum=sha256:<hash> or curl in RUN with a checksum check",
                        quote(&source)
                    ),
                );
            }
            continue;
        }
        if from_elsewhere {
            continue;
        }
        if source.starts_with('/') {
            out.push(
                ins,
                "PKG107",
                format!(
                    "{} source {} is an absolute path; sources are relative to the build context",
                    ins.keyword,
                    quote(&source)
                ),
            );
        } else if !source.contains('$') && escapes_root(&source, escape) {
            out.push(
                ins,
                "PKG107",
                format!(
                    "{} source {} is outside the build context; Docker only sees files inside it",
                    ins.keyword,
                    quote(&source)
                ),
            );
        }
    }
}

/// Words in variable names that mark a secret.
pub(crate) const SECRET_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "SECRET",
    "TOKEN",
    "API_KEY",
    "APIKEY",
    "PRIVATE_KEY",
    "ACCESS_KEY",
    "CREDENTIALS",
];

/// Whether a variable name looks like it holds a secret. A word must not run
/// on into a letter of the same case (`TOKENIZERS`, `SECRETS` do not match;
/// `apiTokenValue` does), and names of files or paths (`*_FILE`, `*_PATH`,
/// `*_DIR`) are fine.
pub(crate) fn is_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    if ["_FILE", "_PATH", "_DIR"]
        .iter()
        .any(|s| upper.ends_with(s))
    {
        return false;
    }
    let bytes = name.as_bytes();
    let up = upper.as_bytes();
    // Whether the occurrence of a word at `at` ends where a word ends.
    let ends_a_word = |at: usize, len: usize| {
        let end = at + len;
        let last = bytes[end - 1];
        match bytes.get(end) {
            Some(next) if next.is_ascii_alphabetic() => {
                next.is_ascii_lowercase() != last.is_ascii_lowercase()
            }
            _ => true,
        }
    };
    // Occurrences left to right, not overlapping (as `match_indices` finds
    // them), by a byte loop: names are short, and a substring searcher per
    // word per name cost more to set up than the search.
    SECRET_WORDS.iter().any(|word| {
        let w = word.as_bytes();
        let mut at = 0;
        while at + w.len() <= up.len() {
            if up[at] == w[0] && &up[at..at + w.len()] == w {
                if ends_a_word(at, w.len()) {
                    return true;
                }
                at += w.len();
            } else {
                at += 1;
            }
        }
        false
    })
}

/// Whether `count` bytes from `from` all satisfy `ok`.
fn run_of(bytes: &[u8], from: usize, count: usize, ok: fn(&u8) -> bool) -> bool {
    bytes
        .get(from..)
        .is_some_and(|rest| rest.len() >= count && rest[..count].iter().all(ok))
}

/// What kind of credential `text` contains, if any: GitHub, GitLab, Slack
/// tokens, AWS access key ids, PEM private keys. When several are there, the
/// first kind of that list is named.
///
/// One pass over the bytes, every position a candidate (overlapping
/// occurrences too, as in "xoxoxb-..."): each prefix starts with one of four
/// bytes, so most positions cost one comparison. (A substring searcher per
/// prefix costs more to set up than the short texts it would search, and a
/// scan per prefix read every instruction eleven times.)
pub(crate) fn token_kind(text: &str) -> Option<&'static str> {
    const KINDS: [&str; 5] = [
        "GitHub token",
        "GitLab token",
        "AWS access key id",
        "Slack token",
        "private key",
    ];
    let b = text.as_bytes();
    let mut best = KINDS.len();
    for at in 0..b.len() {
        let rank = match b[at] {
            b'g' => github_or_gitlab(b, at),
            b'A' => aws_key(b, at).then_some(2),
            b'x' => slack_token(b, at).then_some(3),
            b'-' => pem_private_key(b, at).then_some(4),
            _ => None,
        };
        match rank {
            Some(0) => return Some(KINDS[0]),
            Some(rank) => best = best.min(rank),
            None => {}
        }
    }
    KINDS.get(best).copied()
}

fn alnum(c: &u8) -> bool {
    c.is_ascii_alphanumeric()
}

fn upper_digit(c: &u8) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit()
}

fn word_byte(c: &u8) -> bool {
    c.is_ascii_alphanumeric() || *c == b'_'
}

fn dashed(c: &u8) -> bool {
    c.is_ascii_alphanumeric() || *c == b'_' || *c == b'-'
}

/// At a `g`: 0 for a GitHub token (`gh[pousr]_` and 36 alphanumerics, or
/// `github_pat_` and 22 word bytes), 1 for a GitLab one (`glpat-` and 20).
fn github_or_gitlab(b: &[u8], at: usize) -> Option<usize> {
    let rest = &b[at..];
    if rest.len() >= 4 && rest[1] == b'h' && b"pousr".contains(&rest[2]) && rest[3] == b'_' {
        return run_of(b, at + 4, 36, alnum).then_some(0);
    }
    if rest.starts_with(b"github_pat_") {
        return run_of(b, at + 11, 22, word_byte).then_some(0);
    }
    if rest.starts_with(b"glpat-") {
        return run_of(b, at + 6, 20, dashed).then_some(1);
    }
    None
}

/// At an `A`: `AKIA` or `ASIA` and 16 uppercase letters or digits, as a
/// whole word of those.
fn aws_key(b: &[u8], at: usize) -> bool {
    let rest = &b[at..];
    (rest.starts_with(b"AKIA") || rest.starts_with(b"ASIA"))
        && run_of(b, at + 4, 16, upper_digit)
        && !b.get(at + 20).is_some_and(upper_digit)
        && !(at > 0 && upper_digit(&b[at - 1]))
}

/// At an `x`: `xox`, one of `abprs`, `-` and ten more token bytes.
fn slack_token(b: &[u8], at: usize) -> bool {
    b[at..].starts_with(b"xox")
        && b.get(at + 3).is_some_and(|c| b"abprs".contains(c))
        && b.get(at + 4) == Some(&b'-')
        && run_of(b, at + 5, 10, dashed)
}

/// At a `-`: `-----BEGIN ` with `PRIVATE KEY-----` in the next 100 bytes.
fn pem_private_key(b: &[u8], at: usize) -> bool {
    const BEGIN: &[u8] = b"-----BEGIN ";
    if !b[at..].starts_with(BEGIN) {
        return false;
    }
    let from = at + BEGIN.len();
    b[from..b.len().min(from + 100)]
        .windows(16)
        .any(|w| w == b"PRIVATE KEY-----")
}

/// PKG106.
fn check_secrets(ins: &Instruction, escape: char, out: &mut Findings<'_>) {
    let advice = "use RUN --mount=type=secret instead";
    if ins.keyword == "ENV" || ins.keyword == "ARG" {
        for (name, value) in ins.key_values(escape) {
            let value = value.unwrap_or_default();
            let message = if let Some(kind) = token_kind(&value) {
                format!(
                    "{} {} holds what looks like a {kind}; {advice}",
                    ins.keyword,
                    quote(&name)
                )
            } else if !is_secret_name(&name) {
                continue;
            } else if ins.keyword == "ARG" {
                format!(
                    "build arg {} looks like a secret and build args stay in the image history; {advice}",
                    quote(&name)
                )
            } else if value.is_empty() || value.starts_with('/') {
                continue;
            } else {
                format!(
                    "ENV {} looks like a secret and is baked into the image; pass it at run time or {advice}",
                    quote(&name)
                )
            };
            out.push(ins, "PKG106", message);
        }
        return;
    }
    let kind = match &ins.args {
        Args::Shell(text) => token_kind(text),
        Args::Exec(list) => list.iter().find_map(|s| token_kind(s)),
    }
    .or_else(|| ins.heredocs.iter().find_map(|h| token_kind(&h.body)));
    if let Some(kind) = kind {
        out.push(
            ins,
            "PKG106",
            format!(
                "{} contains what looks like a {kind}; remove it and {advice}",
                ins.keyword
            ),
        );
    }
}
