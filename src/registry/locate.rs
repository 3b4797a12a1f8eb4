//! From JSON pointers to places in the text.
//!
//! The registry is read without positions (the canonical reader, or serde).
//! Only when there is something to report is the text walked a second time,
//! along the pointer only: objects and arrays on the way are skipped member
//! by member, without building anything, and the byte range of the value the
//! pointer names comes back. Commands on a clean registry never pay for
//! positions. The text has parsed as JSON before it gets here (a syntax error
//! carries its own offset), so the walk is never the one to judge it; on
//! anything unexpected it stops where it is.

use crate::values::position::Span;

fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

struct Walk<'a> {
    text: &'a str,
    i: usize,
}

impl Walk<'_> {
    fn ws(&mut self) {
        let b = self.text.as_bytes();
        while matches!(b.get(self.i), Some(b' ' | b'\n' | b'\r' | b'\t')) {
            self.i += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.text.as_bytes().get(self.i).copied()
    }

    /// Past a string whose opening quote is at `self.i`; its raw text (quotes included).
    fn string(&mut self) -> Option<&str> {
        let b = self.text.as_bytes();
        let start = self.i;
        self.i += 1;
        loop {
            match b.get(self.i)? {
                b'"' => break,
                b'\\' => self.i += 2,
                _ => self.i += 1,
            }
        }
        self.i += 1;
        self.text.get(start..self.i)
    }

    /// Past one value of any kind (nesting counted, strings skipped whole).
    fn skip_value(&mut self) -> Option<()> {
        let b = self.text.as_bytes();
        let mut depth = 0usize;
        loop {
            match self.peek()? {
                b'"' => {
                    self.string()?;
                }
                b'{' | b'[' => {
                    depth += 1;
                    self.i += 1;
                }
                b'}' | b']' => {
                    depth = depth.checked_sub(1)?;
                    self.i += 1;
                }
                b',' | b':' if depth > 0 => self.i += 1,
                _ => {
                    while b.get(self.i).is_some_and(|c| {
                        !matches!(c, b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t')
                    }) {
                        self.i += 1;
                    }
                }
            }
            if depth == 0 {
                return Some(());
            }
        }
    }

    /// The start of the value `segment` names inside the object or array
    /// starting at `self.i` (the last of duplicate keys, as JSON.parse keeps).
    fn child(&mut self, segment: &str) -> Option<usize> {
        match self.peek()? {
            b'{' => {
                self.i += 1;
                let mut found = None;
                while self.peek()? == b'"' {
                    let key = self.string()?;
                    let key: String = serde_json::from_str(key).ok()?;
                    (self.peek()? == b':').then_some(())?;
                    self.i += 1;
                    self.ws();
                    if key == segment {
                        found = Some(self.i);
                    }
                    self.skip_value()?;
                    if self.peek()? == b',' {
                        self.i += 1;
                    }
                }
                found
            }
            b'[' => {
                let index: usize = segment.parse().ok()?;
                self.i += 1;
                for _ in 0..index {
                    if self.peek()? == b']' {
                        return None;
                    }
                    self.skip_value()?;
                    (self.peek()? == b',').then_some(())?;
                    self.i += 1;
                }
                (self.peek()? != b']').then_some(self.i)
            }
            _ => None,
        }
    }
}

/// Byte range of the value a pointer names; the nearest existing ancestor
/// when the pointer goes further than the document.
pub fn resolve(text: &str, pointer: &str) -> (usize, usize) {
    let mut w = Walk { text, i: 0 };
    w.ws();
    let mut start = w.i;
    for raw in pointer.split('/').skip(1) {
        w.i = start;
        match w.child(&unescape(raw)) {
            Some(at) => start = at,
            None => break,
        }
    }
    w.i = start;
    match w.skip_value() {
        Some(()) => (start, w.i),
        None => (start, start),
    }
}

/// Where a pointer's value is in the text: `offset` when the place is known
/// already (a syntax error), else the value the pointer names.
pub fn span(text: &str, pointer: &str, offset: Option<usize>) -> Span {
    let (start, end) = match offset {
        Some(o) => (o, o),
        None => resolve(text, pointer),
    };
    Span::from_bytes(text, start, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_pointers_to_value_spans() {
        let text = "{\n  \"targets\": [\n    {\"id\": \"a\"},\n    {\"id\": \"b\", \"image\": \"Bad Name\"}\n  ]\n}\n";
        let d: Vec<Span> = ["/targets/1/image", "/targets/0", "/targets/9"]
            .iter()
            .map(|p| span(text, p, None))
            .collect();
        assert_eq!((d[0].line, d[0].column, d[0].end_column), (4, 26, 36));
        assert_eq!((d[1].line, d[1].column), (3, 5));
        assert_eq!((d[2].line, d[2].column), (2, 14));
        assert_eq!(span(text, "/x", Some(2)).line, 2);
    }

    #[test]
    fn keys_with_escapes_duplicates_and_nested_values() {
        let text = r#"{"a/b": 1, "x": {"k": [1, {"q": "]}"}], "k": "last"}, "t~": [[], {}, "z"]}"#;
        let at = |pointer: &str| {
            let (s, e) = resolve(text, pointer);
            &text[s..e]
        };
        assert_eq!(at(""), text);
        assert_eq!(at("/a~1b"), "1");
        assert_eq!(at("/x/k"), "\"last\"");
        assert_eq!(at("/t~0/2"), "\"z\"");
        assert_eq!(at("/t~0/1"), "{}");
        assert_eq!(at("/t~0/3"), "[[], {}, \"z\"]");
        assert_eq!(
            at("/x/nope/deeper"),
            r#"{"k": [1, {"q": "]}"}], "k": "last"}"#
        );
        let escaped = r#"{"\u0069d": true}"#;
        let (s, e) = resolve(escaped, "/id");
        assert_eq!(&escaped[s..e], "true");
    }
}
