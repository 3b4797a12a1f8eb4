//! The one validation model: what makes an id, a type, a path, an image or a
//! tag acceptable, and the registry-wide rules (duplicates, secrets). Used by
//! every command that takes such a value, by `verify`, and by the JS API.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use serde_json::Value;

use crate::diagnostics::quote;
use crate::paths::repo_relative;
use crate::reference::{self, is_path_component, is_valid_tag, RefProblem, TAG_RULE};
use crate::registry::{pointer_segment, Problem, Registry, Target, TYPES};

pub const ID_RULE: &str = "must be lowercase letters and digits, optionally separated by \".\", \"_\", \"__\" or \"-\" (an OCI image path component), at most 128 characters";

pub fn check_id(id: &str) -> Result<(), String> {
    if id.len() <= 128 && is_path_component(id) {
        Ok(())
    } else {
        Err(format!("id {} {ID_RULE}", quote(id)))
    }
}

pub fn check_type(kind: &str) -> Result<(), String> {
    if TYPES.contains(&kind) {
        Ok(())
    } else {
        Err(format!(
            "type {} must be one of: {}",
            quote(kind),
            TYPES.join(", ")
        ))
    }
}

/// A repository path given for `field`; returns it normalised.
pub fn check_path(field: &str, value: &str) -> Result<String, String> {
    repo_relative(value).map_err(|p| format!("{field} {}: {p}", quote(value)))
}

pub fn check_image(image: &str) -> Result<(), String> {
    reference::check(image).map_err(|p| match p {
        RefProblem::Credentials => format!(
            "image {} carries credentials: {p}",
            quote(&reference::redact(image))
        ),
        p => format!("image {} is not a valid image reference: {p}", quote(image)),
    })
}

pub fn check_tag(tag: &str) -> Result<(), String> {
    if is_valid_tag(tag) {
        Ok(())
    } else {
        Err(format!("tag {} {TAG_RULE}", quote(tag)))
    }
}

/// Whether `b` holds "-----".
fn has_five_dashes(b: &[u8]) -> bool {
    let mut run = 0;
    for &c in b {
        run = if c == b'-' { run + 1 } else { 0 };
        if run == 5 {
            return true;
        }
    }
    false
}

/// What kind of secret a value looks like, if any.
pub fn secret_kind(s: &str) -> Option<&'static str> {
    let b = s.as_bytes();
    // A PEM header has a run of five dashes: look for the two markers (two
    // substring searchers each time) only in a text that has one.
    if has_five_dashes(b) && s.contains("-----BEGIN") && s.contains("PRIVATE KEY") {
        return Some("a private key");
    }
    let run = |from: usize, ok: fn(u8) -> bool| {
        b[from.min(b.len())..]
            .iter()
            .take_while(|&&c| ok(c))
            .count()
    };
    let alnum = |c: u8| c.is_ascii_alphanumeric();
    let upper_digit = |c: u8| c.is_ascii_uppercase() || c.is_ascii_digit();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let token = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'-';
    for i in 0..b.len() {
        // Every pattern starts with one of these letters, at a word start.
        if !matches!(b[i], b'g' | b'A' | b'x' | b'n') || (i > 0 && b[i - 1].is_ascii_alphanumeric())
        {
            continue;
        }
        let rest = &s[i..];
        let hit = |prefix: &str, ok: fn(u8) -> bool, min: usize| {
            rest.starts_with(prefix) && run(i + prefix.len(), ok) >= min
        };
        if ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"]
            .iter()
            .any(|p| hit(p, alnum, 36))
            || hit("github_pat_", word, 22)
        {
            return Some("a GitHub token");
        }
        if (hit("AKIA", upper_digit, 16) || hit("ASIA", upper_digit, 16))
            && run(i + 4, upper_digit) == 16
        {
            return Some("an AWS access key id");
        }
        if ["xoxb-", "xoxa-", "xoxp-", "xoxr-", "xoxs-"]
            .iter()
            .any(|p| hit(p, token, 10))
        {
            return Some("a Slack token");
        }
        if hit("glpat-", token, 20) {
            return Some("a GitLab token");
        }
        if hit("npm_", alnum, 36) {
            return Some("an npm token");
        }
    }
    None
}

fn target_problems(index: usize, t: &Target, out: &mut Vec<Problem>) {
    let at = |field: &str| format!("/targets/{index}/{field}");
    let who = format_args!("target {index}");
    if let Some(id) = &t.id {
        if let Err(m) = check_id(id) {
            out.push(Problem::error("PKG010", at("id"), format!("{who}: {m}")));
        }
    }
    if let Some(kind) = &t.kind {
        if let Err(m) = check_type(kind) {
            out.push(Problem::error("PKG011", at("type"), format!("{who}: {m}")));
        }
    }
    for (field, value) in [
        ("module", &t.module),
        ("dockerfile", &t.dockerfile),
        ("context", &t.context),
    ] {
        if let Some(v) = value.as_deref().filter(|v| !crate::paths::is_normal(v)) {
            match check_path(field, v) {
                Err(m) => out.push(Problem::error("PKG014", at(field), format!("{who}: {m}"))),
                Ok(normal) if normal != v => out.push(Problem::error(
                    "PKG014",
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
        if !added.is_string() {
            out.push(Problem::error(
                "PKG017",
                at("addedAt"),
                format!("{who}: \"addedAt\" must be an ISO-8601 timestamp string"),
            ));
        }
    }
    if let Some(image) = &t.image {
        if let Err(m) = check_image(image) {
            let code = if reference::has_credentials(image) {
                "PKG015"
            } else {
                "PKG012"
            };
            out.push(Problem::error(code, at("image"), format!("{who}: {m}")));
        }
    }
    crate::build_settings::problems(index, t, out);
}

fn secrets_in(value: &Value, pointer: &mut String, out: &mut Vec<Problem>) {
    match value {
        Value::String(s) => {
            if let Some(kind) = secret_kind(s) {
                out.push(Problem::error(
                    "PKG016",
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

/// The hasher of the duplicate-id map: a multiply and a rotate per eight
/// bytes (the scheme of rustc's FxHasher, with its final rotation so that the
/// low bits a table indexes by depend on every byte). SipHash cost more than
/// the rest of the map on a large registry, and in WebAssembly its keys are
/// fixed (no randomness source), so it defended against crafted collisions
/// there no better than this does.
#[derive(Default)]
struct IdHasher(u64);

impl IdHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    fn finish(&self) -> u64 {
        self.0.rotate_left(26)
    }
}

/// Every semantic problem of a registry that parsed: bad values, duplicate
/// ids, secrets. Structural problems come from [`crate::registry::parse`].
pub fn validate(registry: &Registry) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut seen: HashMap<&str, usize, BuildHasherDefault<IdHasher>> =
        HashMap::with_capacity_and_hasher(registry.targets.len(), Default::default());
    for (i, t) in registry.targets.iter().enumerate() {
        target_problems(i, t, &mut out);
        if let Some(id) = t.id.as_deref() {
            if let Some(first) = seen.insert(id, i) {
                seen.insert(id, first);
                out.push(Problem::error(
                    "PKG013",
                    format!("/targets/{i}/id"),
                    format!(
                        "target {i}: id {} is already used by target {first}",
                        quote(id)
                    ),
                ));
            }
        }
        if let Some(image) = &t.image {
            if let Some(kind) = secret_kind(image) {
                out.push(Problem::error(
                    "PKG016",
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
    if registry.updated_at.as_ref().is_some_and(|u| !u.is_string()) {
        out.push(Problem::error(
            "PKG017",
            "/updatedAt".into(),
            "\"updatedAt\" must be an ISO-8601 timestamp string".into(),
        ));
    }
    for (k, v) in &registry.extra {
        let mut p = format!("/{}", pointer_segment(k));
        secrets_in(v, &mut p, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert!(check_id("billing.api").is_ok());
        assert!(check_id(&"a".repeat(128)).is_ok());
        assert!(check_id(&"a".repeat(129)).is_err());
        assert_eq!(
            check_id("UPPER").unwrap_err(),
            format!("id \"UPPER\" {ID_RULE}")
        );
        for bad in ["../../escape", "/abs", "has space", ""] {
            assert!(check_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn secrets() {
        assert_eq!(
            secret_kind(&format!("ghp_{}", "a".repeat(36))),
            Some("a GitHub token")
        );
        assert_eq!(
            secret_kind("key AKIAABCDEFGHIJKLMNOP"),
            Some("an AWS access key id")
        );
        assert_eq!(
            secret_kind("-----BEGIN RSA PRIVATE KEY-----\nx"),
            Some("a private key")
        );
        assert_eq!(secret_kind("apps/backend"), None);
        assert_eq!(secret_kind("ghp_short"), None);
        assert_eq!(secret_kind("xAKIAABCDEFGHIJKLMNOP"), None);
        // The private-key rule needs both markers, and five dashes in the first.
        assert_eq!(
            secret_kind("x -----BEGIN OPENSSH PRIVATE KEY----- y"),
            Some("a private key")
        );
        assert_eq!(secret_kind("----BEGIN PRIVATE KEY----"), None);
        assert_eq!(secret_kind("-----BEGIN CERTIFICATE-----"), None);
    }

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
        let (r, _) = crate::registry::parse(&format!(
            r#"{{"version":1,"targets":[{}]}}"#,
            targets.join(",")
        ))
        .unwrap();
        let got: Vec<String> = validate(&r)
            .into_iter()
            .filter(|p| p.code == "PKG013")
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
        let (r, _) = crate::registry::parse(
            r#"{"version":1,"targets":[
              {"id":"a","type":"service","image":"Bad Name"},
              {"id":"a","type":"lambda","module":"../x"},
              {"id":"c","type":"job","image":"u:p@r.io/x","notes":{"k":"ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}}
            ],"owner":"AKIAABCDEFGHIJKLMNOP"}"#,
        )
        .unwrap();
        let got: Vec<_> = validate(&r)
            .into_iter()
            .map(|p| (p.code, p.pointer))
            .collect();
        assert_eq!(
            got,
            vec![
                ("PKG012", "/targets/0/image".to_string()),
                ("PKG011", "/targets/1/type".to_string()),
                ("PKG014", "/targets/1/module".to_string()),
                ("PKG013", "/targets/1/id".to_string()),
                ("PKG015", "/targets/2/image".to_string()),
                ("PKG016", "/targets/2/notes/k".to_string()),
                ("PKG016", "/owner".to_string()),
            ]
        );
    }
}
