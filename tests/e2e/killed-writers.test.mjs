// A writer killed at any point (SIGKILL at its first, second, ... write, open,
// fsync, rename, unlink, link, mkdir, chdir or getcwd: every kind of system call
// the lock protocol and the one write path make) leaves a registry that parses
// and holds every earlier target, and the next command succeeds without manual
// cleanup.
//
// The kill is injected with strace: `-e inject=<set>:signal=KILL:when=N` stops
// the CLI on entry to the Nth call of that syscall (counted per thread), for
// N = 1, 2, ... until a run completes without being killed.
//
// Counted per thread: V8's worker threads write to an eventfd a few times while
// Node starts, so for a small N one of them may reach its Nth write before the
// main thread writes the lock or the temporary registry, and the whole sweep
// kills nothing inside the lock (about one sweep in four, here). The sweep is
// then run again, up to ROUNDS times; a writer that never reaches the lock
// still fails every round.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

import { CTL, diffSnapshots, leftovers, lines, makeRepo, registryIds } from './helpers.mjs';

const SETS = {
  write: ['write', '?pwrite64', '?writev', '?pwritev', '?pwritev2'],
  open: ['?open', 'openat', '?openat2', '?creat'],
  fsync: ['fsync', '?fdatasync'],
  rename: ['?rename', '?renameat', '?renameat2'],
  unlink: ['?unlink', '?unlinkat'],
  // The lock and a seeded Dockerfile are linked into place (exclusive create).
  link: ['?link', '?linkat'],
  mkdir: ['?mkdir', '?mkdirat'],
  // Each write happens in its folder, entered and checked (the real path at write time).
  chdir: ['chdir', '?fchdir'],
  getcwd: ['getcwd'],
};
const TRACED = Object.values(SETS).flat().join(',');
const MAX_N = 150;
const ROUNDS = 8;

function straceAvailable() {
  const r = spawnSync('strace', ['-V'], { encoding: 'utf8' });
  return !r.error && r.status === 0;
}

for (const [name, set] of Object.entries(SETS)) {
  test(`SIGKILL at the 1st, 2nd, ... ${name} call of add-service`, () => {
    assert.ok(
      straceAvailable(),
      'strace is not installed, and this test needs it to kill the CLI at chosen syscalls. ' +
        'Install it (e.g. apt-get install -y strace; scripts/setup.sh should do this).',
    );
    const repo = makeRepo({ templates: true });
    try {
      assert.equal(repo.run(['init']).code, 0);
      assert.equal(repo.run(['add-service', '--id', 'base']).code, 0);
      const earlier = ['base'];
      let kills = 0;
      let killsInsideLock = 0;
      let completed = false;
      for (let round = 1; round <= ROUNDS && killsInsideLock === 0; round += 1) {
        completed = false;
        for (let n = 1; n <= MAX_N && !completed; n += 1) {
          const id = `new${round}-${n}`;
          const snap = repo.snapshotRepo();
          const r = repo.exec('strace', [
            '-f', '-qq', '-o', '/dev/null',
            '-e', `trace=${TRACED}`,
            '-e', `inject=${set.join(',')}:signal=KILL:when=${n}`,
            // A Dockerfile in a folder of its own: add makes the folder too.
            process.execPath, CTL, 'add-service', '--id', id, '--dockerfile', `ops/packaging/services/${id}/Dockerfile`,
          ]);
          const killed = r.signal === 'SIGKILL' || r.code === 137;
          const ctx = `${name} #${n} (round ${round}): code ${r.code} signal ${r.signal}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
          if (!killed) {
            // The injection point lies beyond the command: it ran to completion.
            assert.equal(r.code, 0, ctx);
            assert.equal(r.stdout, `[ok] Added packaging target: ${id} (service)\n`, ctx);
            completed = true;
            earlier.push(id);
          } else {
            kills += 1;
            // Killed while holding the registry lock: the kill hit the write itself.
            if (leftovers(repo).includes('registry.json.lock')) killsInsideLock += 1;
          }

          // The registry parses and holds every earlier target.
          let ids;
          assert.doesNotThrow(() => { ids = registryIds(repo); }, `registry parses after ${ctx}`);
          for (const e of earlier) assert.ok(ids.includes(e), `${e} kept after ${ctx}\nids: ${ids}`);
          assert.equal(new Set(ids).size, ids.length, `no duplicates after ${ctx}`);
          if (ids.includes(id) && !earlier.includes(id)) earlier.push(id);

          // A kill that left the repository exactly as it was (node was still
          // starting up) needs no follow-up; any other gets the next command.
          const changed = diffSnapshots(snap, repo.snapshotRepo());
          const untouched = !changed.added.length && !changed.removed.length && !changed.changed.length;
          if (!completed && !untouched) {
            // The next command succeeds without manual cleanup.
            const next = repo.run(['add-service', '--id', `next${round}-${n}`]);
            assert.equal(next.code, 0, `next command after ${ctx}\nnext stdout: ${next.stdout}\nnext stderr: ${next.stderr}`);
            assert.deepEqual(lines(next.stdout), [`[ok] Added packaging target: next${round}-${n} (service)`]);
            earlier.push(`next${round}-${n}`);
            const after = registryIds(repo);
            assert.deepEqual(after.filter((x) => earlier.includes(x)), after, `only known targets after next${round}-${n}`);
            for (const e of earlier) assert.ok(after.includes(e), `${e} kept after next${round}-${n}`);
            assert.deepEqual(leftovers(repo), [], `no lock or temporary file left after next${round}-${n}`);
          }
        }
        assert.ok(completed, `add-service still killed at ${name} #${MAX_N}`);
      }
      assert.ok(kills >= 1, `at least one ${name} call was interrupted`);
      assert.ok(killsInsideLock >= 1, `at least one ${name} kill happened while the registry was being changed (in ${ROUNDS} rounds)`);
      const verify = repo.run(['verify']);
      assert.equal(verify.code, 0, `${verify.stdout}${verify.stderr}`);
    } finally {
      repo.cleanup();
    }
  });
}
