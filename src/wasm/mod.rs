//! The wasm facades: JS values in, core calls, JS values out; no logic.
//! [`cli`] runs command lines against a host object from the Node shim;
//! [`api`] is the typed JS API (`pkg-shim/index.mjs`, `pkg-shim/browser.mjs`),
//! in the module built with the `api` feature only (the CLI's modules go
//! without it).

#[cfg(feature = "api")]
pub mod api;
pub mod cli;

#[cfg(feature = "cli")]
pub use cli::run_cli;
pub use cli::{version, JsHost};

/// Draw this process's hash keys ([`crate::values::hash`]) on the first call
/// into the module: 128 bits from `Math.random()`, whose state (V8 seeds it
/// from the system's randomness) nothing the module reads can learn.
pub(crate) fn draw_keys() {
    use std::sync::atomic::{AtomicBool, Ordering};
    static DRAWN: AtomicBool = AtomicBool::new(false);
    if DRAWN.swap(true, Ordering::Relaxed) {
        return;
    }
    // 32 bits of one draw (each has 52).
    let half = || (js_sys::Math::random() * 4_294_967_296.0) as u64;
    let word = || (half() << 32) | half();
    let k0 = word();
    crate::values::hash::set_keys(k0, word());
}

/// Every allocation of the ops module: blocks of up to 1 KiB from size
/// classes carved from 64 KiB chunks, the chunks and the rest from
/// power-of-two pages ([`crate::alloc`]). `verify` on 1,000 Dockerfiles makes
/// some 300 allocations a file.
#[cfg(all(feature = "ops", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: crate::alloc::Pool<crate::alloc::Pages<crate::alloc::Memory>> =
    crate::alloc::Pool::new(crate::alloc::Pages::new(crate::alloc::Memory));

/// Every allocation of the API, read and writers modules: power-of-two classes straight
/// from the wasm memory's pages ([`crate::alloc::Pages`]), whose code V8
/// compiles in a fraction of the time it takes for dlmalloc's (which no
/// module has).
#[cfg(all(
    not(feature = "ops"),
    target_arch = "wasm32",
    not(target_feature = "atomics")
))]
#[global_allocator]
static ALLOCATOR: crate::alloc::Pages<crate::alloc::Memory> =
    crate::alloc::Pages::new(crate::alloc::Memory);
