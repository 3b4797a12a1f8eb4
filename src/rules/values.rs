//! The rules of single values a user gives: what makes an id, a type, a
//! path, an image or a tag acceptable. Every command that takes such a
//! value, the registry rules and the JS API use these, so a value is judged
//! the same everywhere. Each answer is the message, without the code: the
//! caller knows which rule of the catalogue it is checking.

use crate::registry::TYPES;
use crate::values::paths::repo_relative;
use crate::values::reference::{self, is_path_component, is_valid_tag, RefProblem, TAG_RULE};
use crate::values::text::quote;

pub const ID_RULE: &str = "must be lowercase letters and digits, optionally separated by \".\", \"_\", \"__\" or \"-\" (an OCI image path component), at most 128 characters";

pub fn check_id(id: &str) -> Result<(), String> {
    if id.len() <= 128 && is_path_component(id) {
        Ok(())
    } else {
        Err(format!("id {} {ID_RULE}", quote(id)))
    }
}

pub fn check_type(kind: &str) -> Result<(), String> {
    if TYPES.contains(&kind) {
        Ok(())
    } else {
        Err(format!(
            "type {} must be one of: {}",
            quote(kind),
            TYPES.join(", ")
        ))
    }
}

/// A repository path given for `field`; returns it normalised.
pub fn check_path(field: &str, value: &str) -> Result<String, String> {
    repo_relative(value).map_err(|p| format!("{field} {}: {p}", quote(value)))
}

pub fn check_image(image: &str) -> Result<(), String> {
    reference::check(image).map_err(|p| match p {
        RefProblem::Credentials => format!(
            "image {} carries credentials: {p}",
            quote(&reference::redact(image))
        ),
        p => format!(
            "image {} is not a valid image reference: {p}",
            quote(&reference::redact(image))
        ),
    })
}

pub fn check_tag(tag: &str) -> Result<(), String> {
    if is_valid_tag(tag) {
        Ok(())
    } else {
        Err(format!("tag {} {TAG_RULE}", quote(tag)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert!(check_id("billing.api").is_ok());
        assert!(check_id(&"a".repeat(128)).is_ok());
        assert!(check_id(&"a".repeat(129)).is_err());
        assert_eq!(
            check_id("UPPER").unwrap_err(),
            format!("id \"UPPER\" {ID_RULE}")
        );
        for bad in ["../../escape", "/abs", "has space", ""] {
            assert!(check_id(bad).is_err(), "{bad}");
        }
    }
}
