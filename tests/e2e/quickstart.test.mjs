// The documented quickstart on a repository with the templates in place
// gives exactly the lines of the interface (docs/interface: init, add-service,
// add-job, list, list --format json, status, verify).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import { diffSnapshots, ISO_MS, makeRepo, REGISTRY, TEMPLATES } from './helpers.mjs';

const TS = /"(updatedAt|addedAt)": "([^"]*)"/g;
const normalise = (text) => text.replace(TS, (_, k) => `"${k}": "<TS>"`);

const API = `    {
      "id": "api",
      "type": "service",
      "module": "apps/backend",
      "dockerfile": "ops/packaging/services/api.Dockerfile",
      "context": "apps/backend",
      "image": "api",
      "addedAt": "<TS>"
    }`;
const CRON = `    {
      "id": "cron-task",
      "type": "job",
      "module": "jobs/cron",
      "dockerfile": "ops/packaging/jobs/cron-task.Dockerfile",
      "context": "jobs/cron",
      "image": "cron-task",
      "addedAt": "<TS>"
    }`;
const registryWith = (...targets) =>
  `{\n  "version": 1,\n  "updatedAt": "<TS>",\n  "targets": [\n${targets.join(',\n')}\n  ]\n}\n`;

test('quickstart: init, add-service, add-job, list, list --format json, status, verify', () => {
  const repo = makeRepo({ templates: true });
  try {
    const templateRegistry = fs.readFileSync(path.join(TEMPLATES, REGISTRY));
    const step = (args) => {
      const snap = repo.snapshotRepo();
      const r = repo.run(args);
      assert.equal(r.stderr, '', `${args.join(' ')}: stderr`);
      assert.equal(r.code, 0, `${args.join(' ')}: exit code\n${r.stdout}`);
      return { ...r, changes: diffSnapshots(snap, repo.snapshotRepo()) };
    };

    const init = step(['init']);
    assert.equal(
      init.stdout,
      '[ok] Packaging configuration initialized.\n' +
        '  skip: ops/packaging [exists]\n' +
        '  skip: ops/packaging/services [exists]\n' +
        '  skip: ops/packaging/jobs [exists]\n' +
        '  skip: ops/packaging/apps [exists]\n' +
        '  skip: ops/packaging/scripts [exists]\n' +
        '  skip: ops/packaging/handbook [exists]\n' +
        '  skip: docs/packaging [exists]\n',
    );
    assert.deepEqual(init.changes, { added: [], removed: [], changed: [] }, 'init changes nothing here');
    assert.ok(repo.readBytes(REGISTRY).equals(templateRegistry), 'the template registry is kept as is');

    const api = step(['add-service', '--id', 'api', '--module', 'apps/backend']);
    assert.equal(api.stdout, '[ok] Added packaging target: api (service)\n');
    assert.deepEqual(api.changes, {
      added: ['ops/packaging/services/api.Dockerfile'],
      removed: [],
      changed: [REGISTRY],
    });
    assert.equal(normalise(repo.read(REGISTRY)), registryWith(API));

    const cron = step(['add-job', '--id', 'cron-task', '--module', 'jobs/cron']);
    assert.equal(cron.stdout, '[ok] Added packaging target: cron-task (job)\n');
    assert.deepEqual(cron.changes, {
      added: ['ops/packaging/jobs/cron-task.Dockerfile'],
      removed: [],
      changed: [REGISTRY],
    });
    const registryText = repo.read(REGISTRY);
    assert.equal(normalise(registryText), registryWith(API, CRON));
    for (const [, , ts] of registryText.matchAll(TS)) assert.match(ts, ISO_MS);

    const list = step(['list']);
    assert.equal(list.stdout, 'Packaging Targets (2):\n\n  [service] api -> apps/backend\n  [job] cron-task -> jobs/cron\n');

    const listJson = step(['list', '--format', 'json']);
    assert.equal(listJson.stdout, registryText, 'list --format json is the registry as written');

    const status = step(['status']);
    const updatedAt = JSON.parse(registryText).updatedAt;
    assert.equal(status.stdout, `Packaging Status:\n  Initialized: yes\n  Targets: 2\n  Updated at: ${updatedAt}\n`);

    const statusJson = step(['status', '--format', 'json']);
    assert.equal(statusJson.stdout, `{\n  "initialized": true,\n  "targets": 2,\n  "updatedAt": "${updatedAt}"\n}\n`);

    // The modules are not created yet: a warning each (PKG047), and verify passes.
    const verify = step(['verify']);
    assert.match(verify.stdout, /^\nWarnings:\n  - docs\/packaging\/registry\.json:\d+:\d+: warning\[PKG047\]: module "apps\/backend" of target "api" does not exist yet; the build fails until it does\n  - docs\/packaging\/registry\.json:\d+:\d+: warning\[PKG047\]: module "jobs\/cron" of target "cron-task" does not exist yet; the build fails until it does\n\[ok\] Packaging configuration verified\.\n$/);

    for (const s of [list, listJson, status, statusJson, verify]) {
      assert.deepEqual(s.changes, { added: [], removed: [], changed: [] }, 'read-only commands write nothing');
    }
  } finally {
    repo.cleanup();
  }
});

test('init in an empty repository creates the layout and the registry', () => {
  const repo = makeRepo();
  try {
    const r = repo.run(['init']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      '[ok] Packaging configuration initialized.\n' +
        '  mkdir: ops/packaging\n' +
        '  mkdir: ops/packaging/services\n' +
        '  mkdir: ops/packaging/jobs\n' +
        '  mkdir: ops/packaging/apps\n' +
        '  mkdir: ops/packaging/scripts\n' +
        '  mkdir: ops/packaging/handbook\n' +
        '  mkdir: docs/packaging\n' +
        '  write: docs/packaging/registry.json\n',
    );
    assert.equal(normalise(repo.read(REGISTRY)), '{\n  "version": 1,\n  "updatedAt": "<TS>",\n  "targets": []\n}\n');
    const list = repo.run(['list']);
    assert.equal(list.stdout, 'Packaging Targets (0):\n\n  (no targets defined)\n');
  } finally {
    repo.cleanup();
  }
});
