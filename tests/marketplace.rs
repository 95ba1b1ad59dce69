//! Claude Code marketplaces as registries: a marketplace built as a git
//! repository (and as a plain directory), every plugin source form Claude
//! Code accepts (relative path, url, git-subdir, archive, npm), pinned in
//! the lock, installed, dispatched and rolled back; and bad marketplaces
//! refused before anything is installed.

mod common;

use common::marketplace::{GUARD_PY, marketplace_repo, sha256_hex, sha512_sri, write_marketplace, zip};
use common::{HttpServer, Reply, Sandbox, git, tarball};
use serde_json::{Value, json};

fn locked<'a>(lock: &'a str, name: &str) -> &'a str {
    lock.split("[[plugin]]").find(|p| p.contains(&format!("name = \"{name}\""))).unwrap_or_else(|| panic!("{name} not locked:\n{lock}"))
}

fn settings(sb: &Sandbox) -> Value {
    serde_json::from_str(&sb.read("claude/settings.json")).unwrap()
}

/// guard's PreToolUse hook on `rm -rf ~`, run as Claude Code runs it.
fn guard(sb: &Sandbox) -> common::Run {
    let mut runs = sb.plugin_hooks("team", "guard", "PreToolUse", &rm_rf());
    assert_eq!(runs.len(), 1, "guard has one Bash hook");
    runs.remove(0)
}

fn rm_rf() -> Value {
    json!({"session_id": "s1", "hook_event_name": "PreToolUse", "tool_name": "Bash",
           "tool_input": {"command": "rm -rf ~"}, "cwd": "/tmp"})
}

#[test]
fn a_git_marketplace_installs_its_plugins_pinned_dispatches_their_hooks_and_rolls_back() {
    let sb = Sandbox::new();
    let commit = marketplace_repo(&sb.path("repos/acme"));
    let url = format!("file://{}", sb.path("repos/acme").display());
    let toml = |plugins: &str| format!("[registries]\nacme = {{ marketplace = \"{url}\" }}\n\n[plugins]\n{plugins}");
    sb.write("team/paii.toml", &toml("guard = \"^1\"\n"));
    sb.paii_in("team", &["sync"]).ok();
    let blocked = guard(&sb);
    assert_eq!(blocked.code, 0, "{}", blocked.stderr);
    let decision: Value = serde_json::from_str(&blocked.stdout).unwrap();
    assert_eq!(decision["hookSpecificOutput"]["permissionDecision"], "deny", "{decision:#}");

    sb.write("team/paii.toml", &toml("guard = \"^1\"\ndoc-skills = \"*\"\ndocs-mcp = \"*\"\nnudge = \"*\"\nlint = \"*\"\nbare = \"*\"\n"));
    sb.paii_in("team", &["sync"]).ok();
    let lock = sb.read("team/paii.lock");
    assert!(lock.contains(&format!("commit = \"{commit}\"")), "the marketplace is pinned:\n{lock}");
    for name in ["guard", "doc-skills", "docs-mcp", "nudge", "lint", "review"] {
        assert!(locked(&lock, name).contains(&format!("#{commit}\"")), "{name} is pinned to the commit:\n{lock}");
    }
    assert!(locked(&lock, "review").contains(&format!("version = \"0.0.0+{}\"", &commit[..7])), "{lock}");
    assert!(locked(&lock, "lint").contains("[plugin.dependencies]\nreview = \"*\""), "{lock}");
    assert!(locked(&lock, "doc-skills").contains("overlay = "), "{lock}");

    // Each plugin is a directory Claude Code loads as that plugin, its
    // components inside it, namespaced by Claude Code.
    for file in [
        "doc-skills/document-skills/pdf/SKILL.md",
        "doc-skills/document-skills/xlsx/SKILL.md",
        "review/agents/reviewer.md",
        "review/commands/review.md",
        "lint/commands/lint.md",
        "bare/commands/bare.md",
    ] {
        assert!(sb.path(&format!("claude/skills/{file}")).is_file(), "{file} is installed");
    }
    assert!(!sb.path("claude/skills/doc-skills/skills/unlisted").exists(), "a `strict: false` entry has only the skills it lists");
    for flat in ["skills/pdf", "agents/reviewer.md", "commands/lint.md"] {
        assert!(!sb.path(&format!("claude/{flat}")).exists(), "{flat} is not flattened into the user's components");
    }
    let mcp: Value = serde_json::from_str(&sb.read("claude/skills/docs-mcp/.mcp.json")).unwrap();
    let server = &mcp["mcpServers"]["acme-docs"];
    assert_eq!(server["args"][0], "${CLAUDE_PLUGIN_ROOT}/mcp_server.py", "Claude Code expands the root: {server:#}");
    assert_eq!(server["env"]["DOCS_DATA"], "${CLAUDE_PLUGIN_DATA}", "{server:#}");
    assert!(!sb.path("claude/.claude.json").exists(), "a plugin's server is the plugin's, not the user's");
    let nudge: Value = serde_json::from_str(&sb.read("claude/skills/nudge/hooks/hooks.json")).unwrap();
    let stop = &nudge["hooks"]["SubagentStop"];
    assert_eq!(stop[0]["hooks"][0]["type"], "prompt", "the prompt hook is kept as it is: {stop:#}");
    assert!(!sb.path("claude/settings.json").exists(), "nothing of a Claude Code plugin goes into the user's settings");

    sb.paii_in("team", &["rollback"]).ok();
    for plugin in ["doc-skills", "review", "lint", "nudge"] {
        assert!(!sb.path(&format!("claude/skills/{plugin}")).exists(), "{plugin} is gone after rollback");
    }
    let still = guard(&sb);
    assert!(still.stdout.contains("deny"), "{}", still.stdout);

    // A locked sync needs nothing new: the same bytes again.
    sb.paii_in("team", &["sync", "--frozen"]).ok();
    assert_eq!(sb.read("team/paii.lock"), lock);
}

#[test]
fn a_local_marketplace_directory_is_read_in_place() {
    let sb = Sandbox::new();
    write_marketplace(&sb.path("team/acme"));
    sb.write("team/paii.toml", "[registries]\nacme = { marketplace = \"./acme\" }\n\n[plugins]\ndoc-skills = \"*\"\nguard = \"*\"\n");
    sb.paii_in("team", &["sync"]).ok();
    let lock = sb.read("team/paii.lock");
    assert!(locked(&lock, "guard").contains("source = \"path+acme/plugins/guard\""), "{lock}");
    assert!(locked(&lock, "doc-skills").contains("source = \"path+acme\""), "{lock}");
    assert!(sb.path("claude/skills/doc-skills/document-skills/pdf/SKILL.md").exists());
    assert!(guard(&sb).stdout.contains("deny"));
}

/// Plugin repositories of their own, and a marketplace that points at them
/// by every remote source form.
#[test]
fn every_remote_source_form_is_fetched_and_pinned() {
    let sb = Sandbox::new();
    // url: a repository of its own.
    let solo = sb.path("repos/solo");
    std::fs::create_dir_all(solo.join(".claude-plugin")).unwrap();
    // Its dependency is in its own plugin.json only, not in the marketplace.
    std::fs::write(solo.join(".claude-plugin/plugin.json"), r#"{"name": "solo", "version": "1.1.0", "dependencies": ["zipped"]}"#).unwrap();
    std::fs::create_dir_all(solo.join("commands")).unwrap();
    std::fs::write(solo.join("commands/solo.md"), "Solo.\n").unwrap();
    git(&solo, &["init", "-q", "-b", "main"]);
    git(&solo, &["add", "-A"]);
    git(&solo, &["commit", "-q", "-m", "solo"]);
    let solo_commit = git(&solo, &["rev-parse", "HEAD"]);
    // git-subdir: a monorepo.
    let mono = sb.path("repos/mono");
    std::fs::create_dir_all(mono.join("tools/claude/.claude-plugin")).unwrap();
    std::fs::write(mono.join("tools/claude/.claude-plugin/plugin.json"), r#"{"name": "mono", "version": "3.0.0"}"#).unwrap();
    std::fs::create_dir_all(mono.join("tools/claude/agents")).unwrap();
    std::fs::write(mono.join("tools/claude/agents/mono-agent.md"), "---\nname: mono-agent\ndescription: x\n---\n").unwrap();
    std::fs::write(mono.join("README.md"), "not the plugin\n").unwrap();
    git(&mono, &["init", "-q", "-b", "main"]);
    git(&mono, &["add", "-A"]);
    git(&mono, &["commit", "-q", "-m", "mono"]);
    // archive: a zip with one top folder.
    let archive = zip("zipped-main", &[(".claude-plugin/plugin.json", r#"{"name": "zipped"}"#), ("commands/zipped.md", "Zipped.\n")]);
    // npm: a registry tarball under `package/`.
    let pkg = sb.path("npm/pkg");
    std::fs::create_dir_all(pkg.join(".claude-plugin")).unwrap();
    std::fs::write(pkg.join(".claude-plugin/plugin.json"), r#"{"name": "npmed", "version": "2.1.0"}"#).unwrap();
    std::fs::write(pkg.join("package.json"), r#"{"name": "@acme/npmed", "version": "2.1.0"}"#).unwrap();
    std::fs::create_dir_all(pkg.join("commands")).unwrap();
    std::fs::write(pkg.join("commands/npmed.md"), "Npmed.\n").unwrap();
    let tgz = tarball(&pkg, "package");
    let port = common::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let packument = json!({
        "name": "@acme/npmed",
        "dist-tags": {"latest": "2.1.0"},
        "versions": {
            "2.0.0": {"dist": {"tarball": format!("{base}/npmed-2.0.0.tgz"), "integrity": sha512_sri(b"old")}},
            "2.1.0": {"dist": {"tarball": format!("{base}/@acme/npmed/-/npmed-2.1.0.tgz"), "integrity": sha512_sri(&tgz)}}
        }
    });
    let server = HttpServer::start_on(
        port,
        vec![
            ("/zipped.zip", Reply::Bytes(archive.clone())),
            ("/@acme%2fnpmed", Reply::Bytes(packument.to_string().into_bytes())),
            ("/@acme/npmed/-/npmed-2.1.0.tgz", Reply::Bytes(tgz.clone())),
        ],
    );
    let market = json!({
        "name": "remote", "owner": {"name": "Acme"},
        "plugins": [
            {"name": "solo", "source": {"source": "url", "url": format!("file://{}", solo.display()), "ref": "main"}},
            {"name": "mono", "source": {"source": "git-subdir", "url": format!("file://{}", mono.display()), "path": "tools/claude"}},
            {"name": "zipped", "source": {"source": "archive", "url": server.url("/zipped.zip"), "sha256": sha256_hex(&archive)}},
            {"name": "npmed", "source": {"source": "npm", "package": "@acme/npmed", "version": "^2.0.0", "registry": base}}
        ]
    });
    sb.write("team/remote/.claude-plugin/marketplace.json", &market.to_string());
    sb.write(
        "team/paii.toml",
        "[registries]\nremote = { marketplace = \"./remote\" }\n\n[plugins]\nsolo = \"*\"\nmono = \"*\"\nnpmed = \"^2\"\n",
    );
    sb.paii_in("team", &["sync"]).ok();

    let lock = sb.read("team/paii.lock");
    assert!(locked(&lock, "solo").contains(&format!("?rev=main#{solo_commit}\"")), "{lock}");
    assert!(locked(&lock, "solo").contains("[plugin.dependencies]\nzipped = \"*\""), "{lock}");
    assert!(locked(&lock, "mono").contains("subdir = \"tools/claude\""), "{lock}");
    let zipped = locked(&lock, "zipped");
    assert!(zipped.contains(&format!("version = \"0.0.0+{}\"", &sha256_hex(&archive)[..7])), "{lock}");
    assert!(zipped.contains("zipped.zip#sha256-"), "the zip's hash is locked: {lock}");
    let npmed = locked(&lock, "npmed");
    assert!(npmed.contains("version = \"2.1.0\"") && npmed.contains(&format!("npmed-2.1.0.tgz#{}", sha512_sri(&tgz))), "{lock}");
    for plugin in ["solo", "mono", "zipped", "npmed"] {
        assert!(locked(&lock, plugin).contains("integrity = \"sha256-"), "{plugin}'s tree is hashed: {lock}");
    }
    for file in ["solo/commands/solo.md", "mono/agents/mono-agent.md", "zipped/commands/zipped.md", "npmed/commands/npmed.md"] {
        assert!(sb.path(&format!("claude/skills/{file}")).exists(), "{file} is installed");
    }

    // The bill of materials names the npm plugin's tarball as the npm
    // package it is, with the sha512 the packument gave.
    let sbom: serde_json::Value = serde_json::from_str(&sb.paii_in("team", &["sbom", "-q", "--offline"]).ok().stdout).unwrap();
    let npm = sbom["components"].as_array().unwrap().iter().find(|c| c["purl"] == "pkg:npm/%40acme/npmed@2.1.0").expect("the npm package");
    assert_eq!(npm["hashes"][0]["alg"], "SHA-512");
    let deps = sbom["dependencies"].as_array().unwrap().iter().find(|d| d["ref"] == "plugin:npmed@2.1.0").unwrap();
    assert_eq!(deps["dependsOn"], json!(["pkg:npm/%40acme/npmed@2.1.0"]));
    let solo = sbom["components"].as_array().unwrap().iter().find(|c| c["bom-ref"] == "plugin:solo@1.1.0").unwrap();
    assert!(solo["purl"].as_str().unwrap().contains(&solo_commit), "{solo:#}");
}

#[test]
fn a_zip_or_npm_tarball_that_fails_its_hash_installs_nothing() {
    let sb = Sandbox::new();
    let archive = zip("top", &[(".claude-plugin/plugin.json", r#"{"name": "zipped"}"#)]);
    let server = HttpServer::start(vec![("/zipped.zip", Reply::Bytes(archive.clone()))]);
    let market = json!({"name": "m", "owner": {"name": "x"}, "plugins": [
        {"name": "zipped", "source": {"source": "archive", "url": server.url("/zipped.zip"), "sha256": sha256_hex(b"something else")}}]});
    sb.write("team/m/.claude-plugin/marketplace.json", &market.to_string());
    sb.write("team/paii.toml", "[registries]\nm = { marketplace = \"./m\" }\n\n[plugins]\nzipped = \"*\"\n");
    let out = sb.paii_in("team", &["sync"]).fails();
    assert!(out.stderr.contains("fails its hash"), "{}", out.stderr);
    assert!(out.stderr.contains("zipped"), "{}", out.stderr);
    assert!(!sb.home().join("current").exists(), "nothing is installed");

    // An npm tarball whose bytes are not the ones its packument names.
    let pkg = sb.path("npm/pkg");
    std::fs::create_dir_all(pkg.join(".claude-plugin")).unwrap();
    std::fs::write(pkg.join(".claude-plugin/plugin.json"), r#"{"name": "npmed", "version": "1.0.0"}"#).unwrap();
    let tgz = tarball(&pkg, "package");
    let port = common::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let packument = json!({"dist-tags": {"latest": "1.0.0"},
        "versions": {"1.0.0": {"dist": {"tarball": format!("{base}/npmed-1.0.0.tgz"), "integrity": sha512_sri(b"other bytes")}}}});
    let _npm = HttpServer::start_on(
        port,
        vec![("/npmed", Reply::Bytes(packument.to_string().into_bytes())), ("/npmed-1.0.0.tgz", Reply::Bytes(tgz))],
    );
    let market = json!({"name": "m", "owner": {"name": "x"}, "plugins": [
        {"name": "npmed", "source": {"source": "npm", "package": "npmed", "registry": base}}]});
    sb.write("team/m/.claude-plugin/marketplace.json", &market.to_string());
    sb.write("team/paii.toml", "[registries]\nm = { marketplace = \"./m\" }\n\n[plugins]\nnpmed = \"*\"\n");
    let out = sb.paii_in("team", &["sync"]).fails();
    assert!(out.stderr.contains("plugin `npmed`") && out.stderr.contains("fails its hash"), "{}", out.stderr);
    assert!(!sb.home().join("current").exists(), "nothing is installed");
}

#[test]
fn registry_add_takes_a_marketplace() {
    let sb = Sandbox::new();
    write_marketplace(&sb.path("team/acme"));
    sb.write("team/paii.toml", "# mine\n[registries]\n\n[plugins]\n");
    let out = sb.paii_in("team", &["registry", "add", "acme", "--marketplace", "./acme"]).ok();
    assert!(out.stderr.contains("acme") || out.stdout.contains("acme"), "{}{}", out.stdout, out.stderr);
    assert!(sb.read("team/paii.toml").contains("acme = { marketplace = \"./acme\" }"), "{}", sb.read("team/paii.toml"));
    let shown = sb.paii_in("team", &["registry", "show", "acme", "-o", "json"]).ok().json();
    assert_eq!(shown["registry_name"], "acme-tools", "{shown:#}");
    assert_eq!(shown["plugins"].as_array().map(Vec::len), Some(7), "{shown:#}");
}

#[test]
fn bad_marketplaces_are_refused_with_the_file_and_the_entry() {
    let sb = Sandbox::new();
    let cases: &[(&str, &str)] = &[
        ("{\"name\": \"m\", \"owner\": ", "not valid JSON"),
        (r#"{"name": "m", "plugins": []}"#, "owner"),
        (
            r#"{"name": "m", "owner": {"name": "x"}, "plugins": [{"name": "tool", "source": {"source": "command", "command": "make-plugin"}}]}"#,
            "source kind `command`",
        ),
        (
            r#"{"name": "m", "owner": {"name": "x"}, "plugins": [{"name": "esc", "source": "./../outside"}]}"#,
            "leaves the marketplace repository",
        ),
        (
            r#"{"name": "m", "owner": {"name": "x"}, "plugins": [{"name": "a", "source": "./a"}, {"name": "a", "source": "./b"}]}"#,
            "listed twice",
        ),
    ];
    sb.write("team/paii.toml", "[registries]\nm = { marketplace = \"./m\" }\n\n[plugins]\ntool = \"*\"\n");
    for (text, expected) in cases {
        sb.write("team/m/.claude-plugin/marketplace.json", text);
        let out = sb.paii_in("team", &["lock"]).fails();
        assert!(out.stderr.contains(expected), "{text}\n=> {}", out.stderr);
        assert!(out.stderr.contains("marketplace.json"), "the file is named: {}", out.stderr);
        assert!(!sb.path("team/paii.lock").exists());
    }
}

#[test]
fn two_plugins_with_the_same_agent_install_side_by_side_as_in_claude_code() {
    let sb = Sandbox::new();
    write_marketplace(&sb.path("team/acme"));
    sb.write("team/acme/plugins/guard/agents/reviewer.md", "---\nname: reviewer\ndescription: also\n---\n");
    sb.write("team/paii.toml", "[registries]\nacme = { marketplace = \"./acme\" }\n\n[plugins]\nguard = \"*\"\nreview = \"*\"\n");
    sb.paii_in("team", &["sync"]).ok();
    // Claude Code names them guard:reviewer and review:reviewer.
    assert!(sb.path("claude/skills/guard/agents/reviewer.md").is_file());
    assert!(sb.path("claude/skills/review/agents/reviewer.md").is_file());
    assert!(!GUARD_PY.is_empty());
}

#[test]
fn registry_validate_checks_marketplaces_and_plugin_manifests_against_the_schemas() {
    let sb = Sandbox::new();
    write_marketplace(&sb.path("acme"));
    let ok = sb.paii_in(".", &["registry", "validate", "acme"]).ok();
    assert!(ok.stdout.contains("acme/.claude-plugin/marketplace.json: valid (7 plugins"), "{}", ok.stdout);
    assert!(sb.paii_in(".", &["registry", "validate", "acme/plugins/guard"]).ok().stdout.contains("valid"));

    // A schema violation in the marketplace, a source paii cannot fetch,
    // and a broken plugin.json of one of its plugins: each at its place.
    sb.write(
        "acme/.claude-plugin/marketplace.json",
        r#"{"name": "acme", "owner": {"name": "Acme"}, "plugins": [
  {"name": "guard", "source": "./plugins/guard", "version": 3},
  {"name": "gen", "source": {"source": "command", "command": "make-plugin"}},
  {"name": "review", "source": "./plugins/review"}
]}"#,
    );
    sb.write("acme/plugins/review/.claude-plugin/plugin.json", r#"{"name": "review", "agents": 5}"#);
    let gh = sb.paii_in(".", &["registry", "validate", "acme/.claude-plugin/marketplace.json", "--format", "github"]).fails();
    assert!(gh.stdout.contains("::error file=acme/.claude-plugin/marketplace.json,line=2,col="), "{}", gh.stdout);
    assert!(gh.stdout.contains("::error file=acme/.claude-plugin/marketplace.json,line=3,col="), "{}", gh.stdout);
    let text = sb.paii_in(".", &["registry", "validate", "acme", "-o", "json"]).fails().json();
    assert_eq!(text["valid"], false);

    sb.write(
        "acme/.claude-plugin/marketplace.json",
        r#"{"name": "acme", "owner": {"name": "Acme"}, "plugins": [{"name": "review", "source": "./plugins/review"}]}"#,
    );
    let gh = sb.paii_in(".", &["registry", "validate", "acme", "--format", "github"]).fails();
    assert!(gh.stdout.contains("plugins/review/.claude-plugin/plugin.json,line=1,col="), "the plugin's own file is named: {}", gh.stdout);
    let plugin = sb.paii_in(".", &["registry", "validate", "acme/plugins/review/.claude-plugin/plugin.json", "--format", "github"]).fails();
    assert!(plugin.stdout.starts_with("::error file=acme/plugins/review/.claude-plugin/plugin.json,line=1,col="), "{}", plugin.stdout);
}

#[test]
fn import_claude_moves_an_existing_setup_under_paii_and_paii_s_copies_replace_claude_code_s() {
    let sb = Sandbox::new();
    let commit = marketplace_repo(&sb.path("repos/acme"));
    let url = format!("file://{}", sb.path("repos/acme").display());
    // What Claude Code installed, and at which commit of the marketplace.
    let installed = json!({"version": 2, "plugins": {
        "guard@acme-tools": [{"scope": "user", "version": "1.0.0", "gitCommitSha": commit}],
        "review@acme-tools": [{"scope": "user", "version": &commit[..12], "gitCommitSha": commit}]
    }});
    sb.write("claude/plugins/installed_plugins.json", &installed.to_string());
    let original = json!({
        "model": "opus",
        "enabledPlugins": {
            "guard@acme-tools": true, "review@acme-tools": true, "old@acme-tools": false,
            "mine@inline": true, "ghost@nowhere": true, "missing@acme-tools": true
        },
        "extraKnownMarketplaces": {"acme-tools": {"source": {"source": "git", "url": url}}}
    });
    let text = serde_json::to_string_pretty(&original).unwrap() + "\n";
    sb.write("claude/settings.json", &text);
    let team_toml = "# our team's plugins\n[registries]\n\n[plugins]\n# more to come\n";
    sb.write("team/paii.toml", team_toml);

    let dry = sb.paii_in("team", &["import", "claude"]).ok();
    for needle in [
        format!("+ [registries] acme-tools = {{ marketplace = \"{url}\", rev = \"{commit}\" }}"),
        "+ [plugins] guard = { version = \"=1.0.0\", registry = \"acme-tools\" }".to_string(),
        "+ [plugins] review = { version = \"*\"".to_string(),
        "skipped missing@acme-tools: would not sync: marketplace `acme-tools` lists no plugin `missing`".to_string(),
        "skipped old@acme-tools: not enabled".to_string(),
        "skipped ghost@nowhere: Claude Code knows no marketplace `nowhere`".to_string(),
        "skipped mine@inline".to_string(),
    ] {
        assert!(dry.stdout.contains(&needle), "missing {needle:?} in:\n{}", dry.stdout);
    }
    assert_eq!(sb.read("team/paii.toml"), team_toml, "a dry run changes nothing");
    let json = sb.paii_in("team", &["import", "claude", "-o", "json"]).ok().json();
    assert_eq!(json["plugins"]["review"], "acme-tools");

    sb.paii_in("team", &["import", "claude", "--write"]).ok();
    let toml = sb.read("team/paii.toml");
    assert!(toml.contains("# our team's plugins") && toml.contains("# more to come"), "comments kept:\n{toml}");
    assert!(toml.contains("guard = { version = \"=1.0.0\", registry = \"acme-tools\" }"), "{toml}");
    assert!(!toml.contains("missing"), "what would not sync is left out:\n{toml}");

    sb.paii_in("team", &["sync"]).ok();
    let s = settings(&sb);
    assert_eq!(s["enabledPlugins"]["guard@acme-tools"], false, "paii's copy replaces Claude Code's: {s:#}");
    assert_eq!(s["enabledPlugins"]["review@acme-tools"], false);
    assert_eq!(s["enabledPlugins"]["mine@inline"], true);
    assert_eq!(s["model"], "opus");
    assert!(guard(&sb).stdout.contains("deny"));

    sb.paii_in("team", &["deactivate"]).ok();
    assert_eq!(sb.read("claude/settings.json"), text, "deactivate turns Claude Code's copies back on, byte for byte");
}

/// Versions and names as Claude Code takes them: an entry without a version
/// (pinned to a commit by `sha`, or following a branch) gets its
/// plugin.json's, and `lock --update` takes a newer one; an entry whose
/// plugin.json names the plugin otherwise installs under the entry's name,
/// with a warning saying so.
#[test]
fn versions_and_names_come_as_claude_code_takes_them() {
    let sb = Sandbox::new();
    let repo = sb.path("repos/solo");
    std::fs::create_dir_all(repo.join(".claude-plugin")).unwrap();
    std::fs::write(repo.join(".claude-plugin/plugin.json"), r#"{"name": "solo", "version": "1.2.32"}"#).unwrap();
    std::fs::create_dir_all(repo.join("commands")).unwrap();
    std::fs::write(repo.join("commands/hi.md"), "Hi.\n").unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "solo"]);
    let commit = git(&repo, &["rev-parse", "HEAD"]);
    let url = format!("file://{}", repo.display());
    let market = json!({
        "name": "remote", "owner": {"name": "Acme"},
        "plugins": [
            {"name": "pinned", "source": {"source": "url", "url": url, "sha": commit}},
            {"name": "moving", "source": {"source": "url", "url": url, "ref": "main"}},
            {"name": "renamed", "source": {"source": "git-subdir", "url": url, "path": "."}}
        ]
    });
    sb.write("team/remote/.claude-plugin/marketplace.json", &market.to_string());
    sb.write(
        "team/paii.toml",
        "[registries]\nremote = { marketplace = \"./remote\" }\n\n[plugins]\npinned = \"*\"\nmoving = \"^1\"\nrenamed = \"*\"\n",
    );
    let out = sb.paii_in("team", &["sync"]).ok();
    let lock = sb.read("team/paii.lock");
    for name in ["pinned", "moving", "renamed"] {
        assert!(locked(&lock, name).contains("version = \"1.2.32\""), "{name} has plugin.json's version:\n{lock}");
        assert!(sb.path(&format!("claude/skills/{name}/commands/hi.md")).is_file(), "{name} installs under the entry's name");
    }
    assert!(
        out.stderr.contains(
            "`renamed`: its plugin.json names it `solo` (Claude Code installs it as `renamed` and namespaces its components `solo:`)"
        ),
        "{}",
        out.stderr
    );
    sb.paii_in("team", &["sync", "--locked"]).ok();

    std::fs::write(repo.join(".claude-plugin/plugin.json"), r#"{"name": "solo", "version": "1.3.0"}"#).unwrap();
    git(&repo, &["commit", "-q", "-am", "1.3.0"]);
    // A lock that has to be resolved again (a plugin removed) keeps what it
    // had pinned.
    sb.write("team/paii.toml", "[registries]\nremote = { marketplace = \"./remote\" }\n\n[plugins]\npinned = \"*\"\nmoving = \"^1\"\n");
    sb.paii_in("team", &["lock"]).ok();
    assert!(locked(&sb.read("team/paii.lock"), "moving").contains("version = \"1.2.32\""), "{}", sb.read("team/paii.lock"));
    sb.paii_in("team", &["lock", "--update", "moving"]).ok();
    let lock = sb.read("team/paii.lock");
    assert!(locked(&lock, "moving").contains("version = \"1.3.0\""), "{lock}");
    assert!(locked(&lock, "pinned").contains("version = \"1.2.32\""), "the pinned one stays:\n{lock}");
    sb.paii_in("team", &["sync", "--locked"]).ok();

    // A plugin that renames itself in a new version: still the entry's
    // plugin, namespaced by its new name, with a warning; a rollback gives
    // back the old name.
    std::fs::write(repo.join(".claude-plugin/plugin.json"), r#"{"name": "duo", "version": "1.4.0"}"#).unwrap();
    git(&repo, &["commit", "-q", "-am", "renamed to duo"]);
    sb.paii_in("team", &["lock", "--update", "moving"]).ok();
    let out = sb.paii_in("team", &["sync", "--locked"]).ok();
    assert!(out.stderr.contains("`moving`: its plugin.json names it `duo`"), "{}", out.stderr);
    let manifest = || json_of(&sb.read("claude/skills/moving/.claude-plugin/plugin.json"));
    assert_eq!(manifest()["name"], "duo");
    assert!(sb.path("claude/skills/moving/commands/hi.md").is_file());
    sb.paii_in("team", &["rollback"]).ok();
    assert_eq!(manifest()["name"], "solo");
}

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

/// A marketplace entry whose plugin directory is a git submodule is refused
/// by name (paii fetches no submodules), not with a missing object.
#[test]
fn a_plugin_directory_that_is_a_submodule_is_refused_by_name() {
    let sb = Sandbox::new();
    let inner = sb.path("repos/inner");
    std::fs::create_dir_all(inner.join(".claude-plugin")).unwrap();
    std::fs::write(inner.join(".claude-plugin/plugin.json"), r#"{"name": "inner"}"#).unwrap();
    git(&inner, &["init", "-q", "-b", "main"]);
    git(&inner, &["add", "-A"]);
    git(&inner, &["commit", "-q", "-m", "inner"]);
    let outer = sb.path("repos/outer");
    std::fs::create_dir_all(&outer).unwrap();
    git(&outer, &["init", "-q", "-b", "main"]);
    git(&outer, &["-c", "protocol.file.allow=always", "submodule", "add", "-q", &format!("file://{}", inner.display()), "plugins/inner"]);
    git(&outer, &["commit", "-q", "-m", "outer"]);
    let market = json!({"name": "m", "owner": {"name": "A"}, "plugins": [
        {"name": "inner", "source": {"source": "git-subdir", "url": format!("file://{}", outer.display()), "path": "plugins/inner"}}
    ]});
    sb.write("team/m/.claude-plugin/marketplace.json", &market.to_string());
    sb.write("team/paii.toml", "[registries]\nm = { marketplace = \"./m\" }\n\n[plugins]\ninner = \"*\"\n");
    let out = sb.paii_in("team", &["sync"]).fails();
    assert!(out.stderr.contains("plugin `inner`") && out.stderr.contains("git submodule at `plugins/inner`"), "{}", out.stderr);
    assert!(!out.stderr.contains("could not be found"), "{}", out.stderr);
    assert!(!sb.home().join("current").exists());
}

/// A marketplace's `renames`: a plugin requested by its old name installs
/// the current one, with a warning naming both.
#[test]
fn a_renamed_plugin_is_followed_to_its_new_name() {
    let sb = Sandbox::new();
    write_marketplace(&sb.path("team/acme"));
    let path = sb.path("team/acme/.claude-plugin/marketplace.json");
    let mut market: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    market["renames"] = json!({"old-guard": "guard", "gone": null});
    std::fs::write(&path, market.to_string()).unwrap();
    sb.write("team/paii.toml", "[registries]\nacme = { marketplace = \"./acme\" }\n\n[plugins]\nold-guard = \"*\"\n");
    let out = sb.paii_in("team", &["sync"]).ok();
    assert!(out.stderr.contains("marketplace `acme` renamed `old-guard` to `guard`"), "{}", out.stderr);
    assert!(sb.path("claude/skills/old-guard/hooks/guard.py").is_file());
    sb.write("team/paii.toml", "[registries]\nacme = { marketplace = \"./acme\" }\n\n[plugins]\ngone = \"*\"\n");
    let out = sb.paii_in("team", &["sync"]).fails();
    assert!(out.stderr.contains("gone"), "{}", out.stderr);
}

/// `registry validate` checks a plugin's hooks files, which Claude Code
/// refuses to load when they are malformed, for a plugin and for each
/// local plugin of a marketplace.
#[test]
fn registry_validate_checks_hooks_files() {
    let sb = Sandbox::new();
    write_marketplace(&sb.path("acme"));
    sb.paii_in(".", &["registry", "validate", "acme"]).ok();
    sb.write("acme/plugins/guard/hooks/hooks.json", r#"{"PreToolUse": [{"matcher": "Bash", "hooks": []}]}"#);
    let out = sb.paii_in(".", &["registry", "validate", "acme/plugins/guard"]).fails();
    assert!(out.stdout.contains("hooks/hooks.json") && out.stdout.contains("a hooks file must hold"), "{}", out.stdout);
    let out = sb.paii_in(".", &["registry", "validate", "acme"]).fails();
    assert!(out.stdout.contains("plugins/guard/hooks/hooks.json"), "{}", out.stdout);
}

/// `optionalDependencies` come with their plugin, as Claude Code installs
/// them: one the marketplace has and that starts enabled; one that starts
/// off (`defaultEnabled: false`) or that the marketplace lacks is left out.
#[test]
fn optional_dependencies_install_where_claude_code_would_install_them() {
    let sb = Sandbox::new();
    write_marketplace(&sb.path("team/acme"));
    let path = sb.path("team/acme/.claude-plugin/marketplace.json");
    let mut market: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let plugins = market["plugins"].as_array_mut().unwrap();
    plugins.push(json!({"name": "extras", "source": "./plugins/extras", "optionalDependencies": ["review", "quiet", "nowhere"]}));
    plugins.push(json!({"name": "quiet", "source": "./plugins/quiet", "defaultEnabled": false}));
    std::fs::write(&path, market.to_string()).unwrap();
    sb.write("team/acme/plugins/extras/commands/x.md", "X.\n");
    sb.write("team/acme/plugins/quiet/commands/q.md", "Q.\n");
    sb.write("team/paii.toml", "[registries]\nacme = { marketplace = \"./acme\" }\n\n[plugins]\nextras = \"*\"\n");
    sb.paii_in("team", &["sync"]).ok();
    let lock = sb.read("team/paii.lock");
    assert!(lock.contains("name = \"review\""), "{lock}");
    assert!(!lock.contains("name = \"quiet\"") && !lock.contains("nowhere"), "{lock}");
    assert!(sb.path("claude/skills/review/agents/reviewer.md").is_file());
}

/// `registry validate` takes a marketplace by its git URL (checked out and
/// validated as the directory it is, files named by the URL), and `--fetch`
/// reports no false differences for marketplace entries (which carry no
/// integrity or contracts, and take plugin.json's version).
#[test]
fn registry_validate_takes_a_git_url_and_fetch_finds_no_false_differences() {
    let sb = Sandbox::new();
    marketplace_repo(&sb.path("repos/acme"));
    let url = format!("file://{}", sb.path("repos/acme").display());
    let ok = sb.paii_in(".", &["registry", "validate", &url]).ok();
    assert!(ok.stdout.contains(&format!("{url}/.claude-plugin/marketplace.json: valid (7 plugins")), "{}", ok.stdout);
    let fetched = sb.paii_in(".", &["registry", "validate", &url, "--fetch"]).ok();
    assert!(!fetched.stdout.contains("in the registry but") && !fetched.stdout.contains("add `integrity"), "{}", fetched.stdout);
    let repo = sb.path("repos/acme");
    std::fs::write(repo.join("plugins/review/.claude-plugin/plugin.json"), r#"{"name": "review", "agents": 5}"#).unwrap();
    git(&repo, &["commit", "-q", "-am", "break review"]);
    let bad = sb.paii_in(".", &["registry", "validate", &url, "--format", "github"]).fails();
    // GitHub's workflow commands escape the colon of a property.
    let shown = url.replacen("file:", "file%3A", 1);
    assert!(bad.stdout.contains(&format!("file={shown}/plugins/review/.claude-plugin/plugin.json")), "{}", bad.stdout);
}

/// `registry validate` agrees with `claude plugin validate`: a plugin on its
/// own may not take a name reserved for Anthropic's (a marketplace may list
/// one), an agent whose frontmatter does not parse is refused (a
/// description holding `: ` is the string it means), and a `"."` source is
/// the marketplace's root.
#[test]
fn registry_validate_agrees_with_claude_code_on_names_frontmatter_and_sources() {
    let sb = Sandbox::new();
    write_marketplace(&sb.path("acme"));
    sb.write("acme/plugins/review/.claude-plugin/plugin.json", r#"{"name": "claude-review"}"#);
    let out = sb.paii_in(".", &["registry", "validate", "acme/plugins/review"]).fails();
    assert!(out.stdout.contains("`claude-review` is reserved"), "{}", out.stdout);
    sb.write("acme/plugins/review/.claude-plugin/plugin.json", r#"{"name": "review"}"#);
    sb.write(
        "acme/plugins/review/agents/colons.md",
        "---\nname: colons\ndescription: Use it when asked. Examples: <example>Context: a user asks</example>\n---\nBody.\n",
    );
    sb.paii_in(".", &["registry", "validate", "acme/plugins/review"]).ok();
    sb.write(
        "acme/plugins/review/agents/broken.md",
        "---\nname: broken\ndescription: first line\nContext: a key\n<not yaml at all\n---\nBody.\n",
    );
    let out = sb.paii_in(".", &["registry", "validate", "acme/plugins/review"]).fails();
    assert!(out.stdout.contains("agents/broken.md") && out.stdout.contains("frontmatter does not parse"), "{}", out.stdout);
    sb.write("solo/.claude-plugin/plugin.json", r#"{"name": "solo"}"#);
    sb.write(
        "solo/.claude-plugin/marketplace.json",
        r#"{"name": "solo-market", "owner": {"name": "A"}, "plugins": [{"name": "solo", "source": "."}]}"#,
    );
    sb.paii_in(".", &["registry", "validate", "solo/.claude-plugin/marketplace.json"]).ok();
}

/// Two marketplaces that call themselves by one name (a fork beside its
/// upstream): each is the registry paii.toml names it, so a plugin comes from
/// the first registry that has it, or from the one its entry names, and
/// moving it from one to the other is a change of source like any other.
#[test]
fn two_marketplaces_with_one_name_are_told_apart_by_their_registry() {
    let sb = Sandbox::new();
    write_marketplace(&sb.path("team/acme"));
    write_marketplace(&sb.path("team/fork"));
    sb.write("team/fork/plugins/review/commands/review.md", "---\ndescription: The fork's review\n---\nReview.\n");
    let registries = "[registries]\nacme = { marketplace = \"./acme\" }\nfork = { marketplace = \"./fork\" }\n\n[plugins]\n";
    sb.write("team/paii.toml", &format!("{registries}review = \"*\"\n"));
    sb.paii_in("team", &["sync"]).ok();
    assert!(locked(&sb.read("team/paii.lock"), "review").contains("path+acme/plugins/review"));
    assert!(!sb.read("claude/skills/review/commands/review.md").contains("fork"));
    sb.write("team/paii.toml", &format!("{registries}review = {{ version = \"*\", registry = \"fork\" }}\n"));
    let out = sb.paii_in("team", &["sync", "--locked"]).fails();
    assert!(out.stderr.contains("review"), "{}", out.stderr);
    sb.paii_in("team", &["sync"]).ok();
    assert!(locked(&sb.read("team/paii.lock"), "review").contains("path+fork/plugins/review"));
    assert!(sb.read("claude/skills/review/commands/review.md").contains("fork"));
    sb.paii_in("team", &["rollback"]).ok();
    assert!(!sb.read("claude/skills/review/commands/review.md").contains("fork"));
}
