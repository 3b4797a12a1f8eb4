// Attack class 10: --engine buildx. A fake `docker` on PATH stands for buildx
// (it answers `buildx version`, logs every call, and plays a bake or a build
// as FAKE_MODE says), so these run without BuildKit. Outputs whose dest would
// collide or land on the tool's files, time limits and signals that must stop
// every process a build started, hostile metadata, and `export --out` raced
// into the repository. Every wait is bounded.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import { CTL, makeRepo, REGISTRY, startSwapper } from '../e2e/helpers.mjs';

const DIGEST = `sha256:${'a'.repeat(64)}`;

// FAKE_MODE: ok (metadata from FAKE_META), fail (exit 1, no metadata), garbage
// (exit 0, metadata that is not JSON), slow (no exec: a grandchild that writes
// FAKE_MARKER after FAKE_SLEEP seconds, waited for); and, for a plain
// \`docker build\` (the helper's) as for buildx: live (a line, then a wait of at
// most 20 s for the file FAKE_GO, exit 4 without it) and chatty (FAKE_MIB MiB of
// progress lines), each then as ok.
const FAKE_DOCKER = `#!/bin/sh
printf '%s\\n' "$*" >> "$FAKE_LOG"
speak() {
  case "$FAKE_MODE" in
    live) echo "fake: step 1 of 2"; n=0
      while [ ! -e "$FAKE_GO" ]; do n=$((n + 1)); [ $n -gt 200 ] && exit 4; sleep 0.1; done ;;
    chatty) yes 'fake: a line of build progress, over and over again' | head -c $((FAKE_MIB * 1048576)); echo ;;
  esac
}
if [ "$1" = build ]; then speak; exit 0; fi
[ "$1" = buildx ] || exit 2
case "$2" in
  version) echo "github.com/docker/buildx v0.36.1 fake"; exit 0 ;;
  history) exit 1 ;;
  bake|build) ;;
  *) exit 2 ;;
esac
meta=""; prev=""
for a in "$@"; do [ "$prev" = "--metadata-file" ] && meta="$a"; prev="$a"; done
case "$FAKE_MODE" in
  ok) printf '%s' "$FAKE_META" > "$meta"; exit 0 ;;
  live|chatty) speak; printf '%s' "$FAKE_META" > "$meta"; exit 0 ;;
  fail) exit 1 ;;
  garbage) printf 'not json {' > "$meta"; exit 0 ;;
  slow) sh -c 'sleep "$FAKE_SLEEP"; echo pushed > "$FAKE_MARKER"'; exit 0 ;;
esac
exit 3
`;

function buildxRepo(ids = ['a', 'b']) {
  const repo = makeRepo({ templates: true });
  assert.equal(repo.run(['init']).code, 0);
  for (const id of ids) assert.equal(repo.run(['add-service', '--id', id]).code, 0);
  const bin = path.join(repo.base, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  fs.writeFileSync(path.join(bin, 'docker'), FAKE_DOCKER, { mode: 0o755 });
  const tmp = path.join(repo.base, 'tmp');
  fs.mkdirSync(tmp);
  const log = path.join(repo.base, 'fake.log');
  const env = (extra = {}) => ({
    PATH: `${bin}${path.delimiter}${process.env.PATH}`,
    TMPDIR: tmp,
    FAKE_LOG: log,
    FAKE_MODE: 'ok',
    FAKE_META: JSON.stringify({ 'containerimage.digest': DIGEST }),
    BUILDX_BUILDER: '',
    ...extra,
  });
  const calls = () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter(Boolean) : []);
  const builds = () => calls().filter((l) => / (bake|build) /.test(l));
  return { repo, env, calls, builds, tmp, log };
}

function unchanged(repo, before) {
  const after = repo.snapshotAll();
  for (const [k, v] of before) {
    if (k.startsWith('fake.log') || k.startsWith('tmp')) continue;
    assert.ok(after.has(k), `${k} is still there`);
    if (v.type === 'file') assert.ok(after.get(k).bytes.equals(v.bytes), `${k} unchanged`);
  }
}

// 1. One dest for every target, hidden from a check that reads the spec as
// `split(',')` with the key `dest` in lower case: buildx reads CSV (quotes)
// with keys in any case.
for (const spec of ['type=oci,"dest=out/same.tar"', 'type=oci,DEST=out/same2.tar', 'type=oci, dest=out/same3.tar', 'TYPE=oci,"DeSt=out/same4.tar"']) {
  test(`build-all --output ${spec} (one file for every target) is refused; buildx never runs`, () => {
    const { repo, env, builds } = buildxRepo();
    try {
      const r = repo.run(['build-all', '--engine', 'buildx', '--no-provenance', '--output', spec], { env: env() });
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.doesNotMatch(r.stdout, /\[ok\]/);
      assert.match(r.stderr, /every target would write the same dest; put \{id\} in it/);
      assert.deepEqual(builds(), []);
    } finally {
      repo.cleanup();
    }
  });
}

test('build-all --output with an absolute dest in quotes or upper case gets --allow=fs.write= for its folder', () => {
  const { repo, env, builds } = buildxRepo();
  try {
    const out = path.join(repo.base, 'ci-out');
    fs.mkdirSync(out);
    const meta = JSON.stringify({ a: { 'containerimage.digest': DIGEST }, b: { 'containerimage.digest': DIGEST } });
    const r = repo.run(['build-all', '--engine', 'buildx', '--no-provenance', '--output', `type=oci,"DEST=${out}/{id}.tar"`], { env: env({ FAKE_META: meta }) });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(builds().length, 1);
    assert.match(builds()[0], new RegExp(`--allow=fs.write=${out}( |$)`));
  } finally {
    repo.cleanup();
  }
});

// 5. Where a dest may be, one rule for build and build-all.
// [build's spec, build-all's spec, why]
const REFUSED_DESTS = [
  ['type=local,dest=.', 'type=local,dest={id}/..', /the repository root, which holds files this tool owns/],
  ['type=local,dest=docs', 'type=local,dest=docs/{id}/..', /holds files this tool owns/],
  ['type=oci,dest=docs/packaging/registry.json', 'type=oci,dest=docs/packaging/registry.json{id}', /is a file this tool owns/],
  ['type=tar,dest=.git/x.tar', 'type=tar,dest=.git/{id}.tar', /inside \.git/],
  ['type=local,dest=ops/packaging/scripts', 'type=local,dest=ops/packaging/scripts/{id}', /is a file this tool owns/],
  ['type=oci,dest=../x.tar', 'type=oci,dest=../{id}.tar', /outside the repository/],
  ['type=oci,dest=link/x.tar', 'type=oci,dest=link/{id}.tar', /outside the repository/],
  ['type=local,dest=full/a', 'type=local,dest=full/{id}', /not empty/],
];
for (const [one, all, why] of REFUSED_DESTS) {
  for (const cmd of ['build', 'build-all']) {
    const s = cmd === 'build' ? one : all;
    test(`${cmd} --output ${s} is refused before buildx runs; nothing changes`, () => {
      const { repo, env, builds } = buildxRepo();
      try {
        fs.mkdirSync(path.join(repo.base, 'elsewhere'));
        fs.symlinkSync(path.join(repo.base, 'elsewhere'), repo.abs('link'));
        repo.write('full/a/keep.txt', 'keep\n');
        const before = repo.snapshotAll();
        const args = cmd === 'build' ? ['build', '--target', 'a'] : ['build-all'];
        const r = repo.run([...args, '--engine', 'buildx', '--no-provenance', '--output', s], { env: env() });
        assert.equal(r.code, 1, r.stdout + r.stderr);
        assert.doesNotMatch(r.stdout, /\[ok\]/);
        assert.match(r.stderr, why);
        assert.deepEqual(builds(), []);
        unchanged(repo, before);
      } finally {
        repo.cleanup();
      }
    });
  }
}

test('build --output to a new file, a new folder, or an absolute path outside runs buildx with that output', () => {
  const { repo, env, builds } = buildxRepo();
  try {
    const out = path.join(repo.base, 'ci-out');
    fs.mkdirSync(out);
    fs.mkdirSync(repo.abs('empty'));
    for (const spec of ['type=oci,dest=out/a.tar', 'type=local,dest=newdir', 'type=local,dest=empty', `type=oci,dest=${out}/a.tar`, 'type=registry']) {
      const r = repo.run(['build', '--target', 'a', '--engine', 'buildx', '--no-provenance', '--output', spec], { env: env() });
      assert.equal(r.code, 0, `${spec}: ${r.stderr}`);
      assert.ok(builds().at(-1).includes(`--output ${spec}`), builds().at(-1));
    }
  } finally {
    repo.cleanup();
  }
});

// 3. The time limit stops every process of the build, not only the first.
test('past PACKAGING_BUILD_TIMEOUT_S a wrapper docker and its grandchild are both stopped: nothing runs on', () => {
  const { repo, env } = buildxRepo();
  try {
    const marker = path.join(repo.base, 'pushed');
    const started = Date.now();
    const r = repo.run(['build', '--target', 'a', '--engine', 'buildx', '--no-provenance', '--push'],
      { env: env({ FAKE_MODE: 'slow', FAKE_SLEEP: '4', FAKE_MARKER: marker, PACKAGING_BUILD_TIMEOUT_S: '1' }), timeout: 30_000 });
    const took = Date.now() - started;
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /ran longer than 1 s and was stopped/);
    assert.doesNotMatch(r.stdout, /\[ok\]/);
    assert.ok(took < 3500, `the CLI and its pipes ended without waiting for the grandchild (${took} ms)`);
    // Past the grandchild's own time: it must never have written.
    const end = Date.now() + 5000;
    while (Date.now() < end && !fs.existsSync(marker)) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    assert.equal(fs.existsSync(marker), false, 'the grandchild ran on after the CLI said it was stopped');
  } finally {
    repo.cleanup();
  }
});

// 4. A signal to the CLI stops the bake and removes the private folder.
for (const signal of ['SIGTERM', 'SIGINT']) {
  test(`${signal} to the CLI while a bake runs stops every process of it and removes its temporary folder`, async () => {
    const { repo, env, tmp, builds } = buildxRepo();
    try {
      const marker = path.join(repo.base, 'pushed');
      const child = spawn(process.execPath, [CTL, 'build-all', '--engine', 'buildx', '--no-provenance', '--push'], {
        cwd: repo.root, env: { ...repo.env(), ...env({ FAKE_MODE: 'slow', FAKE_SLEEP: '3', FAKE_MARKER: marker }) }, stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
      child.stderr.resume();
      const closed = new Promise((resolve) => child.on('close', (code, sig) => resolve({ code, sig })));
      const until = Date.now() + 10_000;
      while (builds().length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      assert.equal(builds().length, 1, 'the bake started');
      await new Promise((r) => setTimeout(r, 300));
      const sentAt = Date.now();
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      const { code, sig } = await closed;
      clearTimeout(timer);
      assert.ok(Date.now() - sentAt < 2500, 'the CLI and its pipes ended soon after the signal');
      const n = { SIGTERM: 15, SIGINT: 2 }[signal];
      assert.ok(sig === signal || code === 128 + n, `ended by ${signal} (code ${code}, signal ${sig})`);
      assert.doesNotMatch(stdout, /\[ok\]/);
      await new Promise((r) => setTimeout(r, 4000));
      assert.equal(fs.existsSync(marker), false, 'the bake ran on after the CLI was stopped');
      assert.deepEqual(fs.readdirSync(tmp), [], 'the private temporary folder is removed');
    } finally {
      repo.cleanup();
    }
  });
}

// 6. A failed bake writes no metadata file: no target is called ok or failed on a guess.
test('after a failed bake every target is unknown, said so, and no [ok]', () => {
  const { repo, env } = buildxRepo();
  try {
    const r = repo.run(['build-all', '--engine', 'buildx', '--no-provenance', '--push', '--format', 'json'], { env: env({ FAKE_MODE: 'fail' }) });
    assert.equal(r.code, 1, r.stderr);
    const v = JSON.parse(r.stdout);
    assert.equal(v.ok, false);
    assert.deepEqual(v.targets.map((t) => [t.id, t.result]), [['a', 'unknown'], ['b', 'unknown']]);
    assert.ok(v.diagnostics.some((d) => /bake failed; results of individual targets are unknown/.test(d.message)), r.stdout);
    const t = repo.run(['build-all', '--engine', 'buildx', '--no-provenance', '--push'], { env: env({ FAKE_MODE: 'fail' }) });
    assert.equal(t.code, 1);
    assert.doesNotMatch(t.stdout, /\[ok\]| ok /);
    assert.match(t.stdout, /unknown/);
    assert.match(t.stderr, /bake failed; results of individual targets are unknown/);
  } finally {
    repo.cleanup();
  }
});

// 7. A digest is printed only when it is one.
test('a hostile digest in the metadata file is not printed; it is unknown, with a warning', () => {
  const { repo, env } = buildxRepo();
  try {
    const evil = 'evil\n[ok] Built all 2 targets\u001b[2J';
    const meta = JSON.stringify({ a: { 'containerimage.digest': evil }, b: { 'containerimage.digest': DIGEST.toUpperCase() } });
    const r = repo.run(['build-all', '--engine', 'buildx', '--no-provenance', '--push'], { env: env({ FAKE_META: meta }) });
    assert.doesNotMatch(r.stdout + r.stderr, /\u001b|evil/);
    assert.equal(r.stdout.split('\n').filter((l) => l.startsWith('[ok]')).length <= 1, true);
    assert.doesNotMatch(r.stdout, /^\[ok\] Built all 2 targets$/m);
    assert.match(r.stderr, /\[warn\] .*digest .*(a|b)/);
    const one = repo.run(['build', '--target', 'a', '--engine', 'buildx', '--no-provenance', '--push'], { env: env({ FAKE_META: JSON.stringify({ 'containerimage.digest': evil }) }) });
    assert.doesNotMatch(one.stdout + one.stderr, /\u001b|evil/);
  } finally {
    repo.cleanup();
  }
});

// 8. Unreadable metadata keeps the per-target results in JSON.
test('unreadable metadata with --format json keeps the targets (unknown) beside the error', () => {
  const { repo, env } = buildxRepo();
  try {
    const r = repo.run(['build-all', '--engine', 'buildx', '--no-provenance', '--push', '--format', 'json'], { env: env({ FAKE_MODE: 'garbage' }) });
    assert.equal(r.code, 1, r.stderr);
    const v = JSON.parse(r.stdout);
    assert.equal(v.ok, false);
    assert.deepEqual(v.targets.map((t) => [t.id, t.result, t.digest]), [['a', 'unknown', null], ['b', 'unknown', null]]);
    assert.ok(v.diagnostics.some((d) => /metadata file is not JSON/.test(d.message)), r.stdout);
  } finally {
    repo.cleanup();
  }
});

// 9. With --format json the engine's output goes to stderr as it comes, however
// much of it there is: a build's progress is seen while it runs (the engine
// waits for the test to have seen its first line), and more output than a
// captured pipe may hold (64 MiB) neither fails the build nor is lost.
for (const [engine, args] of [
  ['buildx', ['build-all', '--engine', 'buildx', '--no-provenance', '--push', '--format', 'json']],
  ['the helper (docker)', ['build', '--target', 'a', '--engine', 'docker', '--no-provenance', '--format', 'json']],
]) {
  test(`--format json with ${engine}: the engine's output is on stderr while it runs`, async () => {
    const { repo, env } = buildxRepo(['a']);
    try {
      const go = path.join(repo.base, 'go');
      const r = await repo.runAsync(args, {
        env: env({ FAKE_MODE: 'live', FAKE_GO: go }),
        onStderr: (text) => { if (text.includes('fake: step 1 of 2')) fs.writeFileSync(go, ''); },
      });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(JSON.parse(r.stdout).ok, true);
      assert.ok(fs.existsSync(go), 'the engine\'s first line was seen before it ended');
      assert.doesNotMatch(r.stdout, /fake: step/);
    } finally {
      repo.cleanup();
    }
  });

  test(`--format json with ${engine}: 80 MiB of engine output all reach stderr, and the result holds`, async () => {
    const { repo, env } = buildxRepo(['a']);
    try {
      const r = await repo.runAsync(args, { env: env({ FAKE_MODE: 'chatty', FAKE_MIB: '80' }) });
      assert.equal(r.code, 0, r.stderr.slice(-2000));
      const v = JSON.parse(r.stdout);
      assert.equal(v.ok, true);
      const lines = r.stderr.split('\n').filter((l) => l.startsWith('fake: a line of build progress'));
      assert.ok(lines.length * 52 >= 80 * 1048576 - 52, `all the engine's lines are on stderr (${lines.length})`);
    } finally {
      repo.cleanup();
    }
  });
}

// 2. export --out outside, its folder swapped for a link into docs/packaging
// while the command runs (rename-exchange). Bounded: at most SWAP_SECONDS of
// swapping and EXPORTS commands.
const EXPORTS = 24;
const SWAP_SECONDS = 20;

test('export --out /outside/dir/registry.json with dir swapped for a link into the repository never writes the registry', async () => {
  const { repo } = buildxRepo(['svc']);
  try {
    const dir = path.join(repo.base, 'ci', 'dir');
    fs.mkdirSync(dir, { recursive: true });
    const swapLink = path.join(repo.base, 'ci', 'swap');
    fs.symlinkSync(repo.abs('docs/packaging'), swapLink);
    const before = repo.read(REGISTRY);
    const stop = path.join(repo.base, 'stop');
    const { ready, ended } = startSwapper(dir, swapLink, stop, SWAP_SECONDS);
    assert.ok(await ready, 'the swapper began before the commands');
    const results = [];
    try {
      for (let i = 0; i < EXPORTS; i += 4) {
        results.push(...(await Promise.all([0, 1, 2, 3].map(() => repo.runAsync(['export', '--no-provenance', '--out', `${dir}/registry.json`])))));
      }
    } finally {
      fs.writeFileSync(stop, '');
    }
    const swapped = await ended;
    assert.equal(swapped.code, 0, `swapper: ${swapped.stderr}`);
    assert.ok(swapped.swaps > 0, 'the folder was swapped');
    assert.equal(repo.read(REGISTRY), before, 'the registry is unchanged');
    for (const r of results) {
      assert.equal(r.signal, null);
      if (r.code === 0) assert.match(r.stdout, /\[ok\] Wrote /);
      else assert.doesNotMatch(r.stdout, /\[ok\]/);
    }
    // Every [ok] wrote a Bake file into the real outside folder.
    if (results.some((r) => r.code === 0)) assert.ok(JSON.parse(fs.readFileSync(path.join(dir, 'registry.json'), 'utf8')).group);
  } finally {
    repo.cleanup();
  }
});
