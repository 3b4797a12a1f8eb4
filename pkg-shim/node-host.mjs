// The Node host of the ctl-packaging core, shared by the two command-line shims
// (ctl-packaging.mjs and ctl-project-state.mjs): the filesystem, child processes,
// the clock and the terminal, as the `Host` trait of the Rust core asks for them
// (src/host.rs; the seam is src/wasm.rs). No registry logic lives here.
//
// Start-up is most of the time of a command on a small repository, so this file
// loads only what every command needs (node:fs, node:path, node:url);
// node:v8 only where V8's flags pay for it (tuneV8), and node:crypto,
// node:child_process and node:os on first use (fileDigest, spawn and
// capture, tempDir; hostname only where /proc has none). A builtin loaded
// after V8's flags are set cannot use its code cache (the cache records the
// flags): node:os then costs some 3M instructions, node:child_process some
// 20M. Builtins come from
// process.getBuiltinModule (Node >= 20.16): an `import` of one builds an ES
// module namespace that reads every export, and the getters behind some
// exports of node:fs load Node's streams (about 4M instructions per command,
// README, Performance). Older Node takes them through require.
const require = process.getBuiltinModule
  ?? (await import('node:module')).createRequire(import.meta.url);
const fs = require('node:fs');
const path = require('node:path');
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

function fsyncDir(dir) {
  try {
    const fd = fs.openSync(dir, 'r');
    try { fs.fsyncSync(fd); } finally { fs.closeSync(fd); }
  } catch { /* not supported on every platform */ }
}

const C = fs.constants;
// Exclusive create of a new file, never through a symbolic link.
const CREATE = C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW;

// The repository the core confined this process to (Host::confine): the
// folder as the core names it and its real path. Every file operation below
// runs with the current folder set to the file's folder and checks the real
// path of that folder (getcwd) at that moment, so a folder swapped for a
// symbolic link between the core's check and the operation cannot redirect
// it: the names used are relative to the folder that was checked.
let boundary = null;
let boundaryNamed = null;
// Folders outside it the core allowed (Host::allow, Host::temp_dir), by real path.
const allowedDirs = [];
const within = (real, dir) => real === dir || real.startsWith(dir === '/' ? '/' : `${dir}/`);
let skillReal;

function allowed(real, forRead) {
  if (boundary === null || within(real, boundary) || allowedDirs.some((d) => within(real, d))) return true;
  if (!forRead) return false;
  skillReal ??= fs.realpathSync(host.skillDir());
  return within(real, skillReal);
}

/**
 * Whether a write may happen in the folder whose real path is `real`, named
 * `dir` by the core. A folder named inside the repository must really be
 * inside it. A folder named outside it must be exactly a folder the core
 * allowed (Host::allow, Host::temp_dir), not one below it, and not inside
 * the repository: a folder swapped for a link after the core's checks
 * (into docs/packaging/, say) is refused, not written through.
 */
function writable(dir, real) {
  if (boundary === null) return true;
  const named = path.resolve(dir);
  if (within(named, boundaryNamed) || within(named, boundary)) return within(real, boundary);
  return allowedDirs.includes(real) && !within(real, boundary);
}

/** Linux's /dev/urandom: character device 1:9. */
const URANDOM_RDEV = (1 << 8) | 9;

/**
 * A name nobody can guess: the temporary files and lock tokens of this host.
 * The bytes come from /dev/urandom when it is Linux's random device (a
 * regular file or anything else bind-mounted there would give every
 * process the same token; non-blocking, so a FIFO cannot hang it);
 * otherwise from Web Crypto, which costs more to load (seven internal
 * modules, some 24M instructions of a writer's 190M).
 */
function unique() {
  const b = Buffer.alloc(12);
  let fd = -1;
  try {
    fd = fs.openSync('/dev/urandom', fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
    const st = fs.fstatSync(fd);
    if (!st.isCharacterDevice() || st.rdev !== URANDOM_RDEV) throw new Error('not the random device');
    if (fs.readSync(fd, b, 0, 12, null) !== 12) throw new Error('short read from /dev/urandom');
  } catch {
    globalThis.crypto.getRandomValues(b);
  } finally {
    if (fd >= 0) fs.closeSync(fd);
  }
  return b.toString('hex');
}

const tempFor = (name) => `.${name}.${unique()}.tmp`;

/**
 * Run `f(name)` in the folder of `p`, after checking that the folder's real
 * path is inside the repository (or, for reads, the skill folder). `ifMissing`
 * answers when the folder does not exist.
 */
function inFolder(p, forRead, ifMissing, f) {
  const dir = path.dirname(p);
  const back = process.cwd();
  try {
    process.chdir(dir);
  } catch (e) {
    if (missing(e) && ifMissing !== undefined) {
      let link = false;
      try { link = fs.lstatSync(dir).isSymbolicLink(); } catch { /* missing */ }
      if (!link) return ifMissing;
      throw new Error(`${dir} is a symbolic link that leads nowhere`);
    }
    throw e;
  }
  try {
    const real = process.cwd();
    if (forRead ? !allowed(real, true) : !writable(dir, real)) {
      throw new Error(`${dir} resolves to ${real}, outside the repository; nothing was ${forRead ? 'read' : 'written'} there`);
    }
    return f(path.basename(p));
  } finally {
    process.chdir(back);
  }
}

const kindOf = (st) => (st.isDirectory() ? 'a folder' : st.isFIFO() ? 'a FIFO'
  : st.isSocket() ? 'a socket' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device'
    : st.isSymbolicLink() ? 'a symbolic link' : 'not a regular file');

/** The real path of an open file (Linux: /proc/self/fd), or null. */
function fdPath(fd) {
  try { return fs.readlinkSync(`/proc/self/fd/${fd}`); } catch { return null; }
}

/**
 * Open the regular file `name` (relative to the current folder; `shown` in
 * messages) to read at most `max` bytes of it: {fd, size}, or null when
 * nothing is there. Opened without blocking (a FIFO never hangs), checked with
 * fstat, its real path checked against the repository; on a refusal the file
 * is closed again.
 */
function openRegular(name, shown, max, nofollow) {
  let fd;
  try {
    fd = fs.openSync(name, C.O_RDONLY | C.O_NONBLOCK | (nofollow ? C.O_NOFOLLOW : 0));
  } catch (e) {
    if (missing(e)) return null;
    if (e.code === 'ELOOP') throw new Error(`${shown} is a symbolic link, not a regular file`);
    throw e;
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new Error(`${shown} is ${kindOf(st)}, not a regular file`);
    const real = fdPath(fd);
    if (real !== null && !allowed(real, true)) throw new Error(`${shown} leads outside the repository (to ${real}); it was not read`);
    if (st.size > max) throw new Error(`${shown} is ${st.size} bytes, more than the limit of ${max} bytes`);
    return { fd, size: st.size };
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
}

/**
 * Read an open file into `buf` until its end or until `buf` is full (a buffer
 * one byte longer than the size fstat gave shows a file that grew), then
 * close it; the number of bytes read.
 */
function readOpen(fd, buf, shown, max) {
  try {
    let used = 0;
    for (;;) {
      const n = fs.readSync(fd, buf, used, buf.length - used, null);
      if (n === 0) break;
      used += n;
      if (used > max) throw new Error(`${shown} is more than the limit of ${max} bytes`);
      if (used === buf.length) break;
    }
    return used;
  } finally {
    fs.closeSync(fd);
  }
}

/** The bytes of a regular file, as openRegular and readOpen take them; null when nothing is there. */
function readRegular(name, shown, max, nofollow) {
  const file = openRegular(name, shown, max, nofollow);
  if (file === null) return null;
  const buf = Buffer.allocUnsafe(file.size + 1);
  return buf.subarray(0, readOpen(file.fd, buf, shown, max));
}

/** The file openFile opened for readOpened: {fd, shown, max}, or null. */
let opened = null;

function closeOpened() {
  if (opened !== null) {
    const { fd } = opened;
    opened = null;
    fs.closeSync(fd);
  }
}

/** Write `bytes` to a new unique temporary file in the current folder, flushed unless `flush` is false; its name. */
function writeTemp(name, bytes, mode, flush = true) {
  const tmp = tempFor(name);
  const fd = fs.openSync(tmp, CREATE, 0o666);
  try {
    writeAll(fd, bytes);
    if (mode !== undefined) fs.fchmodSync(fd, mode);
    if (flush) fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    try { fs.unlinkSync(tmp); } catch { /* gone */ }
    throw e;
  }
  fs.closeSync(fd);
  return tmp;
}

/** Rename the temporary file over `name` in the current folder; the temporary file is removed on any failure. */
function renameInto(tmp, name, flush = true) {
  try {
    fs.renameSync(tmp, name);
  } catch (e) {
    try { fs.unlinkSync(tmp); } catch { /* gone */ }
    throw e;
  }
  if (flush) fsyncDir('.');
}

/** The mode of the regular file `name`, if one is there. */
function modeOf(name) {
  try {
    const st = fs.lstatSync(name);
    return st.isFile() ? st.mode & 0o7777 : undefined;
  } catch { return undefined; }
}

/**
 * Make `bytes` appear at `name` (current folder) only if nothing is there,
 * complete or not at all: a temporary file hard-linked into place, flushed
 * to disk first unless `flush` is false (locks: Host::create_lock).
 * Where the filesystem has no hard links: exclusive create, and a failed write
 * removes what it created.
 */
function createComplete(name, bytes, mode, flush = true) {
  const tmp = writeTemp(name, bytes, mode, flush);
  try {
    try {
      fs.linkSync(tmp, name);
      if (flush) fsyncDir('.');
      return true;
    } catch (e) {
      if (e.code === 'EEXIST') return false;
      // Our temporary file was swept by the holder of a lock: try again later.
      if (e.code === 'ENOENT') return false;
      if (!NO_LINKS.has(e.code)) throw e;
    }
    let fd;
    try {
      fd = fs.openSync(name, CREATE, mode ?? 0o666);
    } catch (e) {
      if (e.code === 'EEXIST') return false;
      throw e;
    }
    try {
      writeAll(fd, bytes);
      if (flush) fs.fsyncSync(fd);
    } catch (e) {
      fs.closeSync(fd);
      try { fs.unlinkSync(name); } catch { /* gone */ }
      throw e;
    }
    fs.closeSync(fd);
    return true;
  } finally {
    try { fs.unlinkSync(tmp); } catch { /* gone */ }
  }
}

function ended(r) {
  if (r.error) {
    if (r.error.code === 'ENOENT') return { notFound: true };
    throw r.error;
  }
  return { code: r.status, signal: r.signal, stdout: r.stdout || '', stderr: r.stderr || '' };
}

const program = (name) => (name === 'node' ? process.execPath : name);

/**
 * A child's stdio for an output that is not captured: ours, or (stderr) its
 * stdout on our stderr and no standard input, as when it was captured.
 */
const stdioFor = (output) => (output === 'stderr' ? ['ignore', 2, 'inherit'] : 'inherit');

// The folders Host::temp_dir made, which supervise.mjs removes when this process is stopped.
const tempDirs = [];
// How much longer than a limit the supervisor itself may take before it is killed.
const SUPERVISOR_GRACE_MS = 10_000;
// supervise.mjs's exit code when the program could not be started (with a line on stderr).
const SUPERVISED_NOT_FOUND = 127;

/** `name` as execvp would find it on PATH (a name with a `/` as it is); null when there is none. */
function findProgram(name) {
  if (name.includes('/')) return name;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const p = path.resolve(dir, name);
    try {
      if (fs.statSync(p).isFile()) { fs.accessSync(p, C.X_OK); return p; }
    } catch { /* not here */ }
  }
  return null;
}

// Errors of link(2) that mean "no hard links here", not "something is in the way".
const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'ENOSYS', 'EMLINK']);

let skillDir;
// The largest file copied from the skill folder (its wasm modules are the largest).
const MAX_COPY = 64 << 20;
/**
 * readFiles' buffer, kept from one call to the next: `verify` reads its Dockerfiles 512 at a
 * time, and a fresh buffer per call, doubled as it fills, made each batch touch new memory
 * (page faults) and copy what it had read. The answer's `bytes` is a view of it, valid until
 * the next call; the core copies it at once.
 */
let readBuffer = null;

export const host = {
  cwd: () => process.cwd(),
  nowMs: () => Date.now(),
  pid: () => process.pid,
  env: (name) => process.env[name],
  // The name of this UTS namespace as os.hostname() gives it (gethostname(2),
  // UTF-8, spaces kept): Linux has it in /proc with a final newline. node:os
  // only elsewhere (loaded after the V8 flags, it costs more than the read).
  hostname() {
    try {
      const name = fs.readFileSync('/proc/sys/kernel/hostname', 'utf8');
      if (name.endsWith('\n') && name.length > 1) return name.slice(0, -1);
    } catch { /* not Linux */ }
    return os().hostname();
  },
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
  // Regular files only, at most `max` bytes, inside the repository or the
  // skill folder; `nofollow`: a symbolic link is an error (locks).
  readFile(p, max, nofollow) {
    return inFolder(p, true, null, (name) => readRegular(name, p, max, nofollow));
  },
  // readFile in two steps, so that the bytes go straight into the core's
  // memory: openFile checks and opens the file and answers its size (null
  // when nothing is there); readOpened reads it into `into`, a view of the
  // core's memory one byte longer than that size, closes it, and answers the
  // bytes read. One file is open at a time: a second openFile closes the first.
  openFile(p, max, nofollow) {
    closeOpened();
    const file = inFolder(p, true, null, (name) => openRegular(name, p, max, nofollow));
    if (file === null) return null;
    opened = { fd: file.fd, shown: p, max };
    return file.size;
  },
  readOpened(into) {
    if (opened === null) throw new Error('readOpened: no file is open');
    const { fd, shown, max } = opened;
    opened = null;
    return readOpen(fd, into, shown, max);
  },
  // What is at `p`, not following a symbolic link.
  entryKind(p) {
    try {
      const st = fs.lstatSync(p);
      return st.isFile() ? 'file' : kindOf(st);
    } catch (e) {
      if (missing(e)) return 'missing';
      throw e;
    }
  },
  confine(root) {
    boundary = fs.realpathSync(root);
    boundaryNamed = path.resolve(root);
  },
  // Many files in one call (paths joined with NUL; src/wasm.rs documents the
  // answer): open, read into one growing buffer, close. No buffer per file,
  // which is most of what 10,000 small reads cost. A read that returns less
  // than the room it was offered has met the end of the file (a regular
  // file's read is short only there), so a small file takes one read, not a
  // second one that returns 0. Regular files inside the repository only, at
  // most `max` bytes each. Each file is opened by its name in its folder,
  // entered with chdir when the folder changes from the file before, whose
  // real path (getcwd) is checked then, as inFolder does for one file: a
  // folder swapped for a link later in the batch cannot hand over an outside
  // file, and a batch of files in one folder costs what plain reads do. The
  // file is opened without following a symbolic link; a link is followed and
  // the real path of the open file checked; an empty read, an error and a link
  // get fstat (a FIFO or a device is named, never read to its end).
  readFiles(joined, max) {
    const paths = joined === '' ? [] : joined.split('\0');
    const sizes = new Int32Array(paths.length);
    const errors = [];
    const back = process.cwd();
    // The folder entered, and what it answered: true (inside), null (not there) or a refusal.
    let entered = null;
    let folder = true;
    let buf = (readBuffer ??= Buffer.allocUnsafe(1 << 16));
    let used = 0;
    try {
      for (let i = 0; i < paths.length; i++) {
        const p = paths[i];
        const slash = p.lastIndexOf('/');
        const dir = slash < 0 ? '.' : slash === 0 ? '/' : p.slice(0, slash);
        if (dir !== entered) {
          entered = dir;
          try {
            process.chdir(dir[0] === '/' ? dir : `${back}/${dir}`);
            const real = process.cwd();
            folder = allowed(real, true) ? true : `${p} leads outside the repository (its folder is ${real}); it was not read`;
          } catch (e) {
            folder = missing(e) ? null : e.message;
          }
        }
        if (folder === null) { sizes[i] = -1; continue; }
        if (folder !== true) { sizes[i] = -2; errors.push(folder); continue; }
        const name = p.slice(slash + 1);
        let fd;
        let link = false;
        try {
          try {
            fd = fs.openSync(name, C.O_RDONLY | C.O_NONBLOCK | C.O_NOFOLLOW);
          } catch (e) {
            if (e.code !== 'ELOOP') throw e;
            link = true;
            fd = fs.openSync(name, C.O_RDONLY | C.O_NONBLOCK);
          }
        } catch (e) {
          if (missing(e)) { sizes[i] = -1; continue; }
          sizes[i] = -2;
          errors.push(e.message.replace(name, p));
          continue;
        }
        const start = used;
        const regular = () => {
          const st = fs.fstatSync(fd);
          if (!st.isFile()) throw new Error(`${p} is ${kindOf(st)}, not a regular file`);
          if (st.size > max) throw new Error(`${p} is ${st.size} bytes, more than the limit of ${max} bytes`);
        };
        try {
          if (link) {
            const real = fdPath(fd) ?? fs.realpathSync(name);
            if (!allowed(real, true)) throw new Error(`${p} leads outside the repository (to ${real}); it was not read`);
            regular();
          }
          try {
            for (;;) {
              if (used === buf.length) {
                const bigger = Buffer.allocUnsafe(buf.length * 2);
                buf.copy(bigger, 0, 0, used);
                buf = readBuffer = bigger;
              }
              const room = buf.length - used;
              const n = fs.readSync(fd, buf, used, room, null);
              used += n;
              if (used - start > max) throw new Error(`${p} is more than the limit of ${max} bytes`);
              if (n < room) break;
            }
          } catch (e) {
            regular();
            throw e;
          }
          if (used === start) regular();
          sizes[i] = used - start;
        } catch (e) {
          used = start;
          sizes[i] = -2;
          errors.push(e.message);
        } finally {
          fs.closeSync(fd);
        }
      }
    } finally {
      process.chdir(back);
    }
    return { bytes: buf.subarray(0, used), sizes, errors };
  },
  readDir: (p) => fs.readdirSync(p).sort(),
  // The names with what each is, from one readdir (the kinds come with the
  // names; Node asks lstat only where the file system does not say): per
  // entry a letter (f file, d folder, l symbolic link, o other), the name, NUL.
  readDirKinds(p) {
    let out = '';
    for (const e of fs.readdirSync(p, { withFileTypes: true })) {
      out += `${e.isFile() ? 'f' : e.isDirectory() ? 'd' : e.isSymbolicLink() ? 'l' : 'o'}${e.name}\0`;
    }
    return out;
  },
  // Folder by folder from the repository down, each checked where it is made.
  mkdirAll(p) {
    if (boundary === null) { fs.mkdirSync(p, { recursive: true }); return; }
    const parts = p.split('/').filter(Boolean);
    const back = process.cwd();
    try {
      process.chdir('/');
      for (const part of parts) {
        try { fs.mkdirSync(part); } catch (e) { if (e.code !== 'EEXIST') throw e; }
        process.chdir(part);
        const real = process.cwd();
        // Folders above the repository exist already; below it each must stay inside.
        if (!within(real, boundary) && !within(boundary, real)) {
          throw new Error(`${p}: ${part} resolves to ${real}, outside the repository; nothing was created there`);
        }
      }
    } finally {
      process.chdir(back);
    }
  },
  // `flush`: false for locks, which need not outlive their holder (Host::create_lock).
  createNew(p, text, flush) {
    return inFolder(p, false, undefined, (name) => createComplete(name, Buffer.from(text, 'utf8'), undefined, flush));
  },
  // `bytes`: a view of the wasm memory, valid during this call (src/wasm.rs).
  writeAtomic(p, bytes, flush) {
    inFolder(p, false, undefined, (name) => renameInto(writeTemp(name, bytes, modeOf(name), flush), name, flush));
  },
  // A complete, flushed copy (with the source's mode) appears at `to` in one step:
  // renamed over it (replace), or hard-linked so that an existing entry, even a
  // dangling symbolic link, is never written through (create only).
  copyFile(from, to, replace) {
    const bytes = host.readFile(from, MAX_COPY, false);
    if (bytes === null) throw Object.assign(new Error(`ENOENT: no such file or directory, copyfile '${from}'`), { code: 'ENOENT' });
    const mode = fs.statSync(from).mode & 0o7777;
    return inFolder(to, false, undefined, (name) => {
      if (replace) { renameInto(writeTemp(name, bytes, mode), name); return true; }
      return createComplete(name, bytes, mode);
    });
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
  removeFile(p) { inFolder(p, false, undefined, (name) => fs.unlinkSync(name)); },
  // An empty folder only: false when it holds anything or is not there.
  removeDir(p) {
    try {
      fs.rmdirSync(p);
      return true;
    } catch (e) {
      if (missing(e) || e.code === 'ENOTEMPTY' || e.code === 'EEXIST') return false;
      throw e;
    }
  },
  token: unique,
  // The boot and the PID namespace: a pid in a lock is checked only where it names the same process.
  namespace() {
    try {
      return `${fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()} ${fs.readlinkSync('/proc/self/ns/pid')}`;
    } catch {
      return '';
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
  // Field 22 of /proc/<pid>/stat (start time in clock ticks since boot); the
  // command name before it is in parentheses and may hold spaces.
  processStarted(pid) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
    } catch {
      return '';
    }
  },
  sleepMs: (ms) => { Atomics.wait(pause, 0, 0, ms); },
  allow(dir) { allowedDirs.push(fs.realpathSync(dir)); },
  // A new folder only this user can enter (mkdtemp: mode 0700, a random name).
  tempDir() {
    const dir = fs.realpathSync(fs.mkdtempSync(path.join(os().tmpdir(), 'ctl-packaging-')));
    allowedDirs.push(dir);
    tempDirs.push(dir);
    return dir;
  },
  // The child runs under supervise.mjs (next to this file), in a process group
  // of its own: past `limitMs`, when it ends, or when this process is stopped
  // (a signal), the whole group is killed, so no grandchild (a `docker`
  // wrapper's docker-buildx) runs on or holds a pipe open; on a signal the
  // temporary folders of Host::temp_dir are removed too. The supervisor dies
  // of SIGKILL past the limit, as a killed child would.
  // `output`: inherit (ours), stderr (both outputs on our stderr, as they come:
  // nothing is kept, so nothing limits how much a build prints) or capture.
  runLimited(name, args, cwd, output, limitMs) {
    const resolved = findProgram(program(name));
    if (resolved === null) return { notFound: true };
    const capture = output === 'capture';
    const r = childProcess().spawnSync(process.execPath, [path.join(here, 'supervise.mjs'), String(limitMs), JSON.stringify(tempDirs), resolved, ...args], {
      cwd, timeout: limitMs + SUPERVISOR_GRACE_MS, killSignal: 'SIGKILL',
      ...(capture ? { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 26 } : { stdio: stdioFor(output) }),
    });
    if (r.error && r.error.code === 'ETIMEDOUT') return { code: null, signal: 'SIGKILL', stdout: r.stdout || '', stderr: r.stderr || '' };
    if (r.status === SUPERVISED_NOT_FOUND && /^\[supervise\] not found/m.test(r.stderr || '')) return { notFound: true };
    return ended(r);
  },
  spawn: (name, args, cwd) => ended(childProcess().spawnSync(program(name), args, { cwd, stdio: 'inherit' })),
  spawnToStderr: (name, args, cwd) => ended(childProcess().spawnSync(program(name), args, { cwd, stdio: stdioFor('stderr') })),
  capture: (name, args, cwd) => ended(childProcess().spawnSync(program(name), args, {
    cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 26,
  })),
  // Bytes: views of the wasm memory, valid during the call (src/wasm.rs).
  stdout: (bytes) => writeAll(1, bytes),
  stderr: (bytes) => writeAll(2, bytes),
};

/** The oldest Node.js this runs on (package.json "engines": ^22.12 || ^24 || >=26). */
const OLDEST = [22, 12];

/** The core's entry points this host runs: each takes the arguments as one string. */
const ENTRY_POINTS = ['runCliLine', 'runProjectStateLine'];
/** The module with every command (see scripts/build.mjs, MODULES). */
const OPS_MODULE = 'ctl_packaging_ops';
/** The read module and the writers (see scripts/build.mjs, MODULES). */
const WRITE_MODULE = 'ctl_packaging_write';
/**
 * What a module answers for a command it does not carry (src/cli/mod.rs):
 * the module that carries it.
 */
const HANDED_TO = new Map([
  [-1, OPS_MODULE],
  [-2, WRITE_MODULE],
]);
/**
 * The commands that go to a module other than the read module at once
 * (the core's OPS_COMMANDS and WRITE_COMMANDS, src/cli/mod.rs; tests/shim.rs
 * holds them equal), without loading the read module first to be handed
 * over (some 11M instructions of a writer's 170M). Anything else still asks
 * the read module, which hands over what it does not carry.
 */
const OPS_COMMANDS = ['init', 'build', 'build-all', 'export', 'install', 'materialize', 'uninstall', 'verify'];
const WRITE_COMMANDS = ['add', 'add-service', 'add-job', 'add-app', 'remove'];

/** The module that runs `argv` first. */
function firstModule(module, entry, argv) {
  if (entry !== 'runCliLine' || module === OPS_MODULE) return module;
  if (OPS_COMMANDS.includes(argv[0])) return OPS_MODULE;
  if (WRITE_COMMANDS.includes(argv[0])) return WRITE_MODULE;
  return module;
}

let tuned = false;
/**
 * A command is one short process, so two of V8's defaults for long-lived pages
 * cost more than they give (docs/performance.md, "Start-up"):
 * - V8 would move the busiest wasm functions to its optimizing tier in
 *   background threads, and the exit then waits for those compilations: about
 *   40 ms on a 10,000-target registry. The baseline tier runs the whole command
 *   instead.
 * - V8 would validate every function of the module before the first call,
 *   although a command runs a small part of it: each function is validated when
 *   it is first compiled instead (scripts/build.mjs loads every built module
 *   with the full check).
 * Setting them loads node:v8, and with it Node's streams: some 9M instructions.
 * Called before a module is compiled; the flags hold for the rest of the process.
 */
function tuneV8() {
  if (tuned) return;
  tuned = true;
  require('node:v8').setFlagsFromString('--wasm-tiering-budget=2147483647 --wasm-lazy-validation');
}

/**
 * Below this size a registry never keeps a function of the read module
 * busy long enough for V8 to move it to the optimizing tier (measured: none
 * moved at 200 targets, 54 KB; one at 300 targets, 81 KB).
 */
const SMALL_REGISTRY_BYTES = 64 * 1024;
/**
 * Whether the read module may run with V8's defaults: no `--repo-root`
 * names another repository, and the registry in the current folder (where
 * the documented command line runs, and where the core looks first) is a file
 * smaller than SMALL_REGISTRY_BYTES. V8 then validates the whole module up
 * front, in parallel threads, which takes less time than loading node:v8
 * (list and status on 6 to 200 targets: about 0.96 of the time with the
 * flags). Only the speed depends on this guess, never an answer: any other
 * case (a larger registry, none here, a `--repo-root`) keeps the flags.
 */
function smallRegistryHere(argv) {
  if (argv.some((a) => a === '--repo-root' || a.startsWith('--repo-root='))) return false;
  try {
    const st = fs.statSync('docs/packaging/registry.json');
    return st.isFile() && st.size < SMALL_REGISTRY_BYTES;
  } catch {
    return false;
  }
}

/** Glue and wasm of one module, instantiated. */
async function load(module) {
  const glue = await import(`./${module}.mjs`);
  glue.initSync({ module: fs.readFileSync(path.join(here, `${module}_bg.wasm`)) });
  return glue;
}

/**
 * Run one command line with the core entry point `entry` (`runCliLine`, `runProjectStateLine`)
 * of `module` (the wasm next to this file) against the host, and exit with its code.
 * A command the module hands over (one it was built without) runs with the
 * module that carries it instead.
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
    // An entry script of an older build names an entry point that took an
    // array (runCli); its glue would split this host's string into letters.
    if (!ENTRY_POINTS.includes(entry)) {
      throw new Error(`${name}: the entry point ${entry} is not one this host runs (${ENTRY_POINTS.join(', ')}): the files of this folder come from different builds; install them again`);
    }
    const argv = process.argv.slice(2);
    // The arguments cross as one string, each followed by NUL (src/wasm/cli.rs).
    const line = argv.map((a) => `${a}\0`).join('');
    const runIn = async (current) => {
      if (current === OPS_MODULE || !smallRegistryHere(argv)) tuneV8();
      return (await load(current))[entry](line, host);
    };
    const first = firstModule(module, entry, argv);
    code = await runIn(first);
    // At most one hand-over: the module a command is handed to carries it.
    const next = HANDED_TO.get(code);
    if (next !== undefined) {
      code = next === first ? code : await runIn(next);
      if (HANDED_TO.has(code)) throw new Error(`${next} handed ${argv[0]} over (${code})`);
    }
  } catch (e) {
    writeAll(2, `[error] internal error in ${name}: ${(e && e.stack) || e}\n`);
    code = 70;
  }
  process.exitCode = code;
}
