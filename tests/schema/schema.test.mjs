// The registry's JSON Schema (templates/docs/packaging/registry.schema.json)
// and the Rust model agree: for every case below, the schema accepts exactly
// when the core's validateRegistry reports no error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const api = path.join(root, 'dist/packaging/scripts/index.mjs');
if (!fs.existsSync(api)) throw new Error(`${api} is missing: run node scripts/build.mjs`);
const { validateRegistry } = await import(api);
const schema = JSON.parse(fs.readFileSync(path.join(root, 'templates/docs/packaging/registry.schema.json'), 'utf8'));
// Formats on: "date-time" is checked (ajv-formats, full mode), as the core's PKG017 checks it.
const ajv = new Ajv2020({ strict: true, strictRequired: false, allErrors: true, validateFormats: true });
addFormats(ajv, { mode: 'full' });
const validate = ajv.compile(schema);

const base = { id: 'api', type: 'service' };
const registry = (target, top = {}) => ({ version: 1, updatedAt: '2026-01-01T00:00:00.000Z', targets: [{ ...base, ...target }], ...top });

// [description, document, expected validity]
const cases = [
  ['minimal target', registry({}), true],
  ['every known field', registry({ module: 'apps/backend', dockerfile: 'ops/packaging/services/api.Dockerfile', context: '.', image: 'registry.example.com:5000/team/api:v1', addedAt: '2026-01-01T00:00:00.000Z' }), true],
  ['unknown fields kept', registry({ owner: { team: 'x' } }, { notes: [1, 2] }), true],
  ['legacy name', { version: 1, targets: [{ name: 'api', type: 'job' }] }, true],
  ['no targets', { version: 1, targets: [] }, true],
  ['version 2', { version: 2, targets: [] }, false],
  ['targets object', { version: 1, targets: {} }, false],
  ['target string', { version: 1, targets: ['api'] }, false],
  ['missing id', { version: 1, targets: [{ type: 'job' }] }, false],
  ['missing type', { version: 1, targets: [{ id: 'a' }] }, false],
  ['module number', registry({ module: 5 }), false],
  ['addedAt number', registry({ addedAt: 5 }), false],
  ['updatedAt number', { version: 1, updatedAt: 1, targets: [] }, false],
  ['lint ignore codes and Docker names', registry({ lint: { ignore: ['PKG104', 'CopyIgnoredFile'] } }), true],
  ['lint empty', registry({ lint: {} }), true],
  ['lint array', registry({ lint: ['PKG104'] }), false],
  ['lint ignore string', registry({ lint: { ignore: 'PKG104' } }), false],
  ['lint ignore number item', registry({ lint: { ignore: [104] } }), false],
  ['lint ignore not a name', registry({ lint: { ignore: ['no such rule'] } }), false],
  ...[
    '2026-01-01T00:00:00.000Z', '2026-01-01t00:00:00z', '2024-02-29T12:00:00+05:30', '2026-12-31T23:59:59.123456789-08:00',
    '2016-12-31T23:59:60Z', '2017-01-01T05:29:60+05:30',
  ].map((ts) => [`timestamp ${ts}`, registry({ addedAt: ts }, { updatedAt: ts }), true]),
  ...[
    'yesterday', '', '2026-01-01', '2026-01-01T00:00:00', '2026-01-01 00:00:00Z', '2026-01-01T00:00:00+0100',
    '2026-01-01T00:00:00+01', '2026-02-29T00:00:00Z', '2026-13-01T00:00:00Z', '2026-04-31T00:00:00Z',
    '2026-01-01T24:00:00Z', '2026-01-01T12:59:60Z', '2026-01-01T00:00:00.Z', '2026-01-01T00:00:00+24:00',
  ].flatMap((ts) => [
    [`addedAt ${JSON.stringify(ts)}`, registry({ addedAt: ts }), false],
    [`updatedAt ${JSON.stringify(ts)}`, { version: 1, updatedAt: ts, targets: [] }, false],
  ]),
  ...['api', 'billing.api', 'a__b', 'a---b', 'x'.repeat(128)].map((id) => [`id ${id.slice(0, 20)}`, registry({ id }), true]),
  ...['UPPER', 'has space', '../../escape', '/abs', '', 'a..b', 'a___b', '-a', 'x'.repeat(129)].map((id) => [`id ${JSON.stringify(id.slice(0, 20))}`, registry({ id }), false]),
  ...['service', 'job', 'app'].map((type) => [`type ${type}`, registry({ type }), true]),
  ['type lambda', registry({ type: 'lambda' }), false],
  ...['.', 'apps/backend', 'a.b/c..d', 'apps/x y'].map((p) => [`path ${p}`, registry({ module: p, context: p }), true]),
  ...['', './a', 'a/', 'a//b', 'a/./b', 'a/../b', '../x', '/abs', '~/x', 'C:/x', 'a\\b', 'a\u0001b', 'a\u0085b'].map((p) => [`path ${JSON.stringify(p)}`, registry({ dockerfile: p }), false]),
  ...[
    'api', 'api:v1', 'team/api', 'registry.example.com/team/api', 'registry.example.com:5000/team/web',
    'localhost/x', 'localhost:5000/x:1', 'myhost:5000/x', '[::1]:5000/x', 'billing.api', `x@sha256:${'a'.repeat(64)}`,
    `r.io/x:1@sha256:${'0'.repeat(64)}`, `x@sha512:${'f'.repeat(128)}`, 'a_b/c__d/e---f',
  ].map((i) => [`image ${i.slice(0, 40)}`, registry({ image: i }), true]),
  ...[
    'Bad Image Name', 'Team/App', 'user:secret@registry.example.com/x', 'x@sha256:abc', `x@sha256:${'A'.repeat(64)}`,
    'x:bad tag', 'x:-rm', 'bad_host.com:port/x', 'a_b.c/x', 'x:', '', 'x/', '/x', 'x@md5:abc', 'UPPER/x',
  ].map((i) => [`image ${JSON.stringify(i)}`, registry({ image: i }), false]),
];

for (const [name, doc, expected] of cases) {
  test(`schema and core agree: ${name}`, () => {
    const text = JSON.stringify(doc, null, 2);
    const core = validateRegistry(text);
    const coreOk = core.ok;
    const schemaOk = validate(doc);
    assert.equal(coreOk, expected, `core: ${JSON.stringify(core.diagnostics.map((d) => d.message))}`);
    assert.equal(schemaOk, expected, `schema: ${JSON.stringify(validate.errors)}`);
  });
}

test('the schema is valid draft 2020-12 and names every known target field', () => {
  const props = Object.keys(schema.$defs.target.properties);
  for (const k of ['id', 'type', 'module', 'dockerfile', 'context', 'image', 'addedAt', 'platforms', 'buildArgs', 'labels', 'target', 'lint']) {
    assert.ok(props.includes(k), k);
  }
});
