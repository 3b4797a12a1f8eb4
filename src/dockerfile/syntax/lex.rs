//! Word-level helpers shared by the parser and the checks: splitting words
//! with quotes, unquoting, builder flags, heredoc markers, `$VAR` expansion.
//! Everything walks `char`s, so no slice ever falls inside a character.

use std::borrow::Cow;

use crate::values::hash::Map;

/// Build arguments and environment variables by name, with their values
/// (`None`: declared without one).
///
/// Keyed by the process's own hash keys ([`crate::values::hash`]): with
/// keys anyone knows, names can be made to collide (20,000 such `ARG`s took
/// `verify` 20 s on one Dockerfile with a multiply-rotate hash, against 0.6 s
/// for as many ordinary names).
pub(crate) type Vars = Map<String, Option<String>>;

use super::Flag;

/// Whether `text` holds a quote (`'`, `"`) or the escape character, the
/// only characters that make [`raw_words`] and [`unquote`] more than a split
/// and a copy.
pub(crate) fn has_quote_or(text: &str, escape: char) -> bool {
    // The escape character is `\` or `` ` ``; any other (not ASCII) is
    // answered the slow way rather than looked for byte by byte.
    if !escape.is_ascii() {
        return true;
    }
    let escape = escape as u8;
    text.bytes().any(|c| c == b'\'' || c == b'"' || c == escape)
}

/// Whether an ASCII byte is whitespace as `char::is_whitespace` has it: tab,
/// line feed, vertical tab, form feed, carriage return, space. (Not
/// `u8::is_ascii_whitespace`, which leaves out the vertical tab.)
pub(crate) fn is_ascii_space(c: u8) -> bool {
    matches!(c, b'\t'..=b'\r' | b' ')
}

/// `s.trim_start()`: ASCII whitespace skipped by bytes, `str::trim_start`
/// from the first byte that is not ASCII.
pub(crate) fn trim_start_ws(s: &str) -> &str {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && is_ascii_space(b[i]) {
        i += 1;
    }
    // `i` follows ASCII bytes only, so it is a character boundary.
    let rest = &s[i..];
    match rest.as_bytes().first() {
        Some(&c) if c >= 0x80 => rest.trim_start(),
        _ => rest,
    }
}

/// `s.trim_end()`: ASCII whitespace dropped by bytes, `str::trim_end` from
/// the last byte that is not ASCII.
pub(crate) fn trim_end_ws(s: &str) -> &str {
    let b = s.as_bytes();
    let mut end = b.len();
    while end > 0 && is_ascii_space(b[end - 1]) {
        end -= 1;
    }
    // Only ASCII bytes were dropped, so `end` is a character boundary.
    let head = &s[..end];
    match head.as_bytes().last() {
        Some(&c) if c >= 0x80 => head.trim_end(),
        _ => head,
    }
}

/// `s.trim()`, as [`trim_start_ws`] and [`trim_end_ws`].
pub(crate) fn trim_ws(s: &str) -> &str {
    trim_end_ws(trim_start_ws(s))
}

/// `s.find(char::is_whitespace)`: by bytes up to the first one that is not
/// ASCII, by characters from there.
pub(crate) fn find_ws(s: &str) -> Option<usize> {
    for (i, &c) in s.as_bytes().iter().enumerate() {
        if is_ascii_space(c) {
            return Some(i);
        }
        if c >= 0x80 {
            // Every byte before `i` is ASCII: `i` starts a character.
            return s[i..].find(char::is_whitespace).map(|at| i + at);
        }
    }
    None
}

/// The runs between ASCII whitespace of a text, by bytes: for an ASCII text
/// what `split(char::is_whitespace)` without the empty pieces gives, without
/// a character searcher (and how BuildKit splits `FROM` and a keyword's
/// first words, at ASCII whitespace only).
pub(crate) fn ascii_words(text: &str) -> impl Iterator<Item = &str> {
    let b = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < b.len() && is_ascii_space(b[i]) {
            i += 1;
        }
        let start = i;
        while i < b.len() && !is_ascii_space(b[i]) {
            i += 1;
        }
        // Both ends are at ASCII bytes (or the end), so they are character boundaries.
        (start < i).then(|| &text[start..i])
    })
}

/// Split `text` into words at unquoted whitespace, keeping quotes and escapes
/// in the words (BuildKit's `parseWords`).
pub(crate) fn raw_words(text: &str, escape: char) -> Vec<Cow<'_, str>> {
    if !has_quote_or(text, escape) {
        // Nothing to keep together: the words are the runs between whitespace,
        // slices of the text (most instructions; char by char below cost a
        // push per character).
        if text.is_ascii() {
            return ascii_words(text).map(Cow::Borrowed).collect();
        }
        return text
            .split(char::is_whitespace)
            .filter(|w| !w.is_empty())
            .map(Cow::Borrowed)
            .collect();
    }
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if let Some(q) = quote {
            if c == q {
                quote = None;
                word.push(c);
            } else if c == escape && q != '\'' {
                word.push(c);
                if let Some(next) = chars.next() {
                    word.push(next);
                }
            } else {
                word.push(c);
            }
            continue;
        }
        if c.is_whitespace() {
            if in_word {
                words.push(Cow::Owned(std::mem::take(&mut word)));
                in_word = false;
            }
            continue;
        }
        in_word = true;
        if c == '\'' || c == '"' {
            quote = Some(c);
            word.push(c);
        } else if c == escape {
            if let Some(next) = chars.next() {
                word.push(c);
                word.push(next);
            }
        } else {
            word.push(c);
        }
    }
    if in_word {
        words.push(Cow::Owned(word));
    }
    words
}

/// Remove quotes and escapes from a word; the flag says whether it had quotes.
pub(crate) fn unquote(word: &str, escape: char) -> (Cow<'_, str>, bool) {
    if !has_quote_or(word, escape) {
        return (Cow::Borrowed(word), false);
    }
    let mut out = String::with_capacity(word.len());
    let mut quoted = false;
    let mut chars = word.chars();
    while let Some(c) = chars.next() {
        if c == escape {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else if c == '\'' {
            quoted = true;
            for next in chars.by_ref() {
                if next == '\'' {
                    break;
                }
                out.push(next);
            }
        } else if c == '"' {
            quoted = true;
            while let Some(next) = chars.next() {
                if next == '"' {
                    break;
                }
                if next == escape {
                    match chars.next() {
                        Some(m) if m == '"' || m == '$' || m == escape => out.push(m),
                        Some(m) => {
                            out.push(next);
                            out.push(m);
                        }
                        None => out.push(next),
                    }
                } else {
                    out.push(next);
                }
            }
        } else {
            out.push(c);
        }
    }
    (Cow::Owned(out), quoted)
}

/// If `line` ends with the escape character (then only spaces or tabs), the
/// line without it and `true`; otherwise the line and `false`.
pub(crate) fn trim_continuation(line: &str, escape: char) -> (&str, bool) {
    let trimmed = line.trim_end_matches([' ', '\t']);
    match trimmed.strip_suffix(escape) {
        Some(rest) => (rest, true),
        None => (line, false),
    }
}

/// Split leading `--name[=value]` flags off an instruction's arguments
/// (BuildKit's `extractBuilderFlags`): the flags and the rest of the text.
/// A flag without quotes or backslashes (most) is a slice of `text`.
pub(crate) fn extract_flags(text: &str) -> (Vec<Flag<'_>>, &str) {
    let mut flags = Vec::new();
    let mut pos = 0;
    loop {
        let rest = trim_start_ws(&text[pos..]);
        pos = text.len() - rest.len();
        if !rest.starts_with("--") {
            return (flags, rest);
        }
        let plain = rest
            .find(|c: char| c.is_whitespace() || matches!(c, '\'' | '"' | '\\'))
            .unwrap_or(rest.len());
        let (word, len) = match rest[plain..].chars().next() {
            Some(c) if !c.is_whitespace() => unquoted_flag(rest),
            _ => (Cow::Borrowed(&rest[..plain]), plain),
        };
        pos += len;
        if word == "--" {
            return (flags, trim_start_ws(&text[pos..]));
        }
        flags.push(match word {
            Cow::Borrowed(word) => {
                let (name, value) = flag_parts(word);
                Flag {
                    name: Cow::Borrowed(name),
                    value: value.map(Cow::Borrowed),
                }
            }
            Cow::Owned(word) => {
                let (name, value) = flag_parts(&word);
                Flag {
                    name: Cow::Owned(name.to_string()),
                    value: value.map(|v| Cow::Owned(v.to_string())),
                }
            }
        });
    }
}

/// A flag word's name (without `--`) and its value after `=`, if any.
fn flag_parts(word: &str) -> (&str, Option<&str>) {
    let body = word.strip_prefix("--").unwrap_or(word);
    match body.split_once('=') {
        Some((name, value)) => (name, Some(value)),
        None => (body, None),
    }
}

/// The first word of `text` with its quotes and backslashes removed, and
/// the bytes it took: quotes keep whitespace in the word, and a backslash,
/// in quotes or not, takes the next character as it is.
fn unquoted_flag(text: &str) -> (Cow<'_, str>, usize) {
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut chars = text.char_indices();
    while let Some((at, c)) = chars.next() {
        if let Some(q) = quote {
            if c == q {
                quote = None;
            } else if c == '\\' {
                if let Some((_, next)) = chars.next() {
                    word.push(next);
                }
            } else {
                word.push(c);
            }
        } else if c.is_whitespace() {
            return (Cow::Owned(word), at);
        } else if c == '\'' || c == '"' {
            quote = Some(c);
        } else if c == '\\' {
            if let Some((_, next)) = chars.next() {
                word.push(next);
            }
        } else {
            word.push(c);
        }
    }
    (Cow::Owned(word), text.len())
}

/// A heredoc opened by a word such as `<<EOF`, `<<-EOF`, `<<"EOF"`, `3<<EOF`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HeredocMarker {
    pub name: String,
    pub chomp: bool,
    pub expand: bool,
}

/// The heredoc marker in one raw word, matching `^(\d*)<<(-?)([^<]*)$`.
pub(crate) fn heredoc_marker(word: &str) -> Option<HeredocMarker> {
    let rest = word.trim_start_matches(|c: char| c.is_ascii_digit());
    let rest = rest.strip_prefix("<<")?;
    let (chomp, rest) = match rest.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, rest),
    };
    if rest.is_empty() || rest.contains('<') {
        return None;
    }
    let (name, quoted) = unquote(rest, '\\');
    if name.is_empty() {
        return None;
    }
    Some(HeredocMarker {
        name: name.into_owned(),
        chomp,
        expand: !quoted,
    })
}

/// The heredocs an instruction's text opens, in order: each word that is a
/// marker (`<<EOF`), and a `<<` (or `3<<`) standing alone, which names the
/// heredoc with the word after it (`cat << EOF`), as BuildKit reads them.
pub(crate) fn heredoc_markers(text: &str) -> Vec<HeredocMarker> {
    let words = raw_words(text, '\\');
    let mut markers = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let word = &words[i];
        i += 1;
        let marker = match word.trim_start_matches(|c: char| c.is_ascii_digit()) == "<<" {
            true => words.get(i).and_then(|name| {
                i += 1;
                heredoc_marker(&format!("<<{name}"))
            }),
            false => heredoc_marker(word),
        };
        markers.extend(marker);
    }
    markers
}

/// Expand `$NAME`, `${NAME}`, `${NAME:-word}`, `${NAME-word}`, `${NAME:+word}`
/// and `${NAME+word}` with `vars` (name → default, `None` when declared
/// without one). `None` when any variable cannot be resolved.
pub(crate) fn expand(text: &str, vars: &Vars) -> Option<String> {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    loop {
        // The text up to the next `\` or `$` is copied as it is, in one piece.
        // (Both are ASCII, so every index here is a character boundary.)
        let run = b[i..]
            .iter()
            .position(|&c| c == b'\\' || c == b'$')
            .map_or(b.len(), |at| i + at);
        out.push_str(&text[i..run]);
        i = run;
        if i == b.len() {
            return Some(out);
        }
        if b[i] == b'\\' {
            // The escaped character, whatever it is; nothing when the text ends.
            if let Some(next) = text[i + 1..].chars().next() {
                out.push(next);
                i += 1 + next.len_utf8();
            } else {
                i += 1;
            }
            continue;
        }
        match b.get(i + 1) {
            Some(b'{') => {
                let inner_start = i + 2;
                let close = inner_start + text[inner_start..].find('}')?;
                out.push_str(&expand_braced(&text[inner_start..close], vars)?);
                i = close + 1;
            }
            Some(&first) if first == b'_' || first.is_ascii_alphabetic() => {
                let name_end = b[i + 1..]
                    .iter()
                    .position(|&c| c != b'_' && !c.is_ascii_alphanumeric())
                    .map_or(b.len(), |at| i + 1 + at);
                out.push_str(vars.get(&text[i + 1..name_end])?.as_deref()?);
                i = name_end;
            }
            _ => {
                out.push('$');
                i += 1;
            }
        }
    }
}

pub(crate) fn expand_braced(inner: &str, vars: &Vars) -> Option<String> {
    let name_len = inner
        .find(|c: char| c != '_' && !c.is_ascii_alphanumeric())
        .unwrap_or(inner.len());
    let (name, op) = inner.split_at(name_len);
    if name.is_empty() {
        return None;
    }
    let value = vars.get(name).and_then(|v| v.as_deref());
    let literal = |word: &str| (!word.contains('$')).then(|| word.to_string());
    if op.is_empty() {
        return value.map(str::to_string);
    }
    if let Some(word) = op.strip_prefix(":-") {
        return match value {
            Some(v) if !v.is_empty() => Some(v.to_string()),
            _ => literal(word),
        };
    }
    if let Some(word) = op.strip_prefix(":+") {
        return match value {
            Some(v) if !v.is_empty() => literal(word),
            _ => Some(String::new()),
        };
    }
    if let Some(word) = op.strip_prefix('-') {
        return match value {
            Some(v) => Some(v.to_string()),
            None => literal(word),
        };
    }
    if let Some(word) = op.strip_prefix('+') {
        return match value {
            Some(_) => literal(word),
            None => Some(String::new()),
        };
    }
    None
}
