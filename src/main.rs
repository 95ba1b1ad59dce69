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
    let err = std::process::Command::new(&cli).arg0("paii").args(std::env::args_os().skip(1)).exec();
    eprintln!("error: cannot run {}: {err}", cli.display());
    ExitCode::FAILURE
}
