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
    /// Repository path → its backup's repository path, for the files that
    /// were there before this package was first installed and that an
    /// install replaced: `uninstall` puts them back.
    pub restore: BTreeMap<String, String>,
    pub warnings: Vec<String>,
}

/// A string map of the record (`files`, `root`, `restore`), or `None`.
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
        restore: string_map(parsed.as_ref(), "restore").unwrap_or_default(),
        warnings: Vec::new(),
    };
    if files.is_none() {
        record.warnings.push(format!(
            "{rel} is not a readable install record; it is written anew, and every template that differs from this version counts as modified"
        ));
    }
    Ok(record)
}
