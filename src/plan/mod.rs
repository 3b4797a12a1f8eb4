//! Pure decisions the commands carry out: the checked plan of a build and
//! the engine's argv, the Bake file, the merge of a template tree into a
//! repository, provenance labels, and the Dockerfile a new target starts
//! from. Nothing here touches the host.

pub mod bake;
pub mod build;
pub mod buildx;
pub mod known;
pub mod provenance;
pub mod seed;
pub mod template_merge;
