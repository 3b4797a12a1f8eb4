//! The registry in its common shape, read and written without serde.
//!
//! Almost every registry on disk is what this tool wrote: an object with
//! `version`, `updatedAt` and `targets`, each target holding only known keys
//! with plain string values. For that shape a direct byte scanner and a
//! direct writer do the work of [`crate::registry::parse`] and
//! [`crate::registry::Registry::render`] in a fraction of the instructions,
//! which matters most in WebAssembly's baseline tier, where a one-shot
//! command spends its life.
//!
//! Both are strictly partial: anything outside the shape (an escape, a
//! number other than `1`, an unknown or repeated key, a missing `id` or
//! `type`, a syntax error, ...) makes them answer `None`, and the caller
//! takes the general serde path, which owns every message and every edge
//! case. So whenever they answer, they answer exactly what the general path
//! would: `tests/fuzz.rs` checks that property on generated registries.

use crate::registry::{Registry, Summary, Target, FORMAT_VERSION};
use serde_json::Value;

/// Parse `text` when it has the common shape and no problem at all.
pub fn parse(text: &str) -> Option<Registry> {
    scan(text, true, &mut 0)
}

/// [`parse`]'s checks, for the commands that only count targets: `updatedAt`
/// and the number of targets, without the targets themselves (no value is
/// copied out of the text, and no target is stored). It answers exactly
/// when [`parse`] does.
pub fn check(text: &str) -> Option<Summary> {
    let mut counted = 0;
    let registry = scan(text, false, &mut counted)?;
    Some(Summary {
        updated_at: registry.updated_at,
        targets: counted,
    })
}

fn scan(text: &str, values: bool, counted: &mut usize) -> Option<Registry> {
    let mut s = Scanner {
        b: text.as_bytes(),
        i: 0,
        text,
        values,
        counted: 0,
    };
    let registry = s.registry()?;
    s.ws();
    *counted = s.counted;
    (s.i == s.b.len()).then_some(registry)
}

const SPACES: u64 = u64::from_le_bytes([b' '; 8]);
const ONES: u64 = u64::from_le_bytes([0x01; 8]);
const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);

/// Eight bytes at `i`, little-endian, when there are eight.
#[inline(always)]
fn word(b: &[u8], i: usize) -> Option<u64> {
    let chunk: [u8; 8] = b.get(i..i + 8)?.try_into().ok()?;
    Some(u64::from_le_bytes(chunk))
}

/// Per byte of `w`, the high bit set where the byte is below `n` (n <= 0x80).
/// Only the lowest flagged byte is exact (a borrow may flag bytes above it),
/// which is the one the scanner uses.
#[inline(always)]
fn below(w: u64, n: u8) -> u64 {
    w.wrapping_sub(ONES * u64::from(n)) & !w & HIGHS
}

/// The bytes that end a plain string: `"`, `\`, control characters.
#[inline(always)]
fn special(w: u64) -> u64 {
    below(w ^ (ONES * u64::from(b'"')), 1)
        | below(w ^ (ONES * u64::from(b'\\')), 1)
        | below(w, 0x20)
}

/// Up to eight bytes as a little-endian word and the mask that selects them.
const fn literal(s: &[u8]) -> (u64, u64) {
    let mut value = 0u64;
    let mut i = 0;
    while i < s.len() {
        value |= (s[i] as u64) << (8 * i);
        i += 1;
    }
    let mask = if s.len() >= 8 {
        u64::MAX
    } else {
        (1u64 << (8 * s.len())) - 1
    };
    (value, mask)
}

const ID: (u64, u64) = literal(b"id\"");
const TYPE: (u64, u64) = literal(b"type\"");
const MODULE: (u64, u64) = literal(b"module\"");
const DOCKERFI: u64 = literal(b"dockerfi").0;
/// The last eight bytes of `dockerfile"`.
const KERFILE: u64 = literal(b"kerfile\"").0;
const CONTEXT: (u64, u64) = literal(b"context\"");
const IMAGE: (u64, u64) = literal(b"image\"");
const ADDED: (u64, u64) = literal(b"addedAt\"");
/// The index [`Scanner::target_key`] gives `addedAt` (after the six string fields).
const ADDED_AT: usize = 6;

struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
    text: &'a str,
    /// Whether the targets are kept, with their values copied out (else
    /// only checked and counted).
    values: bool,
    /// The targets checked so far.
    counted: usize,
}

impl<'a> Scanner<'a> {
    /// Skip JSON whitespace (the four bytes RFC 8259 allows). Indentation
    /// comes in runs of spaces, measured eight bytes at a time.
    /// Most tokens follow the one before directly: one byte is looked at
    /// before any word.
    #[inline(always)]
    fn ws(&mut self) {
        loop {
            match self.b.get(self.i) {
                Some(b' ') => match word(self.b, self.i) {
                    // The first byte is a space, so this moves on by one at least.
                    Some(w) => self.i += ((w ^ SPACES).trailing_zeros() / 8) as usize,
                    None => self.i += 1,
                },
                Some(b'\n' | b'\r' | b'\t') => self.i += 1,
                _ => break,
            }
        }
    }

    /// The next byte after whitespace, consumed.
    #[inline(always)]
    fn next(&mut self) -> Option<u8> {
        self.ws();
        let c = *self.b.get(self.i)?;
        self.i += 1;
        Some(c)
    }

    #[inline(always)]
    fn eat(&mut self, want: u8) -> Option<()> {
        (self.next()? == want).then_some(())
    }

    /// A string without escapes or control characters (after its opening quote
    /// was consumed), borrowed from the text. Scanned eight bytes at a time.
    fn plain_str(&mut self) -> Option<&'a str> {
        let start = self.i;
        let mut end = start;
        while let Some(w) = word(self.b, end) {
            let hits = special(w);
            if hits != 0 {
                end += (hits.trailing_zeros() / 8) as usize;
                return self.close_str(start, end);
            }
            end += 8;
        }
        while let Some(&c) = self.b.get(end) {
            if c == b'"' || c == b'\\' || c < 0x20 {
                return self.close_str(start, end);
            }
            end += 1;
        }
        None
    }

    /// The string ends at `end` if the byte there is its closing quote.
    #[inline(always)]
    fn close_str(&mut self, start: usize, end: usize) -> Option<&'a str> {
        if self.b[end] != b'"' {
            return None;
        }
        self.i = end + 1;
        // SAFETY: `start` follows an ASCII quote and `end` is at one, both
        // inside `self.text` (`end < self.b.len()` was just indexed), so both
        // are character boundaries of that `str`.
        Some(unsafe { self.text.get_unchecked(start..end) })
    }

    /// A key: `"..."` followed by `:`.
    fn key(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let k = self.plain_str()?;
        self.eat(b':')?;
        Some(k)
    }

    /// A target key and its `:`, as the index of its field in
    /// [`crate::registry::TARGET_KEYS`]: matched in place against the known
    /// keys (with their closing quote) eight bytes at a time, without
    /// scanning the key as a string first.
    fn target_key(&mut self) -> Option<usize> {
        self.eat(b'"')?;
        let w = word(self.b, self.i)?;
        let is = |(value, mask): (u64, u64)| w & mask == value;
        let (key, len) = match w as u8 {
            b'i' if is(ID) => (0, 3),
            b't' if is(TYPE) => (1, 5),
            b'm' if is(MODULE) => (2, 7),
            b'd' if w == DOCKERFI && word(self.b, self.i + 3) == Some(KERFILE) => (3, 11),
            b'c' if is(CONTEXT) => (4, 8),
            b'i' if is(IMAGE) => (5, 6),
            b'a' if is(ADDED) => (ADDED_AT, 8),
            _ => return None,
        };
        self.i += len;
        self.eat(b':')?;
        Some(key)
    }

    /// After a member: `,` (more follow: true) or the closing byte (false).
    #[inline(always)]
    fn more(&mut self, close: u8) -> Option<bool> {
        match self.next()? {
            b',' => Some(true),
            c if c == close => Some(false),
            _ => None,
        }
    }

    /// A plain string, borrowed, or `null` (`None`).
    fn str_or_null(&mut self) -> Option<Option<&'a str>> {
        match self.next()? {
            b'"' => Some(Some(self.plain_str()?)),
            b'n' if self.b.get(self.i..self.i + 3) == Some(b"ull") => {
                self.i += 3;
                Some(None)
            }
            _ => None,
        }
    }

    fn registry(&mut self) -> Option<Registry> {
        self.eat(b'{')?;
        let mut r = Registry::default();
        let mut targets = false;
        self.ws();
        if matches!(self.b.get(self.i), Some(b'}')) {
            return None;
        }
        loop {
            match self.key()? {
                "version" if r.version.is_none() => {
                    // Exactly `1`: any other number is a problem (or another spelling).
                    self.eat(b'1')?;
                    if self.b.get(self.i).is_some_and(u8::is_ascii_digit)
                        || matches!(self.b.get(self.i), Some(b'.' | b'e' | b'E'))
                    {
                        return None;
                    }
                    r.version = Some(Value::from(FORMAT_VERSION));
                }
                "updatedAt" if r.updated_at.is_none() => {
                    r.updated_at = Some(json_str_or_null(self.str_or_null()?));
                }
                "targets" if !targets => {
                    targets = true;
                    r.targets = self.targets()?;
                }
                _ => return None,
            }
            if !self.more(b'}')? {
                break;
            }
        }
        (r.version.is_some() && targets).then_some(r)
    }

    fn targets(&mut self) -> Option<Vec<Target>> {
        self.eat(b'[')?;
        // A target takes some 200 bytes of text: reserve once for the rest.
        let mut targets = Vec::with_capacity(if self.values {
            (self.b.len() - self.i) / 200
        } else {
            0
        });
        self.ws();
        if matches!(self.b.get(self.i), Some(b']')) {
            self.i += 1;
            return Some(targets);
        }
        // Where a target is only checked, its fields are never written.
        let mut scratch = Target::default();
        loop {
            if self.values {
                let mut t = Target::default();
                self.target(&mut t)?;
                targets.push(t);
            } else {
                self.target(&mut scratch)?;
            }
            self.counted += 1;
            if !self.more(b']')? {
                return Some(targets);
            }
        }
    }

    /// One target, its values written into `t` when they are kept.
    fn target(&mut self, t: &mut Target) -> Option<()> {
        self.eat(b'{')?;
        self.ws();
        if matches!(self.b.get(self.i), Some(b'}')) {
            return None;
        }
        // One bit per key of TARGET_KEYS: a repeated key is not the common shape.
        let mut seen = 0u8;
        loop {
            let key = self.target_key()?;
            if seen & (1 << key) != 0 {
                return None;
            }
            seen |= 1 << key;
            if key == ADDED_AT {
                let value = self.str_or_null()?;
                if self.values {
                    t.added_at = Some(json_str_or_null(value));
                }
            } else {
                self.eat(b'"')?;
                let value = self.plain_str()?;
                if self.values {
                    *t.string_field_mut(key) = Some(value.to_owned());
                }
            }
            if !self.more(b'}')? {
                break;
            }
        }
        // `id` and `type`, the first two keys, are required.
        (seen & 0b11 == 0b11).then_some(())
    }
}

/// A string or `null` as a JSON value.
fn json_str_or_null(value: Option<&str>) -> Value {
    value.map_or(Value::Null, |s| Value::String(s.to_owned()))
}

/// The exact bytes of [`Registry::render`] when the registry has the common
/// shape (no unknown fields; `version` a number or absent; `updatedAt` and
/// every `addedAt` a string, `null` or absent).
pub fn render(r: &Registry) -> Option<String> {
    if !r.extra.is_empty() {
        return None;
    }
    let version = match &r.version {
        None => FORMAT_VERSION.to_string(),
        Some(Value::Number(n)) => n.to_string(),
        Some(_) => return None,
    };
    let mut out = String::with_capacity(64 + r.targets.len() * 320);
    out.push_str("{\n  \"version\": ");
    out.push_str(&version);
    if let Some(u) = &r.updated_at {
        out.push_str(",\n  \"updatedAt\": ");
        scalar(&mut out, u)?;
    }
    out.push_str(",\n  \"targets\": [");
    for (n, t) in r.targets.iter().enumerate() {
        if !t.extra.is_empty() {
            return None;
        }
        out.push_str(if n == 0 { "\n    {" } else { ",\n    {" });
        let strings = [
            &t.id,
            &t.kind,
            &t.module,
            &t.dockerfile,
            &t.context,
            &t.image,
        ];
        // Each member's text up to its value is one piece: the line break,
        // indentation, key and separator, with the comma of the member before.
        let mut first = true;
        for (i, value) in strings.into_iter().enumerate() {
            if let Some(v) = value {
                out.push_str(&MEMBER[i][usize::from(first)..]);
                first = false;
                escaped(&mut out, v);
                out.push('"');
            }
        }
        if let Some(a) = &t.added_at {
            out.push_str(&MEMBER[ADDED_AT][usize::from(first)..]);
            first = false;
            scalar(&mut out, a)?;
        }
        out.push_str(if first { "}" } else { "\n    }" });
    }
    out.push_str(if r.targets.is_empty() {
        "]\n}\n"
    } else {
        "\n  ]\n}\n"
    });
    Some(out)
}

/// `,` + line break + indentation + key + `: ` for each target key, in
/// [`crate::registry::TARGET_KEYS`] order, with the opening quote of the
/// value for the string fields; without the leading comma for the first
/// member.
const MEMBER: [&str; 7] = [
    ",\n      \"id\": \"",
    ",\n      \"type\": \"",
    ",\n      \"module\": \"",
    ",\n      \"dockerfile\": \"",
    ",\n      \"context\": \"",
    ",\n      \"image\": \"",
    ",\n      \"addedAt\": ",
];

/// A string or `null`; anything else is not the common shape.
fn scalar(out: &mut String, v: &Value) -> Option<()> {
    match v {
        Value::String(s) => string(out, s),
        Value::Null => out.push_str("null"),
        _ => return None,
    }
    Some(())
}

/// A JSON string as serde_json writes it: `"` and `\` escaped, control
/// characters as `\b \t \n \f \r` or `\u00xx`, everything else as is.
fn string(out: &mut String, s: &str) {
    out.push('"');
    escaped(out, s);
    out.push('"');
}

/// What `"` ... `"` holds in [`string`]. Index loops and a word-at-a-time
/// scan of the plain prefix: most values have nothing to escape, and this
/// runs for every value of a registry.
#[inline]
fn escaped(out: &mut String, s: &str) {
    let b = s.as_bytes();
    let plain = |c: u8| c >= 0x20 && c != b'"' && c != b'\\';
    let mut i = 0;
    while let Some(w) = word(b, i) {
        let hits = special(w);
        if hits != 0 {
            i += (hits.trailing_zeros() / 8) as usize;
            break;
        }
        i += 8;
    }
    while i < b.len() && plain(b[i]) {
        i += 1;
    }
    if i == b.len() {
        out.push_str(s);
        return;
    }
    let mut start = 0;
    while i < b.len() {
        let c = b[i];
        if !plain(c) {
            out.push_str(&s[start..i]);
            match c {
                b'"' => out.push_str("\\\""),
                b'\\' => out.push_str("\\\\"),
                b'\n' => out.push_str("\\n"),
                b'\r' => out.push_str("\\r"),
                b'\t' => out.push_str("\\t"),
                0x08 => out.push_str("\\b"),
                0x0c => out.push_str("\\f"),
                _ => {
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    out.push_str("\\u00");
                    out.push(HEX[usize::from(c >> 4)] as char);
                    out.push(HEX[usize::from(c & 0xf)] as char);
                }
            }
            start = i + 1;
        }
        i += 1;
    }
    out.push_str(&s[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn general(text: &str) -> Registry {
        let (r, problems) = crate::registry::parse_general(text).unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        r
    }

    #[test]
    fn reads_what_the_tool_writes() {
        let text = "{\n  \"version\": 1,\n  \"updatedAt\": \"2026-01-01T00:00:00.000Z\",\n  \"targets\": [\n    {\n      \"id\": \"api\",\n      \"type\": \"service\",\n      \"module\": \"apps/backend\",\n      \"addedAt\": null\n    }\n  ]\n}\n";
        let r = parse(text).expect("common shape");
        assert_eq!(r, general(text));
        let c = check(text).expect("common shape");
        assert_eq!(c, Summary::take(&mut r.clone()));
        assert_eq!((c.targets, &c.updated_at), (1, &r.updated_at));
        assert_eq!(render(&r).as_deref(), Some(text));
    }

    #[test]
    fn empty_targets_and_compact_text() {
        let text = r#"{"targets":[],"version":1}"#;
        let r = parse(text).unwrap();
        assert_eq!(r, general(text));
        assert_eq!(
            render(&r).unwrap(),
            "{\n  \"version\": 1,\n  \"targets\": []\n}\n"
        );
    }

    #[test]
    fn leaves_everything_else_to_the_general_path() {
        for text in [
            "",
            "[]",
            "{}",
            r#"{"version":1}"#,
            r#"{"version":2,"targets":[]}"#,
            r#"{"version":10,"targets":[]}"#,
            r#"{"version":1.0,"targets":[]}"#,
            r#"{"version":1e0,"targets":[]}"#,
            r#"{"version":1,"version":1,"targets":[]}"#,
            r#"{"version":1,"targets":[],"owner":"x"}"#,
            r#"{"version":1,"lastUpdated":"x","targets":[]}"#,
            r#"{"version":1,"targets":[{"id":"a"}]}"#,
            r#"{"version":1,"targets":[{"type":"job"}]}"#,
            r#"{"version":1,"targets":[{"id":"a","type":"job","id":"b"}]}"#,
            r#"{"version":1,"targets":[{"id":"a","type":"job","x":1}]}"#,
            r#"{"version":1,"targets":[{"name":"a","type":"job"}]}"#,
            r#"{"version":1,"targets":[{"id":"a\n","type":"job"}]}"#,
            "{\"version\":1,\"targets\":[{\"id\":\"a\u{1}\",\"type\":\"job\"}]}",
            r#"{"version":1,"targets":[{"id":5,"type":"job"}]}"#,
            r#"{"version":1,"targets":[{}]}"#,
            r#"{"version":1,"targets":[{"id":"a","type":"job"},]}"#,
            r#"{"version":1,"targets":[]} x"#,
            r#"{"version":1,"targets":[],}"#,
            r#"{"version":1,"updatedAt":5,"targets":[]}"#,
            r#"{"version":1,"targets":[{"id":"a","type":"job","addedAt":nul}]}"#,
        ] {
            assert!(parse(text).is_none(), "{text}");
            assert!(check(text).is_none(), "{text}");
        }
    }

    #[test]
    fn finds_the_end_of_a_string_at_any_offset() {
        for len in 0..24 {
            for special in ["\"", "\\n", "\n", "\u{1f}"] {
                for at in 0..=len {
                    let mut id = "é".repeat(len / 2) + &"x".repeat(len % 2);
                    let plain =
                        format!(r#"{{"version":1,"targets":[{{"id":"{id}","type":"job"}}]}}"#);
                    assert_eq!(parse(&plain).unwrap().targets[0].id(), id);
                    let at = (0..=at).rev().find(|&i| id.is_char_boundary(i)).unwrap();
                    id.insert_str(at, special);
                    let odd =
                        format!(r#"{{"version":1,"targets":[{{"id":"{id}","type":"job"}}]}}"#);
                    assert!(parse(&odd).is_none(), "{odd:?}");
                    assert!(check(&odd).is_none(), "{odd:?}");
                }
            }
        }
    }

    #[test]
    fn writes_escapes_as_serde_json_does() {
        let mut r = Registry::new();
        r.targets.push(Target {
            id: Some("q\"b\\s/\u{7f}é\u{1}\u{8}\u{c}\t\r\n\u{1f}".into()),
            kind: Some("job".into()),
            ..Target::default()
        });
        r.updated_at = Some(Value::Null);
        let fast = render(&r).unwrap();
        assert_eq!(fast, serde_json_render(&r));
    }

    #[test]
    fn declines_unknown_fields_and_odd_values() {
        let mut r = Registry::new();
        r.extra.push(("x".into(), Value::Null));
        assert!(render(&r).is_none());
        let mut r = Registry::new();
        r.updated_at = Some(Value::Bool(true));
        assert!(render(&r).is_none());
        let mut r = Registry::new();
        r.targets.push(Target {
            extra: vec![("x".into(), Value::Null)],
            ..Target::default()
        });
        assert!(render(&r).is_none());
    }

    fn serde_json_render(r: &Registry) -> String {
        crate::registry::render_general(r)
    }
}
