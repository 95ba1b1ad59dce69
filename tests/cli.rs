//! The paii binary, run as a user would, against copies of fixtures/.

mod common;

use common::{Sandbox, repo_root};

// ---- the crate and its global flags -------------------------------------------

#[test]
fn completions_are_printed_for_common_shells() {
    let sb = Sandbox::new();
    for shell in ["bash", "zsh", "fish"] {
        let out = sb.paii_in(".", &["completions", shell]).ok();
        assert!(out.stdout.contains("paii"), "{shell}");
        assert!(out.stdout.contains("registry"), "{shell}: subcommands are completed");
    }
    // `paii completions bash | head -1`: the reader goes away long before
    // the script (over 64 KiB, more than a pipe holds) is written.
    use std::io::Read;
    let mut child = sb.command(&sb.path("."), &["completions", "bash"]).stdout(std::process::Stdio::piped()).spawn().unwrap();
    let mut first = [0u8; 16];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "a closed pipe is no crash");
}

#[test]
fn global_flags_work_on_every_command_and_bad_usage_exits_2() {
    let sb = Sandbox::with_fixtures();
    let manifest = sb.team().join("paii.toml");
    let out = sb
        .paii_in(".", &["plugin", "list", "-q", "-v", "--color", "never", "-o", "json", "--manifest", manifest.to_str().unwrap()])
        .fails();
    assert!(out.stderr.contains("paii.lock does not exist"), "{}", out.stderr);
    assert_eq!(sb.paii_in(".", &["frobnicate"]).code, 2);
    assert_eq!(sb.paii_in(".", &["lock", "--color", "sometimes"]).code, 2);
}

// ---- parsing errors ----------------------------------------------------------

#[test]
fn manifest_errors_name_file_line_column_key_and_found_value() {
    let sb = Sandbox::with_fixtures();
    let text = sb.read("fixtures/team/paii.toml").replace("hooks = \"^1\"", "hooks = \"^one\"");
    sb.write("fixtures/team/paii.toml", &text);
    let out = sb.paii(&["lock"]).fails();
    let line = text.lines().position(|l| l.starts_with("hooks = ")).unwrap() + 1;
    assert!(out.stderr.contains(&format!("paii.toml:{line}:9")), "{}", out.stderr);
    assert!(out.stderr.contains("plugin `hooks`"), "{}", out.stderr);
    assert!(out.stderr.contains("`^one`"), "{}", out.stderr);
    assert!(!sb.path("fixtures/team/paii.lock").exists(), "a failed command writes nothing");
}

#[test]
fn wrong_type_in_manifest_says_what_was_expected_and_found() {
    let sb = Sandbox::new();
    sb.write("t/paii.toml", "[paths]\nhistory = 42\n");
    let out = sb.paii_in("t", &["lock"]).fails();
    assert!(out.stderr.contains("paii.toml:2:1"), "{}", out.stderr);
    assert!(out.stderr.contains("paths.history"), "{}", out.stderr);
    assert!(out.stderr.contains("integer") && out.stderr.contains("string"), "{}", out.stderr);
}

#[test]
fn unknown_keys_are_warnings_with_locations_and_quiet_hides_them() {
    let sb = Sandbox::with_fixtures();
    let text = sb.read("fixtures/team/paii.toml").replace("[plugins]", "[plugins]\n# typo below\n") + "\n[pahts]\nhistory = \"~/h\"\n";
    sb.write("fixtures/team/paii.toml", &text);
    let out = sb.paii(&["lock"]).ok();
    assert!(out.stderr.contains("unknown key `pahts`"), "{}", out.stderr);
    let line = text.lines().position(|l| l == "[pahts]").unwrap() + 1;
    assert!(out.stderr.contains(&format!("paii.toml:{line}:2")), "{}", out.stderr);
    let quiet = sb.paii(&["-q", "lock"]).ok();
    assert_eq!(quiet.stderr, "");
}

#[test]
fn misspelt_hook_event_in_a_path_plugin_suggests_the_right_name() {
    let sb = Sandbox::new();
    sb.write("dev/plugin.toml", "[plugin]\nname = \"dev\"\nversion = \"0.1.0\"\n\n[hooks]\npre_tool_us = true\n");
    sb.write("team/paii.toml", "[plugins]\ndev = { path = \"../dev\" }\n");
    let out = sb.paii_in("team", &["lock"]).fails();
    assert!(out.stderr.contains("plugin.toml:6:1"), "{}", out.stderr);
    assert!(out.stderr.contains("unknown hook event `pre_tool_us`"), "{}", out.stderr);
    assert!(out.stderr.contains("did you mean `pre_tool_use`?"), "{}", out.stderr);
}

#[test]
fn unreadable_and_malformed_files_are_clear_errors() {
    let sb = Sandbox::new();
    let out = sb.paii_in("empty", &["lock", "--manifest", "nowhere/paii.toml"]).fails();
    assert!(out.stderr.contains("nowhere/paii.toml"), "{}", out.stderr);
    assert!(out.stderr.contains("paii init"), "{}", out.stderr);
    sb.write("bad/paii.toml", "[plugins\nx = 1\n");
    let out = sb.paii_in("bad", &["lock"]).fails();
    assert!(out.stderr.contains("paii.toml:1:"), "{}", out.stderr);
    sb.write("reg/paii.toml", "[registries]\nr = { path = \"r.toml\" }\n[plugins]\n");
    sb.write("reg/r.toml", "[registry]\nname = \"r\"\n[[plugins]]\nname = \"x\"\nversion = \"1\"\nsource = \"g\"\n");
    let out = sb.paii_in("reg", &["lock"]).fails();
    assert!(out.stderr.contains("r.toml:5:11"), "{}", out.stderr);
    assert!(out.stderr.contains("invalid version `1`"), "{}", out.stderr);
}

// ---- registries ------------------------------------------------------------

#[test]
fn file_url_registries_are_read_like_paths() {
    let sb = Sandbox::with_fixtures();
    let core = sb.path("fixtures/registries/core.toml");
    sb.write("t/paii.toml", &format!("[registries]\ncore = \"file://{}\"\n[plugins]\nhooks = \"^1\"\n", core.display()));
    sb.paii_in("t", &["lock"]).ok();
    assert!(sb.read("t/paii.lock").contains("name = \"hooks\""));
}

#[test]
fn the_first_registry_that_lists_a_plugin_supplies_it() {
    let sb = Sandbox::with_fixtures();
    sb.paii(&["lock"]).ok();
    let lock = sb.read("fixtures/team/paii.lock");
    let security = locked(&lock, "security");
    assert!(security.contains("registry = \"work\""), "{security}");
    assert!(security.contains("version = \"1.2.5\""), "{security}");
}

// ---- resolution ----------------------------------------------------------

#[test]
fn missing_required_contract_names_consumer_contract_and_providers() {
    let sb = Sandbox::with_fixtures();
    sb.write("t/paii.toml", "[registries]\ncore = { path = \"../fixtures/registries/core.toml\" }\n[plugins]\nincident = \"^1\"\n");
    let out = sb.paii_in("t", &["lock"]).fails();
    assert!(out.stderr.contains("plugin `incident` requires contract MemoryProvider"), "{}", out.stderr);
    assert!(out.stderr.contains("add `history = \"^1\"` to [plugins]"), "{}", out.stderr);
    assert!(out.stderr.contains("add `vector-memory = \"^0.4\"` to [plugins]"), "{}", out.stderr);
}

#[test]
fn two_providers_need_a_wiring_choice_and_the_choice_is_locked() {
    let sb = Sandbox::with_fixtures();
    let base = "[registries]\ncore = { path = \"../fixtures/registries/core.toml\" }\n[plugins]\nincident = \"^1\"\nhistory = \"^1\"\nvector-memory = \"*\"\n";
    sb.write("t/paii.toml", base);
    let out = sb.paii_in("t", &["lock"]).fails();
    assert!(out.stderr.contains("2 selected plugins provide it: history, vector-memory"), "{}", out.stderr);
    assert!(out.stderr.contains("[wiring.incident] memory = \"history\""), "{}", out.stderr);
    sb.write("t/paii.toml", &format!("{base}\n[wiring.incident]\nmemory = \"vector-memory\"\n"));
    sb.paii_in("t", &["lock"]).ok();
    assert!(sb.read("t/paii.lock").contains("memory = \"vector-memory\""));
    sb.write("t/paii.toml", &format!("{base}\n[wiring.incident]\nmemory = \"hooks\"\n"));
    let out = sb.paii_in("t", &["lock"]).fails();
    assert!(out.stderr.contains("`hooks` is not among the selected plugins"), "{}", out.stderr);
}

#[test]
fn optional_contract_without_provider_is_wired_to_none() {
    let sb = Sandbox::with_fixtures();
    sb.paii(&["lock"]).ok();
    let lock = sb.read("fixtures/team/paii.lock");
    assert!(lock.contains("pagerduty = \"none\""), "{lock}");
    assert!(lock.contains("memory = \"history\""), "{lock}");
}

#[test]
fn yanked_versions_are_never_chosen_unless_already_locked() {
    let sb = Sandbox::with_fixtures();
    let manifest = "[registries]\ncore = { path = \"../fixtures/registries/core.toml\" }\n[plugins]\nsecurity = \"~1.3\"\n";
    sb.write("t/paii.toml", manifest);
    let out = sb.paii_in("t", &["lock"]).fails();
    assert!(out.stderr.contains("yanked, so not chosen: security 1.3.0"), "{}", out.stderr);

    // A lock made before the yank keeps working.
    let old_lock = "version = 1\n\n[[plugin]]\nname = \"security\"\nversion = \"1.3.0\"\nregistry = \"core\"\n\
        source = \"git+https://git.example.org/paii/plugins.git?rev=5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b\"\n\
        subdir = \"plugins/security\"\nprovides = [\"HookHandler\"]\n";
    sb.write("t/paii.lock", old_lock);
    sb.paii_in("t", &["lock"]).ok();
    assert!(sb.read("t/paii.lock").contains("version = \"1.3.0\""));
}

#[test]
fn core_version_newer_than_paii_is_explained() {
    let sb = Sandbox::with_fixtures();
    sb.write("t/paii.toml", "[registries]\ncore = { path = \"../fixtures/registries/core.toml\" }\n[plugins]\nsecurity = \"^2\"\n");
    let out = sb.paii_in("t", &["lock"]).fails();
    assert!(out.stderr.contains("security 2.0.0 needs paii >=0.2.0"), "{}", out.stderr);
    assert!(out.stderr.contains("every match needs a newer paii"), "{}", out.stderr);
    // With `^1` the same registry resolves to the newest usable 1.x.
    sb.write("t/paii.toml", "[registries]\ncore = { path = \"../fixtures/registries/core.toml\" }\n[plugins]\nsecurity = \"*\"\n");
    sb.paii_in("t", &["lock"]).ok();
    assert!(sb.read("t/paii.lock").contains("version = \"1.2.0\""));
}

#[test]
fn manifest_needing_a_newer_paii_is_refused() {
    let sb = Sandbox::new();
    sb.write("t/paii.toml", "[paii]\nversion = \">=9.0\"\n");
    let out = sb.paii_in("t", &["lock"]).fails();
    assert!(out.stderr.contains("needs paii >=9.0"), "{}", out.stderr);
}

#[test]
fn unknown_plugin_and_registry_get_suggestions() {
    let sb = Sandbox::with_fixtures();
    sb.write("t/paii.toml", "[registries]\ncore = { path = \"../fixtures/registries/core.toml\" }\n[plugins]\nsecurty = \"^1\"\n");
    let out = sb.paii_in("t", &["lock"]).fails();
    assert!(out.stderr.contains("plugin `securty` is not in any registry (searched `core`)"), "{}", out.stderr);
    assert!(out.stderr.contains("did you mean `security`?"), "{}", out.stderr);
    sb.write("t/paii.toml", "[registries]\ncore = { path = \"../fixtures/registries/core.toml\" }\n[plugins]\nhooks = { version = \"^1\", registry = \"croe\" }\n");
    let out = sb.paii_in("t", &["lock"]).fails();
    assert!(out.stderr.contains("unknown registry `croe`"), "{}", out.stderr);
    assert!(out.stderr.contains("did you mean `core`?"), "{}", out.stderr);
}

#[test]
fn path_plugins_are_locked_relative_to_the_manifest() {
    let sb = Sandbox::new();
    sb.write("plugins/dev/plugin.toml", "[plugin]\nname = \"dev\"\nversion = \"0.3.0\"\n[provides]\nskill = \"dev\"\n");
    sb.write("team/paii.toml", "[plugins]\ndev = { path = \"./../plugins/dev/\" }\n");
    sb.paii_in("team", &["lock"]).ok();
    let lock = sb.read("team/paii.lock");
    assert!(lock.contains("source = \"path+../plugins/dev\""), "{lock}");
    assert!(lock.contains("provides = [\"SkillProvider:dev\"]"), "{lock}");
    sb.write("team/paii.toml", "[plugins]\nother = { path = \"../plugins/dev\" }\n");
    let out = sb.paii_in("team", &["lock"]).fails();
    assert!(out.stderr.contains("plugin.toml named `dev`"), "{}", out.stderr);
}

#[test]
fn two_plugins_with_one_skill_name_are_a_lock_error() {
    let sb = Sandbox::new();
    sb.write("a/plugin.toml", "[plugin]\nname = \"a\"\nversion = \"1.0.0\"\n[provides]\nskill = \"review\"\n");
    sb.write("b/plugin.toml", "[plugin]\nname = \"b\"\nversion = \"1.0.0\"\n[provides]\nskill = \"review\"\n");
    sb.write("t/paii.toml", "[plugins]\na = { path = \"../a\" }\nb = { path = \"../b\" }\n");
    let out = sb.paii_in("t", &["lock"]).fails();
    assert!(out.stderr.contains("plugins `a` and `b` both provide the skill `review`"), "{}", out.stderr);
}

// ---- the lock ----------------------------------------------------------------

#[test]
fn lock_is_byte_identical_across_cwd_timezone_locale_and_manifest_path() {
    let sb = Sandbox::with_fixtures();
    let manifest = sb.team().join("paii.toml");
    sb.paii(&["lock"]).ok();
    let first = sb.read("fixtures/team/paii.lock");
    std::fs::remove_file(sb.team().join("paii.lock")).unwrap();
    let mut cmd = sb.command(&sb.path("fixtures/registries"), &["lock", "--manifest", manifest.to_str().unwrap()]);
    cmd.env("TZ", "Pacific/Kiritimati").env("LC_ALL", "tr_TR.UTF-8").env("LANG", "de_DE.UTF-8");
    common::run(cmd.output().unwrap()).ok();
    assert_eq!(sb.read("fixtures/team/paii.lock"), first);
}

#[test]
fn relock_keeps_locked_versions_and_update_upgrades() {
    let sb = Sandbox::with_fixtures();
    sb.paii(&["lock"]).ok();
    let before = sb.read("fixtures/team/paii.lock");
    assert!(before.contains("version = \"1.2.3\""), "history ~1.2 resolves to 1.2.3");
    // A newer matching history appears in the registry.
    let core = sb.read("fixtures/registries/core.toml")
        + "\n[[plugins]]\nname = \"history\"\nversion = \"1.2.9\"\nsource = \"https://git.example.org/paii/plugins.git\"\nrev = \"0000000000000000000000000000000000000129\"\nintegrity = \"sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"\npath = \"plugins/history\"\nprovides = [\"MemoryProvider\", \"HookHandler\", \"SkillProvider:history\"]\n"
        + "\n[[plugins]]\nname = \"hooks\"\nversion = \"1.1.0\"\nsource = \"https://git.example.org/paii/plugins.git\"\nrev = \"0000000000000000000000000000000000000110\"\nintegrity = \"sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"\npath = \"plugins/hooks\"\nprovides = [\"HookHandler\"]\n";
    sb.write("fixtures/registries/core.toml", &core);
    let out = sb.paii(&["lock"]).ok();
    assert!(out.stderr.contains("is up to date"), "{}", out.stderr);
    assert_eq!(sb.read("fixtures/team/paii.lock"), before, "minimal churn: nothing moves");

    let out = sb.paii(&["lock", "--update", "history"]).ok();
    assert!(out.stderr.contains("history (1.2.3 -> 1.2.9; integrity)"), "{}", out.stderr);
    let after = sb.read("fixtures/team/paii.lock");
    assert!(after.contains("version = \"1.2.9\""));
    assert!(locked(&after, "hooks").contains("version = \"1.0.0\""), "hooks was not named, so it stays");

    sb.paii(&["lock", "--update"]).ok();
    assert!(locked(&sb.read("fixtures/team/paii.lock"), "hooks").contains("version = \"1.1.0\""));
    let out = sb.paii(&["lock", "--update", "histroy"]).fails();
    assert!(out.stderr.contains("did you mean `history`?"), "{}", out.stderr);
}

/// The `[[plugin]]` block of `name` in a lock's text.
fn locked<'a>(lock: &'a str, name: &str) -> &'a str {
    lock.split("[[plugin]]").find(|p| p.contains(&format!("name = \"{name}\""))).unwrap_or_else(|| panic!("{name} not locked:\n{lock}"))
}

#[test]
fn lock_check_exits_1_with_a_diff_summary_and_writes_nothing() {
    let sb = Sandbox::with_fixtures();
    let out = sb.paii(&["lock", "--check"]).fails();
    assert!(out.stderr.contains("paii.lock is missing"), "{}", out.stderr);
    assert!(out.stderr.contains("+ security 1.2.5"), "{}", out.stderr);
    assert!(!sb.team().join("paii.lock").exists());

    sb.paii(&["lock"]).ok();
    sb.paii(&["lock", "--check"]).ok();

    let text = sb.read("fixtures/team/paii.toml").replace("hooks = \"^1\"\n", "");
    sb.write("fixtures/team/paii.toml", &text);
    let before = sb.read("fixtures/team/paii.lock");
    let out = sb.paii(&["lock", "--check"]).fails();
    assert!(out.stderr.contains("is out of date"), "{}", out.stderr);
    assert!(out.stderr.contains("- hooks 1.0.0"), "{}", out.stderr);
    assert_eq!(sb.read("fixtures/team/paii.lock"), before);
}

#[test]
fn corrupt_or_newer_lock_is_an_error_and_is_left_alone() {
    let sb = Sandbox::with_fixtures();
    sb.paii(&["lock"]).ok();
    let broken = sb.read("fixtures/team/paii.lock").replacen("version = \"1.2.3\"", "version = \"1.two\"", 1);
    sb.write("fixtures/team/paii.lock", &broken);
    for args in [&["lock"][..], &["lock", "--check"], &["lock", "--update"]] {
        let out = sb.paii(args).fails();
        assert!(out.stderr.contains("paii.lock:"), "{}", out.stderr);
        assert!(out.stderr.contains("restore it from version control"), "{}", out.stderr);
        assert_eq!(sb.read("fixtures/team/paii.lock"), broken, "never silently rewritten");
    }
    sb.write("fixtures/team/paii.lock", "version = 7\n");
    let out = sb.paii(&["lock"]).fails();
    assert!(out.stderr.contains("written by a newer paii"), "{}", out.stderr);
    assert_eq!(sb.read("fixtures/team/paii.lock"), "version = 7\n");
}

#[test]
fn paii_lock_example_is_the_example_team_lock() {
    let sb = Sandbox::with_fixtures();
    sb.paii(&["lock"]).ok();
    let expected = std::fs::read_to_string(repo_root().join("paii.lock.example")).unwrap();
    assert_eq!(
        sb.read("fixtures/team/paii.lock"),
        expected,
        "paii.lock.example is stale: regenerate it by locking fixtures/team/paii.toml"
    );
}

// ---- registry validate -------------------------------------------------------

#[test]
fn validate_accepts_the_fixture_registries() {
    let sb = Sandbox::with_fixtures();
    for r in ["core", "work"] {
        let out = sb.paii_in("fixtures/registries", &["registry", "validate", &format!("{r}.toml")]).ok();
        assert!(out.stdout.contains("valid ("), "{}", out.stdout);
    }
    let out = sb.paii_in("fixtures/registries", &["registry", "validate", "core.toml", "--format", "github"]).ok();
    assert!(out.stdout.contains("::notice file=core.toml,line="), "yanked entries are noted: {}", out.stdout);
}

#[test]
fn validate_reports_every_problem_in_each_format() {
    let sb = Sandbox::new();
    sb.write(
        "r/bad.toml",
        "[registry]\nname = \"bad\"\n\n[[plugins]]\nname = \"Bad\"\nversion = \"1.0\"\nsource = \"g\"\n\n\
         [[plugins]]\nname = \"tar\"\nversion = \"1.0.0\"\nurl = \"https://example.org/t.tgz\"\ncore_version = \">=x\"\n\n\
         [[plugins]]\nname = \"ok\"\nversion = \"1.0.0\"\nsource = \"g\"\nrev = \"main\"\n\n\
         [[plugins]]\nname = \"ok\"\nversion = \"1.0.0\"\nsource = \"g\"\nrev = \"3f1c2a9e5b7d4c6f8a0b1c2d3e4f5a6b7c8d9e0f\"\n\
         consumes = { memory = { contract = \"MemoryProvider\", optional = false } }\n",
    );
    let text = sb.paii_in("r", &["registry", "validate", "bad.toml"]).fails();
    for needle in [
        "bad.toml:5:8: error: invalid name `Bad`",
        "bad.toml:6:11: error: plugin `Bad`: invalid version `1.0`",
        "needs `integrity`",
        "`core_version`: invalid version requirement `>=x`",
        "warning: ok 1.0.0: `rev = \"main\"` is not a full commit id",
        "error: duplicate entry for ok 1.0.0",
        "requires MemoryProvider (`consumes.memory`), which no plugin in this registry provides",
        "bad.toml: invalid",
    ] {
        assert!(text.stdout.contains(needle), "missing {needle:?} in:\n{}", text.stdout);
    }
    let gh = sb.paii_in("r", &["registry", "validate", "bad.toml", "--format", "github"]).fails();
    assert!(
        gh.stdout.lines().all(|l| l.starts_with("::error file=bad.toml,line=") || l.starts_with("::warning file=bad.toml,line=")),
        "{}",
        gh.stdout
    );
    let json = sb.paii_in("r", &["registry", "validate", "bad.toml", "-o", "json"]).fails().json();
    assert_eq!(json["valid"], false);
    assert_eq!(json["findings"][0]["line"], 5);
    assert_eq!(json["findings"][0]["severity"], "error");
    let missing = sb.paii_in("r", &["registry", "validate", "nope.toml"]).fails();
    assert!(missing.stderr.contains("cannot read nope.toml"), "{}", missing.stderr);
    assert!(!missing.stderr.contains("[registries]"), "{}", missing.stderr);
}

// ---- commands ----------------------------------------------------------------

#[test]
fn init_creates_a_commented_manifest_once() {
    let sb = Sandbox::new();
    sb.paii_in(".", &["init"]).ok();
    let text = std::fs::read_to_string(sb.home().join("paii.toml")).unwrap();
    assert!(text.contains("# security = \"^1.0\""));
    let out = sb.paii_in(".", &["init"]).fails();
    assert!(out.stderr.contains("already exists"), "{}", out.stderr);
    // With no paii.toml upward, commands use $PAII_HOME/paii.toml.
    sb.paii_in(".", &["lock"]).ok();
    assert!(sb.home().join("paii.lock").exists());
}

#[test]
fn plugin_install_edits_paii_toml_keeping_comments_and_locks() {
    let sb = Sandbox::with_fixtures();
    let before = sb.read("fixtures/team/paii.toml");
    let out = sb.paii(&["plugin", "install", "vector-memory", "--registry", "core", "--no-sync"]).fails();
    assert!(out.stderr.contains("2 selected plugins provide it"), "{}", out.stderr);
    assert_eq!(sb.read("fixtures/team/paii.toml"), before, "a failed install changes nothing");
    assert!(!sb.team().join("paii.lock").exists());

    sb.paii(&["plugin", "install", "pagerduty", "--no-sync"]).ok();
    let after = sb.read("fixtures/team/paii.toml");
    assert!(after.contains("pagerduty = \"^0.2.0\""), "{after}");
    assert!(after.contains("# Acme's team configuration"), "comments kept");
    assert!(after.contains("security = \"^1.2\"             # Acme's fork, from `work`"), "layout kept");
    assert!(sb.read("fixtures/team/paii.lock").contains("pagerduty = \"pagerduty\""), "newly provided contract is wired");

    sb.paii(&["plugin", "install", "hooks@=1.0.0", "--no-sync"]).ok();
    assert!(sb.read("fixtures/team/paii.toml").contains("hooks = \"=1.0.0\""));
}

#[test]
fn plugin_remove_drops_the_entry_and_its_wiring() {
    let sb = Sandbox::with_fixtures();
    let text = sb.read("fixtures/team/paii.toml") + "\n[wiring.incident]\nmemory = \"history\"\n";
    sb.write("fixtures/team/paii.toml", &text);
    sb.paii(&["plugin", "remove", "incident", "--no-sync"]).ok();
    let after = sb.read("fixtures/team/paii.toml");
    assert!(!after.contains("incident = \"^1\""));
    assert!(!after.contains("[wiring.incident]"));
    assert!(!sb.read("fixtures/team/paii.lock").contains("name = \"incident\""));
    let out = sb.paii(&["plugin", "remove", "histroy", "--no-sync"]).fails();
    assert!(out.stderr.contains("did you mean"), "{}", out.stderr);
}

#[test]
fn plugin_list_and_info_in_text_and_json() {
    let sb = Sandbox::with_fixtures();
    sb.paii(&["lock"]).ok();
    let list = sb.paii(&["plugin", "list"]).ok();
    assert!(list.stdout.starts_with("NAME"), "{}", list.stdout);
    assert!(list.stdout.contains("security  1.2.5"), "{}", list.stdout);
    let json = sb.paii(&["plugin", "list", "-o", "json"]).ok().json();
    assert_eq!(json.as_array().unwrap().len(), 5);
    assert_eq!(json[0]["name"], "history");
    let info = sb.paii(&["plugin", "info", "incident", "-o", "json"]).ok().json();
    assert_eq!(info["locked"]["version"], "1.1.0");
    assert_eq!(info["locked"]["wiring"]["memory"], "history");
    assert_eq!(info["available"].as_array().unwrap().len(), 2);
    let text = sb.paii(&["plugin", "info", "security"]).ok();
    assert!(text.stdout.contains("source:     git+https://git.acme.example/platform/paii-security.git"), "{}", text.stdout);
}

#[test]
fn registry_list_add_remove_search_and_show() {
    let sb = Sandbox::with_fixtures();
    let list = sb.paii(&["registry", "list", "-o", "json"]).ok().json();
    assert_eq!(list[0]["name"], "work");
    assert_eq!(list[1]["priority"], 2);
    assert_eq!(list[1]["plugins"], 6);

    sb.write("extra/r.toml", "[registry]\nname = \"extra\"\n[[plugins]]\nname = \"lint\"\nversion = \"0.1.0\"\nsource = \"g\"\ndescription = \"Lints prompts\"\n");
    let out = sb.paii(&["registry", "add", "extra", "../../extra/r.toml"]).ok();
    assert!(out.stderr.contains("at priority 3"), "{}", out.stderr);
    assert!(sb.read("fixtures/team/paii.toml").contains("extra = { path = \"../../extra/r.toml\" }"));
    let hits = sb.paii(&["registry", "search", "lint", "-o", "json"]).ok().json();
    assert_eq!(hits[0]["registry"], "extra");
    let bad = sb.paii(&["registry", "add", "broken", "../../extra/missing.toml"]).fails();
    assert!(bad.stderr.contains("missing.toml"), "{}", bad.stderr);
    assert!(!sb.read("fixtures/team/paii.toml").contains("broken"), "not added when unreadable");

    let show = sb.paii(&["registry", "show", "core"]).ok();
    assert!(show.stdout.contains("security"), "{}", show.stdout);
    assert!(show.stdout.contains("(yanked: 1.3.0)"), "{}", show.stdout);
    let search = sb.paii(&["registry", "search", "memory"]).ok();
    assert!(search.stdout.contains("vector-memory"), "{}", search.stdout);

    let out = sb.paii(&["registry", "remove", "work"]).fails();
    assert!(out.stderr.contains("named by plugins jira"), "{}", out.stderr);
    sb.paii(&["registry", "remove", "extra"]).ok();
    assert!(!sb.read("fixtures/team/paii.toml").contains("extra ="));
}

// ---- regressions found in review ---------------------------------------------

#[test]
fn lock_that_is_not_utf8_is_an_error_and_is_kept() {
    let sb = Sandbox::with_fixtures();
    std::fs::write(sb.team().join("paii.lock"), b"version = 1\n\xff\xfe garbage\n").unwrap();
    for args in [&["lock"][..], &["lock", "--check"]] {
        let out = sb.paii(args).fails();
        assert!(out.stderr.contains("paii.lock:2:1: invalid UTF-8 (byte 0xff)"), "{}", out.stderr);
    }
    assert_eq!(std::fs::read(sb.team().join("paii.lock")).unwrap(), b"version = 1\n\xff\xfe garbage\n");
}

#[test]
fn a_failed_command_leaves_paii_home_untouched() {
    let sb = Sandbox::new();
    sb.write("t/paii.toml", "[plugins\n");
    sb.paii_in("t", &["lock"]).fails();
    sb.paii_in("t", &["plugin", "install", "x"]).fails();
    assert!(!sb.home().exists(), "no lock file or directory was created");
}

#[test]
fn pre_release_path_plugins_lock_and_bad_skill_names_do_not() {
    let sb = Sandbox::new();
    sb.write("dev/plugin.toml", "[plugin]\nname = \"dev\"\nversion = \"0.2.0-dev.1\"\nauthor = \"me\"\n");
    sb.write("t/paii.toml", "[plugins]\ndev = { path = \"../dev\" }\n");
    let out = sb.paii_in("t", &["lock"]).ok();
    assert!(out.stderr.contains("unknown key `plugin.author`"), "plugin.toml warnings are shown: {}", out.stderr);
    assert!(sb.read("t/paii.lock").contains("version = \"0.2.0-dev.1\""));
    sb.write("dev/plugin.toml", "[plugin]\nname = \"dev\"\nversion = \"0.2.0\"\n[provides]\nskill = \"\"\n");
    let out = sb.paii_in("t", &["lock"]).fails();
    assert!(out.stderr.contains("invalid name ``"), "{}", out.stderr);
    assert!(out.stderr.contains("plugin.toml:5:9"), "{}", out.stderr);
}

#[test]
fn build_metadata_does_not_change_what_matches() {
    let sb = Sandbox::new();
    sb.write("t/r.toml", "[registry]\nname = \"r\"\n[[plugins]]\nname = \"a\"\nversion = \"1.0.0+b1\"\nsource = \"g\"\nrev = \"3f1c2a9e5b7d4c6f8a0b1c2d3e4f5a6b7c8d9e0f\"\nintegrity = \"sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"\n");
    sb.write("t/paii.toml", "[registries]\nr = { path = \"r.toml\" }\n[plugins]\na = \"=1.0.0\"\n");
    sb.paii_in("t", &["lock"]).ok();
    assert!(sb.read("t/paii.lock").contains("version = \"1.0.0+b1\""));
    sb.write("t/r.toml", "[registry]\nname = \"r\"\n[[plugins]]\nname = \"a\"\nversion = \"1.0.0+b1\"\nsource = \"g\"\nrev = \"3f1c2a9e5b7d4c6f8a0b1c2d3e4f5a6b7c8d9e0f\"\n[[plugins]]\nname = \"a\"\nversion = \"1.0.0+b2\"\nsource = \"h\"\nrev = \"3f1c2a9e5b7d4c6f8a0b1c2d3e4f5a6b7c8d9e0f\"\n");
    let out = sb.paii_in("t", &["lock", "--update"]).fails();
    assert!(out.stderr.contains("duplicate entry for a 1.0.0+b2 (first at line 3)"), "{}", out.stderr);
}

#[test]
fn error_key_paths_hide_serde_internals() {
    let sb = Sandbox::new();
    sb.write("t/paii.toml", "[plugins]\na = { version = 1 }\n");
    let out = sb.paii_in("t", &["lock"]).fails();
    assert!(out.stderr.contains("in `plugins.a.version`"), "{}", out.stderr);
    assert!(!out.stderr.contains("$__serde"), "{}", out.stderr);
}

#[test]
fn verbose_flag_and_paii_log_show_debug_lines() {
    let sb = Sandbox::with_fixtures();
    let out = sb.paii(&["-v", "lock"]).ok();
    assert!(out.stderr.contains("debug: registry `work`"), "{}", out.stderr);
    let quiet = sb.paii(&["lock"]).ok();
    assert!(!quiet.stderr.contains("debug:"), "{}", quiet.stderr);
    let mut cmd = sb.command(&sb.team(), &["lock", "--check"]);
    cmd.env("PAII_LOG", "debug");
    let out = common::run(cmd.output().unwrap()).ok();
    assert!(out.stderr.contains("satisfies") && out.stderr.contains("registries not read"), "{}", out.stderr);
}

#[test]
fn located_errors_for_config_defaults_and_paii_version() {
    let sb = Sandbox::new();
    sb.write("dev/plugin.toml", "[plugin]\nname = \"dev\"\nversion = \"1.0.0\"\n[config]\nn = { type = \"integer\", default = \"x\" }\n");
    sb.write("t/paii.toml", "[plugins]\ndev = { path = \"../dev\" }\n");
    let out = sb.paii_in("t", &["lock"]).fails();
    assert!(out.stderr.contains("plugin.toml:5:25"), "{}", out.stderr);
    sb.write("t/paii.toml", "[paii]\nversion = \">=9\"\n");
    let out = sb.paii_in("t", &["lock"]).fails();
    assert!(out.stderr.contains("paii.toml:2:1"), "{}", out.stderr);
}

// ---- encodings -----------------------------------------------------------------

/// A path plugin with config, a secret and a hook, synced from `t/`, with
/// a user config override and a `.env`.
fn encoded_sandbox() -> Sandbox {
    use std::os::unix::fs::PermissionsExt;
    let sb = Sandbox::new();
    sb.write(
        "plugins/p/plugin.toml",
        "[plugin]\nname = \"p\"\nversion = \"1.0.0\"\n\n[config]\nn = { type = \"integer\", default = 1 }\n\n[secrets]\noptional = [\"K\"]\n\n[hooks]\nstop = true\n\n[run]\ncommand = [\"h.sh\"]\n",
    );
    let h = sb.write("plugins/p/h.sh", "#!/bin/sh\nexit 0\n");
    std::fs::set_permissions(h, std::fs::Permissions::from_mode(0o755)).unwrap();
    sb.write("t/paii.toml", "[plugins]\np = { path = \"../plugins/p\" }\n\n[config.p]\nn = 3\n");
    sb.write("t/registry.toml", "[registry]\nname = \"local\"\n");
    sb.write("paii-home/config/p.toml", "n = 2\n");
    sb.write("paii-home/.env", "K=v\n");
    sb.paii_in("t", &["sync"]).ok();
    sb
}

#[test]
fn invalid_utf8_is_reported_at_its_line_and_column_in_every_file_paii_reads() {
    let sb = encoded_sandbox();
    let cases: [(&str, &[&str]); 6] = [
        ("t/paii.toml", &["sync"]),
        ("plugins/p/plugin.toml", &["sync"]),
        ("t/paii.lock", &["sync", "--locked"]),
        ("paii-home/.env", &["sync"]),
        ("paii-home/config/p.toml", &["sync"]),
        ("t/registry.toml", &["registry", "validate", "registry.toml"]),
    ];
    for (rel, args) in cases {
        let path = sb.path(rel);
        let good = std::fs::read(&path).unwrap();
        let mut bad = good.clone();
        bad.extend_from_slice(b"\n# \xff here\n");
        std::fs::write(&path, &bad).unwrap();
        let out = sb.paii_in("t", args);
        assert_eq!(out.code, 1, "{rel}: {}", out.stderr);
        // `good` ends with a newline: an empty line, then `# \xff`.
        let line = good.iter().filter(|b| **b == b'\n').count() + 2;
        let name = std::path::Path::new(rel).file_name().unwrap().to_str().unwrap();
        assert!(out.stderr.contains(&format!("{name}:{line}:3")), "{rel}: expected {name}:{line}:3 in\n{}", out.stderr);
        assert!(out.stderr.contains("invalid UTF-8 (byte 0xff)"), "{rel}: {}", out.stderr);
        std::fs::write(&path, &good).unwrap();
    }
    sb.paii_in("t", &["sync", "--locked"]).ok();
}

#[test]
fn a_byte_order_mark_is_accepted_everywhere_and_is_never_a_change() {
    let sb = encoded_sandbox();
    let bom = |rel: &str| {
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend(std::fs::read(sb.path(rel)).unwrap());
        std::fs::write(sb.path(rel), bytes).unwrap();
    };
    // An editor saved the lock with a BOM: the same lock, under --locked too.
    bom("t/paii.lock");
    let out = sb.paii_in("t", &["sync", "--locked"]).ok();
    assert!(out.stderr.contains("nothing changed"), "{}", out.stderr);
    sb.paii_in("t", &["lock", "--check"]).ok();
    sb.paii_in("t", &["status"]).ok();
    assert!(std::fs::read(sb.path("t/paii.lock")).unwrap().starts_with(b"\xEF\xBB\xBF"), "the lock was not rewritten");
    for rel in ["t/paii.toml", "paii-home/.env", "paii-home/config/p.toml", "t/registry.toml"] {
        bom(rel);
    }
    let out = sb.paii_in("t", &["sync", "--locked"]).ok();
    assert!(out.stderr.contains("nothing changed"), "{}", out.stderr);
    let out = sb.paii_in("t", &["config", "get", "p.n", "-o", "json"]).ok();
    assert_eq!(out.json()[0]["value"], 2, "{}", out.stdout);
    sb.paii_in("t", &["registry", "validate", "registry.toml"]).ok();
    // A plugin.toml with a BOM is another tree, and still a plugin.toml.
    bom("plugins/p/plugin.toml");
    sb.paii_in("t", &["sync"]).ok();
}
