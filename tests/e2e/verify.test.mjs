// Issue 3: `verify` reports every semantic mistake of a hand-edited registry
// in one run, each with its pointer, line and column; `--format json` has a
// fixed shape; exit codes: 0 clean, 1 errors (or warnings under --strict).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';

import { endPositionOf, lines, makeRepo, positionOf, REGISTRY } from './helpers.mjs';

const ID_RULE =
  'must be lowercase letters and digits, optionally separated by ".", "_", "__" or "-" (an OCI image path component), at most 128 characters';

// Five targets, five different mistakes, one per target. Everything else in
// each target is valid and its Dockerfile exists.
const target = (id, type, extra = {}) => ({
  id,
  type,
  dockerfile: `ops/packaging/${['service', 'job', 'app'].includes(type) ? type : 'service'}s/${id.toLowerCase()}.Dockerfile`,
  context: '.',
  image: id.toLowerCase(),
  ...extra,
});
const FIVE = {
  version: 1,
  updatedAt: '2026-01-01T00:00:00.000Z',
  targets: [
    target('UPPER', 'service'),
    target('lam', 'lambda'),
    target('img', 'service', { image: 'Bad Name' }),
    target('mod', 'job', { module: '../x' }),
    target('img', 'app'),
  ],
};
const FIVE_TEXT = `${JSON.stringify(FIVE, null, 2)}\n`;

// [code, pointer, needle in the text (the value), occurrence, message]
const EXPECTED = [
  ['PKG010', '/targets/0/id', '"UPPER"', 0, `target 0: id "UPPER" ${ID_RULE}`],
  ['PKG011', '/targets/1/type', '"lambda"', 0, 'target 1: type "lambda" must be one of: service, job, app'],
  [
    'PKG012',
    '/targets/2/image',
    '"Bad Name"',
    0,
    'target 2: image "Bad Name" is not a valid image reference: path component "Bad Name" must be lowercase letters and digits separated by ".", "_", "__" or "-"',
  ],
  [
    'PKG014',
    '/targets/3/module',
    '"../x"',
    0,
    'target 3: module "../x": paths must stay inside the repository root (no ".." escape)',
  ],
  // `"id": "img"` occurs twice: target 2 (occurrence 0) and its duplicate, target 4 (occurrence 1).
  ['PKG013', '/targets/4/id', '"id": "img"', 1, 'target 4: id "img" is already used by target 2'],
];

function fiveMistakesRepo() {
  const repo = makeRepo({ templates: true });
  for (const t of FIVE.targets) repo.write(t.dockerfile, 'FROM scratch\n');
  repo.write(REGISTRY, FIVE_TEXT);
  return repo;
}

function expectedPositions() {
  return EXPECTED.map(([code, pointer, needle, nth, message]) => {
    // For the duplicate, point at the value, after `"id": `.
    const valueNeedle = needle.startsWith('"id": ') ? needle.slice('"id": '.length) : needle;
    const start = positionOf(FIVE_TEXT, needle, nth);
    const shift = needle.length - valueNeedle.length;
    const line = start.line;
    const column = start.column + shift;
    const end = endPositionOf(FIVE_TEXT, needle, nth);
    return { code, pointer, message, line, column, endLine: end.line, endColumn: end.column };
  });
}

test('five semantic mistakes: five located diagnostics in one verify run, exit 1', () => {
  const repo = fiveMistakesRepo();
  try {
    const before = repo.readBytes(REGISTRY);
    const r = repo.run(['verify']);
    assert.equal(r.code, 1, `${r.stdout}${r.stderr}`);
    assert.equal(r.stderr, '');
    const want = expectedPositions().map(
      (e) => `  - ${REGISTRY}:${e.line}:${e.column}: error[${e.code}]: ${e.message}`,
    );
    assert.deepEqual(lines(r.stdout), ['', 'Errors:', ...want, '[error] Verification failed.']);
    // Sanity of the fixture: the positions are those of the values.
    const textLines = FIVE_TEXT.split('\n');
    assert.equal(textLines[expectedPositions()[0].line - 1].trim(), '"id": "UPPER",');
    assert.equal(textLines[expectedPositions()[4].line - 1].trim(), '"id": "img",');
    assert.ok(repo.readBytes(REGISTRY).equals(before), 'verify never writes the registry');
  } finally {
    repo.cleanup();
  }
});

const FINDING_KEYS = ['severity', 'code', 'message', 'file', 'pointer', 'line', 'column', 'endLine', 'endColumn'];

function assertShape(report) {
  assert.deepEqual(Object.keys(report).sort(), ['errors', 'findings', 'ok', 'strict', 'suppressed', 'warnings']);
  assert.ok(Number.isInteger(report.suppressed) && report.suppressed >= 0);
  assert.equal(typeof report.ok, 'boolean');
  assert.equal(typeof report.strict, 'boolean');
  assert.ok(Number.isInteger(report.errors) && report.errors >= 0);
  assert.ok(Number.isInteger(report.warnings) && report.warnings >= 0);
  assert.ok(Array.isArray(report.findings));
  for (const f of report.findings) {
    assert.deepEqual(Object.keys(f).sort(), [...FINDING_KEYS].sort(), JSON.stringify(f));
    assert.ok(['error', 'warning'].includes(f.severity));
    assert.match(f.code, /^PKG\d{3}$/);
    for (const k of ['message', 'file', 'pointer']) assert.equal(typeof f[k], 'string');
    for (const k of ['line', 'column', 'endLine', 'endColumn']) assert.ok(Number.isInteger(f[k]) && f[k] >= 1, `${k}`);
  }
  assert.equal(report.errors, report.findings.filter((f) => f.severity === 'error').length);
  assert.equal(report.warnings, report.findings.filter((f) => f.severity === 'warning').length);
}

test('verify --strict --format json: shape, pointers, lines, columns and spans', () => {
  const repo = fiveMistakesRepo();
  try {
    const r = repo.run(['verify', '--strict', '--format', 'json']);
    assert.equal(r.code, 1, `${r.stdout}${r.stderr}`);
    assert.equal(r.stderr, '');
    const report = JSON.parse(r.stdout);
    assertShape(report);
    assert.equal(report.ok, false);
    assert.equal(report.strict, true);
    assert.equal(report.errors, 5);
    assert.equal(report.warnings, 0);
    assert.deepEqual(
      report.findings,
      expectedPositions().map((e) => ({
        severity: 'error',
        code: e.code,
        message: e.message,
        file: REGISTRY,
        pointer: e.pointer,
        line: e.line,
        column: e.column,
        endLine: e.endLine,
        endColumn: e.endColumn,
      })),
    );
    const upper = repo.run(['verify', '--strict', '--format', 'JSON']);
    assert.equal(upper.stdout, r.stdout);
  } finally {
    repo.cleanup();
  }
});

test('a clean registry: verify exit 0; --strict --format json ok with no findings', () => {
  const repo = makeRepo({ templates: true });
  try {
    assert.equal(repo.run(['init']).code, 0);
    assert.equal(repo.run(['add-service', '--id', 'api', '--module', 'apps/backend']).code, 0);
    // Clean means the module folder exists too (else: PKG047, not created yet).
    fs.mkdirSync(repo.abs('apps/backend'), { recursive: true });
    const text = repo.run(['verify']);
    assert.equal(text.code, 0, text.stdout);
    assert.equal(text.stdout, '[ok] Packaging configuration verified.\n');
    const json = repo.run(['verify', '--strict', '--format', 'json']);
    assert.equal(json.code, 0, json.stdout);
    const report = JSON.parse(json.stdout);
    assertShape(report);
    assert.deepEqual(report, { ok: true, strict: true, errors: 0, warnings: 0, findings: [], suppressed: 0 });
  } finally {
    repo.cleanup();
  }
});

test('warnings only (a missing Dockerfile): exit 0 without --strict, 1 with it', () => {
  const repo = makeRepo({ templates: true });
  try {
    assert.equal(repo.run(['init']).code, 0);
    assert.equal(repo.run(['add-service', '--id', 'api']).code, 0);
    fs.rmSync(repo.abs('ops/packaging/services/api.Dockerfile'));
    const warning = 'Missing Dockerfile for "api": ops/packaging/services/api.Dockerfile';

    const plain = repo.run(['verify']);
    assert.equal(plain.code, 0, plain.stdout);
    assert.deepEqual(lines(plain.stdout), ['', 'Warnings:', `  - ${warning}`, '[ok] Packaging configuration verified.']);

    const strict = repo.run(['verify', '--strict']);
    assert.equal(strict.code, 1, strict.stdout);
    const out = lines(strict.stdout);
    assert.deepEqual(out.slice(0, 3), ['', 'Warnings:', `  - ${warning}`]);
    assert.equal(out.at(-1), '[error] Verification failed.');

    const json = repo.run(['verify', '--format', 'json']);
    assert.equal(json.code, 0);
    const report = JSON.parse(json.stdout);
    assertShape(report);
    assert.equal(report.ok, true);
    assert.equal(report.strict, false);
    assert.equal(report.errors, 0);
    assert.equal(report.warnings, 1);
    assert.equal(report.findings[0].severity, 'warning');
    assert.equal(report.findings[0].message, warning);

    const strictJson = repo.run(['verify', '--strict', '--format', 'json']);
    assert.equal(strictJson.code, 1);
    const sr = JSON.parse(strictJson.stdout);
    assertShape(sr);
    assert.equal(sr.ok, false);
    assert.equal(sr.strict, true);
    assert.equal(sr.warnings, 1);
  } finally {
    repo.cleanup();
  }
});

// A Dockerfile BuildKit refuses to parse fails the build before its first
// step, so verify must fail on it: before PKG100 each of these said [ok].
test('a Dockerfile BuildKit refuses to parse fails verify, at the line, naming the rule', () => {
  const repo = makeRepo({ templates: true });
  try {
    assert.equal(repo.run(['init']).code, 0);
    assert.equal(repo.run(['add-service', '--id', 'api']).code, 0);
    const file = 'ops/packaging/services/api.Dockerfile';
    const cases = [
      ['FROM alpine:3.20\nUSER 1000\nCOPI app /app\n', 3, 'COPI is not a Dockerfile instruction'],
      ['FROM alpine:3.20 AS build\nFROM alpine:3.20\nUSER 1000\nCOPY --form=build /app /app\n', 4, 'COPY --form is not a flag it takes'],
      ['FROM alpine:3.20\nUSER 1000\nWORKDIR\n', 3, 'WORKDIR needs an argument'],
      ['RUN echo hi\nFROM alpine:3.20\nUSER 1000\n', 1, 'RUN comes before the first FROM (only ARG may)'],
      ['FROM alpine:3.20\nUSER 1000\nRUN <<EOF\necho hi\n', 3, 'RUN opens a heredoc the file ends inside'],
    ];
    for (const [text, line, message] of cases) {
      repo.write(file, text);
      const r = repo.run(['verify']);
      assert.equal(r.code, 1, `${text}\n${r.stdout}`);
      assert.ok(
        lines(r.stdout).includes(`  - ${file}:${line}:1: error[PKG100]: ${message}; BuildKit stops the build at this line`),
        r.stdout,
      );
      assert.equal(lines(r.stdout).at(-1), '[error] Verification failed.');
    }
    // The placeholder add-service writes parses, and so does the same file written back.
    assert.equal(repo.run(['remove', '--id', 'api']).code, 0);
    fs.rmSync(repo.abs(file));
    assert.equal(repo.run(['add-service', '--id', 'api']).code, 0);
    const clean = repo.run(['verify', '--format', 'json']);
    assert.deepEqual(JSON.parse(clean.stdout).findings.filter((f) => f.code === 'PKG100' || f.code === 'PKG101'), []);
  } finally {
    repo.cleanup();
  }
});

test('verify before init: the interface error and exit 1', () => {
  const repo = makeRepo();
  try {
    const r = repo.run(['verify']);
    assert.equal(r.code, 1);
    assert.deepEqual(lines(r.stdout), [
      '',
      'Errors:',
      '  - ops/packaging/ not found. Run: ctl-packaging init',
      '',
      'Warnings:',
      '  - No packaging targets defined',
      '[error] Verification failed.',
    ]);
  } finally {
    repo.cleanup();
  }
});

test('Dockerfiles are read in batches: every kind of read, in target order, across a batch boundary', () => {
  const repo = makeRepo({ templates: true });
  try {
    assert.equal(repo.run(['init']).code, 0);
    // 1,100 targets (three batches of reads); the odd ones sit at both sides of the
    // 512 and 1,024 boundaries. Two large ones end in a line with a finding, so that
    // it shows only when the whole file was read: one exactly as large as the host's
    // first buffer (64 KiB: a full read, then one that finds the end), one three
    // times larger (the buffer grows in the middle of a file), and one in the last
    // batch, read into the buffer the batches before left grown.
    const odd = {
      0: 'large:65536',
      3: 'missing',
      700: 'large:200000',
      511: 'folder',
      512: 'bom',
      513: 'latin1',
      1023: 'missing',
      1024: 'folder',
      1050: 'large:70000',
    };
    const targets = [];
    for (let i = 0; i < 1100; i++) {
      const id = `t${i}`;
      const dockerfile = `ops/packaging/services/${id}.Dockerfile`;
      targets.push({ id, type: 'service', dockerfile, context: '.', image: id });
      const kind = odd[i];
      if (kind?.startsWith('large:')) {
        const size = Number(kind.slice('large:'.length));
        const head = 'FROM scratch\n# ';
        const tail = 'ADD https://example.com/a.tgz /a\n';
        repo.write(dockerfile, `${head}${'x'.repeat(size - head.length - 1 - tail.length)}\n${tail}`);
        assert.equal(fs.statSync(repo.abs(dockerfile)).size, size);
      } else if (kind === 'folder') fs.mkdirSync(repo.abs(dockerfile), { recursive: true });
      else if (kind === 'bom') repo.write(dockerfile, '\ufeffFROM scratch\n');
      else if (kind === 'latin1') fs.writeFileSync(repo.abs(dockerfile), Buffer.from([0x46, 0x52, 0x4f, 0x4d, 0x20, 0xe9, 0x0a]));
      else if (kind !== 'missing') repo.write(dockerfile, 'FROM scratch\n');
    }
    repo.write(REGISTRY, `${JSON.stringify({ version: 1, updatedAt: '2026-01-01T00:00:00.000Z', targets }, null, 2)}\n`);
    const r = repo.run(['verify', '--format', 'json']);
    // A folder where a Dockerfile should be is an error (PKG042), listed first.
    assert.equal(r.code, 1, r.stdout);
    const all = JSON.parse(r.stdout).findings;
    assert.deepEqual(
      all.filter((f) => f.code === 'PKG042').map((f) => [f.pointer, f.message]),
      [511, 1024].map((i) => [`/targets/${i}/dockerfile`, `Dockerfile "ops/packaging/services/t${i}.Dockerfile" of target "t${i}" is not a regular file`]),
    );
    const findings = all.filter((f) => f.code !== 'PKG042');
    const messages = findings.map((f) => f.message);
    const download = 'ADD downloads "https://example.com/a.tgz" without verifying it; use ADD --checksum=sha256:<hash> or curl in RUN with a checksum check';
    assert.deepEqual(
      findings.filter((f) => f.code === 'PKG105').map((f) => [f.file, f.line]),
      [['ops/packaging/services/t0.Dockerfile', 3], ['ops/packaging/services/t700.Dockerfile', 3], ['ops/packaging/services/t1050.Dockerfile', 3]],
    );
    assert.deepEqual(messages, [
      download,
      'Missing Dockerfile for "t3": ops/packaging/services/t3.Dockerfile',
      // (the host names the file by its absolute path, as for every read)
      `cannot read ops/packaging/services/t513.Dockerfile: ${repo.abs('ops/packaging/services/t513.Dockerfile')} is not valid UTF-8`,
      download,
      'Missing Dockerfile for "t1023": ops/packaging/services/t1023.Dockerfile',
      download,
    ]);
  } finally {
    repo.cleanup();
  }
});
