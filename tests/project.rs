//! Project scope: a paii.toml in a repository that says `scope = "project"`
//! installs into that repository's `.claude/` (hook entries in
//! settings.local.json, links, MCP servers in Claude Code's local scope),
//! keeps its own generations, and leaves the user scope alone.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::claude::{assert_valid_settings, full_plugin, paii_hooks};
use common::{Run, Sandbox, git};
use serde_json::{Value, json};

/// A plugin that records each event it handles in `$HOME/ran`.
fn recording_plugin(sb: &Sandbox, name: &str) {
    full_plugin(sb, name, "");
    fs::create_dir_all(sb.path("home")).unwrap();
    fs::write(sb.path(&format!("plugins/{name}/run.sh")), format!("#!/bin/sh\necho {name} >> \"$HOME/ran\"\nexit 0\n")).unwrap();
}

/// `work/repo`, a git repository whose committed paii.toml asks for the
/// project scope and `plugin`.
fn project(sb: &Sandbox, plugin: &str) -> PathBuf {
    let repo = sb.path("work/repo");
    fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q"]);
    sb.write(
        "work/repo/paii.toml",
        &format!("[paii]\nscope = \"project\"\n\n[plugins]\n{plugin} = {{ path = \"../../plugins/{plugin}\" }}\n"),
    );
    git(&repo, &["add", "paii.toml"]);
    git(&repo, &["commit", "-qm", "team config"]);
    fs::canonicalize(repo).unwrap()
}

/// The user's own paii.toml (in `PAII_HOME`) with `plugin`.
fn user(sb: &Sandbox, plugin: &str) {
    sb.write(
        "paii-home/paii.toml",
        &format!("[plugins]\n{plugin} = {{ path = \"{}\" }}\n", sb.path(&format!("plugins/{plugin}")).display()),
    );
}

/// A user scope with `mine` and a project with `proj`, both synced.
fn both_synced() -> (Sandbox, PathBuf) {
    let sb = Sandbox::new();
    recording_plugin(&sb, "proj");
    recording_plugin(&sb, "mine");
    let repo = project(&sb, "proj");
    user(&sb, "mine");
    sb.paii_in("elsewhere", &["sync"]).ok();
    sb.paii_in("work/repo", &["sync"]).ok();
    (sb, repo)
}

fn json_at(path: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

/// Runs a hook entry's command as Claude Code does: `sh -c`, in `cwd`.
fn run_hook(sb: &Sandbox, command: &str, cwd: &Path) -> Run {
    use std::io::Write;
    let mut child = std::process::Command::new("sh")
        .args(["-c", command])
        .current_dir(cwd)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", sb.path("home"))
        .env("PAII_HOME", sb.home())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let input = json!({"session_id": "s", "hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_input": {"command": "ls"}});
    child.stdin.take().unwrap().write_all(input.to_string().as_bytes()).unwrap();
    common::run(child.wait_with_output().unwrap())
}

fn ran(sb: &Sandbox) -> String {
    let path = sb.path("home/ran");
    let text = fs::read_to_string(&path).unwrap_or_default();
    let _ = fs::remove_file(path);
    text
}

fn pre_tool_use_command(settings: &Value) -> String {
    paii_hooks(settings).into_iter().find(|(e, _, _)| e == "PreToolUse").map(|(_, _, c)| c).expect("a PreToolUse entry")
}

#[test]
fn a_project_sync_installs_into_the_repository_and_keeps_it_out_of_git() {
    let sb = Sandbox::new();
    recording_plugin(&sb, "proj");
    let repo = project(&sb, "proj");
    // The team's committed settings are theirs: paii never writes them.
    let team_settings = "{\n  \"permissions\": { \"allow\": [\"Bash(ls:*)\"] }\n}\n";
    sb.write("work/repo/.claude/settings.json", team_settings);
    git(&repo, &["add", ".claude/settings.json"]);
    git(&repo, &["commit", "-qm", "team settings"]);

    let out = sb.paii_in("work/repo", &["sync"]).ok();
    assert!(out.stderr.contains(&format!("generation 1 is current (project scope ({}))", repo.display())), "{}", out.stderr);

    let local = json_at(&repo.join(".claude/settings.local.json"));
    assert_valid_settings(&local);
    let profile = fs::read_dir(sb.home().join("projects")).unwrap().flatten().next().unwrap().path();
    assert!(profile.file_name().unwrap().to_string_lossy().starts_with("repo-"));
    let command = pre_tool_use_command(&local);
    assert!(command.ends_with(&format!("hook dispatch pre-tool-use --profile {}", profile.display())), "{command}");
    assert_eq!(sb.read("work/repo/.claude/settings.json"), team_settings);
    for link in ["skills/proj", "agents/proj-agent.md", "commands/proj-cmd.md"] {
        let target = fs::read_link(repo.join(".claude").join(link)).unwrap();
        assert_eq!(target, profile.join("current/claude").join(link));
        assert!(repo.join(".claude").join(link).exists(), "{link} dangles");
    }
    // MCP servers in Claude Code's local scope for this project, none user-wide.
    let claude_json = json_at(&sb.path("claude/.claude.json"));
    let root = repo.display().to_string();
    assert!(claude_json["projects"][&root]["mcpServers"]["proj-srv"].is_object(), "{claude_json:#}");
    assert!(claude_json.get("mcpServers").is_none(), "{claude_json:#}");
    // The user scope is untouched.
    assert!(!sb.path("claude/settings.json").exists());
    assert!(!sb.path("claude/skills").exists());
    assert!(!sb.home().join("current").exists());

    // Nothing paii added shows in git: only the lock, which the team commits.
    assert_eq!(git(&repo, &["status", "--porcelain", "--untracked-files=all"]), "?? paii.lock");
    assert!(!repo.join(".gitignore").exists());
    assert!(fs::read_to_string(repo.join(".git/info/exclude")).unwrap().contains("/.claude/skills/proj\n"));

    // The entry names the project's generation: its handlers answer.
    let out = run_hook(&sb, &command, Path::new("/"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(ran(&sb), "proj\n");

    let status = sb.paii_in("work/repo", &["status", "-o", "json"]).ok().json();
    assert_eq!(status["scope"]["kind"], "project");
    assert_eq!(status["scope"]["project"]["root"], root);
    assert_eq!(status["drift"], json!([]));

    // Deactivating gives the repository back as it was.
    let out = sb.paii_in("work/repo", &["deactivate"]).ok();
    assert!(out.stderr.contains("acting on the project scope"), "{}", out.stderr);
    assert!(!repo.join(".claude/settings.local.json").exists());
    assert!(fs::symlink_metadata(repo.join(".claude/skills/proj")).is_err());
    // The directories paii made go too; the team's .claude stays.
    let left: Vec<_> = fs::read_dir(repo.join(".claude")).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(left, ["settings.json"]);
    assert!(!fs::read_to_string(repo.join(".git/info/exclude")).unwrap().contains("paii"));
    assert!(!sb.path("claude/.claude.json").exists(), "paii created it, and it holds nothing else");
    assert_eq!(sb.read("work/repo/.claude/settings.json"), team_settings);
}

#[test]
fn both_scopes_fire_and_every_state_command_acts_on_the_scope_it_finds() {
    let (sb, repo) = both_synced();

    // Claude Code merges both settings files: each entry runs its own scope's plugins.
    let user_command = pre_tool_use_command(&json_at(&sb.path("claude/settings.json")));
    let project_command = pre_tool_use_command(&json_at(&repo.join(".claude/settings.local.json")));
    assert!(!user_command.contains("--profile"), "{user_command}");
    run_hook(&sb, &user_command, &repo);
    run_hook(&sb, &project_command, &repo);
    assert_eq!(ran(&sb), "mine\nproj\n");

    // `run` in a project: its own plugin, and a user's plugin it does not have.
    sb.paii_in("work/repo", &["run", "proj", "--action", "x"]).ok();
    sb.paii_in("work/repo", &["run", "mine", "--action", "x"]).ok();
    assert_eq!(ran(&sb), "proj\nmine\n");
    let out = sb.paii_in("work/repo", &["--scope", "project", "run", "mine", "--action", "x"]);
    assert_eq!(out.code, 1, "--scope project means the project's plugins only");

    let handlers = |cwd: &str, extra: &[&str]| -> Vec<String> {
        let mut args = vec!["hook", "list", "-o", "json"];
        args.extend(extra);
        let v = sb.paii_in(cwd, &args).ok().json();
        let mut plugins: Vec<String> =
            v["handlers"].as_array().unwrap().iter().map(|h| h["plugin"].as_str().unwrap().to_string()).collect();
        plugins.dedup();
        plugins
    };
    assert_eq!(handlers("work/repo", &[]), ["proj"]);
    assert_eq!(handlers("work/repo/sub", &[]), ["proj"]);
    assert_eq!(handlers("elsewhere", &[]), ["mine"]);
    assert_eq!(handlers("work/repo", &["--scope", "user"]), ["mine"]);

    // A second project generation, and a rollback, touch only the project.
    fs::write(sb.path("plugins/proj/SKILL.md"), "# proj, changed\n").unwrap();
    sb.paii_in("work/repo", &["sync"]).ok();
    let list = sb.paii_in("work/repo", &["generations", "list", "-o", "json"]).ok();
    assert!(list.stderr.is_empty() || list.stderr.contains("project scope"), "{}", list.stderr);
    assert_eq!(list.json().as_array().unwrap().len(), 2);
    let out = sb.paii_in("work/repo", &["rollback"]).ok();
    assert!(out.stderr.contains("acting on the project scope") && out.stderr.contains("rolled back to generation 1"), "{}", out.stderr);
    let switched = sb.paii_in("work/repo", &["switch", "2", "-o", "json"]).ok().json();
    assert_eq!((switched["current"].clone(), switched["scope"]["kind"].clone()), (json!(2), json!("project")));
    let out = sb.paii_in("elsewhere", &["generations", "list"]).ok();
    assert!(out.stderr.contains("acting on the user scope"), "{}", out.stderr);
    assert_eq!(out.stdout.lines().count(), 2, "{}", out.stdout);
    let out = sb.paii_in("elsewhere", &["rollback"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("generation 1 has no parent"), "{}", out.stderr);

    let doctor = sb.paii_in("work/repo", &["doctor", "-o", "json"]).ok().json();
    assert_eq!(doctor["scope"]["kind"], "project");
    let doctor = sb.paii_in("elsewhere", &["doctor", "-o", "json"]).ok().json();
    assert_eq!(doctor["scope"]["kind"], "user");
}

#[test]
fn gc_keeps_what_any_project_uses_and_collects_a_project_whose_repository_is_gone() {
    let (sb, repo) = both_synced();
    let store_entry = |name: &str| -> Option<PathBuf> {
        fs::read_dir(sb.home().join("store"))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .find(|p| p.to_string_lossy().contains(&format!("-{name}-")))
    };
    let proj_entry = store_entry("proj").unwrap();

    // The user's gc keeps what the project uses.
    let out = sb.paii_in("elsewhere", &["gc"]).ok();
    assert!(out.stderr.contains("removed 0 generation(s) and 0 store entries"), "{}", out.stderr);
    assert!(proj_entry.is_dir());

    // A paii.toml gone from the checkout (another branch) is reported, and
    // the project kept: the branch may come back.
    fs::rename(repo.join("paii.toml"), repo.join("paii.toml.away")).unwrap();
    let out = sb.paii_in("elsewhere", &["doctor"]);
    assert!(out.stdout.contains(&format!("{} is gone (another branch, or moved)", repo.join("paii.toml").display())), "{}", out.stdout);
    sb.paii_in("elsewhere", &["gc"]).ok();
    assert_eq!(fs::read_dir(sb.home().join("projects")).unwrap().count(), 1);
    fs::rename(repo.join("paii.toml.away"), repo.join("paii.toml")).unwrap();

    // The repository moves: paii notices, a sync in the new place works,
    // and gc collects the old project.
    fs::rename(&repo, sb.path("work/moved")).unwrap();
    let moved = fs::canonicalize(sb.path("work/moved")).unwrap();
    let out = sb.paii_in("elsewhere", &["doctor"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(out.stdout.contains(&format!("{} is gone (the repository was moved or deleted)", repo.display())), "{}", out.stdout);
    sb.paii_in("work/moved", &["sync"]).ok();
    let local = json_at(&moved.join(".claude/settings.local.json"));
    assert_eq!(paii_hooks(&local).len(), 2, "{local:#}");
    assert!(moved.join(".claude/skills/proj").exists());
    let out = sb.paii_in("elsewhere", &["gc"]).ok();
    assert!(out.stderr.contains(&format!("removed a project's generations and MCP servers: {} is gone", repo.display())), "{}", out.stderr);
    assert_eq!(fs::read_dir(sb.home().join("projects")).unwrap().count(), 1);
    let claude_json = json_at(&sb.path("claude/.claude.json"));
    assert!(claude_json["projects"].get(repo.display().to_string()).is_none(), "{claude_json:#}");
    assert!(claude_json["projects"][moved.display().to_string()]["mcpServers"]["proj-srv"].is_object(), "{claude_json:#}");
    assert!(proj_entry.is_dir(), "the moved project still uses it");

    // Deleted: collected with what only it used.
    fs::remove_dir_all(&moved).unwrap();
    sb.paii_in("elsewhere", &["gc"]).ok();
    assert!(!sb.home().join("projects").read_dir().unwrap().any(|_| true));
    assert!(store_entry("proj").is_none());
    assert!(store_entry("mine").is_some());
    // The first project created `projects`; the one collected last did not.
    let projects = json_at(&sb.path("claude/.claude.json"))["projects"].clone();
    assert_eq!(projects, json!({}));
    assert!(!sb.path("work/moved").exists(), "gc created nothing where the repository was");
}

#[test]
fn bad_project_input_is_a_clear_error_and_loses_nothing() {
    let sb = Sandbox::new();
    recording_plugin(&sb, "proj");

    // Outside any repository.
    sb.write("loose/paii.toml", "[paii]\nscope = \"project\"\n\n[plugins]\nproj = { path = \"../plugins/proj\" }\n");
    let out = sb.paii_in("loose", &["sync"]).fails();
    assert!(out.stderr.contains("needs a git repository") && out.stderr.contains("--scope user"), "{}", out.stderr);
    assert!(!sb.home().join("projects").exists());
    // `--scope user` installs the same manifest user-wide.
    sb.paii_in("loose", &["sync", "--scope", "user"]).ok();
    assert!(sb.path("claude/skills/proj").exists());

    // A bad scope value points at itself.
    sb.write("bad/paii.toml", "[paii]\nscope = \"team\"\n");
    let out = sb.paii_in("bad", &["sync"]).fails();
    assert!(out.stderr.contains("paii.toml:2:9") && out.stderr.contains("unknown variant `team`"), "{}", out.stderr);

    let repo = project(&sb, "proj");
    for (text, says) in [("{ \"hooks\": ", "is not valid JSON"), ("[1, 2]\n", "is not a JSON object but an array")] {
        sb.write("work/repo/.claude/settings.local.json", text);
        let out = sb.paii_in("work/repo", &["sync"]).fails();
        assert!(out.stderr.contains("settings.local.json") && out.stderr.contains(says), "{}", out.stderr);
        assert_eq!(sb.read("work/repo/.claude/settings.local.json"), text);
        assert!(fs::symlink_metadata(repo.join(".claude/skills/proj")).is_err());
    }
    fs::remove_file(repo.join(".claude/settings.local.json")).unwrap();

    // A skill the team committed under the plugin's name is a conflict, never replaced.
    sb.write("work/repo/.claude/skills/proj/SKILL.md", "# the team's own\n");
    let out = sb.paii_in("work/repo", &["sync"]).fails();
    assert!(out.stderr.contains(".claude/skills/proj") && out.stderr.contains("never replaces your own files"), "{}", out.stderr);
    assert_eq!(sb.read("work/repo/.claude/skills/proj/SKILL.md"), "# the team's own\n");
    assert!(!repo.join(".claude/settings.local.json").exists());
    let projects: Vec<PathBuf> = fs::read_dir(sb.home().join("projects")).into_iter().flatten().flatten().map(|e| e.path()).collect();
    assert!(projects.iter().all(|p| !p.join("current").exists()), "nothing was switched");
    fs::remove_dir_all(repo.join(".claude/skills/proj")).unwrap();

    // A second project paii.toml in the same repository would replace the
    // first one's plugins: refused.
    sb.paii_in("work/repo", &["sync"]).ok();
    sb.write("work/repo/tools/paii.toml", "[paii]\nscope = \"project\"\n");
    let out = sb.paii_in("work/repo/tools", &["sync"]).fails();
    assert!(
        out.stderr.contains("is already installed into this repository from") && out.stderr.contains("work/repo/paii.toml"),
        "{}",
        out.stderr
    );
    assert!(repo.join(".claude/skills/proj").exists());

    // A dotfiles repository at HOME: its `.claude/` is the user's config.
    let home = sb.path("dotfiles-home");
    fs::create_dir_all(home.join(".claude")).unwrap();
    git(&home, &["init", "-q"]);
    sb.write("dotfiles-home/notes/paii.toml", "[paii]\nscope = \"project\"\n");
    let out = sb.command(&home.join("notes"), &["sync"]).env("CLAUDE_CONFIG_DIR", home.join(".claude")).output().unwrap();
    let out = common::run(out).fails();
    assert!(out.stderr.contains("whose `.claude/` is Claude Code's user configuration"), "{}", out.stderr);
}

#[test]
fn claude_codes_own_copy_of_a_plugin_the_project_installs_is_turned_off_for_the_project_only() {
    let sb = Sandbox::new();
    sb.write("plugins/nat/.claude-plugin/plugin.json", r#"{"name": "nat", "version": "1.0.0"}"#);
    sb.write("plugins/nat/skills/nat/SKILL.md", "---\nname: nat\ndescription: d\n---\nnat\n");
    let user_settings = "{\n  \"enabledPlugins\": { \"nat@market\": true, \"other@market\": true }\n}\n";
    sb.write("claude/settings.json", user_settings);
    let repo = project(&sb, "nat");
    let out = sb.paii_in("work/repo", &["sync"]).ok();
    assert!(out.stderr.contains("nat@market"), "{}", out.stderr);
    let local = json_at(&repo.join(".claude/settings.local.json"));
    assert_eq!(local["enabledPlugins"], json!({"nat@market": false}), "{local:#}");
    assert_valid_settings(&local);
    assert_eq!(sb.read("claude/settings.json"), user_settings, "the user's own settings are untouched");
    assert_eq!(git(&repo, &["status", "--porcelain", "--untracked-files=all"]), "?? paii.lock");

    // Not installed any more: the key goes, and the file paii created with it.
    sb.write("work/repo/paii.toml", "[paii]\nscope = \"project\"\n");
    sb.paii_in("work/repo", &["sync"]).ok();
    assert!(!repo.join(".claude/settings.local.json").exists());
    assert_eq!(sb.read("claude/settings.json"), user_settings);
}

#[test]
fn a_worktree_is_a_project_of_its_own_with_its_repositorys_mcp_entry() {
    let sb = Sandbox::new();
    recording_plugin(&sb, "proj");
    let main = project(&sb, "proj");
    git(&main, &["worktree", "add", "-q", "../wt"]);
    let wt = fs::canonicalize(sb.path("work/wt")).unwrap();
    sb.paii_in("work/wt", &["sync"]).ok();
    assert!(wt.join(".claude/skills/proj").exists());
    assert!(!main.join(".claude").exists(), "the main checkout is another project");
    // Claude Code reads a worktree's MCP servers from its repository's entry.
    let claude_json = json_at(&sb.path("claude/.claude.json"));
    assert!(claude_json["projects"][main.display().to_string()]["mcpServers"]["proj-srv"].is_object(), "{claude_json:#}");
    assert_eq!(git(&wt, &["status", "--porcelain", "--untracked-files=all"]), "?? paii.lock");

    // The main checkout wants the same server: one of them must own it.
    let out = sb.paii_in("work/repo", &["sync"]).fails();
    assert!(
        out.stderr.contains(&format!("which paii installs for {}", wt.display())) && out.stderr.contains("every worktree"),
        "{}",
        out.stderr
    );
    assert!(!main.join(".claude/skills/proj").exists(), "nothing was switched");
    // Without MCP servers the main checkout installs, and each keeps its own exclude block.
    sb.write("work/repo/paii.toml", "[paii]\nscope = \"project\"\n\n[plugins]\nproj = { path = \"../../plugins/proj\", mcp = false }\n");
    sb.paii_in("work/repo", &["sync"]).ok();
    assert!(main.join(".claude/skills/proj").exists());
    let exclude = fs::read_to_string(main.join(".git/info/exclude")).unwrap();
    assert_eq!(exclude.matches("# >>> paii ").count(), 2, "{exclude}");
    sb.paii_in("work/wt", &["deactivate"]).ok();
    assert_eq!(git(&main, &["status", "--porcelain", "--untracked-files=all"]), "M paii.toml\n?? paii.lock");
}
