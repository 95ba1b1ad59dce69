//! The whole paii command line; `paii` hands it every command but
//! `hook dispatch` (see src/main.rs).
fn main() -> std::process::ExitCode {
    paii::cli::main()
}
