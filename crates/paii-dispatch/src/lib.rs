//! paii's hook dispatcher: the precompiled table a generation carries and
//! the hot path that runs it.
//!
//! Claude Code runs `paii hook dispatch <event>` on every hook event, often
//! on every tool call. This crate is everything that command touches: the
//! table format ([`table`]), event names ([`event`]), matchers, the process
//! loop ([`exec`]), the decision merge, the audit log, the handler
//! environment with its secrets ([`env`]), and the `paii` launcher itself
//! ([`launcher`]). It is a crate of its own so that what the hot path may
//! link is written in one Cargo.toml: no TOML, HTTP, git, clap or miette.
//! The main crate writes tables through these types.

pub mod audit;
pub mod decision;
pub mod env;
pub mod event;
pub mod exec;
pub mod home;
pub mod launcher;
pub mod matcher;
pub mod platform;
pub mod run;
pub mod spool;
pub mod table;
pub mod time;

pub use env::{base_env, plugin_env};
pub use event::HookEvent;
pub use run::{MAX_INPUT, Options, Outcome, Report, dispatch, main};
pub use table::{DispatchTable, Handler, NativeCommand, PluginHook, RunEntry};
