//! The general reader: any registry text, in one serde pass straight into
//! the model. It never gives up on what can be read: a value of the wrong
//! kind is read to its end and reported as a [`Defect`], and the rest of the
//! file is still read.

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

use super::{Defect, DefectKind, Registry, Target, FORMAT_VERSION, TARGET_KEYS};

/// With serde_json's `arbitrary_precision` (numbers kept as written), a
/// number reaches a visitor's `visit_map` as a map with this one key.
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

/// [`super::parse`] through serde, for every text. Kept out of it so that V8
/// compiles it only for a registry the canonical reader declines.
#[inline(never)]
pub fn parse_general(text: &str) -> Result<(Registry, Vec<Defect>), Defect> {
    let mut problems = Vec::new();
    let mut de = serde_json::Deserializer::from_str(text);
    let registry = RegistrySeed {
        problems: &mut problems,
    }
    .deserialize(&mut de)
    .and_then(|r| de.end().map(|()| r))
    .map_err(|e| syntax_problem(text, &e))?;
    if let Some((offset, key)) = first_duplicate_key(text) {
        return Err(Defect {
            offset: Some(offset),
            ..Defect::new(
                DefectKind::DuplicateKey,
                String::new(),
                format!(
                    "duplicate key {} in one object; JSON readers disagree on which value counts, and a rewrite would keep only one",
                    serde_json::to_string(&key).unwrap_or_default()
                ),
            )
        });
    }
    Ok((registry, problems))
}

/// An unknown value, kept as written: numbers keep their text (`1e2`, `-0`,
/// `12345678901234567890123`), which a JSON number type would change.
fn kept<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Value, A::Error> {
    let raw: &'de serde_json::value::RawValue = map.next_value()?;
    let text = raw.get();
    let mut value: Value = serde_json::from_str(text).map_err(de::Error::custom)?;
    if text.bytes().any(|c| c.is_ascii_digit()) {
        let mut tokens = number_tokens(text).into_iter();
        as_written(&mut value, &mut tokens);
    }
    Ok(value)
}

/// The number tokens of valid JSON `text`, in order (strings skipped).
fn number_tokens(text: &str) -> Vec<&str> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                while i < b.len() && matches!(b[i], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
                {
                    i += 1;
                }
                out.push(&text[start..i]);
            }
            _ => i += 1,
        }
    }
    out
}

/// Give every number of `value` (in document order, which `preserve_order`
/// keeps) the text of the next token.
fn as_written<'t>(value: &mut Value, tokens: &mut impl Iterator<Item = &'t str>) {
    match value {
        Value::Number(n) => {
            if let Some(t) = tokens.next() {
                *n = serde_json::Number::from_string_unchecked(t.to_string());
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| as_written(v, tokens)),
        Value::Object(map) => map.values_mut().for_each(|v| as_written(v, tokens)),
        _ => {}
    }
}

/// The byte offset and text of the first key that repeats a key of the same
/// object, in valid JSON `text`. Keys are compared after unescaping.
fn first_duplicate_key(text: &str) -> Option<(usize, String)> {
    // The map type the Dockerfile checks use (no new generic code in the
    // module), with the process's own hash keys: keys cannot be chosen to
    // collide in it.
    type Keys = crate::values::hash::Map<String, Option<String>>;
    let b = text.as_bytes();
    // Per open container: the keys of an object (None: an array), and
    // whether the next string of an object is a key.
    let mut stack: Vec<(Option<Keys>, bool)> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'{' => stack.push((Some(Keys::default()), true)),
            b'[' => stack.push((None, false)),
            b'}' | b']' => {
                stack.pop();
            }
            b',' => {
                if let Some((Some(_), expect_key)) = stack.last_mut() {
                    *expect_key = true;
                }
            }
            b'"' => {
                let start = i;
                i += 1;
                let mut escaped = false;
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' {
                        escaped = true;
                        i += 1;
                    }
                    i += 1;
                }
                if let Some((Some(keys), expect_key)) = stack.last_mut() {
                    if *expect_key {
                        *expect_key = false;
                        let raw = text.get(start..=i.min(b.len() - 1))?;
                        let key = if escaped {
                            serde_json::from_str::<String>(raw).ok()?
                        } else {
                            raw[1..raw.len() - 1].to_string()
                        };
                        if keys.insert(key.clone(), None).is_some() {
                            return Some((start, key));
                        }
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

fn syntax_problem(text: &str, e: &serde_json::Error) -> Defect {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let message = full.strip_suffix(&suffix).unwrap_or(&full).to_string();
    let message = if message == "EOF while parsing a value" && text.trim().is_empty() {
        "the file is empty; an empty registry is {\"version\": 1, \"targets\": []}".to_string()
    } else {
        message
    };
    Defect {
        offset: Some(offset_of(text, e.line(), e.column())),
        ..Defect::new(
            DefectKind::Syntax,
            String::new(),
            format!("invalid JSON: {message}"),
        )
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
    problems: &'p mut Vec<Defect>,
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
        self.problems.push(Defect::new(
            DefectKind::NotAnObject,
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
                NUMBER_TOKEN => {
                    map.next_value::<IgnoredAny>()?;
                    return Ok(self.other(Kind::Number));
                }
                "version" => {
                    let value: Value = map.next_value()?;
                    if value.as_u64() != Some(FORMAT_VERSION) {
                        self.problems.push(Defect::new(
                            DefectKind::UnsupportedVersion,
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
                    let value = kept(&mut map)?;
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

/// An unknown member, kept in order. Pushed without looking for an earlier
/// one of the same key (a search per member made 80,000 unknown keys take
/// 22 s): a registry with a duplicate key is refused whole
/// ([`first_duplicate_key`], after this pass), so nothing read here with one
/// is ever used.
fn set_extra(extra: &mut Vec<(String, Value)>, key: String, value: Value) {
    extra.push((key, value));
}

struct TargetsSeed<'p> {
    problems: &'p mut Vec<Defect>,
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
        self.problems.push(Defect::new(
            DefectKind::TargetsNotArray,
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
        let mut kind = Kind::Object;
        while let Some((key, IgnoredAny)) = map.next_entry::<String, IgnoredAny>()? {
            if key == NUMBER_TOKEN {
                kind = Kind::Number;
            }
        }
        Ok(self.other(kind))
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
    problems: &'p mut Vec<Defect>,
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
        self.problems.push(Defect::new(
            DefectKind::TargetNotObject,
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
                Key::Other(k) if k == NUMBER_TOKEN => {
                    map.next_value::<IgnoredAny>()?;
                    return Ok(self.other(Kind::Number));
                }
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
                    let value = kept(&mut map)?;
                    if value.is_string() {
                        name = Some(value);
                    } else {
                        set_extra(&mut t.extra, "name".into(), value);
                    }
                }
                Key::Other(k) => {
                    let value = kept(&mut map)?;
                    set_extra(&mut t.extra, k, value);
                }
            }
        }
        for (i, kind) in &wrong {
            let key = TARGET_KEYS[*i];
            self.problems.push(Defect::new(
                DefectKind::NotAString,
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
            self.problems.push(Defect::new(
                DefectKind::MissingId,
                pointer(),
                format!("target {index} has no \"id\""),
            ));
        }
        if t.kind.is_none() && !reported(1) {
            self.problems.push(Defect::new(
                DefectKind::MissingType,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_key_is_found_at_its_second_occurrence() {
        let text = r#"{"a": {"k": 1, "x": [{"k": 2}], "k": 3}}"#;
        assert_eq!(
            first_duplicate_key(text),
            Some((text.rfind("\"k\"").unwrap(), "k".into()))
        );
        let escaped = r#"{"targets": [], "t\u0061rgets": []}"#;
        assert_eq!(
            first_duplicate_key(escaped).map(|(_, k)| k),
            Some("targets".into())
        );
        // The same key in sibling objects and in strings is no duplicate.
        assert_eq!(first_duplicate_key(r#"[{"k": "\"k\""}, {"k": 1}]"#), None);
    }

    #[test]
    fn unknown_numbers_keep_their_text() {
        let text = r#"{"version": 1, "targets": [], "n": [1e2, -0, 1.50, 12345678901234567890123, -1E-7]}"#;
        let (registry, problems) = parse_general(text).unwrap();
        assert!(problems.is_empty());
        let (_, n) = &registry.extra[0];
        assert_eq!(
            serde_json::to_string(n).unwrap(),
            "[1e2,-0,1.50,12345678901234567890123,-1E-7]"
        );
    }
}
