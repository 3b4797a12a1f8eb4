// ctl-packaging's JS API for browsers: the CLI's core, in the API module.
//
//   import { validateRegistry, version } from './browser.mjs';
//
// On import, the module loads the wasm file next to it (`ctl_packaging_bg.wasm`,
// found from import.meta.url) with streaming compilation (the server must send
// `Content-Type: application/wasm`; with another type the glue falls back to a
// slower instantiate and warns in the console). Vite and webpack see that URL and
// ship the wasm with the bundle; with a bundler that does not (esbuild), copy the
// wasm where your page can fetch it and call
//
//   await init(new URL('/assets/ctl_packaging_bg.wasm', location.href));  // or its bytes
//
// before the first call. `init(source)` takes a URL (or a string holding one), a
// Response, the bytes (ArrayBuffer, typed array) or a compiled WebAssembly.Module;
// it resolves once the core is ready and does nothing after it once succeeded.
// `ready` resolves when the module is usable (after the load on import, or after the
// first successful `init`). If the load on import fails, the import still succeeds:
// every function then throws an Error that says what failed and to call `init`.
// Types: index.d.ts.
import glueInit, {
  applyTag as coreApplyTag,
  checkDockerfile as coreCheckDockerfile,
  formatRegistry as coreFormatRegistry,
  parseImageReference as coreParseImageReference,
  parseRegistry as coreParseRegistry,
  validateRegistry as coreValidateRegistry,
  version as coreVersion,
} from './ctl_packaging.mjs';

const DEFAULT_WASM = new URL('./ctl_packaging_bg.wasm', import.meta.url);

let loaded = false;
let failure = null;
let resolveReady;

/** Resolves once the core is loaded (on import, or by the first successful `init`). */
export const ready = new Promise((resolve) => {
  resolveReady = resolve;
});

/** The version of the core; set once it is loaded. */
export let version;

/**
 * Load the core from `source` (default: the wasm next to this module): a URL or a
 * string holding one, a Response, bytes, or a WebAssembly.Module. Resolves once it
 * is ready; after a successful load it does nothing.
 */
export async function init(source = DEFAULT_WASM) {
  if (loaded) return;
  await glueInit({ module_or_path: source });
  loaded = true;
  failure = null;
  version = coreVersion();
  resolveReady();
}

try {
  await init();
} catch (e) {
  failure = e;
}

/** A function of the core that says what to do when the core is not loaded. */
function loadedOnly(f) {
  return (...args) => {
    if (!loaded) {
      const why = failure ? `: ${failure.message ?? failure}` : '';
      throw new Error(
        `ctl-packaging: the WebAssembly core is not loaded (from ${DEFAULT_WASM.href}${why}); ` +
          'call await init(urlOrBytes) with the location or the bytes of ctl_packaging_bg.wasm first',
      );
    }
    return f(...args);
  };
}

export const applyTag = loadedOnly(coreApplyTag);
export const checkDockerfile = loadedOnly(coreCheckDockerfile);
export const formatRegistry = loadedOnly(coreFormatRegistry);
export const parseImageReference = loadedOnly(coreParseImageReference);
export const parseRegistry = loadedOnly(coreParseRegistry);
export const validateRegistry = loadedOnly(coreValidateRegistry);
