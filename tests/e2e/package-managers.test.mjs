// The npm tarball installs with pnpm and yarn too, offline (a registry that cannot answer,
// fresh stores), and the feature install runs through each one's way of running a package
// binary (`pnpm exec`, `yarn <bin>`). Each leaves only its own lock file: no
// package-lock.json beside pnpm-lock.yaml or yarn.lock. pnpm and yarn are dev
// dependencies (package.json), so `npm ci` brings them.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

import { cleanEnv, lines, PROJECT_ROOT } from './helpers.mjs';

const BIN = path.join(PROJECT_ROOT, 'node_modules', '.bin');
const FEATURE = '.ai/skills/features/packaging';

function run(program, args, { cwd, env }) {
  const r = spawnSync(program, args, { cwd, env, encoding: 'utf8', timeout: 180_000 });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? String(r.error ?? '') };
}

function must(r, what) {
  assert.equal(r.code, 0, `${what} failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** The package's tarball: the one scripts/test.sh packed, else packed here. */
function tarball(base) {
  if (process.env.CTL_TARBALL) return process.env.CTL_TARBALL;
  const dir = path.join(base, 'pack');
  fs.mkdirSync(dir);
  const packed = must(run('npm', ['pack', '--ignore-scripts', '--pack-destination', dir, '--json'], { cwd: PROJECT_ROOT, env: cleanEnv() }), 'npm pack');
  return path.join(dir, JSON.parse(packed.stdout)[0].filename);
}

const MANAGERS = [
  {
    name: 'pnpm',
    lock: 'pnpm-lock.yaml',
    add: (tgz, base) => [path.join(BIN, 'pnpm'), ['add', '-D', tgz, '--offline', '--store-dir', path.join(base, 'store'), '--config.registry=http://127.0.0.1:9/']],
    exec: (args) => [path.join(BIN, 'pnpm'), ['exec', 'ctl-packaging', ...args]],
  },
  {
    name: 'yarn',
    lock: 'yarn.lock',
    add: (tgz, base) => [path.join(BIN, 'yarn'), ['add', '-D', `file:${tgz}`, '--offline', '--cache-folder', path.join(base, 'cache'), '--registry', 'http://127.0.0.1:9/']],
    exec: (args) => [path.join(BIN, 'yarn'), ['--offline', 'ctl-packaging', ...args]],
  },
];

for (const pm of MANAGERS) {
  test(`${pm.name}: the tarball installs offline and runs the feature install`, () => {
    const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `ctl-${pm.name}-`)));
    try {
      const env = cleanEnv({ npm_config_registry: 'http://127.0.0.1:9/', HOME: base, XDG_CACHE_HOME: path.join(base, 'xdg') });
      const tgz = tarball(base);
      const project = path.join(base, 'project');
      fs.mkdirSync(project);
      fs.writeFileSync(path.join(project, 'package.json'), '{ "name": "consumer", "version": "1.0.0", "private": true }\n');
      const [addProgram, addArgs] = pm.add(tgz, base);
      must(run(addProgram, addArgs, { cwd: project, env }), `${pm.name} add`);
      assert.ok(fs.existsSync(path.join(project, pm.lock)), `${pm.lock} is written`);
      assert.ok(!fs.existsSync(path.join(project, 'package-lock.json')), 'no package-lock.json');
      assert.ok(fs.existsSync(path.join(project, 'node_modules', 'ctl-packaging', 'dist', 'packaging', 'scripts', 'ctl_packaging_bg.wasm')));

      const repo = path.join(base, 'repo');
      fs.mkdirSync(repo);
      must(run('git', ['init', '-q'], { cwd: repo, env }), 'git init');
      const [program, args] = pm.exec(['install', '--repo-root', repo]);
      const install = must(run(program, args, { cwd: project, env }), `${pm.name} ctl-packaging install`);
      assert.ok(lines(install.stdout).some((l) => /^\[ok\] Packaging feature \d+\.\d+\.\d+ installed into \.ai\/skills\/features\/packaging\/: \d+ written\.$/.test(l)), install.stdout);
      const status = must(run(process.execPath, [`${FEATURE}/scripts/ctl-packaging.mjs`, 'status'], { cwd: repo, env }), 'status');
      assert.equal(lines(status.stdout)[0], 'Packaging Status:');
    } finally {
      fs.rmSync(base, { recursive: true, force: true });
    }
  });
}
