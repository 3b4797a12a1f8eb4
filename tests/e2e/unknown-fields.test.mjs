// Issue 2: fields the tool does not know, at the top level and inside
// targets, survive every rewrite with their values and in their order.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ISO_MS, lines, makeRepo, REGISTRY } from './helpers.mjs';

// The registry as the CLI itself writes it (2-space JSON, known keys first),
// with unknown fields: two at the top level, three in a target (one of them a
// nested object whose keys are deliberately not sorted).
const TARGET_A = `    {
      "id": "a",
      "type": "service",
      "module": "apps/a",
      "dockerfile": "ops/packaging/services/a.Dockerfile",
      "context": "apps/a",
      "image": "a",
      "addedAt": "2026-01-01T00:00:00.000Z",
      "platforms": [
        "linux/amd64"
      ],
      "build": {
        "zeta": {
          "y": [
            1,
            2.5,
            null
          ],
          "x": true
        },
        "args": {
          "B": "2",
          "A": "1"
        }
      },
      "notes": null
    }`;
const TOP_EXTRA = `  "owner": "team-a",
  "x-review": {
    "by": "someone",
    "at": "2026-01-01"
  }`;
const CANONICAL = `{
  "version": 1,
  "updatedAt": "2026-01-01T00:00:00.000Z",
  "targets": [
${TARGET_A}
  ],
${TOP_EXTRA}
}
`;

const withoutUpdatedAt = (text) => text.replace(/"updatedAt": "[^"]*"/, '"updatedAt": "<TS>"');

test('add-service then remove keeps unknown fields byte for byte, in order', () => {
  const repo = makeRepo({ templates: true });
  try {
    repo.write('ops/packaging/services/a.Dockerfile', 'FROM scratch\n');
    repo.write(REGISTRY, CANONICAL);

    const add = repo.run(['add-service', '--id', 'b']);
    assert.equal(add.code, 0, add.stderr);
    assert.deepEqual(lines(add.stdout), ['[ok] Added packaging target: b (service)']);
    assert.equal(add.stderr, '');
    const afterAdd = repo.read(REGISTRY);
    // The unknown parts are there, with their exact text.
    assert.ok(afterAdd.includes(`${TARGET_A},\n`), `target a kept verbatim:\n${afterAdd}`);
    assert.ok(afterAdd.includes(`  ],\n${TOP_EXTRA}\n}\n`), `top-level extras kept verbatim:\n${afterAdd}`);
    const parsed = JSON.parse(afterAdd);
    assert.deepEqual(Object.keys(parsed), ['version', 'updatedAt', 'targets', 'owner', 'x-review']);
    assert.equal(parsed.owner, 'team-a');
    assert.deepEqual(parsed.targets.map((t) => t.id), ['a', 'b']);
    assert.deepEqual(Object.keys(parsed.targets[0]), [
      'id', 'type', 'module', 'dockerfile', 'context', 'image', 'addedAt', 'platforms', 'build', 'notes',
    ]);
    assert.deepEqual(parsed.targets[0].platforms, ['linux/amd64']);
    assert.deepEqual(Object.keys(parsed.targets[0].build), ['zeta', 'args']);
    assert.deepEqual(Object.keys(parsed.targets[0].build.args), ['B', 'A']);
    assert.match(parsed.updatedAt, ISO_MS);
    assert.notEqual(parsed.updatedAt, '2026-01-01T00:00:00.000Z', 'updatedAt is set on every write');

    const rm = repo.run(['remove', '--id', 'b']);
    assert.equal(rm.code, 0, rm.stderr);
    assert.deepEqual(lines(rm.stdout), ['[ok] Removed packaging target: b']);
    const afterRemove = repo.read(REGISTRY);
    // Apart from updatedAt, the file is exactly what it was.
    assert.equal(withoutUpdatedAt(afterRemove), withoutUpdatedAt(CANONICAL));
    assert.deepEqual(
      { ...JSON.parse(afterRemove), updatedAt: null },
      { ...JSON.parse(CANONICAL), updatedAt: null },
    );
  } finally {
    repo.cleanup();
  }
});

test('unknown fields written between known ones keep their values and relative order', () => {
  const repo = makeRepo({ templates: true });
  try {
    // Hand-edited: unknown keys before, between and after the known ones.
    const text = `{
  "owner": "team-a",
  "version": 1,
  "labels": {"b": 1, "a": [2, {"d": 4, "c": 3}]},
  "targets": [
    {"platforms": ["linux/amd64", "linux/arm64"], "type": "job", "id": "w", "zeta": 1, "dockerfile": "ops/packaging/jobs/w.Dockerfile", "alpha": {"b": 1, "a": 2}}
  ],
  "updatedAt": "2026-01-01T00:00:00.000Z",
  "z-last": false
}
`;
    repo.write('ops/packaging/jobs/w.Dockerfile', 'FROM scratch\n');
    repo.write(REGISTRY, text);
    const original = JSON.parse(text);
    const unknownTop = ['owner', 'labels', 'z-last'];
    const unknownTarget = ['platforms', 'zeta', 'alpha'];
    const check = (stage) => {
      const now = JSON.parse(repo.read(REGISTRY));
      assert.deepEqual(Object.keys(now).filter((k) => unknownTop.includes(k)), unknownTop, `${stage}: top-level order`);
      for (const k of unknownTop) assert.deepEqual(now[k], original[k], `${stage}: ${k}`);
      assert.deepEqual(
        JSON.stringify(now.labels),
        JSON.stringify(original.labels),
        `${stage}: nested key order of "labels"`,
      );
      const w = now.targets.find((t) => t.id === 'w');
      assert.ok(w, `${stage}: target w is kept`);
      assert.deepEqual(Object.keys(w).filter((k) => unknownTarget.includes(k)), unknownTarget, `${stage}: target order`);
      for (const k of unknownTarget) assert.deepEqual(w[k], original.targets[0][k], `${stage}: target ${k}`);
      assert.equal(JSON.stringify(w.alpha), '{"b":1,"a":2}', `${stage}: nested order in target`);
      return now;
    };

    const add = repo.run(['add-service', '--id', 'b']);
    assert.equal(add.code, 0, add.stderr);
    assert.deepEqual(check('after add').targets.map((t) => t.id), ['w', 'b']);
    const rm = repo.run(['remove', '--id', 'b']);
    assert.equal(rm.code, 0, rm.stderr);
    assert.deepEqual(check('after remove').targets.map((t) => t.id), ['w']);
  } finally {
    repo.cleanup();
  }
});
