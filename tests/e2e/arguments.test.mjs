// Issue 2: `--id` without a value is an error, never the id "true" (issue 15: a
// command line it cannot read exits 2); `status`
// without a registry says "never" / null instead of inventing a time.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { diffSnapshots, lines, makeRepo, NO_CHANGE, REGISTRY } from './helpers.mjs';

for (const args of [
  ['add-service', '--id'],
  ['add-service', '--id', '--module', 'x'],
  ['add', '--id', '--type', 'job'],
  ['add-job', '--name'],
  ['remove', '--id'],
]) {
  test(`${args.join(' ')} → [error] --${args[1].slice(2)} needs a value, exit 2`, () => {
    const repo = makeRepo({ templates: true });
    try {
      assert.equal(repo.run(['init']).code, 0);
      // A target "true" would be the old bug; make sure remove would have found one.
      const seeded = repo.run(['add-app', '--id', 'true']);
      assert.equal(seeded.code, 0, seeded.stderr);
      const registryBefore = repo.readBytes(REGISTRY);
      const snap = repo.snapshotAll();

      const r = repo.run(args);
      assert.equal(r.code, 2, `exit code\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
      assert.deepEqual(lines(r.stderr), [`[error] --${args[1].slice(2)} needs a value`]);
      assert.equal(r.stdout, '');
      assert.ok(repo.readBytes(REGISTRY).equals(registryBefore), 'registry bytes unchanged');
      assert.deepEqual(diffSnapshots(snap, repo.snapshotAll()), NO_CHANGE);
    } finally {
      repo.cleanup();
    }
  });
}

test('status with no registry: Updated at: never; JSON updatedAt null', () => {
  const repo = makeRepo();
  try {
    const snap = repo.snapshotAll();
    const text = repo.run(['status']);
    assert.equal(text.code, 0, text.stderr);
    assert.equal(text.stdout, 'Packaging Status:\n  Initialized: no\n  Targets: 0\n  Updated at: never\n');
    assert.equal(text.stderr, '');

    const json = repo.run(['status', '--format', 'json']);
    assert.equal(json.code, 0, json.stderr);
    assert.equal(json.stdout, '{\n  "initialized": false,\n  "targets": 0,\n  "updatedAt": null\n}\n');
    assert.deepEqual(JSON.parse(json.stdout), { initialized: false, targets: 0, updatedAt: null });

    const upper = repo.run(['status', '--format', 'JSON']);
    assert.equal(upper.stdout, json.stdout, '--format is case-insensitive');
    assert.deepEqual(diffSnapshots(snap, repo.snapshotAll()), NO_CHANGE, 'status writes nothing');
  } finally {
    repo.cleanup();
  }
});

test('status after init --dry-run still has no registry: never / null', () => {
  const repo = makeRepo();
  try {
    const dry = repo.run(['init', '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal(repo.exists(REGISTRY), false);
    const json = repo.run(['status', '--format', 'json']);
    assert.deepEqual(JSON.parse(json.stdout), { initialized: false, targets: 0, updatedAt: null });
  } finally {
    repo.cleanup();
  }
});
