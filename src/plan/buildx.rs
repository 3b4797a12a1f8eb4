//! Builds on BuildKit through buildx (`--engine buildx`): the argv of
//! `buildx build` for one target and of `buildx bake` for many, the outputs
//! they write, and how their results are read back (bake's
//! `--metadata-file`, buildx's build history). Nothing here runs anything.
//!
//! The program is `docker buildx` when a Docker CLI with the buildx plugin is
//! there, else the standalone `buildx` binary: the argv below is the same
//! after that prefix.

use serde_json::Value;

use super::bake::bake_name;
use super::build::Plan;
use crate::values::text::quote;
use crate::values::time::parse_utc_ms;

/// What the command line asked of buildx, checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    /// `--builder NAME` (else buildx reads `$BUILDX_BUILDER`, else its current builder).
    pub builder: Option<String>,
    /// `--push`: push every image to its registry.
    pub push: bool,
    /// `--output SPEC`, `{id}` standing for each target's id.
    pub output: Option<String>,
}

/// The placeholder of `--output` for the target's id.
pub const ID_PLACEHOLDER: &str = "{id}";

/// A builder name as buildx takes it.
pub fn check_builder(name: &str) -> Result<(), String> {
    let ok = name.len() <= 128
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "--builder {}: a builder name is letters, digits, '.', '_' and '-', starting with a letter or digit",
            quote(name)
        ))
    }
}

/// An output spec as buildx reads it (`buildflags.ParseExports`): one CSV
/// record as Go's `encoding/csv` reads it (a field in double quotes may hold
/// commas, `""` in it is a quote, a quote elsewhere is an error), each field
/// `key=value`, the key trimmed and in lower case, the value as it is. The
/// one parser of output specs: [`check_output`] and [`output_dests`] read it.
pub fn parse_output(spec: &str) -> Result<Vec<(String, String)>, String> {
    let mut fields: Vec<String> = Vec::new();
    let mut chars = spec.chars().peekable();
    loop {
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    None => return Err("a quoted field is not closed".into()),
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                }
            }
            match chars.next() {
                None => {
                    fields.push(field);
                    break;
                }
                Some(',') => fields.push(field),
                Some(_) => return Err("text after a closing quote".into()),
            }
        } else {
            let mut ended = true;
            for c in chars.by_ref() {
                match c {
                    ',' => {
                        ended = false;
                        break;
                    }
                    '"' => return Err("a quote inside a field that does not start with one".into()),
                    c => field.push(c),
                }
            }
            fields.push(field);
            if ended {
                break;
            }
        }
    }
    // buildx takes one field that is not `type=...` as a local folder (`-o out`).
    if fields.len() == 1 && fields[0] == spec && !spec.starts_with("type=") {
        return Err("it names no type= (oci, docker, tar, local, image or registry)".into());
    }
    fields
        .iter()
        .map(|f| match f.split_once('=') {
            Some((k, v)) => Ok((k.trim().to_ascii_lowercase(), v.to_string())),
            None => Err(format!("{} is not key=value", quote(f))),
        })
        .collect()
}

/// The output's `type` (the last one, as buildx takes it).
pub fn output_type(pairs: &[(String, String)]) -> Option<&str> {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k == "type")
        .map(|(_, v)| v.as_str())
}

/// An output spec (`type=oci,dest=out/{id}.tar`), checked: buildx's CSV of
/// `key=value` pairs with a `type`; `several` says whether more than one
/// target writes it (every `dest` must then hold `{id}`, or they would all
/// write the same file).
pub fn check_output(spec: &str, several: bool) -> Result<(), String> {
    let bad = |why: &str| Err(format!("--output {}: {why}", quote(spec)));
    if spec.is_empty() || spec.starts_with('-') || spec.chars().any(char::is_control) {
        return bad("not an output: write type=oci,dest=out/{id}.tar or type=registry");
    }
    let pairs = match parse_output(spec) {
        Ok(p) => p,
        Err(e) => return bad(&e),
    };
    if output_type(&pairs).is_none_or(str::is_empty) {
        return bad("it names no type= (oci, docker, tar, local, image or registry)");
    }
    if several
        && pairs
            .iter()
            .any(|(k, v)| k == "dest" && !v.contains(ID_PLACEHOLDER))
    {
        return bad("every target would write the same dest; put {id} in it (dest=out/{id}.tar)");
    }
    Ok(())
}

/// The output of one target: `{id}` replaced by its id.
pub fn output_for(spec: &str, id: &str) -> String {
    spec.replace(ID_PLACEHOLDER, id)
}

/// The `dest` values of an output spec ([`parse_output`]); none when it does not parse.
pub fn output_dests(spec: &str) -> Vec<String> {
    parse_output(spec)
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, _)| k == "dest")
        .map(|(_, v)| v)
        .collect()
}

/// The folders outside the repository that outputs write to (absolute
/// `dest=` values), for bake's `--allow=fs.write=<dir>`: bake refuses to
/// write outside the folder it runs in otherwise.
pub fn outside_dests(outputs: &[String], root: &str) -> Vec<String> {
    let mut dirs: Vec<String> = Vec::new();
    for dest in outputs.iter().flat_map(|s| output_dests(s)) {
        if !dest.starts_with('/') || dest == root || dest.starts_with(&format!("{root}/")) {
            continue;
        }
        let dir = match dest.rfind('/') {
            Some(0) | None => "/".to_string(),
            Some(i) => dest[..i].to_string(),
        };
        if !dirs.contains(&dir) {
            dirs.push(dir);
        }
    }
    dirs
}

fn common(req: &Request, metadata: &str, a: &mut Vec<String>) {
    a.extend(["--metadata-file".into(), metadata.into()]);
    if let Some(builder) = &req.builder {
        a.extend(["--builder".into(), builder.clone()]);
    }
    if req.push {
        a.push("--push".into());
    }
}

/// `build -f F -t T [settings] --metadata-file M [--builder B] [--push]
/// [--output O] -- C`, after the program's prefix (`--`: a context is never
/// read as an option, whatever it is).
pub fn build_argv(plan: &Plan, req: &Request, metadata: &str) -> Vec<String> {
    let mut a: Vec<String> = vec![
        "build".into(),
        "-f".into(),
        plan.dockerfile.clone(),
        "-t".into(),
        plan.reference.clone(),
    ];
    plan.push_settings(&mut a);
    common(req, metadata, &mut a);
    if let Some(spec) = &req.output {
        a.extend(["--output".into(), output_for(spec, &plan.id)]);
    }
    a.extend(["--".into(), plan.context.clone()]);
    a
}

/// `bake -f FILE --metadata-file M [--builder B] [--push]
/// [--allow=fs.write=D]...`, after the program's prefix: every target of
/// the file's group `default`.
pub fn bake_argv(file: &str, req: &Request, metadata: &str, allow: &[String]) -> Vec<String> {
    let mut a: Vec<String> = vec!["bake".into(), "-f".into(), file.into()];
    common(req, metadata, &mut a);
    a.extend(allow.iter().map(|d| format!("--allow=fs.write={d}")));
    a
}

/// What buildx said of one build.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Built {
    /// `containerimage.digest`: the image (or index) digest, when it is one ([`is_digest`]).
    pub digest: Option<String>,
    /// A `containerimage.digest` was there but is not a digest: left out.
    pub bad_digest: bool,
    /// `buildx.build.ref` (`builder/node/ref`): the build in buildx's history.
    pub build_ref: Option<String>,
}

/// A digest as it is printed: `sha256:` and 64 lowercase hex digits. Anything
/// else from a metadata file is not printed (it could hold control characters
/// or whole lines).
pub fn is_digest(d: &str) -> bool {
    d.strip_prefix("sha256:").is_some_and(|hex| {
        hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    })
}

fn built(entry: &Value) -> Built {
    let text = |k: &str| entry.get(k).and_then(Value::as_str).map(str::to_string);
    let raw = entry.get("containerimage.digest");
    let digest = text("containerimage.digest").filter(|d| is_digest(d));
    Built {
        bad_digest: raw.is_some() && digest.is_none(),
        digest,
        build_ref: text("buildx.build.ref"),
    }
}

/// The metadata file of `buildx build`: one object of the build.
pub fn read_build_metadata(text: &str) -> Result<Built, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    if !v.is_object() {
        return Err("not a JSON object".into());
    }
    Ok(built(&v))
}

/// The metadata file of `buildx bake`: per target id, in the order given,
/// what bake recorded (nothing for a target that did not finish).
pub fn read_bake_metadata(text: &str, ids: &[&str]) -> Result<Vec<Option<Built>>, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let map = v.as_object().ok_or("not a JSON object")?;
    Ok(ids
        .iter()
        .map(|id| map.get(&bake_name(id)).filter(|e| e.is_object()).map(built))
        .collect())
}

/// `history ls --format json` (one JSON object a line): seconds per build
/// ref, from `created_at` to `completed_at`. Matched on the ref's last part
/// (the history names refs with or without the builder and node).
pub fn history_seconds(text: &str, build_ref: &str) -> Option<f64> {
    let wanted = build_ref.rsplit('/').next()?;
    text.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l.trim()).ok())
        .find(|v| {
            v.get("ref")
                .and_then(Value::as_str)
                .and_then(|r| r.rsplit('/').next())
                == Some(wanted)
        })
        .and_then(|v| {
            let at = |k: &str| v.get(k).and_then(Value::as_str).and_then(parse_utc_ms);
            Some(((at("completed_at")? - at("created_at")?) / 1000.0).max(0.0))
        })
}

/// `sha256:` and the first 12 hex digits, for tables.
pub fn short_digest(digest: &str) -> String {
    match digest.split_once(':') {
        Some((alg, hex)) if hex.len() > 12 => format!("{alg}:{}", &hex[..12]),
        _ => digest.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs() {
        assert!(check_output("type=oci,dest=out/{id}.tar", true).is_ok());
        assert!(check_output("type=registry", true).is_ok());
        assert!(check_output("type=oci,dest=out/a.tar", false).is_ok());
        assert!(check_output("type=oci,dest=out/a.tar", true)
            .unwrap_err()
            .contains("{id}"));
        assert!(check_output("dest=x", false).unwrap_err().contains("type="));
        assert!(check_output("--push", false).is_err());
        assert!(check_output("type=oci\n", false).is_err());
        // buildx reads CSV with keys in any case: a quoted or upper-case dest is a dest.
        for same in [
            r#"type=oci,"dest=out/same.tar""#,
            "type=oci,DEST=out/same.tar",
            "type=oci, dest=out/same.tar",
            r#"TYPE=oci,"DeSt=out/same.tar""#,
            "type=oci,dest=out/{id}.tar,dest=out/same.tar",
        ] {
            assert!(
                check_output(same, true).unwrap_err().contains("{id}"),
                "{same}"
            );
        }
        assert!(check_output(r#"type=oci,"dest=out/{id},x.tar""#, true).is_ok());
        assert!(check_output(r#"type=oci,dest="x""#, false).is_err());
        assert!(check_output(r#"type=oci,"dest=x"y"#, false).is_err());
        assert!(check_output("TYPE=registry", false).is_err());
        assert!(check_output("out", false).is_err());
        assert_eq!(
            parse_output(r#"type=local,"dest=a ""b"",c""#).unwrap(),
            vec![
                ("type".to_string(), "local".to_string()),
                ("dest".to_string(), r#"a "b",c"#.to_string())
            ]
        );
        assert_eq!(
            output_for("type=oci,dest=o/{id}.tar", "b.api"),
            "type=oci,dest=o/b.api.tar"
        );
        assert_eq!(
            outside_dests(
                &[
                    "type=oci,dest=/ci/out/a.tar".into(),
                    "type=oci,dest=/ci/out/b.tar".into(),
                    "type=oci,dest=/repo/out/c.tar".into(),
                    "type=oci,dest=rel/d.tar".into(),
                    r#"type=oci,"DEST=/ci/q/e.tar""#.into(),
                ],
                "/repo"
            ),
            vec!["/ci/out".to_string(), "/ci/q".to_string()]
        );
    }

    #[test]
    fn builders() {
        assert!(check_builder("ctl-test").is_ok());
        assert!(check_builder("-x").is_err());
        assert!(check_builder("a b").is_err());
        assert!(check_builder("").is_err());
    }

    #[test]
    fn metadata_and_history() {
        let d = format!("sha256:{}", "0a".repeat(32));
        let meta = format!(
            r#"{{"billing_api": {{"containerimage.digest": "{d}", "buildx.build.ref": "b/n/r1"}}, "buildx.build.warnings": []}}"#
        );
        let got = read_bake_metadata(&meta, &["billing.api", "web"]).unwrap();
        assert_eq!(got[0].as_ref().unwrap().digest.as_deref(), Some(d.as_str()));
        assert_eq!(got[1], None);
        assert!(read_bake_metadata("[]", &[]).is_err());
        let one = read_build_metadata(&format!(r#"{{"containerimage.digest": "{d}"}}"#)).unwrap();
        assert_eq!(one.digest.as_deref(), Some(d.as_str()));
        // Only sha256: and 64 lowercase hex digits is a digest; anything else is left out, flagged.
        for bad in [
            "evil\n[ok] Built all 2 targets\u{1b}[2J",
            "sha256:abc",
            &d.to_uppercase(),
            &format!("{d}\n"),
            &format!("sha512:{}", "0a".repeat(32)),
        ] {
            let text = serde_json::json!({"containerimage.digest": bad}).to_string();
            let b = read_build_metadata(&text).unwrap();
            assert_eq!((b.digest, b.bad_digest), (None, true), "{bad:?}");
        }
        assert!(!read_build_metadata("{}").unwrap().bad_digest);
        let history = "{\"ref\":\"b/n/r0\",\"created_at\":\"2026-12-01T11:27:40.5Z\",\"completed_at\":\"2026-12-01T11:27:41Z\"}\n{\"ref\":\"b/n/r1\",\"created_at\":\"2026-12-01T11:27:44.500Z\",\"completed_at\":\"2026-12-01T11:27:46.750000001Z\"}\n";
        assert_eq!(history_seconds(history, "b/n/r1"), Some(2.25));
        assert_eq!(history_seconds(history, "r0"), Some(0.5));
        assert_eq!(history_seconds(history, "b/n/zz"), None);
        assert_eq!(
            short_digest("sha256:0123456789abcdef"),
            "sha256:0123456789ab"
        );
    }
}
