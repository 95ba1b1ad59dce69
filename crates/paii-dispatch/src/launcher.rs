//! The `paii` binary: it answers `paii hook dispatch EVENT` itself and hands
//! every other command to `paii-cli`, installed beside it, by exec (same
//! arguments, same process). Claude Code starts it on every hook event, so
//! it links only this crate; see the main crate's `src/main.rs` and
//! `build.rs` for how it starts faster than a plain Rust program.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;

use crate::home::{absolute, normalize};

/// Set by the launcher for `paii-cli`: the path `paii` was started by.
pub const INVOKED_ENV: &str = "PAII_INVOKED_AS";
/// The whole command line's binary, installed beside `paii`.
pub const CLI_NAME: &str = "paii-cli";

/// The event and profile of exactly `hook dispatch EVENT [--profile DIR]`,
/// the command line paii writes into Claude Code's settings: answered
/// without parsing anything else.
pub fn dispatch_args(args: &[OsString]) -> Option<(String, Option<PathBuf>)> {
    match args {
        [_, hook, verb, event] if hook == "hook" && verb == "dispatch" => Some((event.to_string_lossy().into_owned(), None)),
        [_, hook, verb, event, flag, dir] if hook == "hook" && verb == "dispatch" && flag == "--profile" => {
            Some((event.to_string_lossy().into_owned(), Some(PathBuf::from(dir))))
        }
        _ => None,
    }
}

/// The table's directory, plugin and index of exactly `hook handler DIR
/// PLUGIN INDEX`, the command a Claude Code plugin's hooks.json names (see
/// [`crate::table::DispatchTable::plugin_hooks`]).
pub fn handler_args(args: &[OsString]) -> Option<(PathBuf, String, String)> {
    match args {
        [_, hook, verb, generation, plugin, index] if hook == "hook" && verb == "handler" => {
            Some((PathBuf::from(generation), plugin.to_string_lossy().into_owned(), index.to_string_lossy().into_owned()))
        }
        _ => None,
    }
}

/// The plugin and profile of exactly `hook drain PLUGIN [--profile DIR]`,
/// which dispatch starts detached to drain an observer's spool.
pub fn drain_args(args: &[OsString]) -> Option<(String, Option<PathBuf>)> {
    match args {
        [_, hook, verb, plugin] if hook == "hook" && verb == "drain" => Some((plugin.to_string_lossy().into_owned(), None)),
        [_, hook, verb, plugin, flag, dir] if hook == "hook" && verb == "drain" && flag == "--profile" => {
            Some((plugin.to_string_lossy().into_owned(), Some(PathBuf::from(dir))))
        }
        _ => None,
    }
}

/// The exit code of the hot path's command lines, or `None` for any other.
pub fn hot_path(args: &[OsString]) -> Option<i32> {
    if let Some((plugin, profile)) = drain_args(args) {
        return Some(crate::spool::drain_main(&plugin, profile));
    }
    let dispatch = dispatch_args(args);
    let handler = if dispatch.is_none() { handler_args(args) } else { None };
    if dispatch.is_none() && handler.is_none() {
        return None;
    }
    // A Rust `main` ignores SIGPIPE; this one runs without that start-up,
    // and Claude Code closing its end of a pipe must not kill the
    // dispatcher before it has written its audit line.
    // SAFETY: setting a signal's disposition to SIG_IGN has no
    // preconditions.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
    match (dispatch, handler) {
        (Some((event, profile)), _) => Some(i32::from(crate::run::main(&event, profile))),
        (None, Some((generation, plugin, index))) => Some(crate::run::handler_main(&generation, &plugin, &index)),
        (None, None) => None,
    }
}

/// The launcher's `main`: the process exit code.
pub fn main() -> i32 {
    let args: Vec<OsString> = std::env::args_os().collect();
    if let Some(code) = hot_path(&args) {
        return code;
    }
    let Some(cli) = cli_exe() else {
        eprintln!("error: {CLI_NAME} is not installed next to paii (reinstall paii: `cargo install --path .` installs both)");
        return 1;
    };
    let mut cmd = std::process::Command::new(&cli);
    cmd.arg0("paii").args(args.iter().skip(1));
    // The path paii was started by (not resolved through symlinks): hook
    // entries name it, so that they survive upgrades that move the real file.
    if let Some(invoked) = invoked_path(args.first()) {
        cmd.env(INVOKED_ENV, invoked);
    }
    let err = cmd.exec();
    eprintln!("error: cannot run {}: {err}", cli.display());
    1
}

/// The full command line, installed beside the running binary.
pub fn cli_exe() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dir = std::fs::canonicalize(&exe).ok()?.parent()?.to_path_buf();
    Some(dir.join(CLI_NAME)).filter(|p| p.is_file())
}

/// `argv[0]` made absolute: against the working directory when it has a
/// slash, else the first match on PATH.
fn invoked_path(argv0: Option<&OsString>) -> Option<PathBuf> {
    let argv0 = PathBuf::from(argv0?);
    if argv0.components().count() > 1 {
        return Some(normalize(&absolute(&argv0)));
    }
    std::env::split_paths(&std::env::var_os("PATH")?).map(|dir| dir.join(&argv0)).find(|p| p.is_file()).map(|p| normalize(&absolute(&p)))
}
