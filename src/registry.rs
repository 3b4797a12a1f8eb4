//! The registry model (`docs/packaging/registry.json`): reading it without
//! losing anything, and writing it back byte-compatibly with the reference
//! implementation (2-space JSON, known keys in a fixed order, a final newline).
//!
//! Unknown fields, at the top level and inside targets, are kept with their
//! values and order and written after the known keys. Legacy spellings are
//! read (`name` for `id`, `lastUpdated` for `updatedAt`) and written in the
//! current form.

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde::Deserialize;
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
        crate::canonical::render(self).unwrap_or_else(|| render_general(self))
    }
}

/// [`Registry::render`] through serde, for every shape.
pub fn render_general(registry: &Registry) -> String {
    let mut text = serde_json::to_string_pretty(registry).unwrap_or_default();
    text.push('\n');
    text
}

/// Parse registry text. A syntax error is one problem with its offset and no
/// registry; otherwise the registry keeps everything that could be read, and
/// the problems say what could not.
///
/// A registry in the common shape is read by [`crate::canonical::parse`];
/// any other text in one serde pass straight into the model (no intermediate
/// JSON tree for the targets).
pub fn parse(text: &str) -> Result<(Registry, Vec<Problem>), Problem> {
    match crate::canonical::parse(text) {
        Some(registry) => Ok((registry, Vec::new())),
        None => parse_general(text),
    }
}

/// [`parse`] through serde, for every text. Kept out of [`parse`] so that V8
/// compiles it only for a registry the canonical reader declines.
#[inline(never)]
pub fn parse_general(text: &str) -> Result<(Registry, Vec<Problem>), Problem> {
    let mut problems = Vec::new();
    let mut de = serde_json::Deserializer::from_str(text);
    let registry = RegistrySeed {
        problems: &mut problems,
    }
    .deserialize(&mut de)
    .and_then(|r| de.end().map(|()| r))
    .map_err(|e| syntax_problem(text, &e))?;
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

/// "a string", "an array", ...: the JSON type of a value, for messages.
pub fn json_type(v: &Value) -> &'static str {
    Kind::of(v).name()
}

/// A key as one segment of a JSON pointer (`~` and `/` escaped, RFC 6901).
pub fn pointer_segment(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// The JSON type of what a visitor was given instead of what it wanted.
#[derive(Clone, Copy)]
enum Kind {
    Null,
    Bool,
    Number,
    Str,
    Array,
    Object,
}

impl Kind {
    fn of(v: &Value) -> Kind {
        match v {
            Value::Null => Kind::Null,
            Value::Bool(_) => Kind::Bool,
            Value::Number(_) => Kind::Number,
            Value::String(_) => Kind::Str,
            Value::Array(_) => Kind::Array,
            Value::Object(_) => Kind::Object,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Null => "null",
            Kind::Bool => "a boolean",
            Kind::Number => "a number",
            Kind::Str => "a string",
            Kind::Array => "an array",
            Kind::Object => "an object",
        }
    }
}

/// A JSON value of the wrong kind, read to its end and reported as such.
/// `expected` is called with the kind seen when it is not a `V`.
trait Expect<'de>: Sized {
    type V;
    fn other(self, kind: Kind) -> Self::V;
}

macro_rules! wrong_kind_visits {
    () => {
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(self.other(Kind::Null))
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(self.other(Kind::Bool))
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok(self.other(Kind::Number))
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok(self.other(Kind::Number))
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok(self.other(Kind::Number))
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok(self.other(Kind::Str))
        }
    };
}

struct RegistrySeed<'p> {
    problems: &'p mut Vec<Problem>,
}

impl<'de> DeserializeSeed<'de> for RegistrySeed<'_> {
    type Value = Registry;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Registry, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Expect<'de> for RegistrySeed<'_> {
    type V = Registry;
    fn other(self, kind: Kind) -> Registry {
        self.problems.push(Problem::blocking(
            "PKG002",
            String::new(),
            format!(
                "the registry must be a JSON object with \"version\" and \"targets\", not {}",
                kind.name()
            ),
        ));
        Registry::default()
    }
}

impl<'de> Visitor<'de> for RegistrySeed<'_> {
    type Value = Registry;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a registry object")
    }

    wrong_kind_visits!();

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Registry, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(self.other(Kind::Array))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Registry, A::Error> {
        let mut registry = Registry::default();
        let mut legacy_updated = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "version" => {
                    let value: Value = map.next_value()?;
                    if value.as_u64() != Some(FORMAT_VERSION) {
                        self.problems.push(Problem::blocking(
                            "PKG003",
                            "/version".into(),
                            format!(
                                "registry version {value} is not supported; this tool reads and writes version {FORMAT_VERSION}"
                            ),
                        ));
                    }
                    registry.version = Some(value);
                }
                "updatedAt" => registry.updated_at = Some(map.next_value()?),
                "lastUpdated" => legacy_updated = Some(map.next_value()?),
                "targets" => {
                    registry.targets = map.next_value_seed(TargetsSeed {
                        problems: &mut *self.problems,
                    })?;
                }
                _ => {
                    let value = map.next_value()?;
                    set_extra(&mut registry.extra, key, value);
                }
            }
        }
        if registry.updated_at.is_none() {
            registry.updated_at = legacy_updated;
        } else if let Some(v) = legacy_updated {
            registry.extra.push(("lastUpdated".into(), v));
        }
        Ok(registry)
    }
}

/// Later duplicates of a key replace the earlier value in place (as
/// `JSON.parse` does), so a key is never written twice.
fn set_extra(extra: &mut Vec<(String, Value)>, key: String, value: Value) {
    match extra.iter_mut().find(|(k, _)| *k == key) {
        Some(slot) => slot.1 = value,
        None => extra.push((key, value)),
    }
}

struct TargetsSeed<'p> {
    problems: &'p mut Vec<Problem>,
}

impl<'de> DeserializeSeed<'de> for TargetsSeed<'_> {
    type Value = Vec<Target>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<Target>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Expect<'de> for TargetsSeed<'_> {
    type V = Vec<Target>;
    fn other(self, kind: Kind) -> Vec<Target> {
        self.problems.push(Problem::blocking(
            "PKG004",
            "/targets".into(),
            format!("\"targets\" must be an array, not {}", kind.name()),
        ));
        Vec::new()
    }
}

impl<'de> Visitor<'de> for TargetsSeed<'_> {
    type Value = Vec<Target>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of targets")
    }

    wrong_kind_visits!();

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<Target>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(self.other(Kind::Object))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Target>, A::Error> {
        let mut targets = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        let mut index = 0;
        while let Some(t) = seq.next_element_seed(TargetSeed {
            index,
            problems: &mut *self.problems,
        })? {
            if let Some(t) = t {
                targets.push(t);
            }
            index += 1;
        }
        Ok(targets)
    }
}

struct TargetSeed<'p> {
    index: usize,
    problems: &'p mut Vec<Problem>,
}

impl<'de> DeserializeSeed<'de> for TargetSeed<'_> {
    type Value = Option<Target>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<Target>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Expect<'de> for TargetSeed<'_> {
    type V = Option<Target>;
    fn other(self, kind: Kind) -> Option<Target> {
        let index = self.index;
        self.problems.push(Problem::blocking(
            "PKG005",
            format!("/targets/{index}"),
            format!("target {index} must be an object, not {}", kind.name()),
        ));
        None
    }
}

/// A target key: the known ones without allocating.
enum Key {
    Str(usize),
    AddedAt,
    Name,
    Other(String),
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Key, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(match v {
                    "addedAt" => Key::AddedAt,
                    "name" => Key::Name,
                    _ => match TARGET_KEYS[..6].iter().position(|k| *k == v) {
                        Some(i) => Key::Str(i),
                        None => Key::Other(v.to_string()),
                    },
                })
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

impl<'de> Visitor<'de> for TargetSeed<'_> {
    type Value = Option<Target>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a target object")
    }

    wrong_kind_visits!();

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Option<Target>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(self.other(Kind::Array))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<Target>, A::Error> {
        let index = self.index;
        let pointer = || format!("/targets/{index}");
        let mut t = Target::default();
        let mut name = None;
        let mut wrong: Vec<(usize, Kind)> = Vec::new();
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Str(i) => {
                    let slot = t.string_field_mut(i);
                    match map.next_value::<Value>()? {
                        Value::String(s) => {
                            *slot = Some(s);
                            wrong.retain(|(k, _)| *k != i);
                        }
                        other => {
                            *slot = None;
                            wrong.push((i, Kind::of(&other)));
                        }
                    }
                }
                Key::AddedAt => t.added_at = Some(map.next_value()?),
                Key::Name => {
                    let value: Value = map.next_value()?;
                    if value.is_string() {
                        name = Some(value);
                    } else {
                        set_extra(&mut t.extra, "name".into(), value);
                    }
                }
                Key::Other(k) => {
                    let value = map.next_value()?;
                    set_extra(&mut t.extra, k, value);
                }
            }
        }
        for (i, kind) in &wrong {
            let key = TARGET_KEYS[*i];
            self.problems.push(Problem::blocking(
                "PKG008",
                format!("{}/{key}", pointer()),
                format!(
                    "target {index}: \"{key}\" must be a string, not {}",
                    kind.name()
                ),
            ));
        }
        match (t.id.is_none(), name) {
            (true, Some(Value::String(n))) => t.id = Some(n),
            (false, Some(n)) => set_extra(&mut t.extra, "name".into(), n),
            _ => {}
        }
        let reported = |i: usize| wrong.iter().any(|(k, _)| *k == i);
        if t.id.is_none() && !reported(0) {
            self.problems.push(Problem::blocking(
                "PKG006",
                pointer(),
                format!("target {index} has no \"id\""),
            ));
        }
        if t.kind.is_none() && !reported(1) {
            self.problems.push(Problem::blocking(
                "PKG007",
                pointer(),
                format!(
                    "target {index} ({}) has no \"type\"",
                    t.id.as_deref().unwrap_or("no id")
                ),
            ));
        }
        Ok(Some(t))
    }
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
