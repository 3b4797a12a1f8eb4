// Attack class 1 (issue 14): a lock wait that never ends. Every lock state
// below must end a writer within the lock timeout plus 5 s, with either the
// change made or a refusal that names the lock file and the one thing to do;
// no leftover may wedge a later command.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

import { CTL, deadPid, leftovers, LOCK, makeRepo, REGISTRY, registryIds } from '../e2e/helpers.mjs';

const TIMEOUT_MS = 1000;
// The bound the issue sets for any command on any lock state.
const BOUND_MS = TIMEOUT_MS + 5000;
const ENV = { PACKAGING_LOCK_TIMEOUT_MS: String(TIMEOUT_MS) };

function initialised() {
  const repo = makeRepo({ templates: true });
  const r = repo.run(['init']);
  assert.equal(r.code, 0, r.stderr);
  return repo;
}

function bounded(repo, args, env = ENV) {
  const r = repo.run(args, { env, timeout: BOUND_MS });
  assert.equal(r.signal, null, `${args.join(' ')} did not end within ${BOUND_MS} ms (killed)\nstderr: ${r.stderr.slice(0, 500)}`);
  return r;
}

const staleLock = () =>
  JSON.stringify({ pid: deadPid(), host: os.hostname(), since: '2020-01-01T00:00:00.000Z', command: 'add' });

for (const [name, plant, words] of [
  ['a dangling symbolic link', (p) => fs.symlinkSync('/nonexistent/ctl-attack', p), /symbolic link/],
  ['a symbolic link to a live file outside', (p, repo) => {
    fs.writeFileSync(path.join(repo.base, 'outside'), 'x');
    fs.symlinkSync(path.join(repo.base, 'outside'), p);
  }, /symbolic link/],
  ['a FIFO', (p) => execFileSync('mkfifo', [p]), /FIFO|not a regular file/],
  ['a folder', (p) => fs.mkdirSync(p), /folder|directory|not a regular file/],
]) {
  test(`a lock that is ${name} is refused at once, naming it`, () => {
    const repo = initialised();
    try {
      plant(repo.abs(LOCK), repo);
      const before = repo.read(REGISTRY);
      const r = bounded(repo, ['add-service', '--id', 'svc']);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, new RegExp(`${LOCK.replace(/\./g, '\\.')}`));
      assert.match(r.stderr, words);
      assert.match(r.stderr, /delete it/);
      assert.equal(repo.read(REGISTRY), before, 'the registry is unchanged');
    } finally {
      repo.cleanup();
    }
  });
}

for (const [name, breaker] of [
  ['empty', ''],
  ['garbled', 'not a pid\n'],
  ['naming a live process', `${process.pid}`],
]) {
  test(`a stale lock with a leftover ${name} breaker is taken over within the bound`, () => {
    const repo = initialised();
    try {
      fs.writeFileSync(repo.abs(LOCK), staleLock());
      fs.writeFileSync(repo.abs(`${LOCK}.break`), breaker);
      const r = bounded(repo, ['add-service', '--id', 'svc']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(registryIds(repo), ['svc']);
      assert.deepEqual(leftovers(repo), []);
    } finally {
      repo.cleanup();
    }
  });
}

test('an empty lock with an empty breaker (what ENOSPC left) is taken over within the bound', () => {
  const repo = initialised();
  try {
    fs.writeFileSync(repo.abs(LOCK), '');
    fs.writeFileSync(repo.abs(`${LOCK}.break`), '');
    fs.writeFileSync(repo.abs(`${REGISTRY}.tmp`), '{"trunc');
    const r = bounded(repo, ['add-service', '--id', 'svc']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(registryIds(repo), ['svc']);
  } finally {
    repo.cleanup();
  }
});

test('a garbled lock left by a killed writer is taken over within the bound', () => {
  const repo = initialised();
  try {
    fs.writeFileSync(repo.abs(LOCK), '{"pid":12');
    const r = bounded(repo, ['add-service', '--id', 'svc']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(leftovers(repo), []);
  } finally {
    repo.cleanup();
  }
});

test('a live lock makes a writer give up after the timeout, naming holder and lock', () => {
  const repo = initialised();
  try {
    fs.writeFileSync(
      repo.abs(LOCK),
      JSON.stringify({ pid: process.pid, host: os.hostname(), since: '2026-01-01T00:00:00.000Z', command: 'add' }),
    );
    const r = bounded(repo, ['add-service', '--id', 'svc']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /registry\.json\.lock is held by process/);
    assert.match(r.stderr, new RegExp(`gave up after ${TIMEOUT_MS} ms`));
  } finally {
    repo.cleanup();
  }
});

// Linux: field 22 of /proc/<pid>/stat, as the host reads it.
function startOf(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

test('a lock whose pid now names another process (pid reused) is taken over; its own holder is waited for', { skip: !fs.existsSync('/proc/self/stat') && 'no /proc here' }, () => {
  const repo = initialised();
  try {
    // This test's own process is running, but it started at another time than
    // the lock says: the lock's writer is gone and its pid was given again.
    const held = (start) => JSON.stringify({ pid: process.pid, host: os.hostname(), since: '2026-01-01T00:00:00.000Z', command: 'add', start });
    fs.writeFileSync(repo.abs(LOCK), held(String(Number(startOf(process.pid)) - 1)));
    const r = bounded(repo, ['add-service', '--id', 'svc']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(registryIds(repo), ['svc']);
    assert.deepEqual(leftovers(repo), []);
    // The true start: the holder runs, and its lock is never broken.
    fs.writeFileSync(repo.abs(LOCK), held(startOf(process.pid)));
    const w = bounded(repo, ['add-service', '--id', 'other']);
    assert.notEqual(w.code, 0);
    assert.match(w.stderr, /registry\.json\.lock is held by process/);
    assert.deepEqual(registryIds(repo), ['svc']);
  } finally {
    repo.cleanup();
  }
});

for (const bad of ['abc', '-5', '1.5', '', '99999999999999']) {
  test(`PACKAGING_LOCK_TIMEOUT_MS=${JSON.stringify(bad)} is refused, naming the variable`, () => {
    const repo = initialised();
    try {
      // A live lock: a silent fallback to 10 s would wait here.
      fs.writeFileSync(
        repo.abs(LOCK),
        JSON.stringify({ pid: process.pid, host: os.hostname(), since: '2026-01-01T00:00:00.000Z', command: 'add' }),
      );
      const before = repo.read(REGISTRY);
      const started = Date.now();
      const r = bounded(repo, ['add-service', '--id', 'svc'], { PACKAGING_LOCK_TIMEOUT_MS: bad });
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /PACKAGING_LOCK_TIMEOUT_MS/);
      assert.match(r.stderr, /whole number of milliseconds/);
      assert.ok(Date.now() - started < BOUND_MS);
      assert.equal(repo.read(REGISTRY), before);
      assert.ok(!repo.exists('ops/packaging/services/svc.Dockerfile'), 'nothing was seeded');
    } finally {
      repo.cleanup();
    }
  });
}

// ENOSPC on a small tmpfs: the failed writer leaves nothing behind, and once
// space is freed the next writer succeeds.
const canMount = (() => {
  if (process.getuid?.() !== 0) return 'not root';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctl-mnt-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir]);
  if (r.status !== 0) return `mount refused: ${r.stderr}`;
  spawnSync('umount', [dir]);
  fs.rmdirSync(dir);
  return true;
})();
if (canMount !== true) console.log(`# SKIPPED LOUDLY: ENOSPC tests need a tmpfs mount (${canMount})`);

test('ENOSPC during a write leaves no lock, breaker or temporary file; freeing space unwedges', { skip: canMount !== true && String(canMount) }, () => {
  const repo = makeRepo({ templates: true });
  const mnt = path.join(repo.base, 'mnt');
  fs.mkdirSync(mnt);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mnt]);
  try {
    // The repository itself on the small filesystem.
    const root = path.join(mnt, 'repo');
    fs.cpSync(repo.root, root, { recursive: true });
    const run = (args) => {
      const r = spawnSync(process.execPath, [CTL, ...args], {
        cwd: root, env: repo.env(ENV), encoding: 'utf8', timeout: BOUND_MS,
      });
      assert.equal(r.signal, null, `${args.join(' ')} was killed after ${BOUND_MS} ms`);
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    };
    assert.equal(run(['init']).code, 0);
    assert.equal(run(['add-service', '--id', 'one']).code, 0);
    const filler = path.join(mnt, 'filler');
    const fd = fs.openSync(filler, 'w');
    const chunk = Buffer.alloc(64 * 1024, 1);
    try { for (let i = 0; i < 1000; i += 1) fs.writeSync(fd, chunk); } catch (e) { assert.equal(e.code, 'ENOSPC'); }
    // The last bytes: small writes until nothing fits.
    try { for (let i = 0; i < 100000; i += 1) fs.writeSync(fd, Buffer.alloc(1, 1)); } catch (e) { assert.equal(e.code, 'ENOSPC'); }
    fs.closeSync(fd);
    const registry = fs.readFileSync(path.join(root, REGISTRY));
    const full = run(['add-service', '--id', 'two']);
    assert.notEqual(full.code, 0, 'a write on a full disk fails');
    assert.match(full.stderr, /ENOSPC|no space/i);
    assert.deepEqual(fs.readFileSync(path.join(root, REGISTRY)), registry, 'registry unchanged');
    const left = fs.readdirSync(path.join(root, 'docs/packaging')).filter((n) => n !== 'registry.json' && n !== 'registry.schema.json');
    assert.deepEqual(left, [], 'no lock, breaker or temporary file is left');
    fs.rmSync(filler);
    const again = run(['add-service', '--id', 'two']);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(root, REGISTRY), 'utf8')).targets.map((t) => t.id), ['one', 'two']);
  } finally {
    spawnSync('umount', ['-l', mnt]);
    repo.cleanup();
  }
});

