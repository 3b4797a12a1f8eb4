// Attack class 2 (issue 14): writes outside the repository. Planted symbolic
// links at temporary-file names, values that lead outside through a symlinked
// folder, and a folder swapped for a symlink (rename-exchange) while commands
// run must never change a file outside the repository.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import { diffSnapshots, leftovers, makeRepo, NO_CHANGE, REGISTRY, registryIds, snapshot, startSwapper } from '../e2e/helpers.mjs';

function initialised() {
  const repo = makeRepo({ templates: true });
  const r = repo.run(['init']);
  assert.equal(r.code, 0, r.stderr);
  return repo;
}

/** An outside file with recognisable bytes and a narrow mode. */
function outsideFile(repo, name = 'outside-secret') {
  const p = path.join(repo.base, name);
  fs.writeFileSync(p, 'outside bytes\n', { mode: 0o600 });
  fs.chmodSync(p, 0o600);
  return p;
}

const state = (p) => ({ bytes: fs.readFileSync(p, 'utf8'), mode: fs.statSync(p).mode & 0o7777 });

for (const name of ['registry.json.tmp', 'registry.json.lock.tmp', '.registry.json.tmp']) {
  test(`a symbolic link planted at docs/packaging/${name} is never written through`, () => {
    const repo = initialised();
    try {
      const outside = outsideFile(repo);
      const before = state(outside);
      fs.symlinkSync(outside, repo.abs(`docs/packaging/${name}`));
      const r = repo.run(['add-service', '--id', 'svc']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(state(outside), before, 'the outside file is unchanged (bytes and mode)');
      assert.ok(fs.lstatSync(repo.abs(REGISTRY)).isFile(), 'the registry is a regular file');
      assert.deepEqual(registryIds(repo), ['svc']);
    } finally {
      repo.cleanup();
    }
  });
}

test('a symbolic link planted at the seeded Dockerfile\'s temporary name is never written through', () => {
  const repo = initialised();
  try {
    const outside = outsideFile(repo);
    const before = state(outside);
    fs.mkdirSync(repo.abs('ops/packaging/services'), { recursive: true });
    for (const n of ['svc.Dockerfile.tmp', '.svc.Dockerfile.tmp']) {
      fs.symlinkSync(outside, repo.abs(`ops/packaging/services/${n}`));
    }
    const r = repo.run(['add-service', '--id', 'svc']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(state(outside), before);
    assert.ok(fs.lstatSync(repo.abs('ops/packaging/services/svc.Dockerfile')).isFile());
  } finally {
    repo.cleanup();
  }
});

for (const option of ['--module', '--context']) {
  test(`${option} through a symlinked folder is refused before anything is written`, () => {
    const repo = initialised();
    try {
      fs.mkdirSync(path.join(repo.base, 'elsewhere'));
      fs.symlinkSync(path.join(repo.base, 'elsewhere'), repo.abs('linked'));
      const before = repo.snapshotAll();
      const r = repo.run(['add-service', '--id', 'svc', option, 'linked']);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, new RegExp(`${option} "linked" leads outside the repository`));
      assert.deepEqual(diffSnapshots(before, repo.snapshotAll()), NO_CHANGE);
    } finally {
      repo.cleanup();
    }
  });
}

// docs/packaging is exchanged with a symbolic link to an outside folder
// (renameat2 RENAME_EXCHANGE) again and again while writers run. Bounded:
// at most SWAP_SECONDS of swapping and WRITERS commands.
const WRITERS = 24;
const SWAP_SECONDS = 20;

test('a folder exchanged with a symlink to outside while writers run gets no write outside', async () => {
  const repo = initialised();
  try {
    const outsideDir = path.join(repo.base, 'outside-dir');
    fs.mkdirSync(outsideDir);
    fs.writeFileSync(path.join(outsideDir, 'registry.json'), 'outside registry\n');
    const swapLink = repo.abs('docs/swap');
    fs.symlinkSync(outsideDir, swapLink);
    const outsideBefore = snapshot(outsideDir);
    const stop = path.join(repo.base, 'stop');
    const { ready, ended } = startSwapper(repo.abs('docs/packaging'), swapLink, stop, SWAP_SECONDS);
    assert.ok(await ready, 'the swapper began before the commands');
    const results = [];
    for (let i = 0; i < WRITERS; i += 4) {
      results.push(...(await Promise.all([0, 1, 2, 3].map((k) => repo.runAsync(['add-service', '--id', `s${i + k}`], { env: { PACKAGING_LOCK_TIMEOUT_MS: '2000' } })))));
    }
    fs.writeFileSync(stop, '');
    const swapped = await ended;
    assert.equal(swapped.code, 0, `swapper: ${swapped.stderr}`);
    assert.ok(swapped.swaps > 0, 'the folder was swapped');
    assert.deepEqual(diffSnapshots(outsideBefore, snapshot(outsideDir)), NO_CHANGE, 'nothing outside changed');
    for (const r of results) assert.equal(r.signal, null);
    // Every acknowledged add is in the registry.
    const ids = registryIds(repo);
    results.forEach((r, i) => {
      if (r.code === 0) assert.ok(ids.includes(`s${i}`), `s${i} was acknowledged and is in the registry`);
    });
    assert.deepEqual(leftovers(repo).filter((n) => !n.startsWith('registry.json.lock')), []);
  } finally {
    repo.cleanup();
  }
});
