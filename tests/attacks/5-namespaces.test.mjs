// Attack class 5 (issue 14): locks across containers. Writers in separate
// PID namespaces that share a hostname (containers on one bind mount) must
// not take over each other's live lock: a pid is only checked inside the PID
// namespace (and boot) that wrote it.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { test } from 'node:test';

import { CTL, deadPid, LOCK, makeRepo, REGISTRY } from '../e2e/helpers.mjs';

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

// A writer killed (SIGKILL, injected with strace) while it holds the lock,
// inside its own PID namespace: the container is gone and nothing here can
// check its pid. The lock is taken over once its holder has not renewed it
// for PACKAGING_LOCK_STALE_MS, never before.
const straceOk = spawnSync('strace', ['-V']).status === 0 ? true : 'strace is not installed';
const skipRaces = (canUnshare !== true && String(canUnshare)) || (straceOk !== true && straceOk);

function killedContainerLock(repo) {
  const r = repo.exec('unshare', ['--pid', '--fork', '--mount-proc', 'strace', '-f', '-qq', '-o', '/dev/null',
    '-e', 'trace=rename,renameat,renameat2', '-e', 'inject=rename,renameat,renameat2:signal=KILL:when=1',
    process.execPath, CTL, 'add-service', '--id', 'lost'], { env: { PACKAGING_LOCK_STALE_MS: '1000' } });
  assert.ok(r.signal === 'SIGKILL' || r.code === 137, `the writer was killed: ${r.code} ${r.signal} ${r.stderr}`);
  const lock = JSON.parse(repo.read(LOCK));
  assert.match(lock.ns, /pid:\[\d+\]$/, 'the lock records the dead namespace');
  assert.ok(lock.beat > 0, 'the lock records its renewal');
  assert.equal(lock.stale, 1000, 'and its holder\'s bound');
  return lock;
}

test('a lock left by a killed container is taken over once its holder stops renewing it', { skip: skipRaces }, () => {
  const repo = makeRepo({ templates: true });
  try {
    assert.equal(repo.run(['init']).code, 0);
    const before = repo.read(REGISTRY);
    const lock = killedContainerLock(repo);
    // Within the bound: waited for, refused, untouched, and the message says when.
    const early = repo.run(['add-service', '--id', 'svc'], { env: { PACKAGING_LOCK_TIMEOUT_MS: '300' }, timeout: 5300 });
    assert.equal(early.code, 1, early.stdout + early.stderr);
    assert.match(early.stderr, /in another PID namespace .* Unless its holder renews it, it is taken over at \S+ \(60000 ms after its last renewal, PACKAGING_LOCK_STALE_MS\)/);
    assert.equal(repo.read(REGISTRY), before);
    assert.deepEqual(JSON.parse(repo.read(LOCK)), lock);
    // Where every writer has a one-second bound (the killed one had), the
    // next writer takes it over inside its wait.
    const t0 = Date.now();
    const r = repo.run(['add-service', '--id', 'svc'], { env: { PACKAGING_LOCK_TIMEOUT_MS: '4000', PACKAGING_LOCK_STALE_MS: '1000' }, timeout: 9000 });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '[ok] Added packaging target: svc (service)\n');
    assert.ok(Date.now() - t0 < 9000);
    assert.deepEqual(JSON.parse(repo.read(REGISTRY)).targets.map((t) => t.id), ['svc'], 'the killed add never landed; no registry is torn');
    assert.equal(repo.exists(LOCK), false);
  } finally {
    repo.cleanup();
  }
});

test('a holder in another PID namespace that keeps renewing its lock is never taken over', { skip: canUnshare !== true && String(canUnshare) }, async () => {
  const repo = makeRepo({ templates: true });
  // The holder: a live process in its own namespace that renews the lock
  // every 200 ms, as a long-running writer does between its steps.
  const renew = `
    const fs = require('node:fs');
    const [lockPath, ns, host] = process.argv.slice(1);
    const write = () => { const t = lockPath + '.' + process.pid + '.tmp'; fs.writeFileSync(t, JSON.stringify({ pid: 1, host, since: '2026-01-01T00:00:00.000Z', command: 'add', token: 'theirs', ns, beat: Date.now() })); fs.renameSync(t, lockPath); };
    write(); process.stdout.write('held\\n'); setInterval(write, 200);`;
  try {
    assert.equal(repo.run(['init']).code, 0);
    const boot = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const nsOf = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'readlink', '/proc/self/ns/pid'], { encoding: 'utf8' }).stdout.trim();
    const holder = spawn('unshare', ['--pid', '--fork', '--kill-child', '--mount-proc', process.execPath, '-e', renew, repo.abs(LOCK), `${boot} ${nsOf}`, os.hostname()], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise((resolve, reject) => { holder.stdout.once('data', resolve); holder.on('error', reject); });
      const before = repo.read(REGISTRY);
      const r = await repo.runAsync(['add-service', '--id', 'svc'], { env: { PACKAGING_LOCK_TIMEOUT_MS: '3000', PACKAGING_LOCK_STALE_MS: '1000' } });
      assert.equal(r.code, 1, `a renewed lock was taken over: ${r.stdout}`);
      assert.match(r.stderr, /is held by process 1 in another PID namespace/);
      assert.equal(repo.read(REGISTRY), before);
      assert.equal(JSON.parse(repo.read(LOCK)).token, 'theirs');
    } finally {
      holder.kill('SIGKILL');
    }
  } finally {
    repo.cleanup();
  }
});

// Races with a one-second stale bound, each writer the real CLI; strace (-P:
// only system calls on one path) widens a race window to make it repeatable,
// it creates none.

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Run `argv` (a command line) in `cwd`; resolves {code, out, err}. */
function runIn(argv, cwd, env) {
  return new Promise((resolve) => {
    const c = spawn(argv[0], argv.slice(1), { cwd, env });
    let out = '';
    let err = '';
    c.stdout.on('data', (d) => { out += d; });
    c.stderr.on('data', (d) => { err += d; });
    c.on('close', (code) => resolve({ code, out, err }));
  });
}

/** A registry of `n` targets: loading it takes a while. */
function bigRegistry(n) {
  const targets = Array.from({ length: n }, (_, i) => ({
    id: `b${i}`, type: 'service', dockerfile: `ops/packaging/services/b${i}.Dockerfile`,
    context: '.', image: `b${i}`, addedAt: '2026-12-01T14:24:22.896Z',
  }));
  return `${JSON.stringify({ version: 1, updatedAt: '2026-12-01T14:24:22.988Z', targets }, null, 2)}\n`;
}

const ids = (repo) => JSON.parse(repo.read(REGISTRY)).targets.map((t) => t.id);

test('a renewal stalled past the bound after its token check puts its lock back over a taken one, and then writes nothing: no acknowledged add is lost', { skip: skipRaces }, async () => {
  const repo = makeRepo({ templates: true });
  try {
    assert.equal(repo.run(['init']).code, 0);
    fs.writeFileSync(repo.abs(REGISTRY), bigRegistry(5_000));
    const dir = fs.realpathSync(repo.abs('docs/packaging'));
    const lock = `${dir}/registry.json.lock`;
    const env = repo.env({ PACKAGING_LOCK_STALE_MS: '1000', PACKAGING_LOCK_TIMEOUT_MS: '20000' });
    // H, in its own PID namespace. strace -P matches syscalls on fds of the
    // folder and of the lock: the first read(2) of the lock, when H reads it
    // back right after taking it, returns 400 ms late (a slow disk, far below
    // the bound), so the check after reading renews; that renewal's check
    // reads the lock (ours) and its close(2) (the 3rd here: lock, sweep's
    // readdir, lock) stalls 2.5 s, before the renewal's temporary file and
    // rename.
    const h = runIn(['unshare', '--pid', '--fork', '--mount-proc', 'strace', '-f', '-tt', '-o', `${repo.base}/h.strace`, '-P', dir, '-P', lock,
      '-e', 'trace=close,read', '-e', 'inject=read:delay_exit=400000:when=1', '-e', 'inject=close:delay_exit=2500000:when=3',
      process.execPath, CTL, 'add-service', '--id', 'h'], repo.root, env);
    await sleep(700);
    // C, in the root namespace, cannot check H's pid; H is silent past the
    // bound, so C takes the lock over (as documented), adds c, says [ok].
    const c = await runIn([process.execPath, CTL, 'add-service', '--id', 'c'], repo.root, env);
    const hr = await h;
    assert.equal(c.code, 0, c.err);
    assert.match(c.out, /\[ok\] Added packaging target: c/);
    // H's renewal renamed its lock back over the free path; H then sees it
    // went the bound without a renewal and writes nothing.
    const after = ids(repo);
    assert.ok(
      hr.code !== 0 || after.includes('c'),
      `both said [ok], but c is lost (${fs.readFileSync(`${repo.base}/h.strace`, 'utf8')}): H exit ${hr.code} ${hr.out.trim()}; registry has h: ${after.includes('h')}, c: ${after.includes('c')}`,
    );
    assert.ok(!fs.existsSync(repo.abs(LOCK)));
  } finally {
    repo.cleanup();
  }
});

test('a lock taken after a wait records when it was taken: a waiter in another namespace leaves the live holder alone', { skip: skipRaces }, async () => {
  const repo = makeRepo({ templates: true });
  try {
    assert.equal(repo.run(['init']).code, 0);
    // A garbled lock: H waits 1 s (GARBLED_LOCK_MS) and then takes it over.
    fs.writeFileSync(repo.abs(LOCK), 'garbled');
    const dir = fs.realpathSync(repo.abs('docs/packaging'));
    const env = repo.env({ PACKAGING_LOCK_STALE_MS: '1000' });
    // H, in the root namespace: right after it has taken its lock, the
    // close(2) of the folder it reads for leftovers (the first fd of the
    // folder it closes) takes 500 ms: a slow disk, less than the three
    // quarters of the bound the docs allow a step.
    const h = runIn(['strace', '-f', '-o', '/dev/null', '-P', dir, '-e', 'trace=close',
      '-e', 'inject=close:delay_exit=500000:when=1',
      process.execPath, CTL, 'add-service', '--id', 'h'], repo.root, env);
    // Wait until H holds the lock, then start C in its own PID namespace.
    const deadline = Date.now() + 10_000;
    let held = null;
    while (Date.now() < deadline) {
      try { held = JSON.parse(fs.readFileSync(repo.abs(LOCK), 'utf8')); break; } catch { await sleep(2); }
    }
    assert.ok(held, 'H took the lock');
    const ageAtTaking = Date.now() - held.beat;
    const c = runIn(['unshare', '--pid', '--fork', '--mount-proc', process.execPath, CTL, 'add-service', '--id', 'c'], repo.root, env);
    const [hr, cr] = [await h, await c];
    assert.equal(cr.code, 0, cr.err);
    // H's lock is fresh when taken (beat = now), and H, alive and within
    // the bound, is not taken over.
    const survivors = ['c', 'h'].filter((i) => ids(repo).includes(i));
    assert.ok(
      ageAtTaking < 1000 && hr.code === 0 && survivors.length === 2,
      `H's new lock was already silent for ${ageAtTaking} ms (bound 1000) when it appeared; H exit ${hr.code}: ${(hr.err || hr.out).trim()}; registry has ${survivors}`,
    );
  } finally {
    repo.cleanup();
  }
});

test('twelve writers in two PID namespaces with a one-second stale bound: every live writer keeps its lock', { skip: skipRaces }, async () => {
  const repo = makeRepo({ templates: true });
  try {
    assert.equal(repo.run(['init']).code, 0);
    // Each hold reads a 20,000-target registry (some 100 ms): twelve writers
    // queue for more than the bound; a lock taken after a wait must not look
    // silent for that wait to the writers of the other namespace.
    fs.writeFileSync(repo.abs(REGISTRY), bigRegistry(20_000));
    const env = repo.env({ PACKAGING_LOCK_STALE_MS: '1000', PACKAGING_LOCK_TIMEOUT_MS: '30000' });
    const writers = Array.from({ length: 12 }, (_, i) => {
      const argv = [process.execPath, CTL, 'add-service', '--id', `w${i}`];
      return runIn(i % 2 ? ['unshare', '--pid', '--fork', '--mount-proc', ...argv] : argv, repo.root, env);
    });
    const results = await Promise.all(writers);
    const after = ids(repo);
    const failed = results.map((r, i) => (r.code === 0 ? null : `w${i}: ${r.err.trim()}`)).filter(Boolean);
    for (const [i, r] of results.entries()) if (r.code === 0) assert.ok(after.includes(`w${i}`), `acknowledged w${i} lost`);
    assert.deepEqual(failed, [], `${failed.length} of 12 live writers were taken over`);
  } finally {
    repo.cleanup();
  }
});

// Tokens and temporary names come from /dev/urandom only when it is the
// kernel's random device: a regular file or another device bind-mounted there
// (a chroot or an image whose /dev was copied as files) would give every
// process the same lock token and the same temporary names.
const canMount = spawnSync('unshare', ['--mount', 'true']).status === 0 && spawnSync('strace', ['-V']).status === 0;
if (!canMount) console.log('# SKIPPED LOUDLY: the /dev/urandom tests need unshare --mount and strace');

for (const kind of ['a regular file', '/dev/zero']) test(`two commands with ${kind} at /dev/urandom get different lock tokens`, { skip: !canMount && 'needs unshare --mount and strace' }, () => {
  const repo = makeRepo({ templates: true });
  try {
    assert.equal(repo.run(['init']).code, 0);
    let fake = '/dev/zero';
    if (kind !== '/dev/zero') {
      fake = `${repo.base}/urandom`;
      fs.writeFileSync(fake, 'A'.repeat(64));
    }
    const tokens = [];
    for (const id of ['one', 'two']) {
      const trace = `${repo.base}/${id}.strace`;
      const script = `mount --bind "$0" /dev/urandom && exec strace -f -qq -e trace=write -s 1000 -o "$1" "$2" "$3" add-service --id "$4"`;
      const r = spawnSync('unshare', ['--mount', 'sh', '-c', script, fake, trace, process.execPath, CTL, id],
        { cwd: repo.root, env: repo.env(), encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const m = fs.readFileSync(trace, 'utf8').match(/\\"token\\":\\"([0-9a-f]+)\\"/);
      assert.ok(m, 'the lock was written with a token');
      tokens.push(m[1]);
    }
    assert.notEqual(tokens[0], tokens[1], `both commands locked with token ${tokens[0]} (the bytes of the file at /dev/urandom)`);
  } finally {
    repo.cleanup();
  }
});

test('concurrent adds with /dev/urandom a regular file wait for the lock instead of failing on a shared temporary name', { skip: !canMount && 'needs unshare --mount and strace' }, () => {
  const repo = makeRepo({ templates: true });
  try {
    assert.equal(repo.run(['init']).code, 0);
    const fake = `${repo.base}/urandom`;
    fs.writeFileSync(fake, 'A'.repeat(64));
    const script = `mount --bind "$0" /dev/urandom || exit 99
for i in 1 2 3 4 5 6; do ( "$1" "$2" add-service --id "s$i" > "$3/out$i" 2>&1; echo "rc=$?" >> "$3/out$i" ) & done; wait`;
    const r = spawnSync('unshare', ['--mount', 'sh', '-c', script, fake, process.execPath, CTL, repo.base],
      { cwd: repo.root, env: repo.env({ PACKAGING_LOCK_TIMEOUT_MS: '20000' }), encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const outs = [1, 2, 3, 4, 5, 6].map((i) => fs.readFileSync(`${repo.base}/out${i}`, 'utf8'));
    const failed = outs.filter((o) => !o.includes('rc=0'));
    assert.deepEqual(failed, [], `${failed.length} of 6 adds failed`);
  } finally {
    repo.cleanup();
  }
});

// The host name in a lock decides whether its pid may be checked here, so it
// must be the one every version and every fallback writes: os.hostname()'s,
// byte for byte. In a UTS namespace with a name that ends in a space and is
// not ASCII, a writer killed (SIGKILL) at its registry rename leaves its lock.
const probeUts = spawnSync('unshare', ['--uts', 'true']);
const skipUts = (probeUts.status !== 0 && `unshare --uts refused: ${(probeUts.stderr || probeUts.error || '').toString().trim()}`)
  || (straceOk !== true && straceOk);
if (skipUts) console.log(`# SKIPPED LOUDLY: the host-name test needs unshare --uts and strace (${skipUts})`);

test('a lock records the host name exactly as os.hostname() gives it (a trailing space, non-ASCII), so a dead holder is taken over at once', { skip: skipUts }, async () => {
  const repo = makeRepo({ templates: true });
  try {
    assert.equal(repo.run(['init']).code, 0);
    const name = `${repo.base}/hostname`;
    const script = [
      `printf 'b\\303\\251x ' > /proc/sys/kernel/hostname`,
      `"$NODE" -e 'process.stdout.write(require("os").hostname())' > "$NAME"`,
      `strace -f -qq -o /dev/null -e trace=rename -e inject=rename:signal=KILL:when=1 "$NODE" "$CTL" add-service --id killed`,
      `cp docs/packaging/registry.json.lock "$NAME.lock"`,
      `PACKAGING_LOCK_TIMEOUT_MS=3000 "$NODE" "$CTL" add-service --id next`,
    ].join('; ');
    const r = await runIn(['unshare', '--uts', 'sh', '-c', script], repo.root,
      repo.env({ NODE: process.execPath, CTL, NAME: name }));
    const expected = fs.readFileSync(name, 'utf8');
    assert.equal(expected, 'béx ');
    assert.equal(JSON.parse(fs.readFileSync(`${name}.lock`, 'utf8')).host, expected, 'the lock names the host as os.hostname() does');
    // The killed writer's lock was taken over by pid at once: same host, same namespace.
    assert.equal(r.code, 0, `${r.out}${r.err}`);
    assert.match(r.out, /\[ok\] Added packaging target: next/);
    assert.doesNotMatch(r.err, /held by process/);
    const ids = JSON.parse(repo.read(REGISTRY)).targets.map((t) => t.id);
    assert.deepEqual(ids.filter((i) => i === 'killed' || i === 'next'), ['next']);
  } finally {
    repo.cleanup();
  }
});
