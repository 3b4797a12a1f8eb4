//! The wasm facades: JS values in, core calls, JS values out; no logic.
//! [`cli`] runs command lines against a host object from the Node shim;
//! [`api`] is the typed JS API (`pkg-shim/index.mjs`, `pkg-shim/browser.mjs`).

pub mod api;
pub mod cli;

pub use cli::{run_cli, version, JsHost};
