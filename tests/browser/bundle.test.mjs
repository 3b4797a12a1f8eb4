// The browser entry, bundled by esbuild into an app, in headless Chromium: esbuild does not
// ship the wasm with the bundle, so the load on import fails (the import itself does not),
// every function then says to call init(), and `await init(url)` with the wasm copied next
// to the app (or `init(bytes)`) makes the same calls work. This is what the README's
// "Bundling" lines tell a user to do.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import esbuild from 'esbuild';

import { DIST, isolatedPage, launchChromium, ROOT, startPythonServer, tmpdir } from './helpers.mjs';

let browser;
before(async () => {
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

const APP = `
import { init, ready, validateRegistry, version } from 'ctl-packaging';
const out = {};
try {
  validateRegistry('{"version": 1, "targets": []}');
  out.before = 'no error';
} catch (e) {
  out.before = e.message;
}
const mode = new URL(location.href).searchParams.get('mode');
if (mode === 'url') await init(new URL('./assets/core.wasm', location.href));
if (mode === 'bytes') await init(await (await fetch('./assets/core.wasm')).arrayBuffer());
await ready;
out.version = version;
out.result = validateRegistry('{"version": 1, "targets": [{"id": "Bad Id", "type": "job"}]}');
document.documentElement.dataset.result = JSON.stringify(out);
`;

test('an esbuild bundle loads the core with init(url) or init(bytes)', async (t) => {
  const dir = tmpdir(t, 'ctl-bundle-');
  // The package as an app would have it installed.
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'ctl-packaging'));
  fs.writeFileSync(path.join(dir, 'app.mjs'), APP);
  const out = path.join(dir, 'out');
  await esbuild.build({
    absWorkingDir: dir,
    entryPoints: ['app.mjs'],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    outfile: path.join(out, 'app.js'),
    logLevel: 'silent',
  });
  assert.ok(!fs.readdirSync(out).some((f) => f.endsWith('.wasm')), 'esbuild left the wasm behind');
  fs.mkdirSync(path.join(out, 'assets'));
  fs.copyFileSync(path.join(DIST, 'scripts', 'ctl_packaging_bg.wasm'), path.join(out, 'assets', 'core.wasm'));
  fs.writeFileSync(path.join(out, 'index.html'), '<!doctype html><script type="module" src="./app.js"></script>\n');

  const server = await startPythonServer(out);
  try {
    for (const mode of ['url', 'bytes']) {
      const { page } = await isolatedPage(browser, server.origin);
      await page.goto(`${server.origin}/index.html?mode=${mode}`);
      await page.waitForFunction(() => document.documentElement.dataset.result, null, { timeout: 20000 });
      const got = JSON.parse(await page.evaluate(() => document.documentElement.dataset.result));
      assert.match(got.before, /^ctl-packaging: the WebAssembly core is not loaded \(from http:\/\/127\.0\.0\.1:\d+\/ctl_packaging_bg\.wasm: .+\); call await init\(urlOrBytes\)/, mode);
      assert.match(got.version, /^\d+\.\d+\.\d+$/);
      assert.equal(got.result.ok, false, mode);
      assert.equal(got.result.diagnostics[0].code, 'PKG010', mode);
      await page.context().close();
    }
  } finally {
    await server.close();
  }
});
