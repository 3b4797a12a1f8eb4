//! Grammars of single values, and how a value is shown in a message. No
//! value here knows the registry or a command.

pub mod dockerignore;
pub mod glob;
pub mod hash;
pub mod paths;
pub mod position;
pub mod reference;
pub mod text;
pub mod time;
