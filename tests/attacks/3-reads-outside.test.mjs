// Attack class 3 (issue 14): reads outside the repository, and hangs. A
// committed Dockerfile or registry that is a symbolic link to a device, a
// FIFO or an outside file, or a file over the size limit, must end every
// command within a bound with a finding or an error naming the path, and no
// outside file's content may reach the output.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import { makeRepo, REGISTRY, startSwapper } from '../e2e/helpers.mjs';

const BOUND_MS = 10_000;
const MARKER = 'OUTSIDE-MARKER-7f3a';

function withTarget() {
  const repo = makeRepo({ templates: true });
  assert.equal(repo.run(['init']).code, 0);
  const r = repo.run(['add-service', '--id', 'svc']);
  assert.equal(r.code, 0, r.stderr);
  return repo;
}

function bounded(repo, args, env = {}) {
  const r = repo.run(args, { timeout: BOUND_MS, env });
  assert.equal(r.signal, null, `${args.join(' ')} did not end within ${BOUND_MS} ms`);
  return r;
}

const DOCKERFILE = 'ops/packaging/services/svc.Dockerfile';

const plants = {
  '/dev/zero': (repo, p) => fs.symlinkSync('/dev/zero', p),
  'a FIFO': (repo, p) => {
    execFileSync('mkfifo', [repo.abs('fifo')]);
    fs.symlinkSync(repo.abs('fifo'), p);
  },
  'an outside file': (repo, p) => {
    const outside = path.join(repo.base, 'passwd');
    fs.writeFileSync(outside, `root:x:0:0:${MARKER}:/root:/bin/sh\nFROM ${MARKER}\n`);
    fs.symlinkSync(outside, p);
  },
};

for (const [name, plant] of Object.entries(plants)) {
  test(`verify on a Dockerfile that is a symlink to ${name} ends with a finding naming it`, () => {
    const repo = withTarget();
    try {
      fs.rmSync(repo.abs(DOCKERFILE));
      plant(repo, repo.abs(DOCKERFILE));
      const r = bounded(repo, ['verify']);
      const out = r.stdout + r.stderr;
      assert.ok(!out.includes(MARKER), `no outside content in the output:\n${out}`);
      assert.match(out, new RegExp(DOCKERFILE.replace(/\./g, '\\.')));
      assert.match(out, /not a regular file|outside the repository/);
    } finally {
      repo.cleanup();
    }
  });

  for (const command of ['list', 'status', 'verify']) {
    test(`${command} on a registry that is a symlink to ${name} ends with an error naming it`, () => {
      const repo = withTarget();
      try {
        fs.rmSync(repo.abs(REGISTRY));
        if (name === 'an outside file') {
          const outside = path.join(repo.base, 'outside.json');
          fs.writeFileSync(outside, JSON.stringify({ version: 1, targets: [{ id: MARKER.toLowerCase(), type: 'service', dockerfile: 'x/Dockerfile', context: '.', image: 'x' }] }));
          fs.symlinkSync(outside, repo.abs(REGISTRY));
        } else {
          plant(repo, repo.abs(REGISTRY));
        }
        const r = bounded(repo, [command]);
        const out = r.stdout + r.stderr;
        assert.notEqual(r.code, 0, out);
        assert.ok(!out.toLowerCase().includes(MARKER.toLowerCase()), `no outside content in the output:\n${out}`);
        assert.match(out, /registry\.json/);
        assert.match(out, /not a regular file|outside the repository/);
      } finally {
        repo.cleanup();
      }
    });
  }
}

test('Dockerfiles over the size limit are findings naming the file and the limit, not a crash', () => {
  const repo = withTarget();
  try {
    for (const id of ['big1', 'big2']) assert.equal(repo.run(['add-service', '--id', id]).code, 0);
    const big = `FROM alpine:3.20\n${'# padding\n'.repeat(220_000)}`; // about 2.2 MB each
    for (const id of ['svc', 'big1', 'big2']) fs.writeFileSync(repo.abs(`ops/packaging/services/${id}.Dockerfile`), big);
    const r = bounded(repo, ['verify']);
    const out = r.stdout + r.stderr;
    assert.doesNotMatch(out, /internal error|unreachable/);
    for (const id of ['svc', 'big1', 'big2']) assert.match(out, new RegExp(`services/${id}\\.Dockerfile.*more than the limit of 1048576 bytes`));
    // The limit is adjustable.
    const raised = bounded(repo, ['verify'], { PACKAGING_MAX_DOCKERFILE_BYTES: String(4 << 20) });
    assert.doesNotMatch(raised.stdout + raised.stderr, /more than the limit/);
  } finally {
    repo.cleanup();
  }
});

test('a symlinked Dockerfile that stays inside the repository is still read', () => {
  const repo = withTarget();
  try {
    fs.writeFileSync(repo.abs('real.Dockerfile'), 'FROM alpine:3.20\nUSER 1000\n');
    fs.rmSync(repo.abs(DOCKERFILE));
    fs.symlinkSync(repo.abs('real.Dockerfile'), repo.abs(DOCKERFILE));
    const r = bounded(repo, ['verify']);
    assert.doesNotMatch(r.stdout + r.stderr, /not a regular file|outside the repository|cannot read/);
  } finally {
    repo.cleanup();
  }
});

for (const [name, make] of [
  ['a FIFO', (p) => execFileSync('mkfifo', [p])],
  ['a device node like /dev/zero', (p) => execFileSync('mknod', [p, 'c', '1', '5'])],
]) {
  test(`verify on a Dockerfile that is itself ${name} ends with a finding naming it`, { skip: name.startsWith('a device') && process.getuid?.() !== 0 && 'mknod needs root' }, () => {
    const repo = withTarget();
    try {
      fs.rmSync(repo.abs(DOCKERFILE));
      make(repo.abs(DOCKERFILE));
      const r = bounded(repo, ['verify']);
      const out = r.stdout + r.stderr;
      assert.match(out, new RegExp(`${DOCKERFILE.replace(/\./g, '\\.')}.*not a regular file`));
    } finally {
      repo.cleanup();
    }
  });
}

// The folder of many Dockerfiles is exchanged with a symbolic link to an
// outside folder that holds files of the same names (renameat2
// RENAME_EXCHANGE) again and again while verify reads them. Checking the
// folder once and then opening each file by its path leaves a window as long
// as the folder's batch of reads: the files opened in it are the outside
// ones. Bounded: at most SWAP_SECONDS of swapping and RUNS commands.
const SWAPPED = 300;
const RUNS = 12;
const SWAP_SECONDS = 30;

test('a Dockerfile folder exchanged with a symlink to outside while verify reads gets no outside content read', async () => {
  const repo = makeRepo({ templates: true });
  try {
    const targets = [];
    const outsideDir = path.join(repo.base, 'outside-services');
    fs.mkdirSync(outsideDir);
    for (let i = 0; i < SWAPPED; i++) {
      const name = `t${i}.Dockerfile`;
      targets.push({ id: `t${i}`, type: 'service', dockerfile: `ops/packaging/services/${name}`, context: '.', image: `t${i}` });
      repo.write(`ops/packaging/services/${name}`, 'FROM alpine:3.20\nUSER 1000\n');
      fs.writeFileSync(path.join(outsideDir, name), `FROM ${MARKER.toLowerCase()}\nUSER 1000\n`);
    }
    repo.write(REGISTRY, `${JSON.stringify({ version: 1, updatedAt: '2026-01-01T00:00:00.000Z', targets }, null, 2)}\n`);
    const quiet = bounded(repo, ['verify']);
    assert.equal(quiet.code, 0, quiet.stdout + quiet.stderr);
    const swapLink = repo.abs('ops/packaging/swap');
    fs.symlinkSync(outsideDir, swapLink);
    const stop = path.join(repo.base, 'stop');
    const { ready, ended } = startSwapper(repo.abs('ops/packaging/services'), swapLink, stop, SWAP_SECONDS);
    assert.ok(await ready, 'the swapper began before the commands');
    const outputs = [];
    for (let i = 0; i < RUNS; i++) {
      const r = await repo.runAsync(['verify']);
      assert.equal(r.signal, null);
      outputs.push(r.stdout + r.stderr);
    }
    fs.writeFileSync(stop, '');
    const swapped = await ended;
    assert.equal(swapped.code, 0, `swapper: ${swapped.stderr}`);
    assert.ok(swapped.swaps > 0, 'the folder was swapped');
    for (const out of outputs) {
      assert.ok(!out.toLowerCase().includes(MARKER.toLowerCase()), `no outside content in the output:\n${out.slice(0, 4000)}`);
    }
  } finally {
    repo.cleanup();
  }
});
