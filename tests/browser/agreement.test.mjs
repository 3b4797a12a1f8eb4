// One registry text, three ways in, one answer: the CLI's `verify --format
// json` (findings), the Node API's validateRegistry(text).diagnostics and the
// validator page's rendered list (headless Chromium, page served by
// `python3 -m http.server` from dist/packaging/, every other request blocked).
//
// The CLI runs in a temporary repository where ops/packaging/ exists and every
// target's Dockerfile exists and is clean (`FROM scratch`), so that its
// findings are exactly the registry's diagnostics. verify lists errors before
// warnings; the API keeps the core's order; so the API's list is compared
// after a stable sort by severity (a no-op when all are errors).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';

import {
  DIST,
  REGISTRY,
  isolatedPage,
  launchChromium,
  openValidator,
  renderedDiagnostics,
  screenshot,
  setText,
  startPythonServer,
  summaryIs,
  tmpdir,
} from './helpers.mjs';

const CTL = path.join(DIST, 'scripts', 'ctl-packaging.mjs');
const api = await import(pathToFileURL(path.join(DIST, 'scripts', 'index.mjs')).href);

let browser;
let server;

before(async () => {
  server = await startPythonServer(DIST);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** Environment for the CLI without the knobs that change its behaviour. */
function cleanEnv() {
  const env = { ...process.env };
  for (const k of Object.keys(env)) {
    if (k.startsWith('PACKAGING_') || k.startsWith('NODE_TEST') || k === 'NODE_OPTIONS') delete env[k];
  }
  return env;
}

/**
 * A repository holding `registry` with ops/packaging/ and the given
 * Dockerfiles (path -> text; every other Dockerfile the text names is
 * created as `FROM scratch`). Returns its folder.
 */
function makeRepo(t, registry, dockerfiles = {}) {
  const repo = tmpdir(t, 'ctl-agree-');
  fs.mkdirSync(path.join(repo, 'ops', 'packaging'), { recursive: true });
  fs.mkdirSync(path.join(repo, 'docs', 'packaging'), { recursive: true });
  fs.writeFileSync(path.join(repo, REGISTRY), registry);
  const named = [...registry.matchAll(/"dockerfile": "(ops\/packaging\/[^"]+)"/g)].map((m) => m[1]);
  for (const rel of named) {
    fs.mkdirSync(path.dirname(path.join(repo, rel)), { recursive: true });
    fs.writeFileSync(path.join(repo, rel), dockerfiles[rel] ?? 'FROM scratch\n');
  }
  assert.deepEqual(Object.keys(dockerfiles).filter((f) => !named.includes(f)), []);
  return repo;
}

function verifyJson(repo) {
  const r = spawnSync(process.execPath, [CTL, 'verify', '--format', 'json'], { cwd: repo, encoding: 'utf8', env: cleanEnv() });
  assert.equal(r.stderr, '');
  const report = JSON.parse(r.stdout);
  assert.equal(r.status, report.ok ? 0 : 1);
  return report;
}

const bySeverity = (list) => [...list].sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1));

/** The page's list for `text`, without the display-only field. */
async function pageDiagnostics(t, text, shot) {
  const session = await isolatedPage(browser, server.origin);
  t.after(() => session.context.close());
  const { page, blocked } = session;
  await openValidator(page, server.origin);
  await page.check('input[name="mode"][value="registry"]');
  await setText(page, text);
  await summaryIs(page, /^(valid|\d+ errors?)/);
  const shown = (await renderedDiagnostics(page)).map(({ where, ...d }) => {
    assert.equal(where, `${d.line}:${d.column}`);
    return d;
  });
  if (shot) await screenshot(page, shot);
  assert.deepEqual(blocked, []);
  return { shown, summary: await page.textContent('#summary') };
}

// Six mistakes, one per target, with non-ASCII text before some of them on the same line.
const SIX_MISTAKES = `{
  "version": 1,
  "owner": "équipe ☕",
  "targets": [
    { "id": "Café", "type": "service", "dockerfile": "ops/packaging/services/cafe.Dockerfile" },
    { "id": "batch", "type": "lambda", "dockerfile": "ops/packaging/jobs/batch.Dockerfile" },
    { "note": "déjà 😀", "id": "web", "type": "app", "image": "Web App", "dockerfile": "ops/packaging/apps/web.Dockerfile" },
    { "id": "worker", "type": "job", "module": "../outside", "dockerfile": "ops/packaging/jobs/worker.Dockerfile" },
    { "id": "web", "type": "app", "dockerfile": "ops/packaging/apps/web2.Dockerfile" },
    { "id": "cache", "type": "service", "image": "user:pass@registry.example.com/cache", "dockerfile": "ops/packaging/services/cache.Dockerfile" }
  ]
}
`;

test('CLI verify --format json, the Node API and the page agree on a registry with six mistakes', async (t) => {
  const repo = makeRepo(t, SIX_MISTAKES);
  const report = verifyJson(repo);
  const fromApi = api.validateRegistry(SIX_MISTAKES);
  const { shown, summary } = await pageDiagnostics(t, SIX_MISTAKES, 'agreement-six-mistakes');

  assert.equal(report.ok, false);
  assert.deepEqual(
    report.findings.map((d) => d.code).sort(),
    ['PKG010', 'PKG011', 'PKG012', 'PKG013', 'PKG014', 'PKG015'],
  );
  assert.deepEqual(report.findings, bySeverity(fromApi.diagnostics));
  assert.deepEqual(shown, fromApi.diagnostics);
  assert.equal(report.errors, 6);
  assert.equal(summary, '6 errors');
  // Every span is in the text where it says (columns in code points).
  const lines = SIX_MISTAKES.split('\n');
  for (const d of fromApi.diagnostics) {
    const value = [...lines[d.line - 1]].slice(d.column - 1, d.endColumn - 1).join('');
    assert.match(value, /^"/, `${d.code} ${d.line}:${d.column} -> ${value}`);
  }
});

test('... and on a registry with no targets and a secret (an error and a warning)', async (t) => {
  const text = '{\n  "version": 1,\n  "targets": [],\n  "deploy": { "token": "ghp_0123456789abcdefghijABCDEFGHIJ012345" }\n}\n';
  const repo = makeRepo(t, text);
  const report = verifyJson(repo);
  const fromApi = api.validateRegistry(text);
  const { shown, summary } = await pageDiagnostics(t, text);
  assert.deepEqual(report.findings.map((d) => [d.severity, d.code]), [
    ['error', 'PKG016'],
    ['warning', 'PKG021'],
  ]);
  assert.deepEqual(report.findings, bySeverity(fromApi.diagnostics));
  assert.deepEqual(shown, fromApi.diagnostics);
  assert.equal(summary, '1 error, 1 warning');
});

test('... and on a registry that does not parse', async (t) => {
  const text = '{\n  "version": 1,\n  "targets": [\n    { "id": "a", "type": "job" },\n  ]\n}\n';
  const repo = makeRepo(t, text);
  const report = verifyJson(repo);
  const fromApi = api.validateRegistry(text);
  const { shown } = await pageDiagnostics(t, text);
  assert.deepEqual(report.findings.map((d) => d.code), ['PKG001']);
  assert.deepEqual(report.findings, fromApi.diagnostics);
  assert.deepEqual(shown, fromApi.diagnostics);
});

test('... and on a clean registry: no findings, "valid"', async (t) => {
  const text = `${JSON.stringify({ version: 1, targets: [{ id: 'api', type: 'service', dockerfile: 'ops/packaging/services/api.Dockerfile', image: 'api' }] }, null, 2)}\n`;
  const repo = makeRepo(t, text);
  const report = verifyJson(repo);
  assert.deepEqual(report.findings, []);
  assert.equal(report.ok, true);
  assert.deepEqual(api.validateRegistry(text), { ok: true, targets: 1, diagnostics: [] });
  const { shown, summary } = await pageDiagnostics(t, text);
  assert.deepEqual(shown, []);
  assert.equal(summary, 'valid: 1 target');
});

test("Dockerfile findings: verify's equal checkDockerfile(text, path); the page lists the same", async (t) => {
  const rel = 'ops/packaging/services/api.Dockerfile';
  const body = 'FROM node\nWORKDIR /app\nCOPY . .\nRUN npm ci\nCMD node server.js\n';
  const text = `${JSON.stringify({ version: 1, targets: [{ id: 'api', type: 'service', dockerfile: rel }] }, null, 2)}\n`;
  const repo = makeRepo(t, text, { [rel]: body });
  const report = verifyJson(repo);
  const fromApi = api.checkDockerfile(body, rel);
  assert.ok(fromApi.length > 0);
  assert.deepEqual(report.findings, bySeverity(fromApi));

  const session = await isolatedPage(browser, server.origin);
  t.after(() => session.context.close());
  const { page, blocked } = session;
  await openValidator(page, server.origin);
  await page.setInputFiles('#file', { name: 'api.Dockerfile', mimeType: 'text/plain', buffer: Buffer.from(body) });
  await summaryIs(page, /^Dockerfile: /);
  const shown = (await renderedDiagnostics(page)).map(({ where, ...d }) => d);
  assert.deepEqual(shown, api.checkDockerfile(body, 'api.Dockerfile'));
  assert.deepEqual(
    shown.map(({ file, ...d }) => d),
    fromApi.map(({ file, ...d }) => d),
  );
  assert.deepEqual(blocked, []);
});
