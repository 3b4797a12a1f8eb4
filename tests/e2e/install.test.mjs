// Issue 6: `install` puts the feature folder, its templates and a project-state
// script into a host repository, copy-if-missing; a second run changes nothing and
// says so; `--upgrade` replaces scripts and wasm but keeps templates the user
// changed; `materialize` is the document's step 1; the project-state commands
// work through .ai/scripts/ctl-project-state.mjs. All against the assembled
// dist/packaging/, in temporary git repositories.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import { CTL, diffSnapshots, lines, makeRepo, NO_CHANGE, PROJECT_ROOT } from './helpers.mjs';

const DIST = path.join(PROJECT_ROOT, 'dist', 'packaging');
const FEATURE = '.ai/skills/features/packaging';
const RECORD = `${FEATURE}/.install.json`;
const STATE_SCRIPT = '.ai/scripts/ctl-project-state.mjs';
const STATE = '.ai/project/state.json';
const VERSION = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')).version;

/** Every file below `dir`, relative, sorted the way the core sorts (bytes). */
function files(dir) {
  const out = [];
  const walk = (abs, rel) => {
    for (const name of fs.readdirSync(abs)) {
      const a = path.join(abs, name);
      const r = rel ? `${rel}/${name}` : name;
      if (fs.statSync(a).isDirectory()) walk(a, r);
      else out.push(r);
    }
  };
  walk(dir, '');
  return out.sort((x, y) => (Buffer.compare(Buffer.from(x), Buffer.from(y))));
}

const skillFiles = () => files(DIST).filter((f) => f !== '.install.json');
const templateFiles = () => files(path.join(DIST, 'templates'));

/** The exact output of a first install into an empty repository. */
function firstInstall() {
  const feature = skillFiles();
  const templates = templateFiles();
  return [
    ...feature.map((f) => `  write: ${FEATURE}/${f}`),
    ...templates.map((f) => `  write: ${f}`),
    `  write: ${STATE_SCRIPT}`,
    `  write: ${RECORD}`,
    `[ok] Packaging feature ${VERSION} installed into ${FEATURE}/: ${feature.length + templates.length + 1} written.`,
  ];
}

/** The hint after an install that changed something: [info] lines go to stderr (issue 15). */
const NEXT = `[info] Next: node ${FEATURE}/scripts/ctl-packaging.mjs init\n`;

function secondInstall() {
  const feature = skillFiles();
  const templates = templateFiles();
  return [
    ...feature.map((f) => `  skip: ${FEATURE}/${f} [exists]`),
    ...templates.map((f) => `  skip: ${f} [exists]`),
    `  skip: ${STATE_SCRIPT} [exists]`,
    `[ok] Nothing changed: the packaging feature is already installed (${feature.length + templates.length + 1} skipped).`,
  ];
}

function ok(r, what) {
  assert.equal(r.code, 0, `${what}: exit code\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  assert.ok(lines(r.stderr).every((l) => l.startsWith('[info] ')), `${what}: stderr ${r.stderr}`);
  return r;
}

test('install into an empty repository, then again: the second run changes nothing and says so', () => {
  const repo = makeRepo();
  try {
    const first = ok(repo.run(['install']), 'install');
    assert.deepEqual(lines(first.stdout), firstInstall());
    assert.equal(first.stderr, NEXT);

    // The feature folder is the package's skill folder, byte for byte (the wasm too).
    for (const f of skillFiles()) {
      assert.ok(repo.readBytes(`${FEATURE}/${f}`).equals(fs.readFileSync(path.join(DIST, f))), f);
    }
    for (const f of templateFiles()) {
      assert.ok(repo.readBytes(f).equals(fs.readFileSync(path.join(DIST, 'templates', f))), f);
    }
    assert.ok(fs.statSync(repo.abs(`${FEATURE}/scripts/ctl-packaging.mjs`)).mode & 0o100, 'the CLI stays executable');
    const record = JSON.parse(repo.read(RECORD));
    assert.equal(record.package, 'ctl-packaging');
    assert.equal(record.version, VERSION);
    assert.deepEqual(Object.keys(record.files), skillFiles());
    assert.match(record.files['scripts/ctl_packaging_bg.wasm'], /^sha256:[0-9a-f]{64}$/);
    // No temporary file is left anywhere.
    assert.deepEqual(
      [...repo.snapshotRepo().keys()].filter((k) => /\.tmp/.test(k)),
      [],
    );

    const snap = repo.snapshotAll();
    const second = ok(repo.run(['install']), 'second install');
    assert.deepEqual(lines(second.stdout), secondInstall());
    assert.deepEqual(diffSnapshots(snap, repo.snapshotAll()), NO_CHANGE);
  } finally {
    repo.cleanup();
  }
});

test('install --dry-run lists the same actions and writes nothing', () => {
  const repo = makeRepo();
  try {
    const snap = repo.snapshotAll();
    const r = ok(repo.run(['install', '--dry-run']), 'install --dry-run');
    const expected = firstInstall()
      .filter((l) => l.startsWith('  '))
      .map((l) => `${l} (dry-run)`);
    const n = skillFiles().length + templateFiles().length + 1;
    assert.deepEqual(lines(r.stdout), [...expected, `[ok] Dry run, nothing was changed: ${n} written.`]);
    assert.deepEqual(diffSnapshots(snap, repo.snapshotAll()), NO_CHANGE);
  } finally {
    repo.cleanup();
  }
});

test('the installed feature runs the documented flow; materialize --diff shows what drifted', () => {
  const repo = makeRepo();
  try {
    ok(repo.run(['install']), 'install');
    const cli = (args) => repo.exec(process.execPath, [`${FEATURE}/scripts/ctl-packaging.mjs`, ...args]);
    const init = ok(cli(['init']), 'init');
    assert.equal(lines(init.stdout)[0], '[ok] Packaging configuration initialized.');
    ok(cli(['add-service', '--id', 'api', '--module', 'apps/backend']), 'add-service');
    const verify = ok(cli(['verify']), 'verify');
    assert.equal(lines(verify.stdout).at(-1), '[ok] Packaging configuration verified.');

    const n = templateFiles().length;
    const diff = ok(cli(['materialize', '--diff']), 'materialize --diff');
    assert.deepEqual(lines(diff.stdout), [
      '  differs: docs/packaging/registry.json',
      `[ok] Compared ${n} template files: 1 different; nothing was changed.`,
    ]);

    fs.rmSync(repo.abs('ops/packaging/AGENTS.md'));
    const snap = repo.snapshotAll();
    const dry = ok(cli(['materialize', '--dry-run']), 'materialize --dry-run');
    assert.ok(lines(dry.stdout).includes('  write: ops/packaging/AGENTS.md (dry-run)'));
    assert.deepEqual(diffSnapshots(snap, repo.snapshotAll()), NO_CHANGE);
    const mat = ok(cli(['materialize']), 'materialize');
    assert.ok(lines(mat.stdout).includes('  write: ops/packaging/AGENTS.md'));
    assert.ok(lines(mat.stdout).includes('  skip: docs/packaging/registry.json [exists]'));
    assert.equal(lines(mat.stdout).at(-1), `[ok] Templates materialized into the repository root: 1 written, ${n - 1} skipped.`);
    assert.deepEqual(diffSnapshots(snap, repo.snapshotAll()), { added: ['w1/w2/repo/ops/packaging/AGENTS.md'], removed: [], changed: [] });
  } finally {
    repo.cleanup();
  }
});

test('install --upgrade replaces the scripts and wasm of an older install, keeps a template the user changed', () => {
  const repo = makeRepo();
  try {
    ok(repo.run(['install']), 'install');
    // An older install: other script and wasm bytes; the team adapted one template.
    const script = `${FEATURE}/scripts/ctl-packaging.mjs`;
    const wasm = `${FEATURE}/scripts/ctl_packaging_bg.wasm`;
    const template = `${FEATURE}/templates/ops/packaging/AGENTS.md`;
    fs.appendFileSync(repo.abs(script), '// 0.0.9\n');
    fs.writeFileSync(repo.abs(wasm), Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
    fs.appendFileSync(repo.abs(template), '\nOur own rule.\n');
    const adapted = repo.readBytes(template);

    // A plain install never replaces anything.
    const snap = repo.snapshotAll();
    const plain = ok(repo.run(['install']), 'install');
    assert.deepEqual(lines(plain.stdout), secondInstall());
    assert.deepEqual(diffSnapshots(snap, repo.snapshotAll()), NO_CHANGE);

    const up = ok(repo.run(['install', '--upgrade']), 'install --upgrade');
    const out = lines(up.stdout);
    assert.ok(out.includes(`  replace: ${script}`), up.stdout);
    assert.ok(out.includes(`  replace: ${wasm}`), up.stdout);
    assert.ok(out.includes(`  kept: ${template} [modified]`), up.stdout);
    assert.ok(out.includes(`  unchanged: ${FEATURE}/SKILL.md`), up.stdout);
    assert.ok(out.includes(`  skip: ops/packaging/AGENTS.md [exists]`), up.stdout);
    assert.equal(out.filter((l) => l.startsWith('  replace: ')).length, 2, up.stdout);
    // The [info] lines are on stderr: where the backup is, then the next step.
    const info = lines(up.stderr);
    assert.equal(info.at(-1), NEXT.trim());
    assert.match(out.at(-1), /^\[ok\] Packaging feature .* installed into .*: 2 replaced, 1 kept, \d+ unchanged, \d+ skipped\.$/);
    // What it replaced is backed up, byte for byte.
    const backup = info[0].match(/^\[info\] What was replaced or removed is backed up in (\S+)\/$/)[1];
    assert.ok(repo.readBytes(`${backup}/${script}`).toString().endsWith('// 0.0.9\n'), 'the old CLI is in the backup');
    assert.ok(repo.readBytes(`${backup}/${wasm}`).equals(Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0])), 'the old wasm too');
    assert.ok(repo.readBytes(script).equals(fs.readFileSync(path.join(DIST, 'scripts/ctl-packaging.mjs'))));
    assert.ok(repo.readBytes(wasm).equals(fs.readFileSync(path.join(DIST, 'scripts/ctl_packaging_bg.wasm'))));
    assert.ok(repo.readBytes(template).equals(adapted), 'the adapted template is kept');

    // The upgraded CLI works, and the next upgrade still keeps the adapted template.
    ok(repo.exec(process.execPath, [script, 'list']), 'list');
    const again = ok(repo.run(['install', '--upgrade']), 'install --upgrade');
    assert.ok(lines(again.stdout).includes(`  kept: ${template} [modified]`));
    assert.match(lines(again.stdout).at(-1), /^\[ok\] Nothing changed: the packaging feature is already installed \(1 kept, \d+ unchanged, \d+ skipped\)\.$/);
  } finally {
    repo.cleanup();
  }
});

test('an existing .ai/scripts/ctl-project-state.mjs is never replaced, not even by --upgrade', () => {
  const repo = makeRepo();
  try {
    repo.write(STATE_SCRIPT, '// the repository\'s own\n');
    const r = ok(repo.run(['install']), 'install');
    assert.ok(lines(r.stdout).includes(`  skip: ${STATE_SCRIPT} [exists]`));
    ok(repo.run(['install', '--upgrade']), 'install --upgrade');
    assert.equal(repo.read(STATE_SCRIPT), '// the repository\'s own\n');
  } finally {
    repo.cleanup();
  }
});

test('the project-state commands through .ai/scripts/ctl-project-state.mjs', () => {
  const repo = makeRepo();
  try {
    ok(repo.run(['install']), 'install');
    const ps = (...args) => repo.exec(process.execPath, [STATE_SCRIPT, ...args]);
    assert.deepEqual(lines(ok(ps('init'), 'init').stdout), [
      '[ok] Project state initialized.',
      '  mkdir: .ai/project',
      `  write: ${STATE}`,
    ]);
    assert.deepEqual(lines(ok(ps('init'), 'init').stdout), ['[ok] Project state initialized.', `  skip: ${STATE} [exists]`]);
    assert.equal(ok(ps('set', 'features.packaging', 'true'), 'set').stdout, '[ok] Set features.packaging = true\n');
    assert.equal(ok(ps('get', 'features.packaging'), 'get').stdout, 'true\n');
    assert.equal(ok(ps('set', 'custom.owner', 'platform team'), 'set').stdout, '[ok] Set custom.owner = "platform team"\n');
    assert.equal(ok(ps('get', 'custom.owner'), 'get').stdout, 'platform team\n');
    const state = JSON.parse(repo.read(STATE));
    assert.deepEqual(Object.keys(state), ['version', 'createdAt', 'updatedAt', 'context', 'features', 'custom']);
    assert.deepEqual(state.features, { packaging: true });
    assert.deepEqual(state.context, { mode: 'contract', enabled: false });

    const status = ok(ps('status'), 'status');
    assert.ok(lines(status.stdout).includes('  Features enabled: packaging'), status.stdout);
    const json = JSON.parse(ok(ps('status', '--format', 'json'), 'status json').stdout);
    assert.equal(json.initialized, true);
    assert.deepEqual(json.state, JSON.parse(repo.read(STATE)));

    const snap = repo.snapshotAll();
    const bad = ps('set', 'secrets.token', 'x');
    assert.equal(bad.code, 1);
    assert.equal(
      bad.stderr,
      '[error] Unsupported key "secrets.token"; allowed keys: features.<name>, custom.<path>, context.mode, context.enabled\n',
    );
    const missing = ps('get', 'features.nothing');
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, `[error] Key not found: features.nothing (in ${STATE})\n`);
    assert.deepEqual(diffSnapshots(snap, repo.snapshotAll()), NO_CHANGE);

    // --repo-root, from elsewhere.
    const other = spawnSync(process.execPath, [repo.abs(STATE_SCRIPT), 'get', 'features.packaging', '--repo-root', repo.root], {
      cwd: repo.base,
      encoding: 'utf8',
      env: repo.env(),
    });
    assert.equal(other.status, 0, other.stderr);
    assert.equal(other.stdout, 'true\n');
  } finally {
    repo.cleanup();
  }
});

test('the project-state script says what is missing when the feature folder is gone', () => {
  const repo = makeRepo();
  try {
    ok(repo.run(['install']), 'install');
    fs.rmSync(repo.abs(FEATURE), { recursive: true });
    const r = repo.exec(process.execPath, [STATE_SCRIPT, 'status']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\[error\] \.ai\/scripts\/ctl-project-state\.mjs needs \.ai\/skills\/features\/packaging\/scripts\//);
  } finally {
    repo.cleanup();
  }
});

test('an installed feature installs itself into another repository; a symlinked CLI finds its folder', () => {
  const a = makeRepo();
  const b = makeRepo();
  try {
    ok(a.run(['install']), 'install into a');
    // The installed copy as the source: its record is not copied, the files are.
    const fromA = ok(
      b.exec(process.execPath, [a.abs(`${FEATURE}/scripts/ctl-packaging.mjs`), 'install', '--repo-root', b.root]),
      'install from a into b',
    );
    assert.deepEqual(lines(fromA.stdout), firstInstall());
    assert.equal(b.read(RECORD), a.read(RECORD));

    // npm runs a bin through a symbolic link in node_modules/.bin.
    const bin = path.join(a.base, 'node_modules', '.bin');
    fs.mkdirSync(bin, { recursive: true });
    fs.symlinkSync(CTL, path.join(bin, 'ctl-packaging'));
    const c = makeRepo();
    try {
      const viaLink = ok(c.exec(process.execPath, [path.join(bin, 'ctl-packaging'), 'install']), 'install via a link');
      assert.deepEqual(lines(viaLink.stdout), firstInstall());
    } finally {
      c.cleanup();
    }
  } finally {
    a.cleanup();
    b.cleanup();
  }
});

test('install refuses to write through a symbolic link that leaves the repository', () => {
  const repo = makeRepo();
  try {
    const outside = path.join(repo.base, 'outside');
    fs.mkdirSync(outside);
    fs.symlinkSync(outside, repo.abs('.ai'));
    const snap = repo.snapshotAll();
    const r = repo.run(['install']);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /^\[error\] the destination "\.ai\/skills\/features\/packaging\/SKILL\.md" leads outside the repository/);
    assert.deepEqual(diffSnapshots(snap, repo.snapshotAll()), NO_CHANGE);
  } finally {
    repo.cleanup();
  }
});

test('an install that fails midway is rolled back: the repository is as it was, no [ok]', () => {
  const repo = makeRepo();
  try {
    // A file where install needs a folder: the feature folder is written, then
    // the root's ops/packaging/scripts/ cannot be made.
    repo.write('ops/packaging/scripts', 'a file in the way\n');
    const before = repo.snapshotRepo();
    const r = repo.run(['install']);
    assert.equal(r.code, 1, `exit code\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    assert.ok(!r.stdout.includes('[ok]'), r.stdout);
    assert.ok(
      r.stderr.endsWith('[error] install was rolled back: every file it wrote, replaced or removed is as it was\n'),
      r.stderr,
    );
    assert.deepEqual(diffSnapshots(before, repo.snapshotRepo()), NO_CHANGE);
    assert.ok(!repo.exists(FEATURE));
  } finally {
    repo.cleanup();
  }
});

test('uninstall refuses a backup that is not what install saved, changing nothing', () => {
  const repo = makeRepo();
  try {
    repo.write(`${FEATURE}/SKILL.md`, '# theirs\n');
    ok(repo.run(['install', '--upgrade']), 'install --upgrade');
    const entry = JSON.parse(repo.read(RECORD)).restore[`${FEATURE}/SKILL.md`];
    assert.match(entry.digest, /^sha256:[0-9a-f]{64}$/);
    assert.equal(repo.read(entry.backup), '# theirs\n');
    repo.write(entry.backup, '# edited\n');
    const before = repo.snapshotRepo();
    const r = repo.run(['uninstall']);
    assert.equal(r.code, 1, `exit code\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    assert.equal(r.stdout, '');
    const found = lines(r.stderr)[1];
    assert.ok(
      found.startsWith(`[error]   ${FEATURE}/SKILL.md: its backup ${entry.backup} is not what install saved (expected ${entry.digest}, found sha256:`),
      r.stderr,
    );
    assert.deepEqual(diffSnapshots(before, repo.snapshotRepo()), NO_CHANGE);
    // Put back as saved, it is restored and the backup folder goes.
    repo.write(entry.backup, '# theirs\n');
    ok(repo.run(['uninstall']), 'uninstall');
    assert.equal(repo.read(`${FEATURE}/SKILL.md`), '# theirs\n');
    assert.ok(!repo.exists(`${FEATURE}/.backup`));
  } finally {
    repo.cleanup();
  }
});
