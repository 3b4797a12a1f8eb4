// The Node host of the ctl-packaging core, shared by the two command-line shims
// (ctl-packaging.mjs and ctl-project-state.mjs): the filesystem, child processes,
// the clock and the terminal, as the `Host` trait of the Rust core asks for them
// (src/host.rs; the seam is src/wasm.rs). No registry logic lives here.
//
// Start-up is most of the time of a command on a small repository, so this file
// loads only what every command needs (node:fs, node:path, node:url, node:v8);
// node:crypto, node:child_process and node:os are loaded on first use
// (fileDigest, spawn and capture, hostname). Builtins come from
// process.getBuiltinModule (Node >= 20.16): an `import` of one builds an ES
// module namespace that reads every export, and the getters behind some
// exports of node:fs load Node's streams (about 4M instructions per command,
// README, Performance). Older Node takes them through require.
const require = process.getBuiltinModule
  ?? (await import('node:module')).createRequire(import.meta.url);
const fs = require('node:fs');
const path = require('node:path');
const v8 = require('node:v8');
const { fileURLToPath } = require('node:url');

const lazy = (name) => {
  let m;
  return () => (m ??= require(name));
};
const crypto = lazy('node:crypto');
const childProcess = lazy('node:child_process');
const os = lazy('node:os');
const here = path.dirname(fileURLToPath(import.meta.url));
const pause = new Int32Array(new SharedArrayBuffer(4));

const missing = (e) => e && (e.code === 'ENOENT' || e.code === 'ENOTDIR');

/** Write all of `data` (bytes, or text as UTF-8) to `fd`. */
export function writeAll(fd, data) {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let off = 0;
  while (off < buf.length) {
    try {
      off += fs.writeSync(fd, buf, off);
    } catch (e) {
      if (e.code === 'EAGAIN') { Atomics.wait(pause, 0, 0, 1); continue; }
      if (e.code === 'EPIPE') return;
      throw e;
    }
  }
}

function fsyncPath(p) {
  const fd = fs.openSync(p, 'r+');
  try { fs.fsyncSync(fd); } finally { fs.closeSync(fd); }
}

function fsyncDir(p) {
  try {
    const dir = fs.openSync(path.dirname(p), 'r');
    try { fs.fsyncSync(dir); } finally { fs.closeSync(dir); }
  } catch { /* not supported on every platform */ }
}

function ended(r) {
  if (r.error) {
    if (r.error.code === 'ENOENT') return { notFound: true };
    throw r.error;
  }
  return { code: r.status, signal: r.signal, stdout: r.stdout || '', stderr: r.stderr || '' };
}

const program = (name) => (name === 'node' ? process.execPath : name);

// Errors of link(2) that mean "no hard links here", not "something is in the way".
const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'ENOSYS', 'EMLINK']);

let skillDir;

export const host = {
  cwd: () => process.cwd(),
  nowMs: () => Date.now(),
  pid: () => process.pid,
  env: (name) => process.env[name],
  hostname: () => os().hostname(),
  stat(p) {
    try {
      const s = fs.statSync(p);
      return s.isFile() ? 'file' : s.isDirectory() ? 'dir' : 'other';
    } catch (e) {
      if (missing(e)) return 'missing';
      throw e;
    }
  },
  // The bytes: the core checks and decodes UTF-8 (dropping a byte order mark),
  // which costs one copy instead of a decode here and a re-encode at the seam.
  readFile(p) {
    try {
      return fs.readFileSync(p);
    } catch (e) {
      if (missing(e)) return null;
      throw e;
    }
  },
  // Many files in one call (paths joined with NUL; src/wasm.rs documents the
  // answer): open, read into one growing buffer, close. No fstat and no
  // buffer per file, which is most of what 10,000 small reads cost. A read
  // that returns less than the room it was offered has met the end of the
  // file (a regular file's read is short only there), so a small file takes
  // one read, not a second one that returns 0: three system calls a file.
  readFiles(joined) {
    const paths = joined === '' ? [] : joined.split('\0');
    const sizes = new Int32Array(paths.length);
    const errors = [];
    let buf = Buffer.allocUnsafe(1 << 16);
    let used = 0;
    for (let i = 0; i < paths.length; i++) {
      let fd;
      try {
        fd = fs.openSync(paths[i], 'r');
      } catch (e) {
        if (missing(e)) { sizes[i] = -1; continue; }
        sizes[i] = -2;
        errors.push(e.message);
        continue;
      }
      const start = used;
      try {
        for (;;) {
          if (used === buf.length) {
            const bigger = Buffer.allocUnsafe(buf.length * 2);
            buf.copy(bigger, 0, 0, used);
            buf = bigger;
          }
          const room = buf.length - used;
          const n = fs.readSync(fd, buf, used, room, null);
          used += n;
          if (n < room) break;
        }
        sizes[i] = used - start;
      } catch (e) {
        used = start;
        sizes[i] = -2;
        errors.push(e.message);
      } finally {
        fs.closeSync(fd);
      }
    }
    return { bytes: buf.subarray(0, used), sizes, errors };
  },
  readDir: (p) => fs.readdirSync(p).sort(),
  mkdirAll: (p) => { fs.mkdirSync(p, { recursive: true }); },
  createNew(p, text) {
    try {
      fs.writeFileSync(p, text, { flag: 'wx' });
      return true;
    } catch (e) {
      if (e.code === 'EEXIST') return false;
      throw e;
    }
  },
  // `bytes`: a view of the wasm memory, valid during this call (src/wasm.rs).
  writeAtomic(p, bytes) {
    const tmp = `${p}.tmp`;
    const fd = fs.openSync(tmp, 'w');
    try {
      writeAll(fd, bytes);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    try { fs.chmodSync(tmp, fs.statSync(p).mode & 0o7777); } catch { /* new file */ }
    fs.renameSync(tmp, p);
    fsyncDir(p);
  },
  // A complete, flushed copy (with the source's mode) appears at `to` in one step:
  // renamed over it (replace), or hard-linked so that an existing entry, even a
  // dangling symbolic link, is never written through (create only).
  copyFile(from, to, replace) {
    const tmp = `${to}.tmp-${process.pid}`;
    fs.copyFileSync(from, tmp);
    try {
      fsyncPath(tmp);
      if (replace) {
        fs.renameSync(tmp, to);
      } else {
        try {
          fs.linkSync(tmp, to);
        } catch (e) {
          if (e.code === 'EEXIST') return false;
          if (!NO_LINKS.has(e.code)) throw e;
          try {
            fs.copyFileSync(tmp, to, fs.constants.COPYFILE_EXCL);
          } catch (e2) {
            if (e2.code === 'EEXIST') return false;
            throw e2;
          }
        }
      }
      fsyncDir(to);
      return true;
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  },
  fileDigest(p) {
    let bytes;
    try {
      bytes = fs.readFileSync(p);
    } catch (e) {
      if (missing(e)) return null;
      throw e;
    }
    return `sha256:${crypto().createHash('sha256').update(bytes).digest('hex')}`;
  },
  // The skill folder holds scripts/ (this file); npm may run the CLI through a
  // symbolic link in node_modules/.bin, so resolve the real path first.
  skillDir() {
    skillDir ??= path.dirname(path.dirname(fs.realpathSync(fileURLToPath(import.meta.url))));
    return skillDir;
  },
  removeFile: (p) => { fs.unlinkSync(p); },
  removeDir(p) {
    try {
      fs.rmdirSync(p);
      return true;
    } catch (e) {
      if (missing(e) || e.code === 'ENOTEMPTY' || e.code === 'EEXIST') return false;
      throw e;
    }
  },
  realPath(p) {
    try {
      return fs.realpathSync(p);
    } catch (e) {
      if (missing(e)) return null;
      throw e;
    }
  },
  processAlive(pid) {
    try {
      process.kill(pid, 0);
      return true;
    } catch (e) {
      return e.code === 'EPERM';
    }
  },
  sleepMs: (ms) => { Atomics.wait(pause, 0, 0, ms); },
  spawn: (name, args, cwd) => ended(childProcess().spawnSync(program(name), args, { cwd, stdio: 'inherit' })),
  capture: (name, args, cwd) => ended(childProcess().spawnSync(program(name), args, {
    cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 26,
  })),
  // Bytes: views of the wasm memory, valid during the call (src/wasm.rs).
  stdout: (bytes) => writeAll(1, bytes),
  stderr: (bytes) => writeAll(2, bytes),
};

/** The oldest Node.js this runs on (package.json "engines": ^22.12 || ^24 || >=26). */
const OLDEST = [22, 12];

/** The module with every command (see scripts/build.mjs, MODULES). */
const OPS_MODULE = 'ctl_packaging_ops';
/** What the registry module answers for a command only the ops module has (src/commands/mod.rs). */
const IN_OPS_MODULE = -1;

/** Glue and wasm of one module, instantiated. */
async function load(module) {
  const glue = await import(`./${module}.mjs`);
  glue.initSync({ module: fs.readFileSync(path.join(here, `${module}_bg.wasm`)) });
  return glue;
}

/**
 * Run one command line with the core entry point `entry` (`runCli`, `runProjectState`)
 * of `module` (the wasm next to this file) against the host, and exit with its code.
 * A command the module hands over runs with the ops module instead.
 */
export async function main(name, entry, module) {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < OLDEST[0] || (major === OLDEST[0] && minor < OLDEST[1])) {
    writeAll(2, `[error] ${name} needs Node.js ${OLDEST.join('.')} or newer (the 22, 24 and 26 lines); this is Node.js ${process.versions.node}\n`);
    process.exitCode = 1;
    return;
  }
  let code;
  try {
    // A command is one short process, so two of V8's defaults for long-lived
    // pages cost more than they give (README, Performance):
    // - V8 would move the busiest wasm functions to its optimizing tier in
    //   background threads, and the exit then waits for those compilations:
    //   about 40 ms on a 10,000-target registry. The baseline tier runs the
    //   whole command instead.
    // - V8 would validate every function of the module before the first call,
    //   although a command runs a small part of it: each function is validated
    //   when it is first compiled instead (scripts/build.mjs loads every built
    //   module with the full check).
    v8.setFlagsFromString('--wasm-tiering-budget=2147483647 --wasm-lazy-validation');
    const argv = process.argv.slice(2);
    code = (await load(module))[entry](argv, host);
    if (code === IN_OPS_MODULE && module !== OPS_MODULE) code = (await load(OPS_MODULE))[entry](argv, host);
  } catch (e) {
    writeAll(2, `[error] internal error in ${name}: ${(e && e.stack) || e}\n`);
    code = 70;
  }
  process.exitCode = code;
}
