//! The failure of a command: what it says on stderr, one `[error] ...` line
//! each, before it exits non-zero.

use crate::host::HostError;

/// Why a command stops: `[error] …` lines for stderr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub lines: Vec<String>,
}

impl Failure {
    pub fn new(line: impl Into<String>) -> Failure {
        Failure {
            lines: vec![line.into()],
        }
    }
}

impl From<HostError> for Failure {
    fn from(e: HostError) -> Failure {
        Failure::new(e.message)
    }
}
