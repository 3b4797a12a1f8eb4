// Issue 16: on a monorepo, `verify` passed set-ups whose builds fail. The
// three cases of the issue, end to end, each with file:line:column; and
// `build` refusing a stage the Dockerfile does not have before any engine runs.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import { CTL, makeRepo, positionOf, REGISTRY } from './helpers.mjs';

// The Dockerfile of a pnpm monorepo service: it copies from the repository root.
const WORKER = `# syntax=docker/dockerfile:1
FROM node:22.11-bookworm-slim AS build
WORKDIR /src
COPY pnpm-lock.yaml package.json ./
COPY apps/ ./apps/
COPY packages/ ./packages/
RUN corepack enable && pnpm install --frozen-lockfile && pnpm --filter worker build

FROM node:22.11-bookworm-slim
WORKDIR /app
COPY --from=build /src/apps/worker/dist ./dist
USER node
CMD ["node", "dist/main.js"]
`;

function monorepo() {
  const repo = makeRepo();
  assert.equal(repo.run(['init']).code, 0);
  for (const f of ['pnpm-lock.yaml', 'package.json', 'apps/worker/src/main.ts', 'packages/lib/index.ts']) repo.write(f, 'x\n');
  return repo;
}

test('a module folder that does not exist is an error at its registry line', (t) => {
  const repo = monorepo();
  t.after(() => repo.cleanup());
  assert.equal(repo.run(['add-service', '--id', 'typo', '--module', 'apps/wroker']).code, 0);
  const r = repo.run(['verify']);
  assert.equal(r.code, 1, r.stdout);
  const text = repo.read(REGISTRY);
  const { line, column } = positionOf(text, '"apps/wroker"');
  assert.match(
    r.stdout,
    new RegExp(`  - docs/packaging/registry\\.json:${line}:${column}: error\\[PKG040\\]: module "apps/wroker" of target "typo" does not exist; the build fails\\n`),
  );
  assert.doesNotMatch(r.stdout, /\[ok\] Packaging configuration verified/);
  fs.mkdirSync(repo.abs('apps/wroker'));
  assert.equal(repo.run(['verify']).code, 0);
});

test('the module as the context while the Dockerfile copies from the root', (t) => {
  const repo = monorepo();
  t.after(() => repo.cleanup());
  repo.write('ops/packaging/services/worker.Dockerfile', WORKER);
  assert.equal(repo.run(['add-service', '--id', 'worker', '--module', 'apps/worker']).code, 0);
  const r = repo.run(['verify', '--format', 'json']);
  assert.equal(r.code, 1, r.stdout);
  const report = JSON.parse(r.stdout);
  const got = report.findings.map((f) => [f.code, f.file, f.line, f.column, f.message.split(' is not')[0]]);
  const file = 'ops/packaging/services/worker.Dockerfile';
  assert.deepEqual(got, [
    ['PKG108', file, 4, 1, 'COPY source "pnpm-lock.yaml"'],
    ['PKG108', file, 4, 1, 'COPY source "package.json"'],
    ['PKG108', file, 5, 1, 'COPY source "apps/"'],
    ['PKG108', file, 6, 1, 'COPY source "packages/"'],
  ]);
  // The fix: the repository root as the context.
  const reg = JSON.parse(repo.read(REGISTRY));
  reg.targets[0].context = '.';
  repo.write(REGISTRY, `${JSON.stringify(reg, null, 2)}\n`);
  const fixed = repo.run(['verify']);
  assert.equal(fixed.code, 0, fixed.stdout);
  assert.match(fixed.stdout, /\[ok\] Packaging configuration verified\./);
});

test('stages: "target", --stage, COPY --from and duplicate names', (t) => {
  const repo = monorepo();
  t.after(() => repo.cleanup());
  const df = WORKER.replace('FROM node:22.11-bookworm-slim\n', 'FROM node:22.11-bookworm-slim AS build\n').replace('--from=build', '--from=builder');
  repo.write('ops/packaging/services/worker.Dockerfile', df);
  assert.equal(repo.run(['add-service', '--id', 'worker', '--module', 'apps/worker', '--context', '.']).code, 0);
  const reg = JSON.parse(repo.read(REGISTRY));
  reg.targets[0].target = 'runtime';
  const text = `${JSON.stringify(reg, null, 2)}\n`;
  repo.write(REGISTRY, text);
  const r = repo.run(['verify']);
  assert.equal(r.code, 1, r.stdout);
  const { line: tl, column: tc } = positionOf(text, '"runtime"');
  const file = 'ops/packaging/services/worker.Dockerfile';
  for (const want of [
    `docs/packaging/registry.json:${tl}:${tc}: error[PKG043]: stage "runtime" is not a stage of ${file} (stages: build, build)`,
    `${file}:9:1: warning[PKG112]: stage name "build" is already used by the stage on line 2`,
    `${file}:11:1: error[PKG110]: COPY from "builder" names no stage (stages: build, build)`,
  ]) assert.ok(r.stdout.includes(`  - ${want}`), `${want}\n${r.stdout}`);

  // build refuses the unknown stage before any engine runs (here, none is even on PATH).
  repo.write('ops/packaging/scripts/docker-build.mjs', 'process.exit(3)\n');
  const b = repo.run(['build', '--target', 'worker', '--dry-run']);
  assert.equal(b.code, 1);
  assert.equal(b.stderr, `[error] Target "worker": stage "runtime" is not a stage of ${file} (stages: build, build)\n`);
  const s = repo.run(['build', '--target', 'worker', '--stage', 'nope', '--dry-run']);
  assert.equal(s.code, 1);
  assert.match(s.stderr, /stage "nope" is not a stage of/);
});

test('modules in one folder are judged alike however many targets share it', (t) => {
  // verify lists a folder (readdir with file types) once several of its
  // entries were asked about: a module found in the listing must be judged
  // as one looked up alone, links, FIFOs and files included.
  const odd = {
    'apps/out': (repo) => fs.symlinkSync(repo.base, repo.abs('apps/out')),
    'apps/alias': (repo) => fs.symlinkSync('real', repo.abs('apps/alias')),
    'apps/dangling': (repo) => fs.symlinkSync('nothing', repo.abs('apps/dangling')),
    'apps/fifo': (repo) => execFileSync('mkfifo', [repo.abs('apps/fifo')]),
    'apps/file': (repo) => repo.write('apps/file', 'not a folder\n'),
    'apps/gone': () => {},
    // A folder named with a byte that is not UTF-8: Node lists it as U+FFFD,
    // which is not the name the registry's "apps/m\ufffd" spells.
    'apps/m\ufffd': (repo) => fs.mkdirSync(Buffer.from(`${repo.abs('apps')}/m\xff`, 'latin1')),
  };
  const plain = ['apps/a', 'apps/b', 'apps/c', 'apps/d'];
  const judged = (modules) => {
    const repo = makeRepo();
    t.after(() => repo.cleanup());
    assert.equal(repo.run(['init']).code, 0);
    for (const m of [...plain, 'apps/real']) fs.mkdirSync(repo.abs(m), { recursive: true });
    for (const m of modules) odd[m]?.(repo);
    const targets = modules.map((module, i) => {
      repo.write(`ops/packaging/services/t${i}.Dockerfile`, 'FROM scratch\nUSER app\n');
      return { id: `t${i}`, type: 'service', module, dockerfile: `ops/packaging/services/t${i}.Dockerfile` };
    });
    repo.write(REGISTRY, `${JSON.stringify({ version: 1, targets }, null, 2)}\n`);
    const r = repo.run(['verify']);
    return r.stdout.split('\n').filter((l) => l.includes(' module "'))
      .map((l) => l.replace(/^.*? module /, '').replace(/target "t\d+"/, 'target "tX"')).sort();
  };
  const expected = [
    '"apps/dangling" of target "tX" does not exist; the build fails',
    '"apps/fifo" of target "tX" is not a folder; the build fails',
    '"apps/file" of target "tX" is not a folder; the build fails',
    '"apps/gone" of target "tX" does not exist; the build fails',
    '"apps/m\ufffd" of target "tX" does not exist; the build fails',
    '"apps/out" of target "tX" leads outside the repository through a symbolic link',
  ];
  const names = Object.keys(odd);
  assert.deepEqual(judged([...names, ...plain]), expected, 'the odd modules first');
  assert.deepEqual(judged([...plain, ...names]), expected, 'the odd modules after four plain ones');
  assert.deepEqual(names.flatMap((m) => judged([m])).sort(), expected, 'one target at a time');
});

const asNobody = process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0
  ? true : 'needs root and setpriv to run verify as another user';

test('a folder that can be listed but not searched is judged as without a listing', { skip: asNobody !== true && asNobody }, (t) => {
  // apps/ readable but not searchable by the user running verify: an lstat
  // of an entry fails, so nothing can be said of it; its listing, which
  // readdir still gives, must not say more (a file there is not reported as
  // "not a folder" only because three targets share apps/).
  const judged = (modules) => {
    const repo = makeRepo();
    t.after(() => repo.cleanup());
    assert.equal(repo.run(['init']).code, 0);
    for (const m of ['apps/a', 'apps/b']) fs.mkdirSync(repo.abs(m), { recursive: true });
    repo.write('apps/f', 'a file\n');
    const targets = modules.map((module, i) => {
      repo.write(`ops/packaging/services/t${i}.Dockerfile`, 'FROM scratch\nUSER app\n');
      return { id: `t${i}`, type: 'service', module, dockerfile: `ops/packaging/services/t${i}.Dockerfile` };
    });
    repo.write(REGISTRY, `${JSON.stringify({ version: 1, targets }, null, 2)}\n`);
    for (let d = repo.root; d !== path.dirname(repo.base); d = path.dirname(d)) fs.chmodSync(d, 0o755);
    execFileSync('chmod', ['-R', 'a+rX', repo.root]);
    fs.chmodSync(repo.abs('apps'), 0o744);
    const r = repo.exec('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CTL, 'verify']);
    return { code: r.code, modules: r.stdout.split('\n').filter((l) => l.includes(' module "')) };
  };
  const alone = judged(['apps/f']);
  assert.deepEqual(alone.modules, [], 'nothing can be said of apps/f alone');
  assert.deepEqual(judged(['apps/a', 'apps/b', 'apps/f']).modules, alone.modules);
  assert.deepEqual(judged(['apps/f', 'apps/a', 'apps/b']).modules, alone.modules);
});
