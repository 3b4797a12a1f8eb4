// Issue 3: hostile ids, paths, images and tags are refused with exit 1, a
// message naming the offending value and the rule, the registry untouched and
// nothing created anywhere (inside the repo or in any of its parent folders).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { diffSnapshots, lines, makeRepo, NO_CHANGE, REGISTRY } from './helpers.mjs';

const ID_RULE =
  'must be lowercase letters and digits, optionally separated by ".", "_", "__" or "-" (an OCI image path component), at most 128 characters';
const ESCAPES = 'paths must stay inside the repository root (no ".." escape)';
const ABSOLUTE = 'paths must be relative to the repository root, not absolute';
const TAG_RULE =
  'must be 1 to 128 characters of letters, digits, "_", "." and "-", not starting with "." or "-"';
const LONG_ID = 'a'.repeat(5000);

// [args, expected stderr line (exact) or checker, extra checks]
const ADD_CASES = [
  { args: ['add-service', '--id', '../../escape'], err: `[error] --id: id "../../escape" ${ID_RULE}` },
  { args: ['add-service', '--id', '/abs'], err: `[error] --id: id "/abs" ${ID_RULE}` },
  { args: ['add-service', '--id', 'has space'], err: `[error] --id: id "has space" ${ID_RULE}` },
  { args: ['add-service', '--id', 'UPPER'], err: `[error] --id: id "UPPER" ${ID_RULE}` },
  {
    args: ['add-service', '--id', LONG_ID],
    err: `[error] --id: id "${'a'.repeat(64)}…" (5000 characters) ${ID_RULE}`,
    check: (line) => assert.ok(line.length < 300, `message is shortened (${line.length} chars)`),
  },
  { args: ['add-service', '--id', ''], err: `[error] --id: id "" ${ID_RULE}` },
  // A command line it cannot read exits 2 (issue 15).
  { args: ['add-service', '--id'], err: '[error] --id needs a value', code: 2 },
  { args: ['add-service', '--id', 'x', '--module', '../../outside'], err: `[error] --module "../../outside": ${ESCAPES}` },
  {
    args: ['add-service', '--id', 'x', '--dockerfile', '/tmp/x.Dockerfile'],
    err: `[error] --dockerfile "/tmp/x.Dockerfile": ${ABSOLUTE}`,
  },
  { args: ['add-service', '--id', 'x', '--context', '../..'], err: `[error] --context "../..": ${ESCAPES}` },
  {
    args: ['add-service', '--id', 'x', '--template', '../../../etc/passwd'],
    err: `[error] --template "../../../etc/passwd": ${ESCAPES}`,
  },
  {
    args: ['add-service', '--id', 'x', '--image', 'user:secret@registry.example.com/x'],
    err:
      '[error] --image: image "user:***@registry.example.com/x" carries credentials: image references must not carry credentials (user:password@); log in with the engine instead',
  },
  {
    args: ['add-service', '--id', 'x', '--image', 'Bad Image Name'],
    err:
      '[error] --image: image "Bad Image Name" is not a valid image reference: path component "Bad Image Name" must be lowercase letters and digits separated by ".", "_", "__" or "-"',
  },
  {
    args: ['add-service', '--id', 'x', '--image', 'x@sha256:abc'],
    err:
      '[error] --image: image "x@sha256:abc" is not a valid image reference: digest "sha256:abc" must be sha256: followed by 64 lowercase hex characters (or sha512: and 128)',
  },
  // Spelled through the generic command and the other fixed types too.
  { args: ['add', '--id', '../../escape', '--type', 'job'], err: `[error] --id: id "../../escape" ${ID_RULE}` },
  { args: ['add-job', '--id', 'x', '--module', 'a/../../..'], err: `[error] --module "a/../../..": ${ESCAPES}` },
  { args: ['add-app', '--id', 'x', '--dockerfile', '../x.Dockerfile'], err: `[error] --dockerfile "../x.Dockerfile": ${ESCAPES}` },
];

const BUILD_CASES = [
  { args: ['build', '--target', 'api', '--tag', 'bad tag'], err: `[error] --tag: tag "bad tag" ${TAG_RULE}` },
  { args: ['build', '--target', 'api', '--tag', '../../x'], err: `[error] --tag: tag "../../x" ${TAG_RULE}` },
  { args: ['build', '--target', 'api', '--tag', '-rm'], err: `[error] --tag: tag "-rm" ${TAG_RULE}` },
  { args: ['build-all', '--tag', 'bad tag'], err: `[error] --tag: tag "bad tag" ${TAG_RULE}` },
  { args: ['build-all', '--tag', '-rm'], err: `[error] --tag: tag "-rm" ${TAG_RULE}` },
];

const label = (args) => args.map((a) => (a.length > 40 ? `<${a.length} chars>` : JSON.stringify(a))).join(' ');

describe('hostile values are refused and nothing is written', () => {
  let repo;
  const tmpProbe = '/tmp/x.Dockerfile';
  let tmpProbeBefore;

  before(() => {
    repo = makeRepo({ templates: true, fakeDocker: true });
    const init = repo.run(['init']);
    assert.equal(init.code, 0, init.stderr);
    const add = repo.run(['add-service', '--id', 'api']);
    assert.equal(add.code, 0, add.stderr);
    tmpProbeBefore = fs.existsSync(tmpProbe) ? fs.readFileSync(tmpProbe) : null;
  });
  after(() => repo.cleanup());

  for (const c of [...ADD_CASES, ...BUILD_CASES]) {
    test(label(c.args), () => {
      const registryBefore = repo.readBytes(REGISTRY);
      const snap = repo.snapshotAll();
      const r = repo.run(c.args);
      assert.equal(r.code, c.code ?? 1, `exit code\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
      assert.equal(r.stdout, '');
      assert.deepEqual(lines(r.stderr), [c.err]);
      c.check?.(lines(r.stderr)[0]);
      assert.ok(!r.stderr.includes('secret') && !r.stdout.includes('secret'), 'the password is never printed');
      assert.ok(repo.readBytes(REGISTRY).equals(registryBefore), 'registry bytes unchanged');
      assert.deepEqual(diffSnapshots(snap, repo.snapshotAll()), NO_CHANGE);
      assert.equal(fs.existsSync(repo.dockerLog), false, 'docker was never called');
      const probe = fs.existsSync(tmpProbe) ? fs.readFileSync(tmpProbe) : null;
      assert.deepEqual(probe, tmpProbeBefore, `${tmpProbe} untouched`);
    });
  }

  test('an absolute --dockerfile inside the temp folder is refused too, and not created', () => {
    const target = path.join(repo.base, 'abs.Dockerfile');
    const snap = repo.snapshotAll();
    const r = repo.run(['add-service', '--id', 'y', '--dockerfile', target]);
    assert.equal(r.code, 1);
    assert.deepEqual(lines(r.stderr), [`[error] --dockerfile ${JSON.stringify(target)}: ${ABSOLUTE}`]);
    assert.equal(fs.existsSync(target), false);
    assert.deepEqual(diffSnapshots(snap, repo.snapshotAll()), NO_CHANGE);
  });

  // The control: a valid build does reach the fake docker, so its absence above means something.
  test('control: a valid build calls the fake docker', () => {
    const r = repo.run(['build', '--target', 'api', '--tag', 'v1']);
    assert.equal(r.code, 0, `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
    // The interface allows extra flags after these (provenance labels).
    const running = lines(r.stdout).filter((l) => l.startsWith('[info] Running: '));
    assert.equal(running.length, 1, r.stdout);
    assert.match(
      running[0],
      /^\[info\] Running: node ops\/packaging\/scripts\/docker-build\.mjs --dockerfile ops\/packaging\/services\/api\.Dockerfile --tag api:v1 --context \.( |$)/,
    );
    const log = fs.readFileSync(repo.dockerLog, 'utf8');
    assert.match(log, /^build -f ops\/packaging\/services\/api\.Dockerfile -t api:v1( --label \S+)* \.\n$/);
    fs.rmSync(repo.dockerLog);
  });
});

test('a registry edited by hand with hostile values: build refuses before docker runs', () => {
  const repo = makeRepo({ templates: true, fakeDocker: true });
  try {
    repo.write('ops/packaging/services/ok.Dockerfile', 'FROM scratch\n');
    repo.write(
      REGISTRY,
      JSON.stringify(
        {
          version: 1,
          targets: [
            { id: 'ok', type: 'service', dockerfile: 'ops/packaging/services/ok.Dockerfile', context: '../..', image: 'ok' },
          ],
        },
        null,
        2,
      ) + '\n',
    );
    const registryBefore = repo.readBytes(REGISTRY);
    const snap = repo.snapshotAll();
    for (const args of [['build', '--target', 'ok'], ['build-all']]) {
      const r = repo.run(args);
      assert.equal(r.code, 1, `${args.join(' ')}\n${r.stdout}${r.stderr}`);
      // Provenance notes are [warn] lines on stderr too (issue 15).
      assert.deepEqual(lines(r.stderr).filter((l) => !l.startsWith('[warn] provenance:')), [
        `[error] Target "ok": context "../..": ${ESCAPES}`,
      ]);
      assert.equal(fs.existsSync(repo.dockerLog), false, 'docker was never called');
    }
    assert.ok(repo.readBytes(REGISTRY).equals(registryBefore));
    assert.deepEqual(diffSnapshots(snap, repo.snapshotAll()), NO_CHANGE);
  } finally {
    repo.cleanup();
  }
});

test('ops/packaging/services is a symlink to a folder outside the repo: add-service is refused', () => {
  const repo = makeRepo({ templates: true });
  try {
    const outside = path.join(repo.base, 'outside');
    fs.mkdirSync(outside);
    fs.rmSync(repo.abs('ops/packaging/services'), { recursive: true });
    fs.symlinkSync(outside, repo.abs('ops/packaging/services'));
    const init = repo.run(['init']);
    assert.equal(init.code, 0, init.stderr);
    const registryBefore = repo.readBytes(REGISTRY);
    const snap = repo.snapshotAll();

    const r = repo.run(['add-service', '--id', 's']);
    assert.equal(r.code, 1, `exit code\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    assert.deepEqual(lines(r.stderr), [
      `[error] --dockerfile "ops/packaging/services/s.Dockerfile" leads outside the repository (through a symbolic link to ${outside})`,
    ]);
    assert.equal(r.stdout, '');
    assert.deepEqual(fs.readdirSync(outside), [], 'nothing written outside the repo');
    assert.ok(repo.readBytes(REGISTRY).equals(registryBefore), 'registry bytes unchanged');
    assert.deepEqual(diffSnapshots(snap, repo.snapshotAll()), NO_CHANGE);

    // A template reached through a link to the outside is refused the same way.
    fs.writeFileSync(path.join(outside, 'Dockerfile.evil'), 'FROM scratch\n');
    fs.symlinkSync(outside, repo.abs('ops/packaging/evil'));
    const snap2 = repo.snapshotAll();
    const t = repo.run(['add-job', '--id', 'j', '--template', 'ops/packaging/evil/Dockerfile.evil']);
    assert.equal(t.code, 1, `exit code\nstdout: ${t.stdout}\nstderr: ${t.stderr}`);
    assert.deepEqual(lines(t.stderr), [
      `[error] --template "ops/packaging/evil/Dockerfile.evil" leads outside the repository (through a symbolic link to ${path.join(outside, 'Dockerfile.evil')})`,
    ]);
    assert.deepEqual(diffSnapshots(snap2, repo.snapshotAll()), NO_CHANGE);
  } finally {
    repo.cleanup();
  }
});

// Values a command only echoes back (an id that is not registered) are shown
// the same safe way as refused ones: shortened, with control characters
// escaped, so a hostile value cannot flood or drive the terminal.
describe('ids echoed in "not found" messages are shortened and escaped', () => {
  let repo;
  before(() => {
    repo = makeRepo({ templates: true, fakeDocker: true });
    assert.equal(repo.run(['init']).code, 0);
    assert.equal(repo.run(['add-service', '--id', 'api']).code, 0);
  });
  after(() => repo.cleanup());

  const CONTROL = '\x1b[31mred\x07';
  const cases = [
    { args: ['remove', '--id', LONG_ID], long: true },
    { args: ['build', '--target', LONG_ID], long: true },
    { args: ['remove', '--id', CONTROL], long: false },
    { args: ['build', '--target', CONTROL], long: false },
  ];
  for (const c of cases) {
    test(`${c.args[0]} ${c.long ? '<5000-char id>' : '<id with control characters>'}`, () => {
      const registryBefore = repo.readBytes(REGISTRY);
      const snap = repo.snapshotAll();
      const r = repo.run(c.args);
      assert.equal(r.code, 1, `exit code\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
      assert.equal(r.stdout, '');
      const err = lines(r.stderr);
      assert.equal(err.length, 1, r.stderr.slice(0, 400));
      assert.ok(err[0].startsWith('[error] Target "'), err[0].slice(0, 200));
      assert.ok(err[0].includes(' not found'), err[0].slice(0, 200));
      assert.ok(err[0].length < 300, `message is shortened (${err[0].length} chars)`);
      // eslint-disable-next-line no-control-regex
      assert.doesNotMatch(r.stderr, /[\x00-\x08\x0b-\x1f\x7f]/, 'no raw control characters reach the terminal');
      assert.ok(repo.readBytes(REGISTRY).equals(registryBefore), 'registry bytes unchanged');
      assert.deepEqual(diffSnapshots(snap, repo.snapshotAll()), NO_CHANGE);
      assert.equal(fs.existsSync(repo.dockerLog), false, 'docker was never called');
    });
  }
});
