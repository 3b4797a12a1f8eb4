//! Command-line arguments, read the way scripts already pass them:
//! `<command> [--key value | --flag]...`. A `--key` takes the next token as
//! its value unless that token starts with `--`; then it is a flag. Other
//! bare tokens are ignored. `-h`/`--help` anywhere asks for help.

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

impl Args {
    pub fn parse<S: AsRef<str>>(argv: &[S]) -> Args {
        let mut args = Args::default();
        let mut i = 0;
        while i < argv.len() {
            let token = argv[i].as_ref();
            i += 1;
            if token == "-h" || token == "--help" {
                args.help = true;
            } else if let Some(key) = token.strip_prefix("--") {
                match argv.get(i).map(AsRef::as_ref) {
                    Some(next) if !next.starts_with("--") => {
                        args.opts
                            .push((key.to_string(), OptValue::Value(next.to_string())));
                        i += 1;
                    }
                    _ => args.opts.push((key.to_string(), OptValue::Flag)),
                }
            } else if args.command.is_none() {
                args.command = Some(token.to_string());
            }
        }
        args
    }

    fn last(&self, key: &str) -> Option<&OptValue> {
        self.opts
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// The value of `--key` (the last one wins). `--key` given without a
    /// value is an error, never the string `"true"`.
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

    /// Whether a boolean flag is on (`--dry-run`).
    pub fn flag(&self, key: &str) -> bool {
        matches!(self.last(key), Some(OptValue::Flag))
            || matches!(self.last(key), Some(OptValue::Value(v)) if v != "false")
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

    #[test]
    fn reads_values_flags_and_command() {
        let a = Args::parse(&[
            "add",
            "--id",
            "api",
            "--dry-run",
            "--type",
            "service",
            "stray",
        ]);
        assert_eq!(a.command.as_deref(), Some("add"));
        assert_eq!(a.value("id"), Ok(Some("api")));
        assert!(a.flag("dry-run"));
        assert_eq!(a.value("type"), Ok(Some("service")));
        assert!(!a.help);
    }

    #[test]
    fn a_key_followed_by_an_option_is_a_flag_and_has_no_value() {
        let a = Args::parse(&["add", "--id", "--type", "job"]);
        assert_eq!(a.value("id"), Err("--id needs a value".to_string()));
        let a = Args::parse(&["remove", "--id"]);
        assert_eq!(a.value("id"), Err("--id needs a value".to_string()));
    }

    #[test]
    fn single_dash_values_are_values() {
        let a = Args::parse(&["build", "--tag", "-rm"]);
        assert_eq!(a.value("tag"), Ok(Some("-rm")));
    }

    #[test]
    fn help_anywhere_and_last_value_wins() {
        let a = Args::parse(&["list", "--format", "json", "-h", "--format", "TEXT"]);
        assert!(a.help);
        assert_eq!(a.format(), Ok(Format::Text));
        assert!(Args::parse(&["list", "--format", "yaml"]).format().is_err());
    }

    #[test]
    fn repeatable_values_keep_order() {
        let a = Args::parse(&["build", "--build-arg", "A=1", "--build-arg", "B=2"]);
        assert_eq!(a.values("build-arg"), Ok(vec!["A=1", "B=2"]));
    }
}
