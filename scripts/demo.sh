#!/usr/bin/env bash
# The main job, end to end: build the skill, install it into a copy of the sample
# monorepo, and run the documented flow there.
#
#   bash scripts/demo.sh        (npm run demo)
#
# The copy stays in a temporary directory whose path is printed at the end.
# The build step runs only where a container engine is usable (docker answering
# `docker info`, podman, or buildah); DEMO_SKIP_BUILD=1 skips it anyway.
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
  why="DEMO_SKIP_BUILD=1"
elif [ -z "$engine" ]; then
  if command -v docker >/dev/null && timeout 20 docker info >/dev/null 2>&1; then
    engine=docker
  elif command -v podman >/dev/null; then
    engine=podman
  elif command -v buildah >/dev/null; then
    engine=buildah
  elif command -v docker >/dev/null; then
    why="docker does not answer 'docker info' (no daemon), and neither podman nor buildah is installed"
  else
    why="no container engine: none of docker, podman, buildah is installed"
  fi
fi

echo
if [ -n "$why" ]; then
  log "skipped: node $CTL build --target cron-task --tag v1.0.0 ($why)"
  exit 0
fi
export PACKAGING_ENGINE=$engine
if [ "$engine" = buildah ]; then
  # Daemonless and rootless-friendly defaults that work even without overlayfs.
  export PACKAGING_BUILDAH_ARGS="${PACKAGING_BUILDAH_ARGS---storage-driver vfs}"
  export PACKAGING_BUILDAH_ISOLATION="${PACKAGING_BUILDAH_ISOLATION-chroot}"
fi
log "engine: $engine"
rc=0
# cron-task has the placeholder Dockerfile (FROM scratch), which builds offline; api's
# node template needs its base image from a registry.
ctl build --target cron-task --tag v1.0.0 || rc=$?
if [ "$rc" -ne 0 ]; then
  log "build failed (exit $rc) with $engine"
  exit "$rc"
fi
log "api uses the node template; build it where node:22 can be pulled:"
log "  node $CTL build --target api --tag v1.0.0"
