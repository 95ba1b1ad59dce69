//! Binary caches (issue 16) against a real OCI registry (Distribution's,
//! on 127.0.0.1): CI builds once and pushes signed outputs; a fresh
//! PAII_HOME syncs them instead of building; anything that cannot be trusted
//! falls back to building, with one line saying why, and nothing partial
//! reaches the store.

mod common;

use std::fs;

use common::{OciRegistry, Sandbox, copy_dir, repo_root};

/// A team config of the fixture Rust plugin `guard`, with `[cache]`.
fn team(sb: &Sandbox, substituter: &str, trusted: &str) {
    if !sb.path("plugins/guard").is_dir() {
        copy_dir(&repo_root().join("fixtures/plugins/guard"), &sb.path("plugins/guard"));
    }
    sb.write(
        "team/paii.toml",
        &format!("[cache]\nsubstituters = [\"{substituter}\"]\ntrusted-keys = [\"{trusted}\"]\n\n[plugins]\nguard = {{ path = \"../plugins/guard\" }}\n"),
    );
}

/// The same team on another machine: a fresh PAII_HOME.
fn fresh_home(sb: &Sandbox) {
    common::remove_tree(&sb.home());
}

/// CI's side, done: a registry on 127.0.0.1, a signing key kept outside
/// PAII_HOME (which [`fresh_home`] removes), the team config trusting it
/// with the registry as its cache, a sync and a push.
struct Ci {
    reg: OciRegistry,
    public: String,
    secret: String,
    /// The build key of the pushed output (its tag).
    key: String,
}

fn ci_pushed(sb: &Sandbox) -> Ci {
    let reg = OciRegistry::start(&sb.path("registry"));
    let secret = sb.path("ci.secret").display().to_string();
    let public = sb.paii_in("team", &["key", "generate", "acme-ci-1", "--out", &secret]).ok().stdout.trim().to_string();
    team(sb, &reg.repo("acme/paii-cache"), &public);
    sb.paii_in("team", &["sync", "-q"]).ok();
    let pushed: serde_json::Value =
        serde_json::from_str(&sb.paii_in("team", &["cache", "push", "--key", &secret, "-o", "json"]).ok().stdout).unwrap();
    let key = pushed["outputs"][0]["key"].as_str().unwrap().to_string();
    Ci { reg, public, secret, key }
}

fn bash(command: &str) -> serde_json::Value {
    serde_json::json!({"hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_input": {"command": command}})
}

#[test]
fn a_pushed_signed_output_is_fetched_instead_of_built_and_a_second_push_uploads_nothing() {
    let sb = Sandbox::new();
    let reg = OciRegistry::start(&sb.path("registry"));
    let public = sb.paii_in("team", &["key", "generate", "acme-ci-1"]).ok().stdout.trim().to_string();
    assert!(public.starts_with("acme-ci-1:"), "{public}");
    let secret = sb.home().join("keys/acme-ci-1.secret");
    let secret_text = std::fs::read_to_string(&secret).unwrap();
    team(&sb, &reg.repo("acme/paii-cache"), &public);

    // CI: build, push.
    sb.paii_in("team", &["sync", "-q"]).ok();
    let out = sb.paii_in("team", &["cache", "push", "-o", "json"]).ok();
    let pushed: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert!(pushed["outputs"][0]["uploaded"].as_u64().unwrap() > 0, "{pushed:#}");
    let out = sb.paii_in("team", &["cache", "push", "-o", "json"]).ok();
    let again: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(again["outputs"][0]["uploaded"], 0, "an unchanged lock uploads no blob: {again:#}");
    // The secret key is in no store entry or generation.
    for dir in ["store", "generations"] {
        for f in common::files_under(&sb.home().join(dir)) {
            let text = std::fs::read(&f).unwrap_or_default();
            let seed = secret_text.trim().split_once(':').unwrap().1;
            assert!(!String::from_utf8_lossy(&text).contains(seed), "the secret key is in {}", f.display());
        }
    }

    // A member: a fresh PAII_HOME fetches the output; it runs.
    fresh_home(&sb);
    let out = sb.paii_in("team", &["sync"]).ok();
    assert!(out.stderr.contains(&format!("guard 0.1.0 (built, from {})", reg.repo("acme/paii-cache"))), "{}", out.stderr);
    assert!(!out.stderr.contains("built   guard"), "{}", out.stderr);
    let run = sb.dispatch_in("team", "pre-tool-use", &bash("rm -rf ~"));
    assert_eq!(run.code, 2, "the fetched output runs: {}", run.stderr);

    // `--offline` never reaches a substituter.
    fresh_home(&sb);
    let out = sb.paii_in("team", &["sync", "--offline"]).ok();
    assert!(out.stderr.contains("built   guard 0.1.0"), "{}", out.stderr);
}

#[test]
fn an_output_a_trusted_key_did_not_sign_or_that_was_tampered_with_is_built_instead() {
    let sb = Sandbox::new();
    let Ci { reg, public, key, .. } = ci_pushed(&sb);

    // Signed, but by a key this team does not trust.
    let stranger = sb.paii_in("team", &["key", "generate", "stranger", "--out", &sb.path("stranger.secret").display().to_string()]).ok();
    team(&sb, &reg.repo("acme/paii-cache"), stranger.stdout.trim());
    fresh_home(&sb);
    let out = sb.paii_in("team", &["sync"]).ok();
    assert!(out.stderr.contains("built   guard 0.1.0"), "{}", out.stderr);
    assert!(out.stderr.contains("is not signed by a trusted key (signed by acme-ci-1)"), "one line says why: {}", out.stderr);

    // Trusted, but the blob changed in the registry: its digest no longer
    // matches, and nothing of it reaches the store.
    team(&sb, &reg.repo("acme/paii-cache"), &public);
    let manifest = reg.manifest("acme/paii-cache", &key);
    let layer = manifest["layers"][0]["digest"].as_str().unwrap();
    let blob = reg.blob_path(layer);
    let mut bytes = std::fs::read(&blob).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&blob, bytes).unwrap();
    fresh_home(&sb);
    let out = sb.paii_in("team", &["sync"]).ok();
    assert!(out.stderr.contains("built   guard 0.1.0"), "{}", out.stderr);
    assert!(out.stderr.contains("not substituted"), "{}", out.stderr);
    let leftovers: Vec<_> = std::fs::read_dir(sb.home().join("store"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "nothing partial in the store: {leftovers:?}");

    // An unreachable registry: built, one line.
    drop(reg);
    fresh_home(&sb);
    let out = sb.paii_in("team", &["sync"]).ok();
    assert!(out.stderr.contains("built   guard 0.1.0"), "{}", out.stderr);
}

/// A registry behind TLS (a throwaway CA) with htpasswd Basic auth: the
/// login comes from Docker's config.json; without one, pushing fails
/// saying where credentials are looked for, and syncing builds.
#[test]
fn a_registry_behind_tls_and_basic_auth_takes_the_login_from_dockers_config() {
    use base64::Engine;
    let sb = Sandbox::new();
    let (reg, ca) = OciRegistry::start_basic_tls(&sb.path("registry"), "ci");
    let public = sb.paii_in("team", &["key", "generate", "acme-ci-1"]).ok().stdout.trim().to_string();
    team(&sb, &reg.repo("acme/paii-cache"), &public);
    let run = |args: &[&str], docker: bool| {
        let mut cmd = sb.command(&sb.path("team"), args);
        cmd.env("SSL_CERT_FILE", &ca);
        if docker {
            cmd.env("DOCKER_CONFIG", sb.path("docker"));
        }
        common::run(cmd.output().unwrap())
    };
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("ci:{}", common::REGISTRY_PASSWORD));
    sb.write("docker/config.json", &format!(r#"{{"auths": {{"127.0.0.1:{}": {{"auth": "{auth}"}}}}}}"#, reg.port));

    assert_eq!(run(&["sync", "-q"], false).code, 0);
    let denied = run(&["cache", "push"], false);
    assert_eq!(denied.code, 1, "{}", denied.stderr);
    assert!(denied.stderr.contains("asks for credentials and none were found"), "{}", denied.stderr);
    let pushed = run(&["cache", "push"], true);
    assert_eq!(pushed.code, 0, "{}", pushed.stderr);
    assert!(pushed.stderr.contains("pushed  guard 0.1.0"), "{}", pushed.stderr);

    fresh_home(&sb);
    let out = run(&["sync"], true);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("guard 0.1.0 (built, from"), "fetched over TLS with the login: {}", out.stderr);
    fresh_home(&sb);
    let out = run(&["sync"], false);
    assert!(out.stderr.contains("built   guard 0.1.0") && out.stderr.contains("none were found"), "{}", out.stderr);
}

/// A registry with token auth: paii answers the Bearer challenge at the
/// realm, with the login from the environment for a push (pull and push)
/// and without one for a pull (an anonymous pull token).
#[test]
fn a_registry_with_token_auth_is_answered_at_its_realm() {
    let sb = Sandbox::new();
    let (reg, _realm) = OciRegistry::start_token(&sb.path("registry"), "ci");
    let public = sb.paii_in("team", &["key", "generate", "acme-ci-1"]).ok().stdout.trim().to_string();
    team(&sb, &reg.repo("acme/paii-cache"), &public);
    sb.paii_in("team", &["sync", "-q"]).ok();
    let mut push = sb.command(&sb.path("team"), &["cache", "push"]);
    push.env("PAII_OCI_USERNAME", "ci").env("PAII_OCI_PASSWORD", common::REGISTRY_PASSWORD);
    let pushed = common::run(push.output().unwrap());
    assert_eq!(pushed.code, 0, "{}", pushed.stderr);
    let tokens = std::fs::read_to_string(sb.path("registry/tokens.log")).unwrap();
    assert!(tokens.lines().any(|l| l == "ci acme/paii-cache pull,push"), "{tokens}");

    fresh_home(&sb);
    let out = sb.paii_in("team", &["sync"]).ok();
    assert!(out.stderr.contains("guard 0.1.0 (built, from"), "{}", out.stderr);
    let tokens = std::fs::read_to_string(sb.path("registry/tokens.log")).unwrap();
    assert!(tokens.lines().any(|l| l == "- acme/paii-cache pull"), "an anonymous pull token: {tokens}");
}

/// Docker's credential helpers give the login: `credHelpers` for the
/// registry's host, else `credsStore`, each run as `docker-credential-NAME
/// get` with the host on stdin; a login the realm refuses is an error that
/// says so, not a silent anonymous push.
#[test]
fn a_credential_helper_gives_the_login_and_a_refused_one_is_an_error() {
    use std::os::unix::fs::PermissionsExt;
    let sb = Sandbox::new();
    let (reg, _realm) = OciRegistry::start_token(&sb.path("registry"), "ci");
    let public = sb.paii_in("team", &["key", "generate", "acme-ci-1"]).ok().stdout.trim().to_string();
    team(&sb, &reg.repo("acme/paii-cache"), &public);
    sb.paii_in("team", &["sync", "-q"]).ok();
    let host = format!("127.0.0.1:{}", reg.port);
    // Two helpers that log the host they were asked about: one with the
    // registry's login, one with a wrong password.
    for (name, password) in [("good", common::REGISTRY_PASSWORD), ("stale", "wrong")] {
        let log = sb.path(&format!("{name}.log"));
        sb.write(
            &format!("bin/docker-credential-{name}"),
            &format!(
                "#!/bin/sh
[ \"$1\" = get ] || exit 1
cat >> {}
echo >> {}
echo '{{\"ServerURL\":\"x\",\"Username\":\"ci\",\"Secret\":\"{password}\"}}'
",
                log.display(),
                log.display()
            ),
        );
        fs::set_permissions(sb.path(&format!("bin/docker-credential-{name}")), fs::Permissions::from_mode(0o755)).unwrap();
    }
    let push = |config: &str| {
        sb.write("home/.docker/config.json", config);
        let mut cmd = sb.command(&sb.path("team"), &["cache", "push"]);
        let path = format!("{}:{}", sb.path("bin").display(), std::env::var("PATH").unwrap());
        cmd.env("PATH", path);
        common::run(cmd.output().unwrap())
    };

    let pushed = push(&format!(r#"{{"credHelpers": {{"{host}": "good"}}, "credsStore": "stale"}}"#));
    assert_eq!(pushed.code, 0, "{}", pushed.stderr);
    assert_eq!(sb.read("good.log"), format!("{host}\n"), "asked about the registry's host");
    assert!(!sb.path("stale.log").exists(), "credHelpers for the host comes before credsStore");
    let tokens = fs::read_to_string(sb.path("registry/tokens.log")).unwrap();
    assert!(tokens.lines().any(|l| l == "ci acme/paii-cache pull,push"), "{tokens}");

    let refused = push(r#"{"credsStore": "stale"}"#);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(refused.stderr.contains(&format!("refused the credentials for {host}")), "{}", refused.stderr);
    assert_eq!(sb.read("stale.log"), format!("{host}\n"));
}

/// Whatever a substituter answers that is not a trusted output (a manifest
/// of another media type, HTTP 500, a stall) costs a build and one line,
/// never the sync.
#[test]
fn a_wrong_manifest_a_failing_or_a_stalling_registry_is_built_around() {
    let sb = Sandbox::new();
    let Ci { reg, public, key, .. } = ci_pushed(&sb);

    // The tag now names an image of another kind.
    let repo = paii::oci::Repository::parse(&reg.repo("acme/paii-cache")).unwrap();
    let client = paii::oci::Client::new(&repo).unwrap();
    let config = b"{}".to_vec();
    let digest = paii::oci::digest_of(&config);
    client.put_blob(config.clone().into(), &digest).unwrap();
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": paii::oci::MANIFEST_TYPE,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": digest, "size": config.len()},
        "layers": [],
    });
    client.put_manifest(&key, &serde_json::to_vec(&manifest).unwrap()).unwrap();
    fresh_home(&sb);
    let out = sb.paii_in("team", &["sync"]).ok();
    assert!(
        out.stderr.contains("built   guard 0.1.0") && out.stderr.contains("is not the kind of artifact paii expected"),
        "{}",
        out.stderr
    );

    // A registry that fails, then one that stalls (with a short timeout).
    let path = format!("/v2/acme/paii-cache/manifests/{key}");
    let failing = common::HttpServer::start(vec![(&path, common::Reply::FailThen(vec![500; 20], Vec::new()))]);
    team(&sb, &format!("oci://127.0.0.1:{}/acme/paii-cache", failing.port), &public);
    fresh_home(&sb);
    let out = sb.paii_in("team", &["sync"]).ok();
    assert!(out.stderr.contains("built   guard 0.1.0") && out.stderr.contains("HTTP 500"), "{}", out.stderr);

    let stalling = common::HttpServer::start(vec![(&path, common::Reply::Slow(b"{}".repeat(100), 1, 2000))]);
    team(&sb, &format!("oci://127.0.0.1:{}/acme/paii-cache", stalling.port), &public);
    fresh_home(&sb);
    let mut sync = sb.command(&sb.path("team"), &["sync"]);
    sync.env("PAII_HTTP_TIMEOUT", "2");
    let out = common::run(sync.output().unwrap());
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("built   guard 0.1.0") && out.stderr.contains("not substituted"), "{}", out.stderr);
}

/// A push cut off after its blobs (the tag never written) is completed by
/// the next push, which sends none of them again.
#[test]
fn the_next_push_completes_an_interrupted_one_without_sending_its_blobs_again() {
    let sb = Sandbox::new();
    let Ci { reg, secret, key, .. } = ci_pushed(&sb);
    // The state a push killed between its blobs and its manifest leaves.
    let tag = reg.dir.join("data/docker/registry/v2/repositories/acme/paii-cache/_manifests/tags").join(&key);
    std::fs::remove_dir_all(&tag).unwrap();
    let members = |sb: &Sandbox| {
        fresh_home(sb);
        sb.paii_in("team", &["sync"]).ok().stderr
    };
    assert!(members(&sb).contains("built   guard 0.1.0"), "nothing to fetch while the tag is missing");

    let again: serde_json::Value =
        serde_json::from_str(&sb.paii_in("team", &["cache", "push", "--key", &secret, "-o", "json"]).ok().stdout).unwrap();
    assert_eq!(again["outputs"][0]["uploaded"], 0, "the blobs were there already: {again:#}");
    assert!(members(&sb).contains("(built, from"), "the output is fetched again");
}

/// Blobs larger than the chunk size go up in chunks; pushing to a second
/// cache of the same registry mounts the blobs from the first instead of
/// uploading them.
#[test]
fn large_blobs_go_up_in_chunks_and_a_second_cache_mounts_them() {
    let sb = Sandbox::new();
    let reg = OciRegistry::start(&sb.path("registry"));
    let public = sb.paii_in("team", &["key", "generate", "acme-ci-1"]).ok().stdout.trim().to_string();
    let (first, second) = (reg.repo("acme/cache-a"), reg.repo("acme/cache-b"));
    team(&sb, &first, &public);
    let toml = sb.read("team/paii.toml").replace(&format!("[\"{first}\"]"), &format!("[\"{first}\", \"{second}\"]"));
    sb.write("team/paii.toml", &toml);
    sb.paii_in("team", &["sync", "-q"]).ok();

    let mut push = sb.command(&sb.path("team"), &["cache", "push", "-o", "json"]);
    push.env("PAII_OCI_CHUNK_SIZE", "4096");
    let out = common::run(push.output().unwrap());
    assert_eq!(out.code, 0, "{}", out.stderr);
    let pushed: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert!(pushed["outputs"][0]["uploaded"].as_u64().unwrap() > 4096, "more than one chunk: {pushed:#}");

    let second_push: serde_json::Value =
        serde_json::from_str(&sb.paii_in("team", &["cache", "push", "--to", &second, "-o", "json"]).ok().stdout).unwrap();
    assert_eq!(second_push["outputs"][0]["uploaded"], 0, "mounted from the first cache: {second_push:#}");

    // Members read the second cache alone: the chunked, mounted output is whole.
    let toml = sb.read("team/paii.toml").replace(&format!("[\"{first}\", \"{second}\"]"), &format!("[\"{second}\"]"));
    sb.write("team/paii.toml", &toml);
    fresh_home(&sb);
    assert!(sb.paii_in("team", &["sync"]).ok().stderr.contains(&format!("(built, from {second})")));
}

/// A registry that drops the connection halfway through the output's blob:
/// built instead, nothing partial in the store.
#[test]
fn a_blob_cut_off_halfway_is_built_around_and_leaves_nothing() {
    let sb = Sandbox::new();
    let Ci { reg, public, key, .. } = ci_pushed(&sb);
    let manifest = reg.manifest("acme/paii-cache", &key);
    let layer = manifest["layers"][0]["digest"].as_str().unwrap().to_string();
    let blob = std::fs::read(reg.blob_path(&layer)).unwrap();
    let half = blob.len() / 2;
    let server = common::HttpServer::start(vec![
        (&format!("/v2/acme/paii-cache/manifests/{key}"), common::Reply::Bytes(serde_json::to_vec(&manifest).unwrap())),
        (&format!("/v2/acme/paii-cache/blobs/{layer}"), common::Reply::Truncated(blob, half)),
    ]);
    team(&sb, &format!("oci://127.0.0.1:{}/acme/paii-cache", server.port), &public);
    fresh_home(&sb);
    let out = sb.paii_in("team", &["sync"]).ok();
    assert!(out.stderr.contains("built   guard 0.1.0") && out.stderr.contains("not substituted"), "{}", out.stderr);
    let leftovers: Vec<_> = std::fs::read_dir(sb.home().join("store"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "nothing partial in the store: {leftovers:?}");
}

/// `cache push --sources` also keeps the lock's source trees: a member
/// fetches them from the cache first, even when the git repository they
/// came from is gone.
#[test]
fn pushed_source_trees_are_fetched_from_the_cache_before_the_source() {
    let sb = Sandbox::new();
    let reg = OciRegistry::start(&sb.path("registry"));
    common::plugin_repo(&sb.path("repos/tools"), &[("notes", "1.0.0")]);
    let secret = sb.path("ci.secret").display().to_string();
    let public = sb.paii_in("team", &["key", "generate", "acme-ci-1", "--out", &secret]).ok().stdout.trim().to_string();
    sb.write(
        "team/paii.toml",
        &format!(
            "[cache]\nsubstituters = [\"{}\"]\ntrusted-keys = [\"{public}\"]\n\n[plugins]\nnotes = {{ git = \"file://{}\", path = \"plugins/notes\", rev = \"main\" }}\n",
            reg.repo("acme/paii-cache"),
            sb.path("repos/tools").display()
        ),
    );
    sb.paii_in("team", &["sync", "-q"]).ok();
    let out: serde_json::Value =
        serde_json::from_str(&sb.paii_in("team", &["cache", "push", "--sources", "--key", &secret, "-o", "json"]).ok().stdout).unwrap();
    assert!(out["sources"][0]["uploaded"].as_u64().unwrap() > 0, "{out:#}");

    std::fs::remove_dir_all(sb.path("repos/tools")).unwrap();
    fresh_home(&sb);
    sb.paii_in("team", &["sync", "--locked", "-q"]).ok();
    assert!(sb.path("claude/skills/notes/SKILL.md").is_file(), "installed from the cache's copy of the source");
}

/// A Python plugin's venv records the path it was built at; fetched into
/// another PAII_HOME it is rewritten to where it lives there, and it runs.
#[test]
fn a_python_venv_from_the_cache_is_moved_to_where_it_lives_here_and_runs() {
    let sb = Sandbox::new();
    let reg = OciRegistry::start(&sb.path("registry"));
    copy_dir(&repo_root().join("fixtures/plugins/notes"), &sb.path("plugins/notes"));
    let secret = sb.path("ci.secret").display().to_string();
    let public = sb.paii_in("team", &["key", "generate", "acme-ci-1", "--out", &secret]).ok().stdout.trim().to_string();
    sb.write(
        "team/paii.toml",
        &format!(
            "[cache]\nsubstituters = [\"{}\"]\ntrusted-keys = [\"{public}\"]\n\n[plugins]\nnotes = {{ path = \"../plugins/notes\" }}\n",
            reg.repo("acme/paii-cache")
        ),
    );
    // CI builds in one PAII_HOME...
    let mut ci = sb.command(&sb.path("team"), &["sync", "-q"]);
    ci.env("PAII_HOME", sb.path("ci-home")).env("CLAUDE_CONFIG_DIR", sb.path("ci-claude"));
    assert_eq!(common::run(ci.output().unwrap()).code, 0);
    let mut push = sb.command(&sb.path("team"), &["cache", "push", "--key", &secret]);
    push.env("PAII_HOME", sb.path("ci-home")).env("CLAUDE_CONFIG_DIR", sb.path("ci-claude"));
    let pushed = common::run(push.output().unwrap());
    assert!(pushed.stderr.contains("pushed  notes 0.1.0"), "{}", pushed.stderr);

    // ... a member syncs into another, from the cache.
    let out = sb.paii_in("team", &["sync"]).ok();
    assert!(out.stderr.contains("notes 0.1.0 (built, from"), "{}", out.stderr);
    let table: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(sb.home().join("current/dispatch.json")).unwrap()).unwrap();
    let script = table["plugins"]["notes"]["argv"][0].as_str().unwrap().to_string();
    let shebang = std::fs::read_to_string(&script).unwrap().lines().next().unwrap().to_string();
    assert!(shebang.contains(&sb.home().display().to_string()), "the venv names this PAII_HOME: {shebang}");
    assert!(!shebang.contains("ci-home"), "{shebang}");
    let ran = std::process::Command::new(&script).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&ran.stdout).trim(), "notes: ready", "{}", String::from_utf8_lossy(&ran.stderr));
}

/// An artifact whose tree would escape (a `../` entry) is refused by the
/// same extraction that guards tarballs: built instead, nothing written
/// outside, nothing partial in the store.
#[test]
fn an_artifact_whose_tree_escapes_is_refused_and_built_around() {
    let sb = Sandbox::new();
    let Ci { reg, key, .. } = ci_pushed(&sb);

    // The same signed manifest, its layer swapped for one that climbs out.
    let mut tar = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(4);
    h.set_mode(0o644);
    h.set_entry_type(tar::EntryType::Regular);
    h.as_gnu_mut().unwrap().name[..13].copy_from_slice(b"out/../../pwn");
    h.set_cksum();
    tar.append(&h, &b"pwn\n"[..]).unwrap();
    let layer = tar.into_inner().unwrap();
    let repo = paii::oci::Repository::parse(&reg.repo("acme/paii-cache")).unwrap();
    let client = paii::oci::Client::new(&repo).unwrap();
    let digest = paii::oci::digest_of(&layer);
    client.put_blob(layer.clone().into(), &digest).unwrap();
    let mut manifest = reg.manifest("acme/paii-cache", &key);
    manifest["layers"][0]["digest"] = digest.into();
    manifest["layers"][0]["size"] = layer.len().into();
    client.put_manifest(&key, &serde_json::to_vec(&manifest).unwrap()).unwrap();

    fresh_home(&sb);
    let out = sb.paii_in("team", &["sync"]).ok();
    assert!(out.stderr.contains("built   guard 0.1.0") && out.stderr.contains("not substituted"), "{}", out.stderr);
    assert!(!sb.path("pwn").exists() && !sb.home().join("pwn").exists(), "nothing written outside");
    let leftovers: Vec<_> = std::fs::read_dir(sb.home().join("store"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "nothing partial in the store: {leftovers:?}");
}
