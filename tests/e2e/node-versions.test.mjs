// The CLI runs on the Node.js lines in use (package.json "engines": ^22.12 || ^24 || >=26)
// and says so in one line on an older one, before it does anything. scripts/test.sh runs
// the whole end-to-end suite on Node 22, 24 and 26 (scripts/node-lines.sh); here an older
// Node is simulated by a preload that reports another version, so the check is tested on
// whatever Node runs the suite.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import { CTL, diffSnapshots, lines, makeRepo, NO_CHANGE } from './helpers.mjs';

function withNodeVersion(repo, version) {
  const preload = path.join(repo.base, `node-${version}.cjs`);
  fs.writeFileSync(
    preload,
    `Object.defineProperty(process, 'versions', { value: { ...process.versions, node: ${JSON.stringify(version)} } });\n`,
  );
  return (args) => repo.exec(process.execPath, ['--require', preload, CTL, ...args]);
}

test('an older Node.js gets one line on stderr and exit 1, and nothing is written', () => {
  const repo = makeRepo({ templates: true });
  try {
    for (const version of ['18.20.4', '20.20.2', '22.11.0']) {
      const run = withNodeVersion(repo, version);
      const snap = repo.snapshotRepo();
      const r = run(['add-service', '--id', 'api']);
      assert.equal(r.code, 1, version);
      assert.equal(r.stdout, '');
      assert.deepEqual(lines(r.stderr), [
        `[error] ctl-packaging needs Node.js 22.12 or newer (the 22, 24 and 26 lines); this is Node.js ${version}`,
      ]);
      assert.deepEqual(diffSnapshots(snap, repo.snapshotRepo()), NO_CHANGE, version);
    }
  } finally {
    repo.cleanup();
  }
});

test('the supported lines run', () => {
  const repo = makeRepo({ templates: true });
  try {
    for (const version of ['22.12.0', '24.0.0', '26.1.0']) {
      const r = withNodeVersion(repo, version)(['status']);
      assert.equal(r.code, 0, `${version}: ${r.stderr}`);
      assert.equal(lines(r.stdout)[0], 'Packaging Status:');
    }
  } finally {
    repo.cleanup();
  }
});
