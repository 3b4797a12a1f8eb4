//! A target's optional build settings, and the command-line options that
//! override them:
//!
//! | registry field | type                     | CLI override              |
//! |----------------|--------------------------|---------------------------|
//! | `platforms`    | non-empty array, unique  | `--platform a,b`          |
//! | `buildArgs`    | object of strings        | `--build-arg K=V` (repeat)|
//! | `labels`       | object of strings        | `--label K=V` (repeat)    |
//! | `target`       | string (Dockerfile stage)| `--stage NAME`            |
//!
//! (`build --target` already names the registry target, hence `--stage`.)
//!
//! The registry model keeps these fields among a target's unknown fields
//! (`Target::extra`), so they survive every rewrite unchanged; this module
//! reads and checks them. Their findings are errors that do not block: the
//! registry stays readable and writable, but `build` and `export` refuse a
//! target whose settings are wrong.

use serde_json::Value;

use super::catalogue::{self as rule, Rule};
use super::diagnostic::Problem;
use crate::registry::{json_type, pointer_segment, Target};
use crate::values::text::quote;

pub const PLATFORM_RULE: &str =
    "must be os/arch[/variant] in lowercase, like linux/amd64 or linux/arm/v7";
pub const ARG_NAME_RULE: &str =
    "must be letters, digits and \"_\", not starting with a digit (like NODE_VERSION)";
pub const LABEL_KEY_RULE: &str =
    "must start with a letter or digit and hold only letters, digits, \".\", \"_\", \"/\" and \"-\" (like org.example.team)";
pub const STAGE_RULE: &str =
    "must start with a letter or digit and hold only letters, digits, \"_\", \".\" and \"-\" (a Dockerfile stage name)";
pub const VALUE_RULE: &str = "must not contain control characters (newlines, tabs, NUL, ...)";

/// The build settings of one build: the target's, with overrides applied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildSettings {
    pub platforms: Vec<String>,
    /// Name and value, in registry order (then command-line order).
    pub build_args: Vec<(String, String)>,
    /// Key and value, in registry order (then command-line order).
    pub labels: Vec<(String, String)>,
    /// The Dockerfile stage to build.
    pub stage: Option<String>,
    /// `"lint": {"ignore": [...]}`: the rules `verify` does not report for
    /// this target (codes or Docker names).
    pub lint_ignore: Vec<String>,
}

/// Command-line overrides of [`BuildSettings`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    /// `--platform a,b` replaces the target's platforms.
    pub platforms: Option<Vec<String>>,
    /// `--build-arg K=V` sets (or replaces) one argument.
    pub build_args: Vec<(String, String)>,
    /// `--label K=V` sets (or replaces) one label.
    pub labels: Vec<(String, String)>,
    /// `--stage NAME` replaces the target's stage.
    pub stage: Option<String>,
}

fn is_lower_alnum(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
}

/// `os/arch[/variant]`: `[a-z0-9]+/[a-z0-9_]+(/[a-z0-9]+)?`.
pub fn is_valid_platform(p: &str) -> bool {
    let parts: Vec<&str> = p.split('/').collect();
    let arch_ok = |a: &str| {
        !a.is_empty()
            && a.bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
    };
    match parts.as_slice() {
        [os, arch] => is_lower_alnum(os) && arch_ok(arch),
        [os, arch, variant] => is_lower_alnum(os) && arch_ok(arch) && is_lower_alnum(variant),
        _ => false,
    }
}

/// `[A-Za-z_][A-Za-z0-9_]*`.
pub fn is_valid_arg_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && (b[0].is_ascii_alphabetic() || b[0] == b'_')
        && b.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'_')
}

/// `[A-Za-z0-9][A-Za-z0-9._/-]*`.
pub fn is_valid_label_key(key: &str) -> bool {
    let b = key.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && b.iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'/' | b'-'))
}

/// `[A-Za-z0-9][A-Za-z0-9_.-]*`.
pub fn is_valid_stage(stage: &str) -> bool {
    let b = stage.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && b.iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
}

fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

/// One finding about a target's settings, before it becomes a registry
/// [`Problem`] (verify) or a refusal line (build, export).
struct Finding {
    rule: &'static Rule,
    /// Pointer below the target (`/platforms/1`).
    pointer: String,
    message: String,
}

fn field<'a>(t: &'a Target, name: &str) -> Option<&'a Value> {
    t.extra.iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// Read a string map (`buildArgs`, `labels`), checking keys and values.
fn read_map(
    value: &Value,
    name: &str,
    rules: (&'static Rule, &'static Rule),
    key_ok: fn(&str) -> bool,
    key_rule: &str,
    what: &str,
    found: &mut Vec<Finding>,
) -> Vec<(String, String)> {
    let (shape_rule, key_rule_) = rules;
    let Value::Object(map) = value else {
        found.push(Finding {
            rule: shape_rule,
            pointer: format!("/{name}"),
            message: format!(
                "\"{name}\" must be an object of strings, not {}",
                json_type(value)
            ),
        });
        return Vec::new();
    };
    let mut out = Vec::new();
    for (k, v) in map {
        let pointer = format!("/{name}/{}", pointer_segment(k));
        if !key_ok(k) {
            found.push(Finding {
                rule: key_rule_,
                pointer: pointer.clone(),
                message: format!("{what} {} {key_rule}", quote(k)),
            });
            continue;
        }
        match v {
            Value::String(s) if has_control(s) => found.push(Finding {
                rule: rule::CONTROL_CHARACTER_VALUE,
                pointer,
                message: format!("the value of {what} {} {VALUE_RULE}", quote(k)),
            }),
            Value::String(s) => out.push((k.clone(), s.clone())),
            other => found.push(Finding {
                rule: shape_rule,
                pointer,
                message: format!(
                    "{what} {} must be a string, not {}",
                    quote(k),
                    json_type(other)
                ),
            }),
        }
    }
    out
}

fn read(t: &Target) -> (BuildSettings, Vec<Finding>) {
    let mut found = Vec::new();
    let mut settings = BuildSettings::default();
    if let Some(value) = field(t, "platforms") {
        match value {
            Value::Array(items) if !items.is_empty() => {
                for (i, item) in items.iter().enumerate() {
                    let pointer = format!("/platforms/{i}");
                    match item {
                        Value::String(p) if !is_valid_platform(p) => found.push(Finding {
                            rule: rule::INVALID_PLATFORM,
                            pointer,
                            message: format!("platform {} {PLATFORM_RULE}", quote(p)),
                        }),
                        Value::String(p) if settings.platforms.contains(p) => {
                            found.push(Finding {
                                rule: rule::DUPLICATE_PLATFORM,
                                pointer,
                                message: format!("platform {} is listed twice", quote(p)),
                            })
                        }
                        Value::String(p) => settings.platforms.push(p.clone()),
                        other => found.push(Finding {
                            rule: rule::PLATFORMS_SHAPE,
                            pointer,
                            message: format!(
                                "\"platforms\" must hold strings, not {}",
                                json_type(other)
                            ),
                        }),
                    }
                }
            }
            Value::Array(_) => found.push(Finding {
                rule: rule::PLATFORMS_SHAPE,
                pointer: "/platforms".into(),
                message: "\"platforms\" must not be empty; leave it out to build for the engine's default platform".into(),
            }),
            other => found.push(Finding {
                rule: rule::PLATFORMS_SHAPE,
                pointer: "/platforms".into(),
                message: format!(
                    "\"platforms\" must be an array of strings like [\"linux/amd64\"], not {}",
                    json_type(other)
                ),
            }),
        }
    }
    if let Some(value) = field(t, "buildArgs") {
        settings.build_args = read_map(
            value,
            "buildArgs",
            (rule::BUILD_ARGS_SHAPE, rule::INVALID_BUILD_ARG_NAME),
            is_valid_arg_name,
            ARG_NAME_RULE,
            "build argument",
            &mut found,
        );
    }
    if let Some(value) = field(t, "labels") {
        settings.labels = read_map(
            value,
            "labels",
            (rule::LABELS_SHAPE, rule::INVALID_LABEL_KEY),
            is_valid_label_key,
            LABEL_KEY_RULE,
            "label",
            &mut found,
        );
    }
    if let Some(value) = field(t, "target") {
        match value {
            Value::String(s) if is_valid_stage(s) => settings.stage = Some(s.clone()),
            Value::String(s) => found.push(Finding {
                rule: rule::INVALID_STAGE,
                pointer: "/target".into(),
                message: format!("stage {} {STAGE_RULE}", quote(s)),
            }),
            other => found.push(Finding {
                rule: rule::INVALID_STAGE,
                pointer: "/target".into(),
                message: format!(
                    "\"target\" (the Dockerfile stage) must be a string, not {}",
                    json_type(other)
                ),
            }),
        }
    }
    if let Some(value) = field(t, "lint") {
        settings.lint_ignore = read_lint(value, &mut found);
    }
    (settings, found)
}

/// `"lint": {"ignore": ["PKG104", "CopyIgnoredFile"]}`; other keys of the
/// object are kept and not read.
fn read_lint(value: &Value, found: &mut Vec<Finding>) -> Vec<String> {
    let mut names = Vec::new();
    let shape = |pointer: &str, message: String| Finding {
        rule: rule::LINT_SHAPE,
        pointer: pointer.into(),
        message,
    };
    let Value::Object(map) = value else {
        found.push(shape(
            "/lint",
            format!(
                "\"lint\" must be an object like {{\"ignore\": [\"{}\"]}}, not {}",
                rule::ROOT_USER.code,
                json_type(value)
            ),
        ));
        return names;
    };
    match map.get("ignore") {
        None => {}
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                match item {
                    Value::String(s) if rule::named(s).is_some() => names.push(s.clone()),
                    other => found.push(shape(
                        &format!("/lint/ignore/{i}"),
                        match other {
                            Value::String(s) => format!("\"lint\".\"ignore\" names no rule: {}; use a code such as {} or a Docker check name", quote(s), rule::ROOT_USER.code),
                            _ => format!("\"lint\".\"ignore\" must hold rule codes, not {}", json_type(other)),
                        },
                    )),
                }
            }
        }
        Some(other) => found.push(shape(
            "/lint/ignore",
            format!(
                "\"lint\".\"ignore\" must be an array of rule codes, not {}",
                json_type(other)
            ),
        )),
    }
    names
}

/// Registry problems of target `index`'s build settings (called by
/// [`super::registry::validate`]).
pub fn problems(index: usize, t: &Target, out: &mut Vec<Problem>) {
    for f in read(t).1 {
        out.push(Problem::new(
            f.rule,
            format!("/targets/{index}{}", f.pointer),
            format!("target {index}: {}", f.message),
        ));
    }
}

/// The target's build settings, or every reason they cannot be used.
pub fn from_target(t: &Target) -> Result<BuildSettings, Vec<String>> {
    let (settings, found) = read(t);
    if found.is_empty() {
        Ok(settings)
    } else {
        Err(found.into_iter().map(|f| f.message).collect())
    }
}

/// Set `key` to `value`: in place when present, else at the end.
pub fn set(pairs: &mut Vec<(String, String)>, key: &str, value: &str) {
    match pairs.iter_mut().find(|(k, _)| k == key) {
        Some(pair) => pair.1 = value.to_string(),
        None => pairs.push((key.to_string(), value.to_string())),
    }
}

impl BuildSettings {
    pub fn apply(&mut self, o: &Overrides) {
        if let Some(p) = &o.platforms {
            self.platforms = p.clone();
        }
        for (k, v) in &o.build_args {
            set(&mut self.build_args, k, v);
        }
        for (k, v) in &o.labels {
            set(&mut self.labels, k, v);
        }
        if let Some(s) = &o.stage {
            self.stage = Some(s.clone());
        }
    }
}

/// `--option K=V`, checked.
fn pair(
    option: &str,
    text: &str,
    key_ok: fn(&str) -> bool,
    rule: &str,
) -> Result<(String, String), String> {
    let Some((k, v)) = text.split_once('=') else {
        return Err(format!("--{option} {} must be KEY=VALUE", quote(text)));
    };
    if !key_ok(k) {
        return Err(format!("--{option} {}: {} {rule}", quote(text), quote(k)));
    }
    if has_control(v) {
        return Err(format!("--{option} {}: the value {VALUE_RULE}", quote(k)));
    }
    Ok((k.to_string(), v.to_string()))
}

/// The values of `--platform`, `--build-arg` (each), `--label` (each) and
/// `--stage`, checked and read into [`Overrides`]; the message names the
/// option and the rule.
pub fn overrides(
    platform: Option<&str>,
    build_args: &[&str],
    labels: &[&str],
    stage: Option<&str>,
) -> Result<Overrides, String> {
    let mut o = Overrides::default();
    if let Some(list) = platform {
        let mut platforms: Vec<String> = Vec::new();
        for p in list.split(',').map(str::trim) {
            if !is_valid_platform(p) {
                return Err(format!("--platform: platform {} {PLATFORM_RULE}", quote(p)));
            }
            if platforms.iter().any(|q| q == p) {
                return Err(format!("--platform: platform {} is listed twice", quote(p)));
            }
            platforms.push(p.to_string());
        }
        o.platforms = Some(platforms);
    }
    for text in build_args {
        let (k, v) = pair("build-arg", text, is_valid_arg_name, ARG_NAME_RULE)?;
        set(&mut o.build_args, &k, &v);
    }
    for text in labels {
        let (k, v) = pair("label", text, is_valid_label_key, LABEL_KEY_RULE)?;
        set(&mut o.labels, &k, &v);
    }
    if let Some(stage) = stage {
        if !is_valid_stage(stage) {
            return Err(format!("--stage: stage {} {STAGE_RULE}", quote(stage)));
        }
        o.stage = Some(stage.to_string());
    }
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platforms() {
        for ok in [
            "linux/amd64",
            "linux/arm/v7",
            "linux/arm64/v8",
            "windows/amd64",
            "linux/x86_64",
        ] {
            assert!(is_valid_platform(ok), "{ok}");
        }
        for bad in [
            "",
            "linux",
            "Linux/amd64",
            "linux/",
            "/amd64",
            "linux/arm/v7/x",
            "linux/arm/v_7",
            "linux amd64",
        ] {
            assert!(!is_valid_platform(bad), "{bad}");
        }
    }

    #[test]
    fn names() {
        assert!(is_valid_arg_name("NODE_VERSION"));
        assert!(is_valid_arg_name("_x1"));
        assert!(!is_valid_arg_name("1X"));
        assert!(!is_valid_arg_name("A-B"));
        assert!(!is_valid_arg_name(""));
        assert!(is_valid_label_key("org.opencontainers.image.title"));
        assert!(is_valid_label_key("com.example/team-a_b"));
        assert!(!is_valid_label_key(".x"));
        assert!(!is_valid_label_key("a=b"));
        assert!(!is_valid_label_key("a b"));
        assert!(is_valid_stage("runtime"));
        assert!(is_valid_stage("Build-2.x_y"));
        assert!(!is_valid_stage("-x"));
        assert!(!is_valid_stage("a/b"));
    }

    #[test]
    fn reads_and_checks_a_target() {
        let (r, _) = crate::registry::parse(
            r#"{"version":1,"targets":[{"id":"a","type":"job",
                "platforms":["linux/amd64","linux","linux/amd64",3],
                "buildArgs":{"OK":"1","bad-name":"x","N":2,"C":"a\nb"},
                "labels":{"k":"v",".x":"y"},
                "target":"-no"}]}"#,
        )
        .unwrap();
        let mut out = Vec::new();
        problems(0, &r.targets[0], &mut out);
        let got: Vec<_> = out
            .iter()
            .map(|p| (p.rule.code, p.pointer.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (rule::INVALID_PLATFORM.code, "/targets/0/platforms/1"),
                (rule::DUPLICATE_PLATFORM.code, "/targets/0/platforms/2"),
                (rule::PLATFORMS_SHAPE.code, "/targets/0/platforms/3"),
                (
                    rule::INVALID_BUILD_ARG_NAME.code,
                    "/targets/0/buildArgs/bad-name"
                ),
                (rule::BUILD_ARGS_SHAPE.code, "/targets/0/buildArgs/N"),
                (rule::CONTROL_CHARACTER_VALUE.code, "/targets/0/buildArgs/C"),
                (rule::INVALID_LABEL_KEY.code, "/targets/0/labels/.x"),
                (rule::INVALID_STAGE.code, "/targets/0/target"),
            ]
        );
        assert!(from_target(&r.targets[0]).is_err());
    }

    #[test]
    fn overrides_replace_in_place_and_append() {
        let mut s = BuildSettings {
            platforms: vec!["linux/amd64".into()],
            build_args: vec![("A".into(), "1".into()), ("B".into(), "2".into())],
            labels: vec![],
            stage: Some("x".into()),
            lint_ignore: vec![],
        };
        let o = overrides(
            Some("linux/arm64,linux/amd64"),
            &["A=9", "C=x=y"],
            &["k="],
            Some("final"),
        )
        .unwrap();
        s.apply(&o);
        assert_eq!(s.platforms, vec!["linux/arm64", "linux/amd64"]);
        assert_eq!(
            s.build_args,
            vec![
                ("A".to_string(), "9".to_string()),
                ("B".to_string(), "2".to_string()),
                ("C".to_string(), "x=y".to_string())
            ]
        );
        assert_eq!(s.labels, vec![("k".to_string(), String::new())]);
        assert_eq!(s.stage.as_deref(), Some("final"));
    }
}
