//! The line-level parser, following BuildKit's `parser.Parse`.

use std::borrow::Cow;

use super::lex::{
    extract_flags, find_ws, heredoc_markers, trim_continuation, trim_start_ws, trim_ws,
};
use super::{Args, Directive, Dockerfile, Flag, Heredoc, Instruction, Pairs};

/// Directives BuildKit knows; any other `# name=value` ends the directives.
const DIRECTIVES: &[&str] = &["syntax", "escape", "check"];

/// Instructions whose arguments may be in exec (JSON) form.
const JSON_FORM: &[&str] = &["RUN", "CMD", "ENTRYPOINT", "SHELL", "COPY", "ADD", "VOLUME"];

/// Instructions that may open heredocs (an ONBUILD trigger opens them as
/// its instruction would: `ONBUILD RUN <<EOF`).
const HEREDOC_FORM: &[&str] = &["RUN", "COPY", "ADD", "ONBUILD"];

/// One physical line: its text without the line break (and without a BOM on
/// line 1) and the byte offset of that text.
struct Line<'a> {
    text: &'a str,
    start: usize,
}

fn split_lines(text: &str) -> Vec<Line<'_>> {
    let mut lines = Vec::with_capacity(text.bytes().filter(|&b| b == b'\n').count() + 1);
    let mut offset = 0;
    // A final line break ends the last line; it does not open an empty one.
    let text = text.strip_suffix('\n').unwrap_or(text);
    for raw in text.split('\n') {
        let mut start = offset;
        offset += raw.len() + 1;
        let mut body = raw.trim_end_matches('\r');
        if start == 0 {
            if let Some(rest) = body.strip_prefix('\u{feff}') {
                body = rest;
                start = '\u{feff}'.len_utf8();
            }
        }
        lines.push(Line { text: body, start });
    }
    lines
}

/// `# name = value` (the line already left-trimmed), as BuildKit's
/// `^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$`.
fn directive(line: &str) -> Option<(String, &str)> {
    let rest = trim_start_ws(line.strip_prefix('#')?);
    let name_len = rest
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(rest.len());
    let (name, rest) = rest.split_at(name_len);
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let value = trim_ws(trim_start_ws(rest).strip_prefix('=')?);
    if value.is_empty() {
        return None;
    }
    Some((name.to_ascii_lowercase(), value))
}

fn is_comment(line: &str) -> bool {
    trim_start_ws(line).starts_with('#')
}

/// An instruction's text (continuation lines joined) split into its
/// uppercase keyword, its flags and its arguments, slices of `joined` where
/// the text holds them as they are. An empty keyword: nothing but space.
fn split(joined: &str) -> (Cow<'_, str>, Vec<Flag<'_>>, Args<'_>) {
    let joined = trim_ws(joined);
    let (keyword, rest) = match find_ws(joined) {
        Some(at) => joined.split_at(at),
        None => (joined, ""),
    };
    let keyword = match keyword.bytes().any(|c| c.is_ascii_lowercase()) {
        true => Cow::Owned(keyword.to_ascii_uppercase()),
        false => Cow::Borrowed(keyword),
    };
    let (flags, rest) = extract_flags(rest);
    let rest = trim_ws(rest);
    let args = match JSON_FORM.contains(&&*keyword) && rest.starts_with('[') {
        true => match serde_json::from_str::<Vec<String>>(rest) {
            Ok(list) => Args::Exec(list),
            Err(_) => Args::Shell(Cow::Borrowed(rest)),
        },
        false => Args::Shell(Cow::Borrowed(rest)),
    };
    (keyword, flags, args)
}

/// Parse a Dockerfile. Never fails: what BuildKit would reject (unknown
/// instructions, unterminated heredocs, bad JSON) is kept as well as it can be.
pub fn parse(text: &str) -> Dockerfile<'_> {
    let lines = split_lines(text);
    let mut escape = '\\';
    let mut directives: Vec<Directive> = Vec::new();
    let mut directives_done = false;
    let mut instructions = Vec::with_capacity(lines.len());
    let mut next = 0;
    while next < lines.len() {
        let line = &lines[next];
        next += 1;
        let number = next;
        let trimmed = trim_start_ws(line.text);
        if !directives_done {
            match directive(trimmed) {
                Some((name, value))
                    if DIRECTIVES.contains(&name.as_str())
                        && !directives.iter().any(|d| d.name == name) =>
                {
                    if name == "escape" {
                        match value {
                            "\\" => escape = '\\',
                            "`" => escape = '`',
                            _ => {}
                        }
                    }
                    directives.push(Directive {
                        name,
                        value: value.to_string(),
                        line: number,
                    });
                    continue;
                }
                _ => directives_done = true,
            }
        }
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let start = line.start + (line.text.len() - trimmed.len());
        let (first, mut more) = trim_continuation(trimmed, escape);
        // One line is a slice of the text; only continuation lines are joined.
        let mut joined = Cow::Borrowed(first);
        let mut end_line = number;
        let mut end = line.start + line.text.len();
        let mut empty_line = false;
        while more && next < lines.len() {
            let cont = &lines[next];
            next += 1;
            if is_comment(cont.text) {
                continue;
            }
            if trim_ws(cont.text).is_empty() {
                empty_line = true;
                continue;
            }
            let (piece, again) = trim_continuation(cont.text, escape);
            joined.to_mut().push_str(piece);
            more = again;
            end_line = next;
            end = cont.start + cont.text.len();
        }
        // BuildKit reports an empty continuation line at the last line it read.
        let empty_continuation = if empty_line { next } else { 0 };
        let (keyword, flags, args) = match &joined {
            Cow::Borrowed(joined) => split(joined),
            Cow::Owned(joined) => {
                let (keyword, flags, args) = split(joined);
                (
                    Cow::Owned(keyword.into_owned()),
                    flags.into_iter().map(Flag::into_owned).collect(),
                    args.into_owned(),
                )
            }
        };
        if keyword.is_empty() {
            continue;
        }
        let mut heredocs = Vec::new();
        // Markers are looked for in the whole instruction, its continuation
        // lines too; the bodies follow its last line.
        if HEREDOC_FORM.contains(&&*keyword)
            && matches!(args, Args::Shell(_))
            && joined.as_bytes().windows(2).any(|pair| pair == b"<<")
        {
            for marker in heredoc_markers(&joined) {
                let mut body = String::new();
                let mut closed = false;
                while next < lines.len() {
                    let body_line = &lines[next];
                    next += 1;
                    end_line = next;
                    end = body_line.start + body_line.text.len();
                    let content = match marker.chomp {
                        true => body_line.text.trim_start_matches('\t'),
                        false => body_line.text,
                    };
                    if content == marker.name {
                        closed = true;
                        break;
                    }
                    body.push_str(content);
                    body.push('\n');
                }
                heredocs.push(Heredoc {
                    delimiter: marker.name,
                    body,
                    expand: marker.expand,
                    closed,
                });
            }
        }
        instructions.push(Instruction {
            keyword,
            flags,
            args,
            heredocs,
            line: number,
            end_line,
            start,
            end,
            empty_continuation,
            escape,
            pairs: Pairs::default(),
        });
    }
    Dockerfile {
        escape,
        directives,
        instructions,
    }
}
