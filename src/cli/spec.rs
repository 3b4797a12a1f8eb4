//! The declared options of every command: the one source of parsing
//! ([`super::args`]), the usage, each command's help and the README's
//! commands table (`tests/readme.rs`). Static data only.

/// One option of a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opt {
    /// Without the leading `--`.
    pub name: &'static str,
    /// The value's placeholder (`ID`, `PATH`); empty for a flag.
    pub value: &'static str,
    /// Whether it may be given more than once (each value is kept).
    pub repeat: bool,
    /// What applies when it is absent, in words; empty when nothing does.
    pub default: &'static str,
    pub help: &'static str,
}

impl Opt {
    pub fn is_flag(&self) -> bool {
        self.value.is_empty()
    }
}

/// One command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Command {
    pub name: &'static str,
    /// What follows the name in the usage line.
    pub synopsis: &'static str,
    pub summary: &'static str,
    pub opts: &'static [Opt],
    pub example: &'static str,
    /// Whether it may change files (then a root found above the current
    /// folder is named on stderr).
    pub changes: bool,
}

const fn value(
    name: &'static str,
    value: &'static str,
    default: &'static str,
    help: &'static str,
) -> Opt {
    Opt {
        name,
        value,
        repeat: false,
        default,
        help,
    }
}

const fn flag(name: &'static str, help: &'static str) -> Opt {
    Opt {
        name,
        value: "",
        repeat: false,
        default: "",
        help,
    }
}

const fn many(name: &'static str, value: &'static str, help: &'static str) -> Opt {
    Opt {
        name,
        value,
        repeat: true,
        default: "",
        help,
    }
}

pub const REPO_ROOT: Opt = value(
    "repo-root",
    "PATH",
    "the nearest folder, from the current one up, that holds docs/packaging/registry.json or ops/packaging/; else the current folder",
    "the repository root",
);
const FORMAT: Opt = value("format", "text|json", "text", "output format");
const DRY_RUN_WRITE: Opt = flag("dry-run", "print what would be written, write nothing");
const ID: Opt = value("id", "ID", "", "the target's id (required)");
const NAME: Opt = value("name", "ID", "", "the same as --id");
const TYPE: Opt = value(
    "type",
    "service|job|app",
    "",
    "the target's type (required)",
);
const MODULE: Opt = value("module", "PATH", "", "the target's source folder");
const DOCKERFILE: Opt = value(
    "dockerfile",
    "PATH",
    "ops/packaging/<type>s/<id>.Dockerfile",
    "the target's Dockerfile",
);
const TEMPLATE: Opt = value(
    "template",
    "node|python|go|PATH",
    "a placeholder",
    "seed a new Dockerfile from ops/packaging/templates/Dockerfile.<name> or a file",
);
const CONTEXT: Opt = value("context", "PATH", "--module, else .", "the build context");
const IMAGE: Opt = value("image", "REF", "the id", "the image reference");
const TAG: Opt = value("tag", "TAG", "latest", "the image tag");
const ENGINE: Opt = value(
    "engine",
    "docker|podman|buildah|buildx",
    "$PACKAGING_ENGINE, else docker",
    "the build engine (buildx: BuildKit through docker buildx, else the buildx binary)",
);
const BUILDER: Opt = value(
    "builder",
    "NAME",
    "$BUILDX_BUILDER, else buildx's current builder",
    "the buildx builder (--engine buildx)",
);
const PUSH: Opt = flag(
    "push",
    "push the images to their registries (--engine buildx)",
);
const OUTPUT: Opt = value(
    "output",
    "SPEC",
    "",
    "a buildx output, {id} standing for the target's id: type=oci,dest=out/{id}.tar (--engine buildx)",
);
const DRY_RUN_BUILD: Opt = flag("dry-run", "print the engine command, run nothing");
const PLATFORM: Opt = value(
    "platform",
    "OS/ARCH[,...]",
    "the target's platforms",
    "replaces the target's platforms",
);
const BUILD_ARG: Opt = many(
    "build-arg",
    "K=V",
    "adds to the target's buildArgs (repeatable)",
);
const LABEL: Opt = many("label", "K=V", "adds to the target's labels (repeatable)");
const STAGE: Opt = value(
    "stage",
    "NAME",
    "the target's stage",
    "the Dockerfile stage to build",
);
const NO_PROVENANCE: Opt = flag("no-provenance", "no org.opencontainers.image.* labels");

const ADD_OPTS: &[Opt] = &[
    ID,
    NAME,
    TYPE,
    MODULE,
    DOCKERFILE,
    TEMPLATE,
    CONTEXT,
    IMAGE,
    DRY_RUN_WRITE,
    FORMAT,
    REPO_ROOT,
];
const ADD_TYPED_OPTS: &[Opt] = &[
    ID,
    NAME,
    MODULE,
    DOCKERFILE,
    TEMPLATE,
    CONTEXT,
    IMAGE,
    DRY_RUN_WRITE,
    FORMAT,
    REPO_ROOT,
];

/// Every command, in the order of the usage.
pub const COMMANDS: &[Command] = &[
    Command {
        name: "init",
        synopsis: "[--dry-run] [--format text|json]",
        summary: "create ops/packaging/{services,jobs,apps,scripts,handbook}/, docs/packaging/ and, if missing, an empty registry",
        opts: &[
            flag("dry-run", "list what would be created, create nothing"),
            FORMAT,
            REPO_ROOT,
        ],
        changes: true,
        example: "init",
    },
    Command {
        name: "list",
        synopsis: "[--format text|json]",
        summary: "list the registered targets (JSON: the registry as it would be written)",
        opts: &[FORMAT, REPO_ROOT],
        changes: false,
        example: "list --format json",
    },
    Command {
        name: "add",
        synopsis: "--id ID --type TYPE [options]",
        summary: "register a target and seed its Dockerfile if it does not exist",
        opts: ADD_OPTS,
        changes: true,
        example: "add --id api --type service --module apps/api",
    },
    Command {
        name: "add-service",
        synopsis: "--id ID [options]",
        summary: "add with --type service",
        opts: ADD_TYPED_OPTS,
        changes: true,
        example: "add-service --id api --module apps/api",
    },
    Command {
        name: "add-job",
        synopsis: "--id ID [options]",
        summary: "add with --type job",
        opts: ADD_TYPED_OPTS,
        changes: true,
        example: "add-job --id nightly --module jobs/nightly",
    },
    Command {
        name: "add-app",
        synopsis: "--id ID [options]",
        summary: "add with --type app",
        opts: ADD_TYPED_OPTS,
        changes: true,
        example: "add-app --id web --module apps/web",
    },
    Command {
        name: "remove",
        synopsis: "--id ID [--dry-run] [--format text|json]",
        summary: "unregister a target (its Dockerfile stays)",
        opts: &[ID, NAME, DRY_RUN_WRITE, FORMAT, REPO_ROOT],
        changes: true,
        example: "remove --id api",
    },
    Command {
        name: "status",
        synopsis: "[--format text|json]",
        summary: "is packaging set up, how many targets, when the registry changed",
        opts: &[FORMAT, REPO_ROOT],
        changes: false,
        example: "status",
    },
    Command {
        name: "verify",
        synopsis: "[--strict] [--format text|json|sarif|github] [options]",
        summary: "check the layout, the registry, the Dockerfiles and their build contexts",
        opts: &[
            flag("strict", "warnings fail too"),
            value(
                "format",
                "text|json|sarif|github",
                "text",
                "output format: SARIF 2.1.0, or GitHub workflow annotations",
            ),
            value("output", "FILE", "stdout", "write the report to FILE instead"),
            many("ignore", "CODE", "leave out the findings of a rule (code or Docker name; comma-separated)"),
            many("error", "CODE", "report a rule's findings as errors"),
            many("warning", "CODE", "report a rule's findings as warnings"),
            flag("verbose", "list the suppressed findings too"),
            REPO_ROOT,
        ],
        changes: false,
        example: "verify --strict --format sarif --output verify.sarif",
    },
    Command {
        name: "build",
        synopsis: "--target ID [options]",
        summary: "build one image through ops/packaging/scripts/docker-build.mjs",
        opts: &[
            value("target", "ID", "", "the target to build (required)"),
            TAG,
            ENGINE,
            DRY_RUN_BUILD,
            PLATFORM,
            BUILD_ARG,
            LABEL,
            STAGE,
            NO_PROVENANCE,
            BUILDER,
            PUSH,
            OUTPUT,
            FORMAT,
            REPO_ROOT,
        ],
        changes: false,
        example: "build --target api --tag v1.0.0",
    },
    Command {
        name: "build-all",
        synopsis: "[options]",
        summary: "build every target in registry order; stop at the first failure",
        opts: &[
            TAG,
            flag("keep-going", "go on after a failure; exit 1 at the end"),
            value(
                "changed-since",
                "REF",
                "",
                "only targets whose Dockerfile, context or module changed since the git ref",
            ),
            ENGINE,
            DRY_RUN_BUILD,
            PLATFORM,
            BUILD_ARG,
            LABEL,
            STAGE,
            NO_PROVENANCE,
            BUILDER,
            PUSH,
            OUTPUT,
            FORMAT,
            REPO_ROOT,
        ],
        changes: false,
        example: "build-all --changed-since origin/main --keep-going",
    },
    Command {
        name: "export",
        synopsis: "[--format bake] [--out FILE] [options]",
        summary: "a Docker Bake file of every target, for docker buildx bake",
        opts: &[
            value("format", "bake", "bake", "output format"),
            value(
                "out",
                "FILE",
                "stdout",
                "the file to write (an absolute path may be outside the repository, in a folder that exists)",
            ),
            TAG,
            PLATFORM,
            BUILD_ARG,
            LABEL,
            STAGE,
            NO_PROVENANCE,
            REPO_ROOT,
        ],
        changes: true,
        example: "export --out docker-bake.json",
    },
    Command {
        name: "install",
        synopsis: "[--dry-run] [--upgrade] [--upgrade-helper]",
        summary: "put this feature into the repository (.ai/skills/features/packaging/, its templates at the root); over the reference or an older version, upgrade it in place with a backup",
        opts: &[
            flag("dry-run", "list what would be written, write nothing"),
            flag(
                "upgrade",
                "replace what is installed even at the same version, or files it does not know (a backup is kept); templates you changed stay",
            ),
            flag(
                "upgrade-helper",
                "replace ops/packaging/scripts/docker-build.mjs even when it was changed (a backup is kept)",
            ),
            FORMAT,
            REPO_ROOT,
        ],
        changes: true,
        example: "install --dry-run",
    },
    Command {
        name: "uninstall",
        synopsis: "[--dry-run] [--purge] [--keep-unrestored]",
        summary: "take out what install wrote and put back what it replaced; the registry and the Dockerfiles stay",
        opts: &[
            flag("dry-run", "list what would be removed and restored, change nothing"),
            flag(
                "purge",
                "also remove ops/packaging/, docs/packaging/ and the feature folder, registry and Dockerfiles included",
            ),
            flag(
                "keep-unrestored",
                "when a backup is missing or not what install saved, uninstall the rest and keep the file in its place",
            ),
            FORMAT,
            REPO_ROOT,
        ],
        changes: true,
        example: "uninstall --dry-run",
    },
    Command {
        name: "materialize",
        synopsis: "[--dry-run] [--diff]",
        summary: "copy the feature's templates/ into the repository root, never overwriting",
        opts: &[
            flag("dry-run", "list what would be written, write nothing"),
            flag("diff", "list the files that differ from the templates"),
            FORMAT,
            REPO_ROOT,
        ],
        changes: true,
        example: "materialize --diff",
    },
    Command {
        name: "help",
        synopsis: "[COMMAND]",
        summary: "the usage, or one command's help",
        opts: &[],
        changes: false,
        example: "help add",
    },
    Command {
        name: "version",
        synopsis: "",
        summary: "print the version (also --version, -V)",
        opts: &[],
        changes: false,
        example: "version",
    },
];

pub fn command(name: &str) -> Option<&'static Command> {
    COMMANDS.iter().find(|c| c.name == name)
}

/// How the CLI is called, in usage lines and examples.
pub const PROGRAM: &str = "node .ai/skills/features/packaging/scripts/ctl-packaging.mjs";

/// `--name VALUE` or `--flag`.
pub fn spelled(opt: &Opt) -> String {
    if opt.is_flag() {
        format!("--{}", opt.name)
    } else {
        format!("--{} {}", opt.name, opt.value)
    }
}

/// The usage: every command with its summary.
pub fn usage() -> String {
    let mut out = String::from(
        "ctl-packaging: manage the packaging targets of this repository\n\
         (registry: docs/packaging/registry.json, Dockerfiles: ops/packaging/)\n\n",
    );
    out.push_str("Usage: ");
    out.push_str(PROGRAM);
    out.push_str(" <command> [options]\n\nCommands:\n");
    for c in COMMANDS {
        out.push_str("  ");
        out.push_str(c.name);
        if !c.synopsis.is_empty() {
            out.push(' ');
            out.push_str(c.synopsis);
        }
        out.push_str("\n      ");
        out.push_str(c.summary);
        out.push('\n');
    }
    out.push_str(
        "\nEvery command takes --repo-root PATH and -h/--help; `help COMMAND` shows its\n\
         options. --key VALUE, --key=VALUE and --flag; -- ends the options.\n\
         Exit codes: 0 done, 1 failed or findings, 2 usage error.\n",
    );
    out
}

/// One command's help: usage, options with defaults, one example.
pub fn help(c: &Command) -> String {
    let mut out = format!("Usage: {PROGRAM} {}", c.name);
    if !c.synopsis.is_empty() {
        out.push(' ');
        out.push_str(c.synopsis);
    }
    out.push_str("\n\n");
    out.push_str(c.summary);
    out.push_str(".\n");
    if !c.opts.is_empty() {
        out.push_str("\nOptions:\n");
        for o in c.opts {
            let left = spelled(o);
            out.push_str("  ");
            out.push_str(&left);
            out.push('\n');
            out.push_str("      ");
            out.push_str(o.help);
            if !o.default.is_empty() {
                out.push_str(" (default: ");
                out.push_str(o.default);
                out.push(')');
            }
            out.push('\n');
        }
        out.push_str("  -h, --help\n      this help\n");
    }
    out.push_str("\nExample:\n  ");
    out.push_str(PROGRAM);
    out.push(' ');
    out.push_str(c.example);
    out.push('\n');
    out
}

/// The closest of `candidates` to `word`, when it is close enough to be a
/// likely typo (edit distance at most a third of the length, at least 1).
pub fn suggest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .map(|c| (distance(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance, with adjacent transpositions counted as one edit.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = d;
        }
    }
    rows[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        let names = ["module", "image", "id"];
        assert_eq!(suggest("modul", names.iter().copied()), Some("module"));
        assert_eq!(
            suggest("fromat", ["format"].iter().copied()),
            Some("format")
        );
        assert_eq!(suggest("stict", ["strict"].iter().copied()), Some("strict"));
        assert_eq!(suggest("zzz", names.iter().copied()), None);
        let cmds = COMMANDS.iter().map(|c| c.name);
        assert_eq!(suggest("lst", cmds), Some("list"));
        assert_eq!(suggest("frobnicate", COMMANDS.iter().map(|c| c.name)), None);
    }

    #[test]
    fn names_are_unique_per_command() {
        for c in COMMANDS {
            for (i, o) in c.opts.iter().enumerate() {
                assert!(
                    c.opts[i + 1..].iter().all(|p| p.name != o.name),
                    "{} declares --{} twice",
                    c.name,
                    o.name
                );
            }
        }
    }
}
