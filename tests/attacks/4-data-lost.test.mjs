// Attack class 4 (issue 14): data lost on rewrite. A duplicate key is a
// blocking error with its line:column and the file stays byte-identical;
// unknown values are kept byte for byte, numbers as written.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { makeRepo, positionOf, REGISTRY } from '../e2e/helpers.mjs';

const target = (id) => `{"id": "${id}", "type": "service", "dockerfile": "ops/packaging/services/${id}.Dockerfile", "context": ".", "image": "${id}"}`;

const duplicates = {
  'a second "targets"': [`{"version": 1, "targets": [${target('a')}], "targets": [${target('b')}]}\n`, '"targets"', 1],
  'a second "id" in a target': [`{"version": 1, "targets": [{"id": "a", "id": "b", "type": "service", "dockerfile": "x/Dockerfile", "context": ".", "image": "a"}]}\n`, '"id"', 1],
  'an escaped second "targets"': [`{"version": 1, "targets": [${target('a')}], "t\\u0061rgets": []}\n`, '"t\\u0061rgets"', 0],
  'a duplicate inside an unknown value': [`{"version": 1, "targets": [], "x-extra": {"k": 1, "k": 2}}\n`, '"k"', 1],
};

for (const [name, [text, key, nth]] of Object.entries(duplicates)) {
  test(`${name} is refused with PKG009 at its line:column; the file stays byte-identical`, () => {
    const repo = makeRepo({ templates: true });
    try {
      assert.equal(repo.run(['init']).code, 0);
      repo.write(REGISTRY, text);
      const { line, column } = positionOf(text, key, nth);
      for (const args of [['add-service', '--id', 'c'], ['remove', '--id', 'a'], ['list'], ['verify']]) {
        const r = repo.run(args);
        const out = r.stdout + r.stderr;
        assert.notEqual(r.code, 0, `${args.join(' ')}: ${out}`);
        assert.match(out, /PKG009/, `${args.join(' ')}: ${out}`);
        assert.ok(out.includes(`${REGISTRY}:${line}:${column}`), `${args.join(' ')} names ${line}:${column}: ${out}`);
        assert.equal(repo.read(REGISTRY), text, `${args.join(' ')} left the file byte-identical`);
      }
    } finally {
      repo.cleanup();
    }
  });
}

test('unknown numbers are kept as written through a rewrite', () => {
  const repo = makeRepo({ templates: true });
  try {
    assert.equal(repo.run(['init']).code, 0);
    const numbers = ['12345678901234567890123', '1e2', '-0', '1.50', '0.1000000000000000055511151231257827', '-1E-7'];
    const extra = numbers.map((n, i) => `"n${i}": ${n}`).join(', ');
    repo.write(REGISTRY, `{"version": 1, ${extra}, "targets": [{"id": "a", "type": "service", "dockerfile": "x/Dockerfile", "context": ".", "image": "a", ${extra}, "nested": {"list": [${numbers.join(', ')}]}}]}\n`);
    const r = repo.run(['add-service', '--id', 'b']);
    assert.equal(r.code, 0, r.stderr);
    const after = repo.read(REGISTRY);
    numbers.forEach((n, i) => {
      const at = [...after.matchAll(new RegExp(`"n${i}": ${n.replace(/[.+-]/g, '\\$&')}[,\\n]`, 'g'))];
      assert.equal(at.length, 2, `"n${i}": ${n} kept as written at the top and in the target:\n${after}`);
    });
    for (const n of numbers) assert.ok(after.includes(n), `${n} in the nested list`);
  } finally {
    repo.cleanup();
  }
});
