// One limited child process of the ctl-packaging host (node-host.mjs,
// Host::run_limited), in a process group of its own, so that nothing it
// starts outlives the limit or the command:
//
//   node supervise.mjs LIMIT_MS TEMP_DIRS_JSON PROGRAM [ARG]...
//
// - The program runs detached (a new process group, its pid the group's id),
//   standard input closed, standard output and error this process's.
// - Past LIMIT_MS the whole group gets SIGKILL, then this process kills itself
//   with SIGKILL: the host reads that as a process stopped at its limit.
// - When the program ends, what is left of its group gets SIGKILL (a
//   grandchild of a finished command does not run on, or hold a pipe open),
//   and this process exits with the program's code, or dies of its signal.
// - When the host is gone (killed by a signal: its pid is no longer this
//   process's parent) or this process gets SIGINT, SIGTERM or SIGHUP (a
//   terminal's Ctrl-C reaches it with the host): the group gets SIGKILL and
//   the host's private temporary folders (TEMP_DIRS_JSON, made by
//   Host::temp_dir, only this user's) are removed.
// - A program that cannot be started: `[supervise] not found: ...` on stderr, exit 127.
// Every wait is bounded: the host's own limit on this process is LIMIT_MS + 10 s.

import { spawn } from 'node:child_process';
import fs from 'node:fs';

const [limitArg, tempArg, program, ...args] = process.argv.slice(2);
const limitMs = Number(limitArg);
const tempDirs = JSON.parse(tempArg);
const parent = process.ppid;
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];

const child = spawn(program, args, { detached: true, stdio: ['ignore', 'inherit', 'inherit'] });

function killGroup() {
  if (child.pid === undefined) return;
  try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
}

function abandon(code) {
  killGroup();
  for (const dir of tempDirs) {
    try { fs.rmSync(dir, { recursive: true, force: true }); } catch { /* gone */ }
  }
  process.exit(code);
}

const limit = setTimeout(() => {
  killGroup();
  process.kill(process.pid, 'SIGKILL');
}, limitMs);
const watch = setInterval(() => {
  if (process.ppid !== parent) abandon(1);
}, 100);
const NUMBERS = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 };
for (const s of SIGNALS) process.on(s, () => abandon(128 + NUMBERS[s]));

child.on('error', (e) => {
  clearTimeout(limit);
  clearInterval(watch);
  process.stderr.write(`[supervise] not found: ${program}: ${e.code ?? e.message}\n`);
  process.exit(127);
});

child.on('exit', (code, signal) => {
  clearTimeout(limit);
  clearInterval(watch);
  killGroup();
  if (code !== null) process.exit(code);
  for (const s of SIGNALS) process.removeAllListeners(s);
  try { process.kill(process.pid, signal); } catch { /* not a signal we can die of */ }
  setTimeout(() => process.exit(1), 1000).unref();
});
