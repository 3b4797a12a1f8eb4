//! One file per command. Each command's `run` is `#[inline(never)]`: V8
//! compiles a wasm function when it is first called, so a dispatch with
//! every command inlined into it would compile all of them for any one
//! (docs/performance.md). No command imports another: what two share lives
//! in [`crate::cli`] (options, tree, git, store) or in [`crate::plan`].

#[cfg(feature = "writers")]
pub mod add;
#[cfg(feature = "ops")]
pub mod build;
#[cfg(feature = "ops")]
pub mod export;
#[cfg(feature = "ops")]
pub mod init;
#[cfg(feature = "ops")]
pub mod install;
pub mod list;
#[cfg(feature = "ops")]
pub mod materialize;
#[cfg(feature = "writers")]
pub mod remove;
pub mod status;
#[cfg(feature = "ops")]
pub mod uninstall;
#[cfg(feature = "ops")]
pub mod verify;
