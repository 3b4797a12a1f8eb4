//! The registry model (`docs/packaging/registry.json`): reading it without
//! losing anything, and writing it back byte-compatibly with the reference
//! implementation (2-space JSON, known keys in a fixed order, a final newline).
//!
//! Unknown fields, at the top level and inside targets, are kept with their
//! values and order and written after the known keys. Legacy spellings are
//! read (`name` for `id`, `lastUpdated` for `updatedAt`) and written in the
//! current form.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

/// Where the registry lives, relative to the repository root.
pub const REGISTRY_PATH: &str = "docs/packaging/registry.json";
/// The registry format this tool reads and writes.
pub const FORMAT_VERSION: u64 = 1;

/// Target types and the folder of their default Dockerfile.
pub const TYPES: [&str; 3] = ["service", "job", "app"];

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Registry {
    pub version: Option<Value>,
    pub updated_at: Option<Value>,
    pub targets: Vec<Target>,
    /// Unknown top-level fields, in their original order.
    pub extra: Vec<(String, Value)>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Target {
    pub id: Option<String>,
    pub kind: Option<String>,
    pub module: Option<String>,
    pub dockerfile: Option<String>,
    pub context: Option<String>,
    pub image: Option<String>,
    pub added_at: Option<Value>,
    /// Unknown fields, in their original order.
    pub extra: Vec<(String, Value)>,
}

/// Something wrong with the registry, before positions are attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub code: &'static str,
    pub message: String,
    /// JSON pointer of the value concerned.
    pub pointer: String,
    /// Byte offset, when known without looking the pointer up (syntax errors).
    pub offset: Option<usize>,
    /// Whether no command can safely work on the registry while it stands.
    pub blocking: bool,
    pub severity: crate::diagnostics::Severity,
}

impl Problem {
    pub fn blocking(code: &'static str, pointer: String, message: String) -> Problem {
        Problem {
            code,
            message,
            pointer,
            offset: None,
            blocking: true,
            severity: crate::diagnostics::Severity::Error,
        }
    }

    pub fn error(code: &'static str, pointer: String, message: String) -> Problem {
        Problem {
            blocking: false,
            ..Problem::blocking(code, pointer, message)
        }
    }
}

/// The known keys of a target, in the order they are written.
pub const TARGET_KEYS: [&str; 7] = [
    "id",
    "type",
    "module",
    "dockerfile",
    "context",
    "image",
    "addedAt",
];

impl Target {
    pub fn id(&self) -> &str {
        self.id.as_deref().unwrap_or("")
    }

    pub fn kind(&self) -> &str {
        self.kind.as_deref().unwrap_or("")
    }

    /// The Dockerfile a build uses: the target's, else the default for its type.
    pub fn dockerfile_or_default(&self) -> String {
        self.dockerfile
            .clone()
            .unwrap_or_else(|| default_dockerfile(self.kind(), self.id()))
    }

    /// The build context: the target's context, else its module, else `.`.
    pub fn context_or_default(&self) -> &str {
        self.context
            .as_deref()
            .or(self.module.as_deref())
            .unwrap_or(".")
    }

    /// The image name: the target's image, else its id.
    pub fn image_or_default(&self) -> &str {
        self.image.as_deref().unwrap_or(self.id())
    }
}

/// `ops/packaging/<type>s/<id>.Dockerfile`.
pub fn default_dockerfile(kind: &str, id: &str) -> String {
    format!("ops/packaging/{kind}s/{id}.Dockerfile")
}

impl Registry {
    /// An empty registry as `init` writes it.
    pub fn new() -> Registry {
        Registry {
            version: Some(Value::from(FORMAT_VERSION)),
            ..Registry::default()
        }
    }

    pub fn find(&self, id: &str) -> Option<&Target> {
        self.targets.iter().find(|t| t.id.as_deref() == Some(id))
    }

    /// `updatedAt` as text, when it is a string.
    pub fn updated_at_str(&self) -> Option<&str> {
        self.updated_at.as_ref().and_then(Value::as_str)
    }

    /// The exact bytes the CLI writes.
    pub fn render(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }
}

/// Parse registry text. A syntax error is one problem with its offset and no
/// registry; otherwise the registry keeps everything that could be read, and
/// the problems say what could not.
pub fn parse(text: &str) -> Result<(Registry, Vec<Problem>), Problem> {
    let value: Value = serde_json::from_str(text).map_err(|e| syntax_problem(text, &e))?;
    let mut problems = Vec::new();
    let registry = from_value(value, &mut problems);
    Ok((registry, problems))
}

fn syntax_problem(text: &str, e: &serde_json::Error) -> Problem {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let message = full.strip_suffix(&suffix).unwrap_or(&full).to_string();
    let message = if message == "EOF while parsing a value" && text.trim().is_empty() {
        "the file is empty; an empty registry is {\"version\": 1, \"targets\": []}".to_string()
    } else {
        message
    };
    Problem {
        offset: Some(offset_of(text, e.line(), e.column())),
        ..Problem::blocking("PKG001", String::new(), format!("invalid JSON: {message}"))
    }
}

/// Byte offset of serde_json's (line, column), where column counts bytes and
/// points at the offending byte (0 means the start of the line).
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let line_start = if line <= 1 {
        0
    } else {
        text.match_indices('\n')
            .nth(line - 2)
            .map_or(text.len(), |(i, _)| i + 1)
    };
    (line_start + column.saturating_sub(1)).min(text.len())
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn from_value(value: Value, problems: &mut Vec<Problem>) -> Registry {
    let mut registry = Registry::default();
    let Value::Object(map) = value else {
        problems.push(Problem::blocking(
            "PKG002",
            String::new(),
            format!(
                "the registry must be a JSON object with \"version\" and \"targets\", not {}",
                json_type(&value)
            ),
        ));
        return registry;
    };
    let mut legacy_updated = None;
    for (key, value) in map {
        match key.as_str() {
            "version" => {
                if value.as_u64() != Some(FORMAT_VERSION) {
                    problems.push(Problem::blocking(
                        "PKG003",
                        "/version".into(),
                        format!(
                            "registry version {} is not supported; this tool reads and writes version {FORMAT_VERSION}",
                            value
                        ),
                    ));
                }
                registry.version = Some(value);
            }
            "updatedAt" => registry.updated_at = Some(value),
            "lastUpdated" => legacy_updated = Some(value),
            "targets" => match value {
                Value::Array(items) => {
                    registry.targets = items
                        .into_iter()
                        .enumerate()
                        .filter_map(|(i, item)| target_from_value(i, item, problems))
                        .collect();
                }
                other => problems.push(Problem::blocking(
                    "PKG004",
                    "/targets".into(),
                    format!("\"targets\" must be an array, not {}", json_type(&other)),
                )),
            },
            _ => registry.extra.push((key, value)),
        }
    }
    if registry.updated_at.is_none() {
        registry.updated_at = legacy_updated;
    } else if let Some(v) = legacy_updated {
        registry.extra.push(("lastUpdated".into(), v));
    }
    registry
}

fn target_from_value(index: usize, value: Value, problems: &mut Vec<Problem>) -> Option<Target> {
    let pointer = format!("/targets/{index}");
    let Value::Object(map) = value else {
        problems.push(Problem::blocking(
            "PKG005",
            pointer,
            format!(
                "target {index} must be an object, not {}",
                json_type(&value)
            ),
        ));
        return None;
    };
    let mut target = Target::default();
    let mut name = None;
    for (key, value) in map {
        let slot = match key.as_str() {
            "id" => &mut target.id,
            "type" => &mut target.kind,
            "module" => &mut target.module,
            "dockerfile" => &mut target.dockerfile,
            "context" => &mut target.context,
            "image" => &mut target.image,
            "addedAt" => {
                target.added_at = Some(value);
                continue;
            }
            "name" if value.is_string() => {
                name = Some(value);
                continue;
            }
            _ => {
                target.extra.push((key, value));
                continue;
            }
        };
        match value {
            Value::String(s) => *slot = Some(s),
            other => problems.push(Problem::blocking(
                "PKG008",
                format!("{pointer}/{key}"),
                format!(
                    "target {index}: \"{key}\" must be a string, not {}",
                    json_type(&other)
                ),
            )),
        }
    }
    match (target.id.is_none(), name) {
        (true, Some(Value::String(n))) => target.id = Some(n),
        (false, Some(n)) => target.extra.push(("name".into(), n)),
        _ => {}
    }
    if target.id.is_none()
        && !problems
            .iter()
            .any(|p| p.pointer == format!("{pointer}/id"))
    {
        problems.push(Problem::blocking(
            "PKG006",
            pointer.clone(),
            format!("target {index} has no \"id\""),
        ));
    }
    if target.kind.is_none()
        && !problems
            .iter()
            .any(|p| p.pointer == format!("{pointer}/type"))
    {
        problems.push(Problem::blocking(
            "PKG007",
            pointer,
            format!(
                "target {index} ({}) has no \"type\"",
                target.id.as_deref().unwrap_or("no id")
            ),
        ));
    }
    Some(target)
}

impl Serialize for Registry {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        let version = self.version.clone().unwrap_or(Value::from(FORMAT_VERSION));
        map.serialize_entry("version", &version)?;
        if let Some(u) = &self.updated_at {
            map.serialize_entry("updatedAt", u)?;
        }
        map.serialize_entry("targets", &self.targets)?;
        for (k, v) in &self.extra {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl Serialize for Target {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        let strings = [
            ("id", &self.id),
            ("type", &self.kind),
            ("module", &self.module),
            ("dockerfile", &self.dockerfile),
            ("context", &self.context),
            ("image", &self.image),
        ];
        for (k, v) in strings {
            if let Some(v) = v {
                map.serialize_entry(k, v)?;
            }
        }
        if let Some(a) = &self.added_at {
            map.serialize_entry("addedAt", a)?;
        }
        for (k, v) in &self.extra {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// A registry as a JSON value in written order (for the JS API).
pub fn to_value(registry: &Registry) -> Value {
    serde_json::to_value(registry).unwrap_or(Value::Object(Map::new()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_reference_output_byte_for_byte() {
        let text = "{\n  \"version\": 1,\n  \"updatedAt\": \"2026-01-01T00:00:00.000Z\",\n  \"targets\": [\n    {\n      \"id\": \"api\",\n      \"type\": \"service\",\n      \"module\": \"apps/backend\",\n      \"dockerfile\": \"ops/packaging/services/api.Dockerfile\",\n      \"context\": \"apps/backend\",\n      \"image\": \"api\",\n      \"addedAt\": \"2026-01-01T00:00:00.000Z\"\n    }\n  ]\n}\n";
        let (r, problems) = parse(text).unwrap();
        assert!(problems.is_empty());
        assert_eq!(r.render(), text);
    }

    #[test]
    fn keeps_unknown_fields_in_order_after_known_keys() {
        let text = r#"{"owner":"team-a","targets":[{"platforms":["linux/amd64"],"type":"job","id":"w","zeta":1,"alpha":{"b":1,"a":2}}],"version":1,"notes":null}"#;
        let (r, problems) = parse(text).unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            r.render(),
            "{\n  \"version\": 1,\n  \"targets\": [\n    {\n      \"id\": \"w\",\n      \"type\": \"job\",\n      \"platforms\": [\n        \"linux/amd64\"\n      ],\n      \"zeta\": 1,\n      \"alpha\": {\n        \"b\": 1,\n        \"a\": 2\n      }\n    }\n  ],\n  \"owner\": \"team-a\",\n  \"notes\": null\n}\n"
        );
    }

    #[test]
    fn reads_legacy_spellings_and_writes_current_ones() {
        let (r, _) =
            parse(r#"{"version":1,"lastUpdated":"x","targets":[{"name":"a","type":"app"}]}"#)
                .unwrap();
        assert_eq!(r.targets[0].id.as_deref(), Some("a"));
        assert_eq!(r.updated_at_str(), Some("x"));
        assert_eq!(
            r.render(),
            "{\n  \"version\": 1,\n  \"updatedAt\": \"x\",\n  \"targets\": [\n    {\n      \"id\": \"a\",\n      \"type\": \"app\"\n    }\n  ]\n}\n"
        );
    }

    #[test]
    fn syntax_errors_carry_an_offset_and_a_bare_message() {
        let text = "{\n  \"version\": 1,\n  \"targets\": [\n    {\"id\": \"a\",}\n  ]\n}\n";
        let p = parse(text).unwrap_err();
        assert_eq!(p.code, "PKG001");
        assert_eq!(p.message, "invalid JSON: trailing comma");
        let (line, col) = crate::diagnostics::line_col(text, p.offset.unwrap());
        assert_eq!((line, col), (4, 16));
    }

    #[test]
    fn structural_problems_name_the_target_and_keep_it() {
        let (r, problems) = parse(
            r#"{"version":1,"targets":[{"type":"job"},{"id":"b"},{"id":5,"type":"app"},"x"]}"#,
        )
        .unwrap();
        assert_eq!(r.targets.len(), 3);
        let got: Vec<_> = problems
            .iter()
            .map(|p| (p.code, p.pointer.as_str(), p.message.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("PKG006", "/targets/0", "target 0 has no \"id\""),
                ("PKG007", "/targets/1", "target 1 (b) has no \"type\""),
                (
                    "PKG008",
                    "/targets/2/id",
                    "target 2: \"id\" must be a string, not a number"
                ),
                (
                    "PKG005",
                    "/targets/3",
                    "target 3 must be an object, not a string"
                ),
            ]
        );
    }

    #[test]
    fn refuses_other_versions_and_shapes() {
        let (_, p) = parse(r#"{"version":2,"targets":[]}"#).unwrap();
        assert_eq!(p[0].code, "PKG003");
        let (_, p) = parse(r#"[]"#).unwrap();
        assert_eq!(p[0].code, "PKG002");
        let (_, p) = parse(r#"{"targets":{}}"#).unwrap();
        assert_eq!(p[0].code, "PKG004");
        assert_eq!(parse("").unwrap_err().code, "PKG001");
    }
}
