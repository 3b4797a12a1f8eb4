//! Command-line arguments, read against the command's declared options
//! ([`super::spec`]): `--key VALUE` (the next token is the value unless it
//! starts with `--`), `--key=VALUE`, `--flag`, and `--` to end the options.
//! Whatever the table does not declare is refused: an unknown option, a
//! repeated single option, a stray operand, a missing value, a value given
//! to a flag. `-h`/`--help` before `--` asks for help.

use super::spec::{suggest, Command, Opt};
use crate::values::text::quote;

/// One `--key` occurrence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptValue {
    Flag,
    Value(String),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Args {
    pub command: Option<String>,
    pub help: bool,
    opts: Vec<(String, OptValue)>,
}

/// Whether a token asks for help.
pub fn is_help(token: &str) -> bool {
    token == "-h" || token == "--help"
}

/// Whether `-h`/`--help` comes before any `--`.
pub fn wants_help<S: AsRef<str>>(tokens: &[S]) -> bool {
    tokens
        .iter()
        .map(AsRef::as_ref)
        .take_while(|t| *t != "--")
        .any(is_help)
}

/// The declared option `--key` of `command`, or why there is none.
fn find(command: &Command, key: &str) -> Result<&'static Opt, String> {
    command.opts.iter().find(|o| o.name == key).ok_or_else(|| {
        let hint = suggest(key, command.opts.iter().map(|o| o.name))
            .map(|s| format!(" (did you mean --{s}?)"))
            .unwrap_or_default();
        if key.is_empty() {
            format!("unknown option -- for {}{hint}", command.name)
        } else {
            format!(
                "unknown option --{} for {}{hint}",
                crate::values::text::shown(key),
                command.name
            )
        }
    })
}

/// `--id` and `--name` are one option.
fn same(a: &str, b: &str) -> bool {
    a == b || matches!((a, b), ("id", "name") | ("name", "id"))
}

impl Args {
    /// Read the tokens after the command name against its options. The
    /// error is one line (without `[error] `), for exit code 2.
    pub fn parse<S: AsRef<str>>(command: &Command, tokens: &[S]) -> Result<Args, String> {
        let mut args = Args {
            command: Some(command.name.to_string()),
            ..Args::default()
        };
        let mut i = 0;
        let mut options_ended = false;
        while i < tokens.len() {
            let token = tokens[i].as_ref();
            i += 1;
            if !options_ended && token == "--" {
                options_ended = true;
                continue;
            }
            if !options_ended && is_help(token) {
                args.help = true;
                continue;
            }
            let Some(spelled) = token.strip_prefix("--").filter(|_| !options_ended) else {
                return Err(format!(
                    "unexpected argument {} for {} (it takes no operands; options start with --)",
                    quote(token),
                    command.name
                ));
            };
            let (key, inline) = match spelled.split_once('=') {
                Some((k, v)) => (k, Some(v)),
                None => (spelled, None),
            };
            let opt = find(command, key)?;
            let value = match (opt.is_flag(), inline) {
                (true, None) => OptValue::Flag,
                (true, Some(v)) => {
                    return Err(format!("--{key} takes no value (got {})", quote(v)));
                }
                (false, Some(v)) => OptValue::Value(v.to_string()),
                (false, None) => match tokens.get(i).map(AsRef::as_ref) {
                    Some(next) if !next.starts_with("--") => {
                        i += 1;
                        OptValue::Value(next.to_string())
                    }
                    _ => return Err(format!("--{key} needs a value")),
                },
            };
            if !opt.repeat {
                if let Some((seen, _)) = args.opts.iter().find(|(k, _)| same(k, key)) {
                    return Err(if seen == key && opt.is_flag() {
                        format!("--{key} given twice for {}", command.name)
                    } else if seen == key {
                        format!(
                            "--{key} given twice for {} (it takes one value)",
                            command.name
                        )
                    } else {
                        format!(
                            "--{seen} and --{key} both given for {} (they are the same option)",
                            command.name
                        )
                    });
                }
            }
            args.opts.push((key.to_string(), value));
        }
        Ok(args)
    }

    fn last(&self, key: &str) -> Option<&OptValue> {
        self.opts
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// The value of `--key` (a single option is given at most once: parsing
    /// refused a repeat). Asking a flag for a value is an error.
    pub fn value(&self, key: &str) -> Result<Option<&str>, String> {
        match self.last(key) {
            None => Ok(None),
            Some(OptValue::Value(v)) => Ok(Some(v)),
            Some(OptValue::Flag) => Err(format!("--{key} needs a value")),
        }
    }

    /// The first of several spellings that is present (`--id` or `--name`).
    pub fn value_of_any(&self, keys: &[&str]) -> Result<Option<&str>, String> {
        for key in keys {
            if let Some(v) = self.value(key)? {
                return Ok(Some(v));
            }
        }
        Ok(None)
    }

    /// Every value of a repeatable option, in order.
    pub fn values(&self, key: &str) -> Result<Vec<&str>, String> {
        self.opts
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| match v {
                OptValue::Value(v) => Ok(v.as_str()),
                OptValue::Flag => Err(format!("--{key} needs a value")),
            })
            .collect()
    }

    /// Whether a flag was given (`--dry-run`).
    pub fn flag(&self, key: &str) -> bool {
        matches!(self.last(key), Some(OptValue::Flag))
    }

    /// Whether `--format json` (any case) was asked for: for the error
    /// object of a command line that could not be read in full.
    pub fn json_asked<S: AsRef<str>>(tokens: &[S]) -> bool {
        let mut it = tokens.iter().map(AsRef::as_ref).take_while(|t| *t != "--");
        while let Some(t) = it.next() {
            let value = match t {
                "--format" => it.next(),
                _ => t.strip_prefix("--format="),
            };
            if value.is_some_and(|v| v.eq_ignore_ascii_case("json")) {
                return true;
            }
        }
        false
    }

    /// `--format text|json` (case-insensitive; text when absent).
    pub fn format(&self) -> Result<Format, String> {
        match self.value("format")? {
            None => Ok(Format::Text),
            Some(v) if v.eq_ignore_ascii_case("text") => Ok(Format::Text),
            Some(v) if v.eq_ignore_ascii_case("json") => Ok(Format::Json),
            Some(v) => Err(format!(
                "--format must be one of: text, json (got {})",
                crate::values::text::quote(v)
            )),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::spec::command;

    fn parse(argv: &[&str]) -> Result<Args, String> {
        Args::parse(command(argv[0]).unwrap(), &argv[1..])
    }

    #[test]
    fn reads_values_flags_and_equals() {
        let a = parse(&["add", "--id", "api", "--type=service"]).unwrap();
        assert_eq!(a.command.as_deref(), Some("add"));
        assert_eq!(a.value("id"), Ok(Some("api")));
        assert!(parse(&["init", "--dry-run"]).unwrap().flag("dry-run"));
        assert_eq!(a.value("type"), Ok(Some("service")));
        assert!(!a.help);
        let a = parse(&["add", "--id=a=b"]).unwrap();
        assert_eq!(a.value("id"), Ok(Some("a=b")));
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        let e = |argv: &[&str]| parse(argv).unwrap_err();
        assert_eq!(e(&["add", "--id", "--type", "job"]), "--id needs a value");
        assert_eq!(e(&["remove", "--id"]), "--id needs a value");
        assert_eq!(
            e(&["add-service", "--id", "t1", "--modul", "x"]),
            "unknown option --modul for add-service (did you mean --module?)"
        );
        assert_eq!(
            e(&["init", "--repo-root", ".", "--repo-root", "/"]),
            "--repo-root given twice for init (it takes one value)"
        );
        assert_eq!(
            e(&["remove", "--id", "a", "--name", "b"]),
            "--id and --name both given for remove (they are the same option)"
        );
        assert_eq!(
            e(&["add", "stray"]),
            "unexpected argument \"stray\" for add (it takes no operands; options start with --)"
        );
        assert_eq!(
            e(&["init", "--dry-run=yes"]),
            "--dry-run takes no value (got \"yes\")"
        );
        assert!(
            e(&["list", "--", "--format", "json"]).starts_with("unexpected argument \"--format\"")
        );
        assert_eq!(e(&["list", "--=x"]), "unknown option -- for list");
    }

    #[test]
    fn single_dash_values_and_end_of_options() {
        let a = parse(&["build", "--tag", "-rm"]).unwrap();
        assert_eq!(a.value("tag"), Ok(Some("-rm")));
        assert!(parse(&["list", "--format", "json", "--"]).is_ok());
    }

    #[test]
    fn help_before_the_end_of_options() {
        assert!(parse(&["list", "-h"]).unwrap().help);
        assert!(wants_help(&["--format", "json", "--help"]));
        assert!(!wants_help(&["--", "--help"]));
    }

    #[test]
    fn repeatable_values_keep_order() {
        let a = parse(&["build", "--build-arg", "A=1", "--build-arg=B=2"]).unwrap();
        assert_eq!(a.values("build-arg"), Ok(vec!["A=1", "B=2"]));
    }
}
