//! Generations as Claude Code sees them: settings.json hook entries, skill,
//! agent and command links, MCP servers; rollback, switch, deactivate,
//! doctor; conflicts and bad input. Crashes at every step are in crash.rs.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use common::Sandbox;
use common::claude::*;
use serde_json::{Value, json};

#[test]
fn sync_installs_hooks_links_and_mcp_servers_and_keeps_every_user_setting() {
    let sb = Sandbox::new();
    full_plugin(&sb, "alpha", "");
    full_plugin(&sb, "beta", "[hooks.post_tool_use]\nmatcher = \"Write|Edit\"\n");
    team(&sb, &["alpha", "beta"]);
    sb.write("claude/settings.json", USER_SETTINGS);
    sb.write("claude/.claude.json", r#"{"numStartups": 7, "mcpServers": {"mine": {"command": "x"}}, "projects": {}}"#);
    sync(&sb).ok();

    let s = settings(&sb);
    assert_valid_settings(&s);
    assert_eq!(s["model"], "opus");
    assert_eq!(s["zzz_unknown_to_schema"], true);
    assert_eq!(s.as_object().unwrap().keys().collect::<Vec<_>>(), ["model", "permissions", "hooks", "zzz_unknown_to_schema"]);
    let pre = s["hooks"]["PreToolUse"].as_array().unwrap();
    assert_eq!(pre[0]["hooks"][0]["command"], "my-formatter", "the user's own hook stays first");
    let exe = std::path::PathBuf::from(env!("CARGO_BIN_EXE_paii"));
    let hooks = paii_hooks(&s);
    assert!(
        hooks.contains(&("PreToolUse".into(), Some("Bash".into()), format!("{} hook dispatch pre-tool-use", exe.display()))),
        "{hooks:?}"
    );
    assert!(hooks.contains(&("Stop".into(), None, format!("{} hook dispatch stop", exe.display()))), "{hooks:?}");
    assert!(hooks.iter().any(|(e, m, _)| e == "PostToolUse" && m.as_deref() == Some("Write|Edit")));
    assert_eq!(hooks.iter().filter(|(e, _, _)| e == "PreToolUse").count(), 1, "one entry per event, union matcher");

    for link in ["skills/alpha", "skills/beta", "agents/alpha-agent.md", "commands/beta-cmd.md"] {
        let target = fs::read_link(sb.path(&format!("claude/{link}"))).unwrap();
        assert_eq!(target, sb.home().join("current/claude").join(link), "{link} goes through current");
        assert!(sb.path(&format!("claude/{link}")).exists(), "{link} resolves");
    }
    assert!(sb.path("claude/skills/alpha/SKILL.md").is_file());

    let c = claude_json(&sb);
    assert_eq!(c["numStartups"], 7);
    assert_eq!(c["mcpServers"]["mine"]["command"], "x");
    assert_eq!(c["mcpServers"]["alpha-srv"]["command"], format!("{}/plugins/alpha/srv", sb.home().display()));
    assert_eq!(c["mcpServers"]["alpha-srv"]["env"]["TOKEN"], "${alpha_TOKEN}", "secrets stay references");

    // The generation holds its own claude/ tree and dispatch table.
    let g = sb.home().join("generations/1");
    assert!(g.join("claude/settings.json").is_file() && g.join("claude/mcp.json").is_file());
    let table: Value = serde_json::from_str(&fs::read_to_string(g.join("dispatch.json")).unwrap()).unwrap();
    let h = &table["events"]["pre-tool-use"][0];
    assert_eq!(h["plugin"], "alpha");
    assert_eq!(h["timeout_ms"], 2000);
    assert_eq!(h["matcher"], "Bash");
    let run = &table["plugins"]["alpha"];
    assert_eq!(run["root"], json!(g.join("plugins/alpha")));
    assert!(run["argv"][0].as_str().unwrap().ends_with("/run.sh"));
    // The original settings.json was kept before paii first wrote it.
    let backups: Vec<_> = fs::read_dir(sb.home().join("backups")).unwrap().flatten().collect();
    assert_eq!(backups.len(), 1, "one directory per Claude config directory");
    assert_eq!(fs::read_to_string(backups[0].path().join("settings.json")).unwrap(), USER_SETTINGS);
}

#[test]
fn a_no_op_sync_creates_no_generation_and_touches_no_file() {
    let sb = synced(&["alpha"]);
    let before = fs::metadata(sb.path("claude/settings.json")).unwrap().modified().unwrap();
    let out = sync(&sb).ok();
    assert!(out.stderr.contains("nothing changed; generation 1 stays current"), "{}", out.stderr);
    assert!(!sb.home().join("generations/2").exists());
    assert_eq!(fs::metadata(sb.path("claude/settings.json")).unwrap().modified().unwrap(), before);
}

#[test]
fn removing_a_plugin_removes_exactly_what_it_added_and_rollback_brings_it_back() {
    let sb = Sandbox::new();
    full_plugin(&sb, "alpha", "");
    full_plugin(&sb, "beta", "");
    team(&sb, &["alpha", "beta"]);
    sb.write("claude/settings.json", USER_SETTINGS);
    sync(&sb).ok();
    let with_both = sb.read("claude/settings.json");
    sb.paii_in("team", &["plugin", "remove", "beta"]).ok();
    assert_eq!(current(&sb).as_deref(), Some("generations/2"));
    assert!(!sb.path("claude/skills/beta").exists() && fs::symlink_metadata(sb.path("claude/skills/beta")).is_err());
    assert!(sb.path("claude/skills/alpha").exists());
    assert!(claude_json(&sb)["mcpServers"].get("beta-srv").is_none());
    assert_eq!(settings(&sb), serde_json::from_str::<Value>(&with_both).unwrap(), "alpha still handles the same events");

    // Rollback goes to the parent, and Claude Code's files follow.
    sb.paii_in("team", &["rollback"]).ok();
    assert_eq!(current(&sb).as_deref(), Some("generations/1"));
    assert!(sb.path("claude/skills/beta/SKILL.md").is_file());
    assert!(claude_json(&sb)["mcpServers"].get("beta-srv").is_some());
    sb.paii_in("team", &["switch", "2"]).ok();
    assert!(!sb.path("claude/skills/beta").exists());

    // With every plugin gone, settings.json is the user's own again, byte for byte.
    team(&sb, &[]);
    sync(&sb).ok();
    assert_eq!(sb.read("claude/settings.json"), USER_SETTINGS);
    assert!(fs::read_dir(sb.path("claude/skills")).unwrap().next().is_none());
    assert_eq!(current(&sb).as_deref(), Some("generations/3"), "an empty [plugins] is an empty generation");
}

#[test]
fn a_switch_that_keeps_the_names_changes_no_link() {
    let sb = synced(&["alpha"]);
    fs::write(sb.path("plugins/alpha/SKILL.md"), "# alpha, improved\n").unwrap();
    sync(&sb).ok();
    let link = sb.path("claude/skills/alpha");
    let ino = |p: &Path| std::os::unix::fs::MetadataExt::ino(&fs::symlink_metadata(p).unwrap());
    let before = ino(&link);
    assert_eq!(fs::read_to_string(link.join("SKILL.md")).unwrap(), "# alpha, improved\n");
    sb.paii_in("team", &["rollback"]).ok();
    assert_eq!(fs::read_to_string(link.join("SKILL.md")).unwrap(), "# alpha\n");
    assert_eq!(ino(&link), before, "the link itself was not touched");
}

#[test]
fn a_name_the_user_owns_is_a_conflict_and_nothing_is_switched() {
    let sb = Sandbox::new();
    full_plugin(&sb, "alpha", "");
    team(&sb, &[]);
    sync(&sb).ok();
    sb.write("claude/skills/alpha/SKILL.md", "# my own alpha\n");
    sb.write("claude/.claude.json", r#"{"mcpServers": {"alpha-srv": {"command": "mine"}}}"#);
    team(&sb, &["alpha"]);
    let out = sync(&sb).fails();
    assert!(out.stderr.contains("claude/skills/alpha") && out.stderr.contains("MCP server `alpha-srv`"), "{}", out.stderr);
    assert!(out.stderr.contains("not paii's"), "{}", out.stderr);
    assert_eq!(sb.read("claude/skills/alpha/SKILL.md"), "# my own alpha\n");
    assert_eq!(current(&sb).as_deref(), Some("generations/1"));
    assert!(!sb.home().join("generations/2").exists(), "no generation is made for a sync that cannot switch");
    assert!(!sb.path("claude/settings.json").exists());
}

#[test]
fn two_plugins_providing_one_skill_name_is_an_error() {
    let sb = Sandbox::new();
    full_plugin(&sb, "alpha", "[provides]\nskill = \"alpha\"\n");
    full_plugin(&sb, "beta", "[provides]\nskill = \"alpha\"\n");
    team(&sb, &["alpha", "beta"]);
    // At lock time, from the plugins' `provides`.
    let out = sb.paii_in("team", &["lock"]).fails();
    assert!(out.stderr.contains("plugins `alpha` and `beta` both provide the skill `alpha`"), "{}", out.stderr);
    assert!(!sb.path("team/paii.lock").exists());
    let out = sync(&sb).fails();
    assert!(out.stderr.contains("both provide the skill `alpha`"), "{}", out.stderr);
    assert!(current(&sb).is_none());
    // And by convention (a skills/<name>/SKILL.md), when the sync assembles.
    full_plugin(&sb, "beta", "");
    sb.write("plugins/beta/skills/alpha/SKILL.md", "# alpha again\n");
    let out = sync(&sb).fails();
    assert!(out.stderr.contains("skills/alpha is provided by both `alpha` and `beta`"), "{}", out.stderr);
    assert!(current(&sb).is_none());
}

#[test]
fn hooks_and_mcp_can_be_switched_off_per_plugin() {
    let sb = Sandbox::new();
    full_plugin(&sb, "alpha", "");
    full_plugin(&sb, "beta", "");
    team(&sb, &["alpha = { path = \"../plugins/alpha\", hooks = false }", "beta = { path = \"../plugins/beta\", mcp = false }"]);
    sync(&sb).ok();
    let table: Value = serde_json::from_str(&fs::read_to_string(sb.home().join("current/dispatch.json")).unwrap()).unwrap();
    let handlers: Vec<&str> = table["events"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|hs| hs.as_array().unwrap())
        .map(|h| h["plugin"].as_str().unwrap())
        .collect();
    assert!(!handlers.contains(&"alpha") && handlers.contains(&"beta"), "{table}");
    assert!(table["plugins"].get("alpha").is_some(), "`paii run alpha` still works");
    let servers = claude_json(&sb)["mcpServers"].clone();
    assert!(servers.get("alpha-srv").is_some() && servers.get("beta-srv").is_none(), "{servers}");
    assert!(sb.path("claude/skills/alpha").exists(), "its skill is still installed");
}

#[test]
fn invalid_settings_json_is_never_overwritten_and_the_error_has_line_and_column() {
    let sb = Sandbox::new();
    full_plugin(&sb, "alpha", "");
    team(&sb, &["alpha"]);
    let bad = "{\n  \"model\": \"opus\",\n  \"hooks\": {,}\n}\n";
    sb.write("claude/settings.json", bad);
    let out = sync(&sb).fails();
    assert!(out.stderr.contains("settings.json:3:"), "{}", out.stderr);
    assert_eq!(sb.read("claude/settings.json"), bad);
    assert!(current(&sb).is_none());

    for (text, what) in [("[1, 2]", "not a JSON object"), (r#"{"hooks": []}"#, "`hooks` in settings.json is not an object")] {
        sb.write("claude/settings.json", text);
        let out = sync(&sb).fails();
        assert!(out.stderr.contains(what), "{}", out.stderr);
        assert_eq!(sb.read("claude/settings.json"), text);
    }
    sb.write("claude/settings.json", "{}");
    sb.write("claude/.claude.json", "{ broken");
    let out = sync(&sb).fails();
    assert!(out.stderr.contains(".claude.json:1:"), "{}", out.stderr);
    assert_eq!(sb.read("claude/.claude.json"), "{ broken");
}

#[test]
fn dry_run_shows_claude_changes_and_touches_nothing() {
    let sb = Sandbox::new();
    full_plugin(&sb, "alpha", "");
    team(&sb, &["alpha"]);
    let out = sb.paii_in("team", &["sync", "--dry-run"]).ok();
    for line in ["+ hook PreToolUse", "+ hook Stop", "+ link skills/alpha", "+ mcp server alpha-srv", "nothing was changed"] {
        assert!(out.stderr.contains(line), "{line}:\n{}", out.stderr);
    }
    assert!(!sb.home().join("current").exists() && !sb.path("claude/settings.json").exists() && !sb.path("team/paii.lock").exists());
}

#[test]
fn deactivate_leaves_the_users_files_as_they_were_and_sync_brings_paii_back() {
    let sb = Sandbox::new();
    full_plugin(&sb, "alpha", "");
    team(&sb, &["alpha"]);
    sb.write("claude/settings.json", USER_SETTINGS);
    // An empty agents/ of the user's own: paii fills it, and leaves it.
    fs::create_dir(sb.path("claude/agents")).unwrap();
    sync(&sb).ok();
    let out = sb.paii_in("team", &["deactivate"]).ok();
    assert!(out.stderr.contains("- link skills/alpha"), "{}", out.stderr);
    let mut left: Vec<_> = fs::read_dir(sb.path("claude")).unwrap().flatten().map(|e| e.file_name()).collect();
    left.sort();
    assert_eq!(left, ["agents", "settings.json"], "skills/ and commands/ were paii's");
    assert_eq!(fs::read_dir(sb.path("claude/agents")).unwrap().count(), 0);
    assert_eq!(sb.read("claude/settings.json"), USER_SETTINGS, "byte for byte");
    assert!(!sb.path("claude/.claude.json").exists(), "paii created it, and it held only paii's server");
    assert!(!sb.path("claude/skills/alpha").exists());
    let status = sb.paii_in("team", &["status"]).fails();
    assert!(status.stdout.contains("deactivated"), "{}", status.stdout);
    sync(&sb).ok();
    assert!(sb.path("claude/skills/alpha").exists());
    assert_eq!(paii_hooks(&settings(&sb)).len(), 2);
    sb.paii_in("team", &["status"]).ok();
}

/// A Claude dir paii created (with its .claude.json in it, as
/// CLAUDE_CONFIG_DIR puts it) is gone after deactivate, and a sync that
/// creates nothing new records nothing.
#[test]
fn deactivate_removes_a_claude_dir_paii_created() {
    let sb = Sandbox::new();
    full_plugin(&sb, "alpha", "");
    team(&sb, &["alpha"]);
    assert!(!sb.path("claude").exists());
    sync(&sb).ok();
    assert!(sb.path("claude/.claude.json").is_file() && sb.path("claude/skills/alpha").exists());
    let state = |sb: &Sandbox| {
        let dir = fs::read_dir(sb.home().join("claude-state")).unwrap().flatten().next().unwrap().path();
        fs::read_to_string(dir.join("owned.json")).unwrap()
    };
    let record = state(&sb);
    assert!(!record.contains("\"pending\": true"), "{record}");
    sync(&sb).ok();
    assert_eq!(state(&sb), record, "a sync that creates nothing records nothing");
    sb.paii_in("team", &["deactivate"]).ok();
    assert!(
        !sb.path("claude").exists(),
        "{:?}",
        fs::read_dir(sb.path("claude")).map(|d| d.flatten().map(|e| e.file_name()).collect::<Vec<_>>())
    );
}

#[test]
fn doctor_reports_foreign_edits_and_dangling_links_and_fix_repairs_them() {
    let sb = synced(&["alpha"]);
    sb.paii_in("team", &["doctor"]).ok();

    // Someone edits paii's matcher by hand and deletes a link.
    let mut s = settings(&sb);
    for g in s["hooks"]["PreToolUse"].as_array_mut().unwrap() {
        g["matcher"] = json!("Bash|Edit");
    }
    fs::write(sb.path("claude/settings.json"), serde_json::to_string_pretty(&s).unwrap()).unwrap();
    fs::remove_file(sb.path("claude/agents/alpha-agent.md")).unwrap();
    std::os::unix::fs::symlink(sb.home().join("current/claude/skills/gone"), sb.path("claude/skills/gone")).unwrap();
    let mut c = claude_json(&sb);
    c["mcpServers"]["alpha-srv"]["command"] = json!("tampered");
    fs::write(sb.path("claude/.claude.json"), c.to_string()).unwrap();

    let out = sb.paii_in("team", &["doctor"]).fails();
    for what in [
        "PreToolUse hook was edited by hand",
        "link agents/alpha-agent.md is missing",
        "dangling link skills/gone",
        "`alpha-srv` (paii's) was edited by hand",
    ] {
        assert!(out.stdout.contains(what), "{what}:\n{}", out.stdout);
    }
    // Reported, not silently reverted.
    assert_eq!(settings(&sb)["hooks"]["PreToolUse"][0]["matcher"], "Bash|Edit");

    let out = sb.paii_in("team", &["doctor", "--fix"]).ok();
    assert!(out.stdout.contains("fixed:"), "{}", out.stdout);
    assert_eq!(paii_hooks(&settings(&sb))[0].1.as_deref(), Some("Bash"));
    assert!(sb.path("claude/agents/alpha-agent.md").exists());
    assert!(fs::symlink_metadata(sb.path("claude/skills/gone")).is_err());
    assert_ne!(claude_json(&sb)["mcpServers"]["alpha-srv"]["command"], "tampered");
    sb.paii_in("team", &["doctor"]).ok();
}

#[test]
fn doctor_finds_missing_and_corrupt_store_entries_and_a_broken_current() {
    let sb = Sandbox::new();
    full_plugin(&sb, "alpha", "[secrets]\nrequired = [\"ALPHA_KEY\"]\n");
    team(&sb, &["alpha"]);
    let out = sync(&sb).ok();
    assert!(out.stderr.contains("ALPHA_KEY"), "a missing required secret is reported at sync: {}", out.stderr);
    let out = sb.paii_in("team", &["doctor"]).fails();
    assert!(out.stdout.contains("`alpha`: ALPHA_KEY (required) is not in"), "{}", out.stdout);
    sb.write("paii-home/.env", "ALPHA_KEY=x\n");
    // Secrets are for the owner only (doctor says so otherwise).
    fs::set_permissions(sb.home().join(".env"), fs::Permissions::from_mode(0o600)).unwrap();

    let entry = fs::read_link(sb.home().join("generations/1/plugins/alpha")).unwrap();
    fs::set_permissions(&entry, fs::Permissions::from_mode(0o755)).unwrap();
    fs::set_permissions(entry.join("SKILL.md"), fs::Permissions::from_mode(0o644)).unwrap();
    fs::write(entry.join("SKILL.md"), "# tampered\n").unwrap();
    let out = sb.paii_in("team", &["doctor"]).fails();
    assert!(out.stdout.contains("is corrupt"), "{}", out.stdout);

    common::remove_tree(&entry);
    let out = sb.paii_in("team", &["doctor"]).fails();
    assert!(out.stdout.contains("missing from the store") && out.stdout.contains("paii sync"), "{}", out.stdout);
    // A plain sync fetches it again.
    sync(&sb).ok();
    assert!(entry.join("SKILL.md").is_file());
    sb.paii_in("team", &["doctor"]).ok();

    // `current` pointing nowhere: doctor --fix points it at the newest complete generation.
    fs::remove_file(sb.home().join("current")).unwrap();
    std::os::unix::fs::symlink("generations/99", sb.home().join("current")).unwrap();
    let out = sb.paii_in("team", &["doctor"]).fails();
    assert!(out.stdout.contains("`current` does not point at a complete generation"), "{}", out.stdout);
    sb.paii_in("team", &["doctor", "--fix"]).ok();
    assert_eq!(current(&sb).as_deref(), Some("generations/1"));
}

#[test]
fn a_corrupt_generation_is_never_switched_to() {
    let sb = synced(&["alpha"]);
    team(&sb, &[]);
    sync(&sb).ok();
    let g1 = sb.home().join("generations/1");
    fs::set_permissions(&g1, fs::Permissions::from_mode(0o755)).unwrap();
    fs::set_permissions(g1.join("generation.toml"), fs::Permissions::from_mode(0o644)).unwrap();
    fs::write(g1.join("generation.toml"), "garbage = [").unwrap();
    let out = sb.paii_in("team", &["rollback"]).fails();
    assert!(out.stderr.contains("generation"), "{}", out.stderr);
    assert_eq!(current(&sb).as_deref(), Some("generations/2"));
    let out = sb.paii_in("team", &["switch", "1"]).fails();
    assert!(out.stderr.contains("generations/1"), "{}", out.stderr);
}

#[test]
fn concurrent_syncs_serialise_on_the_home_lock_and_all_succeed() {
    let sb = Sandbox::new();
    full_plugin(&sb, "alpha", "");
    full_plugin(&sb, "beta", "");
    team(&sb, &["alpha", "beta"]);
    let children: Vec<_> =
        (0..4).map(|_| sb.command(&sb.path("team"), &["sync"]).stderr(std::process::Stdio::piped()).spawn().unwrap()).collect();
    let outs: Vec<_> = children.into_iter().map(|c| common::run(c.wait_with_output().unwrap())).collect();
    for o in &outs {
        assert_eq!(o.code, 0, "{}", o.stderr);
    }
    assert_consistent(&sb);
    assert_eq!(current(&sb).as_deref(), Some("generations/1"), "the later syncs found nothing to do");
    assert!(!sb.home().join("generations/2").exists());
}

#[test]
fn review_regressions_on_the_claude_side() {
    // A settings.json kept in a dotfiles repository stays a symlink.
    let sb = Sandbox::new();
    full_plugin(&sb, "alpha", "");
    team(&sb, &["alpha"]);
    sb.write("dotfiles/settings.json", USER_SETTINGS);
    fs::create_dir_all(sb.path("claude")).unwrap();
    std::os::unix::fs::symlink(sb.path("dotfiles/settings.json"), sb.path("claude/settings.json")).unwrap();
    sync(&sb).ok();
    assert!(fs::symlink_metadata(sb.path("claude/settings.json")).unwrap().file_type().is_symlink());
    assert_eq!(paii_hooks(&serde_json::from_str(&sb.read("dotfiles/settings.json")).unwrap()).len(), 2);

    // Each Claude config directory has its own record: a sync into a
    // throwaway one does not cost the real one its MCP servers.
    let other = sb.path("other-claude");
    let run_in =
        |dir: &Path, args: &[&str]| common::run(sb.command(&sb.path("team"), args).env("CLAUDE_CONFIG_DIR", dir).output().unwrap());
    assert_eq!(run_in(&other, &["switch", "1"]).code, 0);
    assert!(other.join("skills/alpha").exists());
    team(&sb, &[]);
    sync(&sb).ok();
    assert!(!sb.path("claude/.claude.json").exists(), "alpha's server left the real config (and the file paii made for it)");

    // A user's server with paii's very value is still the user's.
    let sb = Sandbox::new();
    full_plugin(&sb, "alpha", "");
    team(&sb, &["alpha"]);
    let value = json!({"command": format!("{}/plugins/alpha/srv", sb.home().display()), "env": {"TOKEN": "${alpha_TOKEN}"}});
    sb.write("claude/.claude.json", &json!({"mcpServers": {"alpha-srv": value}}).to_string());
    let out = sync(&sb).fails();
    assert!(out.stderr.contains("MCP server `alpha-srv`"), "{}", out.stderr);

    // A plugin with hooks but nothing to run gets no settings entry.
    let sb = Sandbox::new();
    sb.write("plugins/inert/plugin.toml", "[plugin]\nname = \"inert\"\nversion = \"1.0.0\"\n\n[hooks]\nstop = true\n");
    team(&sb, &["inert"]);
    sync(&sb).ok();
    assert!(!sb.path("claude/settings.json").exists());

    // A hook command whose paii binary is gone is found, and fixed.
    let sb = synced(&["alpha"]);
    let text = sb.read("claude/settings.json");
    let exe = env!("CARGO_BIN_EXE_paii").to_string();
    fs::write(sb.path("claude/settings.json"), text.replace(&exe, "/opt/gone/paii")).unwrap();
    let out = sb.paii_in("team", &["doctor"]).fails();
    assert!(out.stdout.contains("/opt/gone/paii, which no longer exists"), "{}", out.stdout);
    sb.paii_in("team", &["doctor", "--fix"]).ok();
    assert!(sb.read("claude/settings.json").contains(&exe));
}

#[test]
fn gc_keeps_a_generation_a_hook_is_running_from() {
    let sb = synced(&["alpha"]);
    full_plugin(&sb, "beta", "");
    team(&sb, &["alpha", "beta"]);
    sync(&sb).ok();
    // A dispatcher holds generation 1's table (as one started before the switch would).
    let table = fs::File::open(sb.home().join("generations/1/dispatch.json")).unwrap();
    table.try_lock_shared().unwrap();
    let out = sb.paii_in("team", &["gc", "--keep", "1", "-o", "json"]).ok();
    assert_eq!(out.json()["generations"], json!([]), "{}", out.stdout);
    assert!(sb.home().join("generations/1/plugins/alpha/SKILL.md").is_file());
    drop(table);
    let out = sb.paii_in("team", &["gc", "--keep", "1", "-o", "json"]).ok();
    assert_eq!(out.json()["generations"], json!([1]));
}

#[test]
fn a_non_root_user_can_sync_and_gc() {
    // Moving a read-only directory to another parent needs write permission
    // on it, which root does not need: run paii as `nobody` to prove it.
    let is_root = unsafe { libc_geteuid() } == 0;
    let setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].into_iter().find(|p| Path::new(p).exists());
    let (true, Some(setpriv)) = (is_root, setpriv) else { return };
    let sb = Sandbox::new();
    full_plugin(&sb, "alpha", "");
    team(&sb, &["alpha"]);
    std::process::Command::new("chown").args(["-R", "65534:65534"]).arg(sb.dir.path()).status().unwrap();
    fs::set_permissions(sb.dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let as_nobody = |args: &[&str]| {
        let mut c = sb.command(&sb.path("team"), args);
        let exe = env!("CARGO_BIN_EXE_paii");
        let mut all = vec!["--reuid=65534", "--regid=65534", "--clear-groups", exe];
        all.extend_from_slice(args);
        let mut cmd = std::process::Command::new(setpriv);
        cmd.args(&all);
        for (k, v) in c.get_envs() {
            if let Some(v) = v {
                cmd.env(k, v);
            }
        }
        cmd.env_clear_and_keep(&mut c);
        common::run(cmd.current_dir(sb.path("team")).output().unwrap())
    };
    let out = as_nobody(&["sync"]);
    if out.code == 126 || out.code == 127 || (out.code == 1 && out.stderr.contains(env!("CARGO_BIN_EXE_paii"))) {
        eprintln!("skipped: nobody cannot run {}: {}", env!("CARGO_BIN_EXE_paii"), out.stderr);
        return;
    }
    assert_eq!(out.code, 0, "{}", out.stderr);
    team(&sb, &[]);
    std::process::Command::new("chown").args(["65534:65534"]).arg(sb.path("team/paii.toml")).status().unwrap();
    assert_eq!(as_nobody(&["sync"]).code, 0);
    let out = as_nobody(&["gc", "--keep", "1"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!sb.home().join("generations/1").exists());
}

unsafe extern "C" {
    #[link_name = "geteuid"]
    fn libc_geteuid() -> u32;
}

trait EnvClearAndKeep {
    fn env_clear_and_keep(&mut self, from: &mut std::process::Command) -> &mut Self;
}

impl EnvClearAndKeep for std::process::Command {
    /// The sandbox's environment only, as `Sandbox::command` builds it.
    fn env_clear_and_keep(&mut self, from: &mut std::process::Command) -> &mut Self {
        let envs: Vec<(std::ffi::OsString, std::ffi::OsString)> =
            from.get_envs().filter_map(|(k, v)| Some((k.to_os_string(), v?.to_os_string()))).collect();
        self.env_clear();
        for (k, v) in envs {
            self.env(k, v);
        }
        self
    }
}

#[test]
fn a_sync_repairs_a_current_that_points_nowhere_and_a_store_entry_deleted_by_hand() {
    let sb = synced(&["alpha"]);
    fs::remove_file(sb.home().join("current")).unwrap();
    std::os::unix::fs::symlink("generations/42", sb.home().join("current")).unwrap();
    let out = dispatch_allows(&sb);
    assert_eq!(out, 0, "a dangling current allows every event");
    sync(&sb).ok();
    assert_eq!(current(&sb).as_deref(), Some("generations/2"));
    assert!(sb.path("claude/skills/alpha/SKILL.md").is_file());
    let entry = fs::read_link(sb.home().join("current/plugins/alpha")).unwrap();
    common::remove_tree(&entry);
    let out = sync(&sb).ok();
    assert!(out.stderr.contains("fetched alpha"), "{}", out.stderr);
    assert!(entry.join("SKILL.md").is_file());
    sb.paii_in("team", &["doctor"]).ok();
}

fn dispatch_allows(sb: &Sandbox) -> i32 {
    use std::io::Write;
    let mut c = sb.command(&sb.path("team"), &["hook", "dispatch", "stop"]).stdin(std::process::Stdio::piped()).spawn().unwrap();
    c.stdin.take().unwrap().write_all(b"{}").unwrap();
    c.wait().unwrap().code().unwrap_or(-1)
}

#[test]
fn hook_entries_name_paii_by_the_path_it_was_started_by() {
    // A package manager's stable symlink survives upgrades; the versioned
    // file behind it does not.
    let sb = Sandbox::new();
    full_plugin(&sb, "alpha", "");
    team(&sb, &["alpha"]);
    fs::create_dir_all(sb.path("bin")).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_paii"), sb.path("bin/paii")).unwrap();
    let out = common::run(
        std::process::Command::new("paii")
            .arg("sync")
            .current_dir(sb.path("team"))
            .env_clear()
            .env("PATH", format!("{}:/usr/bin:/bin", sb.path("bin").display()))
            .env("HOME", sb.path("home"))
            .env("PAII_HOME", sb.home())
            .env("CLAUDE_CONFIG_DIR", sb.path("claude"))
            .output()
            .unwrap(),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let hooks = paii_hooks(&settings(&sb));
    assert_eq!(hooks[0].2, format!("{} hook dispatch pre-tool-use", sb.path("bin/paii").display()));
}
