//! Reading and changing the registry file safely.
//!
//! Every change runs read-modify-write entirely under an exclusive lock
//! (`registry.json.lock`, created with exclusive-create and holding the
//! owner's pid, host and time), and replaces the file atomically (temporary
//! file in the same folder, flushed, renamed over). A lock whose process is
//! gone is taken over; waiting is bounded. A registry that does not parse is
//! never written.

use super::Failure;
use crate::host::{EntryKind, Host};
use crate::registry::{Registry, REGISTRY_PATH};
use crate::rules::registry::inspect;
use crate::rules::Diagnostic;
use crate::values::paths::{is_within, join};
use crate::values::text::quote;
use crate::values::time::iso_utc;

/// Refuse a repository path that leads outside the repository through a
/// symbolic link: the deepest part of it that exists must resolve inside the
/// repository's real path. (Lexical checks refuse `..` and absolute paths.)
pub fn ensure_inside(host: &dyn Host, root: &str, rel: &str, what: &str) -> Result<(), Failure> {
    let Some(real_root) = host.real_path(root)? else {
        return Ok(());
    };
    let mut probe = join(root, rel);
    loop {
        if let Some(real) = host.real_path(&probe)? {
            if is_within(&real_root, &real) {
                return Ok(());
            }
            return Err(Failure::new(format!(
                "{what} {} leads outside the repository (through a symbolic link to {real})",
                quote(rel)
            )));
        }
        match probe.rfind('/') {
            Some(i) if i > 0 && probe.len() > root.len() => probe.truncate(i),
            _ => return Ok(()),
        }
    }
}

/// A registry read from disk, with the text it came from.
pub struct Loaded {
    pub text: String,
    pub registry: Registry,
}

/// Read and parse the registry. `Ok(None)` when the file does not exist.
/// A syntax error or a structural problem is a failure naming line and column.
pub fn load(host: &dyn Host, root: &str) -> Result<Option<Loaded>, Failure> {
    let path = join(root, REGISTRY_PATH);
    let Some(text) = host
        .read_file(&path)
        .map_err(|e| Failure::new(format!("cannot read {REGISTRY_PATH}: {e}")))?
    else {
        return Ok(None);
    };
    match inspect(&text) {
        Ok(registry) => Ok(Some(Loaded { text, registry })),
        Err(diagnostics) => Err(refusal(&diagnostics)),
    }
}

fn refusal(diagnostics: &[Diagnostic]) -> Failure {
    let mut lines: Vec<String> = diagnostics.iter().map(Diagnostic::render).collect();
    lines.push(format!(
        "{REGISTRY_PATH} was left unchanged; fix it and run the command again"
    ));
    Failure { lines }
}

const LOCK_SUFFIX: &str = ".lock";
/// The program named in the registry lock's messages.
const TOOL: &str = "ctl-packaging";
const DEFAULT_LOCK_TIMEOUT_MS: u32 = 10_000;

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct LockInfo {
    pid: u32,
    host: String,
    since: String,
    command: String,
}

/// Holds the registry lock until [`Lock::release`].
struct Lock {
    path: String,
    pid: u32,
}

impl Lock {
    fn release(self, host: &dyn Host) {
        // Remove the lock only while it is still ours.
        if let Ok(Some(text)) = host.read_file(&self.path) {
            if serde_json::from_str::<LockInfo>(&text).is_ok_and(|l| l.pid == self.pid) {
                let _ = host.remove_file(&self.path);
            }
        }
    }
}

/// The lock wait in whole milliseconds.
fn lock_timeout(host: &dyn Host) -> u32 {
    host.env("PACKAGING_LOCK_TIMEOUT_MS")
        // Whole milliseconds: parsing decimals would bring in float tables
        // (about 14 KB of the module) for one setting.
        .and_then(|v| v.trim().parse::<u32>().ok())
        .unwrap_or(DEFAULT_LOCK_TIMEOUT_MS)
}

/// Run `f` while holding the lock of a file: `<path>.lock`, created
/// exclusively, holding this process's pid, host, time and `command`. A lock
/// whose process is gone is taken over; waiting is bounded. `rel` (the file's
/// repository path) and `tool` (the program a user would look for) name the
/// lock in messages. The lock is released whatever `f` returns.
pub fn with_lock<T>(
    host: &dyn Host,
    path: &str,
    rel: &str,
    tool: &str,
    command: &str,
    f: impl FnOnce() -> Result<T, Failure>,
) -> Result<T, Failure> {
    let lock = acquire(host, path, rel, tool, command)?;
    let result = f();
    lock.release(host);
    result
}

/// Take the lock of the file at `file_path`, waiting a bounded time.
fn acquire(
    host: &dyn Host,
    file_path: &str,
    file_rel: &str,
    tool: &str,
    command: &str,
) -> Result<Lock, Failure> {
    let path = format!("{file_path}{LOCK_SUFFIX}");
    let rel = format!("{file_rel}{LOCK_SUFFIX}");
    let me = LockInfo {
        pid: host.pid(),
        host: host.hostname(),
        since: iso_utc(host.now_ms()),
        command: command.to_string(),
    };
    let content = serde_json::to_string(&me).unwrap_or_default();
    let start = host.now_ms();
    let timeout = lock_timeout(host);
    let mut wait = 2u32 + host.pid() % 5;
    let mut unreadable_since: Option<f64> = None;
    loop {
        if host.create_new(&path, &content)? {
            return Ok(Lock { path, pid: me.pid });
        }
        let holder = host.read_file(&path)?;
        let Some(text) = holder else { continue };
        match serde_json::from_str::<LockInfo>(&text) {
            Ok(info) => {
                unreadable_since = None;
                if info.host == me.host && info.pid != me.pid && !host.process_alive(info.pid) {
                    take_over(host, &path, &text)?;
                    continue;
                }
                if host.now_ms() - start >= f64::from(timeout) {
                    let other_host = if info.host == me.host {
                        String::new()
                    } else {
                        format!(" on host {}", quote(&info.host))
                    };
                    return Err(Failure::new(format!(
                        "{rel} is held by process {}{other_host} ({}, since {}); gave up after {} ms. If no {tool} command is running, delete {rel}",
                        info.pid, info.command, info.since, timeout
                    )));
                }
            }
            Err(_) => {
                // A writer killed between creating and filling the lock leaves
                // it empty; give a live writer a moment, then take it over.
                let since = *unreadable_since.get_or_insert(host.now_ms());
                if host.now_ms() - since > 1_000.0 {
                    take_over(host, &path, &text)?;
                    unreadable_since = None;
                    continue;
                }
                if host.now_ms() - start >= f64::from(timeout) {
                    return Err(Failure::new(format!(
                        "{rel} exists but is unreadable; gave up after {timeout} ms. If no {tool} command is running, delete {rel}"
                    )));
                }
            }
        }
        host.sleep_ms(wait);
        wait = (wait * 2).min(40);
    }
}

/// Remove a stale lock. A second lock (`.lock.break`) makes sure that of two
/// waiters who both saw the same stale lock only one removes it, and never a
/// fresh lock taken in between.
fn take_over(host: &dyn Host, path: &str, stale: &str) -> Result<(), Failure> {
    let breaker = format!("{path}.break");
    let content = format!("{}", host.pid());
    if !host.create_new(&breaker, &content)? {
        // Someone else is breaking it; if that one died, clear its breaker.
        if let Some(text) = host.read_file(&breaker)? {
            if let Ok(pid) = text.trim().parse::<u32>() {
                if !host.process_alive(pid) {
                    let _ = host.remove_file(&breaker);
                }
            }
        }
        host.sleep_ms(5);
        return Ok(());
    }
    let still_stale = host.read_file(path)?.as_deref() == Some(stale);
    if still_stale {
        let _ = host.remove_file(path);
    }
    let _ = host.remove_file(&breaker);
    Ok(())
}

/// Let go of what a command read, at its end. The WebAssembly CLI runs one
/// command per process, and the process exit returns all memory at once:
/// freeing a 10,000-target registry string by string first would cost some
/// 8 ms of the command (the reason compilers have `-disable-free`). Natively
/// (tests, many commands per process) it is dropped as usual. Commands only:
/// the JS API never calls this.
pub fn release<T>(value: T) {
    if cfg!(target_arch = "wasm32") {
        std::mem::forget(value);
    } else {
        drop(value);
    }
}

/// Change the registry under the lock: read the current file, let `change`
/// edit it, set `updatedAt`, write it atomically. Nothing is written when
/// `change` fails. A missing file starts as an empty registry; unless
/// `create` is set, `change` then only decides the outcome and nothing is
/// created (no folder, no lock, no file).
pub fn update<T>(
    host: &dyn Host,
    root: &str,
    command: &str,
    create: bool,
    change: impl FnOnce(&mut Registry) -> Result<T, Failure>,
) -> Result<T, Failure> {
    let path = join(root, REGISTRY_PATH);
    let dir = join(root, "docs/packaging");
    ensure_inside(host, root, REGISTRY_PATH, "the registry")?;
    if host.stat(&dir)? != EntryKind::Dir {
        if !create {
            return change(&mut Registry::new());
        }
        host.mkdir_all(&dir)?;
    }
    with_lock(host, &path, REGISTRY_PATH, TOOL, command, || {
        let (mut registry, exists) = match load(host, root)? {
            Some(loaded) => (loaded.registry, true),
            None => (Registry::new(), false),
        };
        let out = change(&mut registry)?;
        if exists || create {
            registry.updated_at = Some(iso_utc(host.now_ms()).into());
            host.write_atomic(&path, &registry.render())
                .map_err(|e| Failure::new(format!("cannot write {REGISTRY_PATH}: {e}")))?;
        }
        release(registry);
        Ok(out)
    })
}

/// What [`update`] would do, without the lock and without writing: the
/// registry read now (an empty one when there is no file), changed by
/// `change`, for `--dry-run`.
pub fn preview<T>(
    host: &dyn Host,
    root: &str,
    change: impl FnOnce(&mut Registry) -> Result<T, Failure>,
) -> Result<T, Failure> {
    ensure_inside(host, root, REGISTRY_PATH, "the registry")?;
    let mut registry = load(host, root)?.map_or_else(Registry::new, |l| l.registry);
    let out = change(&mut registry)?;
    release(registry);
    Ok(out)
}

/// Write an empty registry when there is none (under the lock, so a
/// concurrent `add` is never overwritten). Returns whether it wrote one.
pub fn create_if_missing(host: &dyn Host, root: &str) -> Result<bool, Failure> {
    let path = join(root, REGISTRY_PATH);
    let dir = join(root, "docs/packaging");
    ensure_inside(host, root, REGISTRY_PATH, "the registry")?;
    if host.stat(&dir)? != EntryKind::Dir {
        host.mkdir_all(&dir)?;
    }
    with_lock(host, &path, REGISTRY_PATH, TOOL, "init", || {
        if host.stat(&path)? != EntryKind::Missing {
            return Ok(false);
        }
        let mut registry = Registry::new();
        registry.updated_at = Some(iso_utc(host.now_ms()).into());
        host.write_atomic(&path, &registry.render())
            .map_err(|e| Failure::new(format!("cannot write {REGISTRY_PATH}: {e}")))?;
        Ok(true)
    })
}
