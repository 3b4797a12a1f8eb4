// `npm run serve` (scripts/serve.mjs): serves dist/packaging/ on 127.0.0.1,
// prints the page's URL, sends the right types (application/wasm), stays inside
// its folder; the page works through it in headless Chromium.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { OWN_FILES, ROOT, isolatedPage, launchChromium, openValidator, ownPaths, screenshot, setText, summaryIs } from './helpers.mjs';

/** Start a command that serves, wait for the page URL line; returns { url, origin, out, stop }. */
async function startServing(cmd, args) {
  const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 20000);
    const onData = (chunk) => {
      out += chunk;
      const m = out.match(/validator page: (http:\/\/127\.0\.0\.1:\d+\/web\/)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited (${code}) before serving: ${out}`));
    });
  });
  return {
    url,
    origin: new URL(url).origin,
    out: () => out,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', resolve);
        // Its own process group (npm runs node as a child): signal the group this test started.
        process.kill(-child.pid, 'SIGTERM');
      }),
  };
}

function get(origin, rawPath, method = 'GET') {
  return new Promise((resolve, reject) => {
    const req = http.request(`${origin}${rawPath}`, { method }, (res) => {
      let body = '';
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode, type: res.headers['content-type'], body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

let server;
let browser;

before(async () => {
  server = await startServing(process.execPath, [path.join('scripts', 'serve.mjs'), '--port', '0']);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('serve.mjs prints the URL of the page on 127.0.0.1', () => {
  assert.match(server.out(), /^\[serve\] serving .*dist\/packaging on http:\/\/127\.0\.0\.1:\d+\/\n\[serve\] validator page: http:\/\/127\.0\.0\.1:\d+\/web\/\n/);
});

test('it serves each file with its type, and nothing outside dist/packaging', async () => {
  const types = {
    '/web/': 'text/html; charset=utf-8',
    '/web/app.js': 'text/javascript; charset=utf-8',
    '/web/style.css': 'text/css; charset=utf-8',
    '/scripts/browser.mjs': 'text/javascript; charset=utf-8',
    '/scripts/ctl_packaging.mjs': 'text/javascript; charset=utf-8',
    '/scripts/ctl_packaging_bg.wasm': 'application/wasm',
  };
  assert.deepEqual(Object.keys(types).sort(), [...OWN_FILES].sort());
  for (const [p, type] of Object.entries(types)) {
    const r = await get(server.origin, p);
    assert.equal(r.status, 200, p);
    assert.equal(r.type, type, p);
  }
  assert.equal((await get(server.origin, '/web')).status, 301);
  assert.equal((await get(server.origin, '/web')).headers.location, '/web/');
  assert.equal((await get(server.origin, '/scripts/browser.mjs', 'HEAD')).body, '');
  for (const p of ['/../package.json', '/%2e%2e/package.json', '/web/../../Cargo.toml', '/..%2fCargo.toml', '/nope.html', '/%00']) {
    assert.ok([400, 404].includes((await get(server.origin, p)).status), p);
  }
  assert.equal((await get(server.origin, '/web/', 'POST')).status, 405);
});

test('the page works through it, with no other request', async (t) => {
  const session = await isolatedPage(browser, server.origin);
  t.after(() => session.context.close());
  const { page, requests, blocked } = session;
  await page.goto(server.url);
  await openValidator(page, server.origin);
  await setText(page, '{"version": 1, "targets": [{"id": "api", "type": "service"}]}');
  await summaryIs(page, 'valid: 1 target');
  await screenshot(page, 'served-by-npm-run-serve');
  assert.deepEqual(blocked, []);
  assert.deepEqual([...new Set(ownPaths(requests, server.origin))].sort(), [...OWN_FILES].sort());
});

test('npm run serve -- --port 0 starts it too', async () => {
  const s = await startServing('npm', ['run', '--silent', 'serve', '--', '--port', '0']);
  try {
    const r = await get(s.origin, '/web/');
    assert.equal(r.status, 200);
    assert.match(r.body, /<title>Packaging registry validator/);
  } finally {
    await s.stop();
  }
});
