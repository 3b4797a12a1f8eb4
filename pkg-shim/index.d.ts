// Types of ctl-packaging's JS API. One declaration for both entries:
//   index.mjs    Node: the wasm is read from disk and instantiated synchronously;
//   browser.mjs  browsers: the wasm is fetched next to the module with streaming
//                instantiation; the module uses top-level await, so it is ready
//                once the import resolves.
// Both export the same names. Results are plain JSON-compatible values (no Map,
// no undefined: an absent value is null).

/** How bad a finding is. Errors fail `verify`; warnings fail it only under `--strict`. */
export type Severity = "error" | "warning";

/**
 * One finding, as `verify --format json` prints it in `findings`.
 * Lines and columns are 1-based; columns count Unicode code points (not UTF-16
 * units), as editors show them. The end is exclusive.
 */
export interface Diagnostic {
  severity: Severity;
  /** Stable code, e.g. `"PKG012"`. */
  code: string;
  message: string;
  /** The file the finding is about: `docs/packaging/registry.json`, or the Dockerfile's name. */
  file: string;
  /** JSON pointer into the registry (`/targets/3/image`); `""` for the whole document and for Dockerfiles. */
  pointer: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

/** The result of {@link validateRegistry}. */
export interface Validation {
  /** No diagnostic of severity `"error"`. */
  ok: boolean;
  /** Targets read (0 when the text does not parse). */
  targets: number;
  diagnostics: Diagnostic[];
}

/** What {@link parseRegistry} and {@link formatRegistry} throw for a registry that cannot be read. */
export interface DiagnosticsError extends Error {
  /** `file:line:column: severity[CODE]: message` of the first diagnostic. */
  message: string;
  /** Every blocking problem. */
  diagnostics: Diagnostic[];
}

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A target of the registry: the known keys first, unknown ones kept with their values. */
export interface RegistryTarget {
  id: string;
  type: string;
  module?: string;
  dockerfile?: string;
  context?: string;
  image?: string;
  addedAt?: JsonValue;
  [key: string]: JsonValue | undefined;
}

/** A registry as {@link parseRegistry} returns it, keys in written order. */
export interface Registry {
  version?: JsonValue;
  updatedAt?: JsonValue;
  targets: RegistryTarget[];
  [key: string]: JsonValue | RegistryTarget[] | undefined;
}

/** An image reference split into its parts (`registry.example.com:5000/team/api:v1@sha256:…`). */
export interface ImageReference {
  /** Registry host with optional port, when the reference names one. */
  registry: string | null;
  /** Path components joined by `/` (`team/api`). */
  repository: string;
  tag: string | null;
  digest: string | null;
}

/**
 * Every diagnostic of a registry text (syntax, structure, values, secrets, a
 * warning when it defines no target). Never throws for a string.
 * @throws {TypeError} when `text` is not a string.
 */
export function validateRegistry(text: string): Validation;

/**
 * The registry a text holds.
 * @throws {DiagnosticsError} when the text does not parse or a problem blocks reading it.
 */
export function parseRegistry(text: string): Registry;

/**
 * The exact text the CLI would write for this registry (2-space JSON, known
 * keys in a fixed order, unknown ones kept, a final newline; `updatedAt` untouched).
 * @throws {DiagnosticsError} as {@link parseRegistry}.
 */
export function formatRegistry(text: string): string;

/**
 * The image reference a build uses: `image` with its tag replaced by `tag`
 * (`applyTag("r.io:5000/a/b:1", "v2")` is `"r.io:5000/a/b:v2"`).
 * @throws {Error} when the image or the tag is not valid; the message says why.
 */
export function applyTag(image: string, tag: string): string;

/**
 * The parts of an image reference.
 * @throws {Error} when the reference is not valid; the message says why.
 */
export function parseImageReference(reference: string): ImageReference;

/**
 * The Dockerfile findings for a text. `file` names it in the diagnostics
 * (default `"Dockerfile"`).
 */
export function checkDockerfile(text: string, file?: string): Diagnostic[];

/** The version of the core (the crate's version). */
export const version: string;

/**
 * Resolves once the core is loaded: at import in Node (index.mjs), and in browsers
 * (browser.mjs) after the load on import or the first successful `init`.
 */
export const ready: Promise<void>;

/** What `init` loads the core from: a URL (or a string holding one), a Response, the bytes, or a compiled module. */
export type WasmSource = URL | string | Response | BufferSource | WebAssembly.Module;

/**
 * Browsers (browser.mjs): load the core from `source` (default: the wasm next to the
 * module, as a bundler that follows `new URL(..., import.meta.url)` ships it). Needed
 * only when the load on import failed, e.g. after bundling with esbuild: copy
 * ctl_packaging_bg.wasm where the page can fetch it and pass its URL or bytes. After a
 * successful load it does nothing. In Node (index.mjs) the core is loaded at import and
 * `init` resolves at once.
 */
export function init(source?: WasmSource): Promise<void>;
