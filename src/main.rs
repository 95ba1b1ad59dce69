//! `paii`: the command Claude Code runs on every hook event, and the one
//! users type. It links only the dispatcher crate (`paii_dispatch`): it
//! answers `paii hook dispatch EVENT` itself and execs `paii-cli`, installed
//! beside it, for everything else.
//!
//! There is no Rust `main` here on purpose. Rust's start-up (stack-guard
//! discovery, which parses /proc/self/maps; the alternate signal stack; the
//! standard descriptors' check) costs about a tenth of a millisecond, a
//! sixth of a whole process start, and the dispatcher needs none of it:
//! arguments and the environment are read through std as usual (glibc
//! hands them to std's initialiser), and the dispatcher sets up the one
//! thing it needs (SIGPIPE ignored) itself.
#![no_main]

#[unsafe(no_mangle)]
pub extern "C" fn main(_argc: std::ffi::c_int, _argv: *const *const std::ffi::c_char) -> std::ffi::c_int {
    paii_dispatch::launcher::main()
}
