//! A throwaway PAII_HOME, CLAUDE_CONFIG_DIR and work tree per test, and the
//! real paii binary run inside it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn ok(self) -> Run {
        assert_eq!(self.code, 0, "expected success\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }
    pub fn fails(self) -> Run {
        assert_eq!(self.code, 1, "expected exit 1\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", self.stdout))
    }
}

pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

impl Sandbox {
    pub fn new() -> Sandbox {
        Sandbox { dir: tempfile::tempdir().unwrap() }
    }

    /// A sandbox holding a copy of fixtures/ (registries and the team config).
    pub fn with_fixtures() -> Sandbox {
        let sb = Sandbox::new();
        copy_dir(&repo_root().join("fixtures"), &sb.path("fixtures"));
        sb
    }

    /// A sandbox with fixtures/ and this repository's first-party plugins
    /// beside it (`plugins/`, linked), as the README demo lays them out:
    /// `fixtures/demo/paii.toml` reads the core registry
    /// `../../plugins/registry.toml`.
    pub fn with_demo() -> Sandbox {
        let sb = Sandbox::with_fixtures();
        std::os::unix::fs::symlink(repo_root().join("plugins"), sb.path("plugins")).unwrap();
        sb
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn home(&self) -> PathBuf {
        self.path("paii-home")
    }

    pub fn team(&self) -> PathBuf {
        self.path("fixtures/team")
    }

    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    pub fn command(&self, cwd: &Path, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_paii"));
        c.args(args)
            .current_dir(cwd)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.path("home"))
            .env("PAII_HOME", self.home())
            .env("CLAUDE_CONFIG_DIR", self.path("claude"))
            .env("NO_COLOR", "1");
        // Builds need the real toolchains and the machine's CA and proxy
        // settings, whatever HOME the sandbox gives paii.
        let real_home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
        c.env("CARGO_HOME", std::env::var_os("CARGO_HOME").map(PathBuf::from).unwrap_or_else(|| real_home.join(".cargo")))
            .env("RUSTUP_HOME", std::env::var_os("RUSTUP_HOME").map(PathBuf::from).unwrap_or_else(|| real_home.join(".rustup")));
        for key in ["SSL_CERT_FILE", "SSL_CERT_DIR", "RUSTUP_TOOLCHAIN"] {
            if let Some(v) = std::env::var_os(key) {
                c.env(key, v);
            }
        }
        c
    }

    /// Runs paii in `cwd` (relative to the sandbox).
    pub fn paii_in(&self, cwd: &str, args: &[&str]) -> Run {
        let cwd = self.path(cwd);
        std::fs::create_dir_all(&cwd).unwrap();
        run(self.command(&cwd, args).output().unwrap())
    }

    /// Runs paii in the team directory.
    /// `paii hook dispatch EVENT` in `cwd` with `input` on stdin, as Claude
    /// Code runs it.
    pub fn dispatch_in(&self, cwd: &str, event: &str, input: &serde_json::Value) -> Run {
        with_input(self.command(&self.path(cwd), &["hook", "dispatch", event]), input)
    }

    /// Runs the hooks of the Claude Code plugin `plugin` for `event` as
    /// Claude Code runs them, from the hooks.json of the plugin directory
    /// paii installed under `claude_dir` (`claude` or a project's
    /// `.claude`): every command hook of a group whose matcher matches the
    /// input's `tool_name` (a plain name, `A|B`, or none/`*`), in order,
    /// with the input on stdin. The real client is the judge of matching;
    /// this is how the tests that do not start it reach a plugin's hooks.
    pub fn plugin_hooks_in(&self, claude_dir: &str, cwd: &str, plugin: &str, event: &str, input: &serde_json::Value) -> Vec<Run> {
        let path = self.path(&format!("{claude_dir}/skills/{plugin}/hooks/hooks.json"));
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap();
        let tool = input["tool_name"].as_str().unwrap_or_default();
        let mut runs = Vec::new();
        for group in doc["hooks"][event].as_array().into_iter().flatten() {
            let matcher = group["matcher"].as_str().unwrap_or_default();
            if !(matcher.is_empty() || matcher == "*" || matcher.split('|').any(|m| m == tool)) {
                continue;
            }
            for hook in group["hooks"].as_array().into_iter().flatten().filter(|h| h["type"] == "command") {
                let command = hook["command"].as_str().unwrap();
                let mut c = match hook["args"].as_array() {
                    Some(args) => {
                        let mut c = Command::new(command);
                        c.args(args.iter().map(|a| a.as_str().unwrap()));
                        c
                    }
                    None => {
                        let mut c = Command::new("/bin/sh");
                        c.args(["-c", command]);
                        c
                    }
                };
                c.current_dir(self.path(cwd)).env_clear();
                for (k, v) in self.command(&self.path(cwd), &[]).get_envs() {
                    if let Some(v) = v {
                        c.env(k, v);
                    }
                }
                c.env("CLAUDE_PLUGIN_ROOT", self.path(&format!("{claude_dir}/skills/{plugin}")))
                    .env("CLAUDE_PLUGIN_DATA", self.path(&format!("claude/plugins/data/{plugin}-skills-dir")));
                runs.push(with_input(c, input));
            }
        }
        runs
    }

    /// [`Sandbox::plugin_hooks_in`] of the user's Claude dir, in `cwd`.
    pub fn plugin_hooks(&self, cwd: &str, plugin: &str, event: &str, input: &serde_json::Value) -> Vec<Run> {
        self.plugin_hooks_in("claude", cwd, plugin, event, input)
    }

    pub fn paii(&self, args: &[&str]) -> Run {
        self.paii_in("fixtures/team", args)
    }
}

/// Runs `c` with `input` (JSON) on its stdin.
pub fn with_input(mut c: Command, input: &serde_json::Value) -> Run {
    use std::io::Write;
    let mut child =
        c.stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(input.to_string().as_bytes()).unwrap();
    run(child.wait_with_output().unwrap())
}

pub fn run(out: Output) -> Run {
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        // A developer's build output is not part of a plugin's source.
        if entry.file_name() == "target" {
            continue;
        }
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Removes a read-only tree (a store entry or generation).
pub fn remove_tree(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    for e in walk(dir) {
        if !e.is_symlink() {
            let _ = std::fs::set_permissions(&e, std::fs::Permissions::from_mode(0o755));
        }
    }
    std::fs::remove_dir_all(dir).unwrap();
}

/// Every regular file under `dir`, recursively (symlinks are not followed).
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        match e.file_type() {
            Ok(t) if t.is_dir() => out.extend(files_under(&p)),
            Ok(t) if t.is_file() => out.push(p),
            _ => {}
        }
    }
    out
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![dir.to_path_buf()];
    if dir.is_dir() && !dir.is_symlink() {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            out.extend(walk(&e.path()));
        }
    }
    out
}
