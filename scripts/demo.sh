#!/usr/bin/env bash
# The main job, end to end: build the skill, install it into a copy of the sample
# monorepo, and run the documented flow there.
#
#   bash scripts/demo.sh        (npm run demo)
#
# The copy stays in a temporary directory whose path is printed at the end.
# The last step builds a real image and shows its provenance labels, with the first
# usable engine: docker answering `docker info`, podman, or buildah; where none is
# there and apt-get can be used (as root), buildah is installed from the distribution.
# Where no engine can be had it says why and exits 1. DEMO_SKIP_BUILD=1 skips the
# build (and says so). The CLI runs on Node.js 22 or newer: where this machine's Node
# is older, scripts/node-lines.sh provides Node 22.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

log() { echo "[demo] $*"; }
die() { echo "[demo] error: $*" >&2; exit 1; }

FIXTURE=tests/fixtures/sample-monorepo
SKILL=.ai/skills/features/packaging
CTL=$SKILL/scripts/ctl-packaging.mjs

bash scripts/setup.sh
node scripts/build.mjs
# The CLI needs Node.js >= 22.12 (package.json "engines"); the build tools do not.
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 12) ? 0 : 1)'; then
  node22=$(bash scripts/node-lines.sh 22 | awk '{print $2}')
  log "this machine's Node.js is $(node --version); the CLI runs on $("$node22" --version) ($node22)"
  PATH="$(dirname "$node22"):$PATH"
  export PATH
fi
[ -d "$FIXTURE" ] || die "$FIXTURE is missing"

work=$(mktemp -d "${TMPDIR:-/tmp}/ctl-packaging-demo.XXXXXX")
trap 'echo; log "demo repository: $work"' EXIT

cp -R "$FIXTURE"/. "$work"/
git -C "$work" init -q
# Install the feature as a host repository gets it: the feature folder, its templates
# materialised at the root (copy-if-missing), and the project-state script.
node dist/packaging/scripts/ctl-packaging.mjs install --repo-root "$work"
# A first commit, so that builds can label images with their git revision.
git -C "$work" add -A
git -C "$work" -c user.name=demo -c user.email=demo@example.invalid commit -qm "sample monorepo with the packaging feature"
cd "$work"
log "installed the skill and its templates into $work"

ctl() {
  echo
  echo "\$ node $CTL $*"
  node "$CTL" "$@"
}

ctl init
ctl add-service --id api --module apps/backend --template node
ctl add-job --id cron-task --module jobs/cron
ctl list
ctl verify
ctl status

engine="${PACKAGING_ENGINE:-}"
why=""
if [ "${DEMO_SKIP_BUILD:-0}" = 1 ]; then
  echo
  log "skipped as asked (DEMO_SKIP_BUILD=1): node $CTL build --target cron-task --tag v1.0.0"
  exit 0
fi
if [ -z "$engine" ]; then
  if command -v docker >/dev/null && timeout 20 docker info >/dev/null 2>&1; then
    engine=docker
  elif command -v podman >/dev/null; then
    engine=podman
  elif command -v buildah >/dev/null; then
    engine=buildah
  elif [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    log "no container engine here: installing buildah with apt-get (daemonless)"
    if DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq buildah >/dev/null 2>&1 ||
      { apt-get -o DPkg::Lock::Timeout=300 update -qq >/dev/null 2>&1 &&
        DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq buildah >/dev/null 2>&1; }; then
      engine=buildah
    else
      why="no container engine, and apt-get could not install buildah"
    fi
  elif command -v docker >/dev/null; then
    why="docker does not answer 'docker info' (no daemon), neither podman nor buildah is installed, and buildah cannot be installed here (needs root and apt-get)"
  else
    why="no container engine (docker, podman, buildah), and buildah cannot be installed here (needs root and apt-get)"
  fi
fi

echo
if [ -n "$why" ]; then
  die "cannot build the image: $why. Install one of docker, podman or buildah and run again (or DEMO_SKIP_BUILD=1)"
fi
export PACKAGING_ENGINE=$engine
inspect=()
if [ "$engine" = buildah ]; then
  # Daemonless and rootless-friendly defaults that work even without overlayfs, with a
  # store of the demo's own.
  export PACKAGING_BUILDAH_ARGS="${PACKAGING_BUILDAH_ARGS---storage-driver vfs --root $work/.buildah/root --runroot $work/.buildah/run}"
  export PACKAGING_BUILDAH_ISOLATION="${PACKAGING_BUILDAH_ISOLATION-chroot}"
  # shellcheck disable=SC2206
  inspect=(buildah $PACKAGING_BUILDAH_ARGS inspect --type image)
else
  inspect=("$engine" image inspect)
fi
echo .buildah/ >>"$work/.git/info/exclude"
log "engine: $engine"
rc=0
# cron-task has the placeholder Dockerfile (FROM scratch), which builds offline; api's
# node template needs its base image from a registry.
ctl build --target cron-task --tag v1.0.0 || rc=$?
if [ "$rc" -ne 0 ]; then
  die "build failed (exit $rc) with $engine"
fi
echo
echo "\$ ${inspect[*]} cron-task:v1.0.0"
# The image's labels: buildah answers an object (OCIv1.config), docker and podman an array.
"${inspect[@]}" cron-task:v1.0.0 | node -e '
let s = "";
process.stdin.on("data", (d) => (s += d)).on("end", () => {
  const j = JSON.parse(s);
  const labels = (Array.isArray(j) ? j[0].Config : j.OCIv1.config).Labels || {};
  for (const [k, v] of Object.entries(labels)) console.log(`  ${k}=${v}`);
});'
log "api uses the node template; build it where node:22 can be pulled:"
log "  node $CTL build --target api --tag v1.0.0"
