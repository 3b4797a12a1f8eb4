//! The registry-wide rules: structure (what the reader could not use),
//! values of each target, duplicate ids, secrets anywhere, timestamps; and
//! attaching places in the text to what they find.

use serde_json::Value;

use super::catalogue::{self as rule, Rule};
use super::diagnostic::{Diagnostic, Problem};
use super::secrets;
use super::values::{check_id, check_image, check_path, check_type};
use crate::registry::locate::Locator;
use crate::registry::{
    parse, pointer_segment, Defect, DefectKind, Registry, Target, REGISTRY_PATH,
};
use crate::values::hash::{Keyed, Map};
use crate::values::reference;
use crate::values::text::quote;
use crate::values::time::is_rfc3339;

fn target_problems(index: usize, t: &Target, out: &mut Vec<Problem>) {
    let at = |field: &str| format!("/targets/{index}/{field}");
    let who = format_args!("target {index}");
    if let Some(id) = &t.id {
        if let Err(m) = check_id(id) {
            out.push(Problem::new(
                rule::INVALID_ID,
                at("id"),
                format!("{who}: {m}"),
            ));
        }
    }
    if let Some(kind) = &t.kind {
        if let Err(m) = check_type(kind) {
            out.push(Problem::new(
                rule::INVALID_TYPE,
                at("type"),
                format!("{who}: {m}"),
            ));
        }
    }
    for (field, value) in [
        ("module", &t.module),
        ("dockerfile", &t.dockerfile),
        ("context", &t.context),
    ] {
        if let Some(v) = value
            .as_deref()
            .filter(|v| !crate::values::paths::is_normal(v))
        {
            match check_path(field, v) {
                Err(m) => out.push(Problem::new(
                    rule::INVALID_PATH,
                    at(field),
                    format!("{who}: {m}"),
                )),
                Ok(normal) if normal != v => out.push(Problem::new(
                    rule::INVALID_PATH,
                    at(field),
                    format!(
                        "{who}: {field} {} is not in normal form; write {}",
                        quote(v),
                        quote(&normal)
                    ),
                )),
                Ok(_) => {}
            }
        }
    }
    if let Some(added) = &t.added_at {
        if let Some(why) = timestamp_problem(added) {
            out.push(Problem::new(
                rule::INVALID_TIMESTAMP,
                at("addedAt"),
                format!("{who}: \"addedAt\" {why}"),
            ));
        }
    }
    if let Some(image) = &t.image {
        if let Err(m) = check_image(image) {
            let code = if reference::has_credentials(image) {
                rule::CREDENTIALS_IN_IMAGE
            } else {
                rule::INVALID_IMAGE
            };
            out.push(Problem::new(code, at("image"), format!("{who}: {m}")));
        }
    }
    super::build_settings::problems(index, t, out);
}

fn secrets_in(value: &Value, pointer: &mut String, out: &mut Vec<Problem>) {
    match value {
        Value::String(s) => {
            if let Some(kind) = secrets::find(s) {
                let kind = kind.with_article();
                out.push(Problem::new(
                    rule::SECRET_IN_REGISTRY,
                    pointer.clone(),
                    format!("the value at {pointer} looks like {kind}; secrets do not belong in the registry"),
                ));
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                let len = pointer.len();
                pointer.push_str(&format!("/{i}"));
                secrets_in(v, pointer, out);
                pointer.truncate(len);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&pointer_segment(k));
                secrets_in(v, pointer, out);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

/// Every semantic problem of a registry that parsed: bad values, duplicate
/// ids, secrets. Structural problems come from [`crate::registry::parse`].
pub fn validate(registry: &Registry) -> Vec<Problem> {
    let mut out = Vec::new();
    // Keyed by the process's own hash keys: ids cannot be made to collide
    // in it, which would make it quadratic (an ordered map would not fit the
    // API module's size budget).
    let mut seen: Map<&str, usize> =
        Map::with_capacity_and_hasher(registry.targets.len(), Keyed::default());
    for (i, t) in registry.targets.iter().enumerate() {
        target_problems(i, t, &mut out);
        if let Some(id) = t.id.as_deref() {
            if let Some(first) = seen.insert(id, i) {
                seen.insert(id, first);
                out.push(Problem::new(
                    rule::DUPLICATE_ID,
                    format!("/targets/{i}/id"),
                    format!(
                        "target {i}: id {} is already used by target {first}",
                        quote(id)
                    ),
                ));
            }
        }
        if let Some(image) = &t.image {
            if let Some(kind) = secrets::find(image) {
                let kind = kind.with_article();
                out.push(Problem::new(
                    rule::SECRET_IN_REGISTRY,
                    format!("/targets/{i}/image"),
                    format!("the value at /targets/{i}/image looks like {kind}; secrets do not belong in the registry"),
                ));
            }
        }
        for (k, v) in &t.extra {
            let mut p = format!("/targets/{i}/{}", pointer_segment(k));
            secrets_in(v, &mut p, &mut out);
        }
    }
    if let Some(why) = registry.updated_at.as_ref().and_then(timestamp_problem) {
        out.push(Problem::new(
            rule::INVALID_TIMESTAMP,
            "/updatedAt".into(),
            format!("\"updatedAt\" {why}"),
        ));
    }
    for (k, v) in &registry.extra {
        let mut p = format!("/{}", pointer_segment(k));
        secrets_in(v, &mut p, &mut out);
    }
    out
}

/// Why a timestamp value is not an RFC 3339 date-time string, if it is not.
fn timestamp_problem(v: &Value) -> Option<String> {
    match v.as_str() {
        None => Some("must be an RFC 3339 timestamp string (like 2026-01-01T00:00:00.000Z)".into()),
        Some(s) if is_rfc3339(s) => None,
        Some(s) => Some(format!(
            "{} is not an RFC 3339 timestamp (like 2026-01-01T00:00:00.000Z)",
            quote(s)
        )),
    }
}

/// The rule a defect of the reader breaks.
pub fn defect_rule(kind: DefectKind) -> &'static Rule {
    match kind {
        DefectKind::Syntax => rule::INVALID_JSON,
        DefectKind::NotAnObject => rule::NOT_AN_OBJECT,
        DefectKind::UnsupportedVersion => rule::UNSUPPORTED_VERSION,
        DefectKind::TargetsNotArray => rule::TARGETS_NOT_ARRAY,
        DefectKind::TargetNotObject => rule::TARGET_NOT_OBJECT,
        DefectKind::MissingId => rule::MISSING_ID,
        DefectKind::MissingType => rule::MISSING_TYPE,
        DefectKind::NotAString => rule::FIELD_NOT_STRING,
        DefectKind::DuplicateKey => rule::DUPLICATE_KEY,
    }
}

/// A defect of the reader as a finding.
pub fn structural(d: Defect) -> Problem {
    Problem {
        rule: defect_rule(d.kind),
        message: d.message,
        pointer: d.pointer,
        offset: d.offset,
    }
}

/// Attach line and column to registry problems.
pub fn locate(file: &str, text: &str, problems: &[Problem]) -> Vec<Diagnostic> {
    let mut places = Locator::new(text);
    problems
        .iter()
        .map(|p| Diagnostic {
            pointer: p.pointer.clone(),
            ..Diagnostic::new(
                p.rule,
                file,
                places.span(&p.pointer, p.offset),
                p.message.clone(),
            )
        })
        .collect()
}

/// Parse registry text for a command that will work on it: the registry, or
/// the blocking problems (structure) as located diagnostics.
pub fn inspect(text: &str) -> Result<Registry, Vec<Diagnostic>> {
    match parse(text) {
        Err(d) => Err(locate(REGISTRY_PATH, text, &[structural(d)])),
        Ok((registry, defects)) if defects.is_empty() => Ok(registry),
        Ok((_, defects)) => {
            let problems: Vec<Problem> = defects.into_iter().map(structural).collect();
            Err(locate(REGISTRY_PATH, text, &problems))
        }
    }
}

/// Every diagnostic of a registry text, structural and semantic, and what
/// could be read of it; a warning when it defines no target.
pub fn diagnose(text: &str) -> (Option<Registry>, Vec<Diagnostic>) {
    match parse(text) {
        Err(d) => (None, locate(REGISTRY_PATH, text, &[structural(d)])),
        Ok((registry, defects)) => {
            let mut problems: Vec<Problem> = defects.into_iter().map(structural).collect();
            problems.extend(validate(&registry));
            if registry.targets.is_empty() {
                problems.push(Problem::new(
                    rule::NO_TARGETS,
                    "/targets".into(),
                    "No packaging targets defined".into(),
                ));
            }
            let d = locate(REGISTRY_PATH, text, &problems);
            (Some(registry), d)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_ids_at_scale_name_the_first_use() {
        // 3,000 targets, every third reusing an id from earlier (ids that differ
        // only in their last bytes, as generated ids do); the oracle compares each
        // target with every earlier one.
        let ids: Vec<String> = (0..3000)
            .map(|i| match i % 3 {
                2 => {
                    // An earlier index that holds its own id (not another reuse).
                    let j = (i / 3 * 17) % i;
                    format!("svc-{:05}", if j % 3 == 2 { j - 1 } else { j })
                }
                _ => format!("svc-{i:05}"),
            })
            .collect();
        let targets: Vec<String> = ids
            .iter()
            .map(|id| format!(r#"{{"id":"{id}","type":"service"}}"#))
            .collect();
        let (r, _) = parse(&format!(
            r#"{{"version":1,"targets":[{}]}}"#,
            targets.join(",")
        ))
        .unwrap();
        let got: Vec<String> = validate(&r)
            .into_iter()
            .filter(|p| p.rule == rule::DUPLICATE_ID)
            .map(|p| p.message)
            .collect();
        let want: Vec<String> = (0..ids.len())
            .filter_map(|i| {
                let first = (0..i).find(|&j| ids[j] == ids[i])?;
                Some(format!(
                    "target {i}: id {} is already used by target {first}",
                    quote(&ids[i])
                ))
            })
            .collect();
        assert_eq!(want.len(), 1000, "every third target reuses an id");
        assert_eq!(got, want);
    }

    #[test]
    fn registry_rules() {
        let (r, _) = parse(
            r#"{"version":1,"targets":[
              {"id":"a","type":"service","image":"Bad Name"},
              {"id":"a","type":"lambda","module":"../x"},
              {"id":"c","type":"job","image":"u:p@r.io/x","notes":{"k":"ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}}
            ],"owner":"AKIAABCDEFGHIJKLMNOP"}"#,
        )
        .unwrap();
        let got: Vec<_> = validate(&r)
            .into_iter()
            .map(|p| (p.rule.code, p.pointer))
            .collect();
        assert_eq!(
            got,
            vec![
                (rule::INVALID_IMAGE.code, "/targets/0/image".to_string()),
                (rule::INVALID_TYPE.code, "/targets/1/type".to_string()),
                (rule::INVALID_PATH.code, "/targets/1/module".to_string()),
                (rule::DUPLICATE_ID.code, "/targets/1/id".to_string()),
                (
                    rule::CREDENTIALS_IN_IMAGE.code,
                    "/targets/2/image".to_string()
                ),
                (
                    rule::SECRET_IN_REGISTRY.code,
                    "/targets/2/notes/k".to_string()
                ),
                (rule::SECRET_IN_REGISTRY.code, "/owner".to_string()),
            ]
        );
    }
}
