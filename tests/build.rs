//! Real builds of the fixture plugins (fixtures/plugins): cargo, uv, pip
//! and a markdown-only plugin, into the store.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::{Run, Sandbox};

const ALL: &str = "[plugins]\nguard = { path = \"../plugins/guard\" }\nnotes = { path = \"../plugins/notes\" }\ntally = { path = \"../plugins/tally\" }\nincident = { path = \"../plugins/incident\" }\n";

/// A sandbox with a copy of fixtures/plugins beside a team dir `t/`.
fn sandbox(manifest: &str) -> Sandbox {
    let sb = Sandbox::new();
    common::copy_dir(&common::repo_root().join("fixtures/plugins"), &sb.path("plugins"));
    sb.write("t/paii.toml", manifest);
    sb
}

/// All four fixtures, built once for every test that only looks.
fn shared() -> &'static (Sandbox, Run) {
    static SHARED: OnceLock<(Sandbox, Run)> = OnceLock::new();
    SHARED.get_or_init(|| {
        let sb = sandbox(ALL);
        let run = sb.paii_in("t", &["sync"]).ok();
        (sb, run)
    })
}

fn outputs(home: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(home.join("store"))
        .map(|rd| rd.flatten().map(|e| e.path()).filter(|p| p.to_string_lossy().ends_with(suffix)).collect())
        .unwrap_or_default();
    v.sort();
    v
}

fn run(cmd: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new(cmd).args(args).output().unwrap();
    assert!(out.status.success(), "{}: {}", cmd.display(), String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn cargo_uv_pip_and_markdown_plugins_build_into_read_only_store_outputs() {
    use std::os::unix::fs::PermissionsExt;
    let (sb, first) = shared();
    assert!(first.stderr.contains("3 built (3 built now"), "{}", first.stderr);
    let home = sb.home();
    let guard = &outputs(&home, "-guard-0.1.0-build")[0];
    assert_eq!(run(&guard.join("bin/guard"), &[]), "guard: 4 rules");
    let notes = &outputs(&home, "-notes-0.1.0-build")[0];
    assert_eq!(run(&notes.join(".venv/bin/notes"), &[]), "notes: ready");
    let tally = &outputs(&home, "-tally-0.1.0-build")[0];
    assert!(tally.join(".venv/bin/python").exists());
    assert!(outputs(&home, "-incident-1.0.0-build").is_empty(), "a markdown plugin has no build");
    for out in [guard, notes, tally] {
        assert!(out.join(".paii-complete").is_file());
        assert_eq!(std::fs::metadata(out).unwrap().permissions().mode() & 0o222, 0, "{} is read-only", out.display());
    }
    assert!(home.join("logs/build/guard-0.1.0.log").is_file());

    let again = sb.paii_in("t", &["sync"]).ok();
    assert!(again.stderr.contains("3 built (0 built now, 3 already in the store)"), "{}", again.stderr);
}

#[test]
fn rust_builds_are_bit_for_bit_reproducible_across_paii_homes() {
    let (sb, _) = shared();
    let other = sandbox("[plugins]\nguard = { path = \"../plugins/guard\" }\n");
    other.paii_in("t", &["sync"]).ok();
    let a = std::fs::read(outputs(&sb.home(), "-guard-0.1.0-build")[0].join("bin/guard")).unwrap();
    let b = std::fs::read(outputs(&other.home(), "-guard-0.1.0-build")[0].join("bin/guard")).unwrap();
    assert!(a == b, "the binaries differ");
    assert_eq!(
        outputs(&sb.home(), "-guard-0.1.0-build")[0].file_name(),
        outputs(&other.home(), "-guard-0.1.0-build")[0].file_name(),
        "the same inputs give the same output name"
    );
}

#[test]
fn a_changed_input_gives_a_new_output_and_keeps_the_old_one() {
    let sb = sandbox("[plugins]\nguard = { path = \"../plugins/guard\" }\n");
    sb.paii_in("t", &["sync"]).ok();
    let main = sb.read("plugins/guard/src/main.rs").replace("\"rm -rf $HOME\"", "\"rm -rf $HOME\", \"mkfs\"");
    sb.write("plugins/guard/src/main.rs", &main);
    let out = sb.paii_in("t", &["sync"]).ok();
    assert!(out.stderr.contains("1 built (1 built now"), "{}", out.stderr);
    let outs = outputs(&sb.home(), "-guard-0.1.0-build");
    assert_eq!(outs.len(), 2, "{outs:?}");
}

#[test]
fn a_rust_plugin_without_cargo_lock_is_refused_unless_unlocked() {
    let sb = sandbox("[plugins]\nguard = { path = \"../plugins/guard\" }\n");
    std::fs::remove_file(sb.path("plugins/guard/Cargo.lock")).unwrap();
    let out = sb.paii_in("t", &["sync"]).fails();
    assert!(out.stderr.contains("plugin `guard` has no Cargo.lock"), "{}", out.stderr);
    assert!(out.stderr.contains("locked = false"), "{}", out.stderr);
    assert!(outputs(&sb.home(), "-build").is_empty());
}

#[test]
fn a_failed_build_shows_the_log_tail_and_leaves_no_output() {
    let sb = sandbox("[plugins]\nguard = { path = \"../plugins/guard\" }\n");
    sb.write("plugins/guard/src/main.rs", "fn main() { this is not rust }\n");
    let out = sb.paii_in("t", &["sync"]).fails();
    assert!(out.stderr.contains("plugin `guard`: the cargo build failed; last lines of"), "{}", out.stderr);
    assert!(out.stderr.contains("logs/build/guard-0.1.0.log"), "{}", out.stderr);
    assert!(out.stderr.contains("error"), "{}", out.stderr);
    assert!(outputs(&sb.home(), "-build").is_empty(), "no half output under a final name");
    assert!(!sb.path("t/paii.lock").exists(), "a failed sync changes nothing the user sees");
}

#[test]
fn a_stale_uv_lock_and_a_missing_run_command_are_clear_errors() {
    let sb = sandbox("[plugins]\nnotes = { path = \"../plugins/notes\" }\n");
    let py = sb.read("plugins/notes/pyproject.toml").replace("six==1.16.0", "six==1.17.0");
    sb.write("plugins/notes/pyproject.toml", &py);
    let out = sb.paii_in("t", &["sync"]).fails();
    assert!(out.stderr.contains("plugin `notes`: the uv build failed"), "{}", out.stderr);
    assert!(outputs(&sb.home(), "-build").is_empty());

    let sb = sandbox("[plugins]\ntally = { path = \"../plugins/tally\" }\n");
    let toml = sb.read("plugins/tally/plugin.toml").replace("[\".venv/bin/python\", \"tally.py\"]", "[\"bin/missing\"]");
    sb.write("plugins/tally/plugin.toml", &toml);
    let out = sb.paii_in("t", &["sync"]).fails();
    assert!(out.stderr.contains("`[run] command` `bin/missing` does not exist after the build"), "{}", out.stderr);
    assert!(outputs(&sb.home(), "-build").is_empty());
}

#[test]
fn a_missing_toolchain_is_named_before_anything_starts() {
    let sb = sandbox("[plugins]\nguard = { path = \"../plugins/guard\" }\n");
    let mut cmd = sb.command(&sb.path("t"), &["sync"]);
    cmd.env("PATH", "/usr/bin:/bin");
    let out = common::run(cmd.output().unwrap()).fails();
    assert!(out.stderr.contains("plugin `guard` needs `cargo` to build"), "{}", out.stderr);
    assert!(out.stderr.contains("rustup"), "{}", out.stderr);
    assert!(!sb.home().join("logs/build").exists(), "nothing was started");
}

#[test]
fn paii_build_builds_named_plugins_without_touching_the_lock() {
    let sb = sandbox("[plugins]\nincident = { path = \"../plugins/incident\" }\ntally = { path = \"../plugins/tally\" }\n");
    let out = sb.paii_in("t", &["build"]).fails();
    assert!(out.stderr.contains("paii.lock does not exist"), "{}", out.stderr);
    sb.paii_in("t", &["lock"]).ok();
    let lock = sb.read("t/paii.lock");
    let out = sb.paii_in("t", &["build", "tally"]).ok();
    assert!(out.stderr.contains("tally 0.1.0: built into"), "{}", out.stderr);
    assert!(!out.stderr.contains("incident"), "{}", out.stderr);
    assert_eq!(sb.read("t/paii.lock"), lock);
    let out = sb.paii_in("t", &["build", "tallly"]).fails();
    assert!(out.stderr.contains("did you mean `tally`?"), "{}", out.stderr);
}

#[test]
fn build_check_proves_rust_reproducible_and_names_venv_files_that_are_not() {
    let (sb, _) = shared();
    let out = sb.paii_in("t", &["build", "guard", "--check"]).ok();
    assert!(out.stdout.contains("guard 0.1.0: reproducible"), "{}", out.stdout);
    let out = sb.paii_in("t", &["build", "tally", "--check", "-o", "json"]).fails().json();
    let differ: Vec<&str> = out[0]["differ"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    // A venv records its own path: only those files may differ.
    assert!(!differ.is_empty());
    assert!(differ.iter().all(|f| f.starts_with(".venv/bin/activate")), "{differ:?}");
}

#[test]
fn plugin_info_shows_the_resolved_run_command() {
    let (sb, _) = shared();
    let info = sb.paii_in("t", &["plugin", "info", "tally", "-o", "json"]).ok().json();
    let command: Vec<&str> = info["command"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert!(command[0].ends_with("-tally-0.1.0-build/.venv/bin/python"), "{command:?}");
    assert!(command[1].ends_with("-tally-0.1.0/tally.py"), "from the source: {command:?}");
    let out = std::process::Command::new(command[0]).args(&command[1..]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "tally: ready");
}

#[test]
fn an_output_without_its_completion_mark_is_built_again() {
    use std::os::unix::fs::PermissionsExt;
    let sb = sandbox("[plugins]\ntally = { path = \"../plugins/tally\" }\n");
    sb.paii_in("t", &["sync"]).ok();
    // What a build killed before its end leaves: an output with no mark.
    let out = outputs(&sb.home(), "-tally-0.1.0-build").remove(0);
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::remove_file(out.join(".paii-complete")).unwrap();
    let again = sb.paii_in("t", &["sync"]).ok();
    assert!(again.stderr.contains("1 built (1 built now"), "{}", again.stderr);
    assert!(out.join(".paii-complete").is_file());
}

#[test]
fn a_stale_cargo_lock_fails_the_locked_build_and_locked_false_allows_none() {
    let sb = sandbox("[plugins]\nguard = { path = \"../plugins/guard\" }\n");
    // Cargo.toml asks for a crate Cargo.lock does not have.
    let toml = sb.read("plugins/guard/Cargo.toml").replace("itoa = \"1\"", "itoa = \"1\"\nryu = \"1\"");
    sb.write("plugins/guard/Cargo.toml", &toml);
    let out = sb.paii_in("t", &["sync"]).fails();
    assert!(out.stderr.contains("plugin `guard`: the cargo build failed"), "{}", out.stderr);
    assert!(out.stderr.contains("--locked"), "{}", out.stderr);

    // `locked = false`: no Cargo.lock needed (cargo resolves one itself).
    let sb = sandbox("[plugins]\nguard = { path = \"../plugins/guard\" }\n");
    std::fs::remove_file(sb.path("plugins/guard/Cargo.lock")).unwrap();
    let toml = sb.read("plugins/guard/plugin.toml").replace("type = \"cargo\"", "type = \"cargo\"\nlocked = false");
    sb.write("plugins/guard/plugin.toml", &toml);
    sb.paii_in("t", &["sync"]).ok();
}

#[test]
fn run_commands_and_requirements_may_not_leave_the_plugin_and_unhashed_pins_warn() {
    let sb = sandbox("[plugins]\ntally = { path = \"../plugins/tally\" }\n");
    let original = sb.read("plugins/tally/plugin.toml");
    sb.write("plugins/tally/plugin.toml", &original.replace("[\".venv/bin/python\", \"tally.py\"]", "[\"../../../../bin/sh\"]"));
    let out = sb.paii_in("t", &["sync"]).fails();
    assert!(out.stderr.contains("leads outside the plugin"), "{}", out.stderr);
    sb.write("plugins/tally/plugin.toml", &original.replace("requirements = \"requirements.txt\"", "requirements = \"../../secrets.txt\""));
    let out = sb.paii_in("t", &["sync"]).fails();
    assert!(out.stderr.contains("must be a path inside the plugin"), "{}", out.stderr);

    sb.write("plugins/tally/plugin.toml", &original);
    sb.write("plugins/tally/requirements.txt", "six==1.16.0\n");
    let out = sb.paii_in("t", &["sync"]).ok();
    assert!(out.stderr.contains("its requirements have no hashes"), "{}", out.stderr);
}

#[test]
fn a_build_sees_only_the_allowed_environment() {
    use std::os::unix::fs::PermissionsExt;
    let sb = sandbox("[plugins]\nguard = { path = \"../plugins/guard\" }\n");
    // A stand-in cargo that records the environment it was given.
    let bin = sb.path("fakebin");
    std::fs::create_dir_all(&bin).unwrap();
    let dump = sb.path("env.txt");
    for (tool, body) in [
        ("cargo", format!("#!/bin/sh\nif [ \"$1\" = -V ]; then echo 'cargo 0.0.0'; exit 0; fi\nenv > '{}'\nexit 1\n", dump.display())),
        ("rustc", "#!/bin/sh\necho 'rustc 0.0.0'\necho 'host: x86_64-unknown-linux-gnu'\n".to_string()),
    ] {
        std::fs::write(bin.join(tool), body).unwrap();
        std::fs::set_permissions(bin.join(tool), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let mut cmd = sb.command(&sb.path("t"), &["sync"]);
    cmd.env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .env("GITHUB_TOKEN", "leak-me")
        .env("RUSTC_WRAPPER", "sccache")
        .env("FOO_SECRET", "leak-me");
    common::run(cmd.output().unwrap()).fails();
    let env = std::fs::read_to_string(&dump).unwrap();
    assert!(!env.contains("leak-me") && !env.contains("RUSTC_WRAPPER"), "{env}");
    for want in ["SOURCE_DATE_EPOCH=315532800", "LC_ALL=C", "TZ=UTC", "RUSTFLAGS=--remap-path-prefix="] {
        assert!(env.contains(want), "missing {want}: {env}");
    }
}

#[test]
fn a_killed_build_leaves_no_builder_running_and_the_next_sync_finishes() {
    let sb = sandbox("[plugins]\nnotes = { path = \"../plugins/notes\" }\n");
    // A change, so that the build is new.
    let init = sb.read("plugins/notes/src/notes/__init__.py") + "\n# changed\n";
    sb.write("plugins/notes/src/notes/__init__.py", &init);
    let mut child =
        sb.command(&sb.path("t"), &["sync"]).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn().unwrap();
    let log = sb.home().join("logs/build/notes-0.1.0.log");
    let started = std::time::Instant::now();
    while !std::fs::read_to_string(&log).unwrap_or_default().contains("\"sync\"") {
        assert!(started.elapsed() < std::time::Duration::from_secs(60), "the build never started");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let home = sb.home().display().to_string();
    let survivors = std::process::Command::new("pgrep").args(["-f", &home]).output().unwrap();
    assert!(survivors.stdout.is_empty(), "a builder outlived paii: {}", String::from_utf8_lossy(&survivors.stdout));
    let out = sb.paii_in("t", &["sync"]).ok();
    assert!(out.stderr.contains("1 built (1 built now"), "{}", out.stderr);
    assert!(outputs(&sb.home(), "-notes-0.1.0-build").iter().all(|o| o.join(".paii-complete").is_file()));
}

#[test]
fn quiet_builds_print_nothing_even_with_many_jobs() {
    let sb = sandbox("[plugins]\ntally = { path = \"../plugins/tally\" }\nincident = { path = \"../plugins/incident\" }\n");
    let out = sb.paii_in("t", &["-q", "sync", "-j", "64"]).ok();
    assert_eq!(out.stderr, "", "-q prints nothing");
    assert_eq!(out.stdout, "");
    assert_eq!(outputs(&sb.home(), "-tally-0.1.0-build").len(), 1);
}

/// `[run] command = ["notes"]`: a bare name is found the way a shell finds
/// a command, here the uv project's console script in the output's
/// `.venv/bin/`, and the hook runs it.
#[test]
fn a_bare_command_name_finds_a_uv_projects_console_script() {
    let (sb, _) = shared();
    let info = sb.paii_in("t", &["plugin", "info", "notes", "-o", "json"]).ok().json();
    let command = info.to_string();
    assert!(command.contains("-notes-0.1.0-build/.venv/bin/notes"), "{info:#}");
    let input = r#"{"session_id":"s","hook_event_name":"Stop"}"#;
    let mut child = sb
        .command(&sb.path("t"), &["hook", "test", "stop", "--input", "-", "-o", "json"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = common::run(child.wait_with_output().unwrap());
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["handlers"][0]["plugin"], "notes", "{v:#}");
    assert_eq!(v["handlers"][0]["exit"], 0, "{v:#}");
}
