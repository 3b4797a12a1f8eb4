#!/usr/bin/env node
// ctl-project-state: feature flags and context of a repository in
// .ai/project/state.json (init, get, set, set-context-mode, status).
//
// Backed by the same WebAssembly core as ctl-packaging, in its ops module
// (ctl_packaging_ops_bg.wasm; src/project_state.rs);
// `ctl-packaging install` puts a two-line .ai/scripts/ctl-project-state.mjs
// that loads this file into repositories that have no such script.
import { main } from './node-host.mjs';

await main('ctl-project-state', 'runProjectStateLine', 'ctl_packaging_ops');
