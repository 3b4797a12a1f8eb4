//! Every diagnostic code, declared once: its code, a name, its severity,
//! whether it blocks the registry, a one-line summary and its doc (what it
//! catches, why it matters, an example, the fix). The checks refer to these
//! constants; no other file of the crate spells a code. The README's table
//! is generated from [`ALL`] (`cargo test --test readme`).

use super::diagnostic::Severity;

/// One rule of the catalogue.
#[derive(Debug, PartialEq, Eq)]
pub struct Rule {
    /// Stable code, e.g. `PKG012`.
    pub code: &'static str,
    /// Stable kebab-case name, e.g. `invalid-image`.
    pub name: &'static str,
    /// The severity its findings have.
    pub severity: Severity,
    /// Whether no command can safely change the registry while it stands
    /// (every command but `verify` refuses, naming line and column).
    pub blocking: bool,
}

macro_rules! catalogue {
    ($(
        $(#[doc = $doc:literal])*
        $ident:ident = $code:literal, $name:literal, $severity:ident, $blocking:ident, $summary:literal;
    )*) => {
        $(
            $(#[doc = $doc])*
            pub const $ident: &Rule = &Rule {
                code: $code,
                name: $name,
                severity: Severity::$severity,
                blocking: catalogue!(@blocking $blocking),
            };
        )*
        /// Every rule, in code order.
        pub const ALL: &[&Rule] = &[$($ident),*];

        // The texts are functions, not fields: a finding carries a `&Rule`,
        // and a field would put every rule's doc into any module that
        // reports one; a function is left out of a module that never asks.
        impl Rule {
            /// One line, lowercase, no final period.
            pub fn summary(&self) -> &'static str {
                match self.code {
                    $($code => $summary,)*
                    _ => "",
                }
            }

            /// What it catches, why it matters, an example, the fix (Markdown).
            pub fn doc(&self) -> &'static str {
                match self.code {
                    $($code => concat!($($doc, "\n"),*),)*
                    _ => "",
                }
            }
        }
    };
    (@blocking blocking) => { true };
    (@blocking not_blocking) => { false };
}

/// The name BuildKit's build checks give a rule (`docker build --check`), for the
/// rules that are also one of those checks.
const DOCKER_NAMES: &[(&Rule, &str)] = &[
    (IGNORED_COPY_SOURCE, "CopyIgnoredFile"),
    (DUPLICATE_STAGE_NAME, "DuplicateStageName"),
    (STAGE_NAME_CASING, "StageNameCasing"),
    (FROM_AS_CASING, "FromAsCasing"),
    (MAINTAINER_DEPRECATED, "MaintainerDeprecated"),
    (RESERVED_STAGE_NAME, "ReservedStageName"),
    (INCONSISTENT_CASING, "ConsistentInstructionCasing"),
    (WORKDIR_RELATIVE, "WorkdirRelativePath"),
    (EXPOSE_PROTO_CASING, "ExposeProtoCasing"),
    (LEGACY_KEY_VALUE, "LegacyKeyValueFormat"),
    (JSON_ARGS_RECOMMENDED, "JSONArgsRecommended"),
    (MULTIPLE_INSTRUCTIONS, "MultipleInstructionsDisallowed"),
    (EXPOSE_INVALID_FORMAT, "ExposeInvalidFormat"),
    (FROM_PLATFORM_CONST, "FromPlatformFlagConstDisallowed"),
    (INVALID_DEFAULT_ARG_IN_FROM, "InvalidDefaultArgInFrom"),
    (
        INVALID_DEFINITION_DESCRIPTION,
        "InvalidDefinitionDescription",
    ),
    (NO_EMPTY_CONTINUATION, "NoEmptyContinuation"),
    (REDUNDANT_TARGET_PLATFORM, "RedundantTargetPlatform"),
    (SECRETS_IN_ARG_OR_ENV, "SecretsUsedInArgOrEnv"),
    (UNDEFINED_ARG_IN_FROM, "UndefinedArgInFrom"),
    (UNDEFINED_VAR, "UndefinedVar"),
];

impl Rule {
    /// BuildKit's name for the same check, when it has one.
    pub fn docker_name(&self) -> Option<&'static str> {
        DOCKER_NAMES
            .iter()
            .find(|(rule, _)| rule.code == self.code)
            .map(|(_, name)| *name)
    }
}

/// The rule with this code.
pub fn find(code: &str) -> Option<&'static Rule> {
    ALL.iter().copied().find(|r| r.code == code)
}

/// The rule a suppression or severity names: by code (any case) or by its
/// Docker name.
pub fn named(name: &str) -> Option<&'static Rule> {
    ALL.iter().copied().find(|r| r.is_named(name))
}

impl Rule {
    /// Whether `name` is this rule's code (any case) or Docker name.
    pub fn is_named(&self, name: &str) -> bool {
        self.code.eq_ignore_ascii_case(name) || self.docker_name() == Some(name)
    }
}

catalogue! {
    /// Catches: a `registry.json` that does not parse as JSON (a syntax error, a trailing
    /// comma, a truncated or empty file), reported once at the line and column of the error.
    ///
    /// Why: nothing can be read from the file, so every command but `verify` refuses to work
    /// on it and leaves it byte-identical.
    ///
    /// Example: `{"version": 1, "targets": [{"id": "api",}]}`
    ///
    /// Fix: correct the syntax at the reported position; an empty registry is
    /// `{"version": 1, "targets": []}`.
    INVALID_JSON = "PKG001", "invalid-json", Error, blocking, "the registry is not valid JSON";

    /// Catches: a registry whose top-level value is valid JSON but not an object (an array,
    /// a string, a number, a boolean or null).
    ///
    /// Why: the registry must be an object with `"version"` and `"targets"`; nothing else
    /// can be read or safely rewritten, so commands refuse to work on it.
    ///
    /// Example: `[{"id": "api", "type": "service"}]`
    ///
    /// Fix: wrap the content in an object: `{"version": 1, "targets": [...]}`.
    NOT_AN_OBJECT = "PKG002", "not-an-object", Error, blocking, "the registry is not a JSON object";

    /// Catches: a `"version"` whose value is anything but the integer 1 (another number, a
    /// string such as `"1"`, null). A registry without `"version"` is not reported.
    ///
    /// Why: this tool reads and writes format version 1 only; rewriting another format could
    /// misread or drop what it holds, so commands refuse to work on it.
    ///
    /// Example: `{"version": 2, "targets": []}`
    ///
    /// Fix: set `"version": 1`, or use a release of the tool that supports that format.
    UNSUPPORTED_VERSION = "PKG003", "unsupported-version", Error, blocking, "the registry version is not 1, the only format this tool supports";

    /// Catches: a `"targets"` that is an object, a string, a number, a boolean or null
    /// instead of an array.
    ///
    /// Why: no target can be read, so commands refuse to work on the registry rather than
    /// overwrite what it holds.
    ///
    /// Example: `{"version": 1, "targets": {"api": {"type": "service"}}}`
    ///
    /// Fix: make `"targets"` an array of target objects.
    TARGETS_NOT_ARRAY = "PKG004", "targets-not-array", Error, blocking, "targets is not an array";

    /// Catches: an element of `"targets"` that is not an object (a string, a number, an
    /// array, ...), named by its index.
    ///
    /// Why: the entry cannot be read as a target and would be lost on rewrite, so commands
    /// refuse to work on the registry.
    ///
    /// Example: `{"version": 1, "targets": ["api"]}`
    ///
    /// Fix: replace the entry with an object such as `{"id": "api", "type": "service"}`, or
    /// remove it.
    TARGET_NOT_OBJECT = "PKG005", "target-not-object", Error, blocking, "a target is not a JSON object";

    /// Catches: a target with neither `"id"` nor the legacy `"name"` string, named by its
    /// index. An `"id"` of the wrong JSON type is PKG008 instead.
    ///
    /// Why: commands address targets by id; one without an id cannot be built, listed or
    /// removed by name, so commands refuse to work on the registry.
    ///
    /// Example: `{"type": "service", "module": "apps/backend"}`
    ///
    /// Fix: add an id, e.g. `"id": "api"`.
    MISSING_ID = "PKG006", "missing-id", Error, blocking, "a target has no id";

    /// Catches: a target without `"type"`, named by its index and id. A `"type"` of the
    /// wrong JSON type is PKG008 instead.
    ///
    /// Why: the type decides the target's default Dockerfile
    /// (`ops/packaging/<type>s/<id>.Dockerfile`), so the target cannot be used.
    ///
    /// Example: `{"id": "api", "module": "apps/backend"}`
    ///
    /// Fix: add `"type": "service"`, `"job"` or `"app"`.
    MISSING_TYPE = "PKG007", "missing-type", Error, blocking, "a target has no type";

    /// Catches: a string field of a target (`id`, `type`, `module`, `dockerfile`, `context`,
    /// `image`) holding a number, a boolean, null, an array or an object.
    ///
    /// Why: the value cannot be read, and a rewrite would drop it, so commands refuse to work
    /// on the registry.
    ///
    /// Example: `{"id": "api", "type": "service", "context": ["apps/backend"]}`
    ///
    /// Fix: write the value as a JSON string, or remove the field to use its default.
    FIELD_NOT_STRING = "PKG008", "field-not-string", Error, blocking, "a known target field is not a string";

    /// Catches: an object anywhere in `registry.json` (the registry, a target, an unknown
    /// field's value) that has the same key twice (compared after unescaping), reported at
    /// the line and column of the second one.
    ///
    /// Why: JSON readers disagree on which of the two values counts (most keep the last);
    /// a rewrite would keep only one and silently drop the other, for example a second
    /// `"targets"` array. So every command but `verify` refuses to work on the registry and
    /// leaves it byte-identical.
    ///
    /// Example: `{"version": 1, "targets": [], "targets": [{"id": "api", "type": "service"}]}`
    ///
    /// Fix: merge the two values into one key, or remove the one that is wrong.
    DUPLICATE_KEY = "PKG009", "duplicate-key", Error, blocking, "an object has the same key twice";

    /// Catches: an id that is empty, longer than 128 characters, or not lowercase letters
    /// and digits separated by single `.`, `_`, `__` or runs of `-` (an OCI path component).
    ///
    /// Why: the id is the default image name and part of the default Dockerfile path, so it
    /// must be a valid image name component and safe in a path.
    ///
    /// Example: `{"id": "Billing API", "type": "service"}`
    ///
    /// Fix: use a lowercase id such as `billing-api` or `billing.api`.
    INVALID_ID = "PKG010", "invalid-id", Error, not_blocking, "a target id is not a lowercase OCI path component of at most 128 characters";

    /// Catches: a `"type"` other than `service`, `job` or `app` (the check is exact, so
    /// `Service` is refused too).
    ///
    /// Why: the type chooses the folder of the default Dockerfile
    /// (`ops/packaging/services/`, `jobs/`, `apps/`); any other type has none.
    ///
    /// Example: `{"id": "worker", "type": "lambda"}`
    ///
    /// Fix: use `"service"`, `"job"` or `"app"`.
    INVALID_TYPE = "PKG011", "invalid-type", Error, not_blocking, "a target type is not service, job or app";

    /// Catches: an `"image"` outside the OCI reference grammar: empty, an uppercase
    /// repository, a bad registry host or port, a bad path component or tag, a digest other
    /// than `sha256:`/`sha512:` with lowercase hex of the right length, or a name over 255
    /// characters. Credentials in it are PKG015 instead.
    ///
    /// Why: the engine would refuse the reference when tagging or pushing the image.
    ///
    /// Example: `{"id": "api", "type": "service", "image": "ghcr.io/Acme/api:v1"}`
    ///
    /// Fix: use a valid lowercase reference such as `registry.example.com/team/api:v1`.
    INVALID_IMAGE = "PKG012", "invalid-image", Error, not_blocking, "an image is not a valid OCI image reference";

    /// Catches: a target whose id is already used by an earlier target; reported at the
    /// later target, naming the first.
    ///
    /// Why: commands look targets up by id, so only the first of them is found; the other
    /// cannot be addressed by name.
    ///
    /// Example: `"targets": [{"id": "api", "type": "service"}, {"id": "api", "type": "job"}]`
    ///
    /// Fix: rename or remove one of the targets.
    DUPLICATE_ID = "PKG013", "duplicate-id", Error, not_blocking, "two targets have the same id";

    /// Catches: a `module`, `dockerfile` or `context` path that is empty, absolute (`/`, `~`
    /// or a drive letter), climbs out of the repository with `..`, uses a backslash, holds
    /// control characters, or is not in normal form (`./`, `//`, a trailing `/`, an inner `..`).
    ///
    /// Why: paths are resolved against the repository root; one that leaves it could make a
    /// build read files outside the repository.
    ///
    /// Example: `{"id": "api", "type": "service", "context": "../shared"}`
    ///
    /// Fix: write a relative path inside the repository in the normal form the message gives.
    INVALID_PATH = "PKG014", "invalid-path", Error, not_blocking, "a module, dockerfile or context path is unsafe or not in normal form";

    /// Catches: an `"image"` whose part before the first `/` holds `user[:password]@`;
    /// reported instead of PKG012, with the password redacted in the message.
    ///
    /// Why: the registry is committed, so the credentials are exposed to everyone who can
    /// read the repository.
    ///
    /// Example: `"image": "deploy:s3cret@registry.example.com/team/api:v1"`
    ///
    /// Fix: remove the credentials from the reference, log in with the engine instead
    /// (`docker login`), and rotate the exposed password.
    CREDENTIALS_IN_IMAGE = "PKG015", "credentials-in-image", Error, not_blocking, "an image reference carries credentials (user:password@)";

    /// Catches: a string that looks like a GitHub, AWS access key id, Slack, GitLab or npm
    /// token, or a PEM private key, in a target's `image` or in any field the tool does not
    /// model, at any depth (unknown top-level and target fields, `buildArgs`, `labels`).
    ///
    /// Why: the registry is committed, so the secret is exposed to everyone who can read the
    /// repository.
    ///
    /// Example: `"buildArgs": {"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE"}`
    ///
    /// Fix: remove the value, rotate the secret, and pass it as a build secret instead.
    SECRET_IN_REGISTRY = "PKG016", "secret-in-registry", Error, not_blocking, "a registry value looks like a secret (token or private key)";

    /// Catches: a top-level `"updatedAt"` (or legacy `"lastUpdated"`) or a target's
    /// `"addedAt"` that is not a string holding an RFC 3339 date-time: `T` between date and
    /// time, seconds, and `Z` or a `+HH:MM`/`-HH:MM` offset; a real calendar day; a leap
    /// second only at 23:59 UTC. The registry schema's `"format": "date-time"` (with its
    /// `pattern`) accepts the same set.
    ///
    /// Why: other tools reading the registry (and its JSON Schema) expect a timestamp;
    /// `"yesterday"` or `"2026-02-30T00:00:00Z"` cannot be compared or sorted.
    ///
    /// Example: `{"id": "api", "type": "service", "addedAt": "yesterday"}`
    ///
    /// Fix: write the time as `2026-01-01T00:00:00.000Z` (what the tool itself writes).
    INVALID_TIMESTAMP = "PKG017", "invalid-timestamp", Error, not_blocking, "updatedAt or addedAt is not an RFC 3339 timestamp string";

    /// Catches: (`verify`) the `ops/packaging` folder is missing, or is not a folder.
    ///
    /// Why: it holds the target Dockerfiles and the build script
    /// (`ops/packaging/scripts/docker-build.mjs`) that `build` runs.
    ///
    /// Example: `ls: cannot access 'ops/packaging': No such file or directory`
    ///
    /// Fix: run `ctl-packaging init`.
    NOT_INITIALIZED = "PKG020", "not-initialized", Error, not_blocking, "ops/packaging/ is missing; the repository is not initialised";

    /// Catches: a registry that parses but defines no target (`"targets"` empty or absent);
    /// `verify` also reports it when `docs/packaging/registry.json` does not exist.
    ///
    /// Why: there is nothing to build or verify, which usually means the setup is unfinished.
    ///
    /// Example: `{"version": 1, "targets": []}`
    ///
    /// Fix: add a target, e.g. with `add-service`, `add-job` or `add-app`.
    NO_TARGETS = "PKG021", "no-targets", Warning, not_blocking, "the registry defines no targets";

    /// Catches: (`verify`) a target without a `"dockerfile"` field; its Dockerfile is then
    /// neither looked for nor linted.
    ///
    /// Why: `build` falls back to `ops/packaging/<type>s/<id>.Dockerfile`, which `verify` does
    /// not check, so a missing or faulty Dockerfile shows up only at build time.
    ///
    /// Example: `{"id": "api", "type": "service", "module": "apps/backend"}`
    ///
    /// Fix: add the path, e.g. `"dockerfile": "ops/packaging/services/api.Dockerfile"`.
    NO_DOCKERFILE_PATH = "PKG022", "no-dockerfile-path", Warning, not_blocking, "a target has no dockerfile path";

    /// Catches: (`verify`) a target whose `"dockerfile"` (a valid path inside the repository)
    /// names a file that does not exist or cannot be read.
    ///
    /// Why: building the target would fail.
    ///
    /// Example: `"dockerfile": "ops/packaging/services/api.Dockerfile"`
    ///
    /// Fix: create the Dockerfile, or correct the path.
    MISSING_DOCKERFILE = "PKG023", "missing-dockerfile", Warning, not_blocking, "a target's Dockerfile does not exist or cannot be read";

    /// Catches: a target's `"platforms"` that is not an array, is an empty array, or holds
    /// an item that is not a string.
    ///
    /// Why: `build` and `export` refuse a target whose build settings are wrong.
    ///
    /// Example: `{"id": "api", "type": "service", "platforms": "linux/amd64"}`
    ///
    /// Fix: write an array such as `["linux/amd64"]`, or leave the field out to build for the
    /// engine's default platform.
    PLATFORMS_SHAPE = "PKG030", "platforms-shape", Error, not_blocking, "platforms is not a non-empty array of strings";

    /// Catches: a platform that is not `os/arch[/variant]` in lowercase letters and digits
    /// (`_` allowed in the architecture).
    ///
    /// Why: the engine cannot build for it, and `build` and `export` refuse the target.
    ///
    /// Example: `"platforms": ["linux/amd64", "Linux/ARM64"]`
    ///
    /// Fix: write platforms like `linux/amd64`, `linux/arm64` or `linux/arm/v7`.
    INVALID_PLATFORM = "PKG031", "invalid-platform", Error, not_blocking, "a platform is not os/arch[/variant] in lowercase";

    /// Catches: a platform listed more than once in `"platforms"`.
    ///
    /// Why: the duplicate adds nothing, and `build` and `export` refuse the target.
    ///
    /// Example: `"platforms": ["linux/amd64", "linux/arm64", "linux/amd64"]`
    ///
    /// Fix: remove the repeated entry.
    DUPLICATE_PLATFORM = "PKG032", "duplicate-platform", Error, not_blocking, "a platform is listed twice";

    /// Catches: a `"buildArgs"` that is not an object, or a build argument whose value is
    /// not a string.
    ///
    /// Why: build arguments are passed to the engine as text, and `build` and `export`
    /// refuse the target.
    ///
    /// Example: `"buildArgs": {"NODE_VERSION": 22}`
    ///
    /// Fix: write an object of strings, e.g. `{"NODE_VERSION": "22"}`.
    BUILD_ARGS_SHAPE = "PKG033", "build-args-shape", Error, not_blocking, "buildArgs is not an object of string values";

    /// Catches: a `"buildArgs"` key that is not letters, digits and `_`, or that starts with
    /// a digit (`[A-Za-z_][A-Za-z0-9_]*`).
    ///
    /// Why: a Dockerfile refers to a build argument as `$NAME`, which only such names can be,
    /// and `build` and `export` refuse the target.
    ///
    /// Example: `"buildArgs": {"node-version": "22"}`
    ///
    /// Fix: rename it, e.g. `NODE_VERSION`, and match the `ARG` in the Dockerfile.
    INVALID_BUILD_ARG_NAME = "PKG034", "invalid-build-arg-name", Error, not_blocking, "a build argument name is not [A-Za-z_][A-Za-z0-9_]*";

    /// Catches: a `"labels"` that is not an object, or a label whose value is not a string.
    ///
    /// Why: labels are passed to the engine as text, and `build` and `export` refuse the
    /// target.
    ///
    /// Example: `"labels": ["com.example.team=payments"]`
    ///
    /// Fix: write an object of strings, e.g. `{"com.example.team": "payments"}`.
    LABELS_SHAPE = "PKG035", "labels-shape", Error, not_blocking, "labels is not an object of string values";

    /// Catches: a `"labels"` key that does not start with a letter or digit, or holds
    /// anything but letters, digits, `.`, `_`, `/` and `-`.
    ///
    /// Why: such a key cannot be passed safely as `--label KEY=VALUE`, and `build` and
    /// `export` refuse the target.
    ///
    /// Example: `"labels": {"team name": "payments"}`
    ///
    /// Fix: use a reverse-DNS key such as `com.example.team`.
    INVALID_LABEL_KEY = "PKG036", "invalid-label-key", Error, not_blocking, "a label key is not [A-Za-z0-9][A-Za-z0-9._/-]*";

    /// Catches: a target's `"target"` (the Dockerfile stage to build) that is not a string,
    /// or does not start with a letter or digit and hold only letters, digits, `_`, `.`, `-`.
    ///
    /// Why: it is passed to the engine as the stage to build, and `build` and `export`
    /// refuse the target.
    ///
    /// Example: `{"id": "api", "type": "service", "target": "runtime stage"}`
    ///
    /// Fix: name a stage of the Dockerfile (`FROM ... AS runtime`), e.g. `"target": "runtime"`.
    INVALID_STAGE = "PKG037", "invalid-stage", Error, not_blocking, "target is not a string naming a Dockerfile stage";

    /// Catches: a `"buildArgs"` or `"labels"` value that holds a control character (newline,
    /// tab, NUL, DEL, ...).
    ///
    /// Why: the value goes onto the engine command line and into image metadata, where
    /// control characters garble it; `build` and `export` refuse the target.
    ///
    /// Example: `"labels": {"description": "line one\nline two"}`
    ///
    /// Fix: put the value on one line without control characters.
    CONTROL_CHARACTER_VALUE = "PKG038", "control-character-value", Error, not_blocking, "a build argument or label value holds control characters";

    /// Catches: a target's `"lint"` that is not an object, an `"ignore"` in it that is not
    /// an array of strings, or an item naming no rule (neither a code such as `PKG104` nor
    /// the Docker name of a rule, such as `CopyIgnoredFile`).
    ///
    /// Why: a misspelled rule in `"ignore"` silences nothing, and the finding it was meant
    /// to silence comes back without a reason.
    ///
    /// Example: `"lint": {"ignore": ["PKG1O4"]}`
    ///
    /// Fix: name the rule by its code (the README's table) or its Docker name.
    LINT_SHAPE = "PKG039", "lint-shape", Error, not_blocking, "lint is not {\"ignore\": [...]} naming known rules";

    /// Catches: (`verify`) a target whose `"module"` does not exist, is not a folder, or
    /// leads outside the repository through a symbolic link.
    ///
    /// Why: the module is the target's code, and its build context unless `"context"` says
    /// otherwise: a typo such as `apps/wroker` makes the build fail with
    /// `lstat .../apps/wroker: no such file or directory`.
    ///
    /// Example: `add-service --id worker --module apps/wroker`
    ///
    /// Fix: correct `"module"`, or create the folder.
    MISSING_MODULE = "PKG040", "missing-module", Error, not_blocking, "a target's module is not a folder inside the repository";

    /// Catches: (`verify`) a target whose build context (`"context"`, else `"module"`, else
    /// the repository root) does not exist, is not a folder, or leads outside the
    /// repository. When the context is the module, the finding is the module's (PKG040).
    ///
    /// Why: the engine cannot send a context that is not a folder; the build fails before
    /// its first step.
    ///
    /// Example: `"context": "apps/missing"`
    ///
    /// Fix: correct `"context"`, or create the folder.
    MISSING_CONTEXT = "PKG041", "missing-context", Error, not_blocking, "a target's build context is not a folder inside the repository";

    /// Catches: (`verify`) a target whose `"dockerfile"` is a folder or another kind of
    /// entry that is not a regular file. A Dockerfile that does not exist is PKG023.
    ///
    /// Why: the engine reads the Dockerfile as a file; the build fails.
    ///
    /// Example: `"dockerfile": "ops/packaging/services"`
    ///
    /// Fix: point `"dockerfile"` at the Dockerfile itself.
    DOCKERFILE_NOT_A_FILE = "PKG042", "dockerfile-not-a-file", Error, not_blocking, "a target's Dockerfile is not a regular file";

    /// Catches: (`verify`) a target's `"target"`, or `build --stage`, naming no stage of
    /// the target's Dockerfile (stage names compare without case, as BuildKit does).
    /// `build` refuses such a stage before the engine runs.
    ///
    /// Why: BuildKit fails with `target stage "runtime" could not be found`.
    ///
    /// Example: `"target": "runtime"` where the Dockerfile has `FROM node AS build` and
    /// `FROM node AS final`.
    ///
    /// Fix: name one of the stages the message lists, or add `AS runtime` to a `FROM`.
    UNKNOWN_TARGET_STAGE = "PKG043", "unknown-target-stage", Error, not_blocking, "a target's stage is not a stage of its Dockerfile";

    /// Catches: (`verify`) a `"buildArgs"` key that no `ARG` of the target's Dockerfile
    /// declares (BuildKit's predefined proxy arguments excepted).
    ///
    /// Why: the value is ignored (BuildKit warns `build-arg ... was not consumed`); most
    /// often the name is misspelled, and the build uses the default instead.
    ///
    /// Example: `"buildArgs": {"NODE_VERISON": "22"}` with `ARG NODE_VERSION=20`
    ///
    /// Fix: correct the name, or declare the argument with `ARG`.
    UNDECLARED_BUILD_ARG = "PKG044", "undeclared-build-arg", Warning, not_blocking, "a buildArgs key is declared by no ARG of the Dockerfile";

    /// Catches: (`verify`) a target whose `"platforms"` asks for a platform the built
    /// stage cannot give, because its `FROM --platform=` is a constant other platform.
    ///
    /// Why: the image for `linux/arm64` would hold `linux/amd64` binaries: it is built,
    /// labelled arm64, and fails at run time with `exec format error`.
    ///
    /// Example: `"platforms": ["linux/arm64"]` with `FROM --platform=linux/amd64 node:22`
    ///
    /// Fix: use `FROM --platform=$TARGETPLATFORM` (or no flag), or build only the pinned
    /// platform.
    PLATFORM_MISMATCH = "PKG045", "platform-mismatch", Warning, not_blocking, "a target platform differs from the constant FROM --platform of its stage";

    /// Catches: (`verify`) a line of a target's `.dockerignore` (the context's, or the
    /// Dockerfile's own `<name>.dockerignore`) that is not a valid pattern, such as an
    /// unclosed `[`, or a `!` with no pattern.
    ///
    /// Why: BuildKit refuses to read the file, and the build fails.
    ///
    /// Example: `[abc`
    ///
    /// Fix: close the class, or escape the bracket (`\[abc`).
    INVALID_DOCKERIGNORE = "PKG046", "invalid-dockerignore", Error, not_blocking, "a .dockerignore line is not a valid pattern";

    /// Catches: (`verify`) a target whose `"module"` (or explicit `"context"`) does not
    /// exist, nor does the first folder of its path: a target registered ahead of its
    /// code, as the quickstart does (`add-service --id api --module apps/backend` in a new
    /// repository). When the first folder exists (`apps/` is there, `apps/wroker` is not),
    /// the finding is the error PKG040 or PKG041 instead.
    ///
    /// Why: the build fails until the folder exists; a warning keeps `verify` usable while
    /// a repository is being set up, and `--strict` fails on it.
    ///
    /// Example: `"module": "apps/backend"` in a repository without `apps/`
    ///
    /// Fix: create the module's folder (or correct the path) before building.
    FOLDER_NOT_CREATED = "PKG047", "folder-not-created", Warning, not_blocking, "a target's module or context folder is not created yet";


    /// Catches: an instruction BuildKit's Dockerfile frontend refuses before the build's first
    /// step: a keyword that is no instruction; an instruction other than `ARG` before the
    /// first `FROM`; a flag the instruction does not take, one given twice (`--mount` and
    /// `--exclude` may repeat), one without its value (`--from`) or a boolean one that is
    /// neither `true` nor `false` (`--link=x`); missing arguments (`COPY` with one path,
    /// `WORKDIR` alone, `FROM a b`); an `ENV` or `LABEL` name without a value, a pair without
    /// `=` after the first one, a blank name; `SHELL` not in JSON form; `HEALTHCHECK` without
    /// `CMD` or `NONE`, or `NONE` with arguments; `ONBUILD` of `ONBUILD`, `FROM` or
    /// `MAINTAINER`; a heredoc the file ends inside. Not checked under a `# syntax=` naming
    /// another frontend; flags not under the labs channel (`docker/dockerfile:1-labs`), which
    /// takes more of them.
    ///
    /// Why: the build fails at once, with `dockerfile parse error on line N`.
    ///
    /// Example: `COPY --form=build /app /app` (`--form` for `--from`)
    ///
    /// Fix: what the message says; BuildKit's Dockerfile reference lists each instruction's
    /// flags and arguments.
    INVALID_INSTRUCTION = "PKG100", "invalid-instruction", Error, not_blocking, "an instruction BuildKit refuses to parse: the build fails at its line";

    /// Catches: a Dockerfile with no `FROM` instruction at all (also an empty file or one of
    /// comments only); reported at line 1.
    ///
    /// Why: a build needs a base image; the engine refuses the file.
    ///
    /// Example: `RUN echo hi`
    ///
    /// Fix: start the file with `FROM` and a pinned base image, e.g.
    /// `FROM node:22.11-bookworm-slim`.
    NO_FROM = "PKG101", "no-from", Error, not_blocking, "the Dockerfile has no FROM instruction";

    /// Catches: a `FROM` image, also one taken from a global `ARG` default, with neither a
    /// tag nor a digest. `scratch`, earlier stage names and `ARG`s without a default are not
    /// checked.
    ///
    /// Why: an untagged image means `latest`, which changes under you, so builds are not
    /// reproducible.
    ///
    /// Example: `FROM node`
    ///
    /// Fix: pin a version (`FROM node:22.11-bookworm-slim`) or a digest (`@sha256:...`).
    UNTAGGED_BASE_IMAGE = "PKG102", "untagged-base-image", Warning, not_blocking, "a base image has neither a tag nor a digest";

    /// Catches: a `FROM` image, also one taken from a global `ARG` default, tagged `latest`
    /// without a digest (`node:latest@sha256:...` is fine).
    ///
    /// Why: `latest` moves with every release, so the same Dockerfile builds different
    /// images over time.
    ///
    /// Example: `FROM node:latest`
    ///
    /// Fix: pin a version, e.g. `FROM node:22.11-bookworm-slim`, or add a digest.
    LATEST_BASE_IMAGE = "PKG103", "latest-base-image", Warning, not_blocking, "a base image uses the mutable latest tag";

    /// Catches: a final stage whose last `USER` is root (`root`, `0`, `root:root`, `0:1000`),
    /// or without `USER`, following `FROM <stage>` back to a base image. No finding when that
    /// chain reaches `FROM scratch` or an image whose tag contains `nonroot`, unless a `USER`
    /// there names root.
    ///
    /// Why: a compromise of a process running as root is a root compromise of the container.
    ///
    /// Example: `USER root`
    ///
    /// Fix: end the final stage with a non-root user, e.g. `USER node` or `USER 1000`.
    ROOT_USER = "PKG104", "root-user", Warning, not_blocking, "the final stage runs as root (no USER, or USER root)";

    /// Catches: an `ADD` whose source starts with `http://`, `https://`, `git://` or `git@`
    /// (any case) and that has no `--checksum=...`. `COPY` of a URL is not reported.
    ///
    /// Why: the download is not verified, so a changed or tampered file goes into the image
    /// unnoticed.
    ///
    /// Example: `ADD https://example.com/tool.tar.gz /tmp/`
    ///
    /// Fix: use `ADD --checksum=sha256:<hash> ...`, or download with curl in `RUN` and check
    /// the checksum.
    UNVERIFIED_DOWNLOAD = "PKG105", "unverified-download", Warning, not_blocking, "an ADD downloads a URL or git repository without --checksum";

    /// Catches: an `ARG`, or an `ENV` with a value not starting with `/`, whose name looks
    /// like a secret (`PASSWORD`, `TOKEN`, `API_KEY`, `SECRET`, ...; `*_FILE`, `*_PATH`,
    /// `*_DIR` are fine), and a GitHub, GitLab, Slack or AWS token or a PEM private key in
    /// any `ENV`/`ARG` value, instruction or heredoc. The secret is never printed.
    ///
    /// Why: `ENV` values are baked into the image and `ARG` values stay in its history.
    ///
    /// Example: `ENV DB_PASSWORD=hunter2`
    ///
    /// Fix: use `RUN --mount=type=secret`, or pass the value at run time.
    SECRET_IN_DOCKERFILE = "PKG106", "secret-in-dockerfile", Warning, not_blocking, "a secret in ENV or ARG, or a hard-coded token or private key";

    /// Catches: a `COPY` or `ADD` source that is an absolute path, or whose `..` segments
    /// climb above the build context. Sources of `--from` copies, URLs, heredocs, and (for
    /// the `..` check) sources holding `$` are not checked.
    ///
    /// Why: Docker only sees files inside the build context, so the source fails the build
    /// or resolves to a different file than intended.
    ///
    /// Example: `COPY ../shared /app/shared`
    ///
    /// Fix: move the files into the context, or widen the target's `"context"` to include them.
    SOURCE_OUTSIDE_CONTEXT = "PKG107", "source-outside-context", Warning, not_blocking, "a COPY/ADD source is absolute or outside the build context";

    /// Catches: (`verify`) a `COPY` or `ADD` source, after `ARG`/`ENV` values are put in
    /// where they are known, that is not in the target's build context (a wildcard that
    /// matches nothing is PKG113: BuildKit copies nothing and goes on). Sources of `--from` copies, URLs, heredocs and sources with unknown
    /// variables are not checked.
    ///
    /// Why: the build fails with `"/pnpm-lock.yaml": not found`. The usual cause is a
    /// context that is the module folder while the Dockerfile copies from the repository
    /// root.
    ///
    /// Example: `COPY pnpm-lock.yaml ./` with `"context": "apps/worker"`
    ///
    /// Fix: correct the source, or set the target's `"context"` to the folder the
    /// Dockerfile copies from (often `"."`).
    MISSING_COPY_SOURCE = "PKG108", "missing-copy-source", Error, not_blocking, "a COPY/ADD source is not in the build context";

    /// Catches: (`verify`) a `COPY` or `ADD` source that exists but is excluded by the
    /// context's `.dockerignore`, or by the Dockerfile's own `<name>.dockerignore` (which
    /// takes its place), matched as BuildKit matches: `**`, `!` re-inclusion, the last
    /// matching line deciding.
    ///
    /// A wildcard source whose every match is excluded is reported too, as a warning (BuildKit
    /// copies nothing for it and goes on). BuildKit's CopyIgnoredFile check misses some
    /// exclusions (a `!` line followed by a later exclusion); this rule follows the order of
    /// the lines, as the build does.
    ///
    /// Why: excluded files are never sent to the builder; the build fails with `not found`.
    ///
    /// Example: `COPY dist ./dist` with `dist` in `.dockerignore`
    ///
    /// Fix: remove or narrow the `.dockerignore` line, or re-include the path with `!`.
    IGNORED_COPY_SOURCE = "PKG109", "ignored-copy-source", Error, not_blocking, "a COPY/ADD source is excluded by .dockerignore";

    /// Catches: a `COPY --from=` or `RUN --mount=from=` naming no stage of the Dockerfile
    /// (by name or index) and no image: a bare name without a tag, a digest or a registry
    /// is read as a misspelled stage. A stage copying from itself, and an index past the
    /// last stage, are reported too.
    ///
    /// Why: BuildKit reads an unknown name as an image on Docker Hub: the build fails with
    /// `pull access denied`, or copies from an unrelated public image.
    ///
    /// Example: `COPY --from=buidler /out /app` with `FROM golang AS builder`
    ///
    /// Fix: name the stage as its `FROM ... AS` does; for an image write its tag, e.g.
    /// `--from=nginx:1.27`.
    UNKNOWN_COPY_STAGE = "PKG110", "unknown-copy-stage", Error, not_blocking, "COPY --from or RUN --mount from names no stage or image";

    /// Catches: (`verify`) a `FROM` that uses an `ARG` which has no default and no value in
    /// the target's `"buildArgs"`.
    ///
    /// Why: the argument expands to nothing: `FROM $BASE` fails with
    /// `base name should not be blank`, `FROM node:${V}` with an invalid reference.
    ///
    /// Example: `ARG BASE` then `FROM $BASE`
    ///
    /// Fix: give the `ARG` a default, or set the value in the target's `"buildArgs"`.
    BLANK_ARG_IN_FROM = "PKG111", "blank-arg-in-from", Error, not_blocking, "a FROM uses an ARG with no default and no build argument value";

    /// Catches: two stages with the same name (names compare without case).
    ///
    /// Why: a reference to the name is ambiguous: BuildKit warns and takes the first stage,
    /// which is seldom what the later one's author meant.
    ///
    /// Example: `FROM node AS build` and later `FROM golang AS build`
    ///
    /// Fix: rename one of the stages, and the references to it.
    DUPLICATE_STAGE_NAME = "PKG112", "duplicate-stage-name", Warning, not_blocking, "two stages have the same name";

    /// Catches: (`verify`) a `COPY` or `ADD` wildcard source that matches no file of the
    /// target's build context (one that matches only excluded files is PKG109, a warning).
    ///
    /// Why: BuildKit copies nothing for it and the build goes on, so the image silently
    /// lacks the files (`COPY package*.json ./` in a context without them installs nothing).
    ///
    /// Example: `COPY config/*.yml /etc/app/` where the context has no `config/`.
    ///
    /// Fix: correct the pattern or the context; remove the source if it is optional on
    /// purpose.
    EMPTY_COPY_WILDCARD = "PKG113", "empty-copy-wildcard", Warning, not_blocking, "a COPY/ADD wildcard matches no file in the build context";


    /// Catches: a `FROM ... AS Name` whose stage name has uppercase letters (BuildKit's StageNameCasing).
    ///
    /// Why: BuildKit lowercases stage names, so `--from=Build` and `--target build` name the same stage; mixed case hides that.
    ///
    /// Example: `FROM node:22 AS Build`
    ///
    /// Fix: Write the name in lowercase: `AS build`.
    STAGE_NAME_CASING = "PKG120", "stage-name-casing", Warning, not_blocking, "a stage name is not lowercase";

    /// Catches: a `FROM` and its `AS` keyword written in different case, such as `FROM node AS build` with `as` (BuildKit's FromAsCasing).
    ///
    /// Why: consistent keywords keep a Dockerfile readable; BuildKit warns on it.
    ///
    /// Example: `FROM node:22 as build`
    ///
    /// Fix: Write `FROM ... AS ...` (or both lowercase).
    FROM_AS_CASING = "PKG121", "from-as-casing", Warning, not_blocking, "FROM and AS are cased differently";

    /// Catches: a `MAINTAINER` instruction (BuildKit's MaintainerDeprecated).
    ///
    /// Why: `MAINTAINER` is deprecated; the author belongs in a label, where tools look for it.
    ///
    /// Example: `MAINTAINER me@example.com`
    ///
    /// Fix: `LABEL org.opencontainers.image.authors="me@example.com"`.
    MAINTAINER_DEPRECATED = "PKG122", "maintainer-deprecated", Warning, not_blocking, "MAINTAINER is deprecated";

    /// Catches: a stage named `scratch` or `context` (BuildKit's ReservedStageName).
    ///
    /// Why: those names mean the empty image and the build context; a stage of that name is ambiguous.
    ///
    /// Example: `FROM alpine:3.20 AS scratch`
    ///
    /// Fix: Choose another name.
    RESERVED_STAGE_NAME = "PKG123", "reserved-stage-name", Warning, not_blocking, "a stage is named scratch or context";

    /// Catches: an instruction keyword whose case differs from the majority of the file's keywords (all uppercase, or all lowercase) (BuildKit's ConsistentInstructionCasing).
    ///
    /// Why: mixed keyword case is hard to read and often the sign of a pasted fragment.
    ///
    /// Example: `run apt-get update` in a file written in uppercase
    ///
    /// Fix: Write the keyword in the file's case.
    INCONSISTENT_CASING = "PKG124", "inconsistent-instruction-casing", Warning, not_blocking, "an instruction is cased unlike most of the file";

    /// Catches: a `WORKDIR` with a relative path before any absolute `WORKDIR` in the same stage (BuildKit's WorkdirRelativePath).
    ///
    /// Why: the path is relative to the base image's working directory, which can change with the base image.
    ///
    /// Example: `FROM node:22` then `WORKDIR app`
    ///
    /// Fix: Use an absolute path: `WORKDIR /app`.
    WORKDIR_RELATIVE = "PKG125", "workdir-relative-path", Warning, not_blocking, "a relative WORKDIR comes before any absolute one in its stage";

    /// Catches: an `EXPOSE` port whose protocol is not lowercase, such as `80/TCP` (BuildKit's ExposeProtoCasing).
    ///
    /// Why: protocols are lowercase (`tcp`, `udp`); other spellings are not portable between tools.
    ///
    /// Example: `EXPOSE 80/TCP`
    ///
    /// Fix: `EXPOSE 80/tcp`.
    EXPOSE_PROTO_CASING = "PKG126", "expose-proto-casing", Warning, not_blocking, "an EXPOSE protocol is not lowercase";

    /// Catches: an `ENV` or `LABEL` in the legacy `key value` form (BuildKit's LegacyKeyValueFormat).
    ///
    /// Why: in the legacy form the value is the rest of the line, spaces included, and only one pair fits; it is easy to misread.
    ///
    /// Example: `ENV NODE_ENV production`
    ///
    /// Fix: `ENV NODE_ENV=production`.
    LEGACY_KEY_VALUE = "PKG127", "legacy-key-value-format", Warning, not_blocking, "ENV or LABEL uses the legacy key value form";

    /// Catches: a `CMD` or `ENTRYPOINT` in shell form (BuildKit's JSONArgsRecommended).
    ///
    /// Why: the shell form runs the command under `/bin/sh -c`, which does not forward signals: `docker stop` waits and then kills the container.
    ///
    /// Example: `CMD node server.js`
    ///
    /// Fix: `CMD ["node", "server.js"]`.
    JSON_ARGS_RECOMMENDED = "PKG128", "json-args-recommended", Warning, not_blocking, "CMD or ENTRYPOINT is in shell form";

    /// Catches: a `CMD`, `ENTRYPOINT` or `HEALTHCHECK` followed by another of the same kind in the same stage; each one that is replaced is reported (BuildKit's MultipleInstructionsDisallowed).
    ///
    /// Why: only the last one takes effect; the earlier ones are dead code that readers take for real.
    ///
    /// Example: `CMD ["a"]` then `CMD ["b"]` in one stage
    ///
    /// Fix: Keep only the one that should run.
    MULTIPLE_INSTRUCTIONS = "PKG129", "multiple-instructions-disallowed", Warning, not_blocking, "a CMD, ENTRYPOINT or HEALTHCHECK is replaced by a later one in its stage";

    /// Catches: a `RUN` whose commands call `sudo` (hadolint DL3004).
    ///
    /// Why: a build step already runs as the stage's user; `sudo` needs a TTY or a sudoers entry, hides which user a step runs as, and leaves `sudo` in the image.
    ///
    /// Example: `RUN sudo apt-get update`
    ///
    /// Fix: Run the step as root with `USER root` before it (and a non-root `USER` after), without `sudo`.
    SUDO_IN_RUN = "PKG130", "sudo-in-run", Warning, not_blocking, "a RUN uses sudo";

    /// Catches: a `RUN` whose commands call `cd` (hadolint DL3003).
    ///
    /// Why: the folder lasts only for that `RUN`; later instructions run elsewhere, which is easy to misread.
    ///
    /// Example: `RUN cd /app && npm ci`
    ///
    /// Fix: `WORKDIR /app` then `RUN npm ci`.
    CD_IN_RUN = "PKG131", "cd-in-run", Warning, not_blocking, "a RUN changes folder with cd";

    /// Catches: a `RUN` in shell form with a pipe (`|`), when no earlier `SHELL` of the stage sets `-o pipefail` and the command does not set it (hadolint DL4006).
    ///
    /// Why: `/bin/sh -c` takes the exit code of the last command only: `curl ... | tar x` passes when the download fails.
    ///
    /// Example: `RUN curl -fsSL https://example.com/x.tgz | tar xz`
    ///
    /// Fix: `SHELL ["/bin/bash", "-o", "pipefail", "-c"]` before the `RUN`.
    PIPE_WITHOUT_PIPEFAIL = "PKG132", "pipe-without-pipefail", Warning, not_blocking, "a RUN pipes without pipefail";

    /// Catches: an `apt-get install` in a `RUN` without `-y` (or `--yes`, `--assume-yes`, `-qq`) (hadolint DL3014).
    ///
    /// Why: apt-get asks for confirmation and, with no terminal, aborts: the build fails.
    ///
    /// Example: `RUN apt-get update && apt-get install curl`
    ///
    /// Fix: `apt-get install -y curl`.
    APT_WITHOUT_YES = "PKG133", "apt-without-yes", Warning, not_blocking, "apt-get install without -y";

    /// Catches: an `apt-get install` in a `RUN` without `--no-install-recommends` (hadolint DL3015).
    ///
    /// Why: recommended packages are installed too: a bigger image with more to patch, for nothing asked.
    ///
    /// Example: `RUN apt-get install -y curl`
    ///
    /// Fix: `apt-get install -y --no-install-recommends curl`.
    APT_RECOMMENDS = "PKG134", "apt-install-recommends", Warning, not_blocking, "apt-get install without --no-install-recommends";

    /// Catches: an `apt-get install` in a `RUN` naming a package without a version (`curl` rather than `curl=7.88.1-10+deb12u8`); options, `.deb` files and paths are not packages (hadolint DL3008).
    ///
    /// Why: the same Dockerfile installs whatever version the mirror has that day, so two builds of one commit differ and a break comes without a change.
    ///
    /// Example: `RUN apt-get install -y --no-install-recommends curl`
    ///
    /// Fix: pin each package: `apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u8`.
    APT_UNPINNED = "PKG135", "apt-unpinned", Warning, not_blocking, "apt-get install without a pinned version";

    /// Catches: an `apk add` in a `RUN` naming a package without a version (`curl` rather than `curl=8.9.1-r1` or `curl~8.9`); options and `.apk` files are not packages (hadolint DL3018).
    ///
    /// Why: the image gets whatever version the repository has that day; builds of one commit differ.
    ///
    /// Example: `RUN apk add --no-cache curl`
    ///
    /// Fix: pin each package: `apk add --no-cache curl=8.9.1-r1`.
    APK_UNPINNED = "PKG136", "apk-unpinned", Warning, not_blocking, "apk add without a pinned version";

    /// Catches: a `pip install` (also `pip3`, `python -m pip`) in a `RUN` naming a package without a version (`flask` rather than `flask==3.0.3`, `flask>=3,<4`); requirement files (`-r`), constraints (`-c`), paths, URLs and `.` are not reported, and no package is when a constraint file is given (hadolint DL3013).
    ///
    /// Why: the image gets the newest release of the day; a new major version breaks the build or the program without a change here.
    ///
    /// Example: `RUN pip install flask`
    ///
    /// Fix: pin the version (`pip install flask==3.0.3`), or install from a pinned requirements file (`pip install -r requirements.txt`).
    PIP_UNPINNED = "PKG137", "pip-unpinned", Warning, not_blocking, "pip install without a pinned version";

    /// Catches: an `npm install` (also `npm i`, `npm add`) in a `RUN` naming a package without a version (`typescript` rather than `typescript@5.6.3`); a bare `npm install` or `npm ci` (the lock file decides), paths, URLs and git sources are not reported (hadolint DL3016).
    ///
    /// Why: the image gets the newest release of the day; builds of one commit differ.
    ///
    /// Example: `RUN npm install -g typescript`
    ///
    /// Fix: pin the version: `npm install -g typescript@5.6.3`.
    NPM_UNPINNED = "PKG138", "npm-unpinned", Warning, not_blocking, "npm install without a pinned version";

    /// Catches: a `RUN` that runs `apt-get update` or `apt-get install` and does not remove `/var/lib/apt/lists` in the same `RUN` (`rm -rf /var/lib/apt/lists/*`); a `RUN` with a cache mount on `/var/lib/apt` is fine (hadolint DL3009).
    ///
    /// Why: the package lists (tens of MB) stay in the layer even if a later `RUN` deletes them.
    ///
    /// Example: `RUN apt-get update && apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u8`
    ///
    /// Fix: end the same `RUN` with `&& rm -rf /var/lib/apt/lists/*`.
    APT_LISTS_KEPT = "PKG139", "apt-lists-kept", Warning, not_blocking, "apt-get lists are not removed in the same RUN";

    /// Catches: an `ADD` whose sources are all local files or folders of the context that are not archives (`.tar`, `.tar.gz`, `.tgz`, `.tar.bz2`, `.tar.xz`, `.tar.zst`, ...): URLs, git sources, heredocs and `--from` copies are not reported (hadolint DL3020).
    ///
    /// Why: `ADD` also downloads and unpacks; where `COPY` does the job, `ADD` hides which of these a line means and unpacks an archive nobody meant to unpack.
    ///
    /// Example: `ADD app.js /app/`
    ///
    /// Fix: `COPY app.js /app/`.
    ADD_INSTEAD_OF_COPY = "PKG140", "add-instead-of-copy", Warning, not_blocking, "ADD of local files where COPY serves";

    /// Catches: an `EXPOSE` port that names an IP address or a host port (`80:80`, `127.0.0.1:8080:80`) (BuildKit's ExposeInvalidFormat). A port holding a variable with no known value is not checked.
    ///
    /// Why: `EXPOSE` only documents the container's port; the host side belongs to `docker run -p`, and BuildKit ignores it with a warning.
    ///
    /// Example: `EXPOSE 8080:80`
    ///
    /// Fix: `EXPOSE 80`, and publish with `docker run -p 8080:80`.
    EXPOSE_INVALID_FORMAT = "PKG150", "expose-invalid-format", Warning, not_blocking, "an EXPOSE port names an IP address or a host port";

    /// Catches: a `FROM --platform=` with a constant value (no variable), unless the stage name contains the platform's OS or architecture (`AS build-amd64`) (BuildKit's FromPlatformFlagConstDisallowed).
    ///
    /// Why: the stage is built for that platform whatever the build asks for: a multi-platform image gets the same binaries under every platform.
    ///
    /// Example: `FROM --platform=linux/amd64 node:22`
    ///
    /// Fix: `FROM --platform=$BUILDPLATFORM` for a cross-compiling stage, or no flag; or name the stage after the platform on purpose.
    FROM_PLATFORM_CONST = "PKG151", "from-platform-flag-const", Warning, not_blocking, "FROM --platform is a constant";

    /// Catches: a `FROM` image that is empty or not a valid reference once the global `ARG`s are put in with their defaults only, as in `ARG TAG` then `FROM node:${TAG}` (BuildKit's InvalidDefaultArgInFrom).
    ///
    /// Why: the Dockerfile builds only when every caller passes the argument; without it the build fails with `invalid reference format`.
    ///
    /// Example: `ARG TAG` then `FROM busybox:${TAG}`
    ///
    /// Fix: give the `ARG` a default: `ARG TAG=1.36`.
    INVALID_DEFAULT_ARG_IN_FROM = "PKG152", "invalid-default-arg-in-from", Warning, not_blocking, "a FROM image is invalid with the ARG defaults";

    /// Catches: where the Dockerfile turns BuildKit's experimental check on (`# check=experimental=InvalidDefinitionDescription` or `experimental=all`), a comment right above a global `ARG` or a named `FROM ... AS` whose first word is not the argument's or the stage's name (BuildKit's InvalidDefinitionDescription). Off otherwise, as in BuildKit.
    ///
    /// Why: `docker buildx build --call=outline` shows such comments as the description of the argument or stage only in that form.
    ///
    /// Example: `# the version of Node` above `ARG NODE_VERSION=22`
    ///
    /// Fix: `# NODE_VERSION the version of Node`, or leave an empty line between comment and instruction.
    INVALID_DEFINITION_DESCRIPTION = "PKG153", "invalid-definition-description", Warning, not_blocking, "the comment above an ARG or stage does not start with its name";

    /// Catches: an empty line inside an instruction continued with `\` (BuildKit's NoEmptyContinuation); reported at the instruction's last line, as BuildKit does. A comment line there is fine.
    ///
    /// Why: BuildKit joins across the empty line today, but a future Dockerfile syntax will end the instruction there, and a reader already takes the line after it for a new instruction.
    ///
    /// Example: `RUN apk add curl \`, an empty line, `    git`
    ///
    /// Fix: remove the empty line (or end the instruction before it).
    NO_EMPTY_CONTINUATION = "PKG154", "no-empty-continuation", Warning, not_blocking, "an empty line inside a continued instruction";

    /// Catches: `FROM --platform=$TARGETPLATFORM` (or `${TARGETPLATFORM}`, or any form that gives the target platform) (BuildKit's RedundantTargetPlatform).
    ///
    /// Why: a stage is built for the target platform anyway; the flag adds nothing and suggests a cross-build that is not there.
    ///
    /// Example: `FROM --platform=$TARGETPLATFORM alpine:3.20`
    ///
    /// Fix: remove the flag; for a cross-compiling stage use `$BUILDPLATFORM`.
    REDUNDANT_TARGET_PLATFORM = "PKG155", "redundant-target-platform", Warning, not_blocking, "FROM --platform=$TARGETPLATFORM is the default";

    /// Catches: an `ARG` or `ENV` of a stage whose name holds one of BuildKit's secret words as a `_`-separated part, in any case: `apikey`, `auth`, `credential(s)`, `key`, `password`, `pword`, `passwd`, `secret`, `token`; not when a part is `public` or `file` (`PUBLIC_KEY`, `TOKEN_FILE`) (BuildKit's SecretsUsedInArgOrEnv). Other secret-looking names and token-shaped values are PKG106.
    ///
    /// Why: `ENV` values are baked into the image and `ARG` values stay in its history, readable by anyone who pulls it.
    ///
    /// Example: `ARG NPM_TOKEN`
    ///
    /// Fix: `RUN --mount=type=secret,id=npm_token ...`, or pass the value at run time.
    SECRETS_IN_ARG_OR_ENV = "PKG156", "secrets-used-in-arg-or-env", Warning, not_blocking, "an ARG or ENV name says it holds a secret";

    /// Catches: a `FROM` (its image or its `--platform`) using a variable that no global `ARG` declares and that is not one of BuildKit's predefined platform arguments (BuildKit's UndefinedArgInFrom).
    ///
    /// Why: only global `ARG`s reach `FROM`; the variable is empty, and the image is not the one meant (often a typo, or an `ARG` declared after the `FROM`).
    ///
    /// Example: `FROM node:${NODE_VERSION}` without `ARG NODE_VERSION` before it
    ///
    /// Fix: declare the argument before the first `FROM`: `ARG NODE_VERSION=22`.
    UNDEFINED_ARG_IN_FROM = "PKG157", "undefined-arg-in-from", Warning, not_blocking, "a FROM uses an ARG no global ARG declares";

    /// Catches: a variable in an instruction BuildKit expands (`ENV`, `ARG` defaults, `LABEL`, `USER`, `WORKDIR`, `VOLUME`, `STOPSIGNAL`, `COPY`/`ADD` sources, destination and flags, `RUN --mount` options) that nothing defines for the stage: no earlier `ARG` or `ENV` of the stage or of the stages it is built on, and not `PATH`; a global `ARG` counts only once the stage declares it again (BuildKit's UndefinedVar). `RUN`, `CMD` and `ENTRYPOINT` are left to the shell. The environment of a base image is not known here beyond `PATH`: a variable only the image sets is reported.
    ///
    /// Why: the variable expands to nothing, usually a typo or a global `ARG` not declared again in the stage: `COPY $APP_DIR /app` copies the whole context.
    ///
    /// Example: `ARG VERSION=1` before `FROM`, then `ENV APP_VERSION=$VERSION` in the stage
    ///
    /// Fix: declare it in the stage (`ARG VERSION`), or correct the name.
    UNDEFINED_VAR = "PKG158", "undefined-var", Warning, not_blocking, "a variable is used that nothing defines";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_sorted_and_well_formed() {
        for pair in ALL.windows(2) {
            assert!(
                pair[0].code < pair[1].code,
                "{} {}",
                pair[0].code,
                pair[1].code
            );
            assert!(pair[0].name != pair[1].name);
        }
        for r in ALL {
            assert!(r.code.len() == 6 && r.code.starts_with("PKG"), "{}", r.code);
            assert!(
                r.code[3..].bytes().all(|c| c.is_ascii_digit()),
                "{}",
                r.code
            );
            assert!(
                r.name.bytes().all(|c| c.is_ascii_lowercase() || c == b'-'),
                "{}",
                r.name
            );
            assert!(!r.summary().is_empty() && !r.summary().ends_with('.'));
            assert!(!r.doc().is_empty());
            assert!(!r.blocking || r.severity == Severity::Error, "{}", r.code);
            assert_eq!(find(r.code), Some(*r));
        }
        assert_eq!(find("PKG999"), None);
    }
}
