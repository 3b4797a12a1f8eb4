//! Dockerfiles, with no IO: [`syntax`] (lex and parse) and [`rules`] (the
//! lint rules, a file per family). [`check`] parses a text and returns its
//! findings; it never panics, whatever the input.

pub mod rules;
pub mod syntax;
#[cfg(test)]
mod tests;

pub use rules::check;
pub use rules::target::{check_stage, check_target, Checked, Context, Entry, Facts};
pub use syntax::{parse, Args, Directive, Dockerfile, Flag, Heredoc, Instruction, Stage};
