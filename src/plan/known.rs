//! Installs this package can recognise by their files' digests: the
//! reference implementation every repository of this feature already has
//! (plain JavaScript, MIT; the files as it ships them in the feature folder
//! `.ai/skills/features/packaging/`), and the build helpers earlier versions
//! put at `ops/packaging/scripts/docker-build.mjs`. `install` upgrades what
//! it recognises in place and counts a file with a known digest as
//! unmodified; anything else it names as foreign.
//!
//! Digests are `sha256:<hex>`, as the host reports them.

/// A file of a known install, relative to the feature folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownFile {
    pub rel: &'static str,
    pub digest: &'static str,
}

/// One install this package can recognise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownInstall {
    /// How messages name it.
    pub name: &'static str,
    /// Its CLI, `scripts/ctl-packaging.mjs`, by which it is recognised.
    pub cli_digest: &'static str,
    /// Every file it has in the feature folder.
    pub files: &'static [KnownFile],
}

impl KnownInstall {
    /// The digest this install gave `rel`, if it had such a file.
    pub fn digest_of(&self, rel: &str) -> Option<&'static str> {
        self.files.iter().find(|f| f.rel == rel).map(|f| f.digest)
    }
}

const fn file(rel: &'static str, digest: &'static str) -> KnownFile {
    KnownFile { rel, digest }
}

/// The reference implementation at commit 069bf6f (the only published one).
pub const REFERENCE_069BF6F: KnownInstall = KnownInstall {
    name: "the reference packaging feature (plain JavaScript, 069bf6f)",
    cli_digest: "sha256:368402041c815f6426c0cf14b09719575e80e9181888179ed5942c835f9b94b1",
    files: &[
        file(
            "SKILL.md",
            "sha256:415e7aff56114ab4b98f0c2ad2a3f48650318bdcc61c0396754b5f994970ff13",
        ),
        file(
            "reference/feature-mechanism.md",
            "sha256:a0420f3d4da4a052f0204e3aa78b4e60b1e92bfe354145e228c9c446a9cf76f1",
        ),
        file(
            "reference/feature-overview.md",
            "sha256:3cdb101a391a001861d5f49f6f575d9a41fb3471a821568a9c4722310220f5ef",
        ),
        file(
            "scripts/ctl-packaging.mjs",
            "sha256:368402041c815f6426c0cf14b09719575e80e9181888179ed5942c835f9b94b1",
        ),
        file(
            "templates/docs/packaging/registry.json",
            "sha256:5aa1cbb01aac30f9d03e5c628ebb1888940427e7e899987fde7edeaf4db0c498",
        ),
        file(
            "templates/ops/README.md",
            "sha256:8b6247898257afd42f2c107cf113e58141a099cafa923dff9b812023790f0c85",
        ),
        file(
            "templates/ops/packaging/AGENTS.md",
            "sha256:e9bd2a8cfb8c9016c14d3347c4cae2917d48b03569db8d830075aaf98ea11a84",
        ),
        file(
            "templates/ops/packaging/README.md",
            "sha256:3206ae41691d20ec5eded3119a4e9e977917ae659e771f7b00be60b0c56b1e81",
        ),
        file(
            "templates/ops/packaging/apps/.gitkeep",
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        file(
            "templates/ops/packaging/handbook/AGENTS.md",
            "sha256:ddef710a316cb8121be66b3b78dc64b06886b05d5a93745e4fb93f9f7e9ddef2",
        ),
        file(
            "templates/ops/packaging/handbook/README.md",
            "sha256:8cc0b4afe1d2f2b3aad224ef9f6e7097bc6c24e27b2255d99d9134792c727103",
        ),
        file(
            "templates/ops/packaging/jobs/.gitkeep",
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        file(
            "templates/ops/packaging/scripts/build.mjs",
            "sha256:f8c97edff0f8e30f44851a66cdaaddcfc67bd60a64f3bc736e2da9189eced0cb",
        ),
        file(
            "templates/ops/packaging/scripts/docker-build.mjs",
            "sha256:28e58d5d5ff8ffe3757113011ca5f25d013261204dee25b946b6b78d0fbf9db1",
        ),
        file(
            "templates/ops/packaging/services/.gitkeep",
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        file(
            "templates/ops/packaging/templates/Dockerfile.go",
            "sha256:7120532b2a79e903a54c9a1f8b3a730f99f5f4b02461c07ba6c78ff9cde8760f",
        ),
        file(
            "templates/ops/packaging/templates/Dockerfile.node",
            "sha256:4efea0a03f8092bd6ee9cd06f6cb87bbe4033d70314dc6df5751e1f62ecb1903",
        ),
        file(
            "templates/ops/packaging/templates/Dockerfile.python",
            "sha256:e2620374d0aba8ddc3ee9fca0d6b8c74805cce46cdf934122b12571e609819cb",
        ),
    ],
};

/// Every install recognised by its CLI.
pub const KNOWN_INSTALLS: &[KnownInstall] = &[REFERENCE_069BF6F];

/// Helpers that earlier versions put at `ops/packaging/scripts/docker-build.mjs`
/// ([`crate::plan::build::HELPER`]), as they wrote them: the
/// reference's (it runs `docker` whatever the engine and drops every option
/// but the first three), and this package's before it declared what it
/// supports. One of these, unchanged, is replaced by `install`.
pub const OLD_HELPERS: &[(&str, &str)] = &[
    (
        "the reference's helper",
        "sha256:28e58d5d5ff8ffe3757113011ca5f25d013261204dee25b946b6b78d0fbf9db1",
    ),
    (
        "the helper of ctl-packaging 0.1.0 (first release)",
        "sha256:35e14fc869eff1d96d9f336de2e84c5383a2833b41f7d0a4c5a50130752aff50",
    ),
    (
        "the helper of ctl-packaging 0.1.0 (with engines and build settings)",
        "sha256:55ad8823fba105f32abd7a26a81bbfe69e2682f96e0d7c836ce8a203ac1a1566",
    ),
];

/// Whether a helper with this digest is one this package wrote (not the
/// reference's): after a lost install record, such a file is not the
/// user's original.
pub fn own_helper(digest: &str) -> bool {
    OLD_HELPERS
        .iter()
        .any(|(name, d)| *d == digest && name.contains("ctl-packaging"))
}

/// Whether the file at `rel` in the feature folder, with this digest, is one
/// this package shipped: what the running version ships (`shipped`), or a
/// helper template of an earlier version. Recognised so, a file of ours is
/// not taken for the user's when the install record was lost.
pub fn own_file(rel: &str, digest: &str, shipped: Option<&str>) -> bool {
    shipped == Some(digest)
        || (rel == "templates/ops/packaging/scripts/docker-build.mjs" && own_helper(digest))
}

/// The install whose CLI has this digest.
pub fn identify(cli_digest: &str) -> Option<&'static KnownInstall> {
    KNOWN_INSTALLS.iter().find(|k| k.cli_digest == cli_digest)
}

/// How an old helper with this digest is named, if it is one.
pub fn old_helper(digest: &str) -> Option<&'static str> {
    OLD_HELPERS
        .iter()
        .find(|(_, d)| *d == digest)
        .map(|(name, _)| *name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_is_recognised_by_its_cli() {
        let k = identify(REFERENCE_069BF6F.cli_digest).unwrap();
        assert_eq!(k.digest_of("scripts/ctl-packaging.mjs"), Some(k.cli_digest));
        assert_eq!(identify("sha256:00"), None);
        assert!(!own_helper(OLD_HELPERS[0].1), "the reference's is not ours");
        assert!(own_helper(OLD_HELPERS[1].1) && own_helper(OLD_HELPERS[2].1));
        assert!(own_file("a", "sha256:1", Some("sha256:1")));
        assert!(!own_file("a", "sha256:1", Some("sha256:2")));
        assert!(old_helper(
            REFERENCE_069BF6F
                .digest_of("templates/ops/packaging/scripts/docker-build.mjs")
                .unwrap()
        )
        .is_some());
    }

    #[test]
    fn digests_are_well_formed_and_paths_unique() {
        for k in KNOWN_INSTALLS {
            for (i, f) in k.files.iter().enumerate() {
                let hex = f.digest.strip_prefix("sha256:").unwrap();
                assert_eq!(hex.len(), 64, "{}", f.rel);
                assert!(hex.bytes().all(|c| c.is_ascii_hexdigit()));
                assert!(k.files[..i].iter().all(|g| g.rel != f.rel), "{}", f.rel);
            }
        }
    }
}
