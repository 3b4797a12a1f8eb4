// From the reference install to ours, as a real repository meets it: a repository that
// holds exactly the reference feature folder (tests/fixtures/reference-packaging/, at
// .ai/skills/features/packaging/) and its templates at the root, with a target the
// reference CLI registered. Then `ctl-packaging install` from the package (what
// `npx ctl-packaging install` runs), a real buildah build through the new helper, and
// `uninstall`, which returns the tree to what it was.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import { copyIfMissing, diffSnapshots, lines, makeRepo, NO_CHANGE, PROJECT_ROOT } from './helpers.mjs';

const FIXTURE = path.join(PROJECT_ROOT, 'tests', 'fixtures', 'reference-packaging');
const PACKAGE_CLI = path.join(PROJECT_ROOT, 'dist', 'packaging', 'scripts', 'ctl-packaging.mjs');
const FEATURE = '.ai/skills/features/packaging';
const HELPER = 'ops/packaging/scripts/docker-build.mjs';
const haveBuildah = spawnSync('buildah', ['--version'], { encoding: 'utf8' }).status === 0;

const VERSION = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')).version;
const sha256 = (bytes) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** The reference's files (what the fixture holds but its README and LICENSE). */
function referenceFiles() {
  const out = [];
  const walk = (abs, rel) => {
    for (const name of fs.readdirSync(abs).sort()) {
      const a = path.join(abs, name);
      const r = rel ? `${rel}/${name}` : name;
      if (fs.statSync(a).isDirectory()) walk(a, r);
      else if (rel || (name !== 'README.md' && name !== 'LICENSE')) out.push(r);
    }
  };
  walk(FIXTURE, '');
  return out;
}

function must(r, what) {
  assert.equal(r.code, 0, `${what} failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** A repository as the monorepo had it: the reference feature folder, its templates at the root, one target. */
function referenceRepo() {
  const repo = makeRepo();
  for (const rel of referenceFiles()) {
    repo.write(`${FEATURE}/${rel}`, fs.readFileSync(path.join(FIXTURE, rel)));
  }
  copyIfMissing(path.join(FIXTURE, 'templates'), repo.root);
  const reference = (...args) => repo.exec(process.execPath, [`${FEATURE}/scripts/ctl-packaging.mjs`, ...args]);
  must(reference('init'), 'reference init');
  must(reference('add-service', '--id', 'api', '--module', 'apps/api'), 'reference add-service');
  repo.write('apps/api/hello.txt', 'hello from api\n');
  repo.write('ops/packaging/services/api.Dockerfile', 'FROM scratch\nCOPY hello.txt /hello.txt\n');
  const git = (...args) => must(repo.exec('git', args), `git ${args.join(' ')}`);
  git('config', 'user.email', 'e2e@example.com');
  git('config', 'user.name', 'e2e');
  git('config', 'commit.gpgsign', 'false');
  git('add', '-A');
  git('commit', '-q', '-m', 'the reference install');
  return { repo, git };
}

test('every file of the reference install is known by its digest', () => {
  // Without whitespace, so that rustfmt's line breaks do not matter.
  const known = fs.readFileSync(path.join(PROJECT_ROOT, 'src', 'plan', 'known.rs'), 'utf8').replace(/\s+/g, '');
  for (const rel of referenceFiles()) {
    const digest = sha256(fs.readFileSync(path.join(FIXTURE, rel)));
    assert.ok(known.includes(`file("${rel}","${digest}"`), `${rel} (${digest}) is not in src/plan/known.rs`);
  }
  const helper = sha256(fs.readFileSync(path.join(FIXTURE, 'templates', HELPER)));
  assert.ok(known.includes(`"${helper}"`), 'the reference helper is a known old helper');
});

test('install over the reference upgrades it in place; a real build carries provenance; uninstall puts it back', {
  skip: haveBuildah ? false : 'buildah is needed: bash scripts/setup.sh --test-deps',
}, () => {
  const { repo, git } = referenceRepo();
  try {
    const before = repo.snapshotRepo();
    const referenceHelper = repo.readBytes(HELPER);

    // The reference CLI and helper do not carry what builds need: a build through
    // the old helper would run docker and drop every label.
    const r = must(repo.exec(process.execPath, [PACKAGE_CLI, 'install']), 'install');
    const out = lines(r.stdout);
    assert.match(r.stderr, /^\[info\] Found the reference packaging feature \(plain JavaScript, 069bf6f\) in \.ai\/skills\/features\/packaging\/: upgrading it to ctl-packaging \d+\.\d+\.\d+ in place/);
    assert.ok(!out.some((l) => l.includes('[modified]')), `no reference template counts as modified:\n${r.stdout}`);
    assert.ok(!out.some((l) => l.includes('skip: .ai/skills/features/packaging/scripts/ctl-packaging.mjs')), r.stdout);
    assert.ok(out.includes(`  replace: ${FEATURE}/scripts/ctl-packaging.mjs`), r.stdout);
    assert.ok(out.includes(`  remove: ${FEATURE}/reference/feature-overview.md`), r.stdout);
    assert.ok(out.includes(`  replace: ${HELPER}`), r.stdout);
    const info = lines(r.stderr);
    assert.match(info[1], /^\[info\] What was replaced or removed is backed up in \.ai\/skills\/features\/packaging\/\.backup\/[0-9T:.Z-]+\/$/);

    // Our CLI answers now, from the repository's own path.
    const ours = (...args) => repo.exec(process.execPath, [`${FEATURE}/scripts/ctl-packaging.mjs`, ...args]);
    assert.deepEqual(lines(must(ours('--version'), '--version').stdout), [`ctl-packaging ${VERSION}`]);
    assert.deepEqual(repo.readBytes(`${FEATURE}/scripts/ctl-packaging.mjs`), fs.readFileSync(PACKAGE_CLI));
    const list = must(ours('list'), 'list');
    assert.deepEqual(lines(list.stdout), ['Packaging Targets (1):', '', '  [service] api -> apps/api']);
    // The old helper is backed up and replaced by this version's.
    assert.ok(repo.read(HELPER).includes('// ctl-packaging-helper: dry-run, engine'), 'the new helper');
    const backup = info[1].match(/in (\S+)\/$/)[1];
    assert.deepEqual(repo.readBytes(`${backup}/${HELPER}`), referenceHelper);
    // A second install changes nothing.
    const again = must(repo.exec(process.execPath, [PACKAGE_CLI, 'install']), 'second install');
    assert.match(again.stdout, /\[ok\] Nothing changed: the packaging feature is already installed/);

    // A real build through the new helper, with the provenance labels.
    const store = path.join(repo.base, 'buildah');
    const globals = ['--storage-driver', 'vfs', '--root', path.join(store, 'root'), '--runroot', path.join(store, 'run')];
    const env = { PACKAGING_BUILDAH_ARGS: globals.join(' '), PACKAGING_BUILDAH_ISOLATION: 'chroot' };
    const head = git('rev-parse', 'HEAD').stdout.trim();
    const built = repo.exec(process.execPath, [`${FEATURE}/scripts/ctl-packaging.mjs`, 'build', '--target', 'api',
      '--engine', 'buildah', '--tag', 'v1'], { env, timeout: 300_000 });
    must(built, 'build');
    const inspect = must(repo.exec('buildah', [...globals, 'inspect', '--type', 'image', 'api:v1'], { timeout: 120_000 }), 'inspect');
    const labels = JSON.parse(inspect.stdout).OCIv1.config.Labels;
    assert.equal(labels['org.opencontainers.image.title'], 'api');
    assert.equal(labels['org.opencontainers.image.version'], 'v1');
    assert.match(labels['org.opencontainers.image.revision'], new RegExp(`^${head}(-dirty)?$`));
    fs.rmSync(store, { recursive: true, force: true });

    // uninstall: the tree as it was before the install, registry and Dockerfiles kept.
    const u = must(ours('uninstall'), 'uninstall');
    assert.match(lines(u.stdout).at(-1), /^\[ok\] Packaging feature uninstalled: \d+ removed, \d+ restored\. The registry and the Dockerfiles are kept\.$/);
    assert.deepEqual(diffSnapshots(before, repo.snapshotRepo()), NO_CHANGE);
    // The reference CLI is back and works.
    must(repo.exec(process.execPath, [`${FEATURE}/scripts/ctl-packaging.mjs`, 'list']), 'reference list');
  } finally {
    repo.cleanup();
  }
});

test('a build through the reference helper is refused with the fix, before anything runs', () => {
  const { repo } = referenceRepo();
  try {
    // Our CLI installed by hand next to the reference's helper (no install run).
    const bin = path.join(repo.base, 'bin');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'docker'), `#!/bin/sh\ntouch ${JSON.stringify(path.join(repo.base, 'docker-ran'))}\n`, { mode: 0o755 });
    const r = repo.exec(process.execPath, [PACKAGE_CLI, 'build', '--target', 'api'], {
      env: { PATH: `${bin}${path.delimiter}${process.env.PATH}` },
    });
    assert.equal(r.code, 1);
    assert.deepEqual(lines(r.stderr), [
      `[error] ${HELPER} cannot pass --label to the engine (it declares no // ctl-packaging-helper: line), so the build would not be the one planned. Replace it with this version's helper (yours is backed up): node .ai/skills/features/packaging/scripts/ctl-packaging.mjs install --upgrade-helper`,
    ]);
    assert.ok(!fs.existsSync(path.join(repo.base, 'docker-ran')), 'no engine ran');
  } finally {
    repo.cleanup();
  }
});

test('install over files it does not know changes nothing without --upgrade', () => {
  const repo = makeRepo();
  try {
    repo.write(`${FEATURE}/scripts/ctl-packaging.mjs`, '// somebody else\'s\n');
    const before = repo.snapshotRepo();
    const r = repo.exec(process.execPath, [PACKAGE_CLI, 'install']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^\[error\] \.ai\/skills\/features\/packaging\/ holds files this installer does not know/);
    assert.deepEqual(diffSnapshots(before, repo.snapshotRepo()), NO_CHANGE);
  } finally {
    repo.cleanup();
  }
});
