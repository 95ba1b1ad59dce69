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
fn build_check_proves_rust_builds_identical_and_venvs_identical_but_for_their_path() {
    let (sb, _) = shared();
    let out = sb.paii_in("t", &["build", "guard", "--check"]).ok();
    assert!(out.stdout.contains("guard 0.1.0: reproducible (a second build is identical)"), "{}", out.stdout);
    let out = sb.paii_in("t", &["build", "tally", "notes", "--check", "-o", "json"]).ok().json();
    for c in out.as_array().unwrap() {
        assert_eq!(c["differ"], serde_json::json!([]), "{c:#}");
        let relocated: Vec<&str> = c["relocated"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        // A venv records its own path: the activation scripts, console
        // scripts' shebangs, and the RECORD that hashes those scripts.
        assert!(relocated.iter().any(|f| f.starts_with(".venv/bin/activate")), "{relocated:?}");
        assert!(relocated.iter().all(|f| f.starts_with(".venv/bin/") || f.ends_with(".dist-info/RECORD")), "{}: {relocated:?}", c["name"]);
    }
    let out = sb.paii_in("t", &["build", "notes", "--check"]).ok();
    assert!(
        out.stdout.contains("notes 0.1.0: reproducible (a second build is identical but for the path it was built at"),
        "{}",
        out.stdout
    );
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
    while !std::fs::read_to_string(&log).unwrap_or_default().contains(" sync --locked") {
        assert!(started.elapsed() < std::time::Duration::from_secs(60), "the build never started");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    // The builders get SIGKILL with paii; on a loaded machine the kernel may
    // take a moment to reap them, so they get a few seconds, not forever.
    let home = sb.home().display().to_string();
    let killed = std::time::Instant::now();
    let survivors = loop {
        let out = std::process::Command::new("pgrep").args(["-f", &home]).output().unwrap();
        if out.stdout.is_empty() || killed.elapsed() > std::time::Duration::from_secs(5) {
            break out.stdout;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(survivors.is_empty(), "a builder outlived paii: {}", String::from_utf8_lossy(&survivors));
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

// ---- private package indexes -------------------------------------------------

const INDEX_USER: &str = "builder";
const INDEX_PASSWORD: &str = "s3cret-index-password";
const REGISTRY_TOKEN: &str = "s3cret-registry-token";

/// A pure-Python wheel of `privpkg` 1.0.0 with a console script, made with
/// python3's zipfile: (file name, bytes).
fn wheel(dir: &Path) -> (String, Vec<u8>) {
    let script = r#"
import base64, hashlib, sys, zipfile
name = "privpkg-1.0.0-py3-none-any.whl"
files = {
    "privpkg/__init__.py": "def main():\n    import sys\n    sys.stdin.read()\n    print('privpkg: from the private index')\n",
    "privpkg-1.0.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: privpkg\nVersion: 1.0.0\n",
    "privpkg-1.0.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: paii-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    "privpkg-1.0.0.dist-info/entry_points.txt": "[console_scripts]\nprivpkg = privpkg:main\n",
}
record = []
for path, text in files.items():
    data = text.encode()
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    record.append(f"{path},sha256={digest},{len(data)}")
record.append("privpkg-1.0.0.dist-info/RECORD,,")
files["privpkg-1.0.0.dist-info/RECORD"] = "\n".join(record) + "\n"
with zipfile.ZipFile(sys.argv[1] + "/" + name, "w") as z:
    for path, text in files.items():
        info = zipfile.ZipInfo(path, date_time=(2026, 1, 1, 0, 0, 0))
        z.writestr(info, text)
print(name)
"#;
    std::fs::create_dir_all(dir).unwrap();
    let out = std::process::Command::new("python3").arg("-c").arg(script).arg(dir).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let name = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let bytes = std::fs::read(dir.join(&name)).unwrap();
    (name, bytes)
}

/// A `.crate` of `privcrate` 0.1.0 made by `cargo package`: (bytes, sha256).
fn private_crate(dir: &Path) -> (Vec<u8>, String) {
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"privcrate\"\nversion = \"0.1.0\"\nedition = \"2021\"\ndescription = \"test\"\nlicense = \"MIT\"\n\n[workspace]\n",
    )
    .unwrap();
    std::fs::write(dir.join("src/lib.rs"), "pub fn greeting() -> &'static str {\n    \"privcrate: from the private registry\"\n}\n")
        .unwrap();
    let out = std::process::Command::new("cargo")
        .args(["package", "--no-verify", "--allow-dirty", "--offline", "--quiet"])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let bytes = std::fs::read(dir.join("target/package/privcrate-0.1.0.crate")).unwrap();
    use sha2::Digest;
    let sum = sha2::Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
    (bytes, sum)
}

/// Plugins whose dependencies exist only on private servers on 127.0.0.1:
/// a uv project on a simple index behind basic auth (credentials through
/// uv's `UV_INDEX_<NAME>_USERNAME`/`_PASSWORD`), a pip plugin on the same
/// index (`PIP_INDEX_URL` with the credentials in it), and a cargo plugin on
/// an alternative sparse registry that requires a token
/// (`CARGO_REGISTRIES_<NAME>_INDEX`/`_TOKEN`/`_CREDENTIAL_PROVIDER`). All
/// three build `--locked`,
/// `paii build --check` passes, and no credential is left in a log, the
/// store or a generation.
#[test]
fn builds_reach_private_indexes_with_credentials_from_the_environment() {
    use common::{HttpServer, Reply};
    use std::os::unix::fs::PermissionsExt;
    let sb = Sandbox::new();
    let (wheel_name, wheel_bytes) = wheel(&sb.path("wheels"));
    use sha2::Digest;
    let wheel_sha: String = sha2::Sha256::digest(&wheel_bytes).iter().map(|b| format!("{b:02x}")).collect();
    let page = format!("<!DOCTYPE html><html><body><a href=\"{wheel_name}#sha256={wheel_sha}\">{wheel_name}</a></body></html>\n");
    let (crate_bytes, crate_sum) = private_crate(&sb.path("privcrate"));
    let entry =
        format!("{{\"name\":\"privcrate\",\"vers\":\"0.1.0\",\"deps\":[],\"cksum\":\"{crate_sum}\",\"features\":{{}},\"yanked\":false}}\n");
    let basic = |b: Vec<u8>| Reply::Auth(INDEX_USER.into(), INDEX_PASSWORD.into(), b);
    let token = |b: Vec<u8>| Reply::Token(REGISTRY_TOKEN.into(), b);
    // The port must be known for config.json: bind, then serve.
    let port = common::free_port();
    let config = format!("{{\"dl\":\"http://127.0.0.1:{port}/dl/{{crate}}/{{version}}\",\"auth-required\":true}}");
    let server = HttpServer::start_on(
        port,
        vec![
            ("/simple/privpkg/", basic(page.clone().into_bytes())),
            ("/simple/privpkg", basic(page.into_bytes())),
            (&format!("/simple/privpkg/{wheel_name}"), basic(wheel_bytes)),
            ("/index/config.json", token(config.into_bytes())),
            ("/index/pr/iv/privcrate", token(entry.into_bytes())),
            ("/dl/privcrate/0.1.0", token(crate_bytes)),
        ],
    );
    let index = format!("http://127.0.0.1:{port}/simple");
    let creds: Vec<(String, String)> = vec![
        ("UV_INDEX_PRIVATE_USERNAME".into(), INDEX_USER.into()),
        ("UV_INDEX_PRIVATE_PASSWORD".into(), INDEX_PASSWORD.into()),
        ("PIP_INDEX_URL".into(), format!("http://{INDEX_USER}:{INDEX_PASSWORD}@127.0.0.1:{port}/simple")),
        ("CARGO_REGISTRIES_PRIVATE_INDEX".into(), format!("sparse+http://127.0.0.1:{port}/index/")),
        ("CARGO_REGISTRIES_PRIVATE_TOKEN".into(), REGISTRY_TOKEN.into()),
        ("CARGO_REGISTRIES_PRIVATE_CREDENTIAL_PROVIDER".into(), "cargo:token".into()),
    ];

    // The uv plugin: a virtual project whose one dependency is on the index.
    sb.write(
        "plugins/pyprivate/pyproject.toml",
        &format!(
            "[project]\nname = \"pyprivate\"\nversion = \"0.1.0\"\nrequires-python = \">=3.9\"\ndependencies = [\"privpkg==1.0.0\"]\n\n\
             [tool.uv]\npackage = false\n\n[[tool.uv.index]]\nname = \"private\"\nurl = \"{index}\"\ndefault = true\n"
        ),
    );
    sb.write(
        "plugins/pyprivate/plugin.toml",
        "[plugin]\nname = \"pyprivate\"\nversion = \"0.1.0\"\n\n[hooks]\nstop = true\n\n[build]\ntype = \"uv\"\n\n[run]\ncommand = [\"privpkg\"]\n",
    );
    let lock = std::process::Command::new("uv")
        .args(["lock", "--quiet"])
        .current_dir(sb.path("plugins/pyprivate"))
        .envs(creds.iter().map(|(k, v)| (k, v)))
        .env("UV_CACHE_DIR", sb.path("uv-cache"))
        .env("UV_PYTHON_DOWNLOADS", "never")
        .output()
        .unwrap();
    assert!(lock.status.success(), "uv lock: {}", String::from_utf8_lossy(&lock.stderr));

    // The pip plugin: hash-pinned requirements, the index from PIP_INDEX_URL.
    sb.write("plugins/pipprivate/requirements.txt", &format!("privpkg==1.0.0 --hash=sha256:{wheel_sha}\n"));
    sb.write(
        "plugins/pipprivate/plugin.toml",
        "[plugin]\nname = \"pipprivate\"\nversion = \"0.1.0\"\n\n[hooks]\nstop = true\n\n[build]\ntype = \"pip\"\n\n[run]\ncommand = [\"privpkg\"]\n",
    );

    // The cargo plugin: its dependency comes from the `private` registry.
    sb.write(
        "plugins/rsprivate/Cargo.toml",
        "[package]\nname = \"rsprivate\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nprivcrate = { version = \"0.1\", registry = \"private\" }\n\n[workspace]\n",
    );
    sb.write(
        "plugins/rsprivate/src/main.rs",
        "fn main() {\n    let mut s = String::new();\n    let _ = std::io::Read::read_to_string(&mut std::io::stdin(), &mut s);\n    println!(\"{}\", privcrate::greeting());\n}\n",
    );
    sb.write(
        "plugins/rsprivate/plugin.toml",
        "[plugin]\nname = \"rsprivate\"\nversion = \"0.1.0\"\n\n[hooks]\nstop = true\n\n[build]\ntype = \"cargo\"\n",
    );
    let generate = std::process::Command::new("cargo")
        .args(["generate-lockfile", "--quiet"])
        .current_dir(sb.path("plugins/rsprivate"))
        .envs(creds.iter().map(|(k, v)| (k, v)))
        .env("CARGO_HOME", sb.path("cargo-home"))
        .output()
        .unwrap();
    assert!(generate.status.success(), "cargo generate-lockfile: {}", String::from_utf8_lossy(&generate.stderr));
    for dir in ["pyprivate", "pipprivate", "rsprivate"] {
        std::fs::set_permissions(sb.path(&format!("plugins/{dir}")), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    sb.write(
        "t/paii.toml",
        "[plugins]\npyprivate = { path = \"../plugins/pyprivate\" }\npipprivate = { path = \"../plugins/pipprivate\" }\nrsprivate = { path = \"../plugins/rsprivate\" }\n",
    );

    let paii = |args: &[&str]| {
        let mut cmd = sb.command(&sb.path("t"), args);
        cmd.envs(creds.iter().map(|(k, v)| (k, v)));
        // A throwaway cargo home: the private crate comes from the registry,
        // not from the machine's cache.
        cmd.env("CARGO_HOME", sb.path("cargo-home"));
        common::run(cmd.output().unwrap())
    };
    let out = paii(&["sync"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(server.hits("/dl/privcrate/0.1.0") >= 1 && server.hits(&format!("/simple/privpkg/{wheel_name}")) >= 1);
    let home = sb.home();
    let py = &outputs(&home, "-pyprivate-0.1.0-build")[0];
    assert_eq!(run(&py.join(".venv/bin/privpkg"), &[]), "privpkg: from the private index");
    let pip = &outputs(&home, "-pipprivate-0.1.0-build")[0];
    assert_eq!(run(&pip.join(".venv/bin/privpkg"), &[]), "privpkg: from the private index");
    let rs = &outputs(&home, "-rsprivate-0.1.0-build")[0];
    assert_eq!(run(&rs.join("bin/rsprivate"), &[]), "privcrate: from the private registry");

    let check = paii(&["build", "--check", "-o", "json"]);
    assert_eq!(check.code, 0, "{}\n{}", check.stdout, check.stderr);
    let checked: serde_json::Value = serde_json::from_str(&check.stdout).unwrap();
    assert_eq!(checked.as_array().unwrap().len(), 3);
    for c in checked.as_array().unwrap() {
        assert_eq!(c["differ"], serde_json::json!([]), "{c:#}");
    }

    // No credential in what paii keeps: logs, the store, generations.
    for dir in ["logs", "store", "generations"] {
        for secret in [INDEX_PASSWORD, REGISTRY_TOKEN] {
            let found = grep(&home.join(dir), secret.as_bytes());
            assert!(found.is_empty(), "{secret} is in {found:?}");
        }
    }
    drop(server);
}

/// Files under `dir` (not following links) whose bytes contain `needle`.
fn grep(dir: &Path, needle: &[u8]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return found };
    for e in entries.flatten() {
        let p = e.path();
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() {
            found.extend(grep(&p, needle));
        } else if ft.is_file() && std::fs::read(&p).is_ok_and(|b| b.windows(needle.len()).any(|w| w == needle)) {
            found.push(p);
        }
    }
    found
}
