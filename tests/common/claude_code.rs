//! The real Claude Code client, pinned in `tests/claude-code/` (package.json
//! and package-lock.json), run offline against [`super::anthropic`]'s
//! scripted Messages API. The client is installed into
//! `target/claude-code/` with `npm ci` when it is missing (scripts/test.sh
//! does so up front); `PAII_CLAUDE_CODE` names another binary to run. A
//! client that cannot be installed or started fails the test with the
//! reason: never a silent pass.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::anthropic::MessagesApi;
use super::{Sandbox, repo_root};

/// The Claude Code binary to run; installs it on first use.
pub fn client() -> PathBuf {
    static CLIENT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    CLIENT.get_or_init(install).clone().unwrap_or_else(|e| panic!("the Claude Code client is not available: {e}"))
}

/// The version pinned in tests/claude-code/package.json.
pub fn pinned_version() -> String {
    let text = std::fs::read_to_string(repo_root().join("tests/claude-code/package.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    v["dependencies"]["@anthropic-ai/claude-code"].as_str().unwrap().to_string()
}

fn install() -> Result<PathBuf, String> {
    if let Some(bin) = std::env::var_os("PAII_CLAUDE_CODE").map(PathBuf::from) {
        return if bin.is_file() { Ok(bin) } else { Err(format!("PAII_CLAUDE_CODE={} does not exist", bin.display())) };
    }
    let dir = repo_root().join("target/claude-code");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    // One installer at a time, across test binaries too.
    let lock = std::fs::File::create(dir.join(".lock")).map_err(|e| e.to_string())?;
    lock.lock().map_err(|e| e.to_string())?;
    let pinned = pinned_version();
    if let Some(bin) = installed(&dir, &pinned) {
        return Ok(bin);
    }
    let npm = Command::new("npm").arg("--version").output();
    if !npm.is_ok_and(|o| o.status.success()) {
        return Err("npm is not installed; the real-client tests need Node.js and npm to install the pinned client \
                    (`./scripts/test.sh` installs it, or set PAII_CLAUDE_CODE to a claude binary)"
            .into());
    }
    for f in ["package.json", "package-lock.json"] {
        std::fs::copy(repo_root().join("tests/claude-code").join(f), dir.join(f)).map_err(|e| format!("cannot copy {f}: {e}"))?;
    }
    eprintln!("installing @anthropic-ai/claude-code@{pinned} into {} (npm ci)", dir.display());
    let out = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(&dir)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run npm: {e}"))?;
    if !out.status.success() {
        return Err(format!("`npm ci` of @anthropic-ai/claude-code@{pinned} failed:\n{}", String::from_utf8_lossy(&out.stderr)));
    }
    installed(&dir, &pinned)
        .ok_or_else(|| format!("npm installed @anthropic-ai/claude-code@{pinned}, but no native client for this platform"))
}

/// The native binary of the pinned version under `dir`, if it is there.
fn installed(dir: &Path, pinned: &str) -> Option<PathBuf> {
    let scope = dir.join("node_modules/@anthropic-ai");
    let meta = std::fs::read_to_string(scope.join("claude-code/package.json")).ok()?;
    let version: Value = serde_json::from_str(&meta).ok()?;
    if version["version"] != pinned {
        return None;
    }
    // The platform's package (claude-code-linux-x64, ...) holds the binary.
    std::fs::read_dir(&scope)
        .ok()?
        .flatten()
        .map(|e| e.path().join("claude"))
        .find(|p| p.parent().is_some_and(|d| d.file_name().is_some_and(|n| n.to_string_lossy().starts_with("claude-code-"))) && p.is_file())
}

/// One `claude -p` run.
#[derive(Debug)]
pub struct Turn {
    pub code: i32,
    /// The final JSON Claude Code prints (`result`, `session_id`,
    /// `permission_denials`, ...).
    pub json: Value,
    pub stderr: String,
    /// Claude Code's debug log of the run.
    pub debug: String,
    pub elapsed: Duration,
    /// The bodies of the Messages API requests it made.
    pub requests: Vec<Value>,
}

impl Turn {
    /// The text Claude Code sent the model: every request's system prompt
    /// and messages (skills, agents, commands and MCP tools are listed
    /// there, hook context is added there).
    pub fn sent(&self) -> String {
        self.requests.iter().map(|r| format!("{}\n{}\n{}", r["system"], r["messages"], r["tools"])).collect::<Vec<_>>().join("\n")
    }

    /// The tool results Claude Code sent back, with whether each is an error.
    pub fn tool_results(&self) -> Vec<(String, bool)> {
        let mut out = Vec::new();
        for r in &self.requests {
            for m in r["messages"].as_array().into_iter().flatten() {
                for b in m["content"].as_array().into_iter().flatten() {
                    if b["type"] == "tool_result" {
                        let text = match &b["content"] {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        };
                        out.push((text, b["is_error"] == true));
                    }
                }
            }
        }
        out.dedup();
        out
    }

    /// Errors Claude Code reported about its configuration: settings files,
    /// hooks, skills, agents, commands, MCP servers (its debug log's
    /// `[ERROR]` lines, and anything on stderr). A hook that blocks on
    /// purpose (exit 2) is logged as an error too; that one is not counted.
    pub fn config_errors(&self) -> Vec<String> {
        let mut errors: Vec<String> =
            self.debug.lines().filter(|l| l.contains("[ERROR]") && !l.contains("error: status code 2\\n")).map(str::to_string).collect();
        errors.extend(self.stderr.lines().filter(|l| !l.trim().is_empty()).map(|l| format!("stderr: {l}")));
        errors
    }
}

/// The environment Claude Code runs with in `sb`: throwaway HOME,
/// CLAUDE_CONFIG_DIR and PAII_HOME, the scripted API, and nothing that
/// reaches beyond 127.0.0.1.
pub fn env(sb: &Sandbox, api: &MessagesApi) -> Vec<(String, String)> {
    let path = |rel: &str| sb.path(rel).display().to_string();
    vec![
        ("PATH".into(), std::env::var("PATH").unwrap_or_default()),
        ("HOME".into(), path("home")),
        ("PAII_HOME".into(), sb.home().display().to_string()),
        ("CLAUDE_CONFIG_DIR".into(), path("claude")),
        ("ANTHROPIC_BASE_URL".into(), api.url()),
        ("ANTHROPIC_API_KEY".into(), "sk-ant-test-key".into()),
        ("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC".into(), "1".into()),
        ("DISABLE_TELEMETRY".into(), "1".into()),
        ("DISABLE_AUTOUPDATER".into(), "1".into()),
        ("CLAUDE_CODE_MAX_RETRIES".into(), "0".into()),
        ("API_TIMEOUT_MS".into(), "30000".into()),
        // MCP servers may take a moment to start; -p waits ~2 s by default.
        ("CLAUDE_CODE_MCP_STARTUP_WAIT_MS".into(), "15000".into()),
        ("CLAUDE_CODE_TMPDIR".into(), path("claude-tmp")),
        ("NO_COLOR".into(), "1".into()),
    ]
}

/// Runs `claude -p PROMPT` in `cwd` with `allowed_tools`, against `api`.
pub fn run(sb: &Sandbox, api: &MessagesApi, cwd: &Path, prompt: &str, allowed_tools: &str) -> Turn {
    let client = client();
    for dir in ["home", "claude", "claude-tmp"] {
        std::fs::create_dir_all(sb.path(dir)).unwrap();
    }
    // Without its user config Claude Code logs an error of its own.
    let user_config = sb.path("claude/.claude.json");
    if !user_config.exists() {
        std::fs::write(&user_config, "{}\n").unwrap();
    }
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let debug = sb.path(&format!("claude-debug-{}.log", RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)));
    api.clear();
    let started = Instant::now();
    let mut child = Command::new(&client)
        .args(["-p", prompt, "--output-format", "json", "--allowedTools", allowed_tools, "--debug-file"])
        .arg(&debug)
        .current_dir(cwd)
        .env_clear()
        .envs(env(sb, api))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start Claude Code ({}): {e}", client.display()));
    // A run that hangs fails the test instead of holding it forever.
    let deadline = started + Duration::from_secs(120);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!("Claude Code did not finish in 120 s; stderr:\n{}", String::from_utf8_lossy(&out.stderr));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let elapsed = started.elapsed();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let json = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!("Claude Code printed no JSON result ({e}); exit {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}", out.status.code())
    });
    let unexpected = api.unexpected();
    assert!(unexpected.is_empty(), "the scripted API got requests it does not expect: {unexpected:?}");
    Turn {
        code: out.status.code().unwrap_or(-1),
        json,
        stderr,
        debug: std::fs::read_to_string(&debug).unwrap_or_default(),
        elapsed,
        requests: api.requests(),
    }
}

/// Runs the client's own command line (`claude plugin ...`) in `sb`'s
/// throwaway HOME and CLAUDE_CONFIG_DIR, offline; no Messages API.
pub fn command(sb: &Sandbox, args: &[&str]) -> std::process::Output {
    for dir in ["home", "claude", "claude-tmp"] {
        std::fs::create_dir_all(sb.path(dir)).unwrap();
    }
    let user_config = sb.path("claude/.claude.json");
    if !user_config.exists() {
        std::fs::write(&user_config, "{}\n").unwrap();
    }
    let path = |rel: &str| sb.path(rel).display().to_string();
    Command::new(client())
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", path("home"))
        .env("PAII_HOME", sb.home())
        .env("CLAUDE_CONFIG_DIR", path("claude"))
        .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
        .env("DISABLE_TELEMETRY", "1")
        .env("DISABLE_AUTOUPDATER", "1")
        .env("CLAUDE_CODE_TMPDIR", path("claude-tmp"))
        .env("NO_COLOR", "1")
        .current_dir(sb.path("home"))
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot start Claude Code: {e}"))
}
