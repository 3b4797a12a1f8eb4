// Shared helpers for the end-to-end tests of the validator page
// (dist/packaging/web/) in a real headless Chromium driven by playwright-core.
//
// The page is served by `python3 -m http.server` from the built folder
// (dist/packaging/), as a user would; every request that does not go to that
// server is aborted and recorded, so a test can assert that none was made.
// Screenshots go to test-artifacts/browser/ (git-ignored).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DIST = path.join(ROOT, 'dist', 'packaging');
export const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'browser');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const REGISTRY = 'docs/packaging/registry.json';

/** The page's own files: the only paths it may request. */
export const OWN_FILES = [
  '/web/',
  '/web/style.css',
  '/web/app.js',
  '/scripts/browser.mjs',
  '/scripts/ctl_packaging.mjs',
  '/scripts/ctl_packaging_bg.wasm',
];

for (const f of ['web/index.html', 'web/app.js', 'scripts/browser.mjs', 'scripts/ctl_packaging_bg.wasm']) {
  if (!fs.existsSync(path.join(DIST, f))) {
    throw new Error(`dist/packaging/${f} is missing: build first with npm run build`);
  }
}

/**
 * `python3 -m http.server` on 127.0.0.1 and a free port, serving `dir`.
 * Returns { origin, close }.
 */
export async function startPythonServer(dir = DIST) {
  const child = spawn('python3', ['-u', '-m', 'http.server', '0', '--bind', '127.0.0.1', '--directory', dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const origin = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`python3 -m http.server did not start: ${out}`)), 15000);
    const onData = (chunk) => {
      out += chunk;
      const m = out.match(/Serving HTTP on \S+ port (\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${m[1]}`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk) => {
      out += chunk;
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`python3 -m http.server exited (${code}): ${out}`));
    });
  });
  return {
    origin,
    close: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', resolve);
        child.kill();
      }),
  };
}

/** Headless Debian Chromium with a fresh profile (playwright makes a temporary one). */
export function launchChromium() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
    ],
  });
}

/**
 * A new page in its own context where only `origin` is reachable: any other
 * request is aborted and recorded in `blocked`. Every request is recorded in
 * `requests`; console messages and page errors in `logs`.
 */
export async function isolatedPage(browser, origin, { viewport = { width: 1200, height: 900 }, initScript } = {}) {
  const context = await browser.newContext({ viewport, serviceWorkers: 'block' });
  const requests = [];
  const blocked = [];
  const logs = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (new URL(url).origin === origin) return route.continue();
    blocked.push(url);
    return route.abort('blockedbyclient');
  });
  context.on('request', (r) => requests.push(r.url()));
  if (initScript) await context.addInitScript(initScript);
  const page = await context.newPage();
  page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
  return { context, page, requests, blocked, logs };
}

/** Open the page and wait until the checker has loaded. */
export async function openValidator(page, origin) {
  await page.goto(`${origin}/web/`);
  await page.waitForFunction(() => document.documentElement.dataset.ready, null, { timeout: 20000 });
  const state = await page.evaluate(() => document.documentElement.dataset.ready);
  assert.equal(state, 'true', `the checker did not load: ${await page.textContent('#summary')}`);
}

/**
 * Replace the editor's text, firing `input` as typing or pasting does.
 * Large texts are set directly (playwright's fill inserts them far too slowly).
 */
export async function setText(page, text) {
  if (text.length < 100_000) return page.fill('#editor', text);
  await page.$eval(
    '#editor',
    (e, t) => {
      e.focus();
      e.value = t;
      e.setSelectionRange(0, 0);
      e.dispatchEvent(new InputEvent('input', { bubbles: true, inputType: 'insertFromPaste' }));
    },
    text,
  );
}

/** Wait for the summary line to match (string: equal; RegExp: test), then return it. */
export async function summaryIs(page, expected, timeout = 10000) {
  try {
    await page.waitForFunction(
      ([source, flags, exact]) => {
        const text = document.getElementById('summary').textContent;
        return exact !== null ? text === exact : new RegExp(source, flags).test(text);
      },
      expected instanceof RegExp ? [expected.source, expected.flags, null] : ['', '', expected],
      { timeout },
    );
  } catch (e) {
    const actual = await page.textContent('#summary');
    assert.fail(`summary ${JSON.stringify(actual)} does not match ${expected}: ${e.message.split('\n')[0]}`);
  }
  return page.textContent('#summary');
}

/** The diagnostics the page lists, read back from the rendered buttons. */
export function renderedDiagnostics(page) {
  return page.$$eval('#diagnostics button.diagnostic', (buttons) =>
    buttons.map((b) => ({
      severity: b.dataset.severity,
      code: b.dataset.code,
      message: b.querySelector('.message').textContent,
      file: b.dataset.file,
      pointer: b.dataset.pointer,
      line: Number(b.dataset.line),
      column: Number(b.dataset.column),
      endLine: Number(b.dataset.endLine),
      endColumn: Number(b.dataset.endColumn),
      where: b.querySelector('.where').textContent,
    })),
  );
}

/** Save a full-page screenshot as test-artifacts/browser/<name>.png; returns its path. */
export async function screenshot(page, name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  assert.ok(fs.statSync(file).size > 1000, `${file} is empty`);
  return file;
}

/** UTF-16 offset of a 1-based line and code-point column, computed independently of the page. */
export function offsetOf(text, line, column) {
  const lines = text.split('\n');
  let offset = 0;
  for (let i = 0; i < line - 1; i++) offset += lines[i].length + 1;
  const prefix = [...lines[line - 1]].slice(0, column - 1).join('');
  return offset + prefix.length;
}

/** A temporary directory removed after the test. */
export function tmpdir(t, prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The requests made, as paths, for asserting the page only fetched its own files. */
export function ownPaths(requests, origin) {
  return requests.map((u) => {
    const url = new URL(u);
    assert.equal(url.origin, origin, `request to another origin: ${u}`);
    return url.pathname;
  });
}
