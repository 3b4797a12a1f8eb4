//! Places in a text, as editors show them.

use serde::Serialize;

/// A position in a text: 1-based line, 1-based column counted in characters
/// (Unicode scalar values), as editors show them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Span {
    pub line: usize,
    pub column: usize,
    #[serde(rename = "endLine")]
    pub end_line: usize,
    #[serde(rename = "endColumn")]
    pub end_column: usize,
}

impl Span {
    /// The span of the byte range `start..end` of `text` (clamped to the text).
    pub fn from_bytes(text: &str, start: usize, end: usize) -> Span {
        let (line, column) = line_col(text, start);
        let (end_line, end_column) = line_col(text, end.max(start));
        Span {
            line,
            column,
            end_line,
            end_column,
        }
    }

    /// Line 1, column 1: a finding about a whole file (a missing one, say).
    pub fn start() -> Span {
        Span {
            line: 1,
            column: 1,
            end_line: 1,
            end_column: 1,
        }
    }
}

/// 1-based line and character column of byte offset `at` in `text`.
pub fn line_col(text: &str, at: usize) -> (usize, usize) {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = &text[..at];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    (line, before[line_start..].chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters_not_bytes() {
        let text = "{\n  \"é\": x\n}";
        let at = text.find('x').unwrap();
        assert_eq!(line_col(text, at), (2, 8));
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, text.len() + 10), (3, 2));
    }
}
