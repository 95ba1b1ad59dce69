//! The first-party plugins on the hook path (issue 15), each figure against
//! a baseline measured in the same run, interleaved:
//!
//! 1. dispatch of a PreToolUse `Bash` event to security and history (history
//!    an observer: started, not waited for) vs to security alone (goal <=
//!    1.2x); for reference, history as an ordinary handler (waited for);
//! 2. the security handler process alone vs `/bin/true` (goal <= 1.5x);
//! 3. the history handler process alone (Python start-up included) vs
//!    `python3 -c pass`.
//!
//! The plugins come from the core registry (`plugins/registry.toml`) and are
//! built for real (cargo, uv) once. Run: `cargo bench --bench plugins`.
//! Prints medians and ratios; asserts nothing. The per-verdict time of
//! security is `cargo bench --manifest-path plugins/security/Cargo.toml`,
//! history's 10 MB transcript is `plugins/history/benches/bench.py`.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

#[path = "support/mod.rs"]
mod support;
use support::{median, ms, paii};

const RUNS: usize = 101;
const INPUT: &[u8] =
    br#"{"session_id":"bench","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"git status --short && ls -la src"},"cwd":"/tmp"}"#;

fn timed(cmd: &mut Command) -> Duration {
    support::timed_with(cmd, INPUT)
}

/// A PAII_HOME synced with `plugins` from the core registry; `store` is
/// shared so that each plugin is built once.
fn setup(plugins: &str, store: Option<&Path>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("team")).unwrap();
    std::fs::create_dir_all(root.join("home")).unwrap();
    if let Some(store) = store {
        std::os::unix::fs::symlink(store, root.join("home/store")).unwrap();
        std::os::unix::fs::symlink(store.parent().unwrap().join("cache"), root.join("home/cache")).unwrap();
    }
    let registry = Path::new(env!("CARGO_MANIFEST_DIR")).join("plugins/registry.toml");
    std::fs::write(
        root.join("team/paii.toml"),
        format!("[registries]\ncore = {{ path = {:?} }}\n\n[plugins]\n{plugins}", registry.display().to_string()),
    )
    .unwrap();
    let out = paii(root, &["sync", "-q"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    dir
}

/// The plugin's handler command from the current dispatch table.
fn handler(root: &Path, plugin: &str) -> (Vec<String>, Vec<(String, String)>) {
    let table: serde_json::Value = serde_json::from_slice(&std::fs::read(root.join("home/current/dispatch.json")).unwrap()).unwrap();
    let argv: Vec<String> = serde_json::from_value(table["plugins"][plugin]["argv"].clone()).unwrap();
    let mut env: Vec<(String, String)> =
        serde_json::from_value::<std::collections::BTreeMap<String, String>>(table["plugins"][plugin]["env"].clone())
            .unwrap()
            .into_iter()
            .collect();
    env.push(("PAII_HOME".into(), root.join("home").display().to_string()));
    env.push(("PAII_HISTORY_DIR".into(), root.join("home/history").display().to_string()));
    env.push(("PAII_PLUGIN_NAME".into(), plugin.into()));
    env.push(("PYTHONPYCACHEPREFIX".into(), root.join("home/cache/python").display().to_string()));
    (argv, env)
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}

fn main() {
    let alone = setup("security = \"^1\"\n", None);
    let store = alone.path().join("home/store");
    let with_history = setup("security = \"^1\"\nhistory = \"^1\"\n", Some(&store));
    let waited = setup("security = \"^1\"\nhistory = \"^1\"\n", Some(&store));
    // history as an ordinary handler: the same plugin, its hooks not async.
    let table = waited.path().join("home/current/dispatch.json");
    let text = std::fs::read_to_string(&table).unwrap().replace("\"observer\":true", "\"observer\":false");
    let mut perms = std::fs::metadata(&table).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(waited.path().join("home/current/"), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&table, perms).unwrap();
    std::fs::write(&table, text).unwrap();

    let (sec_argv, sec_env) = handler(alone.path(), "security");
    let (hist_argv, hist_env) = handler(with_history.path(), "history");
    let run = |argv: &[String], env: &[(String, String)]| {
        let mut c = Command::new(&argv[0]);
        c.args(&argv[1..]).args(["hook", "pre-tool-use"]).env_clear().env("PATH", std::env::var("PATH").unwrap_or_default());
        c.envs(env.iter().cloned());
        c
    };

    let (mut t_alone, mut t_both, mut t_waited, mut t_sec, mut t_true, mut t_hist, mut t_py) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..RUNS {
        t_alone.push(timed(&mut paii(alone.path(), &["hook", "dispatch", "pre-tool-use"])));
        t_both.push(timed(&mut paii(with_history.path(), &["hook", "dispatch", "pre-tool-use"])));
        t_waited.push(timed(&mut paii(waited.path(), &["hook", "dispatch", "pre-tool-use"])));
        t_sec.push(timed(&mut run(&sec_argv, &sec_env)));
        t_true.push(timed(&mut Command::new("/bin/true")));
        t_hist.push(timed(&mut run(&hist_argv, &hist_env)));
        t_py.push(timed(Command::new(Path::new(&hist_argv[0]).with_file_name("python")).args(["-c", "pass"])));
    }
    // The observers' processes finish on their own; let them, before the
    // directories go.
    std::thread::sleep(Duration::from_secs(2));

    let (a, b, w) = (median(t_both), median(t_alone), median(t_waited));
    println!(
        "PreToolUse to security + history (observer) {:.2} ms vs security alone {:.2} ms = {:.2}x (goal <= 1.2x)",
        ms(a),
        ms(b),
        ratio(a, b)
    );
    println!("  (history as an ordinary handler, waited for: {:.2} ms = {:.2}x of security alone)", ms(w), ratio(w, b));
    let (s, t) = (median(t_sec), median(t_true));
    println!("security's handler process {:.2} ms vs /bin/true {:.2} ms = {:.2}x (goal <= 1.5x)", ms(s), ms(t), ratio(s, t));
    let (h, p) = (median(t_hist), median(t_py));
    println!(
        "history's handler per event, Python start-up included, {:.2} ms vs `python -c pass` of its interpreter {:.2} ms = {:.2}x",
        ms(h),
        ms(p),
        ratio(h, p)
    );
}
