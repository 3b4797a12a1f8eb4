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
}

/// Byte range of the value a pointer names; the nearest existing ancestor
/// when the pointer goes further than the document.
pub fn resolve(text: &str, pointer: &str) -> (usize, usize) {
    Locator::new(text).resolve(pointer)
}

/// Where a pointer's value is in the text: `offset` when the place is known
/// already (a syntax error), else the value the pointer names.
pub fn span(text: &str, pointer: &str, offset: Option<usize>) -> Span {
    Locator::new(text).span(pointer, offset)
}

/// The places of many pointers in one text: the containers on the path of
/// the last pointer stay walked, one per depth (the top level and `targets`,
/// which every pointer of a registry passes, however deep it goes); lines are
/// found by a search in the offsets of the text's line breaks, and a column
/// is counted on from the last one asked on the same line. A registry with a
/// problem in each of its 10,000 targets is located in one pass, not in one
/// per problem, also when it is all one line.
pub struct Locator<'a> {
    text: &'a str,
    /// By depth, the container the last pointer went through there: its
    /// start, and its members' keys (none for an array's) and value starts.
    path: Vec<(usize, Members)>,
    /// How many containers were walked, and how many bytes counted for
    /// columns (a test counts them).
    walks: usize,
    counted: usize,
    /// The offsets of the line breaks, once a line is asked for.
    breaks: Option<Vec<usize>>,
    /// The last column found: its offset, its line's start, the column.
    last: (usize, usize, usize),
}

/// A container's members: keys (none for an array's) and value starts.
type Members = Vec<(Option<String>, usize)>;

impl<'a> Locator<'a> {
    pub fn new(text: &'a str) -> Locator<'a> {
        Locator {
            text,
            path: Vec::new(),
            walks: 0,
            counted: 0,
            breaks: None,
            last: (0, 0, 1),
        }
    }

    /// The start of the value `segment` names in the container at `at`,
    /// `depth` containers down the pointer (the last of duplicate keys, as
    /// JSON.parse keeps).
    fn child(&mut self, depth: usize, at: usize, segment: &str) -> Option<usize> {
        let text = self.text;
        if self.path.get(depth).map(|(start, _)| *start) != Some(at) {
            self.path.truncate(depth);
            self.walks += 1;
            self.path.push((at, walk_members(text, at)));
        }
        let members = &self.path.get(depth)?.1;
        match text.as_bytes().get(at)? {
            b'{' => members
                .iter()
                .rev()
                .find(|(key, _)| key.as_deref() == Some(segment))
                .map(|&(_, start)| start),
            _ => members
                .get(segment.parse::<usize>().ok()?)
                .map(|&(_, start)| start),
        }
    }

    /// Byte range of the value a pointer names; the nearest existing
    /// ancestor when the pointer goes further than the document.
    pub fn resolve(&mut self, pointer: &str) -> (usize, usize) {
        let mut w = Walk {
            text: self.text,
            i: 0,
        };
        w.ws();
        let mut start = w.i;
        for (depth, raw) in pointer.split('/').skip(1).enumerate() {
            match self.child(depth, start, &unescape(raw)) {
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

    /// Where a pointer's value is: `offset` when the place is known already
    /// (a syntax error), else the value the pointer names.
    pub fn span(&mut self, pointer: &str, offset: Option<usize>) -> Span {
        let (start, end) = match offset {
            Some(o) => (o, o),
            None => self.resolve(pointer),
        };
        let (line, column) = self.line_col(start);
        let (end_line, end_column) = self.line_col(end.max(start));
        Span {
            line,
            column,
            end_line,
            end_column,
        }
    }

    /// 1-based line and character column of byte offset `at`, as
    /// [`crate::values::position::line_col`] counts them.
    fn line_col(&mut self, at: usize) -> (usize, usize) {
        let text = self.text;
        let mut at = at.min(text.len());
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        let breaks = self.breaks.get_or_insert_with(|| {
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i)
                .collect()
        });
        let before = breaks.partition_point(|&b| b < at);
        let line_start = match before {
            0 => 0,
            n => breaks[n - 1] + 1,
        };
        // On from the last column where it is on this line and before.
        let (from, column) = match self.last {
            (last, start, column) if start == line_start && last <= at => (last, column),
            _ => (line_start, 1),
        };
        self.counted += at - from;
        let column = column + text[from..at].chars().count();
        self.last = (at, line_start, column);
        (before + 1, column)
    }
}

/// The members of the object or array whose opening bracket is at `at`: keys
/// (unescaped; none for an array) and value starts, in order. Empty for
/// anything else; as far as it got for text that is not JSON.
fn walk_members(text: &str, at: usize) -> Members {
    let mut out = Vec::new();
    let mut w = Walk { text, i: at };
    let _ = (|| -> Option<()> {
        match w.peek()? {
            b'{' => {
                w.i += 1;
                while w.peek()? == b'"' {
                    let key = w.string()?;
                    let key: String = serde_json::from_str(key).ok()?;
                    (w.peek()? == b':').then_some(())?;
                    w.i += 1;
                    w.ws();
                    out.push((Some(key), w.i));
                    w.skip_value()?;
                    if w.peek()? == b',' {
                        w.i += 1;
                    }
                }
            }
            b'[' => {
                w.i += 1;
                while w.peek()? != b']' {
                    out.push((None, w.i));
                    w.skip_value()?;
                    match w.peek()? {
                        b',' => w.i += 1,
                        _ => break,
                    }
                }
            }
            _ => {}
        }
        Some(())
    })();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The spans of `pointers` from one locator, each `every`th checked
    /// against a locator of its own; and the locator, for its counts.
    fn locate_all<'a>(
        text: &'a str,
        pointers: &[String],
        every: usize,
    ) -> (Vec<Span>, Locator<'a>) {
        let mut places = Locator::new(text);
        let spans = pointers
            .iter()
            .enumerate()
            .map(|(n, pointer)| {
                let s = places.span(pointer, None);
                if n % every == 0 {
                    assert_eq!(s, span(text, pointer, None), "{pointer}");
                }
                s
            })
            .collect();
        (spans, places)
    }

    #[test]
    fn many_pointers_walk_each_container_once() {
        let targets: Vec<String> = (0..3000)
            .map(|i| format!("    {{\"id\": \"t{i}\", \"image\": \"Bad {i}\"}}"))
            .collect();
        let text = format!("{{\n  \"targets\": [\n{}\n  ]\n}}\n", targets.join(",\n"));
        let pointers: Vec<String> = (0..3000)
            .rev()
            .map(|i| format!("/targets/{i}/image"))
            .collect();
        let (spans, places) = locate_all(&text, &pointers, 250);
        for (s, i) in spans.iter().zip((0..3000).rev()) {
            assert_eq!(
                (s.line, s.column),
                (i + 3, 26 + format!("{i}").len()),
                "{i}"
            );
        }
        // The top level, the array, and each target: walked once each.
        assert_eq!(places.walks, 3002);
    }

    #[test]
    fn deep_pointers_keep_the_top_of_their_path() {
        // Each target holds a value ten arrays deep: every pointer passes
        // twelve containers, and the top two are walked once for all.
        let deep = format!("{}\"s\"{}", "[".repeat(10), "]".repeat(10));
        let targets: Vec<String> = (0..1000)
            .map(|i| format!("{{\"id\": \"t{i}\", \"x\": {deep}}}"))
            .collect();
        let text = format!("{{\"targets\": [\n{}\n]}}\n", targets.join(",\n"));
        let pointers: Vec<String> = (0..1000)
            .map(|i| format!("/targets/{i}/x{}", "/0".repeat(10)))
            .collect();
        let (_, places) = locate_all(&text, &pointers, 100);
        assert_eq!(places.walks, 2 + 1000 * 11);
    }

    #[test]
    fn columns_on_one_long_line_are_counted_once() {
        // A registry on one line, with a problem in each target.
        let targets: Vec<String> = (0..3000)
            .map(|i| format!("{{\"id\":\"Bad é{i}\"}}"))
            .collect();
        let text = format!("{{\"targets\":[{}]}}", targets.join(","));
        let pointers: Vec<String> = (0..3000).map(|i| format!("/targets/{i}/id")).collect();
        let (_, places) = locate_all(&text, &pointers, 250);
        assert!(
            places.counted <= text.len(),
            "{} bytes counted for a text of {}",
            places.counted,
            text.len()
        );
    }

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
