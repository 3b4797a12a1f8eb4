// The two wasm modules (scripts/build.mjs, MODULES): the commands that read
// the registry (list, status, help, version) run with the registry module alone;
// the ones that change it (init, add*, remove), verify, build, build-all, export,
// install, uninstall and materialize (and the project-state controller) load the
// ops module. Proved by running the commands from a copy of the scripts folder
// that has no ops module at all, next to the complete one.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

import { CTL, makeRepo } from './helpers.mjs';

const SCRIPTS = path.dirname(CTL);
const OPS_FILES = ['ctl_packaging_ops.mjs', 'ctl_packaging_ops_bg.wasm'];

/** A copy of the scripts folder without the ops module, inside the test's base folder. */
function registryOnly(repo) {
  const dir = path.join(repo.base, 'registry-only');
  fs.mkdirSync(dir);
  for (const name of fs.readdirSync(SCRIPTS)) {
    if (!OPS_FILES.includes(name)) fs.copyFileSync(path.join(SCRIPTS, name), path.join(dir, name));
  }
  return path.join(dir, 'ctl-packaging.mjs');
}

const run = (repo, ctl, args) =>
  spawnSync(process.execPath, [ctl, ...args], { cwd: repo.root, env: repo.env(), encoding: 'utf8' });

test('both modules are built and shipped', () => {
  for (const name of ['ctl_packaging.mjs', 'ctl_packaging_bg.wasm', ...OPS_FILES]) {
    assert.ok(fs.statSync(path.join(SCRIPTS, name)).size > 0, name);
  }
});

test('the commands that read the registry need only the registry module, and say the same', () => {
  const repo = makeRepo({ templates: true });
  const lite = registryOnly(repo);
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

test('ops commands load the ops module, and only they do', () => {
  const repo = makeRepo({ templates: true, fakeDocker: true });
  const lite = registryOnly(repo);
  try {
    assert.equal(run(repo, CTL, ['add-service', '--id', 'api']).status, 0);
    for (const args of [
      ['init', '--dry-run'],
      ['add-service', '--id', 'web', '--dry-run'],
      ['remove', '--id', 'api', '--dry-run'],
      ['build', '--target', 'api', '--dry-run'],
      ['build-all', '--dry-run'],
      ['export', '--format', 'bake'],
      ['materialize', '--dry-run'],
      ['install', '--dry-run'],
    ]) {
      // Without the ops module the command cannot run, and nothing was written.
      const before = repo.snapshotAll();
      const r = run(repo, lite, args);
      assert.equal(r.status, 70, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /ctl_packaging_ops/, args.join(' '));
      assert.equal(r.stdout, '', args.join(' '));
      assert.deepEqual(repo.snapshotAll(), before, args.join(' '));
      // With it, the command runs.
      const full = run(repo, CTL, args);
      assert.notEqual(full.status, 70, `${args.join(' ')}: ${full.stderr}`);
      assert.doesNotMatch(full.stderr, /internal error/, args.join(' '));
    }
  } finally {
    repo.cleanup();
  }
});

// V8's flags (node-host.mjs, tuneV8) cost a process the loading of node:v8. The
// registry module goes without them on a registry small enough that no function
// of it is moved to V8's optimizing tier; everything else keeps them. Which way
// a process went shows in the builtins it loaded.
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
    for (const args of [['verify'], ['remove', '--id', 'api', '--dry-run']]) assert.equal(loadsV8(args), true, args.join(' '));
    // From a folder below the root the registry is not in the current folder.
    fs.mkdirSync(repo.abs('apps/backend'), { recursive: true });
    assert.equal(loadsV8(['list'], repo.abs('apps/backend')), true, 'list below the root');
    // A registry of 64 KiB or more: an unknown field, kept as it is, makes it one.
    const file = repo.abs('docs/packaging/registry.json');
    const registry = JSON.parse(fs.readFileSync(file, 'utf8'));
    fs.writeFileSync(file, `${JSON.stringify({ ...registry, notes: 'x'.repeat(64 * 1024) }, null, 2)}\n`);
    assert.equal(loadsV8(['list']), true, 'list on a large registry');
    assert.equal(loadsV8(['status']), true, 'status on a large registry');
  } finally {
    repo.cleanup();
  }
});
