//! Findings: a [`Diagnostic`] is data (code, severity, file, pointer, span,
//! message); text, JSON and the JS API are renderings of the same list, so
//! the same input gives the same findings everywhere.

use serde::Serialize;

use super::catalogue::Rule;
pub use crate::values::position::Span;

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

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable code of its rule, e.g. `PKG012` (the catalogue, `rules::catalogue`).
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
    /// A finding of `rule` at `span` of `file`, with the rule's severity.
    pub fn new(rule: &Rule, file: &str, span: Span, message: String) -> Diagnostic {
        Diagnostic {
            severity: rule.severity,
            code: rule.code,
            message,
            file: file.to_string(),
            pointer: String::new(),
            span,
        }
    }

    /// `file:line:col: severity[CODE]: message`: the one text rendering of a
    /// finding (verify's lines, refusals, the JS API's error messages).
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

/// A registry finding before positions are attached: the rule, the JSON
/// pointer of the value concerned, and the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub rule: &'static Rule,
    pub message: String,
    pub pointer: String,
    /// Byte offset, when known without looking the pointer up (syntax errors).
    pub offset: Option<usize>,
}

impl Problem {
    pub fn new(rule: &'static Rule, pointer: String, message: String) -> Problem {
        Problem {
            rule,
            message,
            pointer,
            offset: None,
        }
    }

    /// Whether no command can safely work on the registry while it stands.
    pub fn blocking(&self) -> bool {
        self.rule.blocking
    }
}
