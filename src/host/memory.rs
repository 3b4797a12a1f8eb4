//! An in-memory [`Host`]: a file tree, a clock, an environment and a process
//! table in plain data. Native tests run every command against it, and it
//! shows what a host must do without any IO.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use super::{Captured, EntryKind, Exit, Host, HostError};
use crate::values::paths::normalize_absolute;

/// One recorded child process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spawned {
    pub program: String,
    pub args: Vec<String>,
    pub cwd: String,
}

#[derive(Default)]
struct State {
    files: BTreeMap<String, String>,
    dirs: BTreeSet<String>,
    links: BTreeMap<String, String>,
    stdout: String,
    stderr: String,
    spawned: Vec<Spawned>,
    exits: Vec<Exit>,
    captures: BTreeMap<String, Captured>,
    now_ms: f64,
    writes: usize,
    tokens: u32,
    /// Paths (and everything below them) where writes and removals fail.
    denied: Vec<String>,
}

pub struct MemHost {
    state: RefCell<State>,
    pub cwd: String,
    pub pid: u32,
    pub env: BTreeMap<String, String>,
    pub alive: BTreeSet<u32>,
    /// What [`Host::process_started`] answers for a pid (none: unknown).
    pub started: BTreeMap<u32, String>,
    /// What [`Host::skill_dir`] answers (`None`: not known).
    pub skill_dir: Option<String>,
}

impl Default for MemHost {
    fn default() -> Self {
        MemHost::new("/repo")
    }
}

impl MemHost {
    /// A host whose current folder (and only folder) is `cwd`.
    pub fn new(cwd: &str) -> MemHost {
        let host = MemHost {
            state: RefCell::new(State {
                now_ms: 1_795_689_104_123.0,
                ..State::default()
            }),
            cwd: cwd.to_string(),
            pid: 4242,
            env: BTreeMap::new(),
            alive: BTreeSet::new(),
            started: BTreeMap::new(),
            skill_dir: None,
        };
        host.add_dir(cwd);
        host
    }

    pub fn add_dir(&self, path: &str) {
        let mut s = self.state.borrow_mut();
        let mut p = normalize_absolute(path);
        loop {
            s.dirs.insert(p.clone());
            match p.rfind('/') {
                Some(0) | None => break,
                Some(i) => p.truncate(i),
            }
        }
        s.dirs.insert("/".into());
    }

    pub fn add_file(&self, path: &str, text: &str) {
        let path = normalize_absolute(path);
        if let Some(i) = path.rfind('/') {
            self.add_dir(&path[..i.max(1)]);
        }
        self.state.borrow_mut().files.insert(path, text.to_string());
    }

    /// Make `path` a symbolic link to `target` (both absolute).
    pub fn add_link(&self, path: &str, target: &str) {
        self.state
            .borrow_mut()
            .links
            .insert(path.to_string(), target.to_string());
    }

    pub fn file(&self, path: &str) -> Option<String> {
        self.state.borrow().files.get(path).cloned()
    }

    pub fn has_dir(&self, path: &str) -> bool {
        self.state.borrow().dirs.contains(path)
    }

    /// Every file path, sorted.
    pub fn files(&self) -> Vec<String> {
        self.state.borrow().files.keys().cloned().collect()
    }

    pub fn stdout(&self) -> String {
        self.state.borrow().stdout.clone()
    }

    pub fn stderr(&self) -> String {
        self.state.borrow().stderr.clone()
    }

    pub fn clear_output(&self) {
        let mut s = self.state.borrow_mut();
        s.stdout.clear();
        s.stderr.clear();
    }

    pub fn spawned(&self) -> Vec<Spawned> {
        self.state.borrow().spawned.clone()
    }

    /// How the next spawned processes end (in order; `Code(0)` after that).
    pub fn push_exit(&self, exit: Exit) {
        self.state.borrow_mut().exits.push(exit);
    }

    /// What `capture` returns for `program args…` joined by spaces.
    pub fn set_capture(&self, command_line: &str, captured: Captured) {
        self.state
            .borrow_mut()
            .captures
            .insert(command_line.to_string(), captured);
    }

    pub fn set_now(&self, ms: f64) {
        self.state.borrow_mut().now_ms = ms;
    }

    /// Delete a file behind the core's back (as a user would).
    pub fn remove_file_for_test(&self, path: &str) {
        self.state.borrow_mut().files.remove(path);
    }

    /// Make every write, copy and removal at `path` or below it fail with
    /// `EACCES`, as a read-only file or folder would.
    pub fn deny_writes(&self, path: &str) {
        self.state
            .borrow_mut()
            .denied
            .push(normalize_absolute(path));
    }

    fn check_writable(&self, path: &str) -> Result<(), HostError> {
        let s = self.state.borrow();
        let denied = s
            .denied
            .iter()
            .any(|d| path == d || path.starts_with(&format!("{d}/")));
        if denied {
            return Err(HostError::new(format!(
                "EACCES: permission denied, open '{path}'"
            )));
        }
        Ok(())
    }

    /// How many atomic writes happened.
    pub fn writes(&self) -> usize {
        self.state.borrow().writes
    }

    fn resolve(&self, path: &str) -> String {
        let s = self.state.borrow();
        let mut out = String::new();
        for part in normalize_absolute(path)
            .split('/')
            .filter(|p| !p.is_empty())
        {
            out.push('/');
            out.push_str(part);
            if let Some(t) = s.links.get(&out) {
                out = normalize_absolute(t);
            }
        }
        if out.is_empty() {
            "/".into()
        } else {
            out
        }
    }

    fn parent_exists(&self, path: &str) -> Result<(), HostError> {
        let parent = match path.rfind('/') {
            Some(0) => "/",
            Some(i) => &path[..i],
            None => "/",
        };
        if self.state.borrow().dirs.contains(parent) {
            Ok(())
        } else {
            Err(HostError::new(format!(
                "ENOENT: no such file or directory, open '{path}'"
            )))
        }
    }
}

impl Host for MemHost {
    fn cwd(&self) -> String {
        self.cwd.clone()
    }
    fn now_ms(&self) -> f64 {
        self.state.borrow().now_ms
    }
    fn pid(&self) -> u32 {
        self.pid
    }
    fn env(&self, name: &str) -> Option<String> {
        self.env.get(name).cloned()
    }
    fn hostname(&self) -> String {
        "memhost".into()
    }
    fn stat(&self, path: &str) -> Result<EntryKind, HostError> {
        let path = self.resolve(path);
        let s = self.state.borrow();
        Ok(if s.files.contains_key(&path) {
            EntryKind::File
        } else if s.dirs.contains(&path) {
            EntryKind::Dir
        } else {
            EntryKind::Missing
        })
    }
    fn entry_kind(&self, path: &str) -> Result<String, HostError> {
        let p = normalize_absolute(path);
        if self.state.borrow().links.contains_key(&p) {
            return Ok("a symbolic link".into());
        }
        Ok(match self.stat(&p)? {
            EntryKind::File => "file",
            EntryKind::Dir => "a folder",
            EntryKind::Missing => "missing",
            EntryKind::Other => "not a regular file",
        }
        .into())
    }
    fn token(&self) -> String {
        let mut s = self.state.borrow_mut();
        s.tokens += 1;
        format!("token{}", s.tokens)
    }
    fn read_file(&self, path: &str) -> Result<Option<String>, HostError> {
        let path = self.resolve(path);
        let s = self.state.borrow();
        if s.dirs.contains(&path) {
            return Err(HostError::new(format!(
                "EISDIR: illegal operation on a directory, read '{path}'"
            )));
        }
        Ok(s.files.get(&path).cloned())
    }
    fn read_dir(&self, path: &str) -> Result<Vec<String>, HostError> {
        let path = self.resolve(path);
        let s = self.state.borrow();
        let prefix = if path == "/" {
            "/".to_string()
        } else {
            format!("{path}/")
        };
        let mut names: BTreeSet<String> = BTreeSet::new();
        for p in s.files.keys().chain(s.dirs.iter()).chain(s.links.keys()) {
            if let Some(rest) = p.strip_prefix(&prefix) {
                if !rest.is_empty() && !rest.contains('/') {
                    names.insert(rest.to_string());
                }
            }
        }
        Ok(names.into_iter().collect())
    }
    fn temp_dir(&self) -> Result<String, HostError> {
        let n = {
            let mut s = self.state.borrow_mut();
            s.tokens += 1;
            s.tokens
        };
        let dir = format!("/tmp/ctl-packaging-{n}");
        self.add_dir(&dir);
        Ok(dir)
    }
    fn mkdir_all(&self, path: &str) -> Result<(), HostError> {
        let path = self.resolve(path);
        if self.state.borrow().files.contains_key(&path) {
            return Err(HostError::new(format!(
                "EEXIST: file already exists, mkdir '{path}'"
            )));
        }
        self.add_dir(&path);
        Ok(())
    }
    fn create_new(&self, path: &str, contents: &str) -> Result<bool, HostError> {
        let path = self.resolve(path);
        self.check_writable(&path)?;
        self.parent_exists(&path)?;
        let mut s = self.state.borrow_mut();
        if s.files.contains_key(&path) || s.dirs.contains(&path) {
            return Ok(false);
        }
        s.files.insert(path, contents.to_string());
        Ok(true)
    }
    fn write_atomic(&self, path: &str, contents: &str) -> Result<(), HostError> {
        let path = self.resolve(path);
        self.check_writable(&path)?;
        self.parent_exists(&path)?;
        let mut s = self.state.borrow_mut();
        s.writes += 1;
        s.files.insert(path, contents.to_string());
        Ok(())
    }
    fn remove_file(&self, path: &str) -> Result<(), HostError> {
        let path = self.resolve(path);
        self.check_writable(&path)?;
        match self.state.borrow_mut().files.remove(&path) {
            Some(_) => Ok(()),
            None => Err(HostError::new(format!(
                "ENOENT: no such file or directory, unlink '{path}'"
            ))),
        }
    }
    fn remove_dir(&self, path: &str) -> Result<bool, HostError> {
        let path = self.resolve(path);
        if !self.state.borrow().dirs.contains(&path) || !self.read_dir(&path)?.is_empty() {
            return Ok(false);
        }
        self.state.borrow_mut().dirs.remove(&path);
        Ok(true)
    }
    fn real_path(&self, path: &str) -> Result<Option<String>, HostError> {
        let real = self.resolve(path);
        Ok((self.stat(&real)? != EntryKind::Missing).then_some(real))
    }
    fn copy_file(&self, from: &str, to: &str, replace: bool) -> Result<bool, HostError> {
        let Some(text) = self.read_file(from)? else {
            return Err(HostError::new(format!(
                "ENOENT: no such file or directory, copyfile '{from}' -> '{to}'"
            )));
        };
        if replace {
            if self.stat(to)? == EntryKind::Dir {
                return Err(HostError::new(format!(
                    "EISDIR: illegal operation on a directory, rename '{to}'"
                )));
            }
            self.write_atomic(to, &text)?;
            Ok(true)
        } else {
            self.create_new(to, &text)
        }
    }
    fn file_digest(&self, path: &str) -> Result<Option<String>, HostError> {
        // Any stable digest will do here: FNV-1a, 64 bits.
        Ok(self.read_file(path)?.map(|text| {
            let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
            });
            format!("fnv1a64:{hash:016x}")
        }))
    }
    fn skill_dir(&self) -> Option<String> {
        self.skill_dir.clone()
    }
    fn process_alive(&self, pid: u32) -> bool {
        pid == self.pid || self.alive.contains(&pid)
    }
    fn process_started(&self, pid: u32) -> String {
        self.started.get(&pid).cloned().unwrap_or_default()
    }
    fn sleep_ms(&self, ms: u32) {
        self.state.borrow_mut().now_ms += f64::from(ms);
    }
    fn spawn(&self, program: &str, args: &[String], cwd: &str) -> Result<Exit, HostError> {
        let mut s = self.state.borrow_mut();
        s.spawned.push(Spawned {
            program: program.to_string(),
            args: args.to_vec(),
            cwd: cwd.to_string(),
        });
        Ok(if s.exits.is_empty() {
            Exit::Code(0)
        } else {
            s.exits.remove(0)
        })
    }
    fn capture(&self, program: &str, args: &[String], _cwd: &str) -> Result<Captured, HostError> {
        let line = std::iter::once(program.to_string())
            .chain(args.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ");
        Ok(self
            .state
            .borrow()
            .captures
            .get(&line)
            .cloned()
            .unwrap_or(Captured {
                exit: Exit::NotFound,
                stdout: String::new(),
                stderr: String::new(),
            }))
    }
    fn write_stdout(&self, text: &str) {
        self.state.borrow_mut().stdout.push_str(text);
    }
    fn write_stderr(&self, text: &str) {
        self.state.borrow_mut().stderr.push_str(text);
    }
}
