//! ctl-packaging: the controller of a repository's packaging feature.
//!
//! A pure core (no IO: everything goes through [`host::Host`]) compiled
//! natively for tests and to WebAssembly for the Node CLI and browsers. The
//! wasm facade lives in `wasm.rs`; the Node shim in `pkg-shim/`.

pub mod api;
pub mod build_settings;
pub mod canonical;
pub mod cli;
pub mod commands;
pub mod console;
pub mod diagnostics;
pub mod dockerfile;
pub mod host;
pub mod locate;
pub mod memhost;
pub mod paths;
#[cfg(feature = "ops")]
pub mod project_state;
#[cfg(feature = "ops")]
pub mod provenance;
pub mod reference;
pub mod registry;
pub mod seed;
pub mod store;
#[cfg(feature = "ops")]
pub mod template_merge;
pub mod time;
pub mod validate;

#[cfg(target_arch = "wasm32")]
pub mod wasm;
#[cfg(target_arch = "wasm32")]
pub mod wasm_api;

pub use commands::run;

/// The version of this build.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
