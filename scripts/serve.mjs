#!/usr/bin/env node
// Serve dist/packaging/ on 127.0.0.1 and print the validator page's URL
// (what `npm run serve` runs; build first with `npm run build`).
//
//   node scripts/serve.mjs [--port N] [--root DIR]
//
// A tiny static server: GET and HEAD of files under the root, the right
// Content-Type for each (application/wasm, so browsers compile the module while
// it downloads), nothing outside the root, no listing. Port 0 (or PORT=0) picks
// a free port; the default is 8787. Stops on Ctrl-C.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.ts': 'text/plain; charset=utf-8',
  '.mts': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.txt': 'text/plain; charset=utf-8',
};

function usage(message) {
  console.error(`[serve] error: ${message} (usage: node scripts/serve.mjs [--port N] [--root DIR])`);
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { port: process.env.PORT ?? '8787', root: path.join(ROOT_DIR, 'dist', 'packaging') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [name, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    if (name !== '--port' && name !== '--root') usage(`unknown argument ${a}`);
    const value = inline ?? argv[++i];
    if (value === undefined) usage(`${name} needs a value`);
    opts[name.slice(2)] = value;
  }
  if (!/^\d+$/.test(String(opts.port)) || Number(opts.port) > 65535) usage(`bad port ${opts.port}`);
  return { port: Number(opts.port), root: path.resolve(opts.root) };
}

/** A static file server for `root` (not started). */
export function createServer(root) {
  const realRoot = fs.realpathSync(root);
  return http.createServer((req, res) => {
    const send = (status, body, headers = {}) => {
      res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n', { Allow: 'GET, HEAD' });
    let pathname;
    try {
      pathname = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
    } catch {
      return send(400, 'bad request\n');
    }
    if (pathname.includes('\0')) return send(400, 'bad request\n');
    let file = path.join(realRoot, path.normalize(pathname));
    let stat;
    try {
      file = fs.realpathSync(file);
      stat = fs.statSync(file);
      if (stat.isDirectory()) {
        if (!pathname.endsWith('/')) return send(301, '', { Location: `${pathname}/` });
        file = path.join(file, 'index.html');
        stat = fs.statSync(file);
      }
    } catch {
      return send(404, 'not found\n');
    }
    if (file !== realRoot && !file.startsWith(realRoot + path.sep)) return send(404, 'not found\n');
    if (!stat.isFile()) return send(404, 'not found\n');
    res.writeHead(200, {
      'Content-Type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': stat.size,
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
    });
    if (req.method === 'HEAD') return res.end();
    fs.createReadStream(file).pipe(res);
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { port, root } = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(path.join(root, 'web', 'index.html'))) {
    console.error(`[serve] error: ${path.join(root, 'web', 'index.html')} is missing: build first with npm run build`);
    process.exit(1);
  }
  const server = createServer(root);
  server.on('error', (e) => {
    console.error(`[serve] error: ${e.message}${e.code === 'EADDRINUSE' ? ' (pick another with --port N, or --port 0)' : ''}`);
    process.exit(1);
  });
  server.listen(port, '127.0.0.1', () => {
    const { port: bound } = server.address();
    console.log(`[serve] serving ${path.relative(process.cwd(), root) || '.'} on http://127.0.0.1:${bound}/`);
    console.log(`[serve] validator page: http://127.0.0.1:${bound}/web/`);
    console.log('[serve] Ctrl-C stops');
  });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0));
}
