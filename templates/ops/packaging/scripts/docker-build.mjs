#!/usr/bin/env node
// docker-build.mjs: the packaging build helper. This file belongs to the host
// repository; adapt it if your build needs more. Dependency-free, Node >= 18.
//
// What it supports, read by ctl-packaging (keep this line true when you adapt the file):
// ctl-packaging-helper: dry-run, engine, platform, build-arg, label, target
//
// Usage (run from the repository root; paths are relative to the current directory):
//   node ops/packaging/scripts/docker-build.mjs --dockerfile F --tag T [--context C]
//     [--engine docker|podman|buildah] [--platform a,b] [--build-arg K=V]...
//     [--label K=V]... [--target STAGE] [--dry-run]
//
// Contract:
//   - Context defaults to ".". Engine: --engine, else $PACKAGING_ENGINE, else docker.
//   - Command run, with inherited stdio:
//       docker  build -f F -t T [--platform P] [--build-arg K=V]... [--label K=V]... [--target S] C
//       podman  build  (same options as docker)
//       buildah [$PACKAGING_BUILDAH_ARGS] bud [--isolation $PACKAGING_BUILDAH_ISOLATION] -f F -t T ... C
//     With more than one platform (--platform a,b), podman and buildah get "--manifest T"
//     instead of "-t T": they build one image per platform into a manifest list named T
//     (with -t only the last platform's image would be tagged).
//     PACKAGING_BUILDAH_ARGS holds whitespace-separated global flags placed right after
//     "buildah" (for example "--storage-driver vfs"); PACKAGING_BUILDAH_ISOLATION, when
//     set (for example "chroot"), adds "--isolation <value>" to "bud".
//   - Prints "Running: <engine> <args>" on stdout first (words that a POSIX shell would
//     split or expand are single-quoted, so the line can be pasted into a shell); with
//     --dry-run nothing else happens.
//   - Exit codes: 0 success; 2 usage error (missing --dockerfile/--tag, unknown option or
//     engine); 127 engine not found on PATH; otherwise the engine's own exit code
//     (1 when it was killed by a signal).

import { spawnSync } from 'node:child_process';

const ENGINES = ['docker', 'podman', 'buildah'];
const VALUE_OPTIONS = ['dockerfile', 'tag', 'context', 'engine', 'platform', 'target'];
const LIST_OPTIONS = ['build-arg', 'label'];
const FLAG_OPTIONS = ['dry-run', 'help'];

const USAGE = `Usage: node ops/packaging/scripts/docker-build.mjs --dockerfile F --tag T [--context C]
  [--engine docker|podman|buildah] [--platform a,b] [--build-arg K=V]... [--label K=V]...
  [--target STAGE] [--dry-run]`;

function fail(message, code) {
  console.error(`[error] ${message}`);
  process.exit(code);
}

// "--key value" takes the next token as its value unless that token starts with "--";
// "--key=value" is accepted too. --build-arg and --label may repeat.
function parseArgs(argv) {
  const opts = { 'build-arg': [], label: [] };
  for (let i = 0; i < argv.length; i += 1) {
    const token = argv[i];
    if (token === '-h') {
      opts.help = true;
      continue;
    }
    if (!token.startsWith('--')) fail(`Unexpected argument: ${token}`, 2);
    let key = token.slice(2);
    let value;
    const eq = key.indexOf('=');
    if (eq !== -1) {
      value = key.slice(eq + 1);
      key = key.slice(0, eq);
    } else if (!FLAG_OPTIONS.includes(key) && i + 1 < argv.length && !argv[i + 1].startsWith('--')) {
      value = argv[i + 1];
      i += 1;
    }
    if (FLAG_OPTIONS.includes(key)) {
      opts[key] = true;
    } else if (VALUE_OPTIONS.includes(key) || LIST_OPTIONS.includes(key)) {
      if (value === undefined || value === '') fail(`--${key} requires a value`, 2);
      if (LIST_OPTIONS.includes(key)) opts[key].push(value);
      else opts[key] = value;
    } else {
      fail(`Unknown option: --${key}\n${USAGE}`, 2);
    }
  }
  return opts;
}

const opts = parseArgs(process.argv.slice(2));
if (opts.help) {
  console.log(USAGE);
  process.exit(0);
}
if (!opts.dockerfile) fail('--dockerfile is required', 2);
if (!opts.tag) fail('--tag is required', 2);

const engine = opts.engine || process.env.PACKAGING_ENGINE || 'docker';
if (!ENGINES.includes(engine)) {
  fail(`Unknown engine "${engine}"; use one of: ${ENGINES.join(', ')}`, 2);
}

// A path that begins with "-" would reach the engine as an option ("-" alone
// is standard input): refused, never passed on.
for (const key of ['dockerfile', 'context']) {
  const value = opts[key];
  if (value && value.startsWith('-')) {
    fail(`--${key} ${JSON.stringify(value)} begins with "-", which ${engine} would read as an option; name the path as ./${value}`, 2);
  }
}

const args = [];
if (engine === 'buildah') {
  const globalFlags = (process.env.PACKAGING_BUILDAH_ARGS || '').trim();
  if (globalFlags) args.push(...globalFlags.split(/\s+/));
  args.push('bud');
  const isolation = (process.env.PACKAGING_BUILDAH_ISOLATION || '').trim();
  if (isolation) args.push('--isolation', isolation);
} else {
  args.push('build');
}
const manifest = engine !== 'docker' && Boolean(opts.platform) && opts.platform.includes(',');
args.push('-f', opts.dockerfile, manifest ? '--manifest' : '-t', opts.tag);
if (opts.platform) args.push('--platform', opts.platform);
for (const pair of opts['build-arg']) args.push('--build-arg', pair);
for (const pair of opts.label) args.push('--label', pair);
if (opts.target) args.push('--target', opts.target);
args.push(opts.context || '.');

// A word as a POSIX shell reads it back.
const shellWord = (w) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, "'\\''")}'`);

console.log(`Running: ${[engine, ...args].map(shellWord).join(' ')}`);
if (opts['dry-run']) process.exit(0);

const result = spawnSync(engine, args, { stdio: 'inherit' });
if (result.error) {
  if (result.error.code === 'ENOENT') {
    fail(`${engine} not found on PATH; install it or choose another with --engine`, 127);
  }
  fail(`could not run ${engine}: ${result.error.message}`, 1);
}
if (result.signal) fail(`Build failed: ${engine} was killed by ${result.signal}`, 1);
if (result.status !== 0) fail(`Build failed: ${engine} exited with code ${result.status}`, result.status);
