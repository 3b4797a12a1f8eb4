// The typed JS API for Node (dist/packaging/scripts/index.mjs, built from
// pkg-shim/index.mjs) and its TypeScript declarations (pkg-shim/index.d.ts).
//
//   node --test tests/api/        (after npm run build)
//
// Pins whole results, the errors thrown, that formatRegistry gives the bytes
// the CLI writes, that the Node entry loads the wasm from disk synchronously
// (no fetch), and that a small TypeScript consumer type-checks (tsc --noEmit).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SCRIPTS = path.join(ROOT, 'dist', 'packaging', 'scripts');
const ENTRY = path.join(SCRIPTS, 'index.mjs');
const CTL = path.join(SCRIPTS, 'ctl-packaging.mjs');
const DECLARATIONS = path.join(ROOT, 'pkg-shim', 'index.d.ts');
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const REGISTRY = 'docs/packaging/registry.json';

if (!fs.existsSync(ENTRY)) {
  throw new Error(`${path.relative(ROOT, ENTRY)} is missing: build first with npm run build`);
}
const api = await import(pathToFileURL(ENTRY).href);

const ID_RULE =
  'must be lowercase letters and digits, optionally separated by ".", "_", "__" or "-" (an OCI image path component), at most 128 characters';

/** The names index.d.ts declares as exported values. */
function declaredNames() {
  const dts = fs.readFileSync(DECLARATIONS, 'utf8');
  return [...dts.matchAll(/^export (?:declare )?(?:function|const) (\w+)/gm)].map((m) => m[1]).sort();
}

const isPlain = (v) => v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype;

function tmpdir(t, prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('the Node entry exports exactly what index.d.ts declares, and so does the browser entry', () => {
  const declared = declaredNames();
  assert.deepEqual(declared, [
    'applyTag',
    'checkDockerfile',
    'formatRegistry',
    'init',
    'parseImageReference',
    'parseRegistry',
    'ready',
    'validateRegistry',
    'version',
  ]);
  assert.deepEqual(Object.keys(api).sort(), declared);
  // browser.mjs cannot load here (it fetches the wasm); read its export list.
  const browser = fs.readFileSync(path.join(SCRIPTS, 'browser.mjs'), 'utf8');
  const exported = [
    ...[...browser.matchAll(/^export (?:const|let|async function|function) (\w+)/gm)].map((m) => m[1]),
    ...[...browser.matchAll(/^export \{([^}]*)\}/gm)].flatMap((m) => m[1].split(',').map((s) => s.trim()).filter(Boolean)),
  ].sort();
  assert.deepEqual(exported, declared);
  // The types ship next to both entries, where TypeScript looks for them.
  for (const name of ['index.d.ts', 'index.d.mts', 'browser.d.mts']) {
    assert.equal(fs.readFileSync(path.join(SCRIPTS, name), 'utf8'), fs.readFileSync(DECLARATIONS, 'utf8'), name);
  }
});

test('version is the crate and package version; ready is resolved', async () => {
  const cargo = fs.readFileSync(path.join(ROOT, 'Cargo.toml'), 'utf8').match(/^version = "([^"]+)"/m)[1];
  assert.equal(api.version, cargo);
  assert.equal(api.version, JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
  assert.equal(await api.ready, undefined);
});

test('validateRegistry: a valid registry, and one with mistakes, as whole plain values', () => {
  const valid = '{\n  "version": 1,\n  "targets": [\n    { "id": "api", "type": "service", "image": "r.io:5000/team/api:1" }\n  ]\n}\n';
  const v = api.validateRegistry(valid);
  assert.ok(isPlain(v));
  assert.deepEqual(v, { ok: true, targets: 1, diagnostics: [] });

  const text = [
    '{',
    '  "version": 1,',
    '  "targets": [',
    '    { "id": "Api", "type": "service" },',
    '    { "id": "job", "type": "lambda" },',
    '    { "id": "web", "type": "app", "image": "Web App" }',
    '  ]',
    '}',
    '',
  ].join('\n');
  const r = api.validateRegistry(text);
  const at = (line, column, endColumn) => ({ line, column, endLine: line, endColumn });
  const file = REGISTRY;
  assert.deepEqual(r, {
    ok: false,
    targets: 3,
    diagnostics: [
      { severity: 'error', code: 'PKG010', message: `target 0: id "Api" ${ID_RULE}`, file, pointer: '/targets/0/id', ...at(4, 13, 18) },
      {
        severity: 'error',
        code: 'PKG011',
        message: 'target 1: type "lambda" must be one of: service, job, app',
        file,
        pointer: '/targets/1/type',
        ...at(5, 28, 36),
      },
      {
        severity: 'error',
        code: 'PKG012',
        message:
          'target 2: image "Web App" is not a valid image reference: path component "Web App" must be lowercase letters and digits separated by ".", "_", "__" or "-"',
        file,
        pointer: '/targets/2/image',
        ...at(6, 44, 53),
      },
    ],
  });
  for (const d of r.diagnostics) {
    assert.ok(isPlain(d));
    assert.deepEqual(Object.keys(d), ['severity', 'code', 'message', 'file', 'pointer', 'line', 'column', 'endLine', 'endColumn']);
  }
  // The span is the value's text: columns are code points, as the page and editors count.
  const line6 = text.split('\n')[5];
  const d = r.diagnostics[2];
  assert.equal([...line6].slice(d.column - 1, d.endColumn - 1).join(''), '"Web App"');
});

test('validateRegistry never throws for a string, whatever it holds', () => {
  for (const text of ['', '{', '[]', 'null', '{"version": 2, "targets": []}', '\uFEFF{"targets": {}}', '{"targets": [1, "x", null]}', '\u0000', '{"a":'.repeat(2000)]) {
    const v = api.validateRegistry(text);
    assert.equal(v.ok, false, text.slice(0, 40));
    assert.ok(v.diagnostics.length > 0);
    for (const d of v.diagnostics) assert.ok(d.line >= 1 && d.column >= 1 && d.code.startsWith('PKG'));
  }
  const empty = api.validateRegistry('{"version": 1, "targets": []}');
  assert.equal(empty.ok, true);
  assert.deepEqual(
    empty.diagnostics.map((d) => [d.severity, d.code, d.message]),
    [['warning', 'PKG021', 'No packaging targets defined']],
  );
});

test('refused input throws an Error: the first diagnostic rendered, all of them in .diagnostics', () => {
  const text = '{\n  "version": 1,\n  "targets": [\n    { "type": "job" },\n    { "id": "x" }\n  ]\n}';
  for (const fn of [api.parseRegistry, api.formatRegistry]) {
    assert.throws(
      () => fn(text),
      (e) => {
        assert.ok(e instanceof Error);
        assert.equal(e.message, `${REGISTRY}:4:5: error[PKG006]: target 0 has no "id"`);
        assert.deepEqual(
          e.diagnostics.map((d) => [d.code, d.pointer, d.line, d.column]),
          [
            ['PKG006', '/targets/0', 4, 5],
            ['PKG007', '/targets/1', 5, 5],
          ],
        );
        return true;
      },
    );
  }
  assert.throws(() => api.parseRegistry('{'), (e) => e instanceof Error && /^docs\/packaging\/registry\.json:1:\d+: error\[PKG001\]: invalid JSON/.test(e.message) && e.diagnostics.length === 1);
  assert.throws(() => api.applyTag('api', 'bad tag'), {
    name: 'Error',
    message: 'tag "bad tag" must be 1 to 128 characters of letters, digits, "_", "." and "-", not starting with "." or "-"',
  });
  assert.throws(() => api.parseImageReference('Team/API'), {
    name: 'Error',
    message: 'image "Team/API" is not a valid image reference: repository names must be lowercase',
  });
  for (const [call, message] of [
    [() => api.validateRegistry(undefined), 'text must be a string, not undefined'],
    [() => api.validateRegistry(Buffer.from('{}')), 'text must be a string, not object'],
    [() => api.formatRegistry(12), 'text must be a string, not number'],
    [() => api.applyTag(null, 'v1'), 'image must be a string, not null'],
    [() => api.checkDockerfile('FROM scratch', 3), 'file must be a string, not number'],
  ]) {
    assert.throws(call, { name: 'TypeError', message });
  }
  // The module still works after every throw (nothing poisoned the instance).
  assert.equal(api.validateRegistry('{"version":1,"targets":[{"id":"a","type":"job"}]}').ok, true);
});

test('parseRegistry: written order, unknown fields kept, legacy names read, plain objects', () => {
  const r = api.parseRegistry(
    '{"owner":{"team":"a","list":[1,true,null]},"targets":[{"type":"job","name":"w","zeta":1}],"lastUpdated":"t","version":1}',
  );
  assert.ok(isPlain(r) && isPlain(r.targets[0]) && isPlain(r.owner));
  assert.equal(
    JSON.stringify(r),
    '{"version":1,"updatedAt":"t","targets":[{"id":"w","type":"job","zeta":1}],"owner":{"team":"a","list":[1,true,null]}}',
  );
});

test('parseImageReference and applyTag', () => {
  assert.deepEqual(api.parseImageReference('r.io:5000/team/api:v1'), {
    registry: 'r.io:5000',
    repository: 'team/api',
    tag: 'v1',
    digest: null,
  });
  const digest = `sha256:${'a'.repeat(64)}`;
  assert.deepEqual(api.parseImageReference(`api@${digest}`), { registry: null, repository: 'api', tag: null, digest });
  assert.equal(api.applyTag('r.io:5000/a/b:1', 'v2'), 'r.io:5000/a/b:v2');
  assert.equal(api.applyTag('api', '1.2.3'), 'api:1.2.3');
});

test('checkDockerfile names the file it was given ("Dockerfile" by default)', () => {
  assert.deepEqual(api.checkDockerfile('FROM scratch\n'), []);
  const text = 'FROM ubuntu\nRUN echo hi\n';
  const named = api.checkDockerfile(text, 'ops/packaging/services/api.Dockerfile');
  const plain = api.checkDockerfile(text);
  assert.ok(named.length > 0);
  assert.deepEqual(
    named.map(({ file, ...rest }) => rest),
    plain.map(({ file, ...rest }) => rest),
  );
  assert.ok(named.every((d) => d.file === 'ops/packaging/services/api.Dockerfile' && d.pointer === ''));
  assert.ok(plain.every((d) => d.file === 'Dockerfile'));
});

test('formatRegistry gives the exact bytes the CLI writes', (t) => {
  const repo = tmpdir(t, 'ctl-api-format-');
  fs.mkdirSync(path.join(repo, 'docs', 'packaging'), { recursive: true });
  // Hand-edited: keys out of order, legacy spellings, unknown fields, odd spacing, no final newline.
  const target = (id) =>
    `{"notes": {"b": 1, "a": [1.5, "x"]}, "image": "r.io/${id}:1", "type": "service", "name": "${id}", "module": "apps/${id}"}`;
  const messy = (ids) =>
    `{ "owner": "team-a",\t"targets": [${ids.map(target).join(',\n')}], "lastUpdated": "2020-01-01T00:00:00.000Z", "version": 1, "z": null }`;
  fs.writeFileSync(path.join(repo, REGISTRY), messy(['api', 'gone', 'web']));
  const r = spawnSync(process.execPath, [CTL, 'remove', '--id', 'gone'], { cwd: repo, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const written = fs.readFileSync(path.join(repo, REGISTRY), 'utf8');
  const stamp = (s) => s.replace(/"updatedAt": "[^"]*"/, '"updatedAt": "<stamp>"');
  assert.notEqual(written, messy(['api', 'web']));
  assert.equal(stamp(api.formatRegistry(messy(['api', 'web']))), stamp(written));
  // What the CLI wrote is a fixed point.
  assert.equal(api.formatRegistry(written), written);
});

test('the Node entry reads the wasm from disk synchronously: no fetch, any working directory', (t) => {
  const cwd = tmpdir(t, 'ctl-api-cwd-');
  const script = `
    globalThis.fetch = () => { throw new Error('fetch called'); };
    WebAssembly.instantiateStreaming = WebAssembly.compileStreaming = () => { throw new Error('streaming called'); };
    const m = await import(${JSON.stringify(pathToFileURL(ENTRY).href)});
    const v = m.validateRegistry('{"version":1,"targets":[{"id":"a","type":"job"}]}');
    process.stdout.write(JSON.stringify([m.version, v]));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.deepEqual(JSON.parse(r.stdout), [api.version, { ok: true, targets: 1, diagnostics: [] }]);
});

test('a 10,000-target registry (about 3 MB) validates in one call', (t) => {
  const targets = Array.from({ length: 10_000 }, (_, i) => ({
    id: `svc-${i}`,
    type: 'service',
    module: `apps/svc-${i}`,
    dockerfile: `ops/packaging/services/svc-${i}.Dockerfile`,
    context: `apps/svc-${i}`,
    image: `registry.example.com:5000/team/svc-${i}:1.0.${i}`,
    addedAt: '2026-01-01T00:00:00.000Z',
  }));
  const text = `${JSON.stringify({ version: 1, updatedAt: '2026-01-01T00:00:00.000Z', targets }, null, 2)}\n`;
  assert.ok(text.length > 2_500_000);
  const started = performance.now();
  const v = api.validateRegistry(text);
  t.diagnostic(`validateRegistry of ${(text.length / 1e6).toFixed(1)} MB in Node: ${(performance.now() - started).toFixed(1)} ms (informational; the benchmark script measures)`);
  assert.deepEqual(v, { ok: true, targets: 10_000, diagnostics: [] });
  assert.equal(api.formatRegistry(text), text);
});

// ------------------------------------------------------------------ TypeScript

function tsc(args, cwd = ROOT) {
  const r = spawnSync(process.execPath, [TSC, ...args], { cwd, encoding: 'utf8' });
  if (r.error) throw r.error;
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

test('tsc --noEmit: the consumer type-checks against index.d.ts', () => {
  assert.ok(fs.existsSync(TSC), 'typescript is missing: run npm ci');
  const r = tsc(['--noEmit', '-p', path.join('tests', 'api', 'tsconfig.json')]);
  assert.equal(r.status, 0, r.out);
});

test('tsc --noEmit: misuse of the API is a type error (the check has teeth)', (t) => {
  const dir = tmpdir(t, 'ctl-api-ts-');
  fs.writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'es2022',
        module: 'esnext',
        moduleResolution: 'bundler',
        lib: ['es2022'],
        types: [],
        strict: true,
        noEmit: true,
        paths: { 'ctl-packaging': [DECLARATIONS] },
      },
      files: ['bad.ts'],
    }),
  );
  fs.writeFileSync(
    path.join(dir, 'bad.ts'),
    [
      'import { validateRegistry, applyTag, parseImageReference } from "ctl-packaging";',
      'const n: number = validateRegistry("{}").ok;', // boolean is not number
      'const s: string = parseImageReference("a").tag;', // string | null
      'applyTag("a");', // missing argument
      'validateRegistry("{}").diagnostics[0]!.severity === "info";', // no overlap
      'export {};',
    ].join('\n'),
  );
  const r = tsc(['-p', dir]);
  assert.notEqual(r.status, 0, r.out);
  const codes = [...r.out.matchAll(/bad\.ts\((\d+),\d+\): error (TS\d+)/g)].map((m) => `${m[1]}:${m[2]}`);
  assert.deepEqual(codes, ['2:TS2322', '3:TS2322', '4:TS2554', '5:TS2367'], r.out);
});

test('tsc --noEmit: importing the built entries directly (module nodenext) finds their types', (t) => {
  const dir = tmpdir(t, 'ctl-api-ts-dist-');
  fs.writeFileSync(path.join(dir, 'package.json'), '{"type": "module"}');
  fs.writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', lib: ['es2022', 'dom'], types: [], strict: true, noEmit: true },
      files: ['use.mts'],
    }),
  );
  const rel = (f) => path.relative(dir, path.join(SCRIPTS, f)).split(path.sep).join('/');
  fs.writeFileSync(
    path.join(dir, 'use.mts'),
    [
      `import { validateRegistry, type Validation } from ${JSON.stringify(rel('index.mjs'))};`,
      `import * as browser from ${JSON.stringify(rel('browser.mjs'))};`,
      'const v: Validation = validateRegistry("{}");',
      'const w: Validation = browser.validateRegistry("{}");',
      '// @ts-expect-error: version is a string',
      'const n: number = browser.version;',
      'console.log(v, w, n);',
    ].join('\n'),
  );
  const r = tsc(['-p', dir]);
  assert.equal(r.status, 0, r.out);
});
