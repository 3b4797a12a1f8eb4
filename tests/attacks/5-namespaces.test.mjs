// Attack class 5 (issue 14): locks across containers. Writers in separate
// PID namespaces that share a hostname (containers on one bind mount) must
// not take over each other's live lock: a pid is only checked inside the PID
// namespace (and boot) that wrote it.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { test } from 'node:test';

import { deadPid, LOCK, makeRepo, REGISTRY } from '../e2e/helpers.mjs';

const TIMEOUT_MS = 1000;

const probe = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'readlink', '/proc/self/ns/pid'], { encoding: 'utf8' });
const canUnshare = probe.status === 0 ? true : `unshare --pid --fork refused: ${(probe.stderr || probe.error || '').toString().trim()}`;
if (canUnshare !== true) console.log(`# SKIPPED LOUDLY: PID-namespace tests need unshare (${canUnshare})`);

test('a live lock from another PID namespace on the same host is never taken over', { skip: canUnshare !== true && String(canUnshare) }, async () => {
  const repo = makeRepo({ templates: true });
  // A process in its own PID namespace that stays alive while the test runs.
  const holder = spawn('unshare', ['--pid', '--fork', '--mount-proc', 'sh', '-c', 'readlink /proc/self/ns/pid; exec sleep 30'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const ns = await new Promise((resolve, reject) => {
      let out = '';
      holder.stdout.on('data', (d) => { out += d; if (out.includes('\n')) resolve(out.trim()); });
      holder.on('error', reject);
    });
    assert.match(ns, /^pid:\[\d+\]$/);
    assert.equal(repo.run(['init']).code, 0);
    const boot = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    // Its pid (as that namespace numbers it) is not running in ours.
    const lock = { pid: deadPid(), host: os.hostname(), since: '2026-01-01T00:00:00.000Z', command: 'add', token: 'other', ns: `${boot} ${ns}` };
    fs.writeFileSync(repo.abs(LOCK), JSON.stringify(lock));
    const before = repo.read(REGISTRY);
    const r = repo.run(['add-service', '--id', 'svc'], { env: { PACKAGING_LOCK_TIMEOUT_MS: String(TIMEOUT_MS) }, timeout: TIMEOUT_MS + 5000 });
    assert.equal(r.signal, null);
    assert.notEqual(r.code, 0, `the live lock was taken over: ${r.stdout}`);
    assert.match(r.stderr, /is held by process .* in another PID namespace/);
    assert.equal(repo.read(REGISTRY), before);
    assert.equal(fs.readFileSync(repo.abs(LOCK), 'utf8'), JSON.stringify(lock), 'the lock is untouched');
  } finally {
    holder.kill('SIGKILL');
    repo.cleanup();
  }
});

test('writers in separate PID namespaces sharing a hostname lose no acknowledged add', { skip: canUnshare !== true && String(canUnshare) }, async () => {
  const repo = makeRepo({ templates: true });
  try {
    assert.equal(repo.run(['init']).code, 0);
    const env = repo.env({ PACKAGING_LOCK_TIMEOUT_MS: '20000' });
    // Each writer is a few processes deep in its own namespace, so the pids differ.
    const writers = Array.from({ length: 12 }, (_, i) => new Promise((resolve) => {
      const pad = Array.from({ length: i % 4 }, () => 'true;').join(' ');
      const c = spawn('unshare', ['--pid', '--fork', '--mount-proc', 'sh', '-c', `${pad} exec "$0" "$@"`, process.execPath, ...[fs.realpathSync(process.env.CTL_UNDER_TEST ?? new URL('../../dist/packaging/scripts/ctl-packaging.mjs', import.meta.url).pathname)], 'add-service', '--id', `ns${i}`], { cwd: repo.root, env });
      let out = '';
      c.stdout.on('data', (d) => { out += d; });
      c.on('close', (code) => resolve({ i, code, out }));
    }));
    const results = await Promise.all(writers);
    const ids = JSON.parse(repo.read(REGISTRY)).targets.map((t) => t.id);
    for (const r of results) {
      if (r.code === 0) assert.ok(ids.includes(`ns${r.i}`), `ns${r.i} was acknowledged and is in the registry`);
    }
    assert.equal(new Set(ids).size, ids.length);
  } finally {
    repo.cleanup();
  }
});
