// The validator page (dist/packaging/web/) end to end in headless Chromium,
// served by `python3 -m http.server` from the built folder with every other
// request blocked. Screenshots of each state: test-artifacts/browser/*.png.
//
//   node --test tests/browser/        (after npm run build)

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';

import {
  DIST,
  OWN_FILES,
  ROOT,
  REGISTRY,
  isolatedPage,
  launchChromium,
  offsetOf,
  openValidator,
  ownPaths,
  renderedDiagnostics,
  screenshot,
  setText,
  startPythonServer,
  summaryIs,
} from './helpers.mjs';

const api = await import(pathToFileURL(path.join(DIST, 'scripts', 'index.mjs')).href);

const VALID = `${JSON.stringify(
  {
    version: 1,
    updatedAt: '2026-01-01T00:00:00.000Z',
    targets: [
      { id: 'api', type: 'service', module: 'apps/backend', dockerfile: 'ops/packaging/services/api.Dockerfile', context: 'apps/backend', image: 'api' },
      { id: 'cron-task', type: 'job', module: 'jobs/cron', dockerfile: 'ops/packaging/jobs/cron-task.Dockerfile', context: 'jobs/cron', image: 'registry.example.com:5000/team/cron-task:1.2' },
      { id: 'web', type: 'app', module: 'apps/web', dockerfile: 'ops/packaging/apps/web.Dockerfile', context: 'apps/web', image: 'web' },
    ],
  },
  null,
  2,
)}\n`;

// Three known mistakes, one per target, each on its own line.
const THREE_MISTAKES = [
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
const EXPECTED_THREE = [
  { code: 'PKG010', severity: 'error', where: '4:13', end: [4, 18], value: '"Api"' },
  { code: 'PKG011', severity: 'error', where: '5:28', end: [5, 36], value: '"lambda"' },
  { code: 'PKG012', severity: 'error', where: '6:44', end: [6, 53], value: '"Web App"' },
];

const DOCKERFILE = 'FROM ubuntu\nRUN echo hi\n';

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

/** A fresh isolated page on the validator, loaded. */
async function open(t, options) {
  const session = await isolatedPage(browser, server.origin, options);
  t.after(() => session.context.close());
  await openValidator(session.page, server.origin);
  return session;
}

/** Drop a file on the page the way a browser does: dragenter, dragover, drop with a DataTransfer. */
async function dropFile(page, name, text) {
  const dataTransfer = await page.evaluateHandle(
    ([n, t]) => {
      const dt = new DataTransfer();
      dt.items.add(new File([t], n, { type: 'text/plain' }));
      return dt;
    },
    [name, text],
  );
  await page.dispatchEvent('#editor', 'dragenter', { dataTransfer });
  assert.equal(await page.getAttribute('#dropzone', 'class'), 'dropzone dragging');
  assert.equal(await page.isVisible('#drop-hint'), true);
  await page.dispatchEvent('#editor', 'dragover', { dataTransfer });
  await page.dispatchEvent('#editor', 'drop', { dataTransfer });
  assert.equal(await page.getAttribute('#dropzone', 'class'), 'dropzone');
}

test('the page loads only its own files, instantiating the wasm by streaming (application/wasm)', async (t) => {
  const wasmResponses = [];
  const session = await isolatedPage(browser, server.origin, {
    initScript: () => {
      const original = WebAssembly.instantiateStreaming;
      window.__streaming = [];
      WebAssembly.instantiateStreaming = async (...args) => {
        const r = await original.apply(WebAssembly, args);
        window.__streaming.push(r.instance instanceof WebAssembly.Instance);
        return r;
      };
    },
  });
  t.after(() => session.context.close());
  session.context.on('response', (r) => {
    if (r.url().endsWith('.wasm')) wasmResponses.push(r.headers()['content-type']);
  });
  await openValidator(session.page, server.origin);
  const { page, requests, blocked, logs } = session;

  assert.deepEqual(await page.evaluate(() => window.__streaming), [true]);
  assert.deepEqual(wasmResponses, ['application/wasm']);
  assert.deepEqual(blocked, []);
  assert.deepEqual([...new Set(ownPaths(requests, server.origin))].sort(), [...OWN_FILES].sort());
  assert.deepEqual(logs, [], 'no console message, no page error');
  assert.equal(await page.textContent('#summary'), 'Nothing to check yet: type, paste, open or drop a registry.json or a Dockerfile.');
  assert.equal(await page.textContent('#version'), `ctl-packaging ${api.version} · WebAssembly core, running in this page`);

  // The browser entry exports what index.d.ts declares (already loaded: no new request).
  const exported = await page.evaluate(async () => Object.keys(await import('/scripts/browser.mjs')).sort());
  assert.deepEqual(exported, Object.keys(api).sort());
  assert.equal(await page.evaluate(async () => (await import('/scripts/browser.mjs')).version), api.version);

  // Working through every state makes no request either.
  await setText(page, THREE_MISTAKES);
  await summaryIs(page, '3 errors');
  await page.click('#diagnostics li:nth-child(2) button');
  await dropFile(page, 'api.Dockerfile', DOCKERFILE);
  await summaryIs(page, 'Dockerfile: 2 warnings');
  assert.deepEqual(blocked, []);
  assert.deepEqual([...new Set(ownPaths(requests, server.origin))].sort(), [...OWN_FILES].sort());
});

test('a valid registry shows "valid" with its number of targets', async (t) => {
  const { page, blocked } = await open(t);
  await setText(page, VALID);
  assert.equal(await summaryIs(page, 'valid: 3 targets'), 'valid: 3 targets');
  assert.equal(await page.getAttribute('#summary', 'data-state'), 'valid');
  assert.deepEqual(await renderedDiagnostics(page), []);
  assert.equal(await page.$$eval('#marks .mark', (m) => m.length), 0);
  await screenshot(page, '1-valid-registry');

  // An empty registry is valid too, with its warning listed.
  await setText(page, '{"version": 1, "targets": []}');
  await summaryIs(page, 'valid: 0 targets, 1 warning');
  assert.deepEqual(
    (await renderedDiagnostics(page)).map((d) => [d.where, d.severity, d.code, d.message]),
    [['1:27', 'warning', 'PKG021', 'No packaging targets defined']],
  );
  assert.deepEqual(blocked, []);
});

test('a registry with three known mistakes shows exactly those three, at their line:column', async (t) => {
  const { page, blocked } = await open(t);
  await setText(page, THREE_MISTAKES);
  await summaryIs(page, '3 errors');
  assert.equal(await page.getAttribute('#summary', 'data-state'), 'invalid');
  const shown = await renderedDiagnostics(page);
  assert.deepEqual(
    shown.map((d) => ({ code: d.code, severity: d.severity, where: d.where, end: [d.endLine, d.endColumn] })),
    EXPECTED_THREE.map(({ value, ...rest }) => rest),
  );
  // Exactly what the API says, message for message, and each span is the offending value.
  assert.deepEqual(
    shown.map(({ where, ...d }) => d),
    api.validateRegistry(THREE_MISTAKES).diagnostics,
  );
  for (const [i, d] of shown.entries()) {
    assert.equal(THREE_MISTAKES.slice(offsetOf(THREE_MISTAKES, d.line, d.column), offsetOf(THREE_MISTAKES, d.endLine, d.endColumn)), EXPECTED_THREE[i].value);
    assert.equal(d.file, REGISTRY);
  }
  // Each button reads as a sentence: position, severity, code, message.
  assert.match(await page.textContent('#diagnostics li:nth-child(2) button'), /^5:28 error PKG011 target 1: type "lambda" must be one of: service, job, app$/);
  // The gutter marks the three lines.
  const lineHeight = await page.$eval('#editor', (e) => parseFloat(getComputedStyle(e).lineHeight));
  const marks = await page.$$eval('#marks .mark', (m) => m.map((x) => [x.className, parseFloat(x.style.top)]));
  assert.deepEqual(marks, [3, 4, 5].map((l) => ['mark error', l * lineHeight]));
  await screenshot(page, '2-three-mistakes');
  assert.deepEqual(blocked, []);
});

test('diagnostics appear as you type', async (t) => {
  const { page } = await open(t);
  await setText(page, VALID);
  await summaryIs(page, 'valid: 3 targets');
  // Put the cursor inside "api" and type a capital letter, key by key.
  const at = VALID.indexOf('"api"') + 2;
  await page.focus('#editor');
  await page.evaluate((o) => document.getElementById('editor').setSelectionRange(o, o), at);
  await page.keyboard.type('X');
  await summaryIs(page, '1 error');
  const [d] = await renderedDiagnostics(page);
  assert.equal(d.code, 'PKG010');
  assert.equal(d.message.startsWith('target 0: id "aXpi"'), true, d.message);
  await screenshot(page, '3-typing');
  await page.keyboard.press('Backspace');
  await summaryIs(page, 'valid: 3 targets');
  // A syntax error while typing shows at once too.
  await page.keyboard.press('End');
  await page.keyboard.type(' oops');
  await summaryIs(page, '1 error');
  assert.equal((await renderedDiagnostics(page))[0].code, 'PKG001');
});

test('clicking a diagnostic moves the cursor there and selects its span; so does the keyboard', async (t) => {
  const { page } = await open(t);
  await setText(page, THREE_MISTAKES);
  await summaryIs(page, '3 errors');

  await page.click('#diagnostics li:nth-child(3) button');
  const selection = () =>
    page.evaluate(() => {
      const e = document.getElementById('editor');
      return { focused: document.activeElement === e, start: e.selectionStart, end: e.selectionEnd, text: e.value.slice(e.selectionStart, e.selectionEnd) };
    });
  assert.deepEqual(await selection(), {
    focused: true,
    start: offsetOf(THREE_MISTAKES, 6, 44),
    end: offsetOf(THREE_MISTAKES, 6, 53),
    text: '"Web App"',
  });
  assert.equal(await page.textContent('#cursor'), 'Line 6, column 44 (9 selected)');
  assert.equal(await page.getAttribute('#diagnostics li:nth-child(3) button', 'aria-current'), 'true');
  await screenshot(page, '4-clicked-diagnostic');

  // Keyboard only: Tab from the editor reaches the list; Enter on the second diagnostic.
  await page.focus('#editor');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.code), 'PKG010');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.code), 'PKG011');
  await page.keyboard.press('Enter');
  assert.deepEqual(await selection(), {
    focused: true,
    start: offsetOf(THREE_MISTAKES, 5, 28),
    end: offsetOf(THREE_MISTAKES, 5, 36),
    text: '"lambda"',
  });
  assert.equal(await page.textContent('#cursor'), 'Line 5, column 28 (8 selected)');
  assert.equal(await page.getAttribute('#diagnostics li:nth-child(3) button', 'aria-current'), null);
});

test('columns are code points: the cursor lands right after non-ASCII text and far down a long file', async (t) => {
  const { page } = await open(t);
  // 400 targets, the mistake on the last one, after "é" and an emoji on its line.
  const targets = Array.from({ length: 400 }, (_, i) => `    { "id": "t${i}", "type": "job" }`);
  targets[399] = '    { "note": "é😀é", "id": "Bad😀", "type": "job" }';
  const text = `{\n  "version": 1,\n  "targets": [\n${targets.join(',\n')}\n  ]\n}\n`;
  await setText(page, text);
  await summaryIs(page, '1 error');
  const [d] = await renderedDiagnostics(page);
  assert.equal(d.where, '403:28');
  await page.click('#diagnostics button');
  const sel = await page.evaluate(() => {
    const e = document.getElementById('editor');
    const lh = parseFloat(getComputedStyle(e).lineHeight);
    return { text: e.value.slice(e.selectionStart, e.selectionEnd), top: e.scrollTop, height: e.clientHeight, lh };
  });
  assert.equal(sel.text, '"Bad😀"');
  // Scrolled so that line 403 is visible.
  const lineTop = 402 * sel.lh;
  assert.ok(lineTop >= sel.top && lineTop + sel.lh <= sel.top + sel.height + 8, JSON.stringify(sel));
  assert.equal(await page.textContent('#cursor'), 'Line 403, column 28 (6 selected)');
  await screenshot(page, '5-non-ascii-far-down');
});

test('dropping a registry.json or a Dockerfile checks it; so does picking one', async (t) => {
  const { page, blocked } = await open(t);
  await dropFile(page, 'registry.json', THREE_MISTAKES);
  await summaryIs(page, '3 errors');
  assert.equal(await page.inputValue('#editor'), THREE_MISTAKES);
  assert.equal(await page.textContent('#source'), 'Checking: registry.json as registry.json');
  assert.deepEqual((await renderedDiagnostics(page)).map((d) => d.where), ['4:13', '5:28', '6:44']);
  await screenshot(page, '6-dropped-registry');

  // A Dockerfile, recognised by its name: checked with the Dockerfile rules, under its name.
  await dropFile(page, 'api.Dockerfile', DOCKERFILE);
  await summaryIs(page, 'Dockerfile: 2 warnings');
  assert.equal(await page.isChecked('input[name="mode"][value="dockerfile"]'), true);
  assert.equal(await page.textContent('#source'), 'Checking: api.Dockerfile as a Dockerfile');
  assert.deepEqual(
    (await renderedDiagnostics(page)).map(({ where, ...d }) => d),
    api.checkDockerfile(DOCKERFILE, 'api.Dockerfile'),
  );
  await screenshot(page, '7-dropped-dockerfile');

  // Picked with the file input; a name that says nothing: recognised by content.
  await page.setInputFiles('#file', { name: 'build.txt', mimeType: 'text/plain', buffer: Buffer.from(`# syntax=docker/dockerfile:1\n${DOCKERFILE}`) });
  await summaryIs(page, 'Dockerfile: 2 warnings');
  assert.equal(await page.isChecked('input[name="mode"][value="auto"]'), true);
  assert.equal(await page.textContent('#source'), 'Checking: build.txt as a Dockerfile');
  await page.setInputFiles('#file', { name: 'registry.json', mimeType: 'application/json', buffer: Buffer.from(VALID) });
  await summaryIs(page, 'valid: 3 targets');

  // A clean Dockerfile; then the mode switch forces the registry rules on the same text.
  await dropFile(page, 'Dockerfile', 'FROM scratch\n');
  await summaryIs(page, 'Dockerfile: no findings');
  await page.check('input[name="mode"][value="registry"]');
  await summaryIs(page, '1 error');
  assert.equal((await renderedDiagnostics(page))[0].code, 'PKG001');
  assert.deepEqual(blocked, []);
});

test('a pasted Dockerfile is recognised by its content', async (t) => {
  const { page } = await open(t);
  await setText(page, `# a comment\n\n${DOCKERFILE}`);
  await summaryIs(page, 'Dockerfile: 2 warnings');
  assert.equal(await page.textContent('#source'), 'Checking: pasted text as a Dockerfile');
  await setText(page, '  { "version": 1, "targets": [] }');
  await summaryIs(page, 'valid: 0 targets, 1 warning');
});

/** WCAG contrast ratio of two CSS colours (rgb/rgba). */
function contrast(fg, bg) {
  const parse = (c) => c.match(/[\d.]+/g).slice(0, 3).map(Number);
  const lum = (rgb) => {
    const [r, g, b] = rgb.map((v) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [a, b] = [lum(parse(fg)), lum(parse(bg))].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}

test('accessible: labelled controls, a live summary, keyboard focus that shows, enough contrast', async (t) => {
  for (const colorScheme of ['light', 'dark']) {
    const { page } = await open(t);
    await page.emulateMedia({ colorScheme });
    // Labels.
    assert.equal(await page.getByLabel('Text to check: type, paste, or drop').evaluate((e) => e.id), 'editor');
    assert.equal(await page.getByLabel('Open a file').evaluate((e) => e.id), 'file');
    for (const name of ['Detect', 'registry.json', 'Dockerfile']) {
      assert.equal(await page.getByRole('radio', { name }).count(), 1, name);
    }
    assert.equal(await page.getByRole('group', { name: 'Check as' }).count(), 1);
    assert.equal(await page.getByRole('status').evaluate((e) => e.id), 'summary');
    assert.equal(await page.$eval('#editor', (e) => e.getAttribute('aria-describedby')), 'summary cursor');
    assert.equal(await page.$eval('html', (e) => e.lang), 'en');

    await setText(page, THREE_MISTAKES);
    await summaryIs(page, '3 errors');
    assert.equal(await page.getByRole('button', { name: /^5:28 error PKG011/ }).count(), 1);

    // Visible focus on a diagnostic reached by keyboard.
    await page.focus('#editor');
    await page.keyboard.press('Tab');
    const outline = await page.evaluate(() => {
      const s = getComputedStyle(document.activeElement);
      return { style: s.outlineStyle, width: parseFloat(s.outlineWidth), color: s.outlineColor, bg: getComputedStyle(document.body).backgroundColor };
    });
    assert.equal(outline.style, 'solid');
    assert.ok(outline.width >= 2);
    assert.ok(contrast(outline.color, outline.bg) >= 3, `focus ring contrast ${JSON.stringify(outline)}`);

    // Text contrast (WCAG AA 4.5:1) of everything that carries words, on its own background.
    const pairs = await page.evaluate(() => {
      const bgOf = (el) => {
        for (let e = el; e; e = e.parentElement) {
          const c = getComputedStyle(e).backgroundColor;
          if (c && !/rgba\(.*, 0\)$/.test(c) && c !== 'transparent') return c;
        }
        return 'rgb(255, 255, 255)';
      };
      const sel = ['h1', '.lede', 'label.editor-label', '#editor', '#cursor', '#summary', '.hint', 'button.diagnostic .where', 'button.diagnostic .severity', 'button.diagnostic .code', 'button.diagnostic .message', '#numbers', 'legend', 'footer p'];
      return sel.map((s) => {
        const el = document.querySelector(s);
        return [s, getComputedStyle(el).color, bgOf(el)];
      });
    });
    for (const [sel, fg, bg] of pairs) {
      const ratio = contrast(fg, bg);
      assert.ok(ratio >= 4.5, `${colorScheme}: ${sel} contrast ${ratio.toFixed(2)} (${fg} on ${bg})`);
    }
    if (colorScheme === 'dark') await screenshot(page, '8-dark-scheme');
  }
});

test('a 10,000-target registry (about 3 MB) shows valid', async (t) => {
  const { page } = await open(t);
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
  await setText(page, text);
  await summaryIs(page, 'valid: 10000 targets', 60000);
  // Informational only (the benchmark script measures): one call of the API in this page.
  const ms = await page.evaluate(async () => {
    const m = await import('/scripts/browser.mjs');
    const text = document.getElementById('editor').value;
    m.validateRegistry(text);
    const t0 = performance.now();
    const v = m.validateRegistry(text);
    if (!v.ok) throw new Error('not ok');
    return performance.now() - t0;
  });
  t.diagnostic(`validateRegistry of ${(text.length / 1e6).toFixed(1)} MB in Chromium: ${ms.toFixed(1)} ms (informational)`);
  // An error in the last target is listed and reachable.
  await page.evaluate(() => {
    const e = document.getElementById('editor');
    e.value = e.value.replace('"svc-9999"', '"SVC-9999"');
    e.dispatchEvent(new Event('input'));
  });
  await summaryIs(page, '1 error', 60000);
  await page.click('#diagnostics button');
  const [d] = await renderedDiagnostics(page);
  assert.equal(await page.evaluate(() => { const e = document.getElementById('editor'); return e.value.slice(e.selectionStart, e.selectionEnd); }), '"SVC-9999"');
  assert.equal(await page.textContent('#cursor'), `Line ${d.line}, column ${d.column} (10 selected)`);
});

test('the screenshots are saved under test-artifacts/ (git-ignored)', () => {
  const ignored = fs.readFileSync(path.join(ROOT, '.gitignore'), 'utf8').split('\n');
  assert.ok(ignored.includes('test-artifacts/'));
});
