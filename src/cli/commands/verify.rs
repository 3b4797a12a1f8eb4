//! `verify [--strict] [--format text|json] [--ignore CODE] [--error CODE]
//! [--warning CODE] [--verbose]`: the reference's checks (layout, targets,
//! Dockerfiles present) plus every registry diagnostic, the Dockerfile checks
//! and the checks of each target's build context.
//!
//! A finding can be silenced four ways: `--ignore`, the target's
//! `"lint": {"ignore": [...]}`, the Dockerfile's `# check=skip=` directive, and
//! `# ctl-packaging ignore=CODE <reason>` on the line before an instruction.
//! Silenced findings are counted, and listed with `--verbose`.

use std::cell::RefCell;
use std::rc::Rc;

use serde::Serialize;

use crate::api::validation;
use crate::cli::args::Args;
use crate::cli::{store, Ctx, Failure};
use crate::dockerfile::rules::suppress::by_registry;
use crate::dockerfile::{check_target, Context, Entry, Facts};
use crate::host::{EntryKind, Host, HostError, Node};
use crate::registry::locate::Locator;
use crate::registry::{Target, REGISTRY_PATH};
use crate::rules::build_settings;
use crate::rules::catalogue::{self as rule, Rule};
use crate::rules::{Diagnostic, Problem, Severity, Span};
use crate::values::dockerignore::{ignore_files, Ignore};
use crate::values::hash::Map;
use crate::values::paths::{is_within, join, repo_relative};
use crate::values::text::quote;

/// One finding of `verify`: a diagnostic, plus the reference's plain wording
/// for the checks it already had.
struct Finding {
    diagnostic: Diagnostic,
    /// Line shown in text mode (the reference's words, or the rendered diagnostic).
    text: String,
}

/// A finding about a whole file (no place in it), in the reference's words.
fn plain(rule: &'static Rule, file: &str, text: String) -> Finding {
    Finding {
        diagnostic: Diagnostic::new(rule, file, Span::start(), text.clone()),
        text,
    }
}

fn located(diagnostic: Diagnostic) -> Finding {
    Finding {
        text: diagnostic.render(),
        diagnostic,
    }
}

/// The shape of `verify --format json`.
#[derive(Serialize)]
struct Report<'a> {
    ok: bool,
    strict: bool,
    errors: usize,
    warnings: usize,
    findings: Vec<&'a Diagnostic>,
    /// How many findings were silenced.
    suppressed: usize,
    /// With `--verbose`: the silenced findings, each with its reason.
    #[serde(rename = "suppressedFindings", skip_serializing_if = "Option::is_none")]
    suppressed_findings: Option<Vec<Silenced<'a>>>,
}

#[derive(Serialize)]
struct Silenced<'a> {
    #[serde(flatten)]
    diagnostic: &'a Diagnostic,
    reason: &'a str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Output {
    Text,
    Json,
    /// SARIF 2.1.0, for code-scanning uploads.
    Sarif,
    /// GitHub Actions workflow commands (`::error file=...::message`).
    Github,
}

/// verify's options. They are read in this one function, so that a table of
/// options per command can take its place.
struct Options {
    output: Output,
    strict: bool,
    verbose: bool,
    /// `--ignore`: never reported (counted as suppressed).
    ignore: Vec<&'static Rule>,
    /// `--error`, `--warning`: the severity these rules' findings get.
    error: Vec<&'static Rule>,
    warning: Vec<&'static Rule>,
    /// `--output FILE`: the report goes to this file (replaced atomically).
    file: Option<String>,
}

fn options(args: &Args) -> Result<Options, String> {
    let output = match args.value("format")? {
        None => Output::Text,
        Some(v) if v.eq_ignore_ascii_case("text") => Output::Text,
        Some(v) if v.eq_ignore_ascii_case("json") => Output::Json,
        Some(v) if v.eq_ignore_ascii_case("sarif") => Output::Sarif,
        Some(v) if v.eq_ignore_ascii_case("github") => Output::Github,
        Some(v) => {
            return Err(format!(
                "--format must be one of: text, json, sarif, github (got {})",
                quote(v)
            ))
        }
    };
    let rules = |key: &str| -> Result<Vec<&'static Rule>, String> {
        let mut out = Vec::new();
        for value in args.values(key)? {
            for name in value.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                let r = rule::named(name)
                    .ok_or_else(|| format!("--{key}: no rule is named {}", quote(name)))?;
                if r.blocking && key != "error" {
                    return Err(format!(
                        "--{key}: {} cannot be changed: while it stands no command can work on the registry",
                        r.code
                    ));
                }
                out.push(r);
            }
        }
        Ok(out)
    };
    Ok(Options {
        output,
        strict: args.flag("strict"),
        verbose: args.flag("verbose"),
        ignore: rules("ignore")?,
        error: rules("error")?,
        warning: rules("warning")?,
        file: args.value("output")?.map(str::to_string),
    })
}

#[inline(never)] // compiled only when this command runs (commands::dispatch)
pub fn run(ctx: &mut Ctx) -> Result<i32, Failure> {
    let opts = options(&ctx.args).map_err(Failure::new)?;
    let strict = opts.strict;
    let (findings, suppressed) = collect(ctx, &opts)?;
    let errors = findings
        .iter()
        .filter(|f| f.diagnostic.severity == Severity::Error)
        .count();
    let warnings = findings.len() - errors;
    let ok = errors == 0 && (!strict || warnings == 0);
    let mut out = String::new();
    fn line(out: &mut String, text: impl AsRef<str>) {
        out.push_str(text.as_ref());
        out.push('\n');
    }
    match opts.output {
        Output::Json => {
            let report = Report {
                ok,
                strict,
                errors,
                warnings,
                findings: findings.iter().map(|f| &f.diagnostic).collect(),
                suppressed: suppressed.len(),
                suppressed_findings: opts.verbose.then(|| {
                    suppressed
                        .iter()
                        .map(|(f, why)| Silenced {
                            diagnostic: &f.diagnostic,
                            reason: why,
                        })
                        .collect()
                }),
            };
            out.push_str(&serde_json::to_string_pretty(&report).unwrap_or_default());
            out.push('\n');
        }
        Output::Sarif => out = sarif(&findings, &suppressed),
        Output::Github => {
            for f in &findings {
                line(&mut out, github(&f.diagnostic));
            }
        }
        Output::Text => {
            for (severity, title) in [
                (Severity::Error, "Errors:"),
                (Severity::Warning, "Warnings:"),
            ] {
                let block: Vec<_> = findings
                    .iter()
                    .filter(|f| f.diagnostic.severity == severity)
                    .collect();
                if !block.is_empty() {
                    line(&mut out, "");
                    line(&mut out, title);
                    for f in block {
                        line(&mut out, format!("  - {}", f.text));
                    }
                }
            }
            if !suppressed.is_empty() {
                if opts.verbose {
                    line(&mut out, "");
                    line(&mut out, "Suppressed:");
                    for (f, why) in &suppressed {
                        line(&mut out, format!("  - {} ({why})", f.text));
                    }
                }
                let hint = match opts.verbose {
                    true => "",
                    false => "; --verbose lists them",
                };
                line(
                    &mut out,
                    format!("[info] {} finding(s) suppressed{hint}.", suppressed.len()),
                );
            }
            if ok {
                line(&mut out, "[ok] Packaging configuration verified.");
            } else {
                if errors == 0 {
                    ctx.console
                        .err(format!("[error] {warnings} warning(s) under --strict."));
                }
                line(&mut out, "[error] Verification failed.");
            }
        }
    }
    let verdict = match ok {
        true => "[ok] Packaging configuration verified.",
        false => "[error] Verification failed.",
    };
    match &opts.file {
        None => ctx.console.out_text(out),
        Some(file) => {
            let path = join(&ctx.host.cwd(), file);
            ctx.host
                .write_atomic(&path, &out)
                .map_err(|e| Failure::new(format!("cannot write {file}: {e}")))?;
            ctx.console.out(format!("[info] Report written to {file}"));
            ctx.console.out(verdict);
        }
    }
    Ok(if ok { 0 } else { 1 })
}

/// `::error file=F,line=L,col=C,endLine=L,endColumn=C,title=CODE::message`,
/// escaped as GitHub's workflow commands want.
fn github(d: &Diagnostic) -> String {
    fn data(s: &str) -> String {
        s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    }
    fn property(s: &str) -> String {
        data(s).replace(':', "%3A").replace(',', "%2C")
    }
    let s = &d.span;
    format!(
        "::{} file={},line={},col={},endLine={},endColumn={},title={}::{}",
        d.severity.as_str(),
        property(&d.file),
        s.line,
        s.column,
        s.end_line,
        s.end_column,
        d.code,
        data(&d.message)
    )
}

/// A SARIF 2.1.0 log: one run, the rules its results use (each with its
/// summary and its documentation as help), every result with its place;
/// silenced findings are results with a suppression and its justification.
fn sarif(findings: &[Finding], suppressed: &[(Finding, String)]) -> String {
    use serde_json::{json, Value};
    let mut rules: Vec<&'static Rule> = Vec::new();
    let all = findings
        .iter()
        .map(|f| (f, None))
        .chain(suppressed.iter().map(|(f, why)| (f, Some(why.as_str()))));
    let mut results = Vec::new();
    for (f, why) in all {
        let d = &f.diagnostic;
        let Some(r) = rule::find(d.code) else {
            continue;
        };
        let index = match rules.iter().position(|x| x.code == r.code) {
            Some(i) => i,
            None => {
                rules.push(r);
                rules.len() - 1
            }
        };
        let s = &d.span;
        let mut result = json!({
            "ruleId": d.code,
            "ruleIndex": index,
            "level": d.severity.as_str(),
            "message": {"text": d.message},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": d.file, "uriBaseId": "SRCROOT"},
                "region": {
                    "startLine": s.line,
                    "startColumn": s.column,
                    "endLine": s.end_line,
                    "endColumn": s.end_column,
                }
            }}],
        });
        if !d.pointer.is_empty() {
            result["properties"] = json!({"pointer": d.pointer});
        }
        if let Some(why) = why {
            let kind = match why.starts_with('#') {
                true => "inSource",
                false => "external",
            };
            result["suppressions"] = json!([{"kind": kind, "justification": why}]);
        }
        results.push(result);
    }
    let rules: Vec<Value> = rules
        .iter()
        .map(|r| {
            // Doc comments keep the space after `///`.
            let help: Vec<&str> = r
                .doc()
                .lines()
                .map(|l| l.strip_prefix(' ').unwrap_or(l))
                .collect();
            let help = help.join("\n");
            let mut rule = json!({
                "id": r.code,
                "name": r.name,
                "shortDescription": {"text": r.summary()},
                "fullDescription": {"text": r.summary()},
                "help": {"text": help, "markdown": help},
                "defaultConfiguration": {"level": r.severity.as_str()},
            });
            if let Some(name) = r.docker_name() {
                rule["properties"] = json!({"dockerName": name});
            }
            rule
        })
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "ctl-packaging",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "originalUriBaseIds": {"SRCROOT": {"description": {"text": "The repository root"}}},
            "results": results,
        }],
    });
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_default();
    text.push('\n');
    text
}

/// Findings, and the silenced ones with the reason.
type Collected = (Vec<Finding>, Vec<(Finding, String)>);

fn collect(ctx: &Ctx, opts: &Options) -> Result<Collected, Failure> {
    let mut out = Out {
        places: None,
        opts,
        errors: Vec::new(),
        warnings: Vec::new(),
        suppressed: Vec::new(),
    };
    if ctx.kind("ops/packaging")? != EntryKind::Dir {
        out.push(plain(
            rule::NOT_INITIALIZED,
            "ops/packaging",
            "ops/packaging/ not found. Run: ctl-packaging init".into(),
        ));
    }
    let text = ctx
        .host
        .read_file(&ctx.abs(REGISTRY_PATH))
        .map_err(|e| Failure::new(format!("cannot read {REGISTRY_PATH}: {e}")))?;
    let Some(text) = text else {
        out.push(plain(
            rule::NO_TARGETS,
            REGISTRY_PATH,
            "No packaging targets defined".into(),
        ));
        return Ok(out.finish());
    };
    let (registry, validation) = validation(&text);
    // Positions of target findings need target indices that match the file:
    // with a blocking problem (a target that is not an object) they may not.
    let blocked = validation
        .diagnostics
        .iter()
        .any(|d| rule::find(d.code).is_some_and(|r| r.blocking));
    let targets = registry.map(|r| r.targets).unwrap_or_default();
    // The registry's own findings, less those a target's "lint" silences.
    for d in validation.diagnostics {
        let finding = if d.code == rule::NO_TARGETS.code {
            Finding {
                text: d.message.clone(),
                diagnostic: d,
            }
        } else {
            located(d)
        };
        let lint = (!blocked)
            .then(|| target_of(&finding.diagnostic.pointer))
            .flatten()
            .and_then(|i| targets.get(i))
            .and_then(|t| build_settings::from_target(t).ok())
            .and_then(|s| by_registry(&s.lint_ignore, finding.diagnostic.code));
        match lint {
            Some(why) => out.suppressed.push((finding, why)),
            None => out.push(finding),
        }
    }
    out.places = (!blocked).then(|| RefCell::new(Locator::new(&text)));
    let mut disk = Disk::new(ctx.host, &ctx.root);
    // The Dockerfiles are read in batches (one host call each), then checked
    // in target order.
    for (b, batch) in targets.chunks(READ_BATCH).enumerate() {
        let rels: Vec<Option<String>> = batch
            .iter()
            .map(|t| {
                // A path that leaves the repository is already an error; never read it.
                t.dockerfile.as_deref().and_then(|d| repo_relative(d).ok())
            })
            .collect();
        let paths: Vec<String> = rels.iter().flatten().map(|rel| ctx.abs(rel)).collect();
        let mut bodies = ctx.host.read_files(&paths).into_iter();
        for (i, (t, rel)) in batch.iter().zip(&rels).enumerate() {
            let index = b * READ_BATCH + i;
            let settings = build_settings::from_target(t).unwrap_or_default();
            let context = check_folders(index, t, &settings.lint_ignore, &mut disk, &mut out);
            check_dockerfile(
                index,
                t,
                &settings,
                rel.as_deref(),
                context,
                &mut bodies,
                &mut disk,
                &mut out,
            );
        }
    }
    store::release(targets);
    Ok(out.finish())
}

/// The target index of a registry pointer (`/targets/3/image` is 3).
fn target_of(pointer: &str) -> Option<usize> {
    pointer
        .strip_prefix("/targets/")?
        .split('/')
        .next()?
        .parse()
        .ok()
}

/// Where findings go: the command line's `--ignore`, `--error` and
/// `--warning` are applied here, to every finding; and the registry text
/// positions come from.
struct Out<'a> {
    /// The registry text's places, where the registry was read whole.
    places: Option<RefCell<Locator<'a>>>,
    opts: &'a Options,
    errors: Vec<Finding>,
    warnings: Vec<Finding>,
    suppressed: Vec<(Finding, String)>,
}

impl Out<'_> {
    fn push(&mut self, mut finding: Finding) {
        let code = finding.diagnostic.code;
        let has = |list: &[&Rule]| list.iter().any(|r| r.code == code);
        if has(&self.opts.ignore) {
            self.suppressed.push((finding, "--ignore".into()));
            return;
        }
        let severity = if has(&self.opts.error) {
            Severity::Error
        } else if has(&self.opts.warning) {
            Severity::Warning
        } else {
            finding.diagnostic.severity
        };
        if severity != finding.diagnostic.severity {
            let rendered = finding.text == finding.diagnostic.render();
            finding.diagnostic.severity = severity;
            if rendered {
                finding.text = finding.diagnostic.render();
            }
        }
        match severity {
            Severity::Error => self.errors.push(finding),
            Severity::Warning => self.warnings.push(finding),
        }
    }

    /// Errors first, then warnings; and the silenced findings.
    fn finish(self) -> Collected {
        let mut all = self.errors;
        all.extend(self.warnings);
        (all, self.suppressed)
    }

    fn target_diagnostic(&self, index: usize, problem: Problem) -> Diagnostic {
        let pointer = format!("/targets/{index}{}", problem.pointer);
        let span = match &self.places {
            Some(places) => places.borrow_mut().span(&pointer, None),
            None => Span::start(),
        };
        let mut d = Diagnostic::new(problem.rule, REGISTRY_PATH, span, problem.message);
        if self.places.is_some() {
            d.pointer = pointer;
        }
        d
    }

    /// A finding about target `index`, at `pointer` below it.
    fn target(&mut self, index: usize, problem: Problem) {
        let d = self.target_diagnostic(index, problem);
        self.push(located(d));
    }

    /// A finding of a target's folders or files, unless its `"lint"`
    /// (`lint`) silences the rule.
    fn linted(&mut self, finding: Finding, lint: &[String]) {
        match by_registry(lint, finding.diagnostic.code) {
            Some(why) => self.suppressed.push((finding, why)),
            None => self.push(finding),
        }
    }

    /// [`Out::target`], unless the target's `"lint"` silences the rule.
    fn target_linted(&mut self, index: usize, problem: Problem, lint: &[String]) {
        let d = self.target_diagnostic(index, problem);
        self.linted(located(d), lint);
    }
}

/// The repository as the checks see it, each path asked once.
/// Every map here is keyed by paths from the registry and the Dockerfiles,
/// so it hashes with the process's own keys ([`crate::values::hash`]): no
/// path can be chosen to collide.
struct Disk<'a> {
    host: &'a dyn Host,
    root: String,
    real_root: Option<Option<String>>,
    entries: Map<String, (Entry, bool)>,
    /// Folders whose entries were looked up, by repository-relative path.
    folders: Map<String, Folder>,
    lists: Map<String, Option<Vec<String>>>,
    /// `.dockerignore` files, read and parsed once (many targets share a
    /// context).
    ignores: Map<String, Option<Rc<IgnoreFile>>>,
    inside: Map<String, bool>,
}

impl<'a> Disk<'a> {
    fn new(host: &'a dyn Host, root: &str) -> Disk<'a> {
        Disk {
            host,
            root: root.to_string(),
            real_root: None,
            entries: Map::default(),
            folders: Map::default(),
            lists: Map::default(),
            ignores: Map::default(),
            inside: Map::default(),
        }
    }

    /// What is at a repository-relative path, and whether it is a symbolic
    /// link. One `lstat` for what is not a link (most of a repository), a
    /// `stat` more for a link; no `lstat` for what a folder's listing
    /// answers ([`Disk::listed`]).
    fn lookup(&mut self, rel: &str) -> (Entry, bool) {
        self.look(rel, false)
    }

    /// [`Disk::lookup`] of a target's module or context folder: these
    /// lookups may list their parent folder (many targets' modules in
    /// `apps/`); a COPY source or a `.dockerignore` only uses a listing
    /// already made.
    fn folder(&mut self, rel: &str) -> Entry {
        self.look(rel, true).0
    }

    fn look(&mut self, rel: &str, may_list: bool) -> (Entry, bool) {
        if let Some(e) = self.entries.get(rel) {
            return *e;
        }
        let path = join(&self.root, rel);
        let (parent, name) = rel.rsplit_once('/').unwrap_or(("", rel));
        let node = match self.listed(parent, name, may_list) {
            Some(node) => Ok(node),
            None => {
                let kind = self.host.entry_kind(&path);
                if may_list {
                    self.asked(parent, kind.is_ok());
                }
                match kind.as_deref() {
                    Ok("missing") => Err(Entry::Missing),
                    Ok(kind) => Ok(Node::of_kind(kind)),
                    Err(_) => Err(Entry::Unknown),
                }
            }
        };
        let found = match node {
            Ok(Node::File) => (Entry::File, false),
            Ok(Node::Dir) => (Entry::Dir, false),
            Ok(Node::Other) => (Entry::Other, false),
            Ok(Node::Link) => (
                match self.host.stat(&path) {
                    Ok(EntryKind::Missing) => Entry::Missing,
                    Ok(EntryKind::File) => Entry::File,
                    Ok(EntryKind::Dir) => Entry::Dir,
                    Ok(EntryKind::Other) => Entry::Other,
                    Err(_) => Entry::Unknown,
                },
                true,
            ),
            Err(entry) => (entry, false),
        };
        self.entries.insert(rel.to_string(), found);
        found
    }

    /// Count a module or context lookup of an entry of `parent` that was
    /// asked alone; one that failed (a folder that can be read but not
    /// searched, say) means the folder is never listed: its listing could
    /// tell what an `lstat` there cannot.
    fn asked(&mut self, parent: &str, answered: bool) {
        let folder = match self.folders.get_mut(parent) {
            Some(folder) => folder,
            None => self
                .folders
                .entry(parent.to_string())
                .or_insert(Folder::Asked(0)),
        };
        *folder = match (&*folder, answered) {
            (Folder::Asked(n), true) => Folder::Asked(n + 1),
            (Folder::Listed(_), true) => return,
            _ => Folder::Unlisted,
        };
    }

    /// What `parent/name` is by `parent`'s listing: listed (when `may_list`)
    /// once [`LIST_AFTER`] module or context lookups there were answered
    /// alone. `None` when the folder is not listed or does not list the
    /// name, and for a name with a backslash (which [`join`] turns into a
    /// separator) or a U+FFFD (what Node makes of bytes that are not UTF-8):
    /// such a name, an entry made since, and a name a case-insensitive file
    /// system matches are asked about alone.
    fn listed(&mut self, parent: &str, name: &str, may_list: bool) -> Option<Node> {
        if name.contains(['\\', '\u{fffd}']) {
            return None;
        }
        let folder = self.folders.get_mut(parent)?;
        match folder {
            Folder::Listed(entries) => {
                return entries
                    .binary_search_by(|(n, _)| n.as_str().cmp(name))
                    .ok()
                    .map(|i| entries[i].1);
            }
            Folder::Asked(n) if may_list && *n >= LIST_AFTER => {}
            Folder::Asked(_) | Folder::Unlisted => return None,
        }
        *folder = match self.host.read_dir_kinds(&join(&self.root, parent)) {
            Ok(mut entries) => {
                entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
                Folder::Listed(entries)
            }
            Err(_) => Folder::Unlisted,
        };
        self.listed(parent, name, false)
    }

    /// What is at a repository-relative path (a symbolic link followed).
    fn entry(&mut self, rel: &str) -> Entry {
        self.lookup(rel).0
    }

    /// The names in a folder (sorted), read once.
    fn names(&mut self, rel: &str) -> Option<&[String]> {
        if !self.lists.contains_key(rel) {
            let mut l = self.host.read_dir(&join(&self.root, rel)).ok();
            // In this order whatever order the host sorts in (binary search).
            if let Some(names) = &mut l {
                names.sort_unstable();
            }
            self.lists.insert(rel.to_string(), l);
        }
        self.lists.get(rel).and_then(|l| l.as_deref())
    }

    fn list(&mut self, rel: &str) -> Option<Vec<String>> {
        self.names(rel).map(<[String]>::to_vec)
    }

    /// Whether folder `rel` holds an entry `name` (one listing per folder,
    /// a binary search per question).
    fn has_child(&mut self, rel: &str, name: &str) -> bool {
        self.names(rel)
            .is_some_and(|names| names.binary_search_by(|n| n.as_str().cmp(name)).is_ok())
    }

    /// Whether an existing path stays inside the repository once symbolic
    /// links are resolved: a path that is no link, in a folder that stays
    /// inside, does; only below a link is the real path asked for.
    fn inside(&mut self, rel: &str) -> bool {
        if rel.is_empty() || rel == "." {
            return true;
        }
        if let Some(i) = self.inside.get(rel) {
            return *i;
        }
        let parent = rel.rfind('/').map_or("", |at| &rel[..at]);
        let inside = match self.lookup(rel) {
            (_, false) if self.inside(parent) => true,
            _ => self.resolved_inside(rel),
        };
        self.inside.insert(rel.to_string(), inside);
        inside
    }

    /// [`Disk::inside`] by the real paths of the root and of `rel`.
    fn resolved_inside(&mut self, rel: &str) -> bool {
        let host = self.host;
        let root = &self.root;
        let real_root = self
            .real_root
            .get_or_insert_with(|| host.real_path(root).ok().flatten());
        match (real_root, host.real_path(&join(root, rel))) {
            (Some(real_root), Ok(Some(real))) => is_within(real_root, &real),
            _ => true,
        }
    }

    /// The `.dockerignore` at a repository-relative path, if any, parsed.
    fn ignore_file(&mut self, rel: &str) -> Option<Rc<IgnoreFile>> {
        if let Some(parsed) = self.ignores.get(rel) {
            return parsed.clone();
        }
        let parsed = self
            .host
            .read_file(&join(&self.root, rel))
            .ok()
            .flatten()
            .map(|text| {
                let (ignore, problems) = Ignore::parse(&text);
                Rc::new(IgnoreFile {
                    path: rel.to_string(),
                    text,
                    ignore,
                    problems,
                })
            });
        self.ignores.insert(rel.to_string(), parsed.clone());
        parsed
    }
}

/// How many targets' module or context folders in one folder `verify` looks
/// up one by one before it lists that folder with its entries' kinds
/// ([`Disk::listed`]): a folder with one or two targets' modules is never
/// listed, however large; one with three is, once.
const LIST_AFTER: u32 = 2;

/// A folder as [`Disk`] knows it.
enum Folder {
    /// This many of its entries were looked up one by one.
    Asked(u32),
    /// Its entries with what each is, sorted by name.
    Listed(Vec<(String, Node)>),
    /// Listing it failed: its entries are looked up one by one.
    Unlisted,
}

/// A `.dockerignore`, parsed: its path, text, patterns and the lines that
/// do not compile.
struct IgnoreFile {
    path: String,
    text: String,
    ignore: Ignore,
    problems: Vec<(usize, String)>,
}

/// One build context seen through [`Disk`].
struct InContext<'d, 'a> {
    disk: &'d mut Disk<'a>,
    base: String,
}

impl InContext<'_, '_> {
    fn path(&self, rel: &str) -> String {
        match (self.base.as_str(), rel) {
            (base, "") => base.to_string(),
            ("." | "", rel) => rel.to_string(),
            (base, rel) => format!("{base}/{rel}"),
        }
    }
}

impl Context for InContext<'_, '_> {
    fn entry(&mut self, rel: &str) -> Entry {
        let path = self.path(rel);
        self.disk.entry(&path)
    }

    fn list(&mut self, rel: &str) -> Option<Vec<String>> {
        let path = self.path(rel);
        self.disk.list(&path)
    }
}

/// A folder of the target (module or context) that must exist inside the
/// repository; the rule it breaks and the message when it does not. A
/// folder whose first path segment does not exist either is a target
/// registered ahead of its code: [`rule::FOLDER_NOT_CREATED`], a warning.
fn folder_problem(
    disk: &mut Disk<'_>,
    rule: &'static Rule,
    what: &str,
    rel: &str,
    id: &str,
) -> Option<Problem> {
    let (rule, why) = match disk.folder(rel) {
        Entry::Dir if disk.inside(rel) => return None,
        Entry::Dir => (rule, "leads outside the repository through a symbolic link"),
        Entry::Missing => {
            let first = rel.split('/').next().unwrap_or(rel);
            match disk.entry(first) {
                Entry::Missing => (
                    rule::FOLDER_NOT_CREATED,
                    "does not exist yet; the build fails until it does",
                ),
                _ => (rule, "does not exist; the build fails"),
            }
        }
        Entry::File | Entry::Other => (rule, "is not a folder; the build fails"),
        Entry::Unknown => return None,
    };
    let pointer = match what {
        "module" => "/module",
        _ => "/context",
    };
    Some(Problem::new(
        rule,
        pointer.into(),
        format!("{what} {} of target {} {why}", quote(rel), quote(id)),
    ))
}

/// The module and the build context: folders inside the repository. The
/// context (repository-relative) when it is one.
fn check_folders(
    index: usize,
    t: &Target,
    lint: &[String],
    disk: &mut Disk<'_>,
    out: &mut Out<'_>,
) -> Option<String> {
    let module = t.module.as_deref().and_then(|m| repo_relative(m).ok());
    let mut module_ok = true;
    if let Some(module) = &module {
        if let Some(problem) = folder_problem(disk, rule::MISSING_MODULE, "module", module, t.id())
        {
            module_ok = false;
            out.target_linted(index, problem, lint);
        }
    }
    let written = t.context_or_default();
    let context = repo_relative(written).ok()?;
    if module.as_deref() == Some(context.as_str()) {
        // The module is the context: one finding is enough.
        return module_ok.then_some(context);
    }
    let context = if context.is_empty() {
        ".".to_string()
    } else {
        context
    };
    match folder_problem(disk, rule::MISSING_CONTEXT, "context", &context, t.id()) {
        None => Some(context),
        Some(problem) => {
            out.target_linted(index, problem, lint);
            None
        }
    }
}

/// The `.dockerignore` of a build: the Dockerfile's own
/// `<dockerfile>.dockerignore`, else the context's.
fn dockerignore(disk: &mut Disk<'_>, dockerfile: &str, context: &str) -> Option<Rc<IgnoreFile>> {
    let (folder, name) = match dockerfile.rfind('/') {
        Some(at) => (&dockerfile[..at], &dockerfile[at + 1..]),
        None => (".", dockerfile),
    };
    let [own_path, path] = ignore_files(dockerfile, context);
    if disk.has_child(folder, &format!("{name}.dockerignore")) {
        if let Some(parsed) = disk.ignore_file(&own_path) {
            return Some(parsed);
        }
    }
    match disk.entry(&path) {
        Entry::File => disk.ignore_file(&path),
        _ => None,
    }
}

/// How many Dockerfiles are read in one host call: few enough that a batch
/// of large files stays small in memory.
const READ_BATCH: usize = 512;

/// The findings of one target's Dockerfile; `bodies` holds the read of `rel`
/// next when there is one. `context` is the build context when it is a folder.
#[allow(clippy::too_many_arguments)]
fn check_dockerfile(
    index: usize,
    t: &Target,
    settings: &build_settings::BuildSettings,
    rel: Option<&str>,
    context: Option<String>,
    bodies: &mut impl Iterator<Item = Result<Option<String>, HostError>>,
    disk: &mut Disk<'_>,
    out: &mut Out<'_>,
) {
    let lint = &settings.lint_ignore;
    let Some(dockerfile) = &t.dockerfile else {
        out.linted(
            plain(
                rule::NO_DOCKERFILE_PATH,
                REGISTRY_PATH,
                format!("Target {} has no dockerfile path", quote(t.id())),
            ),
            lint,
        );
        return;
    };
    let Some(rel) = rel else {
        return;
    };
    let read = bodies
        .next()
        .unwrap_or_else(|| Err(HostError::new("the host answered fewer files")));
    let body = match read {
        Ok(Some(body)) => body,
        Ok(None) => {
            out.linted(
                plain(
                    rule::MISSING_DOCKERFILE,
                    rel,
                    format!("Missing Dockerfile for {}: {}", quote(t.id()), dockerfile),
                ),
                lint,
            );
            return;
        }
        Err(e) => {
            match disk.entry(rel) {
                Entry::Dir | Entry::Other => out.target_linted(
                    index,
                    Problem::new(
                        rule::DOCKERFILE_NOT_A_FILE,
                        "/dockerfile".into(),
                        format!(
                            "Dockerfile {} of target {} is not a regular file",
                            quote(rel),
                            quote(t.id())
                        ),
                    ),
                    lint,
                ),
                _ => out.linted(
                    plain(
                        rule::MISSING_DOCKERFILE,
                        rel,
                        format!("cannot read {rel}: {e}"),
                    ),
                    lint,
                ),
            }
            return;
        }
    };
    let ignore = context.as_deref().and_then(|c| dockerignore(disk, rel, c));
    let empty = Ignore::default();
    let (patterns, ignore_file) = match &ignore {
        Some(file) => {
            for (line, message) in &file.problems {
                let at = line_offset(&file.text, *line);
                out.linted(
                    located(Diagnostic::new(
                        rule::INVALID_DOCKERIGNORE,
                        &file.path,
                        Span::from_bytes(&file.text, at, at),
                        message.clone(),
                    )),
                    lint,
                );
            }
            (&file.ignore, Some(file.path.as_str()))
        }
        None => (&empty, None),
    };
    let facts = Facts {
        context: context.as_deref().unwrap_or("."),
        ignore_file,
        build_args: &settings.build_args,
        stage: settings.stage.as_deref(),
        platforms: &settings.platforms,
        lint_ignore: &settings.lint_ignore,
    };
    let mut view = context.as_ref().map(|base| InContext {
        disk,
        base: base.clone(),
    });
    let checked = check_target(
        rel,
        &body,
        &facts,
        view.as_mut().map(|v| (v as &mut dyn Context, patterns)),
    );
    for d in checked.dockerfile {
        out.push(located(d));
    }
    for p in checked.target {
        out.target(index, p);
    }
    for (d, why) in checked.suppressed {
        out.suppressed.push((located(d), why));
    }
    for (p, why) in checked.target_suppressed {
        let d = out.target_diagnostic(index, p);
        out.suppressed.push((located(d), why));
    }
}

/// Byte offset of a 1-based line.
fn line_offset(text: &str, line: usize) -> usize {
    text.split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum()
}
