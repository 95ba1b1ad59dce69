//! paii: a declarative, Nix-style package manager for Claude Code plugins.
//!
//! The flow, one module per stage, each a function from typed data to typed
//! data:
//!
//! ```text
//! paii.toml, plugin.toml  manifest    parsed once, with spans for errors
//! registries               registry    an index of versions; fetched, cached, validated
//!                          resolve     pubgrub versions, then contract wiring
//! paii.lock                lock        deterministic, reviewable
//!                          source      git (gix), tarballs (http), paths
//!                          store       read-only, content-addressed, verified by integrity
//!                          build       cargo / uv / pip recipes into the store
//!                          substitute  build outputs from a signed binary cache (oci)
//!                          inventory   the Rust and Python packages a plugin's lockfiles pin
//!                          sbom        CycloneDX and SPDX documents of a lock
//!                          advisory    OSV advisories, their ranges, databases in the store
//!                          approval    what a plugin runs, and whether paii.lock approves it
//!                          generation  an immutable set: plugins, dispatch table, plugin
//!                                      config and secrets; `current` switched by one rename
//! ~/.claude, .claude/      claude      settings.json, links, MCP servers, with ownership;
//!                          scope       user-wide, or one repository's (project)
//! hook events              dispatch    the hot path (crates/paii-dispatch)
//! ```
//!
//! Around the flow: `ops` holds one module per user command, composing the
//! stages (cargo's `ops`); `cli` parses arguments and prints outcomes;
//! `diagnostic` turns bad input into located errors; `schema` generates the
//! JSON Schemas of the file formats; `util` has the small helpers.

// Errors carry their source text for located diagnostics; they are large, and
// only ever travel the cold path.
#![allow(clippy::result_large_err)]

pub mod manifest;
pub mod registry;
pub mod resolve;
pub mod lock;
pub mod source;
pub mod http;
pub mod extract;
pub mod oci;
pub mod store;
pub mod build;
pub mod inventory;
pub mod advisory;
pub mod approval;
pub mod sbom;
pub mod substitute;
pub mod generation;
pub mod claude;
/// The hot path, a crate of its own (`crates/paii-dispatch`): the dispatch
/// table's types, event names, matchers, the process loop, the audit log.
pub use paii_dispatch as dispatch;

pub mod cli;
pub mod diagnostic;
pub mod ops;
pub mod policy;
pub mod schema;
pub mod scope;
pub mod sign;
pub mod util;
