//! The compiled module under wasm-bindgen-test (Node): the core behaves the
//! same in wasm as natively, and the JS host seam carries files, output and
//! processes both ways.
#![cfg(target_arch = "wasm32")]

use ctl_packaging::host::memory::MemHost;
use ctl_packaging::wasm::{run_cli, version, JsHost};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

#[wasm_bindgen(inline_js = r#"
const utf8 = new TextDecoder();
export function makeHost() {
  const files = new Map();
  const dirs = new Set(['/', '/repo']);
  const h = {
    out: '', err: '', spawned: [], tokens: 0,
    cwd: () => '/repo',
    nowMs: () => Date.UTC(2026, 10, 26, 10, 31, 44, 123),
    pid: () => 7,
    env: () => undefined,
    hostname: () => 'test',
    stat: (p) => files.has(p) ? 'file' : dirs.has(p) ? 'dir' : 'missing',
    openFile(p) { if (!files.has(p)) return null; h.opened = new TextEncoder().encode(files.get(p)); return h.opened.length; },
    readOpened(into) { const b = h.opened; h.opened = null; const n = Math.min(b.length, into.length); into.set(b.subarray(0, n)); return n; },
    entryKind: (p) => files.has(p) ? 'file' : dirs.has(p) ? 'a folder' : 'missing',
    confine() {},
    token: () => `t${(h.tokens += 1)}`,
    namespace: () => 'boot ns',
    removeDir(p) { if (!dirs.has(p) || [...files.keys(), ...dirs].some((x) => x.startsWith(p + '/'))) return false; dirs.delete(p); return true; },
    readFiles(joined) {
      const bytes = []; const sizes = []; const errors = [];
      for (const p of joined === '' ? [] : joined.split('\0')) {
        if (!files.has(p)) { sizes.push(-1); continue; }
        const b = new TextEncoder().encode(files.get(p));
        bytes.push(...b); sizes.push(b.length);
      }
      return { bytes: new Uint8Array(bytes), sizes: new Int32Array(sizes), errors };
    },
    readDir: (p) => [...files.keys(), ...dirs].filter((x) => x.startsWith(p + '/') && !x.slice(p.length + 1).includes('/')).map((x) => x.slice(p.length + 1)).sort(),
    mkdirAll(p) { let q = ''; for (const part of p.split('/').filter(Boolean)) { q += '/' + part; dirs.add(q); } },
    createNew(p, t) { if (files.has(p)) return false; files.set(p, t); return true; },
    writeAtomic(p, bytes) { files.set(p, utf8.decode(bytes)); },
    removeFile(p) { if (!files.delete(p)) throw new Error('ENOENT: ' + p); },
    realPath: (p) => (files.has(p) || dirs.has(p)) ? p : null,
    processAlive: () => false,
    processStarted: () => '',
    sleepMs() {},
    spawn(program, args, cwd) { h.spawned.push([program, ...args].join(' ') + ' @' + cwd); return { code: 0 }; },
    capture() { return { notFound: true }; },
    stdout(bytes) { h.out += utf8.decode(bytes); },
    stderr(bytes) { h.err += utf8.decode(bytes); },
    files,
  };
  return h;
}
export function file(h, p) { return h.files.has(p) ? h.files.get(p) : undefined; }
export function out(h) { const o = h.out; h.out = ''; return o; }
export function err(h) { const e = h.err; h.err = ''; return e; }
export function spawned(h) { return h.spawned.join('\n'); }
export function failingHost() { const h = makeHost(); h.openFile = () => { throw new Error('EACCES: permission denied'); }; return h; }
"#)]
extern "C" {
    #[wasm_bindgen(js_name = makeHost)]
    fn make_host() -> JsValue;
    #[wasm_bindgen(js_name = failingHost)]
    fn failing_host() -> JsValue;
    fn file(h: &JsValue, p: &str) -> Option<String>;
    fn out(h: &JsValue) -> String;
    fn err(h: &JsValue) -> String;
    fn spawned(h: &JsValue) -> String;
}

/// A command line as the shim hands it over: each argument followed by NUL.
fn argv(s: &[&str]) -> String {
    s.iter().map(|x| format!("{x}\0")).collect()
}

#[wasm_bindgen_test]
fn the_js_host_carries_a_whole_flow() {
    let h = make_host();
    let host: &JsHost = h.unchecked_ref();
    assert_eq!(run_cli(&argv(&["init"]), host), 0);
    assert!(
        out(&h).starts_with("[ok] Packaging configuration initialized.\n  mkdir: ops/packaging\n")
    );
    assert_eq!(
        file(&h, "/repo/docs/packaging/registry.json").as_deref(),
        Some("{\n  \"version\": 1,\n  \"updatedAt\": \"2026-11-26T10:31:44.123Z\",\n  \"targets\": []\n}\n")
    );
    assert_eq!(
        run_cli(
            &argv(&["add-service", "--id", "api", "--module", "apps/backend"]),
            host
        ),
        0
    );
    assert_eq!(out(&h), "[ok] Added packaging target: api (service)\n");
    assert!(file(&h, "/repo/ops/packaging/services/api.Dockerfile").is_some());
    assert_eq!(file(&h, "/repo/docs/packaging/registry.json.lock"), None);
    assert_eq!(run_cli(&argv(&["list"]), host), 0);
    assert_eq!(
        out(&h),
        "Packaging Targets (1):\n\n  [service] api -> apps/backend\n"
    );
    assert_eq!(run_cli(&argv(&["build", "--target", "api"]), host), 1);
    assert_eq!(
        err(&h),
        "[error] Dockerfile not found: ops/packaging/services/api.Dockerfile\n".replace(
            "Dockerfile not found: ops/packaging/services/api.Dockerfile",
            "ops/packaging/scripts/docker-build.mjs not found. Run: ctl-packaging init"
        )
    );
    assert_eq!(spawned(&h), "");
}

#[wasm_bindgen_test]
fn host_errors_become_messages_not_traps() {
    let h = failing_host();
    let host: &JsHost = h.unchecked_ref();
    assert_eq!(run_cli(&argv(&["list"]), host), 1);
    assert_eq!(
        err(&h),
        "[error] cannot read docs/packaging/registry.json: EACCES: permission denied\n"
    );
}

#[wasm_bindgen_test]
fn the_core_in_wasm_matches_the_native_core() {
    let host = MemHost::default();
    assert_eq!(ctl_packaging::run(&host, &["init"]), 0);
    assert_eq!(
        ctl_packaging::run(
            &host,
            &["add-job", "--id", "cron-task", "--module", "jobs/cron"]
        ),
        0
    );
    host.clear_output();
    assert_eq!(ctl_packaging::run(&host, &["add-job", "--id", "Bad"]), 1);
    assert!(host
        .stderr()
        .starts_with("[error] --id: id \"Bad\" must be lowercase"));
    assert_eq!(version(), env!("CARGO_PKG_VERSION"));
}

/// No arguments and one empty argument are two command lines: the usage,
/// and an unknown command named "".
#[wasm_bindgen_test]
fn an_empty_argument_is_not_an_empty_command_line() {
    let h = make_host();
    let host: &JsHost = h.unchecked_ref();
    assert_eq!(run_cli("", host), 0);
    assert!(out(&h).starts_with("ctl-packaging: manage the packaging targets"));
    assert_eq!(err(&h), "");
    assert_eq!(run_cli(&argv(&[""]), host), 1);
    assert!(
        err(&h).starts_with("[error] Unknown command: \n"),
        "{}",
        err(&h)
    );
    // An empty value is kept as one: `--format ""` is a value (refused), not
    // a missing one (`--format needs a value`, a usage error).
    assert_eq!(run_cli(&argv(&["list", "--format", ""]), host), 1);
    assert_eq!(
        err(&h),
        "[error] --format must be one of: text, json (got \"\")\n"
    );
}

/// The maps keyed by input hash with keys the module draws on its first
/// call (`Math.random()`), not with the zero keys std has on this target,
/// for which anyone can compute names that collide.
#[wasm_bindgen_test]
fn the_first_call_draws_the_hash_keys() {
    use ctl_packaging::values::hash::Keyed;
    use std::hash::BuildHasher;
    let h = make_host();
    let host: &JsHost = h.unchecked_ref();
    assert_eq!(run_cli(&argv(&["--version"]), host), 0);
    let zero = Keyed::with_keys(0, 0);
    let drawn = Keyed::default();
    let names = [
        "NODE_VERSION",
        "api",
        "ops/packaging/services/api.Dockerfile",
    ];
    for name in names {
        assert_ne!(drawn.hash_one(name), zero.hash_one(name), "{name}");
    }
    // Drawn once: every map of the process hashes alike.
    assert_eq!(run_cli(&argv(&["--version"]), host), 0);
    assert_eq!(Keyed::default().hash_one("api"), drawn.hash_one("api"));
}
