//! The library surface shared by the CLI and the JS/browser API: pure
//! functions from text to results, so that `verify --format json`, the Node
//! API and the validator page give the same answers for the same text.

use serde::Serialize;

use crate::registry::{self, Registry};
use crate::rules::registry::{diagnose, inspect};
use crate::rules::values::{check_image, check_tag};
use crate::rules::{Diagnostic, Severity};
use crate::values::reference::{self, ImageRef};

/// The result of validating a registry text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Validation {
    /// No error-severity diagnostic.
    pub ok: bool,
    /// Targets read (0 when the text does not parse).
    pub targets: usize,
    pub diagnostics: Vec<Diagnostic>,
}

/// Every diagnostic of a registry text: syntax, structure, values, secrets,
/// and a warning when it defines no target.
pub fn validate_registry(text: &str) -> Validation {
    validation(text).1
}

/// [`validate_registry`], also returning what could be read of the registry.
pub fn validation(text: &str) -> (Option<Registry>, Validation) {
    let (registry, diagnostics) = diagnose(text);
    let validation = Validation {
        ok: !diagnostics.iter().any(|d| d.severity == Severity::Error),
        targets: registry.as_ref().map_or(0, |r| r.targets.len()),
        diagnostics,
    };
    (registry, validation)
}

/// The registry a text holds, as a JSON value in written order.
pub fn parse_registry(text: &str) -> Result<serde_json::Value, Vec<Diagnostic>> {
    inspect(text).map(|r| registry::to_value(&r))
}

/// The exact bytes the CLI would write for this registry (without touching
/// `updatedAt`).
pub fn format_registry(text: &str) -> Result<String, Vec<Diagnostic>> {
    inspect(text).map(|r: Registry| r.render())
}

/// The image reference a build uses: `image` with its tag replaced by `tag`.
pub fn apply_tag(image: &str, tag: &str) -> Result<String, String> {
    check_image(image)?;
    check_tag(tag)?;
    Ok(reference::apply_tag(image, tag))
}

pub fn parse_image_reference(text: &str) -> Result<ImageRef, String> {
    check_image(text)?;
    reference::parse(text).map_err(|p| p.to_string())
}

/// Dockerfile findings for a text (`file` names it in the diagnostics).
pub fn check_dockerfile(file: &str, text: &str) -> Vec<Diagnostic> {
    crate::dockerfile::check(file, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_of_an_empty_and_a_broken_registry() {
        let v = validate_registry("{\"version\": 1, \"targets\": []}");
        assert!(v.ok);
        assert_eq!(
            v.diagnostics[0].code,
            crate::rules::catalogue::NO_TARGETS.code
        );
        assert_eq!(
            (v.diagnostics[0].span.line, v.diagnostics[0].span.column),
            (1, 27)
        );
        let v = validate_registry("{");
        assert!(!v.ok);
        assert_eq!(v.targets, 0);
        assert_eq!(v.diagnostics.len(), 1);
    }

    #[test]
    fn tags_and_references() {
        assert_eq!(
            apply_tag("r.io:5000/a/b:1", "v2"),
            Ok("r.io:5000/a/b:v2".into())
        );
        assert!(apply_tag("a", "bad tag").is_err());
        assert_eq!(parse_image_reference("a/b:1").unwrap().repository, "a/b");
        assert!(format_registry("{\"targets\":[]}")
            .unwrap()
            .starts_with("{\n  \"version\": 1,"));
    }
}
