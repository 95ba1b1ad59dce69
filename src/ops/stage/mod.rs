//! The stages of a sync, each one module that the commands call: plan (the
//! lock), fetch (the store), build. Assembling a generation is
//! `crate::generation`, applying it to Claude Code's files `crate::claude`.
//! A stage imports no command module; a command imports stages, never
//! another command.

pub mod approval;
pub mod build;
pub mod fetch;
pub mod inventory;
pub mod plan;
