//! The project-state controller, `.ai/scripts/ctl-project-state.mjs`: feature
//! flags and a little context for LLM routing, in `.ai/project/state.json`.
//!
//! `install` provides it when a host repository has none (the feature
//! document recommends `init` and `set features.packaging true`). The file
//! keeps the shape other features' scripts read:
//!
//! ```json
//! { "version": 1, "createdAt": "…", "updatedAt": "…",
//!   "context": { "mode": "contract", "enabled": false },
//!   "features": { "packaging": true }, "custom": {} }
//! ```
//!
//! Unlike the script it stands in for, it never turns a broken file into an
//! empty one (it refuses, naming line and column), writes under a lock and
//! atomically, and keeps every field it does not know where it is.
//!
//! The rules (keys, values, the document) are plain functions; [`run`] is the
//! command runner, against a [`Host`] like every command of ctl-packaging.

use serde_json::{Map, Value};

use crate::cli::console::Console;
use crate::cli::store::with_lock;
use crate::cli::Failure;
use crate::host::{EntryKind, Host};
use crate::registry::json_type;
use crate::values::paths::join;
use crate::values::text::quote;
use crate::values::time::iso_utc;

/// The state file, relative to the repository root.
pub const STATE_PATH: &str = ".ai/project/state.json";
const STATE_DIR: &str = ".ai/project";
const TOOL: &str = "ctl-project-state";
const SCRIPT: &str = "node .ai/scripts/ctl-project-state.mjs";

/// What `set` accepts, said once for every refusal.
pub const KEY_RULE: &str =
    "allowed keys: features.<name>, custom.<path>, context.mode, context.enabled";
const MODES: [&str; 2] = ["contract", "snapshot"];

pub const USAGE: &str = "\
ctl-project-state: feature flags and context of this repository
(state: .ai/project/state.json)

Usage: node .ai/scripts/ctl-project-state.mjs <command> [options]

Commands:
  init [--dry-run]                 create .ai/project/state.json if missing
  get <key>                        print a value (any dotted path, e.g. features.packaging)
  set <key> <value>                set a value; <value> is read as JSON when it
                                   parses (true, 3, {\"a\":1}), else as a string.
                                   Keys: features.<name> (true|false),
                                   custom.<path> (any value),
                                   context.mode (contract|snapshot),
                                   context.enabled (true|false)
  set-context-mode <contract|snapshot>
                                   set context.mode
  status [--format text|json]      what the state says
  help                             this text

Every command takes --repo-root PATH (default: the current folder).
`--` ends the options (for a value that starts with --).
Errors go to stderr as [error] lines, exit 1.
";

/// A key `set` may change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    /// `features.<name>`: a feature flag, `true` or `false`.
    Feature(String),
    /// `custom.<path>`: anything, at any depth.
    Custom(Vec<String>),
    ContextMode,
    ContextEnabled,
}

impl Key {
    /// Where the key lives in the document.
    pub fn path(&self) -> Vec<String> {
        match self {
            Key::Feature(name) => vec!["features".into(), name.clone()],
            Key::Custom(rest) => std::iter::once("custom".to_string())
                .chain(rest.iter().cloned())
                .collect(),
            Key::ContextMode => vec!["context".into(), "mode".into()],
            Key::ContextEnabled => vec!["context".into(), "enabled".into()],
        }
    }
}

/// Read a key given to `set`, or say which keys are allowed.
pub fn parse_key(key: &str) -> Result<Key, String> {
    let refuse = || format!("Unsupported key {}; {KEY_RULE}", quote(key));
    let parts: Vec<&str> = key.split('.').collect();
    if parts
        .iter()
        .any(|p| p.is_empty() || p.chars().any(char::is_control))
    {
        return Err(refuse());
    }
    match parts.as_slice() {
        ["context", "mode"] => Ok(Key::ContextMode),
        ["context", "enabled"] => Ok(Key::ContextEnabled),
        ["features", name] if is_name(name) => Ok(Key::Feature((*name).to_string())),
        ["custom", rest @ ..] if !rest.is_empty() => {
            Ok(Key::Custom(rest.iter().map(|s| (*s).to_string()).collect()))
        }
        _ => Err(refuse()),
    }
}

/// A feature name: letters, digits, `-` and `_`.
fn is_name(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The value of `set`: JSON when the text parses as JSON, else the text.
pub fn parse_value(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()))
}

/// Whether a value suits its key.
pub fn check_value(key: &Key, value: &Value) -> Result<(), String> {
    let shown = || value.to_string();
    match key {
        Key::Feature(name) if !value.is_boolean() => Err(format!(
            "features.{name} is a flag: true or false (got {})",
            shown()
        )),
        Key::ContextEnabled if !value.is_boolean() => Err(format!(
            "context.enabled is true or false (got {})",
            shown()
        )),
        Key::ContextMode if !MODES.iter().any(|m| value.as_str() == Some(*m)) => Err(format!(
            "context.mode must be one of: {} (got {})",
            MODES.join(", "),
            shown()
        )),
        _ => Ok(()),
    }
}

/// A new state document.
pub fn new_state(now: &str) -> Map<String, Value> {
    let mut doc = Map::new();
    doc.insert("version".into(), Value::from(1));
    doc.insert("createdAt".into(), Value::from(now));
    doc.insert("updatedAt".into(), Value::from(now));
    let mut context = Map::new();
    context.insert("mode".into(), Value::from("contract"));
    context.insert("enabled".into(), Value::from(false));
    doc.insert("context".into(), Value::Object(context));
    doc.insert("features".into(), Value::Object(Map::new()));
    doc.insert("custom".into(), Value::Object(Map::new()));
    doc
}

/// Read a state document: a JSON object, or why not (with line and column).
pub fn parse_state(text: &str) -> Result<Map<String, Value>, String> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(doc)) => Ok(doc),
        Ok(other) => Err(format!(
            "{STATE_PATH}: the state must be a JSON object, not {}",
            json_type(&other)
        )),
        Err(e) => Err(format!(
            "{STATE_PATH}:{}:{}: not valid JSON: {}",
            e.line(),
            e.column(),
            strip_position(&e.to_string())
        )),
    }
}

/// serde_json's message without its own ` at line L column C`.
fn strip_position(message: &str) -> &str {
    message
        .rfind(" at line ")
        .map_or(message, |i| &message[..i])
}

/// The value at a dotted path (`get` reads any path).
pub fn get<'a>(doc: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    let mut parts = key.split('.');
    let mut current = doc.get(parts.next()?)?;
    for part in parts {
        current = match current {
            Value::Object(m) => m.get(part)?,
            Value::Array(a) => a.get(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(current)
}

/// Set a key, creating the objects on its way. A value that is in the way
/// (a string where an object is needed) is refused, never replaced.
pub fn set(doc: &mut Map<String, Value>, key: &Key, value: Value) -> Result<(), String> {
    let path = key.path();
    let (last, parents) = path.split_last().expect("a key has a path");
    let mut current = doc;
    let mut walked = String::new();
    for part in parents {
        if !walked.is_empty() {
            walked.push('.');
        }
        walked.push_str(part);
        let slot = current
            .entry(part.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        current = match slot {
            Value::Object(m) => m,
            other => {
                return Err(format!(
                    "{walked} is {}, not an object; cannot set {}",
                    json_type(other),
                    path.join(".")
                ))
            }
        };
    }
    current.insert(last.clone(), value);
    Ok(())
}

/// The file's text: 2-space indented JSON and a final newline.
pub fn render(doc: &Map<String, Value>) -> String {
    let mut text = serde_json::to_string_pretty(doc).unwrap_or_else(|_| "{}".into());
    text.push('\n');
    text
}

/// How `get` prints a value: strings as they are, objects and arrays as
/// indented JSON, anything else as JSON.
pub fn show(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Object(_) | Value::Array(_) => {
            serde_json::to_string_pretty(value).unwrap_or_default()
        }
        other => other.to_string(),
    }
}

// ---------------------------------------------------------------- arguments

/// A command line of ctl-project-state: `<command> [positionals] [options]`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Args {
    pub command: Option<String>,
    pub positionals: Vec<String>,
    pub repo_root: Option<String>,
    pub format: Option<String>,
    pub dry_run: bool,
    pub help: bool,
}

/// Read a command line. `--repo-root` and `--format` take a value,
/// `--dry-run` is a flag, `-h`/`--help` ask for help anywhere, `--` ends the
/// options; any other `--option` is refused.
pub fn parse_args<S: AsRef<str>>(argv: &[S]) -> Result<Args, String> {
    let mut args = Args::default();
    let mut i = 0;
    let mut options = true;
    while i < argv.len() {
        let token = argv[i].as_ref();
        i += 1;
        if options && (token == "-h" || token == "--help") {
            args.help = true;
        } else if options && token == "--" {
            options = false;
        } else if options && token.starts_with("--") {
            let key = &token[2..];
            match key {
                "dry-run" => args.dry_run = true,
                "repo-root" | "format" => {
                    let value = match argv.get(i).map(AsRef::as_ref) {
                        Some(v) if !v.starts_with("--") => v.to_string(),
                        _ => return Err(format!("--{key} needs a value")),
                    };
                    i += 1;
                    if key == "repo-root" {
                        args.repo_root = Some(value);
                    } else {
                        args.format = Some(value);
                    }
                }
                _ => return Err(format!("Unknown option: {token}")),
            }
        } else if args.command.is_none() {
            args.command = Some(token.to_string());
        } else {
            args.positionals.push(token.to_string());
        }
    }
    Ok(args)
}

// ---------------------------------------------------------------- commands

/// Run one command line of ctl-project-state against a host; returns the
/// exit code.
pub fn run<S: AsRef<str>>(host: &dyn Host, argv: &[S]) -> i32 {
    let mut console = Console::default();
    let code = match parse_args(argv) {
        Err(message) => {
            console.err(format!("[error] {message}"));
            1
        }
        Ok(args) if args.help || matches!(args.command.as_deref(), None | Some("help")) => {
            console.out_raw(USAGE);
            0
        }
        Ok(args) => match dispatch(host, &args, &mut console) {
            Ok(code) => code,
            Err(failure) => {
                for line in failure.lines {
                    console.err(format!("[error] {line}"));
                }
                1
            }
        },
    };
    console.flush(host);
    code
}

fn dispatch(host: &dyn Host, args: &Args, out: &mut Console) -> Result<i32, Failure> {
    let command = args.command.as_deref().unwrap_or_default();
    let known = ["init", "get", "set", "set-context-mode", "status"];
    if !known.contains(&command) {
        out.err(format!("[error] Unknown command: {command}"));
        out.out_raw(USAGE);
        return Ok(1);
    }
    let cwd = crate::cli::current_folder(host);
    let root = crate::cli::resolve_root(host, &cwd, args.repo_root.as_deref())?;
    let state = Repo { host, root: &root };
    match command {
        "init" => state.init(args.dry_run, out),
        "get" => {
            let [key] = positionals(args, &["<key>"])?;
            state.get(key, out)
        }
        "set" => {
            let [key, value] = positionals(args, &["<key>", "<value>"])?;
            state.set(key, value, out)
        }
        "set-context-mode" => {
            let [mode] = positionals(args, &["<contract|snapshot>"])?;
            state.set("context.mode", mode, out)
        }
        _ => state.status(args, out),
    }
}

/// Exactly the positional arguments a command takes.
fn positionals<'a, const N: usize>(
    args: &'a Args,
    names: &[&str; N],
) -> Result<[&'a str; N], Failure> {
    let command = args.command.as_deref().unwrap_or_default();
    let usage = format!("usage: {SCRIPT} {command} {}", names.join(" "));
    if args.positionals.len() < N {
        let missing = names[args.positionals.len()];
        return Err(Failure::new(format!("{missing} is required ({usage})")));
    }
    if args.positionals.len() > N {
        return Err(Failure::new(format!(
            "unexpected argument {} ({usage}; quote a value with spaces)",
            quote(&args.positionals[N])
        )));
    }
    Ok(std::array::from_fn(|i| args.positionals[i].as_str()))
}

/// The state file of one repository.
struct Repo<'a> {
    host: &'a dyn Host,
    root: &'a str,
}

impl Repo<'_> {
    fn path(&self) -> String {
        join(self.root, STATE_PATH)
    }

    /// The document, or `None` when there is no file.
    fn load(&self) -> Result<Option<Map<String, Value>>, Failure> {
        let text = self
            .host
            .read_file(&self.path())
            .map_err(|e| Failure::new(format!("cannot read {STATE_PATH}: {e}")))?;
        match text {
            None => Ok(None),
            Some(text) => parse_state(&text).map(Some).map_err(|e| Failure {
                lines: vec![
                    e,
                    format!("{STATE_PATH} was left unchanged; fix it and run the command again"),
                ],
            }),
        }
    }

    fn now(&self) -> String {
        iso_utc(self.host.now_ms())
    }

    /// Change the document under the lock (a missing file starts as a new
    /// document) and write it atomically.
    fn update(
        &self,
        command: &str,
        change: impl FnOnce(&mut Map<String, Value>) -> Result<(), Failure>,
    ) -> Result<(), Failure> {
        self.ensure_dir()?;
        let path = self.path();
        with_lock(self.host, &path, STATE_PATH, TOOL, command, |lock| {
            let mut doc = self.load()?.unwrap_or_else(|| new_state(&self.now()));
            change(&mut doc)?;
            doc.insert("updatedAt".into(), Value::from(self.now()));
            lock.check(self.host)?;
            self.host
                .write_atomic(&path, &render(&doc))
                .map_err(|e| Failure::new(format!("cannot write {STATE_PATH}: {e}")))
        })
    }

    /// Make `.ai/project/`; `true` when it was made.
    fn ensure_dir(&self) -> Result<bool, Failure> {
        let dir = join(self.root, STATE_DIR);
        match self.host.stat(&dir)? {
            EntryKind::Dir => Ok(false),
            EntryKind::Missing => {
                self.host.mkdir_all(&dir)?;
                Ok(true)
            }
            _ => Err(Failure::new(format!(
                "{STATE_DIR} exists but is not a folder"
            ))),
        }
    }

    fn init(&self, dry: bool, out: &mut Console) -> Result<i32, Failure> {
        let dir_missing = self.host.stat(&join(self.root, STATE_DIR))? == EntryKind::Missing;
        // A file that is there but broken is reported, never replaced.
        let exists = self.load()?.is_some();
        let mut lines = Vec::new();
        if dry {
            if dir_missing {
                lines.push(format!("  mkdir: {STATE_DIR} (dry-run)"));
            }
            lines.push(if exists {
                format!("  skip: {STATE_PATH} [exists]")
            } else {
                format!("  write: {STATE_PATH} (dry-run)")
            });
        } else {
            if self.ensure_dir()? {
                lines.push(format!("  mkdir: {STATE_DIR}"));
            }
            let path = self.path();
            let wrote = with_lock(self.host, &path, STATE_PATH, TOOL, "init", |lock| {
                if self.host.stat(&path)? != EntryKind::Missing {
                    return Ok(false);
                }
                lock.check(self.host)?;
                self.host
                    .write_atomic(&path, &render(&new_state(&self.now())))
                    .map_err(|e| Failure::new(format!("cannot write {STATE_PATH}: {e}")))?;
                Ok(true)
            })?;
            lines.push(if wrote {
                format!("  write: {STATE_PATH}")
            } else {
                format!("  skip: {STATE_PATH} [exists]")
            });
        }
        out.out("[ok] Project state initialized.");
        for line in lines {
            out.out(line);
        }
        Ok(0)
    }

    fn get(&self, key: &str, out: &mut Console) -> Result<i32, Failure> {
        let Some(doc) = self.load()? else {
            return Err(Failure::new(format!(
                "{STATE_PATH} not found. Run: {SCRIPT} init"
            )));
        };
        match get(&doc, key) {
            Some(value) => {
                out.out(show(value));
                Ok(0)
            }
            None => Err(Failure::new(format!(
                "Key not found: {key} (in {STATE_PATH})"
            ))),
        }
    }

    fn set(&self, key: &str, text: &str, out: &mut Console) -> Result<i32, Failure> {
        let parsed = parse_key(key).map_err(Failure::new)?;
        let value = parse_value(text);
        check_value(&parsed, &value).map_err(Failure::new)?;
        let shown = value.to_string();
        let plain = show(&value);
        let mut was = None;
        self.update(&format!("set {key}"), |doc| {
            was = get(doc, key).cloned();
            set(doc, &parsed, value).map_err(Failure::new)
        })?;
        if parsed == Key::ContextMode {
            let was = was
                .as_ref()
                .and_then(Value::as_str)
                .map(|w| format!(" (was: {w})"))
                .unwrap_or_default();
            out.out(format!("[ok] Context mode set to: {plain}{was}"));
        } else {
            out.out(format!("[ok] Set {key} = {shown}"));
        }
        Ok(0)
    }

    fn status(&self, args: &Args, out: &mut Console) -> Result<i32, Failure> {
        let json = match args.format.as_deref() {
            None => false,
            Some(f) if f.eq_ignore_ascii_case("text") => false,
            Some(f) if f.eq_ignore_ascii_case("json") => true,
            Some(f) => {
                return Err(Failure::new(format!(
                    "--format must be one of: text, json (got {})",
                    quote(f)
                )))
            }
        };
        let loaded = self.load()?;
        let initialized = loaded.is_some();
        if json {
            let mut o = Map::new();
            o.insert("initialized".into(), Value::from(initialized));
            o.insert("state".into(), loaded.map_or(Value::Null, Value::Object));
            out.out_raw(&render(&o));
            return Ok(0);
        }
        let doc = loaded.unwrap_or_default();
        let text = |key: &str, none: &str| match get(&doc, key) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Bool(b)) => if *b { "yes" } else { "no" }.to_string(),
            Some(v) => v.to_string(),
            None => none.to_string(),
        };
        let features: Vec<&str> = match doc.get("features") {
            Some(Value::Object(m)) => m
                .iter()
                .filter(|(_, v)| **v == Value::Bool(true))
                .map(|(k, _)| k.as_str())
                .collect(),
            _ => Vec::new(),
        };
        out.out("Project State:");
        out.out(format!(
            "  Initialized: {}",
            if initialized { "yes" } else { "no" }
        ));
        out.out(format!("  State file: {STATE_PATH}"));
        out.out("");
        out.out("  Context:");
        out.out(format!("    Mode: {}", text("context.mode", "not set")));
        out.out(format!("    Enabled: {}", text("context.enabled", "no")));
        out.out("");
        out.out(format!(
            "  Features enabled: {}",
            if features.is_empty() {
                "(none)".to_string()
            } else {
                features.join(", ")
            }
        ));
        out.out("");
        out.out(format!("  Updated at: {}", text("updatedAt", "never")));
        Ok(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_rule() {
        assert_eq!(
            parse_key("features.packaging"),
            Ok(Key::Feature("packaging".into()))
        );
        assert_eq!(parse_key("context.mode"), Ok(Key::ContextMode));
        assert_eq!(parse_key("context.enabled"), Ok(Key::ContextEnabled));
        assert_eq!(
            parse_key("custom.project.version"),
            Ok(Key::Custom(vec!["project".into(), "version".into()]))
        );
        for bad in [
            "",
            "features",
            "features.",
            "features.a.b",
            "features.a b",
            "custom",
            "custom..x",
            "context",
            "context.other",
            "version",
            "updatedAt",
        ] {
            let e = parse_key(bad).unwrap_err();
            assert!(e.ends_with(KEY_RULE), "{bad}: {e}");
        }
    }

    #[test]
    fn values_are_json_when_they_parse() {
        assert_eq!(parse_value("true"), Value::Bool(true));
        assert_eq!(parse_value("3"), Value::from(3));
        assert_eq!(parse_value("{\"a\":[1]}"), serde_json::json!({"a": [1]}));
        assert_eq!(parse_value("\"x\""), Value::from("x"));
        assert_eq!(parse_value("1.0.0"), Value::from("1.0.0"));
        assert_eq!(parse_value("hello world"), Value::from("hello world"));
        assert_eq!(parse_value(""), Value::from(""));
    }

    #[test]
    fn values_suit_their_keys() {
        let f = Key::Feature("x".into());
        assert!(check_value(&f, &Value::Bool(false)).is_ok());
        assert_eq!(
            check_value(&f, &Value::from("yes")).unwrap_err(),
            "features.x is a flag: true or false (got \"yes\")"
        );
        assert!(check_value(&Key::ContextMode, &Value::from("snapshot")).is_ok());
        assert!(check_value(&Key::ContextMode, &Value::from("other")).is_err());
        assert!(check_value(&Key::ContextEnabled, &Value::from(1)).is_err());
        assert!(check_value(&Key::Custom(vec!["a".into()]), &Value::Null).is_ok());
    }

    #[test]
    fn set_creates_objects_and_refuses_to_replace_a_value() {
        let mut doc = new_state("T");
        set(&mut doc, &parse_key("custom.a.b").unwrap(), Value::from(1)).unwrap();
        assert_eq!(get(&doc, "custom.a.b"), Some(&Value::from(1)));
        assert_eq!(
            set(
                &mut doc,
                &parse_key("custom.a.b.c").unwrap(),
                Value::from(2)
            )
            .unwrap_err(),
            "custom.a.b is a number, not an object; cannot set custom.a.b.c"
        );
        assert_eq!(get(&doc, "custom.a.b"), Some(&Value::from(1)));
        assert_eq!(get(&doc, "custom.nothing"), None);
        assert_eq!(get(&doc, "version"), Some(&Value::from(1)));
    }

    #[test]
    fn a_new_state_has_the_known_shape() {
        assert_eq!(
            render(&new_state("2026-01-01T00:00:00.000Z")),
            "{\n  \"version\": 1,\n  \"createdAt\": \"2026-01-01T00:00:00.000Z\",\n  \"updatedAt\": \"2026-01-01T00:00:00.000Z\",\n  \"context\": {\n    \"mode\": \"contract\",\n    \"enabled\": false\n  },\n  \"features\": {},\n  \"custom\": {}\n}\n"
        );
    }

    #[test]
    fn a_broken_file_is_named_with_its_position() {
        assert_eq!(
            parse_state("{\n  \"a\": }").unwrap_err(),
            ".ai/project/state.json:2:8: not valid JSON: expected value"
        );
        assert!(parse_state("[]").unwrap_err().ends_with("not an array"));
    }

    #[test]
    fn arguments_have_positionals_and_known_options() {
        let a = parse_args(&["set", "features.x", "true", "--repo-root", "."]).unwrap();
        assert_eq!(a.command.as_deref(), Some("set"));
        assert_eq!(a.positionals, ["features.x", "true"]);
        assert_eq!(a.repo_root.as_deref(), Some("."));
        let a = parse_args(&["set", "custom.x", "--", "--literal"]).unwrap();
        assert_eq!(a.positionals, ["custom.x", "--literal"]);
        let a = parse_args(&["set", "custom.n", "-1"]).unwrap();
        assert_eq!(a.positionals, ["custom.n", "-1"]);
        assert_eq!(
            parse_args(&["get", "--bogus"]).unwrap_err(),
            "Unknown option: --bogus"
        );
        assert_eq!(
            parse_args(&["status", "--format"]).unwrap_err(),
            "--format needs a value"
        );
        assert!(parse_args(&["init", "-h"]).unwrap().help);
    }
}
