//! The install record, `.ai/skills/features/packaging/.install.json`: what
//! `install` wrote (a digest per file, in the feature folder and at the
//! repository root) and what it replaced (the backups `uninstall` puts
//! back). `install` writes it; `uninstall` reads it.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{Ctx, Failure};

/// Where the feature lives in a host repository.
pub const FEATURE_DIR: &str = ".ai/skills/features/packaging";
/// The install record, inside the feature folder.
pub const RECORD: &str = ".install.json";
/// The project-state controller the feature document calls.
pub const PROJECT_STATE_SCRIPT: &str = ".ai/scripts/ctl-project-state.mjs";

/// The install record as read: what we installed last time.
#[derive(Default)]
pub struct Record {
    pub text: Option<String>,
    pub version: Option<String>,
    /// Feature-folder path → digest of the file as installed.
    pub files: BTreeMap<String, String>,
    /// Repository path → digest, for the files install wrote outside the
    /// feature folder (materialised templates, the helper, the
    /// project-state script): `uninstall` removes them while unchanged.
    pub root: BTreeMap<String, String>,
    /// Repository path → its backup, for the files that were there before
    /// this package was first installed and that an install replaced:
    /// `uninstall` puts them back.
    pub restore: BTreeMap<String, Restore>,
    pub warnings: Vec<String>,
    /// Feature-folder paths recognised as this package's files by their
    /// digests, when there was no record (it was lost): not the user's.
    pub own: std::collections::BTreeSet<String>,
}

/// A backup that `uninstall` puts back: its repository path and the digest
/// of the file install saved there. Records of earlier versions name the
/// backup only (`"path": "backup"`); their entries have no digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restore {
    pub backup: String,
    pub digest: Option<String>,
}

impl Restore {
    /// As the record holds it: `{"backup": ..., "digest": ...}`.
    pub fn to_json(&self) -> Value {
        match &self.digest {
            Some(d) => serde_json::json!({"backup": self.backup, "digest": d}),
            None => serde_json::json!({"backup": self.backup}),
        }
    }
}

/// The record's `restore` map: an object per entry, or (earlier versions)
/// the backup's path alone.
fn restore_map(v: Option<&Value>) -> BTreeMap<String, Restore> {
    let Some(m) = v.and_then(|v| v.get("restore")).and_then(Value::as_object) else {
        return BTreeMap::new();
    };
    m.iter()
        .filter_map(|(k, v)| {
            let entry = match v {
                Value::String(b) => Restore {
                    backup: b.clone(),
                    digest: None,
                },
                Value::Object(o) => Restore {
                    backup: o.get("backup")?.as_str()?.to_string(),
                    digest: o.get("digest").and_then(Value::as_str).map(str::to_string),
                },
                _ => return None,
            };
            Some((k.clone(), entry))
        })
        .collect()
}

/// A string map of the record (`files`, `root`), or `None`.
fn string_map(v: Option<&Value>, key: &str) -> Option<BTreeMap<String, String>> {
    v?.get(key).and_then(Value::as_object).map(|m| {
        m.iter()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
            .collect()
    })
}

pub fn read_record(ctx: &Ctx) -> Result<Record, Failure> {
    let rel = format!("{FEATURE_DIR}/{RECORD}");
    let Some(text) = ctx.host.read_file(&ctx.abs(&rel))? else {
        return Ok(Record::default());
    };
    let parsed = serde_json::from_str::<Value>(&text).ok();
    let files = string_map(parsed.as_ref(), "files");
    let version = parsed
        .as_ref()
        .and_then(|v| v.get("version"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let mut record = Record {
        text: Some(text),
        version,
        files: files.clone().unwrap_or_default(),
        root: string_map(parsed.as_ref(), "root").unwrap_or_default(),
        restore: restore_map(parsed.as_ref()),
        warnings: Vec::new(),
        own: Default::default(),
    };
    if files.is_none() {
        record.warnings.push(format!(
            "{rel} is not a readable install record; it is written anew, and every template that differs from this version counts as modified"
        ));
    }
    Ok(record)
}
