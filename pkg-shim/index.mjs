// ctl-packaging's JS API for Node: the CLI's core, in the API module.
//
//   import { validateRegistry, formatRegistry, version } from './index.mjs';
//
// The module is ready as soon as the import resolves: the wasm file next to
// this one is read from disk and instantiated synchronously. `ready` is an
// already-resolved promise, so code written for the browser entry
// (`browser.mjs`) runs unchanged. Types: index.d.ts.
import fs from 'node:fs';
import {
  initSync,
  applyTag,
  checkDockerfile,
  formatRegistry,
  parseImageReference,
  parseRegistry,
  validateRegistry,
  version as coreVersion,
} from './ctl_packaging.mjs';

initSync({ module: fs.readFileSync(new URL('./ctl_packaging_bg.wasm', import.meta.url)) });

/** The version of the core. */
export const version = coreVersion();

/** Resolved: the Node entry is ready once imported. */
export const ready = Promise.resolve();

/** The browser entry's `init`; here the core is loaded at import, so it resolves at once. */
export async function init() {}

export { applyTag, checkDockerfile, formatRegistry, parseImageReference, parseRegistry, validateRegistry };
