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
use crate::registry::{canonical, Registry, Summary, REGISTRY_PATH};
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
#[inline(never)]
pub fn load(host: &dyn Host, root: &str) -> Result<Option<Loaded>, Failure> {
    let Some(text) = read(host, root)? else {
        return Ok(None);
    };
    match inspect(&text) {
        Ok(registry) => Ok(Some(Loaded { text, registry })),
        Err(diagnostics) => Err(refusal(&diagnostics)),
    }
}

/// [`load`] for the commands that only count targets: a registry in the
/// common shape is only checked ([`canonical::check`]), its targets counted
/// and not kept; any other takes [`load`]'s path, with its refusals.
#[inline(never)]
pub fn summary(host: &dyn Host, root: &str) -> Result<Option<Summary>, Failure> {
    let Some(text) = read(host, root)? else {
        return Ok(None);
    };
    let summary = match canonical::check(&text) {
        Some(summary) => summary,
        None => match inspect(&text) {
            Ok(mut registry) => {
                let summary = Summary::take(&mut registry);
                release(registry);
                summary
            }
            Err(diagnostics) => return Err(refusal(&diagnostics)),
        },
    };
    release(text);
    Ok(Some(summary))
}

fn read(host: &dyn Host, root: &str) -> Result<Option<String>, Failure> {
    host.read_file(&join(root, REGISTRY_PATH))
        .map_err(|e| Failure::new(format!("cannot read {REGISTRY_PATH}: {e}")))
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
/// The largest `PACKAGING_LOCK_TIMEOUT_MS`: one hour.
const MAX_LOCK_TIMEOUT_MS: u32 = 3_600_000;
/// A lock that does not parse (its writer died between create and write,
/// with an older version of this tool, or a full disk) is taken over once it
/// has looked the same for this long, or a quarter of the lock timeout when that is
/// shorter. (This version's locks appear complete: the host links a flushed
/// file into place.)
const GARBLED_LOCK_MS: f64 = 1_000.0;
/// A lock breaker is held for a few file operations. One that has looked the
/// same for this long (or a quarter of the lock timeout when that is shorter) was
/// left by a writer that died; it is removed.
const STALE_BREAKER_MS: f64 = 2_000.0;
/// The longest single sleep of a lock wait.
const MAX_SLEEP_MS: u32 = 40;
/// A lock whose pid nobody here can check (another host, PID namespace or
/// boot) is taken over once its holder has not renewed it for this long;
/// `PACKAGING_LOCK_STALE_MS` changes it. A holder renews its lock at its
/// checks when a quarter of this has passed since the last renewal.
const DEFAULT_LOCK_STALE_MS: u32 = 60_000;
/// The shortest `PACKAGING_LOCK_STALE_MS`: one second.
const MIN_LOCK_STALE_MS: u32 = 1_000;

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct LockInfo {
    pid: u32,
    host: String,
    since: String,
    command: String,
    /// A random value of the holder: a lock is ours only while it holds our
    /// token (locks of older versions have none).
    #[serde(default)]
    token: String,
    /// The holder's boot and PID namespace ([`Host::namespace`]); locks of
    /// older versions have none and are judged by host and pid alone.
    #[serde(default)]
    ns: String,
    /// When the holder started ([`Host::process_started`]); older locks and
    /// hosts that cannot tell have none.
    #[serde(default)]
    start: String,
    /// When the holder last renewed the lock, in milliseconds since the
    /// epoch on its clock; 0 in locks of versions that did not renew (and
    /// in locks whose value is not a whole number: nothing is guessed).
    #[serde(default, deserialize_with = "whole_ms")]
    beat: u64,
    /// The holder's stale bound (`PACKAGING_LOCK_STALE_MS`): a waiter
    /// judges the lock by the longer of this and its own.
    #[serde(default, deserialize_with = "whole_ms")]
    stale: u64,
}

/// A whole number of milliseconds, or 0 for any other JSON value.
fn whole_ms<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    use serde::Deserialize;
    Ok(serde_json::Value::deserialize(d)?.as_u64().unwrap_or(0))
}

impl LockInfo {
    /// Whether this lock's pid can be checked here: same host, and same boot
    /// and PID namespace where both are known.
    fn checkable_by(&self, me: &LockInfo) -> bool {
        self.host == me.host && (self.ns.is_empty() || me.ns.is_empty() || self.ns == me.ns)
    }

    /// Whether the holder of a lock [`LockInfo::checkable_by`] `me` is gone:
    /// its pid runs no process, or now names another one (started at
    /// another time than the lock says; this process itself is one, as it
    /// does not hold the lock it is waiting for). Without start times on
    /// both sides, a running pid counts as the holder.
    fn holder_gone(&self, me: &LockInfo, host: &dyn Host) -> bool {
        let other_start =
            |now: &str| !self.start.is_empty() && !now.is_empty() && now != self.start;
        if self.pid == me.pid {
            return other_start(&me.start);
        }
        !host.process_alive(self.pid) || other_start(&host.process_started(self.pid))
    }

    /// The bound a waiter whose own is `mine` judges this lock by.
    fn bound(&self, mine: f64) -> f64 {
        mine.max(self.stale as f64)
    }

    /// Whether the holder of a lock nobody here can check is gone at `now`:
    /// it has not renewed the lock for [`LockInfo::bound`], or its last
    /// renewal lies further ahead of this clock than that (clocks further
    /// apart than the bound, which the protocol rules out). A lock that
    /// records no renewal is never judged by age.
    fn silent_past(&self, now: f64, mine: f64) -> bool {
        let (beat, bound) = (self.beat as f64, self.bound(mine));
        self.beat > 0 && (now - beat >= bound || beat - now > bound)
    }
}

/// A lock file's text.
fn lock_text(info: &LockInfo) -> String {
    serde_json::to_string(info).unwrap_or_default()
}

/// Milliseconds since the epoch as a lock's renewal time.
fn beat_at(now: f64) -> u64 {
    now.max(0.0) as u64
}

/// Holds a lock until it is released. Its holder calls [`Lock::check`]
/// before every write, which also renews it when due.
pub struct Lock {
    path: String,
    rel: String,
    /// The lock's content as this holder last wrote it: the lock is ours
    /// while its text is exactly this, serialized. Comparing text needs no
    /// JSON parser on the common path (a parser of lock files costs some
    /// 20 KB of code that a writer would otherwise compile in every
    /// process), and it is stricter than comparing tokens.
    info: std::cell::RefCell<LockInfo>,
    /// This holder's stale bound: it renews the lock when a quarter of it
    /// has passed since the last renewal, and writes nothing once it has
    /// gone this long without one (it may have been taken over meanwhile).
    stale_ms: f64,
}

impl Lock {
    /// Whether the lock still reads as this holder wrote it last (its token
    /// is random, so no other writer's lock can).
    fn ours(&self, host: &dyn Host) -> bool {
        host.read_lock(&self.path).ok().flatten() == Some(lock_text(&self.info.borrow()))
    }

    /// Fail unless the lock still reads as we wrote it (a lock taken over
    /// behind our back must not be written under) and this holder has not
    /// gone the stale bound without renewing it; then renew it when a
    /// renewal is due ([`Lock::renew`]).
    pub fn check(&self, host: &dyn Host) -> Result<(), Failure> {
        if !self.ours(host) {
            return Err(self.taken_over());
        }
        let before = self.info.borrow().beat;
        self.fresh(host, before)?;
        if self.due(host) {
            self.rewrite(host, before)?;
        }
        Ok(())
    }

    fn taken_over(&self) -> Failure {
        Failure::new(format!(
            "{} was taken over by another command while this one held it; nothing was written. Run the command again",
            self.rel
        ))
    }

    /// Fail when the stale bound has passed since the renewal at `beat`: a
    /// writer that cannot check this process may have taken the lock over
    /// in that time (and a renewal written since may have put it back).
    fn fresh(&self, host: &dyn Host, beat: u64) -> Result<(), Failure> {
        let silent = host.now_ms() - beat as f64;
        if silent < self.stale_ms {
            return Ok(());
        }
        Err(Failure::new(format!(
            "this command held {} for {} ms without renewing it, longer than its stale bound ({} ms, PACKAGING_LOCK_STALE_MS), so another command may have taken it over; nothing was written. Run the command again",
            self.rel, silent as u64, self.stale_ms
        )))
    }

    /// Whether a quarter of the stale bound has passed since the last renewal.
    fn due(&self, host: &dyn Host) -> bool {
        host.now_ms() - (self.info.borrow().beat as f64) >= self.stale_ms / 4.0
    }

    /// Between the steps of a long hold: when a renewal is due, write the
    /// lock again with the time now (only while it is still ours), so that
    /// writers who cannot check this process see it alive. Costs a clock
    /// read otherwise.
    pub fn renew(&self, host: &dyn Host) -> Result<(), Failure> {
        if !self.due(host) {
            return Ok(());
        }
        if !self.ours(host) {
            return Err(self.taken_over());
        }
        let before = self.info.borrow().beat;
        self.rewrite(host, before)
    }

    /// Write the lock again with the time now; `before` is the renewal it
    /// replaces. The token check before and the rename are two steps: a
    /// holder stalled between them past the bound can rename its lock back
    /// over one taken over meanwhile. It then fails here, measured from
    /// `before`, and writes nothing.
    fn rewrite(&self, host: &dyn Host, before: u64) -> Result<(), Failure> {
        let mut next = self.info.borrow().clone();
        next.beat = beat_at(host.now_ms());
        host.replace_lock(&self.path, &lock_text(&next))
            .map_err(|e| {
                Failure::new(format!(
                    "cannot renew {}: {e}; nothing was written. Run the command again",
                    self.rel
                ))
            })?;
        *self.info.borrow_mut() = next;
        self.fresh(host, before)
    }

    fn release(self, host: &dyn Host) {
        // Remove the lock only while it is still ours.
        if self.ours(host) {
            let _ = host.remove_file(&self.path);
        }
    }
}

/// A lock setting in whole milliseconds: the variable `name`, a whole
/// number from `min` to one hour, or `default`. Anything else is refused,
/// not silently replaced by the default.
fn lock_ms(host: &dyn Host, name: &str, min: u32, default: u32) -> Result<u32, Failure> {
    let Some(value) = host.env(name) else {
        return Ok(default);
    };
    // Whole milliseconds: parsing decimals would bring in float tables
    // (about 14 KB of the module) for one setting.
    match value.parse::<u32>() {
        Ok(ms)
            if (min..=MAX_LOCK_TIMEOUT_MS).contains(&ms)
                && value.bytes().all(|b| b.is_ascii_digit()) =>
        {
            Ok(ms)
        }
        _ => Err(Failure::new(format!(
            "{name}={} is not a whole number of milliseconds from {min} to {MAX_LOCK_TIMEOUT_MS}; set one, or unset it for the default ({default})",
            quote(&value)
        ))),
    }
}

/// Run `f` while holding the lock of a file: `<path>.lock`, created
/// exclusively, holding this process's pid, host, time, `command` and a
/// random token. A lock whose process is gone is taken over; waiting is
/// bounded. `rel` (the file's repository path) and `tool` (the program a user
/// would look for) name the lock in messages. `f` gets the lock to
/// [`Lock::check`] before each write. The lock is released whatever `f`
/// returns.
pub fn with_lock<T>(
    host: &dyn Host,
    path: &str,
    rel: &str,
    tool: &str,
    command: &str,
    f: impl FnOnce(&Lock) -> Result<T, Failure>,
) -> Result<T, Failure> {
    let lock = acquire(host, path, rel, tool, command)?;
    let result = f(&lock);
    lock.release(host);
    result
}

/// A lock or breaker that is not a regular file was not made by this tool:
/// waiting cannot help, so the refusal is immediate.
fn not_a_lock(rel: &str, kind: &str, tool: &str) -> Failure {
    Failure::new(format!(
        "{rel} is {kind}, not a lock file of {tool}; nothing was changed. If no {tool} command is running, delete it and run the command again"
    ))
}

/// What the wait has seen of a lock or breaker that did not parse or did not
/// go away: its text and since when (a leftover is recognised by not changing).
/// The second field: after how long unchanged it counts as left over.
struct Seen(Option<(String, f64)>, f64);

/// What a lock wait watches for: a garbled lock and a breaker left over.
struct Leftovers {
    garbled: Seen,
    breaker: Seen,
}

impl Seen {
    /// How long `text` has been seen unchanged.
    fn unchanged_for(&mut self, text: &str, now: f64) -> f64 {
        match &self.0 {
            Some((t, since)) if t == text => now - since,
            _ => {
                self.0 = Some((text.to_string(), now));
                0.0
            }
        }
    }
}

/// Take the lock of the file at `file_path`, waiting a bounded time. Every
/// turn of the wait checks the deadline and sleeps.
fn acquire(
    host: &dyn Host,
    file_path: &str,
    file_rel: &str,
    tool: &str,
    command: &str,
) -> Result<Lock, Failure> {
    let timeout = lock_ms(
        host,
        "PACKAGING_LOCK_TIMEOUT_MS",
        0,
        DEFAULT_LOCK_TIMEOUT_MS,
    )?;
    let stale = f64::from(lock_ms(
        host,
        "PACKAGING_LOCK_STALE_MS",
        MIN_LOCK_STALE_MS,
        DEFAULT_LOCK_STALE_MS,
    )?);
    let path = format!("{file_path}{LOCK_SUFFIX}");
    let rel = format!("{file_rel}{LOCK_SUFFIX}");
    let start = host.now_ms();
    let mut me = LockInfo {
        pid: host.pid(),
        host: host.hostname(),
        since: iso_utc(start),
        command: command.to_string(),
        token: host.token(),
        ns: host.namespace(),
        start: host.process_started(host.pid()),
        beat: beat_at(start),
        stale: stale as u64,
    };
    let deadline = start + f64::from(timeout);
    let mut wait = 2u32 + host.pid() % 5;
    // Both graces fit in half the timeout, one after the other.
    let quarter = f64::from(timeout) / 4.0;
    let mut seen = Leftovers {
        garbled: Seen(None, GARBLED_LOCK_MS.min(quarter)),
        breaker: Seen(None, STALE_BREAKER_MS.min(quarter)),
    };
    loop {
        // The lock records when it was taken, not when the wait began: a
        // lock taken after a long wait must not look silent to a writer that
        // cannot check its pid.
        let now = host.now_ms();
        me.since = iso_utc(now);
        me.beat = beat_at(now);
        if host.create_lock(&path, &lock_text(&me))? {
            let lock = Lock {
                path,
                rel,
                info: std::cell::RefCell::new(me),
                stale_ms: stale,
            };
            // The lock appeared complete (the host links a written file into
            // place); reading it back as written proves it is ours.
            if lock.ours(host) {
                sweep_temporaries(host, file_path);
                return Ok(lock);
            }
            return Err(Failure::new(format!(
                "{} did not read as this command wrote it right after it was created; nothing was changed. Run the command again",
                lock.rel
            )));
        }
        let holder = look_at(host, &path, &rel, tool, &me, stale, &mut seen)?;
        if host.now_ms() >= deadline {
            return Err(match holder {
                Some(info) => held_by(&info, &me, &rel, tool, timeout, stale, host.now_ms()),
                None => Failure::new(format!(
                    "{rel} exists but is unreadable; gave up after {timeout} ms. If no {tool} command is running, delete {rel}"
                )),
            });
        }
        host.sleep_ms(wait);
        wait = (wait * 2).min(MAX_SLEEP_MS);
    }
}

/// A waiter's look at the lock it could not create: takes over a stale one,
/// refuses one that is not a regular file, and answers the holder of a live
/// one (None when the lock is gone or did not parse). Out of line: a writer
/// that finds no lock, the common case, does not compile the lock parser.
#[inline(never)]
fn look_at(
    host: &dyn Host,
    path: &str,
    rel: &str,
    tool: &str,
    me: &LockInfo,
    stale: f64,
    seen: &mut Leftovers,
) -> Result<Option<LockInfo>, Failure> {
    match host.entry_kind(path)?.as_str() {
        "missing" => {}
        "file" => {
            let text = host
                .read_lock(path)
                .map_err(|e| Failure::new(format!("cannot read {rel}: {e}")))?
                .unwrap_or_default();
            match serde_json::from_str::<LockInfo>(&text) {
                Ok(info) => {
                    seen.garbled.0 = None;
                    // A pid checkable here is judged by its process; any
                    // other holder by its renewals.
                    let gone = if info.checkable_by(me) {
                        info.holder_gone(me, host)
                    } else {
                        info.silent_past(host.now_ms(), stale)
                    };
                    if gone {
                        take_over(host, path, rel, tool, &text, &mut seen.breaker)?;
                    }
                    return Ok(Some(info));
                }
                Err(_) => {
                    // Empty or garbled: a writer killed between creating and
                    // filling it (older versions), or a lock a power loss
                    // emptied (locks are not flushed). Unchanged for a while: stale.
                    if seen.garbled.unchanged_for(&text, host.now_ms()) >= seen.garbled.1 {
                        take_over(host, path, rel, tool, &text, &mut seen.breaker)?;
                    }
                }
            }
        }
        other => return Err(not_a_lock(rel, other, tool)),
    }
    Ok(None)
}

/// The refusal of a writer that waited `timeout` ms for the lock `info`.
#[inline(never)]
fn held_by(
    info: &LockInfo,
    me: &LockInfo,
    rel: &str,
    tool: &str,
    timeout: u32,
    stale: f64,
    now: f64,
) -> Failure {
    let (other_host, by_age) = if info.checkable_by(me) {
        (String::new(), String::new())
    } else {
        let place = if info.host != me.host {
            format!(" on host {}", quote(&info.host))
        } else {
            " in another PID namespace (a container) or boot of this host".to_string()
        };
        let bound = info.bound(stale);
        let due = info.beat as f64 + bound;
        let age = if info.beat > 0 && due > now {
            format!(
                " Unless its holder renews it, it is taken over at {} ({bound} ms after its last renewal, PACKAGING_LOCK_STALE_MS).",
                iso_utc(due)
            )
        } else if info.beat > 0 {
            format!(
                " It has not been renewed for {bound} ms (PACKAGING_LOCK_STALE_MS) and is due to be taken over; run the command again."
            )
        } else {
            " It records no renewal, so it is never taken over by age (an older version wrote it)."
                .to_string()
        };
        (place, age)
    };
    Failure::new(format!(
        "{rel} is held by process {}{other_host} ({}, since {}); gave up after {timeout} ms.{by_age} If no {tool} command is running, delete {rel}",
        info.pid, info.command, info.since
    ))
}

/// Remove a stale lock. A second lock (`.lock.break`) makes sure that of two
/// waiters who both saw the same stale lock only one removes it, and never a
/// fresh lock taken in between. A breaker left by a writer that died (it
/// looks the same for [`STALE_BREAKER_MS`]) is removed; one that is not a
/// regular file is refused with its path.
fn take_over(
    host: &dyn Host,
    path: &str,
    rel: &str,
    tool: &str,
    stale: &str,
    seen: &mut Seen,
) -> Result<(), Failure> {
    let breaker = format!("{path}.break");
    let breaker_rel = format!("{rel}.break");
    let content = format!("{} {}", host.pid(), host.token());
    if host.create_lock(&breaker, &content)? {
        if host.read_lock(path).ok().flatten().as_deref() == Some(stale) {
            let _ = host.remove_file(path);
        }
        let _ = host.remove_file(&breaker);
        return Ok(());
    }
    match host.entry_kind(&breaker)?.as_str() {
        "missing" => {}
        "file" => {
            let text = host.read_lock(&breaker).ok().flatten().unwrap_or_default();
            if seen.unchanged_for(&text, host.now_ms()) >= seen.1
                && host.read_lock(&breaker).ok().flatten().as_deref() == Some(text.as_str())
            {
                let _ = host.remove_file(&breaker);
                seen.0 = None;
            }
        }
        other => return Err(not_a_lock(&breaker_rel, other, tool)),
    }
    Ok(())
}

/// Remove the temporary files that writers killed while holding the lock of
/// `file_path` left in its folder (`.<name>.<random>.tmp`; only the lock's
/// holder writes them, so under the lock every one is a leftover).
fn sweep_temporaries(host: &dyn Host, file_path: &str) {
    let Some(slash) = file_path.rfind('/') else {
        return;
    };
    let (dir, name) = (&file_path[..slash], &file_path[slash + 1..]);
    let prefix = format!(".{name}.");
    if let Ok(names) = host.read_dir(dir) {
        for n in names {
            if n.starts_with(&prefix) && n.ends_with(".tmp") {
                let _ = host.remove_file(&join(dir, &n));
            }
        }
    }
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
    update_or_undo(host, root, command, create, change, || {})
}

/// [`update`], and when it fails once `change` has run, `undo` runs still
/// under the lock: what `change` made beside the registry (`add`'s seeded
/// Dockerfile) is gone before another command can see it.
pub fn update_or_undo<T>(
    host: &dyn Host,
    root: &str,
    command: &str,
    create: bool,
    change: impl FnOnce(&mut Registry) -> Result<T, Failure>,
    undo: impl FnOnce(),
) -> Result<T, Failure> {
    let path = join(root, REGISTRY_PATH);
    let dir = join(root, "docs/packaging");
    ensure_inside(host, root, REGISTRY_PATH, "the registry")?;
    if host.stat(&dir)? != EntryKind::Dir {
        if !create {
            let out = change(&mut Registry::new());
            if out.is_err() {
                undo();
            }
            return out;
        }
        host.mkdir_all(&dir)?;
    }
    let lock = acquire(host, &path, REGISTRY_PATH, TOOL, command)?;
    let result = (|| {
        let (mut registry, exists) = match load(host, root)? {
            Some(loaded) => (loaded.registry, true),
            None => (Registry::new(), false),
        };
        lock.renew(host)?;
        let out = change(&mut registry)?;
        if exists || create {
            registry.updated_at = Some(iso_utc(host.now_ms()).into());
            let text = registry.render();
            lock.check(host)?;
            host.write_atomic(&path, &text)
                .map_err(|e| Failure::new(format!("cannot write {REGISTRY_PATH}: {e}")))?;
        }
        release(registry);
        Ok(out)
    })();
    if result.is_err() {
        undo();
    }
    lock.release(host);
    result
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
    with_lock(host, &path, REGISTRY_PATH, TOOL, "init", |lock| {
        if host.stat(&path)? != EntryKind::Missing {
            return Ok(false);
        }
        let mut registry = Registry::new();
        registry.updated_at = Some(iso_utc(host.now_ms()).into());
        lock.check(host)?;
        host.write_atomic(&path, &registry.render())
            .map_err(|e| Failure::new(format!("cannot write {REGISTRY_PATH}: {e}")))?;
        Ok(true)
    })
}
