// A small consumer of ctl-packaging's JS API, type-checked (never run) by
// api.test.mjs with `tsc --noEmit -p tests/api/tsconfig.json` against
// pkg-shim/index.d.ts. "ctl-packaging" is the Node entry (index.mjs) and
// "ctl-packaging/browser" the browser one (browser.mjs); tsconfig.json maps
// both to the one declaration file.
import {
  applyTag,
  checkDockerfile,
  formatRegistry,
  parseImageReference,
  parseRegistry,
  ready,
  validateRegistry,
  version,
  type Diagnostic,
  type DiagnosticsError,
  type ImageReference,
  type Registry,
  type Severity,
  type Validation,
} from "ctl-packaging";
import * as browser from "ctl-packaging/browser";

await ready;
await browser.ready;
await browser.init();
await browser.init(new URL("https://example.com/assets/ctl_packaging_bg.wasm"));
await browser.init(new Uint8Array([0, 97, 115, 109]));

const text: string = '{ "version": 1, "targets": [] }';
const result: Validation = validateRegistry(text);
const ok: boolean = result.ok;
const targets: number = result.targets;
const first: Diagnostic | undefined = result.diagnostics[0];
if (first) {
  const severity: Severity = first.severity;
  const where: string = `${first.file}:${first.line}:${first.column}-${first.endLine}:${first.endColumn}`;
  const what: string = `${first.code} ${first.message} at ${first.pointer}`;
  console.log(severity === "error" || severity === "warning", where, what);
}

try {
  const registry: Registry = parseRegistry(text);
  for (const target of registry.targets) {
    const id: string = target.id;
    const kind: string = target.type;
    const image: string | undefined = target.image;
    const extra = target["platforms"];
    console.log(id, kind, image, extra);
  }
  const formatted: string = formatRegistry(text);
  console.log(formatted.endsWith("\n"));
} catch (e) {
  const error = e as DiagnosticsError;
  const messages: string[] = error.diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`);
  console.log(error.message, messages);
}

const tagged: string = applyTag("registry.example.com:5000/team/api:1", "v2");
const reference: ImageReference = parseImageReference(tagged);
const host: string | null = reference.registry;
const tag: string | null = reference.tag;
const findings: Diagnostic[] = checkDockerfile("FROM scratch\n");
const named: Diagnostic[] = browser.checkDockerfile("FROM scratch\n", "api.Dockerfile");
const sameVersion: boolean = version === browser.version;
const browserResult: Validation = browser.validateRegistry(text);

console.log(ok, targets, host, tag, findings.length, named.length, sameVersion, browserResult.ok);

export {};
