//! The handler starts on every tool call, so its start-up is on Claude
//! Code's hot path (the same link settings as paii's own launcher):
//! - position-dependent (`-no-pie`): no relative relocations to apply at
//!   each start; the code stays PIC;
//! - the unwinder linked statically: std asks for `-lgcc_s`, and loading
//!   that shared library costs about as much as the rest of the dynamic
//!   loader's work. gcc's static unwinder (`libgcc_eh.a`) under the name
//!   `libgcc_s.a`, in a directory searched first, is taken instead. Without
//!   it nothing changes.
use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os != "linux" || env != "gnu" {
        return;
    }
    println!("cargo:rustc-link-arg-bins=-no-pie");
    if let Some(dir) = static_unwinder() {
        println!("cargo:rustc-link-arg-bins=-L{}", dir.display());
    }
}

/// A directory in OUT_DIR with gcc's static unwinder as `libgcc_s.a`.
fn static_unwinder() -> Option<PathBuf> {
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let out = Command::new(cc).arg("-print-file-name=libgcc_eh.a").output().ok()?;
    let archive = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
    if !archive.is_absolute() || !archive.is_file() {
        return None;
    }
    let dir = PathBuf::from(std::env::var_os("OUT_DIR")?).join("static-unwinder");
    std::fs::create_dir_all(&dir).ok()?;
    std::fs::copy(&archive, dir.join("libgcc_s.a")).ok()?;
    Some(dir)
}
