#!/usr/bin/env node
// Build the wasm modules and assemble dist/packaging/ (what `npm run build` runs).
//
//   node scripts/build.mjs [--wasm-only]
//
// 1. scripts/setup.sh (fast when all is there); then, for each of the four modules (the
//    API module ctl_packaging, the read module ctl_packaging_read, the writers module
//    ctl_packaging_write and the ops module ctl_packaging_ops, see MODULES):
//    cargo build --release --target wasm32-unknown-unknown with the toolchain setup.sh
//    chose (target/toolchain.env);
// 2. wasm-bindgen --target web (one glue for Node and browsers: the Node shim calls initSync),
//    renamed <module>.mjs: ES module syntax in a .js file is an ES module only where the
//    nearest package.json says "type": "module" (a host repository's rarely does), and
//    finding that out costs Node a lookup per load;
// 3. wasm-opt with single-caller inlining limited (-Oz for the API and read modules, -O3 for
//    the writers and ops modules: MODULES; binaryen pinned in package.json, else a
//    wasm-opt on PATH, else skipped),
//    then a load check of glue + optimized module in this Node;
//    result in target/pkg/ (<module>.mjs, <module>_bg.wasm);
// 4. unless --wasm-only (or CTL_BUILD_WASM_ONLY=1): dist/packaging/ from pkg-shim/, templates/
//    and target/pkg/: scripts/ (CLI shim, JS API entries index.mjs and browser.mjs with their
//    types, glue, wasm), web/ (the validator page), templates/, SKILL.md.
// WASM_OPT=0 skips wasm-opt; WASM_OPT=/path/to/wasm-opt picks one.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CRATE = "ctl_packaging"; // the [lib] name of Cargo.toml's package "ctl-packaging"
const TARGET = "wasm32-unknown-unknown";
const PKG = path.join(ROOT, "target", "pkg");
const DIST = path.join(ROOT, "dist", "packaging");
const SHIM = path.join(ROOT, "pkg-shim");
const TEMPLATES = path.join(ROOT, "templates");
// V8 compiles a wasm function when it is first called, so one huge function costs its
// whole compile even when a command runs a small part of it. binaryen would inline every
// function that has one caller, however big (a command into the dispatch, the serde
// fallback into the registry reader); a limit of 400 bytes keeps those apart. status on 2
// targets compiles 31 KB of code instead of 53 KB, for 0.5 KB more module (README,
// Performance).
const ONE_CALLER_INLINE_LIMIT = "--one-caller-inline-max-function-size=400";
// Rust >= 1.82 emits these by default for wasm32; binaryen must be told, because
// `strip = true` drops the target_features section it would read them from.
// All are supported by Node 18+ and current browsers.
const WASM_FEATURES = [
  "--enable-mutable-globals",
  "--enable-sign-ext",
  "--enable-nontrapping-float-to-int",
  "--enable-bulk-memory",
  "--enable-reference-types",
  "--enable-multivalue",
];

const wasmOnly = process.argv.includes("--wasm-only") || process.env.CTL_BUILD_WASM_ONLY === "1";
for (const a of process.argv.slice(2)) {
  if (a !== "--wasm-only") fail(`unknown argument ${a} (usage: node scripts/build.mjs [--wasm-only])`);
}

function log(msg) {
  console.log(`[build] ${msg}`);
}
function fail(msg) {
  console.error(`[build] error: ${msg}`);
  process.exit(1);
}
function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: "inherit", ...opts });
  if (r.error) fail(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) fail(`${cmd} ${args.join(" ")} failed (exit ${r.status ?? r.signal})`);
  return r;
}
function output(cmd, args, env) {
  const r = spawnSync(cmd, args, { cwd: ROOT, env, encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : null;
}
function timed(label, fn) {
  const t = Date.now();
  const v = fn();
  log(`${label} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
  return v;
}
const sha256 = (file) => createHash("sha256").update(fs.readFileSync(file)).digest("hex");

// ---------------------------------------------------------------- toolchain
// setup.sh is idempotent and takes well under a second when all is there; running it every
// time also catches a wasm-bindgen bump in Cargo.lock or a changed package-lock.json.
run("bash", [path.join(ROOT, "scripts", "setup.sh")]);
const envFile = path.join(ROOT, "target", "toolchain.env");
const envDump = spawnSync("bash", ["-c", 'set -a; . "$1"; env -0', "bash", envFile], {
  cwd: ROOT,
  encoding: "utf8",
});
if (envDump.status !== 0) fail(`cannot source ${envFile}: ${envDump.stderr}`);
const env = Object.fromEntries(
  envDump.stdout
    .split("\0")
    .filter(Boolean)
    .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
);
const buildStd = env.WASM_BUILD_STD ? env.WASM_BUILD_STD.split(/\s+/).filter(Boolean) : [];
// Size flags for the route that builds std here (-Zbuild-std, RUSTC_BOOTSTRAP=1): a panic
// becomes a plain trap without formatting its message (the shim reports any trap as an
// internal error either way) and no source locations are kept for panics. Together
// about 28 KB of the module. The rustup route has a prebuilt std, which cannot drop its
// panic machinery: it builds without them, and a bigger module.
// (-Zfmt-debug=none would save more, but it empties `{:?}`, which messages use.)
// std's optimize_for_size feature picks its smaller implementations (sorting, formatting
// integers, ...): another 23 KB, at no measurable cost in speed (same instruction count for
// `status` on 10,000 targets). Only stable sorts are used here, so results are unchanged.
const SIZE_FLAGS = ["-Zunstable-options", "-Cpanic=immediate-abort", "-Zlocation-detail=none"];
if (buildStd.length) {
  env.RUSTFLAGS = [env.RUSTFLAGS, ...SIZE_FLAGS].filter(Boolean).join(" ");
  buildStd.push("-Zbuild-std-features=optimize_for_size");
}

// ---------------------------------------------------------------- modules
// Four modules from the one crate (Cargo features "api", "cli", "writers" and "ops"):
//   ctl_packaging        the JS API and the browser page ("api"; no CLI);
//   ctl_packaging_read   the registry commands of the CLI: list, status, help, version
//                        ("cli");
//   ctl_packaging_write  the same and the writers: add, add-service, add-job, add-app,
//                        remove ("writers");
//   ctl_packaging_ops    everything but the JS API: init, verify, build, build-all, export,
//                        install, uninstall, materialize and the project-state controller
//                        ("ops").
// The CLI shim loads the one a command needs (pkg-shim/node-host.mjs, firstModule); a
// module hands over a command it does not carry (src/cli/mod.rs, IN_OPS_MODULE).
// Only the API module has the JS API, and it has no CLI: V8 reads and validates a module
// whole before its first call, and with the two in one module (as the registry module of
// a0f5d6d had them) the JS API was 77 KB of the code list and status loaded
// (docs/architecture.md, "Four wasm modules").
// Each has its own cargo target folder, so that no rebuild undoes another.
// The API and read modules are built for size (opt-level "z", wasm-opt -Oz): the API module
// has a budget of 250,000 bytes (its `budget` below: the build fails over it; the page
// loads it), and the read module's commands are short. The
// writers and ops modules are built for speed, every crate and std at opt-level 2 (std keeps
// its optimize_for_size algorithms), wasm-opt -O3: a writer's work grows with the registry
// (add-service then remove on 10,000 targets: 495M instructions, against 635M built for
// size, and no slower on 6 targets: 304M against 300M, the same wall time), and verify's with
// the number of Dockerfiles. On 1,000 twenty-line Dockerfiles verify runs 584M instructions,
// against 608M with only this crate at opt-level 2 and the rest "z", 622M with this crate at
// opt-level 3 and wasm-opt -O2 (whose larger functions also cost V8 more to compile: verify
// on 6 targets 194M against 188M), and 795M with this crate at "s" (docs/performance.md).
// A writer in a module half the size of the ops module starts without V8's flags on a small
// registry, as list does.
const SPEED = ["--config", "profile.release.opt-level=2"];
const MODULES = [
  { name: CRATE, cargo: ["--no-default-features", "--features", "api"], targetDir: `${env.CARGO_TARGET_DIR}-registry`, passes: ["-Oz", ONE_CALLER_INLINE_LIMIT], budget: 250_000 },
  { name: `${CRATE}_read`, cargo: ["--no-default-features", "--features", "cli"], targetDir: `${env.CARGO_TARGET_DIR}-read`, passes: ["-Oz", ONE_CALLER_INLINE_LIMIT] },
  { name: `${CRATE}_write`, cargo: ["--no-default-features", "--features", "writers", ...SPEED], targetDir: `${env.CARGO_TARGET_DIR}-write`, passes: ["-O3", ONE_CALLER_INLINE_LIMIT] },
  { name: `${CRATE}_ops`, cargo: ["--no-default-features", "--features", "ops", ...SPEED], targetDir: env.CARGO_TARGET_DIR, passes: ["-O3", ONE_CALLER_INLINE_LIMIT] },
];

// ---------------------------------------------------------------- wasm-bindgen + wasm-opt
function findWasmOpt() {
  const choice = process.env.WASM_OPT;
  if (choice === "0") return null;
  const candidates = choice ? [choice] : [path.join(ROOT, "node_modules", ".bin", "wasm-opt"), "wasm-opt"];
  for (const c of candidates) {
    const v = output(c, ["--version"], env);
    if (v) return { bin: c, version: v };
  }
  if (choice) fail(`WASM_OPT=${choice} does not run`);
  return null;
}
// Debian 12's binaryen 108 cannot parse this module (table.fill) and renumbers the
// externref table's export; the pinned npm package (binaryen.js) is current.
const wasmOptHint =
  "; the pinned binaryen comes with `npm ci` (node_modules/.bin/wasm-opt), WASM_OPT=0 skips optimizing";
const bindgenVersion = output("wasm-bindgen", ["--version"], env);
if (!bindgenVersion) fail("wasm-bindgen is not installed: run bash scripts/setup.sh");
const wasmOpt = findWasmOpt();
fs.mkdirSync(PKG, { recursive: true });

/** cargo, wasm-bindgen and wasm-opt for one module; result in target/pkg/<name>.mjs and <name>_bg.wasm. */
async function buildModule({ name, cargo, targetDir, passes }) {
  const cargoEnv = { ...env, CARGO_TARGET_DIR: targetDir };
  timed(`${name}: cargo build --release --target ${TARGET} ${cargo.join(" ")} (route ${env.WASM_ROUTE})`, () =>
    run("cargo", ["build", "--release", "--target", TARGET, ...cargo, ...buildStd], { env: cargoEnv }),
  );
  const rawWasm = path.join(targetDir, TARGET, "release", `${CRATE}.wasm`);
  if (!fs.existsSync(rawWasm)) fail(`cargo produced no ${rawWasm}`);
  const stampFile = path.join(PKG, `.stamp-${name}.json`);
  const stamp = JSON.stringify({
    input: sha256(rawWasm),
    bindgen: bindgenVersion,
    wasmOpt: wasmOpt ? [wasmOpt.version, ...passes, ...WASM_FEATURES] : null,
  });
  const pkgWasm = path.join(PKG, `${name}_bg.wasm`);
  const pkgJs = path.join(PKG, `${name}.mjs`);
  const upToDate =
    fs.existsSync(pkgWasm) && fs.existsSync(pkgJs) && fs.existsSync(stampFile) && fs.readFileSync(stampFile, "utf8") === stamp;
  if (upToDate) {
    log(`${name}: target/pkg is up to date (same cargo output, wasm-bindgen and wasm-opt)`);
    return;
  }
  const tmp = `${PKG}.tmp-${name}-${process.pid}`;
  process.on("exit", () => fs.rmSync(tmp, { recursive: true, force: true }));
  fs.mkdirSync(tmp, { recursive: true });
  timed(`${name}: ${bindgenVersion}`, () =>
    run("wasm-bindgen", ["--target", "web", "--out-dir", tmp, "--out-name", name, "--no-typescript", rawWasm], { env }),
  );
  const glueFile = path.join(tmp, `${name}.mjs`);
  fs.renameSync(path.join(tmp, `${name}.js`), glueFile);
  const wasm = path.join(tmp, `${name}_bg.wasm`);
  if (wasmOpt) {
    const opt = path.join(tmp, "opt.wasm");
    const args = [...passes, ...WASM_FEATURES, "--strip-debug", "--strip-producers", wasm, "-o", opt];
    timed(`${name}: ${wasmOpt.version} ${passes.join(" ")}`, () => {
      const r = spawnSync(wasmOpt.bin, args, { cwd: ROOT, env, stdio: "inherit" });
      if (r.status !== 0) fail(`${wasmOpt.bin} (${wasmOpt.version}) failed${wasmOptHint}`);
    });
    fs.renameSync(opt, wasm);
  } else {
    log(process.env.WASM_OPT === "0" ? "wasm-opt skipped (WASM_OPT=0)" : "wasm-opt not found (npm ci installs the pinned binaryen): the module stays unoptimized");
  }
  // Check every function (the CLI validates each one only when it first runs it), then
  // load glue + module the way the Node shim does; catches a broken optimizer early.
  try {
    const bytes = fs.readFileSync(wasm);
    if (!WebAssembly.validate(bytes)) throw new Error("WebAssembly.validate rejects it");
    const glue = await import(pathToFileURL(glueFile).href);
    glue.initSync({ module: bytes });
  } catch (e) {
    fail(
      `${name}: the built module does not load in Node ${process.version}: ${e.message}` +
        (wasmOpt ? ` (optimized by ${wasmOpt.bin}, ${wasmOpt.version})${wasmOptHint}` : ""),
    );
  }
  // Glue first, then the module, then the stamp: an interrupted build leaves a stale
  // stamp at worst, which the next build does not match.
  fs.rmSync(stampFile, { force: true });
  fs.renameSync(glueFile, pkgJs);
  fs.renameSync(wasm, pkgWasm);
  fs.writeFileSync(stampFile, stamp);
  fs.rmSync(tmp, { recursive: true, force: true });
}

for (const m of MODULES) await buildModule(m);

function sizes(file) {
  const bytes = fs.readFileSync(file);
  const gz = gzipSync(bytes, { level: 9 }).length;
  const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
  return `${kib(bytes.length)} raw, ${kib(gz)} gzip (${bytes.length} / ${gz} bytes)`;
}

/** Log each module's size; a module over its byte budget fails the build. */
function logSizes(dir) {
  for (const { name, budget } of MODULES) {
    const file = path.join(dir, `${name}_bg.wasm`);
    log(`wasm size, ${name}: ${sizes(file)}`);
    const bytes = fs.statSync(file).size;
    if (budget !== undefined && bytes > budget) fail(`${name}_bg.wasm is ${bytes} bytes, over its budget of ${budget}`);
  }
}

if (wasmOnly) {
  log(`wasm-only: ${path.relative(ROOT, PKG)}/`);
  logSizes(PKG);
  process.exit(0);
}

// ---------------------------------------------------------------- dist/packaging
const need = [
  [path.join(SHIM, "ctl-packaging.mjs"), "the Node shim, the CLI entry point"],
  [path.join(SHIM, "SKILL.md"), "the skill's description"],
  [TEMPLATES, "the template tree"],
];
const missing = need.filter(([p]) => !fs.existsSync(p));
if (missing.length) {
  fail(
    "cannot assemble dist/packaging, missing:\n" +
      missing.map(([p, what]) => `  ${path.relative(ROOT, p)}: ${what}`).join("\n") +
      "\n(the wasm part alone builds with: node scripts/build.mjs --wasm-only)",
  );
}

fs.rmSync(DIST, { recursive: true, force: true });
const scripts = path.join(DIST, "scripts");
fs.mkdirSync(scripts, { recursive: true });
for (const name of fs.readdirSync(SHIM).sort()) {
  const src = path.join(SHIM, name);
  if (/\.(mjs|d\.ts)$/.test(name) && fs.statSync(src).isFile()) fs.copyFileSync(src, path.join(scripts, name));
}
fs.chmodSync(path.join(scripts, "ctl-packaging.mjs"), 0o755);
// The project-state controller `ctl-packaging install` offers host repositories.
if (fs.existsSync(path.join(scripts, "ctl-project-state.mjs"))) fs.chmodSync(path.join(scripts, "ctl-project-state.mjs"), 0o755);
for (const { name } of MODULES) {
  for (const file of [`${name}.mjs`, `${name}_bg.wasm`]) fs.copyFileSync(path.join(PKG, file), path.join(scripts, file));
}
// TypeScript looks for the types of `x.mjs` in `x.d.mts`: one declaration serves both entries.
if (fs.existsSync(path.join(SHIM, "index.d.ts"))) {
  for (const entry of ["index", "browser"]) {
    if (fs.existsSync(path.join(SHIM, `${entry}.mjs`))) {
      fs.copyFileSync(path.join(SHIM, "index.d.ts"), path.join(scripts, `${entry}.d.mts`));
    }
  }
}
fs.copyFileSync(path.join(SHIM, "SKILL.md"), path.join(DIST, "SKILL.md"));
fs.cpSync(TEMPLATES, path.join(DIST, "templates"), { recursive: true });
// The validator page: static files that import ../scripts/browser.mjs (which loads the wasm).
if (fs.existsSync(path.join(SHIM, "web"))) fs.cpSync(path.join(SHIM, "web"), path.join(DIST, "web"), { recursive: true });

const files = [];
(function walk(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else files.push(p);
  }
})(DIST);
log(`assembled ${path.relative(ROOT, DIST)}/ (${files.length} files)`);
logSizes(scripts);
