// End-to-end builds on a real BuildKit: the kit in ../shared/tools/buildkit/
// (buildkitd, buildx, a local registry at 127.0.0.1:5000 that only the kit's
// network namespace sees), started by scripts/test.sh's buildkit stage, which
// runs this file with the kit's environment and CTL_REQUIRE_BUILDKIT=1.
//
// One repository of six targets (FROM scratch with COPY on two platforms, a
// multi-stage file built at a stage, build arguments and labels, a dotted id,
// a job FROM busybox:1.35 with a RUN step) is built by `build-all --engine
// buildx` in one bake, into OCI archives and into the kit's registry; the
// images are read back from the archives and through the registry.
// `build --engine buildx --push` lands one image. `export --format bake` is
// read back by `docker buildx bake --print`. Both routes to buildx are run:
// `docker buildx` (a `docker` on PATH) and the standalone `buildx` (no docker).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { makeRepo, REGISTRY } from '../e2e/helpers.mjs';

const REGISTRY_HOST = process.env.BUILDKIT_TEST_REGISTRY;
const KIT_SCRIPT = process.env.CTL_BUILDKIT_KIT;
const running = Boolean(process.env.BUILDX_BUILDER && REGISTRY_HOST && KIT_SCRIPT);
if (!running) {
  assert.ok(!process.env.CTL_REQUIRE_BUILDKIT,
    'CTL_REQUIRE_BUILDKIT is set but the BuildKit kit is not running (BUILDX_BUILDER, BUILDKIT_TEST_REGISTRY, CTL_BUILDKIT_KIT)');
  console.log('SKIP ======== tests/buildkit: no BuildKit kit running; eval "$(../shared/tools/buildkit/buildkit-test up)" first ========');
}

/** The kit's registry, read inside its namespace: JSON body, or the headers with head. */
function registry(p, { head = false } = {}) {
  const r = spawnSync(KIT_SCRIPT, ['registry-curl', p, ...(head ? ['-I'] : [])], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `registry-curl ${p}: ${r.stderr}`);
  return head ? r.stdout : JSON.parse(r.stdout);
}

function registryBytes(p) {
  const r = spawnSync(KIT_SCRIPT, ['registry-curl', p], { timeout: 60_000 });
  assert.equal(r.status, 0, `registry-curl ${p}: ${r.stderr}`);
  return r.stdout;
}

/** An OCI archive unpacked: its blobs by digest, and the top index. */
function unpack(tarFile, into) {
  fs.mkdirSync(into, { recursive: true });
  const r = spawnSync('tar', ['-xf', tarFile, '-C', into], { encoding: 'utf8' });
  assert.equal(r.status, 0, `tar -xf ${tarFile}: ${r.stderr}`);
  const blob = (digest) => fs.readFileSync(path.join(into, 'blobs', ...digest.split(':')));
  return { index: JSON.parse(fs.readFileSync(path.join(into, 'index.json'), 'utf8')), blob, json: (d) => JSON.parse(blob(d)) };
}

/** The image manifests under a descriptor (an index is followed), skipping attestations. */
function manifests(read, desc) {
  const m = read(desc.digest);
  if (m.manifests) {
    return m.manifests
      .filter((d) => d.platform?.os !== 'unknown')
      .flatMap((d) => manifests(read, d).map((x) => ({ ...x, platform: d.platform ?? x.platform })));
  }
  return [{ manifest: m, platform: desc.platform }];
}

/** File names in a layer (a gzip'd or plain tar blob written to disk). */
function layerFiles(bytes, dir) {
  const f = path.join(dir, `layer-${crypto.randomUUID()}`);
  fs.writeFileSync(f, bytes);
  const r = spawnSync('tar', ['-tf', f], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter(Boolean).map((n) => n.replace(/^\.\//, ''));
}

function layerFile(bytes, dir, name) {
  const f = path.join(dir, `layer-${crypto.randomUUID()}`);
  fs.writeFileSync(f, bytes);
  const r = spawnSync('tar', ['-xOf', f, name], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

const DOCKERFILES = {
  'ops/packaging/services/static.Dockerfile': 'FROM scratch\nCOPY hello.txt /hello.txt\n',
  'ops/packaging/apps/staged.Dockerfile': [
    'FROM scratch AS build',
    'COPY a.txt /out/a.txt',
    'FROM scratch AS runtime',
    'COPY --from=build /out/a.txt /app/a.txt',
    'COPY b.txt /app/b.txt',
    'FROM runtime AS debug',
    'COPY debug.txt /app/debug.txt',
    '',
  ].join('\n'),
  'ops/packaging/services/args.Dockerfile': 'FROM scratch\nARG GREETING=none\nLABEL greeting=$GREETING\nCOPY hello.txt /hello.txt\n',
  'ops/packaging/services/billing.api.Dockerfile': 'FROM scratch\nCOPY api.txt /api.txt\n',
  'ops/packaging/jobs/nightly.Dockerfile': 'FROM busybox:1.35\nRUN echo "made by RUN on $(uname -m)" > /ran.txt\n',
  'ops/packaging/services/extra.Dockerfile': 'FROM scratch\nCOPY hello.txt /extra.txt\n',
};

function targets(prefix) {
  const image = (id) => `${REGISTRY_HOST}/${prefix}/${id}`;
  return [
    { id: 'static', type: 'service', module: 'apps/static', dockerfile: 'ops/packaging/services/static.Dockerfile', image: image('static'), platforms: ['linux/amd64', 'linux/arm64'] },
    { id: 'staged', type: 'app', module: 'apps/staged', dockerfile: 'ops/packaging/apps/staged.Dockerfile', image: image('staged'), target: 'runtime' },
    { id: 'args', type: 'service', module: 'apps/static', dockerfile: 'ops/packaging/services/args.Dockerfile', image: image('args'), buildArgs: { GREETING: 'hello from buildArgs' }, labels: { 'com.example.team': 'payments' } },
    { id: 'billing.api', type: 'service', module: 'apps/billing', dockerfile: 'ops/packaging/services/billing.api.Dockerfile', image: image('billing.api') },
    { id: 'nightly', type: 'job', module: 'jobs/nightly', dockerfile: 'ops/packaging/jobs/nightly.Dockerfile', image: image('nightly'), platforms: ['linux/amd64'] },
    { id: 'extra', type: 'service', module: 'apps/static', dockerfile: 'ops/packaging/services/extra.Dockerfile', image: image('extra') },
  ];
}

/** A repository with the six targets, committed (provenance has a revision). */
function buildkitRepo(prefix) {
  const repo = makeRepo({ templates: true });
  assert.equal(repo.run(['init']).code, 0);
  for (const [file, text] of Object.entries(DOCKERFILES)) repo.write(file, text);
  repo.write('apps/static/hello.txt', 'hello\n');
  repo.write('apps/staged/a.txt', 'a\n');
  repo.write('apps/staged/b.txt', 'b\n');
  repo.write('apps/staged/debug.txt', 'debug\n');
  repo.write('apps/billing/api.txt', 'api\n');
  repo.write('jobs/nightly/.keep', '');
  repo.write(REGISTRY, `${JSON.stringify({ version: 1, targets: targets(prefix) }, null, 2)}\n`);
  for (const args of [['add', '-A'], ['-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'six targets']]) {
    const r = repo.exec('git', args);
    assert.equal(r.code, 0, r.stderr);
  }
  return repo;
}

const kitEnv = (extra = {}) => ({ BUILDX_BUILDER: process.env.BUILDX_BUILDER, BUILDKIT_HOST: process.env.BUILDKIT_HOST, ...extra });

/** PATH with the kit's binaries (docker-buildx, buildx) and no docker. */
function pathWithoutDocker() {
  const dirs = [path.join(process.env.BUILDKIT_TEST_DIR, 'bin'), ...(process.env.PATH ?? '').split(path.delimiter)];
  return dirs.filter((d) => d && !fs.existsSync(path.join(d, 'docker'))).join(path.delimiter);
}

/** A bin folder with a `docker` that logs its arguments and runs the kit's docker-buildx plugin. */
function fakeDocker(base) {
  const bin = path.join(base, 'docker-bin');
  fs.mkdirSync(bin, { recursive: true });
  const log = path.join(base, 'docker-wrapper.log');
  const plugin = path.join(process.env.BUILDKIT_TEST_DIR, 'bin', 'docker-buildx');
  fs.writeFileSync(path.join(bin, 'docker'),
    `#!/bin/sh\nprintf '%s\\n' "$*" >> ${JSON.stringify(log)}\n[ "$1" = buildx ] || exit 64\nshift\nexec ${JSON.stringify(plugin)} "$@"\n`,
    { mode: 0o755 });
  return { path: [bin, pathWithoutDocker()].join(path.delimiter), log };
}

describe('build-all --engine buildx on the BuildKit kit', { skip: !running && 'no BuildKit kit', timeout: 600_000 }, () => {
  const prefix = `ctl-e2e-${process.pid}-${Date.now().toString(36)}`;
  let repo;
  let out;
  before(() => {
    repo = buildkitRepo(prefix);
    out = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'ctl-bake-out-')));
  });
  after(() => {
    repo?.cleanup();
    if (out) fs.rmSync(out, { recursive: true, force: true });
  });

  test('one bake writes an OCI archive per target (outside the repository), read back', () => {
    const wrapper = fakeDocker(repo.base);
    const tmp = path.join(repo.base, 'tmp');
    fs.mkdirSync(tmp);
    const r = repo.run(['build-all', '--engine', 'buildx', '--tag', 'oci', '--output', `type=oci,dest=${out}/{id}.tar`, '--format', 'json'],
      { env: kitEnv({ PATH: wrapper.path, TMPDIR: tmp }), timeout: 300_000 });
    // The private folder of the Bake and metadata files is gone.
    assert.deepEqual(fs.readdirSync(tmp), []);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout);
    assert.equal(result.ok, true);
    assert.deepEqual(result.buildx, { program: 'docker buildx', builder: process.env.BUILDX_BUILDER });
    assert.match(r.stderr, /\[info\] Using docker buildx \(github\.com\/docker\/buildx v/);
    // One bake for all six: the wrapper saw `buildx version`, one `buildx bake`, one `buildx history ls`.
    const calls = fs.readFileSync(wrapper.log, 'utf8').split('\n').filter(Boolean);
    assert.equal(calls.filter((c) => c.startsWith('buildx bake ')).length, 1, calls.join('\n'));
    assert.equal(calls.filter((c) => c.startsWith('buildx build ')).length, 0);
    assert.match(calls.find((c) => c.startsWith('buildx bake ')), new RegExp(`--allow=fs\\.write=${out}`));
    assert.deepEqual(result.targets.map((t) => [t.id, t.result]), targets(prefix).map((t) => [t.id, 'ok']));
    for (const t of result.targets) {
      assert.match(t.digest, /^sha256:[0-9a-f]{64}$/, t.id);
      assert.equal(typeof t.seconds, 'number', t.id);
      assert.ok(fs.existsSync(path.join(out, `${t.id}.tar`)), `${t.id}.tar`);
    }
    // No Bake or metadata file is left behind; the repository is unchanged.
    assert.equal(repo.exec('git', ['status', '--porcelain']).stdout, '');

    const work = path.join(out, 'unpacked');
    const image = (id) => unpack(path.join(out, `${id}.tar`), path.join(work, id));

    // The two-platform target: an index with linux/amd64 and linux/arm64, each with the file.
    const st = image('static');
    assert.equal(st.index.manifests[0].digest, result.targets[0].digest, 'the digest in the summary is the archive\'s');
    const platforms = manifests(st.json, st.index.manifests[0]);
    assert.deepEqual(platforms.map((m) => `${m.platform.os}/${m.platform.architecture}`).sort(), ['linux/amd64', 'linux/arm64']);
    for (const m of platforms) {
      assert.deepEqual(m.manifest.layers.flatMap((l) => layerFiles(st.blob(l.digest), work)), ['hello.txt']);
      // Provenance labels in the image config.
      const labels = st.json(m.manifest.config.digest).config.Labels;
      const head = repo.exec('git', ['rev-parse', 'HEAD']).stdout.trim();
      assert.equal(labels['org.opencontainers.image.revision'], head);
      assert.equal(labels['org.opencontainers.image.version'], 'oci');
      assert.equal(labels['org.opencontainers.image.title'], 'static');
      assert.match(labels['org.opencontainers.image.created'], /^\d{4}-\d{2}-\d{2}T/);
    }

    // The stage target holds the runtime stage's files, not the debug stage's.
    const sg = image('staged');
    const [staged] = manifests(sg.json, sg.index.manifests[0]);
    const files = staged.manifest.layers.flatMap((l) => layerFiles(sg.blob(l.digest), work)).filter((f) => !f.endsWith('/'));
    assert.deepEqual(files.sort(), ['app/a.txt', 'app/b.txt']);

    // Build arguments and labels.
    const ar = image('args');
    const [args] = manifests(ar.json, ar.index.manifests[0]);
    const argLabels = ar.json(args.manifest.config.digest).config.Labels;
    assert.equal(argLabels.greeting, 'hello from buildArgs');
    assert.equal(argLabels['com.example.team'], 'payments');

    // The dotted id (Bake target billing_api) keeps its own file.
    const ba = image('billing.api');
    const [billing] = manifests(ba.json, ba.index.manifests[0]);
    assert.deepEqual(billing.manifest.layers.flatMap((l) => layerFiles(ba.blob(l.digest), work)), ['api.txt']);

    // The RUN step's output is in the job's image.
    const nj = image('nightly');
    const [nightly] = manifests(nj.json, nj.index.manifests[0]);
    const last = nightly.manifest.layers.at(-1);
    assert.ok(layerFiles(nj.blob(last.digest), work).includes('ran.txt'));
    assert.equal(layerFile(nj.blob(last.digest), work, 'ran.txt'), 'made by RUN on x86_64\n');
  });

  test('one bake pushes every target to the registry (standalone buildx, no docker on PATH)', () => {
    const r = repo.run(['build-all', '--engine', 'buildx', '--tag', 'pushed', '--push'],
      { env: kitEnv({ PATH: pathWithoutDocker() }), timeout: 300_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /\[info\] Using buildx \(github\.com\/docker\/buildx v[^)]*\), builder \S+; docker is not on PATH/);
    assert.match(r.stdout, /\[info\] Running: buildx bake -f \S+\/docker-bake\.json --metadata-file \S+\/metadata\.json --push/);
    assert.match(r.stdout, /Summary:\n {2}TARGET +IMAGE +DIGEST +RESULT +SECONDS\n/);
    assert.match(r.stdout, /\[ok\] Built all 6 targets in one bake/);
    for (const t of targets(prefix)) {
      const name = `${prefix}/${t.id}`;
      assert.deepEqual(registry(`/v2/${name}/tags/list`).tags, ['pushed'], t.id);
      const digest = /docker-content-digest: (\S+)/i.exec(registry(`/v2/${name}/manifests/pushed`, { head: true }))[1];
      const row = new RegExp(`^ {2}${t.id.replace('.', '\\.')} +\\S+ +(sha256:[0-9a-f]{12}) +ok +\\d+\\.\\d$`, 'm').exec(r.stdout);
      assert.ok(row, `${t.id} has a summary row: ${r.stdout}`);
      assert.equal(digest.slice(0, 19), row[1], `${t.id}: the summary's digest is the registry's`);
    }
    // The two-platform index in the registry, with provenance labels in each config.
    const index = registry(`/v2/${prefix}/static/manifests/pushed`);
    const imgs = index.manifests.filter((m) => m.platform.os !== 'unknown');
    assert.deepEqual(imgs.map((m) => `${m.platform.os}/${m.platform.architecture}`).sort(), ['linux/amd64', 'linux/arm64']);
    for (const m of imgs) {
      const manifest = registry(`/v2/${prefix}/static/manifests/${m.digest}`);
      const config = JSON.parse(registryBytes(`/v2/${prefix}/static/blobs/${manifest.config.digest}`));
      assert.equal(config.config.Labels['org.opencontainers.image.version'], 'pushed');
      assert.equal(config.config.Labels['org.opencontainers.image.revision'], repo.exec('git', ['rev-parse', 'HEAD']).stdout.trim());
    }
  });

  test('build --engine buildx --push lands one image in the registry', () => {
    const r = repo.run(['build', '--target', 'billing.api', '--engine', 'buildx', '--tag', 'single', '--push', '--format', 'json'],
      { env: kitEnv(), timeout: 300_000 });
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout);
    assert.equal(result.targets.length, 1);
    const [row] = result.targets;
    assert.equal(row.image, `${REGISTRY_HOST}/${prefix}/billing.api:single`);
    const name = `${prefix}/billing.api`;
    assert.ok(registry(`/v2/${name}/tags/list`).tags.includes('single'));
    const digest = /docker-content-digest: (\S+)/i.exec(registry(`/v2/${name}/manifests/single`, { head: true }))[1];
    assert.equal(row.digest, digest);
  });

  test('export --format bake --out outside the repository; buildx reads back exactly what we wrote', () => {
    const file = path.join(out, 'docker-bake.json');
    const r = repo.run(['export', '--format', 'bake', '--tag', 'v9', '--out', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`\\[ok\\] Wrote ${file}: 6 targets`));
    assert.match(r.stderr, /Run bake from the repository root .*--allow=fs\.write=<dir>/);
    const ours = JSON.parse(fs.readFileSync(file, 'utf8'));
    const printed = repo.exec('docker-buildx', ['bake', '-f', file, '--print'], { env: kitEnv({ PATH: pathWithoutDocker() }) });
    assert.equal(printed.code, 0, printed.stderr);
    const theirs = JSON.parse(printed.stdout);
    assert.deepEqual(theirs.group.default.targets.sort(), Object.keys(ours.target).sort());
    assert.deepEqual(Object.keys(theirs.target).sort(), ['args', 'billing_api', 'extra', 'nightly', 'staged', 'static']);
    for (const [name, t] of Object.entries(ours.target)) {
      const b = theirs.target[name];
      assert.equal(b.context, t.context, `${name} context`);
      assert.equal(b.dockerfile, t.dockerfile, `${name} dockerfile`);
      assert.deepEqual(b.tags, t.tags, `${name} tags`);
      assert.deepEqual(b.platforms, t.platforms, `${name} platforms`);
      assert.deepEqual(b.args, t.args, `${name} args`);
      assert.deepEqual(b.labels, t.labels, `${name} labels`);
      assert.equal(b.target, t.target, `${name} target`);
    }
    // And what we wrote is the registry's.
    for (const t of targets(prefix)) {
      const b = ours.target[t.id.replace('.', '_')];
      assert.deepEqual(b.tags, [`${t.image}:v9`]);
      assert.deepEqual(b.platforms, t.platforms);
      assert.equal(b.target, t.target);
      assert.deepEqual(b.args, t.buildArgs);
      for (const [k, v] of Object.entries(t.labels ?? {})) assert.equal(b.labels[k], v);
      assert.equal(b.labels['org.opencontainers.image.version'], 'v9');
    }
  });

  test('a build past PACKAGING_BUILD_TIMEOUT_S is stopped and fails', () => {
    repo.write('ops/packaging/jobs/nightly.Dockerfile', 'FROM busybox:1.35\nRUN sleep 30 && echo slow > /slow.txt\n');
    const started = Date.now();
    const r = repo.run(['build', '--target', 'nightly', '--engine', 'buildx', '--tag', 'slow', '--push'],
      { env: kitEnv({ PACKAGING_BUILD_TIMEOUT_S: '3' }), timeout: 120_000 });
    repo.write('ops/packaging/jobs/nightly.Dockerfile', DOCKERFILES['ops/packaging/jobs/nightly.Dockerfile']);
    assert.equal(r.code, 1, r.stdout);
    assert.ok(Date.now() - started < 25_000, 'it did not wait for the build');
    assert.match(r.stderr, /\[error\] (docker )?buildx build ran longer than 3 s and was stopped \(PACKAGING_BUILD_TIMEOUT_S\)/);
    assert.doesNotMatch(r.stdout, /\[ok\]/);
    assert.equal(registry(`/v2/${prefix}/nightly/tags/list`).tags.includes('slow'), false);
  });

  test('a failing target fails the bake: exit 1, the failure named, no false ok', () => {
    repo.write('ops/packaging/services/extra.Dockerfile', 'FROM scratch\nCOPY missing.txt /x\n');
    const r = repo.run(['build-all', '--engine', 'buildx', '--tag', 'broken', '--format', 'json'],
      { env: kitEnv(), timeout: 300_000 });
    repo.write('ops/packaging/services/extra.Dockerfile', DOCKERFILES['ops/packaging/services/extra.Dockerfile']);
    assert.equal(r.code, 1, r.stderr);
    const result = JSON.parse(r.stdout);
    assert.equal(result.ok, false);
    assert.match(result.diagnostics[0].message, /(docker )?buildx bake failed with code \d+/);
    assert.ok(result.diagnostics.some((d) => /bake failed; results of individual targets are unknown/.test(d.message)));
    // Bake writes no metadata file when it fails: no target is ok, none is called failed on a guess.
    for (const t of result.targets) assert.equal(t.result, 'unknown', t.id);
  });
});
