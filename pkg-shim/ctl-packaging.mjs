#!/usr/bin/env node
// ctl-packaging: the Node shim around the WebAssembly core.
//
// All logic (arguments, registry, validation, messages, exit codes) lives in
// the Rust core. This file only gives it a host (node-host.mjs: the
// filesystem, child processes, the clock and the terminal), then exits with
// the core's code.
//
// list and status run with the read module (ctl_packaging_read_bg.wasm); the
// writers with the writers module, verify, build, export, install and
// materialize with the ops module, which the host loads only for them.
import { main } from './node-host.mjs';

await main('ctl-packaging', 'runCliLine', 'ctl_packaging_read');
