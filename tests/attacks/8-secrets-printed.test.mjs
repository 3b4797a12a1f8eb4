// Attack class 8 (issue 14): secrets printed. An image pasted with its
// credentials, in every shape (a URL scheme, bare userinfo), is refused or
// reported naming the credentials rule, with the password redacted.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { makeRepo, REGISTRY } from '../e2e/helpers.mjs';

const PASSWORD = 's3cr3t-Pa55';
const SHAPES = [
  `https://user:${PASSWORD}@ghcr.io/x`,
  `oci://user:${PASSWORD}@ghcr.io/team/x:1.0`,
  `https://user:${PASSWORD}@ghcr.io`,
  `user:${PASSWORD}@ghcr.io/x`,
];

for (const image of SHAPES) {
  test(`add --image ${image.replace(PASSWORD, '<password>')} is refused as credentials, the password redacted`, () => {
    const repo = makeRepo({ templates: true });
    try {
      assert.equal(repo.run(['init']).code, 0);
      const before = repo.read(REGISTRY);
      const r = repo.run(['add-service', '--id', 'svc', '--image', image]);
      const out = r.stdout + r.stderr;
      assert.notEqual(r.code, 0);
      assert.ok(!out.includes(PASSWORD), `the password is not printed:\n${out}`);
      assert.match(out, /carries credentials/);
      assert.doesNotMatch(out, /digest/);
      assert.equal(repo.read(REGISTRY), before);
    } finally {
      repo.cleanup();
    }
  });

  test(`verify on a registry image ${image.replace(PASSWORD, '<password>')} reports PKG015, the password redacted`, () => {
    const repo = makeRepo({ templates: true });
    try {
      assert.equal(repo.run(['init']).code, 0);
      repo.write(REGISTRY, `${JSON.stringify({ version: 1, targets: [{ id: 'svc', type: 'service', dockerfile: 'x/Dockerfile', context: '.', image }] }, null, 2)}\n`);
      for (const args of [['verify'], ['verify', '--format', 'json']]) {
        const r = repo.run(args);
        const out = r.stdout + r.stderr;
        assert.notEqual(r.code, 0);
        assert.ok(!out.includes(PASSWORD), `${args.join(' ')}: the password is not printed:\n${out}`);
        assert.match(out, /PKG015/);
        assert.doesNotMatch(out, /PKG012/);
      }
    } finally {
      repo.cleanup();
    }
  });
}
