// Builds through the assembled CLI with real engines and recording fakes:
// - real images with buildah (`build-all --engine buildah`), checked with `buildah inspect`
//   for their tags, the five provenance labels and the registry's build settings;
// - `build --dry-run` per engine: the printed command is exactly the argv the engine
//   gets through the helper (a recording fake on PATH), and the engine's own CLI accepts
//   it (buildah runs it for real; the docker client parses it; podman's documented flags);
// - `build-all --keep-going` with one broken Dockerfile; a missing engine;
//   `--changed-since`; `export --format bake` against the checked-in expected file.
//
// buildah runs daemonless with a private store under the test's temporary folder
// (`--storage-driver vfs --root … --runroot …`, isolation chroot), removed afterwards.
// `bash scripts/setup.sh --test-deps` installs it.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';

import { ISO_MS, lines, makeRepo, PROJECT_ROOT, REGISTRY } from './helpers.mjs';

const FIXTURES = path.join(PROJECT_ROOT, 'tests', 'fixtures', 'bake');
const PROVENANCE = [
  'org.opencontainers.image.created',
  'org.opencontainers.image.revision',
  'org.opencontainers.image.source',
  'org.opencontainers.image.version',
  'org.opencontainers.image.title',
];

const haveBuildah = spawnSync('buildah', ['--version'], { encoding: 'utf8' }).status === 0;
const haveDocker = spawnSync('docker', ['--version'], { encoding: 'utf8' }).status === 0;

function must(r, what) {
  assert.equal(r.code, 0, `${what} failed (exit ${r.code}, signal ${r.signal}):\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** Split a line the way a POSIX shell does (the CLI quotes what a shell would split). */
function shellWords(line) {
  const r = spawnSync('sh', ['-c', 'eval "set -- $1"; printf "%s\\0" "$@"', 'sh', line], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\0').slice(0, -1);
}

/** A bin folder with recording fakes: each writes its argv, NUL-separated, to <name>.argv. */
function fakeBin(base, names, { exitCode = 0 } = {}) {
  const dir = path.join(base, 'fakebin');
  fs.mkdirSync(dir, { recursive: true });
  for (const name of names) {
    fs.writeFileSync(
      path.join(dir, name),
      `#!/bin/sh\nprintf '%s\\0' "$@" > ${JSON.stringify(path.join(base, `${name}.argv`))}\nexit ${exitCode}\n`,
      { mode: 0o755 },
    );
  }
  return dir;
}
const recorded = (base, name) => fs.readFileSync(path.join(base, `${name}.argv`), 'utf8').split('\0').slice(0, -1);

const withoutCreated = (argv) =>
  argv.map((a) => a.replace(/^(org\.opencontainers\.image\.created=).*$/, '$1<TS>'));

/**
 * A committed repository with `FROM scratch` targets:
 *   api     multi-stage (stage from the registry), a build argument read into a label,
 *           its own label; image registry.example.com/team/api
 *   worker  one stage; image registry.example.com/team/worker
 * plus `extra` targets ({id, dockerfile text}), and an origin URL with credentials.
 */
function scratchRepo(extra = []) {
  const repo = makeRepo({ templates: true });
  const git = (...args) => must(repo.exec('git', args), `git ${args.join(' ')}`);
  git('config', 'user.email', 'e2e@example.com');
  git('config', 'user.name', 'e2e');
  git('config', 'commit.gpgsign', 'false');
  must(repo.run(['init']), 'init');
  const add = (kind, id, module, image) =>
    must(repo.run([`add-${kind}`, '--id', id, '--module', module, '--image', image]), `add ${id}`);
  add('service', 'api', 'apps/api', 'registry.example.com/team/api');
  add('job', 'worker', 'jobs/worker', 'registry.example.com/team/worker');
  repo.write('apps/api/hello.txt', 'hello from api\n');
  repo.write('jobs/worker/hello.txt', 'hello from worker\n');
  repo.write(
    'ops/packaging/services/api.Dockerfile',
    'FROM scratch AS base\nARG GREETING=none\nCOPY hello.txt /hello.txt\nLABEL greeting=$GREETING\n' +
      'FROM base AS runtime\nLABEL stage=runtime\nFROM base AS debug\nLABEL stage=debug\n',
  );
  repo.write('ops/packaging/jobs/worker.Dockerfile', 'FROM scratch\nCOPY hello.txt /hello.txt\n');
  for (const { id, dockerfile } of extra) {
    add('job', id, `jobs/${id}`, `registry.example.com/team/${id}`);
    repo.write(`jobs/${id}/hello.txt`, `hello from ${id}\n`);
    repo.write(`ops/packaging/jobs/${id}.Dockerfile`, dockerfile);
  }
  const reg = JSON.parse(repo.read(REGISTRY));
  Object.assign(reg.targets[0], {
    buildArgs: { GREETING: 'hello world' },
    labels: { 'com.example.team': 'payments' },
    target: 'runtime',
  });
  repo.write(REGISTRY, `${JSON.stringify(reg, null, 2)}\n`);
  git('remote', 'add', 'origin', 'https://ci-bot:s3cret@git.example.com/team/repo.git');
  git('add', '-A');
  git('commit', '-q', '-m', 'packaging');
  const head = git('rev-parse', 'HEAD').stdout.trim();

  const store = path.join(repo.base, 'buildah');
  const globals = ['--storage-driver', 'vfs', '--root', path.join(store, 'root'), '--runroot', path.join(store, 'run')];
  const buildahEnv = { PACKAGING_BUILDAH_ARGS: globals.join(' '), PACKAGING_BUILDAH_ISOLATION: 'chroot' };
  const buildah = (...args) => repo.exec('buildah', [...globals, ...args], { timeout: 120_000 });
  const inspect = (ref) => {
    const r = must(buildah('inspect', '--type', 'image', ref), `buildah inspect ${ref}`);
    return JSON.parse(r.stdout).OCIv1.config.Labels ?? {};
  };
  const exists = (ref) => buildah('inspect', '--type', 'image', ref).code === 0;
  return { repo, head, git, buildahEnv, buildah, inspect, exists };
}

function assertProvenance(labels, { head, version, title, start, end }) {
  for (const key of PROVENANCE) assert.ok(key in labels, `label ${key} missing: ${JSON.stringify(labels)}`);
  const created = labels['org.opencontainers.image.created'];
  assert.match(created, ISO_MS);
  const t = Date.parse(created);
  assert.ok(t >= start - 1000 && t <= end + 1000, `created ${created} outside the build`);
  assert.equal(labels['org.opencontainers.image.revision'], head);
  assert.equal(labels['org.opencontainers.image.source'], 'https://git.example.com/team/repo.git');
  assert.equal(labels['org.opencontainers.image.version'], version);
  assert.equal(labels['org.opencontainers.image.title'], title);
}

describe('real builds with buildah', () => {
  before(() => {
    assert.ok(haveBuildah, 'buildah is required for these tests: run bash scripts/setup.sh --test-deps');
  });

  test('build-all --engine buildah builds every target with its tag, provenance and settings', () => {
    const { repo, head, buildahEnv, inspect, buildah } = scratchRepo();
    try {
      const start = Date.now();
      const r = repo.run(['build-all', '--engine', 'buildah', '--tag', 'v1'], { env: buildahEnv, timeout: 300_000 });
      const end = Date.now();
      must(r, 'build-all');
      const out = lines(r.stdout);
      assert.ok(out.includes('[1/2] api -> registry.example.com/team/api:v1'), r.stdout);
      assert.ok(out.includes('[2/2] worker -> registry.example.com/team/worker:v1'), r.stdout);
      const info = out.filter((l) => l.startsWith('[info] Running: '));
      assert.equal(info.length, 2);
      assert.ok(
        info[0].startsWith(
          '[info] Running: node ops/packaging/scripts/docker-build.mjs --dockerfile ops/packaging/services/api.Dockerfile --tag registry.example.com/team/api:v1 --context apps/api --engine buildah ',
        ),
        info[0],
      );
      assert.ok(!r.stdout.includes('s3cret'), 'no credentials in the output');
      const summary = out.slice(out.indexOf('Summary:'));
      assert.match(summary[1], /^ {2}TARGET +IMAGE +RESULT +SECONDS$/);
      assert.match(summary[2], /^ {2}api +registry\.example\.com\/team\/api:v1 +ok +\d+\.\d$/);
      assert.match(summary[3], /^ {2}worker +registry\.example\.com\/team\/worker:v1 +ok +\d+\.\d$/);
      assert.equal(out.at(-1), '[ok] Built all 2 targets.');

      const names = must(buildah('images', '--format', '{{.Name}}:{{.Tag}}'), 'buildah images').stdout;
      assert.ok(names.includes('registry.example.com/team/api:v1'), names);
      assert.ok(names.includes('registry.example.com/team/worker:v1'), names);

      const api = inspect('registry.example.com/team/api:v1');
      assertProvenance(api, { head, version: 'v1', title: 'api', start, end });
      assert.equal(api.greeting, 'hello world', 'buildArgs reach the build');
      assert.equal(api.stage, 'runtime', 'the registry stage is built');
      assert.equal(api['com.example.team'], 'payments', 'registry labels are set');
      const worker = inspect('registry.example.com/team/worker:v1');
      assertProvenance(worker, { head, version: 'v1', title: 'worker', start, end });
    } finally {
      repo.cleanup();
    }
  });

  test('build with overrides on a dirty tree; several platforms make a manifest list', () => {
    const { repo, head, buildahEnv, inspect, buildah } = scratchRepo();
    try {
      repo.write('apps/api/hello.txt', 'changed\n');
      const start = Date.now();
      must(
        repo.run(
          ['build', '--target', 'api', '--engine', 'buildah', '--tag', 'v2', '--build-arg', 'GREETING=hi',
            '--stage', 'debug', '--label', 'tier=web'],
          { env: buildahEnv, timeout: 120_000 },
        ),
        'build',
      );
      const labels = inspect('registry.example.com/team/api:v2');
      assertProvenance(labels, { head: `${head}-dirty`, version: 'v2', title: 'api', start, end: Date.now() });
      assert.equal(labels.greeting, 'hi');
      assert.equal(labels.stage, 'debug');
      assert.equal(labels.tier, 'web');
      assert.equal(labels['com.example.team'], 'payments');

      const r = must(
        repo.run(['build', '--target', 'worker', '--engine', 'buildah', '--tag', 'multi', '--platform', 'linux/amd64,linux/arm64'],
          { env: buildahEnv, timeout: 120_000 }),
        'multi-platform build',
      );
      assert.match(r.stdout, / bud --isolation chroot -f ops\/packaging\/jobs\/worker\.Dockerfile --manifest registry\.example\.com\/team\/worker:multi --platform linux\/amd64,linux\/arm64 /);
      const list = JSON.parse(must(buildah('manifest', 'inspect', 'registry.example.com/team/worker:multi'), 'manifest inspect').stdout);
      assert.deepEqual(
        list.manifests.map((m) => `${m.platform.os}/${m.platform.architecture}`).sort(),
        ['linux/amd64', 'linux/arm64'],
      );
    } finally {
      repo.cleanup();
    }
  });

  test('build-all --keep-going with one broken Dockerfile builds the others, reports one failure, exits 1', () => {
    const broken = { id: 'broken', dockerfile: 'FROM scratch\nCOPY does-not-exist.txt /x\n' };
    const { repo, buildahEnv, exists } = scratchRepo([broken]);
    try {
      // Registry order: api, worker, broken. Put the broken one in the middle.
      const reg = JSON.parse(repo.read(REGISTRY));
      reg.targets = [reg.targets[0], reg.targets[2], reg.targets[1]];
      repo.write(REGISTRY, `${JSON.stringify(reg, null, 2)}\n`);

      const r = repo.run(['build-all', '--engine', 'buildah', '--tag', 'kg', '--keep-going'], { env: buildahEnv, timeout: 300_000 });
      assert.equal(r.code, 1, r.stdout + r.stderr);
      const out = lines(r.stdout);
      const summary = out.slice(out.indexOf('Summary:') + 1);
      assert.equal(summary.length, 4, r.stdout);
      assert.match(summary[1], /^ {2}api +\S+:kg +ok +\d+\.\d$/);
      assert.match(summary[2], /^ {2}broken +\S+:kg +failed +\d+\.\d$/);
      assert.match(summary[3], /^ {2}worker +\S+:kg +ok +\d+\.\d$/);
      assert.ok(lines(r.stderr).includes('[error] 1 of 3 targets failed: broken'), r.stderr);
      assert.ok(!/\n\s+at /.test(r.stderr), 'no stack trace');
      assert.ok(exists('registry.example.com/team/api:kg'));
      assert.ok(exists('registry.example.com/team/worker:kg'));
      assert.ok(!exists('registry.example.com/team/broken:kg'));

      // Without --keep-going: stop at the failure, the rest is skipped.
      const s = repo.run(['build-all', '--engine', 'buildah', '--tag', 'stop'], { env: buildahEnv, timeout: 300_000 });
      assert.equal(s.code, 1);
      const rows = lines(s.stdout).slice(lines(s.stdout).indexOf('Summary:') + 2);
      assert.deepEqual(rows.map((l) => l.trim().split(/\s+/)[2]), ['ok', 'failed', 'skipped']);
      assert.ok(!exists('registry.example.com/team/worker:stop'));
      assert.ok(lines(s.stderr).some((l) => /^\[error\] docker-build failed with code \d+$/.test(l)), s.stderr);
    } finally {
      repo.cleanup();
    }
  });

  test('build --dry-run for buildah prints a command that buildah runs as is', () => {
    const { repo, buildahEnv, inspect } = scratchRepo();
    try {
      const r = must(
        repo.run(['build', '--target', 'api', '--engine', 'buildah', '--tag', 'dry', '--dry-run', '--label', 'note=two words'],
          { env: buildahEnv }),
        'dry run',
      );
      const line = lines(r.stdout).find((l) => l.startsWith('[dry-run] '));
      assert.ok(line, r.stdout);
      const argv = shellWords(line.slice('[dry-run] '.length));
      assert.equal(argv[0], 'buildah');
      const ran = spawnSync(argv[0], argv.slice(1), { cwd: repo.root, encoding: 'utf8', timeout: 120_000 });
      assert.equal(ran.status, 0, ran.stderr);
      const labels = inspect('registry.example.com/team/api:dry');
      assert.equal(labels.note, 'two words');
      assert.equal(labels['org.opencontainers.image.title'], 'api');
    } finally {
      repo.cleanup();
    }
  });
});

describe('engine commands', () => {
  // What each engine's build command documents for the flags the CLI uses
  // (docker build / podman build / buildah bud reference pages).
  const DOCUMENTED = {
    docker: new Set(['-f', '-t', '--platform', '--build-arg', '--label', '--target']),
    podman: new Set(['-f', '-t', '--manifest', '--platform', '--build-arg', '--label', '--target']),
    buildah: new Set(['-f', '-t', '--manifest', '--platform', '--build-arg', '--label', '--target', '--isolation']),
  };
  const SUB = { docker: 'build', podman: 'build', buildah: 'bud' };

  for (const engine of ['docker', 'podman', 'buildah']) {
    test(`build --dry-run with ${engine}: exactly the argv the helper gives ${engine}`, () => {
      const { repo } = scratchRepo();
      try {
        const bin = fakeBin(repo.base, [engine]);
        const env = { PATH: `${bin}${path.delimiter}${process.env.PATH}`, PACKAGING_BUILDAH_ARGS: '--storage-driver vfs' };
        const args = ['build', '--target', 'api', '--tag', 'v3', '--engine', engine, '--label', 'note=two words',
          '--platform', 'linux/amd64'];
        const dry = must(repo.run([...args, '--dry-run'], { env }), 'dry run');
        assert.ok(!fs.existsSync(path.join(repo.base, `${engine}.argv`)), 'a dry run runs nothing');
        const line = lines(dry.stdout).find((l) => l.startsWith('[dry-run] '));
        const printed = shellWords(line.slice('[dry-run] '.length));

        must(repo.run(args, { env }), 'build with the recording fake');
        const got = recorded(repo.base, engine);
        assert.deepEqual(withoutCreated(printed), withoutCreated([engine, ...got]));

        // Only documented flags, each with its value, the context last.
        const words = engine === 'buildah' ? got.slice(got.indexOf('bud')) : got;
        assert.equal(words[0], SUB[engine]);
        for (let i = 1; i < words.length - 1; i += 2) {
          assert.ok(DOCUMENTED[engine].has(words[i]), `${engine}: ${words[i]} is not a documented flag`);
          assert.ok(!words[i + 1].startsWith('-'), `${words[i]} has a value`);
        }
        assert.equal(words.at(-1), 'apps/api');
        if (engine === 'buildah') assert.deepEqual(got.slice(0, 3), ['--storage-driver', 'vfs', 'bud']);
      } finally {
        repo.cleanup();
      }
    });
  }

  test('the docker client parses the printed command', { skip: haveDocker ? false : 'no docker client here' }, () => {
    const { repo } = scratchRepo();
    try {
      const r = must(
        repo.run(['build-all', '--dry-run', '--engine', 'docker', '--platform', 'linux/amd64,linux/arm64',
          '--build-arg', 'A=1 2', '--label', 'x=y']),
        'dry run',
      );
      const commands = lines(r.stdout).filter((l) => l.startsWith('[dry-run] '));
      assert.equal(commands.length, 2);
      for (const line of commands) {
        const argv = shellWords(line.slice('[dry-run] '.length));
        // No daemon: a command the client accepts fails only when it connects.
        const ran = spawnSync('docker', argv.slice(1), {
          cwd: repo.root,
          encoding: 'utf8',
          env: { ...process.env, DOCKER_HOST: `unix://${path.join(repo.base, 'no-daemon.sock')}` },
          timeout: 60_000,
        });
        assert.notEqual(ran.status, 125, `docker rejected: ${ran.stderr}`);
        assert.doesNotMatch(ran.stderr, /unknown flag|invalid argument|flag needs an argument/);
        assert.match(ran.stderr, /Cannot connect to the Docker daemon|connect: no such file/);
      }
    } finally {
      repo.cleanup();
    }
  });

  test('build --dry-run prints what the repository\'s helper says it would run, and runs nothing', () => {
    const { repo } = scratchRepo();
    try {
      const bin = fakeBin(repo.base, ['docker']);
      const env = { PATH: `${bin}${path.delimiter}${process.env.PATH}` };
      const helper = 'ops/packaging/scripts/docker-build.mjs';
      // The repository adapted its helper: it runs (and so prints) an extra flag.
      const adapted = repo.read(helper).replace("args.push('-f', opts.dockerfile", "args.push('--pull', '-f', opts.dockerfile");
      assert.notEqual(adapted, repo.read(helper), 'the helper was adapted');
      repo.write(helper, adapted);
      const dry = must(repo.run(['build', '--target', 'worker', '--no-provenance', '--dry-run'], { env }), 'dry run');
      assert.deepEqual(lines(dry.stdout), [
        '[dry-run] docker build --pull -f ops/packaging/jobs/worker.Dockerfile -t registry.example.com/team/worker:latest jobs/worker',
      ]);
      assert.equal(dry.stderr, '');
      assert.ok(!fs.existsSync(path.join(repo.base, 'docker.argv')), 'a dry run runs nothing');
      must(repo.run(['build', '--target', 'worker', '--no-provenance'], { env }), 'build');
      assert.deepEqual(['docker', ...recorded(repo.base, 'docker')], shellWords(lines(dry.stdout)[0].slice(10)));

      // A helper that does not declare dry-run support is not asked (it might build):
      // the command shown is this package's, with a warning that says so.
      repo.write(helper, adapted.replace(/^\/\/ ctl-packaging-helper:.*\n/m, ''));
      fs.rmSync(path.join(repo.base, 'docker.argv'));
      const unasked = must(repo.run(['build', '--target', 'worker', '--no-provenance', '--dry-run'], { env }), 'unasked');
      assert.deepEqual(lines(unasked.stdout), [
        '[dry-run] docker build -f ops/packaging/jobs/worker.Dockerfile -t registry.example.com/team/worker:latest jobs/worker',
      ]);
      assert.match(unasked.stderr, /^\[warn\] ops\/packaging\/scripts\/docker-build\.mjs does not declare dry-run support/);
      assert.ok(!fs.existsSync(path.join(repo.base, 'docker.argv')), 'the helper was not run');

      // A helper that fails its dry run fails the command, with its reason.
      repo.write(helper, '// ctl-packaging-helper: dry-run\nconsole.error("[error] no such engine here");\nprocess.exit(2);\n');
      const failed = repo.run(['build', '--target', 'worker', '--no-provenance', '--dry-run'], { env });
      assert.equal(failed.code, 1);
      assert.deepEqual(lines(failed.stderr), [
        `[error] ${helper} --dry-run exited with code 2: [error] no such engine here`,
      ]);
    } finally {
      repo.cleanup();
    }
  });

  test('a missing engine is one [error] line and exit 1, from the CLI and from the helper', () => {
    const { repo } = scratchRepo();
    try {
      const empty = path.join(repo.base, 'empty-bin');
      fs.mkdirSync(empty);
      for (const engine of ['podman', 'buildah', 'docker']) {
        const r = repo.run(['build', '--target', 'api', '--engine', engine], { env: { PATH: empty } });
        assert.equal(r.code, 1);
        assert.equal(r.stderr, `[error] ${engine} not found on PATH; install it or choose another with --engine\n`);
      }
      const r = repo.run(['build-all'], { env: { PATH: empty, PACKAGING_ENGINE: 'podman' } });
      assert.equal(r.stderr, '[error] podman not found on PATH; install it or choose another with --engine\n');
      const h = spawnSync(
        process.execPath,
        ['ops/packaging/scripts/docker-build.mjs', '--dockerfile', 'ops/packaging/jobs/worker.Dockerfile', '--tag', 'x', '--engine', 'podman'],
        { cwd: repo.root, encoding: 'utf8', env: { PATH: empty } },
      );
      assert.equal(h.status, 127);
      assert.equal(
        h.stderr,
        '[error] podman not found on PATH; install it or choose another with --engine\n',
      );
    } finally {
      repo.cleanup();
    }
  });

  test('the helper refuses a context or Dockerfile that begins with -, for every engine, and runs nothing', () => {
    const { repo } = scratchRepo();
    try {
      const bin = path.join(repo.base, 'rec-bin');
      fs.mkdirSync(bin);
      const log = path.join(repo.base, 'engine.log');
      for (const engine of ['docker', 'podman', 'buildah']) {
        fs.writeFileSync(path.join(bin, engine), `#!/bin/sh\nprintf '%s\\n' "$*" >> ${JSON.stringify(log)}\n`, { mode: 0o755 });
      }
      const cases = [
        [['--context', '-q'], '--context "-q"'],
        [['--context=-otype=local,dest=/tmp/x'], '--context "-otype=local,dest=/tmp/x"'],
        [['--context', '-'], '--context "-"'],
        [['--dockerfile', '-'], '--dockerfile "-"'],
      ];
      for (const engine of ['docker', 'podman', 'buildah']) {
        for (const [extra, named] of cases) {
          const args = ['--dockerfile', 'ops/packaging/jobs/worker.Dockerfile', '--tag', 'x', '--engine', engine, ...extra];
          const h = spawnSync(process.execPath, ['ops/packaging/scripts/docker-build.mjs', ...args], { cwd: repo.root, encoding: 'utf8', env: { PATH: `${bin}:${process.env.PATH}` } });
          assert.equal(h.status, 2, `${engine} ${extra}: ${h.stdout}${h.stderr}`);
          assert.equal(h.stdout, '');
          assert.equal(h.stderr, `[error] ${named} begins with "-", which ${engine} would read as an option; name the path as ./${named.split('"')[1]}\n`);
        }
      }
      assert.equal(fs.existsSync(log), false, 'no engine ran');
    } finally {
      repo.cleanup();
    }
  });

  test('build-all --changed-since builds only the targets that changed since a git ref', () => {
    const { repo, git } = scratchRepo();
    try {
      const env = { PATH: `${fakeBin(repo.base, ['docker'])}${path.delimiter}${process.env.PATH}` };
      let r = must(repo.run(['build-all', '--changed-since', 'HEAD'], { env }), 'nothing changed');
      // The [info] line goes to stderr (issue 15).
      assert.deepEqual(lines(r.stdout), ['[ok] No target changed since HEAD; nothing to build.']);
      assert.deepEqual(lines(r.stderr), ['[info] --changed-since HEAD: 0 of 2 targets changed']);
      repo.write('jobs/worker/new-file.txt', 'untracked\n');
      r = must(repo.run(['build-all', '--changed-since', 'HEAD', '--dry-run'], { env }), 'one changed');
      assert.deepEqual(lines(r.stdout).filter((l) => !l.startsWith('[dry-run]')), [
        '[1/1] worker -> registry.example.com/team/worker:latest',
      ]);
      assert.equal(lines(r.stderr)[0], '[info] --changed-since HEAD: 1 of 2 targets changed (worker)');
      git('add', '-A');
      git('commit', '-q', '-m', 'worker change');
      // (it keeps the stage the registry's "target" names: build refuses a Dockerfile without it)
      repo.write('ops/packaging/services/api.Dockerfile', 'FROM scratch AS runtime\n');
      r = must(repo.run(['build-all', '--changed-since', 'HEAD~1', '--dry-run'], { env }), 'two changed');
      assert.ok(r.stderr.startsWith('[info] --changed-since HEAD~1: 2 of 2 targets changed (api, worker)\n'), r.stderr);
      r = repo.run(['build-all', '--changed-since', 'no-such-branch'], { env });
      assert.equal(r.code, 1);
      assert.equal(
        r.stderr,
        '[error] --changed-since "no-such-branch": git cannot resolve it to a commit here (is it fetched? name a branch, tag or commit that exists in this clone)\n',
      );
    } finally {
      repo.cleanup();
    }
  });
});

describe('export --format bake', () => {
  const expected = fs.readFileSync(path.join(FIXTURES, 'docker-bake.json'), 'utf8');

  test('a 3-target registry gives the checked-in Bake file', () => {
    const repo = makeRepo({ templates: true });
    try {
      repo.write(REGISTRY, fs.readFileSync(path.join(FIXTURES, 'registry.json'), 'utf8'));
      const r = must(repo.run(['export', '--format', 'bake', '--tag', 'v1', '--no-provenance']), 'export');
      assert.equal(r.stdout, expected);
      assert.equal(r.stderr, '');
      const w = must(repo.run(['export', '--format', 'bake', '--tag', 'v1', '--no-provenance', '--out', 'docker-bake.json']), 'export --out');
      assert.equal(w.stdout, '[ok] Wrote docker-bake.json: 3 targets in group "default". Build them with: docker buildx bake -f docker-bake.json\n');
      assert.equal(repo.read('docker-bake.json'), expected);
    } finally {
      repo.cleanup();
    }
  });

  test('the expected file follows the Bake file reference', () => {
    const bake = JSON.parse(expected);
    const registry = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'registry.json'), 'utf8'));
    assert.deepEqual(Object.keys(bake), ['group', 'target']);
    assert.deepEqual(Object.keys(bake.group), ['default']);
    const names = Object.keys(bake.target);
    assert.deepEqual(bake.group.default.targets, names, 'group "default" holds every target');
    assert.equal(names.length, registry.targets.length);
    const ALLOWED = new Set(['dockerfile', 'context', 'tags', 'platforms', 'args', 'labels', 'target']);
    const strings = (v) => Array.isArray(v) && v.every((x) => typeof x === 'string');
    const stringMap = (v) => v && typeof v === 'object' && Object.values(v).every((x) => typeof x === 'string');
    registry.targets.forEach((t, i) => {
      const name = names[i];
      assert.match(name, /^[a-zA-Z0-9_-]+$/, 'Bake target names');
      assert.equal(name, t.id.replaceAll('.', '_'));
      const b = bake.target[name];
      for (const k of Object.keys(b)) assert.ok(ALLOWED.has(k), `${name}.${k}`);
      // Bake reads "dockerfile" relative to "context".
      const dockerfile = t.dockerfile ?? `ops/packaging/${t.type}s/${t.id}.Dockerfile`;
      assert.equal(path.posix.join(b.context, b.dockerfile), dockerfile);
      assert.equal(b.context, t.context ?? t.module ?? '.');
      assert.ok(strings(b.tags) && b.tags.length === 1 && b.tags[0].endsWith(':v1'));
      if (b.platforms) assert.deepEqual(b.platforms, t.platforms);
      if (b.args) assert.ok(stringMap(b.args));
      if (b.labels) assert.ok(stringMap(b.labels));
      if (b.target) assert.equal(b.target, t.target);
      // Strings are HCL templates: a literal "${" is written "$${".
      for (const v of Object.values(b.args ?? {})) assert.doesNotMatch(v, /(^|[^$])\$\{/);
    });
  });

  test('without --no-provenance the labels carry provenance from git', () => {
    const { repo, head } = scratchRepo();
    try {
      const r = must(repo.run(['export', '--tag', 'v5']), 'export');
      const bake = JSON.parse(r.stdout);
      const labels = bake.target.worker.labels;
      assert.deepEqual(Object.keys(labels), PROVENANCE);
      assert.equal(labels['org.opencontainers.image.revision'], head);
      assert.equal(labels['org.opencontainers.image.source'], 'https://git.example.com/team/repo.git');
      assert.equal(labels['org.opencontainers.image.version'], 'v5');
      assert.equal(bake.target.api.labels['com.example.team'], 'payments');
      assert.equal(bake.target.api.target, 'runtime');
    } finally {
      repo.cleanup();
    }
  });
});

