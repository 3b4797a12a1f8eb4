// ctl-packaging's JS API for browsers: the same WebAssembly core as the CLI,
// with no bundler.
//
//   import { validateRegistry, version } from './browser.mjs';
//
// This module uses top-level await: when the import resolves, the wasm file
// next to it (`ctl_packaging_bg.wasm`, found from import.meta.url) has been
// fetched and compiled while downloading (WebAssembly.instantiateStreaming,
// which needs the server to send `Content-Type: application/wasm`; with
// another type the glue falls back to a slower instantiate and warns in the
// console). If loading fails, the import itself rejects with the reason, so
// load it with a dynamic `import()` where you want to show that error.
// `ready` is exported for symmetry with the Node entry (index.mjs) and is
// already resolved. Types: index.d.ts.
import init, {
  applyTag,
  checkDockerfile,
  formatRegistry,
  parseImageReference,
  parseRegistry,
  validateRegistry,
  version as coreVersion,
} from './ctl_packaging.mjs';

await init({ module_or_path: new URL('./ctl_packaging_bg.wasm', import.meta.url) });

/** The version of the core. */
export const version = coreVersion();

/** Resolved: the module is ready once imported. */
export const ready = Promise.resolve();

export { applyTag, checkDockerfile, formatRegistry, parseImageReference, parseRegistry, validateRegistry };
