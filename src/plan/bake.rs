//! The Docker Bake file (JSON) of a set of build plans (`export --format
//! bake`), so that `docker buildx bake` builds them all on BuildKit, locally
//! or on remote and multi-node builders.
//!
//! The file holds a group `default` listing every target, in registry order,
//! and per target `dockerfile`, `context`, `tags`, and when set `platforms`,
//! `args`, `labels` and `target` (the stage). Following the Bake file
//! reference:
//! - target names match `[a-zA-Z0-9_-]+`: a `.` in an id becomes `_` (the
//!   same mapping `docker buildx bake` applies to names on its command line);
//! - `dockerfile` is relative to `context`, and `context` to the folder
//!   `docker buildx bake` runs in: the repository root;
//! - strings are HCL templates even in JSON, so `${` and `%{` are written
//!   `$${` and `%%{`.

use serde_json::{Map, Value};

use super::build::Plan;
use super::buildx::output_for;
use crate::values::text::quote;

/// `dir/…/file` as seen from `dir` (both repository paths, normalised).
pub fn relative_to(dir: &str, file: &str) -> String {
    if dir == "." {
        return file.to_string();
    }
    let d: Vec<&str> = dir.split('/').collect();
    let f: Vec<&str> = file.split('/').collect();
    let common = d
        .iter()
        .zip(&f)
        .take_while(|(a, b)| a == b)
        .count()
        .min(f.len().saturating_sub(1));
    let mut parts: Vec<&str> = vec![".."; d.len() - common];
    parts.extend(&f[common..]);
    parts.join("/")
}

/// A Bake target name for a target id.
pub fn bake_name(id: &str) -> String {
    id.replace('.', "_")
}

/// A literal string in an HCL-evaluated JSON value.
fn literal(s: &str) -> Value {
    Value::String(s.replace("${", "$${").replace("%{", "%%{"))
}

fn pairs(p: &[(String, String)]) -> Value {
    Value::Object(p.iter().map(|(k, v)| (k.clone(), literal(v))).collect())
}

fn bake_target(plan: &Plan, output: Option<&str>) -> Value {
    let mut t = Map::new();
    t.insert(
        "dockerfile".into(),
        literal(&relative_to(&plan.context, &plan.dockerfile)),
    );
    t.insert("context".into(), literal(&plan.context));
    t.insert("tags".into(), Value::Array(vec![literal(&plan.reference)]));
    let s = &plan.settings;
    if !s.platforms.is_empty() {
        t.insert(
            "platforms".into(),
            Value::Array(s.platforms.iter().map(|p| literal(p)).collect()),
        );
    }
    if !s.build_args.is_empty() {
        t.insert("args".into(), pairs(&s.build_args));
    }
    if !s.labels.is_empty() {
        t.insert("labels".into(), pairs(&s.labels));
    }
    if let Some(stage) = &s.stage {
        t.insert("target".into(), literal(stage));
    }
    if let Some(spec) = output {
        t.insert(
            "output".into(),
            Value::Array(vec![literal(&output_for(spec, &plan.id))]),
        );
    }
    Value::Object(t)
}

/// The Bake file for these plans, as written (2-space JSON and a newline).
pub fn bake_file(plans: &[Plan]) -> Result<String, String> {
    bake_file_with(plans, None)
}

/// [`bake_file`] with an `output` per target: `spec` with `{id}` replaced
/// by the target's id (`build-all --engine buildx --output`).
pub fn bake_file_with(plans: &[Plan], output: Option<&str>) -> Result<String, String> {
    let mut names: Vec<(String, &str)> = Vec::new();
    let mut targets = Map::new();
    for plan in plans {
        let name = bake_name(&plan.id);
        // One map lookup per target (a scan of the names was quadratic);
        // the scan runs only to name the other target of a clash.
        if targets.contains_key(&name) {
            let other = names
                .iter()
                .find(|(n, _)| *n == name)
                .map_or("", |(_, id)| *id);
            return Err(format!(
                "targets {} and {} would both be Bake target {}; rename one",
                quote(other),
                quote(&plan.id),
                quote(&name)
            ));
        }
        targets.insert(name.clone(), bake_target(plan, output));
        names.push((name, &plan.id));
    }
    let mut default = Map::new();
    default.insert(
        "targets".into(),
        Value::Array(
            names
                .iter()
                .map(|(n, _)| Value::String(n.clone()))
                .collect(),
        ),
    );
    let mut group = Map::new();
    group.insert("default".into(), Value::Object(default));
    let mut file = Map::new();
    file.insert("group".into(), Value::Object(group));
    file.insert("target".into(), Value::Object(targets));
    let mut text = serde_json::to_string_pretty(&Value::Object(file))
        .map_err(|e| format!("cannot render the Bake file: {e}"))?;
    text.push('\n');
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockerfiles_are_relative_to_the_context() {
        assert_eq!(relative_to(".", "ops/a.Dockerfile"), "ops/a.Dockerfile");
        assert_eq!(
            relative_to("apps/backend", "ops/packaging/services/api.Dockerfile"),
            "../../ops/packaging/services/api.Dockerfile"
        );
        assert_eq!(relative_to("apps", "apps/web/Dockerfile"), "web/Dockerfile");
        assert_eq!(relative_to("apps/web", "apps/web/Dockerfile"), "Dockerfile");
        assert_eq!(relative_to("a/b", "a/c/D"), "../c/D");
        assert_eq!(relative_to("x/D", "x/D"), "../D");
    }

    #[test]
    fn names_and_templates() {
        assert_eq!(bake_name("billing.api"), "billing_api");
        assert_eq!(
            literal("a${B}%{c}$x"),
            Value::String("a$${B}%%{c}$x".into())
        );
    }
}
