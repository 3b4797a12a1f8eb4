// verify's CI outputs, end to end: --format sarif validates against the vendored
// SARIF 2.1.0 schema (tests/sarif/), --format github prints workflow commands, and
// --output writes the report to a file; the four kinds of suppression show in SARIF.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import Ajv4 from 'ajv-draft-04';

import { makeRepo, PROJECT_ROOT, REGISTRY } from './helpers.mjs';

const schema = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'tests/sarif/sarif-schema-2.1.0.json'), 'utf8'));
const validate = new Ajv4({ allErrors: true, strict: false, validateFormats: false, unicodeRegExp: false }).compile(schema);

function repoWithFindings() {
  const repo = makeRepo();
  assert.equal(repo.run(['init']).code, 0);
  repo.write('apps/api/index.js', 'x\n');
  repo.write('ops/packaging/services/api.Dockerfile', [
    '# check=skip=DuplicateStageName',
    'FROM alpine:3.20 AS a',
    'FROM alpine:3.20 AS a',
    '# ctl-packaging ignore=PKG105 the vendor publishes no checksum',
    'ADD https://example.com/tool.tgz /opt/',
    'COPY missing.txt /app/',
    'COPY --from=nope /x /y',
    '',
  ].join('\n'));
  repo.write(REGISTRY, `${JSON.stringify({
    version: 1,
    targets: [{ id: 'api', type: 'service', module: 'apps/api', dockerfile: 'ops/packaging/services/api.Dockerfile', context: '.', lint: { ignore: ['PKG104'] } }],
  }, null, 2)}\n`);
  return repo;
}

test('--format sarif is a valid SARIF 2.1.0 log with rules, help, places and suppressions', (t) => {
  const repo = repoWithFindings();
  t.after(() => repo.cleanup());
  const r = repo.run(['verify', '--format', 'sarif', '--ignore', 'PKG113']);
  assert.equal(r.code, 1, r.stderr);
  const log = JSON.parse(r.stdout);
  assert.ok(validate(log), JSON.stringify(validate.errors, null, 1));
  const run = log.runs[0];
  const results = run.results.map((x) => [x.ruleId, x.level, x.locations[0].physicalLocation.region.startLine, x.suppressions?.[0]?.kind ?? null]);
  assert.deepEqual(results, [
    ['PKG108', 'error', 6, null],
    ['PKG110', 'error', 7, null],
    ['PKG104', 'warning', 3, 'external'],
    ['PKG112', 'warning', 3, 'inSource'],
    ['PKG105', 'warning', 5, 'inSource'],
  ]);
  for (const x of run.results) assert.equal(run.tool.driver.rules[x.ruleIndex].id, x.ruleId);
  for (const rule of run.tool.driver.rules) assert.match(rule.help.text, /Catches:[\s\S]*Why:[\s\S]*Example:[\s\S]*Fix:/);
  // A broken log fails the schema: the test can fail.
  assert.equal(validate({ ...log, version: '2.0.0' }), false);
});

test('--format github prints one workflow command per finding; --output writes a file', (t) => {
  const repo = repoWithFindings();
  t.after(() => repo.cleanup());
  const r = repo.run(['verify', '--format', 'github']);
  assert.equal(r.code, 1);
  assert.deepEqual(r.stdout.trimEnd().split('\n'), [
    '::error file=ops/packaging/services/api.Dockerfile,line=6,col=1,endLine=6,endColumn=23,title=PKG108::COPY source "missing.txt" is not in the build context (the repository root); the build fails with "/missing.txt": not found',
    '::error file=ops/packaging/services/api.Dockerfile,line=7,col=1,endLine=7,endColumn=23,title=PKG110::COPY from "nope" names no stage (stages: a, a); for an image, give its tag (e.g. nope:1.0)',
  ]);
  const o = repo.run(['verify', '--format', 'sarif', '--output', 'verify.sarif']);
  assert.equal(o.code, 1);
  assert.equal(o.stdout, '[info] Report written to verify.sarif\n[error] Verification failed.\n');
  assert.ok(validate(JSON.parse(repo.read('verify.sarif'))));
  assert.deepEqual(fs.readdirSync(repo.root).filter((f) => f.startsWith('verify.sarif')), ['verify.sarif'], 'no temporary file is left');
});
