// Attack class 7 (issue 14): values that become engine options. A path that
// begins with "-" is refused where it is given (add) and reported as PKG014
// where it is read (verify, build), so it never reaches an engine's argv (a
// fake docker records every argv); git runs with core.fsmonitor disabled, so
// an untrusted checkout's .git/config runs no program in dry runs and
// provenance.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import { makeRepo, REGISTRY } from '../e2e/helpers.mjs';

for (const [option, value] of [
  ['--context', '-q'],
  ['--context', '-'],
  ['--context', './-otype=local,dest=out'],
  ['--dockerfile', '-'],
  ['--dockerfile', '-f/etc/passwd'],
  ['--module', '-x'],
]) {
  test(`add ${option} ${value} is refused, naming the option and the rule`, () => {
    const repo = makeRepo({ templates: true, fakeDocker: true });
    try {
      assert.equal(repo.run(['init']).code, 0);
      const before = repo.read(REGISTRY);
      const r = repo.run(['add-service', '--id', 'svc', option, value]);
      assert.notEqual(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stderr, new RegExp(`${option} `));
      assert.match(r.stderr, /must not begin with "-"/);
      assert.equal(repo.read(REGISTRY), before);
    } finally {
      repo.cleanup();
    }
  });
}

for (const [field, value] of [['context', '-otype=local,dest=/tmp/ctl-attack-out'], ['dockerfile', '-'], ['module', '-q']]) {
  test(`a registry "${field}": "${value}" is PKG014 in verify and never reaches the engine`, () => {
    const repo = makeRepo({ templates: true, fakeDocker: true });
    try {
      assert.equal(repo.run(['init']).code, 0);
      const t = { id: 'svc', type: 'service', dockerfile: 'ops/packaging/services/svc.Dockerfile', context: '.', image: 'svc', [field]: value };
      repo.write('ops/packaging/services/svc.Dockerfile', 'FROM alpine:3.20\nUSER 1000\n');
      repo.write(REGISTRY, `${JSON.stringify({ version: 1, targets: [t] }, null, 2)}\n`);
      const v = repo.run(['verify']);
      assert.notEqual(v.code, 0);
      assert.match(v.stdout + v.stderr, /PKG014/);
      assert.match(v.stdout + v.stderr, /must not begin with "-"/);
      // A module is no engine argument: verify reports it; build does not use it.
      const builds = field === 'module' ? [] : [['build', '--target', 'svc', '--no-provenance'], ['build', '--target', 'svc', '--no-provenance', '--dry-run'], ['build-all', '--no-provenance']];
      for (const args of builds) {
        const r = repo.run(args);
        assert.notEqual(r.code, 0, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
        assert.ok(!(r.stdout + r.stderr).includes(`docker build`), `${args.join(' ')} printed no engine command`);
      }
      assert.ok(!fs.existsSync(repo.dockerLog), `docker never ran: ${fs.existsSync(repo.dockerLog) ? fs.readFileSync(repo.dockerLog, 'utf8') : ''}`);
    } finally {
      repo.cleanup();
    }
  });
}

test('an untrusted .git/config core.fsmonitor runs no program in a dry run with provenance or --changed-since', () => {
  const repo = makeRepo({ templates: true, fakeDocker: true });
  try {
    assert.equal(repo.run(['init']).code, 0);
    assert.equal(repo.run(['add-service', '--id', 'svc']).code, 0);
    repo.write('ops/packaging/services/svc.Dockerfile', 'FROM alpine:3.20\nUSER 1000\n');
    const g = (args) => repo.exec('git', ['-c', 'core.fsmonitor=false', '-c', 'user.name=t', '-c', 'user.email=t@t', ...args]);
    assert.equal(g(['add', '-A']).code, 0);
    assert.equal(g(['commit', '-qm', 'init']).code, 0);
    const marker = path.join(repo.base, 'fsmonitor-ran');
    const hook = path.join(repo.base, 'fsmonitor.sh');
    fs.writeFileSync(hook, `#!/bin/sh\ntouch ${JSON.stringify(marker)}\nexit 1\n`, { mode: 0o755 });
    fs.appendFileSync(repo.abs('.git/config'), `[core]\n\tfsmonitor = ${hook}\n`);
    for (const args of [['build', '--target', 'svc', '--dry-run'], ['build-all', '--dry-run'], ['build-all', '--dry-run', '--changed-since', 'HEAD']]) {
      const r = repo.run(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.ok(!fs.existsSync(marker), `${args.join(' ')} ran the checkout's core.fsmonitor program`);
    }
  } finally {
    repo.cleanup();
  }
});

test('a git that never answers is stopped after PACKAGING_GIT_TIMEOUT_S, with its children, and the command says so', () => {
  const repo = makeRepo({ templates: true, fakeDocker: true });
  try {
    assert.equal(repo.run(['init']).code, 0);
    assert.equal(repo.run(['add-service', '--id', 'svc']).code, 0);
    repo.write('ops/packaging/services/svc.Dockerfile', 'FROM alpine:3.20\nUSER 1000\n');
    // A git (a hung credential helper, a network filesystem) that spawns a
    // child and waits for ever; the child records its pid.
    const bin = path.join(repo.base, 'hung-bin');
    fs.mkdirSync(bin);
    const pids = path.join(repo.base, 'child.pid');
    fs.writeFileSync(path.join(bin, 'git'), `#!/bin/sh\nsleep 300 &\necho $! >> ${JSON.stringify(pids)}\nwait\n`, { mode: 0o755 });
    const env = { PATH: `${bin}:${repo.env().PATH}`, PACKAGING_GIT_TIMEOUT_S: '1' };
    const cases = [
      [['build', '--target', 'svc', '--dry-run'], 0, /\[warn\] provenance: .* git ran longer than 1 s and was stopped \(PACKAGING_GIT_TIMEOUT_S\)/],
      [['build-all', '--dry-run', '--changed-since', 'HEAD'], 1, /\[error\] .*git ran longer than 1 s and was stopped \(PACKAGING_GIT_TIMEOUT_S\)/],
    ];
    for (const [args, code, message] of cases) {
      const t0 = Date.now();
      const r = repo.run(args, { env, timeout: 30_000 });
      assert.equal(r.signal, null, `${args.join(' ')} hung`);
      assert.ok(Date.now() - t0 < 20_000, `${args.join(' ')} took ${Date.now() - t0} ms`);
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, message);
    }
    // Gone, or a zombie nobody reaped yet: not running.
    const running = (pid) => { try { return !/^\d+ \(.*\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8')); } catch { return false; } };
    for (const pid of fs.readFileSync(pids, 'utf8').trim().split('\n').map(Number)) {
      assert.equal(running(pid), false, `git's child ${pid} was stopped too`);
    }
    const bad = repo.run(['build', '--target', 'svc', '--dry-run'], { env: { PACKAGING_GIT_TIMEOUT_S: 'soon' } });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /PACKAGING_GIT_TIMEOUT_S must be a whole number of seconds from 1 to 86400 \(got "soon"\)/);
  } finally {
    repo.cleanup();
  }
});
