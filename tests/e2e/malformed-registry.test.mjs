// Issue 2: a registry that is not valid JSON, or not a valid registry, is
// refused by every command with its position, and is never rewritten.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { diffSnapshots, lines, makeRepo, NO_CHANGE, positionOf, REGISTRY } from './helpers.mjs';

// Line 5 lacks the comma between "service" and "module".
const BROKEN = [
  '{',
  '  "version": 1,',
  '  "updatedAt": "2026-01-01T00:00:00.000Z",',
  '  "targets": [',
  '    {"id": "a", "type": "service" "module": "apps/a", "dockerfile": "ops/packaging/services/a.Dockerfile"}',
  '  ]',
  '}',
  '',
].join('\n');

const COMMANDS = [
  ['list'],
  ['add-service', '--id', 'x'],
  ['remove', '--id', 'a'],
  ['status'],
  ['verify'],
  ['build', '--target', 'a'],
  ['build-all'],
  ['init'],
];

describe('a registry with a JSON syntax error', () => {
  let repo;
  const where = positionOf(BROKEN, '"module"');
  const at = `${REGISTRY}:${where.line}:${where.column}`;

  before(() => {
    repo = makeRepo({ templates: true, fakeDocker: true });
    repo.write('ops/packaging/services/a.Dockerfile', 'FROM scratch\n');
    repo.write(REGISTRY, BROKEN);
  });
  after(() => repo.cleanup());

  test('the fixture has its error on line 5', () => {
    assert.equal(where.line, 5);
    assert.equal(where.column, 35); // 4 spaces + `{"id": "a", "type": "service" ` = 34 characters before it
  });

  for (const args of COMMANDS) {
    test(`${args.join(' ')} refuses it with ${REGISTRY}:5:<col>, exit 1, nothing changed`, () => {
      const registryBefore = repo.readBytes(REGISTRY);
      const snap = repo.snapshotAll();
      const r = repo.run(args);
      assert.equal(r.code, 1, `exit code\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
      if (args[0] === 'verify') {
        assert.deepEqual(lines(r.stdout), [
          '',
          'Errors:',
          `  - ${at}: error[PKG001]: invalid JSON: expected \`,\` or \`}\``,
          '[error] Verification failed.',
        ]);
        assert.equal(r.stderr, '');
      } else {
        assert.deepEqual(lines(r.stderr), [
          `[error] ${at}: error[PKG001]: invalid JSON: expected \`,\` or \`}\``,
          `[error] ${REGISTRY} was left unchanged; fix it and run the command again`,
        ]);
        assert.equal(r.stdout, '');
      }
      assert.ok(repo.readBytes(REGISTRY).equals(registryBefore), 'registry bytes unchanged');
      assert.deepEqual(diffSnapshots(snap, repo.snapshotAll()), NO_CHANGE);
      assert.equal(repo.exists('../../../docker.log'), false, 'docker was never called');
    });
  }
});

// Registries that parse as JSON but are not registries. Each entry: the text,
// the needle its diagnostic points at (first character of the value), the code
// and the message.
const STRUCTURAL = [
  {
    name: 'an empty file',
    text: '',
    at: { line: 1, column: 1 },
    code: 'PKG001',
    message: 'invalid JSON: the file is empty; an empty registry is {"version": 1, "targets": []}',
  },
  {
    name: 'a top-level array',
    text: '[]\n',
    needle: '[]',
    code: 'PKG002',
    message: 'the registry must be a JSON object with "version" and "targets", not an array',
  },
  {
    name: '"targets" that is an object',
    text: '{\n  "version": 1,\n  "targets": {}\n}\n',
    needle: '{}',
    code: 'PKG004',
    message: '"targets" must be an array, not an object',
  },
  {
    name: 'version 2',
    text: '{\n  "version": 2,\n  "targets": []\n}\n',
    needle: '2',
    code: 'PKG003',
    message: 'registry version 2 is not supported; this tool reads and writes version 1',
  },
  {
    name: 'a target without "id"',
    text: '{\n  "version": 1,\n  "targets": [\n    {\n      "type": "service",\n      "image": "x"\n    }\n  ]\n}\n',
    needle: '{\n      "type"',
    code: 'PKG006',
    message: 'target 0 has no "id"',
  },
  {
    name: 'a second target without "type"',
    text:
      '{\n  "version": 1,\n  "targets": [\n    {"id": "a", "type": "job"},\n    {\n      "id": "b"\n    }\n  ]\n}\n',
    needle: '{\n      "id": "b"',
    code: 'PKG007',
    message: 'target 1 (b) has no "type"',
  },
  {
    name: 'a target that is not an object',
    text: '{\n  "version": 1,\n  "targets": [\n    {"id": "a", "type": "job"},\n    "b"\n  ]\n}\n',
    needle: '"b"',
    code: 'PKG005',
    message: 'target 1 must be an object, not a string',
  },
  {
    name: '"module": 5',
    text: '{\n  "version": 1,\n  "targets": [\n    {\n      "id": "a",\n      "type": "service",\n      "module": 5\n    }\n  ]\n}\n',
    needle: '5',
    code: 'PKG008',
    message: 'target 0: "module" must be a string, not a number',
  },
];

describe('registries that are not valid registries', () => {
  for (const c of STRUCTURAL) {
    test(`${c.name}: add-service --id zz refuses it; verify reports it`, () => {
      const repo = makeRepo({ templates: true });
      try {
        repo.write(REGISTRY, c.text);
        const { line, column } = c.at ?? positionOf(c.text, c.needle);
        const registryBefore = repo.readBytes(REGISTRY);
        const snap = repo.snapshotAll();

        const r = repo.run(['add-service', '--id', 'zz']);
        assert.equal(r.code, 1, `exit code\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
        assert.equal(r.stdout, '');
        assert.deepEqual(lines(r.stderr), [
          `[error] ${REGISTRY}:${line}:${column}: error[${c.code}]: ${c.message}`,
          `[error] ${REGISTRY} was left unchanged; fix it and run the command again`,
        ]);
        assert.ok(repo.readBytes(REGISTRY).equals(registryBefore), 'registry bytes unchanged');
        assert.deepEqual(diffSnapshots(snap, repo.snapshotAll()), NO_CHANGE);

        const v = repo.run(['verify']);
        assert.equal(v.code, 1, `verify exit code\n${v.stdout}${v.stderr}`);
        const out = lines(v.stdout);
        assert.deepEqual(out.slice(0, 3), [
          '',
          'Errors:',
          `  - ${REGISTRY}:${line}:${column}: error[${c.code}]: ${c.message}`,
        ]);
        assert.equal(out.at(-1), '[error] Verification failed.');
        assert.ok(repo.readBytes(REGISTRY).equals(registryBefore), 'registry bytes unchanged after verify');
      } finally {
        repo.cleanup();
      }
    });
  }
});
