//! ctl-packaging: the controller of a repository's packaging feature.
//!
//! A pure core compiled natively for tests and to WebAssembly for the Node
//! CLI and browsers. Layers, from the bottom up (`tests/layers.rs` holds them
//! to this; `docs/architecture.md` explains them):
//!
//! - [`alloc`]: the allocator of the WebAssembly builds;
//! - [`values`]: grammars of single values (image references, repository
//!   paths, timestamps) and how a value is quoted in a message;
//! - [`registry`]: the registry file: model, readers, writer, positions;
//! - [`rules`]: every finding: the catalogue of codes, value and registry
//!   rules, build settings, secrets;
//! - [`dockerfile`]: Dockerfile syntax and the Dockerfile rules;
//! - [`plan`]: pure decisions the commands carry out (engine argv, Bake
//!   file, template merge, provenance labels, Dockerfile seeding);
//! - [`api`]: the pure library surface of the JS API and `verify`;
//! - [`host`]: the boundary to the world (the in-memory host is behind the
//!   `test-host` feature);
//! - [`cli`]: arguments, the failure type, console, the registry store, and
//!   one file per command;
//! - [`project_state`]: the second program, `ctl-project-state`;
//! - `wasm`: the two facades (the CLI and the JS API).
//!
//! Nothing below [`host`] touches a file, a process or a clock.

pub mod alloc;
pub mod api;
pub mod cli;
pub mod dockerfile;
pub mod host;
pub mod plan;
#[cfg(feature = "ops")]
pub mod project_state;
pub mod registry;
pub mod rules;
pub mod values;
#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use cli::run;

/// The version of this build.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
