//! Findings about a file: severity, a stable code, a message, where.
//!
//! One type serves the registry validator, the Dockerfile checks, `verify`
//! (text and JSON) and the JS/browser API, so the same input gives the same
//! findings everywhere.

use serde::Serialize;

/// How bad a finding is. Errors fail `verify`; warnings fail it only under `--strict`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

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

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable code, e.g. `PKG012`; see `docs` in the README for the list.
    pub code: &'static str,
    pub message: String,
    /// File the finding is about, relative to the repository root.
    pub file: String,
    /// JSON pointer into the registry (`/targets/3/image`); empty for the
    /// whole document and for findings in other files.
    pub pointer: String,
    #[serde(flatten)]
    pub span: Span,
}

impl Diagnostic {
    /// `file:line:col: severity[CODE]: message`.
    pub fn render(&self) -> String {
        format!(
            "{}:{}:{}: {}[{}]: {}",
            self.file,
            self.span.line,
            self.span.column,
            self.severity.as_str(),
            self.code,
            self.message
        )
    }
}

/// Quote a value for a message: JSON-style quotes, long values shortened so a
/// 5,000-character id does not flood the terminal, control characters escaped.
pub fn quote(value: &str) -> String {
    const MAX: usize = 64;
    let count = value.chars().count();
    let shown: String = value.chars().take(MAX).collect();
    let mut out = serde_json::to_string(&shown).unwrap_or_else(|_| format!("\"{shown}\""));
    if count > MAX {
        out.pop();
        out.push_str(&format!("…\" ({count} characters)"));
    }
    out
}

/// A value as a terminal may show it: as is, or [`quote`]d with escapes when
/// it holds control characters (a hand edit can put escape sequences anywhere).
pub fn shown(value: &str) -> std::borrow::Cow<'_, str> {
    if value.chars().any(char::is_control) {
        std::borrow::Cow::Owned(quote(value))
    } else {
        std::borrow::Cow::Borrowed(value)
    }
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

    #[test]
    fn quote_shortens_long_values_and_escapes_controls() {
        assert_eq!(quote("api"), "\"api\"");
        assert_eq!(quote("a\tb"), "\"a\\tb\"");
        let long = "x".repeat(5000);
        let q = quote(&long);
        assert!(q.ends_with("…\" (5000 characters)"), "{q}");
        assert!(q.len() < 100);
    }
}
