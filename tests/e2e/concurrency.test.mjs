// Issue 3: concurrent writers never lose each other's targets; a stale lock is
// taken over; a live lock makes a writer give up after a bounded wait.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import { test } from 'node:test';

import { deadPid, leftovers, lines, LOCK, makeRepo, REGISTRY, registryIds } from './helpers.mjs';

const WRITERS = 20;

for (let round = 1; round <= 3; round += 1) {
  test(`round ${round}: ${WRITERS} concurrent add-service keep all ${WRITERS} targets`, async () => {
    const repo = makeRepo({ templates: true });
    try {
      const init = repo.run(['init']);
      assert.equal(init.code, 0, `init\nstdout: ${init.stdout}\nstderr: ${init.stderr}`);
      const ids = Array.from({ length: WRITERS }, (_, i) => `svc${i}`);
      const results = await Promise.all(ids.map((id) => repo.runAsync(['add-service', '--id', id])));
      results.forEach((r, i) => {
        assert.equal(r.code, 0, `svc${i} exit code ${r.code} ${r.signal ?? ''}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
        assert.equal(r.stdout, `[ok] Added packaging target: svc${i} (service)\n`);
        assert.equal(r.stderr, '');
      });
      const got = registryIds(repo);
      assert.deepEqual([...got].sort(), [...ids].sort(), 'every target is in the registry, once');
      assert.deepEqual(leftovers(repo), [], 'no .lock/.tmp files remain');
      for (const id of ids) assert.ok(repo.exists(`ops/packaging/services/${id}.Dockerfile`), `${id}.Dockerfile`);
      const list = repo.run(['list']);
      assert.equal(list.code, 0);
      assert.equal(lines(list.stdout)[0], `Packaging Targets (${WRITERS}):`);
    } finally {
      repo.cleanup();
    }
  });
}

test('concurrent add and remove of different targets keep every surviving target', async () => {
  const repo = makeRepo({ templates: true });
  try {
    assert.equal(repo.run(['init']).code, 0);
    for (let i = 0; i < 6; i += 1) {
      const r = repo.run(['add-job', '--id', `old${i}`]);
      assert.equal(r.code, 0, `add-job old${i}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    }
    const jobs = [];
    for (let i = 0; i < 6; i += 1) {
      jobs.push(repo.runAsync(['remove', '--id', `old${i}`]));
      jobs.push(repo.runAsync(['add-app', '--id', `new${i}`]));
    }
    const results = await Promise.all(jobs);
    for (const r of results) assert.equal(r.code, 0, `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
    assert.deepEqual(registryIds(repo).sort(), ['new0', 'new1', 'new2', 'new3', 'new4', 'new5']);
    assert.deepEqual(leftovers(repo), []);
  } finally {
    repo.cleanup();
  }
});

test('init racing add-service in a repository without a registry loses no target', async () => {
  const repo = makeRepo({ templates: false });
  try {
    const jobs = [repo.runAsync(['init'])];
    for (let i = 0; i < 8; i += 1) {
      jobs.push(repo.runAsync(['add-service', '--id', `svc${i}`]));
      if (i % 3 === 0) jobs.push(repo.runAsync(['init']));
    }
    const results = await Promise.all(jobs);
    for (const r of results) assert.equal(r.code, 0, `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
    assert.deepEqual(registryIds(repo).sort(), Array.from({ length: 8 }, (_, i) => `svc${i}`).sort());
    assert.deepEqual(leftovers(repo), []);
  } finally {
    repo.cleanup();
  }
});

test('a stale lock (its process is gone) is taken over', () => {
  const repo = makeRepo({ templates: true });
  try {
    assert.equal(repo.run(['init']).code, 0);
    const pid = deadPid();
    repo.write(
      LOCK,
      JSON.stringify({ pid, host: os.hostname(), since: '2026-01-01T00:00:00.000Z', command: 'add' }),
    );
    const started = Date.now();
    // Were the lock waited out, this would take the whole minute; the margin is wide
    // so that a loaded machine cannot fail it.
    const r = repo.run(['add-service', '--id', 'after-stale'], { env: { PACKAGING_LOCK_TIMEOUT_MS: '60000' } });
    assert.equal(r.code, 0, `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
    assert.equal(r.stdout, '[ok] Added packaging target: after-stale (service)\n');
    assert.equal(r.stderr, '');
    assert.ok(Date.now() - started < 30000, 'no waiting for the timeout');
    assert.deepEqual(registryIds(repo), ['after-stale']);
    assert.deepEqual(leftovers(repo), [], 'the stale lock is gone');
  } finally {
    repo.cleanup();
  }
});

test('an empty lock (a writer killed between creating and filling it) is taken over', () => {
  const repo = makeRepo({ templates: true });
  try {
    assert.equal(repo.run(['init']).code, 0);
    repo.write(LOCK, '');
    const r = repo.run(['add-service', '--id', 'after-empty']);
    assert.equal(r.code, 0, `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
    assert.deepEqual(registryIds(repo), ['after-empty']);
    assert.deepEqual(leftovers(repo), []);
  } finally {
    repo.cleanup();
  }
});

test('a lock held by a live process: add-service gives up after the bounded wait, naming the lock', () => {
  const repo = makeRepo({ templates: true });
  try {
    assert.equal(repo.run(['init']).code, 0);
    const since = '2026-01-01T00:00:00.000Z';
    const lockText = JSON.stringify({ pid: process.pid, host: os.hostname(), since, command: 'add' });
    repo.write(LOCK, lockText);
    const registryBefore = repo.readBytes(REGISTRY);
    const started = Date.now();
    const r = repo.run(['add-service', '--id', 'blocked'], { env: { PACKAGING_LOCK_TIMEOUT_MS: '300' } });
    const took = Date.now() - started;
    assert.equal(r.code, 1, `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.deepEqual(lines(r.stderr), [
      `[error] ${LOCK} is held by process ${process.pid} (add, since ${since}); gave up after 300 ms. ` +
        `If no ctl-packaging command is running, delete ${LOCK}`,
    ]);
    assert.ok(took < 20000, `bounded wait (${took} ms): a 300 ms timeout, with room for a loaded machine`);
    assert.ok(repo.readBytes(REGISTRY).equals(registryBefore), 'registry bytes unchanged');
    assert.equal(repo.read(LOCK), lockText, 'the live lock is left alone');
    assert.equal(repo.exists('ops/packaging/services/blocked.Dockerfile'), false, 'no Dockerfile seeded');
    fs.rmSync(repo.abs(LOCK));
    const again = repo.run(['add-service', '--id', 'blocked']);
    assert.equal(again.code, 0, again.stderr);
  } finally {
    repo.cleanup();
  }
});

test('a lock from another host is never broken, even if its pid is not running here', () => {
  const repo = makeRepo({ templates: true });
  try {
    assert.equal(repo.run(['init']).code, 0);
    const lockText = JSON.stringify({ pid: deadPid(), host: `not-${os.hostname()}`, since: 'x', command: 'remove' });
    repo.write(LOCK, lockText);
    const r = repo.run(['add-service', '--id', 'blocked'], { env: { PACKAGING_LOCK_TIMEOUT_MS: '300' } });
    assert.equal(r.code, 1, `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
    assert.equal(lines(r.stderr).length, 1);
    assert.ok(r.stderr.startsWith(`[error] ${LOCK} is held by process `), r.stderr);
    assert.ok(r.stderr.includes(`on host "not-${os.hostname()}"`), r.stderr);
    assert.equal(repo.read(LOCK), lockText);
  } finally {
    repo.cleanup();
  }
});
