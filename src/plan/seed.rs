//! Template seeding: which file a new target's Dockerfile starts from, and
//! the placeholder written when there is no template.

/// Built-in template names and the repository file each one means.
pub fn template_path(name: &str) -> Option<String> {
    matches!(name, "node" | "python" | "go")
        .then(|| format!("ops/packaging/templates/Dockerfile.{name}"))
}

/// A Dockerfile that builds (an empty image) and says what to do with it.
pub fn placeholder_dockerfile(id: &str, kind: &str, module: Option<&str>) -> String {
    let module = module.map_or_else(|| "no module".to_string(), |m| format!("module {m}"));
    format!(
        "# syntax=docker/dockerfile:1\n\
         # Placeholder for the {kind} \"{id}\" ({module}), written by ctl-packaging\n\
         # because no template was given. Replace it with the real build, or start\n\
         # from ops/packaging/templates/Dockerfile.node, .python or .go.\n\
         # As it stands it builds an empty image, so the pipeline can be tried end to end.\n\
         FROM scratch\n\
         LABEL org.opencontainers.image.title=\"{id}\"\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_repository_templates() {
        assert_eq!(
            template_path("go").as_deref(),
            Some("ops/packaging/templates/Dockerfile.go")
        );
        assert_eq!(template_path("ops/x"), None);
        assert!(
            placeholder_dockerfile("api", "service", Some("apps/backend"))
                .contains("FROM scratch\n")
        );
    }
}
