#!/usr/bin/env node
// ctl-packaging: the Node shim around the WebAssembly core.
//
// All logic (arguments, registry, validation, messages, exit codes) lives in
// the Rust core. This file only gives it a host (node-host.mjs: the
// filesystem, child processes, the clock and the terminal), then exits with
// the core's code.
import { main } from './node-host.mjs';
import { runCli } from './ctl_packaging.js';

main('ctl-packaging', runCli);
