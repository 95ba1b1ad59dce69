//! `[policy]` in paii.toml (issue 16): a source the team does not allow
//! fails the lock or sync before anything is fetched, naming the plugin and
//! the rule; `registry validate --policy` checks a registry against it.

mod common;

use common::{Sandbox, plugin_repo, repo_root};

#[test]
fn a_plugin_from_a_source_the_policy_does_not_allow_fails_before_anything_is_fetched() {
    let sb = Sandbox::new();
    plugin_repo(&sb.path("repos/tools"), &[("notes", "1.0.0")]);
    let url = format!("file://{}", sb.path("repos/tools").display());
    let body = format!("[plugins]\nnotes = {{ git = \"{url}\", path = \"plugins/notes\", rev = \"main\" }}\n");
    sb.write("team/paii.toml", &format!("[policy]\nallowed-sources = [\"https://github.com/acme/\"]\n\n{body}"));
    let out = sb.paii_in("team", &["sync"]).fails();
    assert!(out.stderr.contains("plugin `notes` comes from file://"), "{}", out.stderr);
    assert!(out.stderr.contains("allowed-sources"), "{}", out.stderr);
    assert!(!sb.home().join("store").exists() || std::fs::read_dir(sb.home().join("store")).unwrap().next().is_none(), "nothing fetched");
    assert!(!sb.path("team/paii.lock").exists(), "nothing locked");

    // Its prefix allowed: it installs.
    sb.write("team/paii.toml", &format!("[policy]\nallowed-sources = [\"file://{}/\"]\n\n{body}", sb.path("repos").display()));
    sb.paii_in("team", &["sync", "-q"]).ok();

    // A binary cache is a source too.
    sb.write(
        "team/paii.toml",
        &format!("[policy]\nallowed-sources = [\"file://{}/\"]\n\n[cache]\nsubstituters = [\"oci://cache.example.org/x/y\"]\ntrusted-keys = [\"k:LPgzxjYSEiyQrO/dSdUDo5mCGnFSEEfbVPAiDCWgBy4=\"]\n\n{body}", sb.path("repos").display()),
    );
    let out = sb.paii_in("team", &["sync"]).fails();
    assert!(out.stderr.contains("the binary cache comes from oci://cache.example.org/x/y"), "{}", out.stderr);
}

#[test]
fn registry_validate_checks_entries_against_a_policy() {
    let sb = Sandbox::with_fixtures();
    sb.write("policy/paii.toml", "[policy]\nallowed-sources = [\"https://git.example.org/acme/\"]\n");
    let core = repo_root().join("fixtures/registries/core.toml").display().to_string();
    let policy = sb.path("policy/paii.toml").display().to_string();
    let out = sb.paii_in("team", &["registry", "validate", &core, "--policy", &policy]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("security 1.0.0 comes from https://git.example.org/paii/plugins.git"), "{}", out.stdout);
    // Without the policy, the same registry is valid.
    assert_eq!(sb.paii_in("team", &["registry", "validate", &core]).code, 0);
}

#[test]
fn registry_validate_checks_a_marketplace_against_a_policy_too() {
    let sb = Sandbox::new();
    sb.write(
        "mkt/.claude-plugin/marketplace.json",
        r#"{"name": "tools", "owner": {"name": "Acme"}, "plugins": [
  {"name": "ours", "source": {"source": "github", "repo": "acme/ours"}},
  {"name": "theirs", "source": {"source": "github", "repo": "someone/theirs"}}
]}"#,
    );
    sb.write("policy/paii.toml", "[policy]\nallowed-sources = [\"https://github.com/acme/\"]\n");
    let mkt = sb.path("mkt").display().to_string();
    let policy = sb.path("policy/paii.toml").display().to_string();
    let out = sb.paii_in("team", &["registry", "validate", &mkt, "--policy", &policy]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("theirs") && out.stdout.contains("https://github.com/someone/theirs"), "{}", out.stdout);
    assert!(!out.stdout.contains("acme/ours.git, which"), "{}", out.stdout);
}
