//! The boundary between the core and the world.
//!
//! The core never touches a file, a process or a clock itself: every command
//! asks a [`Host`]. The Node shim implements it with `node:fs` and
//! `node:child_process` (see `src/wasm/cli.rs` and `pkg-shim/node-host.mjs`);
//! native tests use the in-memory host, `memory::MemHost` (behind the
//! `test-host` feature, which the crate's own tests turn on).
//!
//! Paths handed to a host are absolute, `/`-separated, already normalised by
//! the core.

use std::fmt;

#[cfg(any(test, feature = "test-host"))]
pub mod memory;

/// The largest file a command reads (the registry among them), in bytes:
/// 64 MiB; `PACKAGING_MAX_FILE_BYTES` changes it.
pub const MAX_FILE_BYTES: u32 = 64 << 20;
/// The largest Dockerfile `verify` reads, in bytes: 1 MiB;
/// `PACKAGING_MAX_DOCKERFILE_BYTES` changes it.
pub const MAX_DOCKERFILE_BYTES: u32 = 1 << 20;

/// What is at a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    Missing,
    File,
    Dir,
    Other,
}

/// What a folder's entry is, a symbolic link not followed
/// ([`Host::read_dir_kinds`]).
#[cfg(feature = "ops")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Node {
    File,
    Dir,
    Link,
    /// A FIFO, a socket, a device.
    Other,
}

#[cfg(feature = "ops")]
impl Node {
    /// What [`Host::entry_kind`] says of an entry that is there.
    pub fn of_kind(kind: &str) -> Node {
        match kind {
            "file" => Node::File,
            "a folder" => Node::Dir,
            "a symbolic link" => Node::Link,
            _ => Node::Other,
        }
    }
}

/// A failed host operation, with the host's own words (`EACCES: permission denied, open '…'`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostError {
    pub message: String,
}

impl HostError {
    pub fn new(message: impl Into<String>) -> Self {
        HostError {
            message: message.into(),
        }
    }
}

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// How a child process ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    Signal(String),
    /// The program could not be started because it does not exist.
    NotFound,
}

/// Where the output of a program that [`Host::run_limited`] runs goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// Our stdout and stderr, as it comes.
    Inherit,
    /// Both on our stderr, as it comes: for a command whose stdout holds
    /// only its JSON result (`--format json`). Nothing is kept, so there is
    /// no limit to how much the program may print, and a long build shows
    /// its progress while it runs.
    Stderr,
    /// Captured and answered, for what the core reads (git, version probes).
    Capture,
}

/// Output of a process whose stdout and stderr were captured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Captured {
    pub exit: Exit,
    pub stdout: String,
    pub stderr: String,
}

/// Everything the core may ask of the outside world.
pub trait Host {
    /// Current working directory, absolute.
    fn cwd(&self) -> String;
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> f64;
    /// This process's id (written into lock files).
    fn pid(&self) -> u32;
    /// An environment variable.
    fn env(&self, name: &str) -> Option<String>;
    /// This machine's name (written into lock files: a pid is only checked
    /// on the machine that wrote it).
    fn hostname(&self) -> String;

    fn stat(&self, path: &str) -> Result<EntryKind, HostError>;
    /// What is at `path`, not following a symbolic link: `missing`, `file`,
    /// or a description for messages (`a symbolic link`, `a FIFO`,
    /// `a folder`, `a socket`, `a device`).
    fn entry_kind(&self, path: &str) -> Result<String, HostError>;
    /// Confine this process to the repository at `root`: from now on every
    /// write (and every read outside the skill folder) checks, when it
    /// happens, that the real path of the folder it happens in is inside
    /// `root`'s real path, and fails otherwise. Hosts without symbolic links
    /// have nothing to check.
    fn confine(&self, _root: &str) {}
    /// Which boot and PID namespace this process runs in (Linux: the boot id
    /// and `/proc/self/ns/pid`), written into lock files: a pid is only
    /// checked where it means the same process. Empty where unknown.
    fn namespace(&self) -> String {
        String::new()
    }
    /// A random token nobody can guess (lock ownership).
    fn token(&self) -> String;
    /// A lock file's text: like [`Host::read_file`], but a symbolic link is
    /// an error, not followed.
    fn read_lock(&self, path: &str) -> Result<Option<String>, HostError> {
        self.read_file(path)
    }
    /// The file's text, or `None` when nothing is there.
    fn read_file(&self, path: &str) -> Result<Option<String>, HostError>;
    /// [`Host::read_file`] for many paths at once, answers in the same order
    /// (`verify` reads every target's Dockerfile: a host can save a call and
    /// an allocation per file).
    fn read_files(&self, paths: &[String]) -> Vec<Result<Option<String>, HostError>> {
        paths.iter().map(|p| self.read_file(p)).collect()
    }
    /// Names of the entries of a folder, sorted.
    fn read_dir(&self, path: &str) -> Result<Vec<String>, HostError>;
    /// The entries of a folder with what each is, as [`Host::entry_kind`]
    /// would say, in any order: `verify` asks about many entries of one
    /// folder (every target's module in `apps/`), and a host that reads the
    /// kinds with the names (Node: `readdir` with file types) saves an
    /// `lstat` each. The default asks [`Host::entry_kind`] of each name.
    #[cfg(feature = "ops")]
    fn read_dir_kinds(&self, path: &str) -> Result<Vec<(String, Node)>, HostError> {
        self.read_dir(path)?
            .into_iter()
            .filter_map(
                |name| match self.entry_kind(&crate::values::paths::join(path, &name)) {
                    Ok(kind) if kind == "missing" => None,
                    Ok(kind) => Some(Ok((name, Node::of_kind(&kind)))),
                    Err(e) => Some(Err(e)),
                },
            )
            .collect()
    }
    /// Create a folder and its parents.
    fn mkdir_all(&self, path: &str) -> Result<(), HostError>;
    /// Create a file that must not exist yet (exclusive create). `Ok(false)`
    /// when something is already there; nothing is changed then.
    fn create_new(&self, path: &str, contents: &str) -> Result<bool, HostError>;
    /// Replace a file atomically: write a temporary file in the same folder,
    /// flush it to disk, rename it over `path`.
    fn write_atomic(&self, path: &str, contents: &str) -> Result<(), HostError>;
    /// [`Host::create_new`] for a lock file: complete or absent as other
    /// processes see it, but not flushed to disk. A lock lives as long as its
    /// holder's process; one that a crash lost, or left empty, belongs to a
    /// holder that is gone (an empty lock that stays so is taken over).
    fn create_lock(&self, path: &str, contents: &str) -> Result<bool, HostError> {
        self.create_new(path, contents)
    }
    /// [`Host::write_atomic`] for a lock file, not flushed ([`Host::create_lock`]).
    fn replace_lock(&self, path: &str, contents: &str) -> Result<(), HostError> {
        self.write_atomic(path, contents)
    }
    fn remove_file(&self, path: &str) -> Result<(), HostError>;
    /// Remove a folder if it is empty: `Ok(false)` when it holds anything
    /// (nothing is changed then) or is not there.
    fn remove_dir(&self, path: &str) -> Result<bool, HostError>;
    /// The path with every symbolic link resolved, or `None` when it does not exist.
    fn real_path(&self, path: &str) -> Result<Option<String>, HostError>;
    /// Copy a file byte for byte (binary files such as the wasm included),
    /// with its mode bits. The copy is complete before it appears at `to`.
    /// With `replace`, whatever file is at `to` is replaced atomically
    /// (temporary file in the same folder, renamed over); without it, `to`
    /// is only created: `Ok(false)` when something is already there, and
    /// nothing is changed then.
    fn copy_file(&self, from: &str, to: &str, replace: bool) -> Result<bool, HostError>;
    /// A digest of the file's bytes (the Node host: `sha256:<hex>`), or
    /// `None` when nothing is there. Equal bytes give equal digests.
    fn file_digest(&self, path: &str) -> Result<Option<String>, HostError>;
    /// The folder of the running skill (the one holding `scripts/`,
    /// `templates/` and `SKILL.md`), when known: `dist/packaging/` when run
    /// from the package, `.ai/skills/features/packaging/` when installed.
    fn skill_dir(&self) -> Option<String>;

    /// Whether a process with this id is running on this machine.
    fn process_alive(&self, pid: u32) -> bool;
    /// When the process with this id started, in the host's own terms
    /// (Linux: its start time in clock ticks since boot, from
    /// `/proc/<pid>/stat`), written into lock files: a pid that now names a
    /// process started at another time names another process. Empty where
    /// unknown.
    fn process_started(&self, _pid: u32) -> String {
        String::new()
    }
    /// Block for a while (lock waits).
    fn sleep_ms(&self, ms: u32);

    /// Also allow reads and writes in the existing folder `dir` (by its real
    /// path) outside the repository [`Host::confine`] set: a folder the user
    /// named on the command line (`export --out /ci/tmp/bake.json`). Every
    /// operation there goes through the same checks and the one write path.
    fn allow(&self, _dir: &str) -> Result<(), HostError> {
        Ok(())
    }
    /// Make a new private folder (mode 0700, a name nobody can guess) in the
    /// system's temporary folder, allowed as by [`Host::allow`]; its path.
    fn temp_dir(&self) -> Result<String, HostError> {
        Err(HostError::new("this host has no temporary folder"))
    }
    /// [`Host::spawn`], [`Host::spawn_to_stderr`] or [`Host::capture`], as
    /// `output` says (stdout and stderr come back empty but captured),
    /// stopped with SIGKILL when it runs longer than `limit_ms`: then it ends
    /// as `Exit::Signal("SIGKILL")`.
    fn run_limited(
        &self,
        program: &str,
        args: &[String],
        cwd: &str,
        output: Output,
        _limit_ms: u32,
    ) -> Result<Captured, HostError> {
        let exit = match output {
            Output::Capture => return self.capture(program, args, cwd),
            Output::Inherit => self.spawn(program, args, cwd)?,
            Output::Stderr => self.spawn_to_stderr(program, args, cwd)?,
        };
        Ok(Captured {
            exit,
            stdout: String::new(),
            stderr: String::new(),
        })
    }

    /// Run a program with inherited stdio and wait for it.
    fn spawn(&self, program: &str, args: &[String], cwd: &str) -> Result<Exit, HostError>;
    /// Run a program, capturing its output.
    fn capture(&self, program: &str, args: &[String], cwd: &str) -> Result<Captured, HostError>;
    /// [`Host::spawn`] with the program's stdout on our stderr, as it comes
    /// ([`Output::Stderr`]). This default, for hosts without processes of
    /// their own (tests), runs [`Host::capture`] and writes both outputs to
    /// stderr when it ends, each ending with a line break.
    fn spawn_to_stderr(
        &self,
        program: &str,
        args: &[String],
        cwd: &str,
    ) -> Result<Exit, HostError> {
        let c = self.capture(program, args, cwd)?;
        for text in [&c.stdout, &c.stderr] {
            if !text.is_empty() {
                self.write_stderr(text);
                if !text.ends_with('\n') {
                    self.write_stderr("\n");
                }
            }
        }
        Ok(c.exit)
    }

    fn write_stdout(&self, text: &str);
    fn write_stderr(&self, text: &str);
}
