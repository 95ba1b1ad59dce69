//! Fetching into the store from real git repositories (file:// and a git
//! daemon on 127.0.0.1) and a real HTTP server on 127.0.0.1.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use common::{GitDaemon, HttpServer, Reply, Sandbox, git, plugin_repo, tarball, write_plugin};

/// A registry file with one entry per `(name, version, source lines)`.
fn registry(entries: &[(&str, &str, String)]) -> String {
    let mut s = String::from("[registry]\nname = \"test\"\n");
    for (name, version, source) in entries {
        s.push_str(&format!(
            "\n[[plugins]]\nname = \"{name}\"\nversion = \"{version}\"\n{source}\nprovides = [\"SkillProvider:{name}\"]\n"
        ));
    }
    s
}

/// A team dir `t/` with a registry and a paii.toml asking for `plugins`.
fn team(sb: &Sandbox, registry_text: &str, plugins: &[&str]) {
    sb.write("t/registry.toml", registry_text);
    let mut m = String::from("[registries]\ntest = { path = \"registry.toml\" }\n[plugins]\n");
    for p in plugins {
        m.push_str(&format!("{p} = \"*\"\n"));
    }
    sb.write("t/paii.toml", &m);
}

fn locked<'a>(lock: &'a str, name: &str) -> &'a str {
    lock.split("[[plugin]]").find(|p| p.contains(&format!("name = \"{name}\""))).unwrap_or_else(|| panic!("{name}:\n{lock}"))
}

fn store_entries(sb: &Sandbox) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(sb.home().join("store"))
        .map(|rd| rd.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn git_branch_is_locked_as_a_commit_and_fetched_into_a_read_only_store() {
    let sb = Sandbox::new();
    let repo = sb.path("repos/plugins");
    let commit = plugin_repo(&repo, &[("alpha", "1.0.0"), ("beta", "0.1.0")]);
    let url = format!("file://{}", repo.display());
    team(&sb, &registry(&[("alpha", "1.0.0", format!("source = \"{url}\"\nrev = \"main\"\npath = \"plugins/alpha\""))]), &["alpha"]);

    // The registry pins no integrity: `paii lock` fetches the commit to
    // learn it, so that the lock it writes is one `sync --locked` takes.
    sb.paii_in("t", &["lock"]).ok();
    let lock = sb.read("t/paii.lock");
    assert!(locked(&lock, "alpha").contains(&format!("source = \"git+{url}?rev=main#{commit}\"")), "{lock}");
    assert!(locked(&lock, "alpha").contains("integrity = \"sha256-"), "the lock learns the integrity: {lock}");
    sb.paii_in("t", &["lock", "--check"]).ok();
    // A lock without it (an older paii's) is out of date, and `lock` completes it.
    let stripped: String = lock.lines().filter(|l| !l.starts_with("integrity")).map(|l| format!("{l}\n")).collect();
    sb.write("t/paii.lock", &stripped);
    let out = sb.paii_in("t", &["lock", "--check"]).fails();
    assert!(out.stderr.contains("lacks the integrity of alpha"), "{}", out.stderr);
    sb.paii_in("t", &["lock"]).ok();
    assert_eq!(sb.read("t/paii.lock"), lock);

    let out = sb.paii_in("t", &["sync", "--locked"]).ok();
    assert!(out.stderr.contains("1 plugin in the store (0 fetched, 1 already there)"), "lock fetched it: {}", out.stderr);
    // `plugin install` writes as complete a lock.
    sb.write("t/paii.toml", "[registries]\ntest = { path = \"registry.toml\" }\n[plugins]\n");
    std::fs::remove_file(sb.path("t/paii.lock")).unwrap();
    sb.paii_in("t", &["plugin", "install", "alpha", "--no-sync"]).ok();
    assert!(locked(&sb.read("t/paii.lock"), "alpha").contains("integrity = \"sha256-"), "{}", sb.read("t/paii.lock"));
    sb.paii_in("t", &["lock", "--check"]).ok();
    sb.paii_in("t", &["sync", "--locked", "-q"]).ok();
    assert_eq!(sb.read("t/paii.lock"), lock);
    let entries = store_entries(&sb);
    assert_eq!(entries.len(), 1, "{entries:?}");
    let entry = sb.home().join("store").join(&entries[0]);
    assert!(entry.join("plugin.toml").is_file());
    assert!(!entry.join("../beta").exists() && !entry.join("plugins").exists(), "only the subtree is checked out");
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&entry), 0o555);
    assert_eq!(mode(&entry.join("SKILL.md")), 0o444);
    assert_eq!(mode(&entry.join("bin/run")), 0o555);

    let again = sb.paii_in("t", &["sync"]).ok();
    assert!(again.stderr.contains("1 plugin in the store (0 fetched, 1 already there)"), "{}", again.stderr);
}

#[test]
fn a_locked_commit_is_not_re_resolved_when_the_branch_moves() {
    let sb = Sandbox::new();
    let repo = sb.path("repos/plugins");
    let first = plugin_repo(&repo, &[("alpha", "1.0.0")]);
    let url = format!("file://{}", repo.display());
    team(&sb, &registry(&[("alpha", "1.0.0", format!("source = \"{url}\"\nrev = \"main\"\npath = \"plugins/alpha\""))]), &["alpha"]);
    sb.paii_in("t", &["sync"]).ok();
    std::fs::write(repo.join("plugins/alpha/SKILL.md"), "changed\n").unwrap();
    git(&repo, &["commit", "-q", "-am", "change"]);
    let second = git(&repo, &["rev-parse", "HEAD"]);
    sb.paii_in("t", &["sync", "--locked"]).ok();
    assert!(sb.read("t/paii.lock").contains(&first));
    sb.paii_in("t", &["lock", "--update"]).ok();
    let lock = sb.read("t/paii.lock");
    assert!(lock.contains(&second), "{lock}");
    assert!(locked(&lock, "alpha").contains("integrity"), "the new commit's integrity, learned by fetching it: {lock}");
    sb.paii_in("t", &["sync", "--locked"]).ok();
    assert_eq!(store_entries(&sb).len(), 2, "the old entry stays for older generations");
}

#[test]
fn tags_resolve_and_a_missing_rev_or_path_is_a_clear_error() {
    let sb = Sandbox::new();
    let repo = sb.path("repos/plugins");
    let commit = plugin_repo(&repo, &[("alpha", "1.0.0")]);
    let url = format!("file://{}", repo.display());
    team(&sb, &registry(&[("alpha", "1.0.0", format!("source = \"{url}\"\nrev = \"v1\"\npath = \"plugins/alpha\""))]), &["alpha"]);
    sb.paii_in("t", &["sync"]).ok();
    assert!(sb.read("t/paii.lock").contains(&commit));

    team(&sb, &registry(&[("alpha", "1.0.0", format!("source = \"{url}\"\nrev = \"nope\"\npath = \"plugins/alpha\""))]), &["alpha"]);
    std::fs::remove_file(sb.path("t/paii.lock")).unwrap();
    let out = sb.paii_in("t", &["sync"]).fails();
    assert!(out.stderr.contains("plugin `alpha`: `nope` does not exist in"), "{}", out.stderr);

    team(&sb, &registry(&[("alpha", "1.0.0", format!("source = \"{url}\"\nrev = \"main\"\npath = \"plugins/gamma\""))]), &["alpha"]);
    let out = sb.paii_in("t", &["sync"]).fails();
    assert!(out.stderr.contains("plugin `alpha`: git"), "{}", out.stderr);
    assert!(out.stderr.contains("has no `plugins/gamma`"), "{}", out.stderr);

    team(&sb, &registry(&[("alpha", "1.0.0", format!("source = \"{url}\"\nrev = \"main\"\npath = \"plugins\""))]), &["alpha"]);
    let out = sb.paii_in("t", &["sync"]).fails();
    assert!(out.stderr.contains("holds neither plugin.toml nor .claude-plugin/plugin.json at its root"), "{}", out.stderr);

    team(&sb, &registry(&[("alpha", "2.0.0", format!("source = \"{url}\"\nrev = \"main\"\npath = \"plugins/alpha\""))]), &["alpha"]);
    let out = sb.paii_in("t", &["sync"]).fails();
    assert!(out.stderr.contains("plugin.toml says alpha 1.0.0, the lock says alpha 2.0.0"), "{}", out.stderr);
    assert_eq!(store_entries(&sb).len(), 1, "failed fetches add nothing to the store");
}

#[test]
fn git_daemon_transport_fetches() {
    let sb = Sandbox::new();
    let commit = plugin_repo(&sb.path("repos/plugins"), &[("alpha", "1.0.0")]);
    let daemon = GitDaemon::start(&sb.path("repos"));
    let url = daemon.url("plugins");
    team(&sb, &registry(&[("alpha", "1.0.0", format!("source = \"{url}\"\nrev = \"main\"\npath = \"plugins/alpha\""))]), &["alpha"]);
    sb.paii_in("t", &["sync"]).ok();
    assert!(sb.read("t/paii.lock").contains(&format!("git+{url}?rev=main#{commit}")));
    // One bare cache per URL.
    let caches = std::fs::read_dir(sb.home().join("cache/git"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".git"))
        .count();
    assert_eq!(caches, 1);
}

#[test]
fn the_same_tree_hashes_the_same_from_git_tarball_and_path() {
    let sb = Sandbox::new();
    let repo = sb.path("repos/plugins");
    let commit = plugin_repo(&repo, &[("alpha", "1.0.0")]);
    let tree = sb.path("repos/plugins/plugins/alpha");
    let http = HttpServer::start(vec![("/alpha.tar.gz", Reply::Bytes(tarball(&tree, "alpha-1.0.0")))]);

    // git first, to learn the hash.
    team(
        &sb,
        &registry(&[("alpha", "1.0.0", format!("source = \"file://{}\"\nrev = \"{commit}\"\npath = \"plugins/alpha\"", repo.display()))]),
        &["alpha"],
    );
    sb.paii_in("t", &["sync"]).ok();
    let lock = sb.read("t/paii.lock");
    let integrity = locked(&lock, "alpha").lines().find(|l| l.starts_with("integrity")).unwrap().split('"').nth(1).unwrap().to_string();

    // The tarball must match that hash exactly (it is refused otherwise).
    team(
        &sb,
        &registry(&[("alpha", "1.0.0", format!("url = \"{}\"\nintegrity = \"{integrity}\"", http.url("/alpha.tar.gz")))]),
        &["alpha"],
    );
    std::fs::remove_file(sb.path("t/paii.lock")).unwrap();
    sb.paii_in("t", &["sync"]).ok();
    assert!(sb.read("t/paii.lock").contains(&integrity));

    // A path plugin hashes the same: it lands in the same store entry.
    sb.write("t/paii.toml", &format!("[plugins]\nalpha = {{ path = \"{}\" }}\n", tree.display()));
    let out = sb.paii_in("t", &["sync"]).ok();
    assert!(out.stderr.contains("(0 fetched, 1 already there)"), "{}", out.stderr);
    let hex: String = {
        use base64::Engine;
        let b64 = integrity.trim_start_matches("sha256-");
        base64::engine::general_purpose::STANDARD.decode(b64).unwrap().iter().map(|b| format!("{b:02x}")).collect()
    };
    assert!(store_entries(&sb)[0].starts_with(&hex[..32]));
}

#[test]
fn a_wrong_hash_is_refused_naming_source_expected_and_computed() {
    let sb = Sandbox::new();
    let dir = sb.path("src/alpha");
    write_plugin(&dir, "alpha", "1.0.0");
    let http = HttpServer::start(vec![("/a.tgz", Reply::Bytes(tarball(&dir, "alpha")))]);
    let wrong = "sha256-pQpattmS9VmO3ZIQUFn66az8GSmB4IvYhTTCFn6SUmo=";
    team(&sb, &registry(&[("alpha", "1.0.0", format!("url = \"{}\"\nintegrity = \"{wrong}\"", http.url("/a.tgz")))]), &["alpha"]);
    let out = sb.paii_in("t", &["sync"]).fails();
    assert!(out.stderr.contains(&format!("integrity mismatch for tarball {}", http.url("/a.tgz"))), "{}", out.stderr);
    assert!(out.stderr.contains(&format!("expected: {wrong}")), "{}", out.stderr);
    assert!(out.stderr.contains("computed: sha256-"), "{}", out.stderr);
    assert!(store_entries(&sb).is_empty(), "nothing enters the store: {:?}", store_entries(&sb));
}

#[test]
fn transient_http_failures_are_retried_and_permanent_ones_reported() {
    let sb = Sandbox::new();
    let dir = sb.path("src/alpha");
    write_plugin(&dir, "alpha", "1.0.0");
    let bytes = tarball(&dir, "alpha");
    let http = HttpServer::start(vec![
        ("/flaky.tgz", Reply::FailThen(vec![500, 503], bytes.clone())),
        ("/moved.tgz", Reply::Redirect("/flaky.tgz".into())),
        ("/cut.tgz", Reply::Truncated(bytes.clone(), bytes.len() / 2)),
    ]);
    // Learn the integrity from a path plugin of the same tree.
    sb.write("p/paii.toml", &format!("[plugins]\nalpha = {{ path = \"{}\" }}\n", dir.display()));
    sb.paii_in("p", &["sync"]).ok();
    let integrity = paii::store::integrity::hash_path(&dir).unwrap().to_string();

    team(&sb, &registry(&[("alpha", "1.0.0", format!("url = \"{}\"\nintegrity = \"{integrity}\"", http.url("/flaky.tgz")))]), &["alpha"]);
    std::fs::remove_dir_all(sb.home().join("store")).ok();
    sb.paii_in("t", &["sync"]).ok();
    assert_eq!(http.hits("/flaky.tgz"), 3, "two 5xx answers, then success");

    let sb2 = Sandbox::new();
    team(&sb2, &registry(&[("alpha", "1.0.0", format!("url = \"{}\"\nintegrity = \"{integrity}\"", http.url("/moved.tgz")))]), &["alpha"]);
    sb2.paii_in("t", &["sync"]).ok();

    let sb3 = Sandbox::new();
    team(
        &sb3,
        &registry(&[("alpha", "1.0.0", format!("url = \"{}\"\nintegrity = \"{integrity}\"", http.url("/missing.tgz")))]),
        &["alpha"],
    );
    let out = sb3.paii_in("t", &["sync"]).fails();
    assert!(out.stderr.contains("plugin `alpha`: tarball"), "{}", out.stderr);
    assert!(out.stderr.contains("HTTP 404"), "{}", out.stderr);
    assert_eq!(http.hits("/missing.tgz"), 1, "a 404 is not retried");

    team(&sb3, &registry(&[("alpha", "1.0.0", format!("url = \"{}\"\nintegrity = \"{integrity}\"", http.url("/cut.tgz")))]), &["alpha"]);
    std::fs::remove_file(sb3.path("t/paii.lock")).ok();
    let out = sb3.paii_in("t", &["sync"]).fails();
    assert!(out.stderr.contains("cut short"), "{}", out.stderr);
    assert_eq!(http.hits("/cut.tgz"), 3, "truncation is retried");
    assert!(
        !sb3.home()
            .join("cache/downloads")
            .read_dir()
            .map(|mut d| d.any(|e| e.unwrap().file_name().to_string_lossy().len() == 32))
            .unwrap_or(false),
        "no partial download is cached"
    );

    let sb4 = Sandbox::new();
    team(
        &sb4,
        &registry(&[("alpha", "1.0.0", format!("url = \"http://127.0.0.1:{}/x.tgz\"\nintegrity = \"{integrity}\"", common::free_port()))]),
        &["alpha"],
    );
    let out = sb4.paii_in("t", &["sync"]).fails();
    assert!(out.stderr.contains("plugin `alpha`: tarball http://127.0.0.1:"), "{}", out.stderr);
}

#[test]
fn netrc_credentials_are_used_and_never_shown() {
    let sb = Sandbox::new();
    let dir = sb.path("src/alpha");
    write_plugin(&dir, "alpha", "1.0.0");
    let http = HttpServer::start(vec![("/private.tgz", Reply::Auth("bot".into(), "s3cret-token".into(), tarball(&dir, "alpha")))]);
    let integrity = paii::store::integrity::hash_path(&dir).unwrap().to_string();
    let url = format!("http://bot:s3cret-token@127.0.0.1:{}/private.tgz", http.port);
    team(&sb, &registry(&[("alpha", "1.0.0", format!("url = \"{url}\"\nintegrity = \"{integrity}\""))]), &["alpha"]);
    let out = sb.paii_in("t", &["sync"]).fails();
    assert!(out.stderr.contains("HTTP 401"), "{}", out.stderr);
    assert!(!out.stderr.contains("s3cret"), "{}", out.stderr);
    assert!(!sb.path("t/paii.lock").exists(), "a failed sync writes no lock");

    std::fs::create_dir_all(sb.path("home")).unwrap();
    sb.write("home/.netrc", "machine 127.0.0.1\n  login bot\n  password s3cret-token\n");
    sb.paii_in("t", &["sync"]).ok();
    assert!(!sb.read("t/paii.lock").contains("s3cret"));
}

#[test]
fn offline_and_frozen_use_only_the_store() {
    let sb = Sandbox::new();
    let repo = sb.path("repos/plugins");
    plugin_repo(&repo, &[("alpha", "1.0.0")]);
    let url = format!("file://{}", repo.display());
    team(&sb, &registry(&[("alpha", "1.0.0", format!("source = \"{url}\"\nrev = \"main\"\npath = \"plugins/alpha\""))]), &["alpha"]);

    let out = sb.paii_in("t", &["sync", "--offline"]).fails();
    assert!(out.stderr.contains("plugin `alpha`"), "{}", out.stderr);
    assert!(out.stderr.contains("--offline allows no network"), "{}", out.stderr);

    sb.paii_in("t", &["sync"]).ok();
    std::fs::rename(&repo, sb.path("repos/gone")).unwrap();
    sb.paii_in("t", &["sync", "--frozen"]).ok();
    sb.paii_in("t", &["sync", "--offline"]).ok();

    // --frozen never rewrites the lock.
    let lock = sb.read("t/paii.lock");
    let without = lock.lines().filter(|l| !l.starts_with("integrity")).collect::<Vec<_>>().join("\n") + "\n";
    sb.write("t/paii.lock", &without);
    let out = sb.paii_in("t", &["sync", "--frozen"]).fails();
    assert!(out.stderr.contains("--locked forbids"), "{}", out.stderr);
    assert_eq!(sb.read("t/paii.lock"), without);
}

#[test]
fn plugin_verify_finds_a_corrupted_store_entry() {
    let sb = Sandbox::new();
    let dir = sb.path("src/alpha");
    write_plugin(&dir, "alpha", "1.0.0");
    sb.write("t/paii.toml", &format!("[plugins]\nalpha = {{ path = \"{}\" }}\n", dir.display()));
    sb.paii_in("t", &["sync"]).ok();
    let out = sb.paii_in("t", &["plugin", "verify"]).ok();
    assert!(out.stdout.starts_with("ok "), "{}", out.stdout);
    let entry = sb.home().join("store").join(&store_entries(&sb)[0]);
    std::fs::set_permissions(entry.join("SKILL.md"), std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::write(entry.join("SKILL.md"), "tampered").unwrap();
    let out = sb.paii_in("t", &["plugin", "verify", "alpha", "-o", "json"]).fails();
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(report[0]["ok"], false);
    assert!(report[0]["computed"].as_str().unwrap().starts_with("sha256-"));
}

#[test]
fn a_killed_sync_leaves_only_temporaries_that_the_next_sync_removes() {
    let sb = Sandbox::new();
    let dir = sb.path("src/alpha");
    write_plugin(&dir, "alpha", "1.0.0");
    // Pad the plugin so that the slow download takes a while.
    let mut x: u64 = 1;
    let noise: Vec<u8> = (0..256 * 1024)
        .map(|_| {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
            (x >> 56) as u8
        })
        .collect();
    std::fs::write(dir.join("data.bin"), noise).unwrap();
    let bytes = tarball(&dir, "alpha");
    let http = HttpServer::start(vec![("/slow.tgz", Reply::Slow(bytes.clone(), 1024, 20)), ("/fast.tgz", Reply::Bytes(bytes))]);
    let integrity = paii::store::integrity::hash_path(&dir).unwrap().to_string();
    team(&sb, &registry(&[("alpha", "1.0.0", format!("url = \"{}\"\nintegrity = \"{integrity}\"", http.url("/slow.tgz")))]), &["alpha"]);
    let mut child = sb.command(&sb.path("t"), &["sync"]).stderr(std::process::Stdio::null()).spawn().unwrap();
    while http.hits("/slow.tgz") == 0 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(store_entries(&sb).iter().all(|e| e.starts_with('.')), "no entry under a final name: {:?}", store_entries(&sb));

    // Leave a half-assembled entry as a kill during extraction would.
    std::fs::create_dir_all(sb.home().join("store/.tmp-killed/tree")).unwrap();
    team(&sb, &registry(&[("alpha", "1.0.0", format!("url = \"{}\"\nintegrity = \"{integrity}\"", http.url("/fast.tgz")))]), &["alpha"]);
    sb.paii_in("t", &["sync"]).ok();
    let entries = store_entries(&sb);
    assert_eq!(entries.len(), 1, "temporaries cleaned, one complete entry: {entries:?}");
    assert!(!entries[0].starts_with('.'));
}

#[test]
fn dry_run_changes_nothing() {
    let sb = Sandbox::new();
    let repo = sb.path("repos/plugins");
    plugin_repo(&repo, &[("alpha", "1.0.0")]);
    let commit = git(&repo, &["rev-parse", "HEAD"]);
    team(
        &sb,
        &registry(&[("alpha", "1.0.0", format!("source = \"file://{}\"\nrev = \"{commit}\"\npath = \"plugins/alpha\"", repo.display()))]),
        &["alpha"],
    );
    let out = sb.paii_in("t", &["sync", "--dry-run"]).ok();
    assert!(out.stderr.contains("would fetch alpha 1.0.0"), "{}", out.stderr);
    assert!(!sb.path("t/paii.lock").exists());
    assert!(store_entries(&sb).is_empty());
}

#[test]
fn plugins_straight_from_git_and_tarballs_are_installed_and_locked() {
    let sb = Sandbox::new();
    let repo = sb.path("repos/tools");
    let commit = plugin_repo(&repo, &[("mytool", "2.0.1")]);
    sb.write("t/paii.toml", "# my setup\n[plugins]\n");
    let url = format!("file://{}", repo.display());
    sb.paii_in("t", &["plugin", "install", "mytool", "--git", &url, "--rev", "main", "--path", "plugins/mytool"]).ok();
    let manifest = sb.read("t/paii.toml");
    assert!(manifest.contains(&format!("mytool = {{ git = \"{url}\", rev = \"main\", path = \"plugins/mytool\" }}")), "{manifest}");
    assert!(manifest.starts_with("# my setup"));
    let lock = sb.read("t/paii.lock");
    let entry = locked(&lock, "mytool");
    assert!(entry.contains(&format!("source = \"git+{url}?rev=main#{commit}\"")), "{entry}");
    assert!(entry.contains("version = \"2.0.1\"") && entry.contains("integrity = \"sha256-"), "{entry}");
    assert!(entry.contains("provides = [\"SkillProvider:mytool\"]"), "{entry}");
    sb.paii_in("t", &["sync", "--locked"]).ok();

    // A tarball without a hash in paii.toml is hashed on first fetch.
    let dir = sb.path("src/blob");
    write_plugin(&dir, "blob", "1.0.0");
    let http = HttpServer::start(vec![("/blob-1.0.tar.gz", Reply::Bytes(tarball(&dir, "blob-1.0")))]);
    sb.paii_in("t", &["plugin", "install", "blob", "--url", &http.url("/blob-1.0.tar.gz")]).ok();
    let lock = sb.read("t/paii.lock");
    let expected = paii::store::integrity::hash_path(&dir).unwrap().to_string();
    assert!(locked(&lock, "blob").contains(&format!("integrity = \"{expected}\"")), "{lock}");

    // A plugin.toml that names another plugin is refused.
    sb.write("t/paii.toml", &format!("[plugins]\nother = {{ git = \"{url}\", path = \"plugins/mytool\" }}\n"));
    let out = sb.paii_in("t", &["lock"]).fails();
    assert!(out.stderr.contains("plugin.toml named `mytool`"), "{}", out.stderr);
}

#[test]
fn http_and_git_registries_are_fetched_kept_and_recorded_in_the_lock() {
    let sb = Sandbox::new();
    let repo = sb.path("repos/plugins");
    let commit = plugin_repo(&repo, &[("alpha", "1.0.0")]);
    let url = format!("file://{}", repo.display());
    let reg_text = registry(&[("alpha", "1.0.0", format!("source = \"{url}\"\nrev = \"{commit}\"\npath = \"plugins/alpha\""))]);
    // The same registry over HTTP and inside a git repository.
    let http = HttpServer::start(vec![("/registry.toml", Reply::Bytes(reg_text.clone().into_bytes()))]);
    let reg_repo = sb.path("repos/registry");
    std::fs::create_dir_all(&reg_repo).unwrap();
    std::fs::write(reg_repo.join("index.toml"), &reg_text).unwrap();
    git(&reg_repo, &["init", "-q", "-b", "main"]);
    git(&reg_repo, &["add", "-A"]);
    git(&reg_repo, &["commit", "-q", "-m", "registry"]);
    let reg_commit = git(&reg_repo, &["rev-parse", "HEAD"]);

    sb.write("t/paii.toml", &format!("[registries]\nweb = \"{}\"\n[plugins]\nalpha = \"^1\"\n", http.url("/registry.toml")));
    sb.paii_in("t", &["sync"]).ok();
    assert!(sb.home().join("registries/web.toml").is_file(), "kept in $PAII_HOME/registries");
    let lock = sb.read("t/paii.lock");
    assert!(lock.contains("[[registry]]\nname = \"web\""), "{lock}");
    assert!(lock.contains("hash = \"sha256-"), "{lock}");

    // A locked sync needs no registry at all: the server is gone.
    drop(http);
    std::fs::remove_dir_all(sb.home().join("registries")).unwrap();
    sb.paii_in("t", &["sync", "--frozen"]).ok();
    let out = sb.paii_in("t", &["registry", "update"]).fails();
    assert!(out.stderr.contains("registry `web`"), "{}", out.stderr);

    sb.write(
        "t2/paii.toml",
        &format!(
            "[registries]\nteam = {{ git = \"file://{}\", path = \"index.toml\", rev = \"main\" }}\n[plugins]\nalpha = \"^1\"\n",
            reg_repo.display()
        ),
    );
    sb.paii_in("t2", &["sync"]).ok();
    let lock = sb.read("t2/paii.lock");
    assert!(lock.contains(&format!("commit = \"{reg_commit}\"")), "the registry's commit is locked: {lock}");
    let out = sb.paii_in("t2", &["registry", "update", "team", "-o", "json"]).ok().json();
    assert_eq!(out[0]["commit"], reg_commit.as_str());
    assert_eq!(out[0]["versions"], 1);
    let out = sb.paii_in("t2", &["registry", "update", "nope"]).fails();
    assert!(out.stderr.contains("registry `nope` is not in paii.toml"), "{}", out.stderr);
}

#[test]
fn validate_fetch_checks_integrity_and_plugin_toml_against_each_entry() {
    let sb = Sandbox::new();
    let repo = sb.path("repos/plugins");
    let commit = plugin_repo(&repo, &[("alpha", "1.0.0"), ("beta", "0.1.0")]);
    let url = format!("file://{}", repo.display());
    let good = paii::store::integrity::hash_path(&repo.join("plugins/alpha")).unwrap().to_string();
    let wrong = "sha256-pQpattmS9VmO3ZIQUFn66az8GSmB4IvYhTTCFn6SUmo=";
    let src = |p: &str| format!("source = \"{url}\"\nrev = \"{commit}\"\npath = \"plugins/{p}\"");
    let text = format!(
        "[registry]\nname = \"r\"\n\n\
         [[plugins]]\nname = \"alpha\"\nversion = \"1.0.0\"\n{}\nintegrity = \"{good}\"\nprovides = [\"SkillProvider:alpha\"]\n\n\
         [[plugins]]\nname = \"beta\"\nversion = \"0.1.0\"\n{}\nintegrity = \"{wrong}\"\nprovides = [\"SkillProvider:beta\"]\n\n\
         [[plugins]]\nname = \"beta\"\nversion = \"0.2.0\"\n{}\nprovides = [\"MemoryProvider\"]\n",
        src("alpha"),
        src("beta"),
        src("beta")
    );
    sb.write("r/registry.toml", &text);
    let plain = sb.paii_in("r", &["registry", "validate", "registry.toml"]).ok();
    assert!(plain.stdout.contains("valid"), "{}", plain.stdout);
    let out = sb.paii_in("r", &["registry", "validate", "registry.toml", "--fetch"]).fails();
    assert!(!out.stdout.contains("alpha 1.0.0:"), "alpha agrees with its entry: {}", out.stdout);
    assert!(out.stdout.contains("integrity mismatch"), "{}", out.stdout);
    assert!(out.stdout.contains(&format!("expected: {wrong}")), "{}", out.stdout);
    assert!(out.stdout.contains("beta 0.2.0: `version` is 0.2.0 in the registry but 0.1.0 in plugin.toml"), "{}", out.stdout);
    assert!(
        out.stdout.contains("`provides` is [MemoryProvider] in the registry but [SkillProvider:beta] in plugin.toml"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("beta 0.2.0: the tree hashes to sha256-"), "{}", out.stdout);
    assert!(!sb.home().join("store").exists(), "validation leaves PAII_HOME alone");
}

/// A registry entry in the upstream format lists no contracts; the lock
/// wires them from the registry, so a sync says how the entry differs from
/// the plugin.toml it fetched instead of leaving a consumer silently unwired.
#[test]
fn a_registry_entry_whose_contracts_differ_from_its_plugin_is_reported_by_sync() {
    let sb = Sandbox::new();
    let repo = sb.path("repos/plugins");
    let commit = plugin_repo(&repo, &[("alpha", "1.0.0")]);
    let url = format!("file://{}", repo.display());
    let entry = format!(
        "[registry]\nname = \"test\"\n\n[[plugins]]\nname = \"alpha\"\nversion = \"1.0.0\"\nsource = \"{url}\"\nrev = \"{commit}\"\npath = \"plugins/alpha\"\n"
    );
    team(&sb, &entry, &["alpha"]);
    let out = sb.paii_in("t", &["sync"]).ok();
    assert!(
        out.stderr.contains("warning: registry `test` says alpha 1.0.0 provides [] but its plugin.toml [SkillProvider:alpha]"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("paii registry validate --fetch"), "{}", out.stderr);
    // The entry brought up to date and the lock with it: nothing to say.
    team(&sb, &registry(&[("alpha", "1.0.0", format!("source = \"{url}\"\nrev = \"{commit}\"\npath = \"plugins/alpha\""))]), &["alpha"]);
    sb.paii_in("t", &["lock", "--update", "alpha"]).ok();
    let out = sb.paii_in("t", &["sync"]).ok();
    assert!(!out.stderr.contains("warning"), "{}", out.stderr);
}

#[test]
fn submodules_are_refused_by_name() {
    let sb = Sandbox::new();
    let inner = sb.path("repos/inner");
    plugin_repo(&inner, &[("inner", "0.1.0")]);
    let repo = sb.path("repos/outer");
    plugin_repo(&repo, &[("alpha", "1.0.0")]);
    git(
        &repo,
        &["-c", "protocol.file.allow=always", "submodule", "add", "-q", &format!("file://{}", inner.display()), "plugins/alpha/vendor"],
    );
    git(&repo, &["commit", "-q", "-m", "submodule"]);
    let url = format!("file://{}", repo.display());
    team(&sb, &registry(&[("alpha", "1.0.0", format!("source = \"{url}\"\nrev = \"main\"\npath = \"plugins/alpha\""))]), &["alpha"]);
    let out = sb.paii_in("t", &["sync"]).fails();
    assert!(out.stderr.contains("has a git submodule at `vendor`; submodules are not supported"), "{}", out.stderr);
    assert!(store_entries(&sb).is_empty());
}

#[test]
fn proxy_variables_are_honoured() {
    let sb = Sandbox::new();
    let dir = sb.path("src/alpha");
    write_plugin(&dir, "alpha", "1.0.0");
    let integrity = paii::store::integrity::hash_path(&dir).unwrap().to_string();
    // The proxy is asked for an absolute URL whose host does not exist.
    let target = "http://plugins.invalid/alpha.tgz";
    let proxy = HttpServer::start(vec![(target, Reply::Bytes(tarball(&dir, "alpha")))]);
    team(&sb, &registry(&[("alpha", "1.0.0", format!("url = \"{target}\"\nintegrity = \"{integrity}\""))]), &["alpha"]);
    let mut cmd = sb.command(&sb.path("t"), &["sync"]);
    cmd.env("http_proxy", proxy.url("")).env("HTTP_PROXY", proxy.url(""));
    common::run(cmd.output().unwrap()).ok();
    assert_eq!(proxy.hits(target), 1);
}

#[test]
fn archives_other_than_tar_and_zip_are_a_clear_error() {
    let sb = Sandbox::new();
    let http = HttpServer::start(vec![
        ("/alpha.rar", Reply::Bytes(b"Rar!\x1a\x07\x00 not a tarball".to_vec())),
        ("/beta.zip", Reply::Bytes(b"PK\x03\x04 cut short".to_vec())),
    ]);
    sb.write("t/paii.toml", &format!("[plugins]\nalpha = {{ url = \"{}\" }}\n", http.url("/alpha.rar")));
    let out = sb.paii_in("t", &["lock"]).fails();
    assert!(out.stderr.contains("unsupported archive format"), "{}", out.stderr);
    assert!(out.stderr.contains(".tar.gz, .tgz, .tar and .zip"), "{}", out.stderr);
    sb.write("t/paii.toml", &format!("[plugins]\nbeta = {{ url = \"{}\" }}\n", http.url("/beta.zip")));
    let out = sb.paii_in("t", &["lock"]).fails();
    assert!(out.stderr.contains("invalid Zip archive"), "{}", out.stderr);
}

#[test]
fn git_over_smart_http_fetches() {
    let sb = Sandbox::new();
    // The CGI server runs as `nobody`: the repositories must be readable.
    std::fs::set_permissions(sb.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let commit = plugin_repo(&sb.path("repos/plugins"), &[("alpha", "1.0.0")]);
    std::process::Command::new("chmod").args(["-R", "a+rX"]).arg(sb.path("repos")).status().unwrap();
    let server = common::GitHttp::start(&sb.path("repos"), &sb.path("www"));
    let url = server.url("plugins");
    team(&sb, &registry(&[("alpha", "1.0.0", format!("source = \"{url}\"\nrev = \"main\"\npath = \"plugins/alpha\""))]), &["alpha"]);
    sb.paii_in("t", &["sync"]).ok();
    assert!(sb.read("t/paii.lock").contains(&format!("git+{url}?rev=main#{commit}")));
}

#[test]
fn parallel_fetches_and_concurrent_syncs_share_one_git_cache_safely() {
    let sb = Sandbox::new();
    let names: Vec<String> = (0..6).map(|i| format!("p{i}")).collect();
    let plugins: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "1.0.0")).collect();
    let repo = sb.path("repos/many");
    let commit = plugin_repo(&repo, &plugins);
    let url = format!("file://{}", repo.display());
    let entries: Vec<(&str, &str, String)> =
        names.iter().map(|n| (n.as_str(), "1.0.0", format!("source = \"{url}\"\nrev = \"{commit}\"\npath = \"plugins/{n}\""))).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    team(&sb, &registry(&entries), &refs);
    // Two syncs at once on one PAII_HOME, each fetching six plugins of one
    // repository in parallel: both must succeed.
    let quiet = |mut c: std::process::Command| {
        c.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
        c.spawn().unwrap()
    };
    let b_child = quiet(sb.command(&sb.path("t"), &["sync", "-j", "6"]));
    let a = sb.command(&sb.path("t"), &["sync", "-j", "6"]).output().unwrap();
    let b = b_child.wait_with_output().unwrap();
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
    let mut children: Vec<_> = (0..3).map(|_| quiet(sb.command(&sb.path("t"), &["sync", "-j", "6"]))).collect();
    for c in children.drain(..) {
        assert!(c.wait_with_output().unwrap().status.success());
    }
    assert_eq!(store_entries(&sb).len(), 6);
}

#[test]
fn credentials_never_reach_paii_toml_or_ci_annotations() {
    let sb = Sandbox::new();
    let dir = sb.path("src/alpha");
    write_plugin(&dir, "alpha", "1.0.0");
    let http = HttpServer::start(vec![("/a.tgz", Reply::Bytes(tarball(&dir, "alpha")))]);
    sb.write("t/paii.toml", "[plugins]\n");
    let url = format!("http://bot:s3cret@127.0.0.1:{}/a.tgz", http.port);
    let out = sb.paii_in("t", &["plugin", "install", "alpha", "--url", &url]);
    assert!(!out.stderr.contains("s3cret") && !out.stdout.contains("s3cret"), "{}", out.stderr);
    assert!(!sb.read("t/paii.toml").contains("s3cret"));
    let out = sb.paii_in("t", &["registry", "add", "web", &format!("http://bot:s3cret@127.0.0.1:{}/none.toml", http.port)]);
    assert!(!out.stderr.contains("s3cret"), "{}", out.stderr);
    assert!(!sb.read("t/paii.toml").contains("s3cret"));
    let out = sb.paii_in("t", &["registry", "validate", &format!("http://bot:s3cret@127.0.0.1:{}/a.tgz", http.port), "--format", "github"]);
    assert!(!out.stdout.contains("s3cret") && !out.stderr.contains("s3cret"), "{}{}", out.stdout, out.stderr);
}

#[test]
fn a_registry_url_change_is_fetched_again_and_verify_names_missing_entries() {
    let sb = Sandbox::new();
    let repo = sb.path("repos/plugins");
    let commit = plugin_repo(&repo, &[("alpha", "1.0.0")]);
    let url = format!("file://{}", repo.display());
    let one = registry(&[("alpha", "1.0.0", format!("source = \"{url}\"\nrev = \"{commit}\"\npath = \"plugins/alpha\""))]);
    let two = one.replace("name = \"test\"", "name = \"test\"\ndescription = \"second\"");
    let http = HttpServer::start(vec![("/one.toml", Reply::Bytes(one.into_bytes())), ("/two.toml", Reply::Bytes(two.into_bytes()))]);
    sb.write("t/paii.toml", &format!("[registries]\nweb = \"{}\"\n[plugins]\nalpha = \"^1\"\n", http.url("/one.toml")));
    sb.paii_in("t", &["sync"]).ok();
    sb.write("t/paii.toml", &format!("[registries]\nweb = \"{}\"\n[plugins]\nalpha = \"^1\"\n", http.url("/two.toml")));
    std::fs::remove_file(sb.path("t/paii.lock")).unwrap();
    sb.paii_in("t", &["lock"]).ok();
    assert_eq!(http.hits("/two.toml"), 1, "the new URL is fetched, not the old copy reused");
    assert!(sb.read("t/paii.lock").contains(&http.url("/two.toml")));

    sb.paii_in("t", &["sync"]).ok();
    let entry = sb.home().join("store").join(&store_entries(&sb)[0]);
    paii::util::fs::remove_tree(&entry).unwrap();
    let out = sb.paii_in("t", &["plugin", "verify", "alpha"]).fails();
    assert!(out.stdout.contains("MISSING"), "{}", out.stdout);
}

#[test]
fn a_deleted_branch_stops_resolving_and_quiet_prints_nothing() {
    let sb = Sandbox::new();
    let repo = sb.path("repos/plugins");
    plugin_repo(&repo, &[("alpha", "1.0.0")]);
    git(&repo, &["branch", "feature"]);
    let url = format!("file://{}", repo.display());
    team(&sb, &registry(&[("alpha", "1.0.0", format!("source = \"{url}\"\nrev = \"feature\"\npath = \"plugins/alpha\""))]), &["alpha"]);
    let out = sb.paii_in("t", &["-q", "sync"]).ok();
    assert_eq!(out.stderr, "", "-q prints nothing");
    assert_eq!(out.stdout, "");
    git(&repo, &["branch", "-D", "feature"]);
    let out = sb.paii_in("t", &["lock", "--update"]).fails();
    assert!(out.stderr.contains("`feature` does not exist"), "{}", out.stderr);
    // A failed fetch loses nothing: offline, the cache still has the commit.
    sb.paii_in("t", &["sync", "--offline"]).ok();
}

#[test]
fn an_edited_path_plugin_is_copied_again_and_downloads_are_reused() {
    let sb = Sandbox::new();
    let dir = sb.path("src/alpha");
    write_plugin(&dir, "alpha", "1.0.0");
    sb.write("t/paii.toml", &format!("[plugins]\nalpha = {{ path = \"{}\" }}\n", dir.display()));
    sb.paii_in("t", &["sync"]).ok();
    std::fs::write(dir.join("SKILL.md"), "edited\n").unwrap();
    let out = sb.paii_in("t", &["sync"]).ok();
    assert!(out.stderr.contains("(1 fetched, 0 already there)"), "{}", out.stderr);
    assert_eq!(store_entries(&sb).len(), 2);

    let http = HttpServer::start(vec![("/a.tgz", Reply::Bytes(tarball(&dir, "alpha")))]);
    let integrity = paii::store::integrity::hash_path(&dir).unwrap().to_string();
    team(&sb, &registry(&[("alpha", "1.0.0", format!("url = \"{}\"\nintegrity = \"{integrity}\"", http.url("/a.tgz")))]), &["alpha"]);
    sb.paii_in("t", &["sync"]).ok();
    paii::util::fs::remove_tree(&sb.home().join("store")).unwrap();
    sb.paii_in("t", &["sync"]).ok();
    assert_eq!(http.hits("/a.tgz"), 1, "the second fetch used the download cache");
}

#[test]
fn git_over_ssh_fetches() {
    let sb = Sandbox::new();
    let commit = plugin_repo(&sb.path("repos/plugins"), &[("alpha", "1.0.0")]);
    let Some(sshd) = common::SshServer::start(&sb.path("ssh")) else {
        panic!("no sshd on this machine: scripts/test.sh installs openssh-server");
    };
    let url = sshd.url(&sb.path("repos/plugins"));
    team(&sb, &registry(&[("alpha", "1.0.0", format!("source = \"{url}\"\nrev = \"main\"\npath = \"plugins/alpha\""))]), &["alpha"]);
    let mut cmd = sb.command(&sb.path("t"), &["sync"]);
    cmd.env("GIT_SSH_COMMAND", &sshd.ssh_command);
    common::run(cmd.output().unwrap()).ok();
    assert!(sb.read("t/paii.lock").contains(&format!("git+{url}?rev=main#{commit}")));
}

#[test]
fn slow_servers_time_out_redirect_loops_stop_and_unreachable_git_hosts_are_named() {
    let sb = Sandbox::new();
    let dir = sb.path("src/alpha");
    write_plugin(&dir, "alpha", "1.0.0");
    let bytes = tarball(&dir, "alpha");
    let http = HttpServer::start(vec![("/slow.tgz", Reply::Slow(bytes, 16, 1500)), ("/loop.tgz", Reply::Redirect("/loop.tgz".into()))]);
    let integrity = paii::store::integrity::hash_path(&dir).unwrap().to_string();
    team(&sb, &registry(&[("alpha", "1.0.0", format!("url = \"{}\"\nintegrity = \"{integrity}\"", http.url("/slow.tgz")))]), &["alpha"]);
    let mut cmd = sb.command(&sb.path("t"), &["sync"]);
    cmd.env("PAII_HTTP_TIMEOUT", "1");
    let started = std::time::Instant::now();
    let out = common::run(cmd.output().unwrap()).fails();
    assert!(out.stderr.contains("plugin `alpha`: tarball"), "{}", out.stderr);
    assert!(started.elapsed() < std::time::Duration::from_secs(20), "timed out and gave up after retries");

    team(&sb, &registry(&[("alpha", "1.0.0", format!("url = \"{}\"\nintegrity = \"{integrity}\"", http.url("/loop.tgz")))]), &["alpha"]);
    let out = sb.paii_in("t", &["sync"]).fails();
    assert!(out.stderr.contains("plugin `alpha`: tarball"), "{}", out.stderr);
    assert!(http.hits("/loop.tgz") <= 6 * 3, "at most 5 redirects per attempt: {}", http.hits("/loop.tgz"));

    let url = format!("git://127.0.0.1:{}/nothing", common::free_port());
    team(&sb, &registry(&[("alpha", "1.0.0", format!("source = \"{url}\"\nrev = \"main\""))]), &["alpha"]);
    std::fs::remove_file(sb.path("t/paii.lock")).ok();
    let out = sb.paii_in("t", &["sync"]).fails();
    assert!(out.stderr.contains(&format!("plugin `alpha`: git {url}")), "{}", out.stderr);
}

#[test]
fn validate_fetch_compares_consumes_and_core_version_too() {
    let sb = Sandbox::new();
    let repo = sb.path("repos/plugins");
    std::fs::create_dir_all(repo.join("plugins/alpha")).unwrap();
    std::fs::write(
        repo.join("plugins/alpha/plugin.toml"),
        "[plugin]\nname = \"alpha\"\nversion = \"1.0.0\"\n[paii]\ncore_version = \">=0.1.0\"\n[consumes]\nmemory = { contract = \"MemoryProvider\", optional = false }\n",
    )
    .unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "x"]);
    let commit = git(&repo, &["rev-parse", "HEAD"]);
    sb.write(
        "r/registry.toml",
        &format!("[registry]\nname = \"r\"\n[[plugins]]\nname = \"alpha\"\nversion = \"1.0.0\"\nsource = \"file://{}\"\nrev = \"{commit}\"\npath = \"plugins/alpha\"\ncore_version = \">=0.2.0\"\n", repo.display()),
    );
    let out = sb.paii_in("r", &["registry", "validate", "registry.toml", "--fetch", "-o", "json"]).fails().json();
    let messages: Vec<String> = out["findings"].as_array().unwrap().iter().map(|f| f["message"].as_str().unwrap().to_string()).collect();
    assert!(messages.iter().any(|m| m.contains("`consumes` is {} in the registry but {memory=MemoryProvider}")), "{messages:?}");
    assert!(messages.iter().any(|m| m.contains("`core_version` is >=0.2.0 in the registry but >=0.1.0")), "{messages:?}");
}

#[test]
fn git_credential_helpers_authenticate_https_fetches() {
    let sb = Sandbox::new();
    let commit = plugin_repo(&sb.path("repos/plugins"), &[("alpha", "1.0.0")]);
    let server = common::GitHttps::start(&sb.path("repos"), &sb.path("tls"), "bot", "s3cret-token");
    let url = server.url("plugins");
    team(&sb, &registry(&[("alpha", "1.0.0", format!("source = \"{url}\"\nrev = \"main\"\npath = \"plugins/alpha\""))]), &["alpha"]);
    let sync = || {
        let mut cmd = sb.command(&sb.path("t"), &["sync"]);
        cmd.env("SSL_CERT_FILE", &server.ca);
        common::run(cmd.output().unwrap())
    };
    let out = sync().fails();
    assert!(out.stderr.contains("plugin `alpha`: git"), "without credentials: {}", out.stderr);
    // The user's git credential helper, from their git config.
    sb.write("home/.gitconfig", "[credential]\n\thelper = \"!f() { echo username=bot; echo password=s3cret-token; }; f\"\n");
    let out = sync().ok();
    assert!(!out.stderr.contains("s3cret"));
    let lock = sb.read("t/paii.lock");
    assert!(lock.contains(&format!("git+{url}?rev=main#{commit}")), "{lock}");
    assert!(!lock.contains("s3cret"));
}

#[test]
fn partial_packs_of_a_killed_git_fetch_are_removed() {
    let sb = Sandbox::new();
    let repo = sb.path("repos/plugins");
    plugin_repo(&repo, &[("alpha", "1.0.0")]);
    let url = format!("file://{}", repo.display());
    team(&sb, &registry(&[("alpha", "1.0.0", format!("source = \"{url}\"\nrev = \"main\"\npath = \"plugins/alpha\""))]), &["alpha"]);
    sb.paii_in("t", &["sync"]).ok();
    let cache = std::fs::read_dir(sb.home().join("cache/git"))
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().ends_with(".git"))
        .unwrap()
        .path();
    let junk = cache.join("objects/pack/tmp_pack_killed");
    std::fs::write(&junk, vec![0u8; 4096]).unwrap();
    sb.paii_in("t", &["lock", "--update"]).ok();
    assert!(!junk.exists(), "the next fetch removes what a killed one left");
    assert!(std::fs::read_dir(cache.join("objects/pack")).unwrap().flatten().any(|e| e.file_name().to_string_lossy().starts_with("pack-")));
}

#[test]
fn sync_makes_generations_that_rollback_and_switch_move_between() {
    let sb = Sandbox::new();
    for (name, version) in [("alpha", "1.0.0"), ("beta", "0.1.0")] {
        write_plugin(&sb.path(&format!("src/{name}")), name, version);
    }
    sb.write("t/paii.toml", "[plugins]\nalpha = { path = \"../src/alpha\" }\n");
    let out = sb.paii_in("t", &["sync"]).ok();
    assert!(out.stderr.contains("generation 1 is current"), "{}", out.stderr);
    let home = sb.home();
    assert_eq!(std::fs::read_link(home.join("current")).unwrap(), Path::new("generations/1"));
    assert!(home.join("plugins/alpha/plugin.toml").is_file(), "plugins/<name> through current");
    let out = sb.paii_in("t", &["sync"]).ok();
    assert!(out.stderr.contains("nothing changed; generation 1 stays current"), "{}", out.stderr);

    sb.write("t/paii.toml", "[plugins]\nalpha = { path = \"../src/alpha\" }\nbeta = { path = \"../src/beta\" }\n");
    sb.paii_in("t", &["sync"]).ok();
    let list = sb.paii_in("t", &["generations", "list", "-o", "json"]).ok().json();
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(list[1]["parent"], 1);
    assert_eq!(list[1]["plugins"], 2);
    assert_eq!(list[1]["current"], true);
    assert!(home.join("plugins/beta").exists());

    sb.paii_in("t", &["rollback"]).ok();
    assert_eq!(std::fs::read_link(home.join("current")).unwrap(), Path::new("generations/1"));
    assert!(!home.join("plugins/beta").exists());
    sb.paii_in("t", &["switch", "2"]).ok();
    assert!(home.join("plugins/beta").exists());
    let out = sb.paii_in("t", &["switch", "7"]).fails();
    assert!(out.stderr.contains("generation 7 does not exist"), "{}", out.stderr);
    let text = sb.paii_in("t", &["generations", "list"]).ok();
    assert!(text.stdout.contains("(current)"), "{}", text.stdout);

    // An empty [plugins] still gives a generation: `current` always exists.
    sb.write("e/paii.toml", "[plugins]\n");
    let out = sb.paii_in("e", &["sync"]).ok();
    assert!(out.stderr.contains("generation 3 is current"), "{}", out.stderr);
    let meta = std::fs::read_to_string(home.join("current/generation.toml")).unwrap();
    assert!(meta.contains("parent = 2"), "{meta}");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(home.join("generations/3")).unwrap().permissions().mode() & 0o222, 0, "read-only");
}

#[test]
fn generations_diff_and_gc_keep_what_current_uses() {
    let sb = Sandbox::new();
    for (name, version) in [("alpha", "1.0.0"), ("beta", "0.1.0")] {
        write_plugin(&sb.path(&format!("src/{name}")), name, version);
    }
    sb.write("t/paii.toml", "[plugins]\nalpha = { path = \"../src/alpha\" }\n");
    sb.paii_in("t", &["sync"]).ok();
    sb.write("t/paii.toml", "[plugins]\nbeta = { path = \"../src/beta\" }\n");
    sb.paii_in("t", &["sync"]).ok();
    let d = sb.paii_in("t", &["generations", "diff", "1", "2"]).ok();
    assert!(d.stdout.contains("+ beta 0.1.0") && d.stdout.contains("- alpha 1.0.0"), "{}", d.stdout);

    let dry = sb.paii_in("t", &["gc", "--keep", "1", "--dry-run", "-o", "json"]).ok().json();
    assert_eq!(dry["generations"], serde_json::json!([1]));
    assert_eq!(dry["store_entries"].as_array().unwrap().len(), 1);
    assert!(dry["bytes"].as_u64().unwrap() > 0);
    assert!(sb.home().join("generations/1").exists(), "a dry run deletes nothing");

    let out = sb.paii_in("t", &["gc", "--keep", "1"]).ok();
    assert!(out.stderr.contains("removed 1 generation(s) and 1 store entry"), "{}", out.stderr);
    assert!(!sb.home().join("generations/1").exists());
    assert!(sb.home().join("plugins/beta/plugin.toml").is_file(), "current and what it uses stay");
    // The current generation is kept even when it is not among the newest.
    sb.paii_in("t", &["gc", "--keep", "0"]).ok();
    assert!(sb.home().join("generations/2").exists());
}

#[test]
fn status_reports_drift_between_manifest_lock_store_and_current() {
    let sb = Sandbox::new();
    for (name, version) in [("alpha", "1.0.0"), ("beta", "0.1.0")] {
        write_plugin(&sb.path(&format!("src/{name}")), name, version);
    }
    sb.write("t/paii.toml", "[plugins]\nalpha = { path = \"../src/alpha\" }\n");
    let out = sb.paii_in("t", &["status"]).fails();
    assert!(out.stdout.contains("paii.lock is missing"), "{}", out.stdout);
    sb.paii_in("t", &["sync"]).ok();
    let out = sb.paii_in("t", &["status"]).ok();
    assert!(out.stdout.contains("generation 1 is current (1 plugins)") && out.stdout.contains("in sync"), "{}", out.stdout);

    sb.write("t/paii.toml", "[plugins]\nalpha = { path = \"../src/alpha\" }\nbeta = { path = \"../src/beta\" }\n");
    let out = sb.paii_in("t", &["status", "-o", "json"]).fails().json();
    assert!(out["drift"][0].as_str().unwrap().contains("does not satisfy paii.toml"), "{out}");

    sb.paii_in("t", &["sync"]).ok();
    let entry = std::fs::read_link(sb.home().join("plugins/beta")).unwrap();
    paii::util::fs::remove_tree(&entry).unwrap();
    let out = sb.paii_in("t", &["status"]).fails();
    assert!(out.stdout.contains("beta 0.1.0") && out.stdout.contains("is missing from the store"), "{}", out.stdout);
}

/// Every server a test starts ends with its guard, also when the test fails
/// or panics (the guard is dropped while unwinding): `git daemon` is a `git`
/// process whose child listens, and killing only the first used to leave
/// the second listening after the test run.
#[test]
fn test_servers_end_with_their_guard() {
    let sb = Sandbox::new();
    let repos = sb.path("repos");
    common::plugin_repo(&repos.join("plugins"), &[("alpha", "1.0.0")]);
    let gone = |port: u16, pgid: u32| {
        (0..100).any(|_| {
            let free = std::net::TcpStream::connect(("127.0.0.1", port)).is_err() && !common::Process::group_alive(pgid);
            if !free {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            free
        })
    };
    let daemon = common::GitDaemon::start(&repos);
    // A fetch makes git daemon fork a child for the connection.
    common::git(&sb.path(""), &["clone", "-q", &daemon.url("plugins"), "clone"]);
    let (port, pgid) = (daemon.port, daemon.pid());
    drop(daemon);
    assert!(gone(port, pgid), "git daemon still runs after its guard was dropped");

    let http = common::GitHttp::start(&repos, &sb.path("scratch"));
    let (port, pgid) = (http.port, http.pid());
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
        let _held = http;
        panic!("a failing test");
    }));
    assert!(panicked.is_err());
    assert!(gone(port, pgid), "the git HTTP server still runs after a panic");
}
