//! paii: a declarative, Nix-style package manager for Claude Code plugins.
//!
//! The flow, one module per stage:
//! `manifest` (paii.toml, plugin.toml) + `registry` (index) -> `resolve`
//! (pubgrub + `contract` wiring) -> `lock` (paii.lock), with `integrity`
//! hashing plugin trees for the store. `ops` holds one function per user
//! command; `cli` only parses arguments and prints.

// Errors carry their source text for located diagnostics; they are large, and
// only ever travel the cold path.
#![allow(clippy::result_large_err)]

pub mod build;
pub mod claude;
pub mod cli;
pub mod config;
pub mod contract;
pub mod diagnostic;
/// The hot path, a crate of its own (`crates/paii-dispatch`): the dispatch
/// table's types, event names, matchers, the process loop, the audit log.
pub use paii_dispatch as dispatch;
pub use paii_dispatch::event;
pub mod fail;
pub mod fsutil;
pub mod generation;
pub mod http;
pub mod integrity;
pub mod lock;
pub mod log;
pub mod manifest;
pub mod ops;
pub mod paths;
pub mod progress;
pub mod registry;
pub mod resolve;
pub mod schema;
pub mod secrets;
pub mod source;
pub mod store;
pub mod suggest;
pub use paii_dispatch::time;
pub mod url;
pub mod version;
