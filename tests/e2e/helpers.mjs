// Shared helpers for the end-to-end tests of the assembled CLI
// (dist/packaging/scripts/ctl-packaging.mjs). No dependencies: node:* only.
//
// Every test works in a fresh temporary folder laid out as
//   <base>/w1/w2/repo      the git repository the CLI runs in
//   <base>/bin             optional fake programs put on PATH (a recording `docker`)
// The repository is nested three levels below <base> so that every escape the
// tests try (`../..`, `../../../etc/passwd`, ...) lands inside <base>, and a
// snapshot of <base> proves that nothing was created outside the repository.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
// CTL_UNDER_TEST: another build's CLI (the attack suite's before/after runs).
export const CTL = process.env.CTL_UNDER_TEST
  ?? path.join(PROJECT_ROOT, 'dist', 'packaging', 'scripts', 'ctl-packaging.mjs');
export const TEMPLATES = path.join(PROJECT_ROOT, 'templates');
export const REGISTRY = 'docs/packaging/registry.json';
export const LOCK = `${REGISTRY}.lock`;

if (!fs.existsSync(CTL)) {
  throw new Error(
    `The assembled CLI ${path.relative(PROJECT_ROOT, CTL)} is missing. ` +
      'Build it first with: node scripts/build.mjs',
  );
}

/** Environment for the CLI: the caller's, minus the knobs that change its behaviour. */
export function cleanEnv(extra = {}) {
  const env = { ...process.env };
  for (const k of Object.keys(env)) {
    if (k.startsWith('PACKAGING_') || k.startsWith('NODE_TEST') || k === 'NODE_OPTIONS') delete env[k];
  }
  return { ...env, ...extra };
}

/** Recursively copy `from` into `to`, never overwriting an existing file. */
export function copyIfMissing(from, to) {
  const st = fs.lstatSync(from);
  if (st.isDirectory()) {
    fs.mkdirSync(to, { recursive: true });
    for (const name of fs.readdirSync(from)) copyIfMissing(path.join(from, name), path.join(to, name));
  } else if (!fs.existsSync(to)) {
    fs.copyFileSync(from, to);
  }
}

/**
 * Every entry below `dir` (not following symbolic links), keyed by its path
 * relative to `dir`: {type: 'dir'|'file'|'link'|'other', bytes?, target?}.
 */
export function snapshot(dir) {
  const out = new Map();
  const walk = (abs, rel) => {
    for (const name of fs.readdirSync(abs).sort()) {
      const a = path.join(abs, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = fs.lstatSync(a);
      if (st.isSymbolicLink()) out.set(r, { type: 'link', target: fs.readlinkSync(a) });
      else if (st.isDirectory()) {
        out.set(r, { type: 'dir' });
        walk(a, r);
      } else if (st.isFile()) out.set(r, { type: 'file', bytes: fs.readFileSync(a) });
      else out.set(r, { type: 'other' });
    }
  };
  walk(dir, '');
  return out;
}

/** What changed between two snapshots: {added, removed, changed} (sorted path lists). */
export function diffSnapshots(before, after) {
  const added = [];
  const removed = [];
  const changed = [];
  for (const [k, v] of after) {
    if (!before.has(k)) added.push(k);
    else {
      const b = before.get(k);
      const same =
        b.type === v.type &&
        (v.type !== 'file' || b.bytes.equals(v.bytes)) &&
        (v.type !== 'link' || b.target === v.target);
      if (!same) changed.push(k);
    }
  }
  for (const k of before.keys()) if (!after.has(k)) removed.push(k);
  return { added: added.sort(), removed: removed.sort(), changed: changed.sort() };
}

export const NO_CHANGE = { added: [], removed: [], changed: [] };

/** Split output into lines, dropping the empty string after a final newline. */
export function lines(text) {
  if (text === '') return [];
  const l = text.split('\n');
  if (l[l.length - 1] === '') l.pop();
  return l;
}

/** 1-based line and column of the first character of `needle` (its `nth` occurrence) in `text`. */
export function positionOf(text, needle, nth = 0) {
  let at = -1;
  for (let i = 0; i <= nth; i += 1) {
    at = text.indexOf(needle, at + 1);
    assert.notEqual(at, -1, `${JSON.stringify(needle)} (occurrence ${nth}) not found in the fixture`);
  }
  const before = text.slice(0, at);
  const line = before.split('\n').length;
  const column = [...before.slice(before.lastIndexOf('\n') + 1)].length + 1;
  return { line, column, offset: at };
}

/** 1-based line and column just after the end of `needle` (exclusive end). */
export function endPositionOf(text, needle, nth = 0) {
  const { offset } = positionOf(text, needle, nth);
  const end = offset + needle.length;
  const before = text.slice(0, end);
  return { line: before.split('\n').length, column: [...before.slice(before.lastIndexOf('\n') + 1)].length + 1 };
}

function result(r) {
  return { code: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/**
 * A fresh temporary repository. Options:
 *   templates: copy the project's templates/ into it (copy-if-missing)
 *   fakeDocker: put a `docker` on PATH that appends its argv to <base>/docker.log
 */
export function makeRepo({ templates = false, fakeDocker = false } = {}) {
  const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'ctl-e2e-')));
  const root = path.join(base, 'w1', 'w2', 'repo');
  fs.mkdirSync(root, { recursive: true });
  const git = spawnSync('git', ['init', '-q'], { cwd: root, encoding: 'utf8' });
  assert.equal(git.status, 0, `git init failed: ${git.error || git.stderr}`);
  if (templates) copyIfMissing(TEMPLATES, root);

  const binDir = path.join(base, 'bin');
  const dockerLog = path.join(base, 'docker.log');
  let envExtra = {};
  if (fakeDocker) {
    fs.mkdirSync(binDir);
    const docker = path.join(binDir, 'docker');
    fs.writeFileSync(
      docker,
      `#!/bin/sh\nprintf '%s\\n' "$*" >> ${JSON.stringify(dockerLog)}\nexit 0\n`,
      { mode: 0o755 },
    );
    envExtra = { PATH: `${binDir}${path.delimiter}${process.env.PATH ?? ''}`, PACKAGING_ENGINE: undefined };
  }

  const env = (extra = {}) => {
    const e = cleanEnv({ ...envExtra, ...extra });
    for (const k of Object.keys(e)) if (e[k] === undefined) delete e[k];
    return e;
  };
  const abs = (rel) => path.join(root, rel);

  return {
    base,
    root,
    dockerLog,
    abs,
    env,
    /** Run the CLI synchronously in the repo. */
    run(args, { env: extra = {}, cwd = root, timeout = 60_000 } = {}) {
      return result(
        spawnSync(process.execPath, [CTL, ...args], { cwd, env: env(extra), encoding: 'utf8', timeout }),
      );
    },
    /**
     * Run the CLI as a child process; resolves when it ends. `onStderr`, if
     * given, is called with all of stderr so far each time more comes.
     */
    runAsync(args, { env: extra = {}, onStderr } = {}) {
      return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [CTL, ...args], { cwd: root, env: env(extra) });
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
        child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; onStderr?.(stderr); });
        child.on('error', reject);
        child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
      });
    },
    /** Run any program in the repo with the same environment. */
    exec(program, args, { env: extra = {}, timeout = 60_000 } = {}) {
      return result(spawnSync(program, args, { cwd: root, env: env(extra), encoding: 'utf8', timeout }));
    },
    read: (rel) => fs.readFileSync(abs(rel), 'utf8'),
    readBytes: (rel) => fs.readFileSync(abs(rel)),
    write(rel, text) {
      fs.mkdirSync(path.dirname(abs(rel)), { recursive: true });
      fs.writeFileSync(abs(rel), text);
    },
    exists: (rel) => fs.existsSync(abs(rel)),
    /** Snapshot of everything below <base> (the repo and all its temporary parents). */
    snapshotAll: () => snapshot(base),
    /** Snapshot of the repository alone. */
    snapshotRepo: () => snapshot(root),
    cleanup() {
      fs.rmSync(base, { recursive: true, force: true });
    },
  };
}

/** Parse the registry of a repo and return the ids of its targets, in order. */
export function registryIds(repo) {
  const reg = JSON.parse(repo.read(REGISTRY));
  assert.ok(Array.isArray(reg.targets), 'registry.targets is an array');
  return reg.targets.map((t) => t.id);
}

/**
 * Leftovers of the locking and atomic write protocol in docs/packaging/:
 * `registry.json.<anything>` (lock, lock breaker, temporary file) and any other
 * `*.lock` / `*.tmp` file.
 */
export function leftovers(repo) {
  const dir = repo.abs('docs/packaging');
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((n) => n.startsWith('registry.json.') || /\.(lock|tmp)(\.|$)/.test(n) || /\.tmp/.test(n))
    .sort();
}

/** A pid that is certainly not running: a child that has already exited. */
export function deadPid() {
  for (let i = 0; i < 10; i += 1) {
    const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const pid = Number(r.stdout);
    try {
      process.kill(pid, 0);
    } catch (e) {
      if (e.code === 'ESRCH') return pid;
    }
  }
  throw new Error('could not find a pid that is not running');
}

/** The timestamp shape the CLI writes: ISO-8601 UTC with milliseconds. */
export const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

// Exchanges two paths (renameat2 RENAME_EXCHANGE) again and again: a folder
// and a symbolic link, for races. Bounded: at most `seconds` of swapping, and
// it stops when the file `stop` exists; the real folder is left in its place.
const SWAPPER = `
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
AT_FDCWD = -100
RENAME_EXCHANGE = 2
a, b, stop, seconds = sys.argv[1].encode(), sys.argv[2].encode(), sys.argv[3], float(sys.argv[4])
end = time.monotonic() + seconds
n = 0
while time.monotonic() < end and not os.path.exists(stop):
    if libc.renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) != 0:
        sys.exit('renameat2: errno %d' % ctypes.get_errno())
    n += 1
    if n == 1:
        print('ready', flush=True)
    time.sleep(0.0005)
if os.path.islink(a):
    libc.renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE)
print(n)
`;

/**
 * Start swapping `a` (a folder) and `b` (a link). `ready` resolves once the
 * first exchange is done (or the swapper has ended), so a test starts its
 * commands only when the swapping has begun; `ended` resolves to
 * {code, swaps, stderr}.
 */
export function startSwapper(a, b, stop, seconds) {
  const swapper = spawn('python3', ['-c', SWAPPER, a, b, stop, String(seconds)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let stderr = '';
  let began;
  const ready = new Promise((resolve) => { began = resolve; });
  swapper.stdout.on('data', (d) => {
    out += d;
    if (out.startsWith('ready\n')) began(true);
  });
  swapper.stderr.on('data', (d) => { stderr += d; });
  const ended = new Promise((resolve) => swapper.on('close', (code) => {
    began(false);
    const lines = out.trim().split('\n');
    resolve({ code, swaps: Number(lines[lines.length - 1]), stderr });
  }));
  return { ready, ended };
}
