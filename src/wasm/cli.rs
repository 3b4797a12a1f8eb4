//! The wasm facade: JS values in, core calls, JS values out. No logic here.
//!
//! `runCliLine(line, host)` runs one command line against a host object that the
//! Node shim builds from `node:fs`, `node:child_process` and `process`; its
//! methods are declared below with their types, so a missing or misnamed
//! method fails loudly instead of being looked up by string.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::host::{Captured, EntryKind, Exit, Host, HostError};
#[cfg(feature = "ops")]
use crate::host::{Node, Output};

#[wasm_bindgen]
extern "C" {
    /// The host object handed in by the shim (see `pkg-shim/node-host.mjs`).
    pub type JsHost;

    #[wasm_bindgen(method)]
    fn cwd(this: &JsHost) -> String;
    #[wasm_bindgen(method, js_name = nowMs)]
    fn now_ms(this: &JsHost) -> f64;
    #[wasm_bindgen(method)]
    fn pid(this: &JsHost) -> u32;
    #[wasm_bindgen(method)]
    fn env(this: &JsHost, name: &str) -> Option<String>;
    #[wasm_bindgen(method)]
    fn hostname(this: &JsHost) -> String;
    #[wasm_bindgen(method, catch)]
    fn stat(this: &JsHost, path: &str) -> Result<String, JsValue>;
    /// Open a file to read it with [`JsHost::read_opened`]: its size, or
    /// `null` when nothing is there. A regular file of at most `max` bytes
    /// only; `nofollow`: a symbolic link is an error. One file is open at a
    /// time (a second call closes the first).
    #[wasm_bindgen(method, catch, js_name = openFile)]
    fn open_file(
        this: &JsHost,
        path: &str,
        max: f64,
        nofollow: bool,
    ) -> Result<Option<f64>, JsValue>;
    /// Read the opened file into `into` (a view of this module's memory, so
    /// the bytes are not copied again) until its end or until `into` is
    /// full, and close it: the number of bytes read.
    #[wasm_bindgen(method, catch, js_name = readOpened)]
    fn read_opened(this: &JsHost, into: &mut [u8]) -> Result<f64, JsValue>;
    #[wasm_bindgen(method, catch, js_name = entryKind)]
    fn entry_kind(this: &JsHost, path: &str) -> Result<String, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn confine(this: &JsHost, root: &str) -> Result<(), JsValue>;
    #[wasm_bindgen(method)]
    fn token(this: &JsHost) -> String;
    #[wasm_bindgen(method)]
    fn namespace(this: &JsHost) -> String;
    /// Many files at once: `paths` joined with NUL (no repository path holds
    /// one). Answers `{bytes, sizes, errors}`: the files' bytes one after
    /// another (a `Uint8Array`), per path its size or -1 (nothing there) or -2
    /// (an error: the next message of `errors`). `bytes` may be a view of a
    /// buffer the host reuses: valid until its next call ([`files_text`]
    /// copies it at once).
    #[wasm_bindgen(method, catch, js_name = readFiles)]
    fn read_files(this: &JsHost, paths: &str, max: f64) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, js_name = readDir)]
    fn read_dir(this: &JsHost, path: &str) -> Result<Vec<String>, JsValue>;
    /// A folder's entries, a symbolic link not followed: for each, one letter
    /// (`f` a regular file, `d` a folder, `l` a symbolic link, `o` anything
    /// else), the name and a NUL (no name holds one).
    #[cfg(feature = "ops")]
    #[wasm_bindgen(method, catch, js_name = readDirKinds)]
    fn read_dir_kinds(this: &JsHost, path: &str) -> Result<String, JsValue>;
    #[wasm_bindgen(method, catch, js_name = mkdirAll)]
    fn mkdir_all(this: &JsHost, path: &str) -> Result<(), JsValue>;
    /// `flush`: whether the file reaches the disk before it appears (false
    /// for locks, [`Host::create_lock`]).
    #[wasm_bindgen(method, catch, js_name = createNew)]
    fn create_new(this: &JsHost, path: &str, contents: &str, flush: bool) -> Result<bool, JsValue>;
    /// `contents` is UTF-8 bytes, a view of the module's memory that is valid
    /// during the call only (write it or copy it; no decode and re-encode of
    /// a registry of megabytes on its way to the disk).
    #[wasm_bindgen(method, catch, js_name = writeAtomic)]
    fn write_atomic(this: &JsHost, path: &str, contents: &[u8], flush: bool)
        -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch, js_name = removeFile)]
    fn remove_file(this: &JsHost, path: &str) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch, js_name = removeDir)]
    fn remove_dir(this: &JsHost, path: &str) -> Result<bool, JsValue>;
    #[wasm_bindgen(method, catch, js_name = realPath)]
    fn real_path(this: &JsHost, path: &str) -> Result<Option<String>, JsValue>;
    #[wasm_bindgen(method, catch, js_name = copyFile)]
    fn copy_file(this: &JsHost, from: &str, to: &str, replace: bool) -> Result<bool, JsValue>;
    #[wasm_bindgen(method, catch, js_name = fileDigest)]
    fn file_digest(this: &JsHost, path: &str) -> Result<Option<String>, JsValue>;
    #[wasm_bindgen(method, js_name = skillDir)]
    fn skill_dir(this: &JsHost) -> Option<String>;
    #[wasm_bindgen(method, js_name = processAlive)]
    fn process_alive(this: &JsHost, pid: u32) -> bool;
    #[wasm_bindgen(method, js_name = processStarted)]
    fn process_started(this: &JsHost, pid: u32) -> String;
    #[wasm_bindgen(method, js_name = sleepMs)]
    fn sleep_ms(this: &JsHost, ms: u32);
    #[cfg(feature = "ops")]
    #[wasm_bindgen(method, catch)]
    fn allow(this: &JsHost, dir: &str) -> Result<(), JsValue>;
    #[cfg(feature = "ops")]
    #[wasm_bindgen(method, catch, js_name = tempDir)]
    fn temp_dir(this: &JsHost) -> Result<String, JsValue>;
    /// `output`: `inherit`, `stderr` or `capture` ([`Output`]).
    #[cfg(feature = "ops")]
    #[wasm_bindgen(method, catch, js_name = runLimited)]
    fn run_limited(
        this: &JsHost,
        program: &str,
        args: Vec<String>,
        cwd: &str,
        output: &str,
        limit_ms: u32,
    ) -> Result<JsValue, JsValue>;
    /// [`JsHost::spawn`] with the program's stdout on our stderr.
    #[cfg(feature = "ops")]
    #[wasm_bindgen(method, catch, js_name = spawnToStderr)]
    fn spawn_to_stderr(
        this: &JsHost,
        program: &str,
        args: Vec<String>,
        cwd: &str,
    ) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn spawn(
        this: &JsHost,
        program: &str,
        args: Vec<String>,
        cwd: &str,
    ) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn capture(
        this: &JsHost,
        program: &str,
        args: Vec<String>,
        cwd: &str,
    ) -> Result<JsValue, JsValue>;
    /// UTF-8 bytes, a view valid during the call only (as for `writeAtomic`).
    #[wasm_bindgen(method)]
    fn stdout(this: &JsHost, text: &[u8]);
    /// UTF-8 bytes, a view valid during the call only.
    #[wasm_bindgen(method)]
    fn stderr(this: &JsHost, text: &[u8]);
}

/// A size limit: the environment variable's whole number of bytes when it
/// holds one, else the default.
fn limit(host: &JsHost, name: &str, default: u32) -> f64 {
    f64::from(
        JsHost::env(host, name)
            .and_then(|v| v.trim().parse::<u32>().ok())
            .unwrap_or(default),
    )
}

fn host_error(e: JsValue) -> HostError {
    match e.dyn_ref::<js_sys::Error>() {
        Some(err) => HostError::new(String::from(err.message())),
        // The Node host throws Errors; anything else is named, not shown
        // (formatting it with Debug cost the API module 88 bytes of its
        // budget).
        None => HostError::new(e.as_string().unwrap_or_else(|| {
            "the host threw something that is neither an Error nor a string".to_string()
        })),
    }
}

/// How a process ended, as the shim reports it: `{ code, signal, notFound,
/// stdout, stderr }`, every field optional.
struct JsExit {
    code: Option<i32>,
    signal: Option<String>,
    not_found: bool,
    stdout: String,
    stderr: String,
}

impl JsExit {
    fn exit(&self) -> Exit {
        match (self.not_found, self.code, &self.signal) {
            (true, _, _) => Exit::NotFound,
            (_, Some(c), _) => Exit::Code(c),
            (_, None, Some(s)) => Exit::Signal(s.clone()),
            _ => Exit::Code(1),
        }
    }
}

/// A field of the exit object; `undefined` and `null` are absent.
fn field(v: &JsValue, name: &str) -> Option<JsValue> {
    let f = js_sys::Reflect::get(v, &JsValue::from_str(name)).ok()?;
    (!f.is_undefined() && !f.is_null()).then_some(f)
}

fn wrong(name: &str, want: &str) -> HostError {
    HostError::new(format!("invalid type: {name}, expected {want}"))
}

/// Read the exit object field by field (no deserializer: a few property reads).
fn js_exit(v: JsValue) -> Result<JsExit, HostError> {
    let code = match field(&v, "code") {
        None => None,
        Some(c) => match c.as_f64() {
            Some(n) if n.fract() == 0.0 && n >= f64::from(i32::MIN) && n <= f64::from(i32::MAX) => {
                Some(n as i32)
            }
            _ => return Err(wrong("code", "i32")),
        },
    };
    let text = |name: &str| -> Result<Option<String>, HostError> {
        match field(&v, name) {
            None => Ok(None),
            Some(t) => t
                .as_string()
                .map(Some)
                .ok_or_else(|| wrong(name, "a string")),
        }
    };
    let not_found = match field(&v, "notFound") {
        None => false,
        Some(b) => b.as_bool().ok_or_else(|| wrong("notFound", "a boolean"))?,
    };
    Ok(JsExit {
        code,
        signal: text("signal")?,
        not_found,
        stdout: text("stdout")?.unwrap_or_default(),
        stderr: text("stderr")?.unwrap_or_default(),
    })
}

/// The text of a file, read with `openFile` and `readOpened` straight into
/// this module's memory: one read, no copy at the seam. Decoded here, as the
/// Node host's `TextDecoder('utf-8', { fatal: true })` did: a leading byte
/// order mark is dropped and invalid UTF-8 is an error naming the path.
fn file_text(
    host: &JsHost,
    path: &str,
    max: f64,
    nofollow: bool,
) -> Result<Option<String>, HostError> {
    let Some(size) = host.open_file(path, max, nofollow).map_err(host_error)? else {
        return Ok(None);
    };
    // One byte beyond the size: a file that grew since it was opened fills it.
    let room = (size.max(0.0).min(max) as usize).saturating_add(1);
    let mut bytes = vec![0; room];
    let read = host.read_opened(&mut bytes).map_err(host_error)?;
    bytes.truncate((read.max(0.0) as usize).min(room));
    decode(path, bytes).map(Some)
}

/// A file's bytes as text: a leading byte order mark dropped, invalid UTF-8
/// an error naming the path.
fn decode(path: &str, mut bytes: Vec<u8>) -> Result<String, HostError> {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    let ascii = ascii_prefix(&bytes);
    match std::str::from_utf8(&bytes[ascii..]) {
        // SAFETY: the first `ascii` bytes are ASCII, so they are UTF-8 and
        // end on a character boundary, and the rest was just checked.
        Ok(_) => Ok(unsafe { String::from_utf8_unchecked(bytes) }),
        Err(_) => Err(HostError::new(format!("{path} is not valid UTF-8"))),
    }
}

/// The length of the ASCII start of `b`, in steps of sixteen bytes: a
/// registry or Dockerfile is ASCII almost throughout, and std's check takes
/// eight bytes a step on wasm32 (its words are four bytes), in more
/// instructions per byte in V8's baseline tier.
fn ascii_prefix(b: &[u8]) -> usize {
    const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);
    let word = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().unwrap_or_default());
    let mut i = 0;
    while i + 16 <= b.len() && (word(i) | word(i + 8)) & HIGHS == 0 {
        i += 16;
    }
    i
}

/// What `readFiles` answered, split per path (see the import's documentation).
fn files_text(
    paths: &[String],
    v: &JsValue,
) -> Result<Vec<Result<Option<String>, HostError>>, HostError> {
    let field = |name: &str| js_sys::Reflect::get(v, &JsValue::from_str(name)).map_err(host_error);
    let malformed =
        || HostError::new("readFiles answered something else than {bytes, sizes, errors}");
    let bytes = field("bytes")?
        .dyn_into::<js_sys::Uint8Array>()
        .map_err(|_| malformed())?
        .to_vec();
    let sizes = field("sizes")?
        .dyn_into::<js_sys::Int32Array>()
        .map_err(|_| malformed())?
        .to_vec();
    let errors = field("errors")?
        .dyn_into::<js_sys::Array>()
        .map_err(|_| malformed())?;
    if sizes.len() != paths.len() {
        return Err(malformed());
    }
    let mut at = 0usize;
    let mut next_error = 0u32;
    let mut out = Vec::with_capacity(paths.len());
    for (path, size) in paths.iter().zip(sizes) {
        out.push(match size {
            -1 => Ok(None),
            size if size < 0 => {
                let message = errors.get(next_error).as_string();
                next_error += 1;
                Err(HostError::new(
                    message.unwrap_or_else(|| format!("cannot read {path}")),
                ))
            }
            size => {
                let end = at + size as usize;
                let chunk = bytes.get(at..end).ok_or_else(malformed)?.to_vec();
                at = end;
                decode(path, chunk).map(Some)
            }
        });
    }
    Ok(out)
}

impl Host for JsHost {
    fn cwd(&self) -> String {
        JsHost::cwd(self)
    }
    fn now_ms(&self) -> f64 {
        JsHost::now_ms(self)
    }
    fn pid(&self) -> u32 {
        JsHost::pid(self)
    }
    fn env(&self, name: &str) -> Option<String> {
        JsHost::env(self, name)
    }
    fn hostname(&self) -> String {
        JsHost::hostname(self)
    }
    fn stat(&self, path: &str) -> Result<EntryKind, HostError> {
        Ok(
            match JsHost::stat(self, path).map_err(host_error)?.as_str() {
                "missing" => EntryKind::Missing,
                "file" => EntryKind::File,
                "dir" => EntryKind::Dir,
                _ => EntryKind::Other,
            },
        )
    }
    fn entry_kind(&self, path: &str) -> Result<String, HostError> {
        JsHost::entry_kind(self, path).map_err(host_error)
    }
    fn confine(&self, root: &str) {
        // A root that cannot be resolved stays unconfined: the command then
        // fails on the root itself.
        let _ = JsHost::confine(self, root);
    }
    fn token(&self) -> String {
        JsHost::token(self)
    }
    fn namespace(&self) -> String {
        JsHost::namespace(self)
    }
    fn read_file(&self, path: &str) -> Result<Option<String>, HostError> {
        let max = limit(
            self,
            "PACKAGING_MAX_FILE_BYTES",
            crate::host::MAX_FILE_BYTES,
        );
        file_text(self, path, max, false)
    }
    fn read_lock(&self, path: &str) -> Result<Option<String>, HostError> {
        file_text(self, path, 65_536.0, true)
    }
    fn read_files(&self, paths: &[String]) -> Vec<Result<Option<String>, HostError>> {
        let max = limit(
            self,
            "PACKAGING_MAX_DOCKERFILE_BYTES",
            crate::host::MAX_DOCKERFILE_BYTES,
        );
        // Joined by hand: `[String]::join` would be a second copy of the
        // joining code in the module beside the `[&str]` one (some 1 KB).
        let mut joined = String::with_capacity(paths.iter().map(|p| p.len() + 1).sum());
        for (i, p) in paths.iter().enumerate() {
            if i > 0 {
                joined.push('\0');
            }
            joined.push_str(p);
        }
        let answer = JsHost::read_files(self, &joined, max)
            .map_err(host_error)
            .and_then(|v| files_text(paths, &v));
        match answer {
            Ok(files) => files,
            Err(e) => paths.iter().map(|_| Err(e.clone())).collect(),
        }
    }
    fn read_dir(&self, path: &str) -> Result<Vec<String>, HostError> {
        JsHost::read_dir(self, path).map_err(host_error)
    }
    #[cfg(feature = "ops")]
    fn read_dir_kinds(&self, path: &str) -> Result<Vec<(String, Node)>, HostError> {
        let listing = JsHost::read_dir_kinds(self, path).map_err(host_error)?;
        listing
            .split_terminator('\0')
            .map(|entry| {
                let kind = match entry.as_bytes().first() {
                    Some(b'f') => Node::File,
                    Some(b'd') => Node::Dir,
                    Some(b'l') => Node::Link,
                    Some(b'o') => Node::Other,
                    _ => return Err(HostError::new(format!("the host listed {path} unreadably"))),
                };
                Ok((entry[1..].to_string(), kind))
            })
            .collect()
    }
    fn mkdir_all(&self, path: &str) -> Result<(), HostError> {
        JsHost::mkdir_all(self, path).map_err(host_error)
    }
    fn create_new(&self, path: &str, contents: &str) -> Result<bool, HostError> {
        JsHost::create_new(self, path, contents, true).map_err(host_error)
    }
    fn write_atomic(&self, path: &str, contents: &str) -> Result<(), HostError> {
        JsHost::write_atomic(self, path, contents.as_bytes(), true).map_err(host_error)
    }
    fn create_lock(&self, path: &str, contents: &str) -> Result<bool, HostError> {
        JsHost::create_new(self, path, contents, false).map_err(host_error)
    }
    fn replace_lock(&self, path: &str, contents: &str) -> Result<(), HostError> {
        JsHost::write_atomic(self, path, contents.as_bytes(), false).map_err(host_error)
    }
    fn remove_file(&self, path: &str) -> Result<(), HostError> {
        JsHost::remove_file(self, path).map_err(host_error)
    }
    fn remove_dir(&self, path: &str) -> Result<bool, HostError> {
        JsHost::remove_dir(self, path).map_err(host_error)
    }
    fn real_path(&self, path: &str) -> Result<Option<String>, HostError> {
        JsHost::real_path(self, path).map_err(host_error)
    }
    fn copy_file(&self, from: &str, to: &str, replace: bool) -> Result<bool, HostError> {
        JsHost::copy_file(self, from, to, replace).map_err(host_error)
    }
    fn file_digest(&self, path: &str) -> Result<Option<String>, HostError> {
        JsHost::file_digest(self, path).map_err(host_error)
    }
    fn skill_dir(&self) -> Option<String> {
        JsHost::skill_dir(self)
    }
    fn process_alive(&self, pid: u32) -> bool {
        JsHost::process_alive(self, pid)
    }
    fn process_started(&self, pid: u32) -> String {
        JsHost::process_started(self, pid)
    }
    fn sleep_ms(&self, ms: u32) {
        JsHost::sleep_ms(self, ms)
    }
    #[cfg(feature = "ops")]
    fn allow(&self, dir: &str) -> Result<(), HostError> {
        JsHost::allow(self, dir).map_err(host_error)
    }
    #[cfg(feature = "ops")]
    fn temp_dir(&self) -> Result<String, HostError> {
        JsHost::temp_dir(self).map_err(host_error)
    }
    #[cfg(feature = "ops")]
    fn run_limited(
        &self,
        program: &str,
        args: &[String],
        cwd: &str,
        output: Output,
        limit_ms: u32,
    ) -> Result<Captured, HostError> {
        let output = match output {
            Output::Inherit => "inherit",
            Output::Stderr => "stderr",
            Output::Capture => "capture",
        };
        let v = JsHost::run_limited(self, program, args.to_vec(), cwd, output, limit_ms)
            .map_err(host_error)?;
        let r = js_exit(v)?;
        Ok(Captured {
            exit: r.exit(),
            stdout: r.stdout,
            stderr: r.stderr,
        })
    }
    fn spawn(&self, program: &str, args: &[String], cwd: &str) -> Result<Exit, HostError> {
        let v = JsHost::spawn(self, program, args.to_vec(), cwd).map_err(host_error)?;
        Ok(js_exit(v)?.exit())
    }
    #[cfg(feature = "ops")]
    fn spawn_to_stderr(
        &self,
        program: &str,
        args: &[String],
        cwd: &str,
    ) -> Result<Exit, HostError> {
        let v = JsHost::spawn_to_stderr(self, program, args.to_vec(), cwd).map_err(host_error)?;
        Ok(js_exit(v)?.exit())
    }
    fn capture(&self, program: &str, args: &[String], cwd: &str) -> Result<Captured, HostError> {
        let v = JsHost::capture(self, program, args.to_vec(), cwd).map_err(host_error)?;
        let r = js_exit(v)?;
        Ok(Captured {
            exit: r.exit(),
            stdout: r.stdout,
            stderr: r.stderr,
        })
    }
    fn write_stdout(&self, text: &str) {
        JsHost::stdout(self, text.as_bytes())
    }
    fn write_stderr(&self, text: &str) {
        JsHost::stderr(self, text.as_bytes())
    }
}

/// The arguments of a command line as the shim passes them: each one followed
/// by NUL (which no argument of a process can hold), so that no arguments
/// (`""`) and one empty argument (`"\0"`) differ. One string crosses the
/// seam where an array of strings took wasm-bindgen's conversion of each
/// element (some 2 KB of code that V8 compiles at every start). The entry
/// points are named for it (`runCliLine`, not the `runCli` of builds that took
/// an array): a host and a glue of different builds fail as an internal error
/// ("not a function") instead of splitting each other's arguments.
#[cfg(feature = "cli")]
fn arguments(argv: &str) -> Vec<&str> {
    argv.split_terminator('\0').collect()
}

/// Run one command line (`argv`: the arguments without `node` and the script,
/// each followed by NUL) against the host; returns the exit code.
#[cfg(feature = "cli")]
#[wasm_bindgen(js_name = runCliLine)]
pub fn run_cli(argv: &str, host: &JsHost) -> i32 {
    super::draw_keys();
    crate::cli::run(host, &arguments(argv))
}

#[cfg(feature = "ops")]
/// Run one command line of the project-state controller
/// (`.ai/scripts/ctl-project-state.mjs`) against the host; returns the exit code.
#[wasm_bindgen(js_name = runProjectStateLine)]
pub fn run_project_state(argv: &str, host: &JsHost) -> i32 {
    super::draw_keys();
    crate::project_state::run(host, &arguments(argv))
}

/// The version of the core.
#[wasm_bindgen]
pub fn version() -> String {
    crate::VERSION.to_string()
}
