//! Every finding the tool reports: the catalogue of codes, the rules of
//! single values, the registry-wide rules, a target's build settings, and
//! the secret scanner shared by the registry and Dockerfile rules. The
//! Dockerfile rules live with the Dockerfile syntax (`crate::dockerfile`).

pub mod build_settings;
pub mod catalogue;
pub mod diagnostic;
pub mod registry;
pub mod secrets;
pub mod values;

pub use diagnostic::{Diagnostic, Problem, Severity, Span};
