#!/usr/bin/env bash
# Prepare this machine to build (and with --test-deps, to test) ctl-packaging.
#
#   bash scripts/setup.sh [--test-deps]
#
# Idempotent: when everything is already present it only checks, and takes well under 2 s.
# It picks the first way to compile Rust for wasm32-unknown-unknown this machine offers:
#   rustup  - rustup's toolchain already has the wasm32-unknown-unknown std;
#   debian  - Debian's second toolchain (rustc-web, LLVM, rust-lld, std source),
#             building std from source with -Zbuild-std;
#   rustup  - last resort: `rustup target add` (hangs where rustup's server is unreachable,
#             hence the time limit).
# The choice goes to target/toolchain.env (shell exports) for build.mjs, test.sh, demo.sh.
# It then installs the wasm-bindgen CLI that matches the wasm-bindgen crate in Cargo.lock
# and the npm dev dependencies (the pinned binaryen wasm-opt lives there).
# --test-deps adds what the tests need: chromium + chromedriver, buildah, strace, python3 and
# util-linux (the attack suite's rename-exchange swapper and tmpfs mounts), rustfmt, clippy.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

log() { echo "[setup] $*"; }
die() { echo "[setup] error: $*" >&2; exit 1; }

test_deps=0
for arg in "$@"; do
  case $arg in
    --test-deps) test_deps=1 ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) die "unknown argument: $arg (usage: scripts/setup.sh [--test-deps])" ;;
  esac
done

export DEBIAN_FRONTEND=noninteractive
# What an earlier `source target/toolchain.env` put in this shell must not steer the checks.
unset RUSTC RUSTDOC RUSTC_BOOTSTRAP CARGO_TARGET_DIR WASM_BUILD_STD WASM_ROUTE
cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
case ":$PATH:" in *":$cargo_bin:"*) ;; *) PATH="$cargo_bin:$PATH" ;; esac
export PATH

command -v cargo >/dev/null || die "cargo not found: install Rust with rustup (stable) first"
command -v node >/dev/null || die "node not found: Node.js 18 or newer is required"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 18 ] || die "Node.js $(node --version) is too old: 18 or newer is required"

mkdir -p target
# One setup at a time (build.mjs may start one while test.sh runs another).
if command -v flock >/dev/null; then
  exec 9>target/.setup.lock
  flock 9
fi

# ---------------------------------------------------------------- apt helpers
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
apt_updated=0
have_apt() { command -v apt-get >/dev/null && command -v dpkg-query >/dev/null; }
# Prints the packages among "$@" that are not installed.
apt_missing() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || echo "$p"
  done
}
# Installs the packages among "$@" that are missing; `apt-get update` only if some are.
# Returns non-zero on failure (callers may run it where `set -e` does not apply).
apt_install() {
  local missing
  missing=$(apt_missing "$@")
  [ -n "$missing" ] || return 0
  have_apt || die "missing packages ($(echo $missing)) and no apt-get here to install them"
  log "installing with apt: $(echo $missing)"
  if [ "$apt_updated" -eq 0 ]; then
    $SUDO apt-get -o DPkg::Lock::Timeout=300 update -qq || return 1
    apt_updated=1
  fi
  # shellcheck disable=SC2086
  $SUDO apt-get -o DPkg::Lock::Timeout=300 install -y -qq $missing >/dev/null || return 1
}

# ---------------------------------------------------------------- wasm route
# No `binaryen`: Debian 12's wasm-opt (108) is too old for what Rust and wasm-bindgen
# emit now; build.mjs uses the binaryen pinned in package.json.
DEB_PKGS=(rustc-web rust-web-src rust-web-llvm)

rustup_has_wasm_std() {
  local sysroot
  sysroot=$(rustc --print sysroot 2>/dev/null) || return 1
  compgen -G "$sysroot/lib/rustlib/wasm32-unknown-unknown/lib/libstd-*.rlib" >/dev/null
}

# Returns non-zero when Debian's toolchain cannot be had.
debian_route() {
  apt_install "${DEB_PKGS[@]}" || return 1
  # /usr/bin/rust-lld (from rust-web-llvm) is a symlink to lld-NN, which no package
  # depends on: install the package named like the link's target when it dangles.
  if [ ! -e /usr/bin/rust-lld ]; then
    local lld
    lld=$(basename "$(readlink /usr/bin/rust-lld 2>/dev/null || echo lld-22)")
    apt_install "$lld" || return 1
  fi
  if [ ! -x /usr/bin/rustc ] || [ ! -e /usr/bin/rust-lld ] || [ ! -d /usr/lib/rustlib/src/rust/library ]; then
    log "Debian's rustc-web toolchain is incomplete (/usr/bin/rustc, /usr/bin/rust-lld, std source)"
    return 1
  fi
}

rustc_minor() { "$1" --version | awk '{split($2, v, "."); print v[1] "." v[2]}'; }

route=""
if rustup_has_wasm_std; then
  route=rustup
  detail="rustc $(rustc_minor rustc) with rustup's wasm32-unknown-unknown std"
elif have_apt && [ -f /etc/debian_version ]; then
  if debian_route; then
    route=debian
    detail="rustc $(rustc_minor /usr/bin/rustc) from rustc-web, build-std"
  else
    log "the Debian route failed; trying rustup's download server"
  fi
fi
if [ -z "$route" ]; then
  command -v rustup >/dev/null || die "no way to build for wasm32: no rustup, no Debian apt"
  log "rustup target add wasm32-unknown-unknown (at most 300 s)"
  timeout 300 rustup target add wasm32-unknown-unknown ||
    die "rustup target add wasm32-unknown-unknown failed or timed out; no route to build wasm"
  rustup_has_wasm_std || die "rustup reports success but the wasm32 std is not in the sysroot"
  route=rustup
  detail="rustc $(rustc_minor rustc) with rustup's wasm32-unknown-unknown std (just added)"
fi

# ---------------------------------------------------------------- toolchain.env
env_file=target/toolchain.env
{
  echo "# Written by scripts/setup.sh: how this machine builds wasm32. Source it; do not edit."
  echo "export WASM_ROUTE=$route"
  echo "case \":\$PATH:\" in *\":$cargo_bin:\"*) ;; *) export PATH=\"$cargo_bin:\$PATH\" ;; esac"
  echo "export CARGO_TARGET_DIR=\"$ROOT/target/wasm\""
  if [ "$route" = debian ]; then
    echo "export RUSTC=/usr/bin/rustc"
    echo "export RUSTDOC=/usr/bin/rustdoc"
    echo "export RUSTC_BOOTSTRAP=1"
    echo "export WASM_BUILD_STD=-Zbuild-std=std,panic_abort"
  else
    echo "unset RUSTC RUSTDOC RUSTC_BOOTSTRAP"
    echo "export WASM_BUILD_STD="
  fi
} >"$env_file.new"
if cmp -s "$env_file.new" "$env_file"; then rm "$env_file.new"; else mv "$env_file.new" "$env_file"; fi
log "route: $route ($detail)"

# ---------------------------------------------------------------- wasm-bindgen CLI
[ -f Cargo.lock ] || cargo generate-lockfile -q
want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
[ -n "$want" ] || die "no wasm-bindgen package in Cargo.lock"
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
have_runner=$(wasm-bindgen-test-runner --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ] || [ "$have_runner" != "$want" ]; then
  log "installing wasm-bindgen-cli $want (have: ${have:-none}); takes a few minutes"
  # Not --locked: one locked dependency is missing from the registry mirror here.
  cargo install -q --force wasm-bindgen-cli --version "$want"
  have=$(wasm-bindgen --version | awk '{print $2}')
  [ "$have" = "$want" ] || die "wasm-bindgen --version says $have after installing $want"
fi

# ---------------------------------------------------------------- npm dev dependencies
# binaryen (wasm-opt) is pinned there, so they are build dependencies too.
if [ -f package-lock.json ]; then
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    log "npm ci"
    npm ci --no-audit --no-fund --loglevel=error
    touch node_modules/.package-lock.json
  fi
fi

# ---------------------------------------------------------------- test dependencies
if [ "$test_deps" -eq 1 ]; then
  apt_install chromium chromium-driver buildah strace python3 util-linux || die "apt-get could not install chromium chromium-driver buildah strace python3 util-linux"
  if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
    log "rustup component add rustfmt clippy (at most 300 s)"
    timeout 300 rustup component add rustfmt clippy || die "rustfmt/clippy are missing and could not be added"
  fi
fi
