//! `paii`: the command Claude Code runs on every hook event, and the one
//! users type.
//!
//! `paii hook dispatch EVENT` is handled here, in a binary that links only
//! the dispatcher: it starts in about 80% of the time the whole CLI would
//! (fewer pages to map and fault in). Every other command is handed to
//! `paii-cli`, installed beside it, by exec (same arguments, same process).

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args_os();
    if let (Some(_), Some(a), Some(b), Some(event), None) = (args.next(), args.next(), args.next(), args.next(), args.next())
        && a == "hook"
        && b == "dispatch"
    {
        return paii::dispatch::main(&event.to_string_lossy());
    }
    let Some(cli) = paii::paths::cli_exe() else {
        eprintln!("error: paii-cli is not installed next to paii (reinstall paii: `cargo install --path .` installs both)");
        return ExitCode::FAILURE;
    };
    use std::os::unix::process::CommandExt;
    let mut cmd = std::process::Command::new(&cli);
    cmd.arg0("paii").args(std::env::args_os().skip(1));
    // The path paii was started by (not resolved through symlinks): hook
    // entries name it, so that they survive upgrades that move the real file.
    if let Some(invoked) = invoked_path() {
        cmd.env(paii::paths::INVOKED_ENV, invoked);
    }
    let err = cmd.exec();
    eprintln!("error: cannot run {}: {err}", cli.display());
    ExitCode::FAILURE
}

/// `argv[0]` made absolute: against the working directory when it has a
/// slash, else the first match on PATH.
fn invoked_path() -> Option<std::path::PathBuf> {
    let argv0 = std::path::PathBuf::from(std::env::args_os().next()?);
    if argv0.components().count() > 1 {
        return Some(paii::paths::normalize(&paii::paths::absolute(&argv0)));
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(&argv0))
        .find(|p| p.is_file())
        .map(|p| paii::paths::normalize(&paii::paths::absolute(&p)))
}
