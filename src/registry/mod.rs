//! The registry model (`docs/packaging/registry.json`): reading it without
//! losing anything, and writing it back byte-compatibly with the reference
//! implementation (2-space JSON, known keys in a fixed order, a final newline).
//!
//! Unknown fields, at the top level and inside targets, are kept with their
//! values and order and written after the known keys. Legacy spellings are
//! read (`name` for `id`, `lastUpdated` for `updatedAt`) and written in the
//! current form.

pub mod canonical;
pub mod locate;
mod reader;

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

pub use reader::parse_general;

/// Where the registry lives, relative to the repository root.
pub const REGISTRY_PATH: &str = "docs/packaging/registry.json";
/// The top-level key naming the document's JSON Schema, written first.
pub const SCHEMA_KEY: &str = "$schema";
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

/// What the commands that only count targets read of a registry (`status`):
/// when it was updated and how many targets it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub updated_at: Option<Value>,
    pub targets: usize,
}

impl Summary {
    /// The summary of a registry read whole, taking its `updatedAt` (no copy
    /// of the value: the module then carries no deep copy of a JSON value).
    pub fn take(registry: &mut Registry) -> Summary {
        Summary {
            updated_at: registry.updated_at.take(),
            targets: registry.targets.len(),
        }
    }
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

/// What makes a registry text unusable: no command can safely work on it
/// while one stands. The reader names the kind; the rules give it its code
/// (`crate::rules::registry`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefectKind {
    /// Not JSON at all.
    Syntax,
    /// The document is not an object.
    NotAnObject,
    /// `version` is not the one this tool reads and writes.
    UnsupportedVersion,
    /// `targets` is not an array.
    TargetsNotArray,
    /// A target is not an object.
    TargetNotObject,
    MissingId,
    MissingType,
    /// A known target field holds another JSON type than a string.
    NotAString,
    /// An object has the same key twice.
    DuplicateKey,
}

/// A [`DefectKind`] where it was found, before positions are attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Defect {
    pub kind: DefectKind,
    pub message: String,
    /// JSON pointer of the value concerned.
    pub pointer: String,
    /// Byte offset, when known without looking the pointer up (syntax errors).
    pub offset: Option<usize>,
}

impl Defect {
    pub fn new(kind: DefectKind, pointer: String, message: String) -> Defect {
        Defect {
            kind,
            message,
            pointer,
            offset: None,
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
    /// The string field at index `i` of [`TARGET_KEYS`] (0..=5; `addedAt`
    /// is no string field).
    pub fn string_field_mut(&mut self, i: usize) -> &mut Option<String> {
        match i {
            0 => &mut self.id,
            1 => &mut self.kind,
            2 => &mut self.module,
            3 => &mut self.dockerfile,
            4 => &mut self.context,
            _ => &mut self.image,
        }
    }

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
        canonical::render(self).unwrap_or_else(|| render_general(self))
    }
}

/// [`Registry::render`] through serde, for every shape.
pub fn render_general(registry: &Registry) -> String {
    let mut text = serde_json::to_string_pretty(registry).unwrap_or_default();
    text.push('\n');
    text
}

/// Parse registry text. A syntax error is one defect with its offset and no
/// registry; otherwise the registry keeps everything that could be read, and
/// the defects say what could not.
///
/// A registry in the common shape is read by [`canonical::parse`]; any other
/// text by [`reader::parse_general`], in one serde pass straight into the
/// model (no intermediate JSON tree for the targets).
pub fn parse(text: &str) -> Result<(Registry, Vec<Defect>), Defect> {
    match canonical::parse(text) {
        Some(registry) => Ok((registry, Vec::new())),
        None => reader::parse_general(text),
    }
}

/// "a string", "an array", ...: the JSON type of a value, for messages.
pub fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A key as one segment of a JSON pointer (`~` and `/` escaped, RFC 6901).
pub fn pointer_segment(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

impl Serialize for Registry {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        // `$schema` names the schema of the whole document: editors look
        // for it first, so it stays first.
        let schema = |(k, _): &&(String, Value)| k == SCHEMA_KEY;
        for (k, v) in self.extra.iter().filter(schema) {
            map.serialize_entry(k, v)?;
        }
        let default;
        let version = match &self.version {
            Some(version) => version,
            None => {
                default = Value::from(FORMAT_VERSION);
                &default
            }
        };
        map.serialize_entry("version", version)?;
        if let Some(u) = &self.updated_at {
            map.serialize_entry("updatedAt", u)?;
        }
        map.serialize_entry("targets", &self.targets)?;
        for (k, v) in self.extra.iter().filter(|e| !schema(e)) {
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
        assert_eq!(p.kind, DefectKind::Syntax);
        assert_eq!(p.message, "invalid JSON: trailing comma");
        let (line, col) = crate::values::position::line_col(text, p.offset.unwrap());
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
            .map(|p| (p.kind, p.pointer.as_str(), p.message.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    DefectKind::MissingId,
                    "/targets/0",
                    "target 0 has no \"id\""
                ),
                (
                    DefectKind::MissingType,
                    "/targets/1",
                    "target 1 (b) has no \"type\""
                ),
                (
                    DefectKind::NotAString,
                    "/targets/2/id",
                    "target 2: \"id\" must be a string, not a number"
                ),
                (
                    DefectKind::TargetNotObject,
                    "/targets/3",
                    "target 3 must be an object, not a string"
                ),
            ]
        );
    }

    #[test]
    fn refuses_other_versions_and_shapes() {
        let (_, p) = parse(r#"{"version":2,"targets":[]}"#).unwrap();
        assert_eq!(p[0].kind, DefectKind::UnsupportedVersion);
        let (_, p) = parse(r#"[]"#).unwrap();
        assert_eq!(p[0].kind, DefectKind::NotAnObject);
        let (_, p) = parse(r#"{"targets":{}}"#).unwrap();
        assert_eq!(p[0].kind, DefectKind::TargetsNotArray);
        assert_eq!(parse("").unwrap_err().kind, DefectKind::Syntax);
    }
}
