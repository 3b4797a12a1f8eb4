// The four wasm modules (scripts/build.mjs, MODULES): the commands that read
// the registry (list, status, help, version) run with the read module alone;
// the writers (add, add-service, add-job, add-app, remove) with the writers
// module alone; init, verify, build, build-all, export, install, uninstall and
// materialize (and the project-state controller) load the ops module; the API
// module, the only one with the JS API, is the JS API's and the page's, never
// the CLI's. Proved by running the commands from copies of the scripts folder
// that lack a module, next to the complete one.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

import { CTL, makeRepo } from './helpers.mjs';

const SCRIPTS = path.dirname(CTL);
const filesOf = (module) => [`${module}.mjs`, `${module}_bg.wasm`];
const API_FILES = filesOf('ctl_packaging');
const READ_FILES = filesOf('ctl_packaging_read');
const WRITE_FILES = filesOf('ctl_packaging_write');
const OPS_FILES = filesOf('ctl_packaging_ops');

/** A copy of the scripts folder without the files `left`, inside the test's base folder. */
function without(repo, left, label) {
  const dir = path.join(repo.base, label);
  fs.mkdirSync(dir);
  for (const name of fs.readdirSync(SCRIPTS)) {
    if (!left.includes(name)) fs.copyFileSync(path.join(SCRIPTS, name), path.join(dir, name));
  }
  return path.join(dir, 'ctl-packaging.mjs');
}

const run = (repo, ctl, args) =>
  spawnSync(process.execPath, [ctl, ...args], { cwd: repo.root, env: repo.env(), encoding: 'utf8' });

test('the four modules are built and shipped; only the API module has the JS API, and it has no CLI', () => {
  for (const name of [...API_FILES, ...READ_FILES, ...WRITE_FILES, ...OPS_FILES]) {
    assert.ok(fs.statSync(path.join(SCRIPTS, name)).size > 0, name);
  }
  const exportsOf = (glue) =>
    [...fs.readFileSync(path.join(SCRIPTS, glue), 'utf8').matchAll(/^export function (\w+)/gm)].map((m) => m[1]).sort();
  const api = ['applyTag', 'checkDockerfile', 'formatRegistry', 'parseImageReference', 'parseRegistry', 'validateRegistry'];
  for (const name of api) assert.ok(exportsOf(API_FILES[0]).includes(name), name);
  // Nor does the API module carry the CLI.
  assert.ok(!exportsOf(API_FILES[0]).includes('runCliLine'), API_FILES[0]);
  for (const glue of [READ_FILES[0], WRITE_FILES[0], OPS_FILES[0]]) {
    const has = exportsOf(glue);
    assert.deepEqual(has.filter((name) => api.includes(name)), [], glue);
    assert.ok(has.includes('runCliLine'), glue);
  }
});

test('the commands that read the registry need only the read module, and say the same', () => {
  const repo = makeRepo({ templates: true });
  const lite = without(repo, [...API_FILES, ...WRITE_FILES, ...OPS_FILES], 'read-only');
  try {
    for (const args of [['init'], ['add-service', '--id', 'api', '--module', 'apps/backend'], ['add-job', '--id', 'cron-task', '--module', 'jobs/cron']]) {
      assert.equal(run(repo, CTL, args).status, 0, args.join(' '));
    }
    const steps = [
      ['list'],
      ['list', '--format', 'json'],
      ['status'],
      ['status', '--format', 'json'],
      ['help'],
      ['--version'],
      ['no-such-command'],
    ];
    for (const args of steps) {
      const r = run(repo, lite, args);
      assert.notEqual(r.status, 70, `${args.join(' ')}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /internal error/, args.join(' '));
    }
    // The same state read through the complete scripts folder gives the same answers.
    for (const args of [['list'], ['status']]) {
      const a = run(repo, lite, args);
      const b = run(repo, CTL, args);
      assert.deepEqual([a.status, a.stdout, a.stderr], [b.status, b.stdout, b.stderr], args.join(' '));
    }
  } finally {
    repo.cleanup();
  }
});

// The shim hands the arguments to a module as one string, each followed by NUL
// (src/wasm/cli.rs): none, one empty argument and empty values stay what they were.
test('the arguments reach the core as they were given', () => {
  const repo = makeRepo({ templates: true });
  try {
    const none = run(repo, CTL, []);
    assert.equal(none.status, 0, none.stderr);
    assert.match(none.stdout, /^ctl-packaging: manage the packaging targets/);
    const empty = run(repo, CTL, ['']);
    assert.equal(empty.status, 1);
    assert.equal(empty.stderr.split('\n')[0], '[error] Unknown command: ');
    const emptyValue = run(repo, CTL, ['list', '--format', '']);
    assert.deepEqual([emptyValue.status, emptyValue.stderr], [1, '[error] --format must be one of: text, json (got "")\n']);
    const wide = run(repo, CTL, ['add-service', '--id', 'é🙂 x', '--dry-run']);
    assert.equal(wide.status, 1);
    assert.match(wide.stderr, /^\[error\] --id: id "é🙂 x" must be lowercase/);
  } finally {
    repo.cleanup();
  }
});

// A folder mixing builds: an entry script of a build whose entry point took an
// array (runCli) beside this host. Refused as an internal error naming the
// cause, before any module runs, instead of each argument split into letters.
test('an entry script of another build is refused, and nothing runs', () => {
  const repo = makeRepo({ templates: true });
  const mixed = without(repo, [], 'mixed');
  fs.writeFileSync(mixed, "import { main } from './node-host.mjs';\nawait main('ctl-packaging', 'runCli', 'ctl_packaging');\n");
  try {
    const before = repo.snapshotAll();
    const r = run(repo, mixed, ['add-service', '--id', 'api']);
    assert.equal(r.status, 70, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /the entry point runCli is not one this host runs .*different builds/);
    assert.deepEqual(repo.snapshotAll(), before);
  } finally {
    repo.cleanup();
  }
});

/** `text` with the times a writer records (ISO 8601, quoted) replaced. */
const untimed = (text) => text.replace(/"\d{4}-\d\d-\d\dT[^"]*"/g, '"<time>"');

test('the writers need only the writers module, and write what the complete folder writes', () => {
  const a = makeRepo({ templates: true });
  const b = makeRepo({ templates: true });
  const writersOnly = without(a, [...API_FILES, ...READ_FILES, ...OPS_FILES], 'writers-only');
  try {
    for (const repo of [a, b]) assert.equal(run(repo, CTL, ['init']).status, 0);
    const steps = [
      ['add-service', '--id', 'api', '--module', 'apps/backend'],
      ['add-job', '--id', 'cron-task', '--module', 'jobs/cron'],
      ['add-app', '--id', 'web', '--format', 'json'],
      ['add', '--id', 'worker', '--type', 'job'],
      ['add-service', '--id', 'api'],
      ['remove', '--id', 'cron-task'],
      ['remove', '--id', 'cron-task', '--format', 'json'],
    ];
    for (const args of steps) {
      const x = run(a, writersOnly, args);
      const y = run(b, CTL, args);
      assert.doesNotMatch(x.stderr, /internal error/, args.join(' '));
      assert.deepEqual([x.status, untimed(x.stdout), x.stderr], [y.status, untimed(y.stdout), y.stderr], args.join(' '));
    }
    // The same files (outside .git), but for the times the registry records.
    const files = (repo) =>
      [...repo.snapshotRepo()]
        .filter(([rel]) => rel !== '.git' && !rel.startsWith('.git/'))
        .map(([rel, e]) => [rel, e.type, e.bytes && untimed(e.bytes.toString('utf8'))]);
    assert.deepEqual(files(a), files(b));
  } finally {
    a.cleanup();
    b.cleanup();
  }
});

test('each command that a module does not carry loads the one that does, and only it', () => {
  const repo = makeRepo({ templates: true, fakeDocker: true });
  // Neither has the API module: no command of the CLI needs it.
  const noWriters = without(repo, [...API_FILES, ...WRITE_FILES], 'no-writers');
  const noOps = without(repo, [...API_FILES, ...OPS_FILES], 'no-ops');
  try {
    assert.equal(run(repo, CTL, ['add-service', '--id', 'api']).status, 0);
    const cases = [
      [noOps, /ctl_packaging_ops/, ['init', '--dry-run']],
      [noWriters, /ctl_packaging_write/, ['add-service', '--id', 'web', '--dry-run']],
      [noWriters, /ctl_packaging_write/, ['add-service', '--id', 'web']],
      [noWriters, /ctl_packaging_write/, ['remove', '--id', 'api']],
      [noOps, /ctl_packaging_ops/, ['verify']],
      [noOps, /ctl_packaging_ops/, ['build', '--target', 'api', '--dry-run']],
      [noOps, /ctl_packaging_ops/, ['build-all', '--dry-run']],
      [noOps, /ctl_packaging_ops/, ['export', '--format', 'bake']],
      [noOps, /ctl_packaging_ops/, ['materialize', '--dry-run']],
      [noOps, /ctl_packaging_ops/, ['install', '--dry-run']],
    ];
    for (const [lite, module, args] of cases) {
      // Without the module the command cannot run, and nothing was written.
      const before = repo.snapshotAll();
      const r = run(repo, lite, args);
      assert.equal(r.status, 70, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, module, args.join(' '));
      assert.equal(r.stdout, '', args.join(' '));
      assert.deepEqual(repo.snapshotAll(), before, args.join(' '));
    }
    // With it, each runs: the writers from a folder without the ops module, the
    // rest from one without the writers module.
    for (const [lite, , args] of cases) {
      const full = run(repo, lite === noWriters ? noOps : noWriters, args);
      assert.notEqual(full.status, 70, `${args.join(' ')}: ${full.stderr}`);
      assert.doesNotMatch(full.stderr, /internal error/, args.join(' '));
    }
  } finally {
    repo.cleanup();
  }
});

// V8's flags (node-host.mjs, tuneV8) cost a process the loading of node:v8. The
// read and writers modules go without them on a registry small enough that
// no function of theirs is moved to V8's optimizing tier; everything else keeps
// them. Which way a process went shows in the builtins it loaded.
test("V8's flags are set for the ops module and for large registries, not for a small one", () => {
  const repo = makeRepo({ templates: true });
  const probe = path.join(repo.base, 'probe.mjs');
  fs.writeFileSync(probe, "process.on('exit', () => process.stderr.write(`\\nnode:v8 loaded: ${process.moduleLoadList.includes('NativeModule v8')}\\n`));\n");
  const loadsV8 = (args, cwd = repo.root) => {
    const r = spawnSync(process.execPath, ['--import', probe, CTL, ...args], { cwd, env: repo.env(), encoding: 'utf8' });
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
    const m = /node:v8 loaded: (true|false)\n$/.exec(r.stderr);
    assert.ok(m, `${args.join(' ')}: ${r.stderr}`);
    return m[1] === 'true';
  };
  try {
    assert.equal(run(repo, CTL, ['init']).status, 0);
    assert.equal(run(repo, CTL, ['add-service', '--id', 'api', '--module', 'apps/backend']).status, 0);
    for (const args of [['list'], ['status'], ['--version']]) assert.equal(loadsV8(args), false, args.join(' '));
    // A --repo-root may name a larger registry than the one here.
    for (const args of [['list', '--repo-root', '.'], ['status', `--repo-root=${repo.root}`]]) {
      assert.equal(loadsV8(args), true, args.join(' '));
    }
    // The writers go without them on a small registry too.
    for (const args of [['remove', '--id', 'api', '--dry-run'], ['add-service', '--id', 'web', '--dry-run']]) {
      assert.equal(loadsV8(args), false, args.join(' '));
    }
    for (const args of [['verify'], ['remove', '--id', 'api', '--dry-run', '--repo-root', '.']]) assert.equal(loadsV8(args), true, args.join(' '));
    // From a folder below the root the registry is not in the current folder.
    fs.mkdirSync(repo.abs('apps/backend'), { recursive: true });
    assert.equal(loadsV8(['list'], repo.abs('apps/backend')), true, 'list below the root');
    // A registry of 64 KiB or more: an unknown field, kept as it is, makes it one.
    const file = repo.abs('docs/packaging/registry.json');
    const registry = JSON.parse(fs.readFileSync(file, 'utf8'));
    fs.writeFileSync(file, `${JSON.stringify({ ...registry, notes: 'x'.repeat(64 * 1024) }, null, 2)}\n`);
    assert.equal(loadsV8(['list']), true, 'list on a large registry');
    assert.equal(loadsV8(['status']), true, 'status on a large registry');
    assert.equal(loadsV8(['remove', '--id', 'api', '--dry-run']), true, 'remove on a large registry');
  } finally {
    repo.cleanup();
  }
});
