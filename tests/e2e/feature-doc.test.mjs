// Issue 6, acceptance: the feature document, read by the test itself.
//
// The npm tarball (CTL_TARBALL when scripts/test.sh packed it with `npm pack`, whose
// prepack builds dist/packaging; else packed here from the current dist/ with
// --ignore-scripts) is checked (size, contents), installed into an empty project with
// no network, and `npx ctl-packaging install` puts the feature into a fresh git
// repository. Then every `node .ai/...` command of the feature document
// (tests/fixtures/packaging-feature.md, a copy of ../shared/seed/packaging-feature.md)
// runs verbatim, in document order, through /bin/sh, with a PATH that has node and
// git but no container engine: each exits 0, except `build`/`build-all`, which fail
// with the engine-missing message; `verify` ends with its [ok] line.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

import { cleanEnv, diffSnapshots, lines, NO_CHANGE, PROJECT_ROOT, snapshot } from './helpers.mjs';

const DOC = path.join(PROJECT_ROOT, 'tests', 'fixtures', 'packaging-feature.md');
const SEED = path.join(PROJECT_ROOT, '..', 'shared', 'seed', 'packaging-feature.md');
const PKG = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8'));
const MAX_TARBALL = 1_000_000;
const ENGINE_MISSING = '[error] docker not found on PATH; install it or choose another with --engine';
const VERIFIED = '[ok] Packaging configuration verified.';

/**
 * Every `node .ai/...` command of a Markdown document, in document order: the lines
 * of fenced code blocks that start with it, and inline code spans outside them.
 */
export function documentedCommands(markdown) {
  const out = [];
  let fence = null;
  for (const line of markdown.split('\n')) {
    const t = line.trim();
    const marker = /^(`{3,}|~{3,})/.exec(t);
    if (marker) {
      if (fence === null) fence = marker[1];
      else if (t.startsWith(fence) && t.slice(fence.length).trim() === '') fence = null;
      continue;
    }
    if (fence !== null) {
      if (t.startsWith('node .ai/')) out.push(t);
    } else {
      for (const [, cmd] of line.matchAll(/`(node \.ai\/[^`]+)`/g)) out.push(cmd);
    }
  }
  return out;
}

/** What a documented command must do: exit 0, or fail with the engine-missing message. */
function expectation(command) {
  const [, script, sub] = command.split(/\s+/);
  if (script.endsWith('/ctl-packaging.mjs') && (sub === 'build' || sub === 'build-all')) {
    return { code: 1, stderr: `${ENGINE_MISSING}\n` };
  }
  return { code: 0 };
}

function run(program, args, { cwd, env, timeout = 120_000 }) {
  const r = spawnSync(program, args, { cwd, env, encoding: 'utf8', timeout });
  if (r.error) throw r.error;
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

function ok(r, what) {
  assert.equal(r.code, 0, `${what}: exit code ${r.code} (signal ${r.signal})\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

test('the fixture is the feature document, and every node .ai/ command in it is found', () => {
  const doc = fs.readFileSync(DOC, 'utf8');
  if (fs.existsSync(SEED)) {
    assert.equal(doc, fs.readFileSync(SEED, 'utf8'), `${DOC} is a copy of ${SEED}; copy it again`);
  }
  const commands = documentedCommands(doc);
  assert.equal(commands.length, doc.split('node .ai/').length - 1, 'every occurrence is a command');
  assert.deepEqual(commands.slice(0, 3), [
    'node .ai/skills/features/packaging/scripts/ctl-packaging.mjs init',
    'node .ai/scripts/ctl-project-state.mjs init',
    'node .ai/scripts/ctl-project-state.mjs set features.packaging true',
  ]);
  assert.ok(commands.some((c) => / build --target /.test(c)) && commands.some((c) => / build-all /.test(c)));
  assert.equal(commands.filter((c) => / verify$/.test(c)).length, 2);
});

test('package.json: bin, exports (node, browser, types), files, engines, license, prepack', () => {
  assert.equal(PKG.name, 'ctl-packaging');
  assert.equal(PKG.bin['ctl-packaging'], 'dist/packaging/scripts/ctl-packaging.mjs');
  const root = PKG.exports['.'];
  assert.equal(root.types, './dist/packaging/scripts/index.d.ts');
  assert.equal(root.node, './dist/packaging/scripts/index.mjs');
  assert.equal(root.browser, './dist/packaging/scripts/browser.mjs');
  assert.ok(root.default);
  assert.equal(PKG.types, root.types);
  assert.deepEqual(PKG.engines, { node: '^22.12 || ^24 || >=26' });
  assert.ok(PKG.license);
  assert.equal(PKG.scripts.prepack, 'node scripts/build.mjs', 'npm pack builds the wasm first');
  assert.ok(PKG.files.includes('dist/packaging'));
  assert.deepEqual(PKG.dependencies ?? {}, {}, 'no runtime dependencies: installs with no network');
});

test('npm tarball → offline install → npx ctl-packaging install → every documented command, verbatim', () => {
  const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'ctl-doc-')));
  try {
    // npm with its own cache and a registry that cannot answer: nothing comes from the network.
    // The user's own npm configuration stays out of it too.
    fs.writeFileSync(path.join(base, 'npmrc'), '');
    const npmEnv = cleanEnv({
      npm_config_userconfig: path.join(base, 'npmrc'),
      npm_config_cache: path.join(base, 'npm-cache'),
      npm_config_registry: 'http://127.0.0.1:9/',
      npm_config_update_notifier: 'false',
      npm_config_fund: 'false',
      npm_config_audit: 'false',
    });
    for (const k of Object.keys(npmEnv)) if (k.startsWith('npm_') && !k.startsWith('npm_config_')) delete npmEnv[k];
    for (const k of ['npm_config_prefix', 'npm_config_global', 'npm_config_local_prefix']) delete npmEnv[k];

    // ---------------------------------------------------------------- the tarball
    let tarball = process.env.CTL_TARBALL;
    if (!tarball) {
      const packDir = path.join(base, 'pack');
      fs.mkdirSync(packDir);
      const packed = ok(
        run('npm', ['pack', '--ignore-scripts', '--pack-destination', packDir, '--json'], { cwd: PROJECT_ROOT, env: npmEnv }),
        'npm pack',
      );
      tarball = path.join(packDir, JSON.parse(packed.stdout)[0].filename);
    }
    assert.ok(fs.existsSync(tarball), `no tarball at ${tarball}`);
    const size = fs.statSync(tarball).size;
    assert.ok(size < MAX_TARBALL, `the tarball is ${size} bytes, over ${MAX_TARBALL}`);
    const entries = lines(ok(run('tar', ['-tzf', tarball], { cwd: base, env: npmEnv }), 'tar -tzf').stdout);
    const forbidden = entries.filter((e) =>
      /\.map$|\.tsbuildinfo$|\.rs$|(^|\/)(tests?|target|src|node_modules|test-artifacts|\.cache|\.git)\//.test(e),
    );
    assert.deepEqual(forbidden, [], 'no source maps, tests, sources or build caches in the tarball');
    for (const need of [
      'package.json',
      'README.md',
      'LICENSE',
      'dist/packaging/SKILL.md',
      'dist/packaging/scripts/ctl-packaging.mjs',
      'dist/packaging/scripts/ctl-project-state.mjs',
      'dist/packaging/scripts/node-host.mjs',
      'dist/packaging/scripts/ctl_packaging.mjs',
      'dist/packaging/scripts/ctl_packaging_bg.wasm',
      'dist/packaging/scripts/index.mjs',
      'dist/packaging/scripts/browser.mjs',
      'dist/packaging/scripts/index.d.ts',
      'dist/packaging/templates/ops/packaging/scripts/docker-build.mjs',
    ]) {
      assert.ok(entries.includes(`package/${need}`), `the tarball holds ${need}`);
    }

    // ---------------------------------------------------------------- an empty project, offline
    const project = path.join(base, 'project');
    fs.mkdirSync(project);
    fs.writeFileSync(path.join(project, 'package.json'), '{ "name": "consumer", "version": "1.0.0", "private": true }\n');
    ok(
      run('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], { cwd: project, env: npmEnv }),
      'npm install --offline <tarball>',
    );
    const help = ok(run('npx', ['--offline', 'ctl-packaging', '--help'], { cwd: project, env: npmEnv }), 'npx ctl-packaging --help');
    assert.match(help.stdout, /^ctl-packaging: manage the packaging targets/);
    assert.match(help.stdout, /\n {2}install \[--dry-run\] \[--upgrade\]/);

    const api = ok(
      run(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          "const m = await import('ctl-packaging');" +
            "const v = m.validateRegistry('{\"version\": 1, \"targets\": []}');" +
            'console.log(JSON.stringify({ version: m.version, ok: v.ok, validate: typeof m.validateRegistry }));',
        ],
        { cwd: project, env: npmEnv },
      ),
      'import("ctl-packaging")',
    );
    assert.deepEqual(JSON.parse(api.stdout), { version: PKG.version, ok: true, validate: 'function' });
    assert.ok(fs.existsSync(path.join(project, 'node_modules', 'ctl-packaging', 'dist', 'packaging', 'scripts', 'index.d.ts')));

    // ---------------------------------------------------------------- a fresh repository
    const repo = path.join(base, 'repo');
    fs.mkdirSync(repo);
    ok(run('git', ['init', '-q'], { cwd: repo, env: npmEnv }), 'git init');
    const install = ok(
      run('npx', ['--offline', 'ctl-packaging', 'install', '--repo-root', repo], { cwd: project, env: npmEnv }),
      'npx ctl-packaging install',
    );
    assert.doesNotMatch(install.stderr, /\[error\]/);
    const out = lines(install.stdout);
    assert.ok(out.includes('  write: .ai/skills/features/packaging/scripts/ctl-packaging.mjs'), install.stdout);
    assert.ok(out.includes('  write: .ai/skills/features/packaging/scripts/ctl_packaging_bg.wasm'), install.stdout);
    assert.ok(out.includes('  write: ops/packaging/scripts/docker-build.mjs'), install.stdout);
    assert.ok(out.includes('  write: .ai/scripts/ctl-project-state.mjs'), install.stdout);
    // Its [info] Next: hint is on stderr (issue 15).
    assert.match(install.stderr, /^\[info\] Next: node \.ai\/skills\/features\/packaging\/scripts\/ctl-packaging\.mjs init$/m);
    assert.match(out.at(-1), /^\[ok\] Packaging feature \S+ installed into \.ai\/skills\/features\/packaging\/: \d+ written\.$/);

    const before = snapshot(repo);
    const again = ok(
      run('npx', ['--offline', 'ctl-packaging', 'install', '--repo-root', repo], { cwd: project, env: npmEnv }),
      'npx ctl-packaging install (again)',
    );
    const againLines = lines(again.stdout);
    assert.ok(againLines.slice(0, -1).every((l) => /^ {2}skip: .* \[exists\]$/.test(l)), again.stdout);
    assert.match(againLines.at(-1), /^\[ok\] Nothing changed: the packaging feature is already installed \(\d+ skipped\)\.$/);
    assert.deepEqual(diffSnapshots(before, snapshot(repo)), NO_CHANGE, 'the second install changes nothing');

    // ---------------------------------------------------------------- the document, verbatim
    const bin = path.join(base, 'bin');
    fs.mkdirSync(bin);
    fs.symlinkSync(process.execPath, path.join(bin, 'node'));
    const git = spawnSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).stdout.trim();
    assert.ok(git, 'git is on PATH');
    fs.symlinkSync(git, path.join(bin, 'git'));
    const docEnv = cleanEnv({ PATH: bin });

    const commands = documentedCommands(fs.readFileSync(DOC, 'utf8'));
    assert.ok(commands.length >= 10, `${commands.length} commands found`);
    const transcript = [];
    for (const command of commands) {
      const want = expectation(command);
      const r = run('/bin/sh', ['-c', command], { cwd: repo, env: docEnv });
      transcript.push(`$ ${command}\n${r.stdout}${r.stderr}[exit ${r.code}]`);
      const context = `${command}\n--- transcript ---\n${transcript.join('\n')}`;
      assert.equal(r.code, want.code, `exit code of ${context}`);
      if (want.stderr !== undefined) assert.equal(r.stderr, want.stderr, `stderr of ${context}`);
      else assert.equal(r.stderr, '', `stderr of ${context}`);
      if (/ctl-packaging\.mjs verify$/.test(command)) {
        assert.equal(lines(r.stdout).at(-1), VERIFIED, `verify of ${context}`);
      }
    }

    // What the document's commands leave behind.
    const registry = JSON.parse(fs.readFileSync(path.join(repo, 'docs/packaging/registry.json'), 'utf8'));
    assert.deepEqual(
      registry.targets.map((t) => [t.id, t.type, t.module]),
      [
        ['api', 'service', 'apps/backend'],
        ['cron-task', 'job', 'jobs/cron'],
      ],
    );
    const state = JSON.parse(fs.readFileSync(path.join(repo, '.ai/project/state.json'), 'utf8'));
    assert.equal(state.features.packaging, true);
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});
