//! Builds: a plugin with code is built once per distinct input into
//! `store/<key>-<name>-<version>-build/`, the way Nix builds derivations.
//! The key covers the source's integrity, the `[build]` table, the
//! toolchain's identity, the target and this recipe's version; an output
//! that exists is never rebuilt, and a new input gives a new output.

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sha2::{Digest, Sha256};

use crate::manifest::PluginManifest;
use crate::manifest::plugin::BuildType;
use crate::store::{Store, StoreError, StorePath};
use crate::util::fs::{IoError, make_read_only, remove_tree};

/// Bumped whenever a recipe changes what it produces.
const RECIPE_VERSION: &str = "paii-build-2";

/// Marks a build output (built in place) as finished.
const COMPLETE: &str = ".paii-complete";

/// `SOURCE_DATE_EPOCH` for every build, and the time every source file is
/// given: 1980-01-01, the zip epoch.
const EPOCH: &str = "315532800";
const EPOCH_SECS: u64 = 315_532_800;

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum BuildError {
    #[error("plugin `{name}` needs `{tool}` to build, and it is not on PATH")]
    #[diagnostic(help("{hint}"))]
    MissingTool { name: String, tool: &'static str, hint: &'static str },
    #[error("plugin `{name}` has no Cargo.lock, so its build is not reproducible")]
    #[diagnostic(help(
        "commit a Cargo.lock with the plugin (`cargo generate-lockfile`), or set `[build] locked = false` in its plugin.toml"
    ))]
    NoCargoLock { name: String },
    #[error("plugin `{name}`: {what} is missing from its source")]
    MissingFile { name: String, what: String },
    #[error("plugin `{name}`: the {tool} build failed; last lines of {}:\n{tail}", log.display())]
    Failed { name: String, tool: &'static str, log: PathBuf, tail: String },
    #[error("plugin `{name}`: `[run] command` `{command}` does not exist after the build")]
    #[diagnostic(help(
        "a path is looked up in the build output, then the plugin; a bare name in the output's bin/, then .venv/bin/, then the plugin, then PATH"
    ))]
    NoCommand { name: String, command: String },
    #[error("plugin `{name}`: cannot {what}: {source}")]
    Io {
        name: String,
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Fs(#[from] IoError),
}

/// A finished build.
#[derive(Debug, Clone)]
pub struct Built {
    pub path: PathBuf,
    /// Whether this call built it (false: it was in the store).
    pub fresh: bool,
    /// Something about the build worth telling the user.
    pub warning: Option<String>,
    /// The binary cache it came from instead of being built.
    pub substituted: Option<String>,
}

pub struct Builder {
    pub store: Store,
    /// Binary caches looked up before building (none with `--offline`).
    pub substitutes: crate::substitute::Cache,
    /// `$PAII_HOME/logs/build`.
    pub logs: PathBuf,
    /// `$PAII_HOME/cache` (uv's cache lives there).
    pub cache: PathBuf,
    /// Tool identities already known in this process.
    memo: std::sync::Mutex<std::collections::HashMap<String, String>>,
}

/// A tool found on PATH and what it says it is.
struct Tool {
    path: PathBuf,
    identity: String,
}

fn which(tool: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(tool)).find(|p| fs::metadata(p).is_ok_and(|m| m.is_file()))
}

fn output_of(cmd: &Path, args: &[&str]) -> String {
    Command::new(cmd)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr))
        .unwrap_or_default()
}

/// What identifies a tool cheaply: its path and the file it resolves to
/// (size and modification time), plus the settings that make rustup and
/// pyenv shims pick another toolchain. Asking the tool itself (`rustc -vV`)
/// costs tens of milliseconds; this costs a few `stat`s.
fn fingerprint(path: &Path) -> String {
    let stat = |p: &Path| {
        fs::metadata(p)
            .map(|m| format!("{}:{}:{:?}", p.display(), m.len(), m.modified().ok()))
            .unwrap_or_else(|_| format!("{}:-", p.display()))
    };
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
    let rustup = std::env::var_os("RUSTUP_HOME").map(PathBuf::from).unwrap_or_else(|| home.join(".rustup"));
    let pyenv = std::env::var_os("PYENV_ROOT").map(PathBuf::from).unwrap_or_else(|| home.join(".pyenv"));
    let canonical = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    // `rustup update` and `pyenv install` change what is inside these,
    // not the shims.
    let installed = |dir: PathBuf, binary: &str| -> String {
        let mut v: Vec<String> =
            fs::read_dir(&dir).map(|rd| rd.flatten().map(|e| stat(&e.path().join(binary))).collect()).unwrap_or_default();
        v.sort();
        v.join(",")
    };
    [
        stat(path),
        stat(&canonical),
        stat(&rustup.join("settings.toml")),
        installed(rustup.join("toolchains"), "bin/rustc"),
        stat(&pyenv.join("version")),
        installed(pyenv.join("versions"), "bin/python"),
        format!("{:?}", std::env::var_os("RUSTUP_TOOLCHAIN")),
        format!("{:?}", std::env::var_os("PYENV_VERSION")),
    ]
    .join("|")
}

impl Builder {
    /// Finds `tool` on PATH and its identity (`args`' output), asking the
    /// tool only when its fingerprint is new: identities are cached in
    /// `$PAII_HOME/cache/toolchains/`, and in memory for this process.
    fn tool(&self, name: &str, tool: &'static str, hint: &'static str, args: &[&[&str]]) -> Result<Tool, BuildError> {
        let path = which(tool).ok_or(BuildError::MissingTool { name: name.to_string(), tool, hint })?;
        let key = crate::store::integrity::hex(&Sha256::digest(format!("{tool}\0{args:?}\0{}", fingerprint(&path)))[..16]);
        if let Ok(memo) = self.memo.lock()
            && let Some(identity) = memo.get(&key)
        {
            return Ok(Tool { path, identity: identity.clone() });
        }
        let file = self.cache.join("toolchains").join(&key);
        let identity = match fs::read_to_string(&file) {
            Ok(identity) => identity,
            Err(_) => {
                let identity = args.iter().map(|a| output_of(&path, a)).collect::<Vec<_>>().join("\n");
                let _ = crate::util::fs::atomic_write(&file, identity.as_bytes());
                identity
            }
        };
        if let Ok(mut memo) = self.memo.lock() {
            memo.insert(key, identity.clone());
        }
        Ok(Tool { path, identity })
    }
}

/// What a build keeps of paii's environment: what a toolchain needs to run
/// and to find its package index or registry with its credentials. Anything
/// else is dropped, above all what would change the output (`RUSTFLAGS`,
/// `CARGO_BUILD_*`, `CARGO_PROFILE_*`, `RUSTC_WRAPPER`, `CC`, `CFLAGS`,
/// `PYTHON*`, `UV_COMPILE_BYTECODE`, `UV_LINK_MODE`, ...); the recipes then
/// pin their own settings on top (see [`Builder::uv_env`], [`Builder::cargo`]).
const KEPT_ENV: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "TMPDIR",
    // Where the toolchains and their user configuration are: rustup's and
    // cargo's homes (`config.toml` and `credentials.toml` there), uv's
    // `uv.toml` under XDG_CONFIG_HOME or ~/.config, `.netrc`.
    "CARGO_HOME",
    "RUSTUP_HOME",
    "RUSTUP_TOOLCHAIN",
    "XDG_CONFIG_HOME",
    "NETRC",
    // The network: proxies and CAs.
    "http_proxy",
    "https_proxy",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "no_proxy",
    "NO_PROXY",
    "ALL_PROXY",
    "all_proxy",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "SSL_CLIENT_CERT",
    // git dependencies over ssh.
    "SSH_AUTH_SOCK",
    "GIT_SSH",
    "GIT_SSH_COMMAND",
    // uv's indexes and their credentials (`UV_INDEX_<NAME>_USERNAME` and
    // `_PASSWORD` are matched by the prefixes below).
    "UV_INDEX",
    "UV_INDEX_URL",
    "UV_DEFAULT_INDEX",
    "UV_EXTRA_INDEX_URL",
    "UV_FIND_LINKS",
    "UV_INDEX_STRATEGY",
    "UV_KEYRING_PROVIDER",
    "UV_INSECURE_HOST",
    "UV_NATIVE_TLS",
    "UV_HTTP_TIMEOUT",
    "UV_CONFIG_FILE",
    // pip's, which `type = "pip"` builds hand to uv (see `pip_index_env`).
    "PIP_INDEX_URL",
    "PIP_EXTRA_INDEX_URL",
    "PIP_KEYRING_PROVIDER",
    "PYTHON_KEYRING_BACKEND",
    // cargo's registries, source replacement and tokens.
    "CARGO_REGISTRY_TOKEN",
    "CARGO_REGISTRY_DEFAULT",
    "CARGO_REGISTRY_CREDENTIAL_PROVIDER",
    "CARGO_REGISTRY_GLOBAL_CREDENTIAL_PROVIDERS",
];
const KEPT_PREFIXES: &[&str] = &["UV_INDEX_", "CARGO_REGISTRIES_", "CARGO_SOURCE_", "CARGO_NET_", "CARGO_HTTP_", "KEYRING_"];

/// Whether a build keeps the variable `key` (see [`KEPT_ENV`]).
fn kept(key: &str) -> bool {
    KEPT_ENV.contains(&key) || KEPT_PREFIXES.iter().any(|p| key.starts_with(p))
}

/// A build's environment: what [`kept`] allows of paii's, plus the fixed
/// settings that make outputs the same everywhere.
fn clean_env(cmd: &mut Command) {
    cmd.env_clear();
    for (key, value) in std::env::vars_os() {
        if key.to_str().is_some_and(kept) {
            cmd.env(key, value);
        }
    }
    cmd.env("SOURCE_DATE_EPOCH", EPOCH).env("LC_ALL", "C").env("TZ", "UTC");
    // A build never stops to ask at a terminal: off Linux it runs in a
    // process group of its own (see `platform::spawn_bound`), where a
    // prompt would stop it for good.
    cmd.env("GIT_TERMINAL_PROMPT", "0");
}

/// pip's index settings for `uv pip install`, which reads only uv's own:
/// `PIP_INDEX_URL` and `PIP_EXTRA_INDEX_URL` become `UV_INDEX_URL` and
/// `UV_EXTRA_INDEX_URL` unless those are set.
fn pip_index_env(cmd: &mut Command) {
    for (pip, uv) in [("PIP_INDEX_URL", "UV_INDEX_URL"), ("PIP_EXTRA_INDEX_URL", "UV_EXTRA_INDEX_URL")] {
        if let Some(v) = std::env::var_os(pip).filter(|_| std::env::var_os(uv).is_none()) {
            cmd.env(uv, v);
        }
    }
}

impl Builder {
    pub fn for_home(home: &Path) -> Builder {
        Builder {
            store: Store::new(home.join("store")),
            substitutes: Default::default(),
            logs: home.join("logs").join("build"),
            cache: home.join("cache"),
            memo: Default::default(),
        }
    }

    /// The toolchains `pm` needs (probed) and the output its inputs name;
    /// `None` for plugins without a build.
    fn plan(&self, pm: &PluginManifest, source: &StorePath) -> Result<Option<(Vec<Tool>, String, PathBuf)>, BuildError> {
        let name = pm.name.as_str();
        let tools = match pm.build.kind {
            BuildType::None => return Ok(None),
            BuildType::Cargo => vec![
                self.tool(name, "cargo", "install Rust with rustup (https://rustup.rs) or your package manager", &[&["-V"]])?,
                self.tool(name, "rustc", "install Rust with rustup (https://rustup.rs) or your package manager", &[&["-vV"]])?,
            ],
            BuildType::Uv | BuildType::Pip => vec![
                self.tool(name, "uv", "install uv: `pip install uv` (or see https://docs.astral.sh/uv/)", &[&["--version"]])?,
                self.tool(
                    name,
                    "python3",
                    "install Python 3 from your package manager",
                    &[&["-c", "import sys; print(sys.version, sys.executable)"]],
                )?,
            ],
        };
        // A rust-toolchain file in the plugin picks its own compiler: ask
        // that one, from the plugin's directory (not cached: it is the
        // plugin's choice, and rare).
        let pinned = ["rust-toolchain", "rust-toolchain.toml"].iter().any(|f| source.path.join(f).is_file());
        let pinned_identity = if pm.build.kind == BuildType::Cargo && pinned {
            Command::new("rustc")
                .arg("-vV")
                .current_dir(&source.path)
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                .unwrap_or_default()
        } else {
            String::new()
        };
        let key = {
            let mut h = Sha256::new();
            h.update(RECIPE_VERSION);
            h.update(&pinned_identity);
            h.update(source.integrity.to_string());
            h.update(serde_json::to_string(&pm.build).unwrap_or_default());
            for t in &tools {
                // A venv records its interpreter's path, so a uv or pip
                // output is only the same with the same tools where they
                // are; a cargo output is the same wherever the toolchain
                // sits, which lets one machine's build serve another.
                if pm.build.kind != BuildType::Cargo {
                    h.update(t.path.to_string_lossy().as_bytes());
                }
                h.update(&t.identity);
            }
            crate::store::integrity::hex(&h.finalize()[..16])
        };
        let out = self.store.root().join(format!("{key}-{name}-{}-build", pm.version));
        Ok(Some((tools, key, out)))
    }

    /// Runs `pm`'s recipe with the source copied into `work`, producing
    /// `dest`, and checks that its `[run] command` exists there.
    fn run_recipe(
        &self,
        pm: &PluginManifest,
        source: &StorePath,
        tools: &[Tool],
        work: &Path,
        dest: &Path,
        log: &Path,
    ) -> Result<(), BuildError> {
        let name = pm.name.as_str();
        let src = work.join("src");
        fs::create_dir(&src).map_err(|e| io(name, "create a build directory", e))?;
        crate::util::fs::copy_tree(&source.path, &src).map_err(|e| io(name, "copy the source", e))?;
        // The store keeps no timestamps; tools that record the source's
        // (uv's `uv_cache.json`) see the same one in every build.
        set_mtimes(&src, std::time::UNIX_EPOCH + std::time::Duration::from_secs(EPOCH_SECS)).map_err(|e| io(name, "date the source", e))?;
        match pm.build.kind {
            BuildType::Cargo => self.cargo(pm, &src, work, dest, log)?,
            BuildType::Uv => self.uv(pm, &src, dest, log, &tools[0], &tools[1])?,
            BuildType::Pip => self.pip(pm, &src, dest, log, &tools[0], &tools[1])?,
            BuildType::None => {}
        }
        if let Some(run) = &pm.run
            && let Some(bad) =
                run.command.iter().find(|a| !a.starts_with('-') && !Path::new(a).is_absolute() && !stays_inside(Path::new(a)))
        {
            return Err(BuildError::NoCommand { name: name.to_string(), command: format!("{bad} (leads outside the plugin)") });
        }
        let command = resolve_command(pm, Some(dest), &source.path);
        match command.first() {
            // A bare name found nowhere in the plugin may be a command on PATH.
            Some(first) if !Path::new(first).exists() && (first.contains('/') || which(first).is_none()) => {
                Err(BuildError::NoCommand { name: name.to_string(), command: first.clone() })
            }
            _ => Ok(()),
        }
    }

    /// The build directory of the output `key`: named by the key, not at
    /// random, so that paths a build records (a uv project's
    /// `direct_url.json` names its source) are the same in every build of
    /// it. Builds run under the `PAII_HOME` lock, one per key at a time; one
    /// a killed run left is removed first.
    fn work_dir(&self, name: &str, key: &str) -> Result<tempfile::TempDir, BuildError> {
        fs::create_dir_all(self.store.root()).map_err(|e| io(name, "create the store", e))?;
        let prefix = format!(".tmp-build-{key}");
        remove_tree(&self.store.root().join(&prefix))?;
        tempfile::Builder::new()
            .prefix(&prefix)
            .rand_bytes(0)
            .tempdir_in(self.store.root())
            .map_err(|e| io(name, "create a build directory", e))
    }

    fn log_path(&self, pm: &PluginManifest) -> Result<PathBuf, BuildError> {
        fs::create_dir_all(&self.logs).map_err(|e| io(&pm.name, "create the log directory", e))?;
        Ok(self.logs.join(format!("{}-{}.log", pm.name, pm.version)))
    }

    /// Builds `pm` from `source` unless its output exists; `None` for
    /// plugins without a build (markdown, shell, `type = "none"`).
    pub fn build(&self, pm: &PluginManifest, source: &StorePath) -> Result<Option<Built>, BuildError> {
        let name = pm.name.as_str();
        let Some((tools, key, out)) = self.plan(pm, source)? else { return Ok(None) };
        if out.join(COMPLETE).is_file() {
            return Ok(Some(Built { path: out, fresh: false, warning: None, substituted: None }));
        }
        // An output without its marker is what a killed build left.
        remove_tree(&out)?;
        let mut warning = None;
        if !self.substitutes.substituters.is_empty() {
            match self.substitute(pm, &key, &out) {
                Ok(Some(from)) => return Ok(Some(Built { path: out, fresh: true, warning: None, substituted: Some(from) })),
                Ok(None) => {}
                Err(why) => warning = Some(why),
            }
        }
        let log = self.log_path(pm)?;
        let _ = fs::remove_file(&log);
        let work = self.work_dir(name, &key)?;
        // Cargo's output is assembled aside and renamed into place; a venv
        // must be built where it will live, so it is marked complete last.
        let in_place = pm.build.kind != BuildType::Cargo;
        let dest = if in_place { out.clone() } else { work.path().join("out") };
        if let Err(e) = self.run_recipe(pm, source, &tools, work.path(), &dest, &log) {
            remove_tree(&dest)?;
            return Err(e);
        }
        // The mark says the output is whole: everything under it reaches the
        // disk first, then the mark itself, atomically.
        crate::util::fs::sync_filesystem(&dest);
        crate::util::fs::atomic_write(&dest.join(COMPLETE), key.as_bytes()).map_err(|e| io(name, "mark the build complete", e))?;
        make_read_only(&dest)?;
        if !in_place && crate::util::fs::publish(&dest, &out).is_err() && !out.join(COMPLETE).is_file() {
            return Err(io(name, "move the build into the store", std::io::Error::other(out.display().to_string())));
        }
        crate::debug!("built {name} {} into {}", pm.version, out.display());
        let warning = warning.or_else(|| {
            (pm.build.kind == BuildType::Pip)
                .then(|| fs::read_to_string(source.path.join(pm.build.requirements.as_deref().unwrap_or("requirements.txt"))).unwrap_or_default())
                .filter(|text| !text.contains("--hash"))
                .map(|_| format!("plugin `{name}`: its requirements have no hashes, so its build is not reproducible (pin with `uv pip compile --generate-hashes`)"))
        });
        Ok(Some(Built { path: out, fresh: true, warning, substituted: None }))
    }

    /// The output `key` from the first substituter that has one a trusted
    /// key signed, placed at `out` as a build would place it: the cache it
    /// came from; `Ok(None)` when no cache has it; why not, when one had
    /// something that could not be used (the build goes on either way).
    fn substitute(&self, pm: &PluginManifest, key: &str, out: &Path) -> Result<Option<String>, String> {
        let version = pm.version.to_string();
        let mut why = Vec::new();
        for repo in &self.substitutes.substituters {
            let work = self.work_dir(&pm.name, key).map_err(|e| e.to_string())?;
            let dest = work.path().join("out");
            let got = fs::create_dir(&dest).map_err(|e| e.to_string()).and_then(|_| {
                let client = crate::oci::Client::new(repo).map_err(|e| e.to_string())?;
                let got =
                    crate::substitute::fetch(&client, key, &pm.name, &version, &self.substitutes.trusted, &dest).map_err(|e| match e {
                        crate::substitute::SubstituteError::Missing(_) => String::new(),
                        other => other.to_string(),
                    })?;
                // A venv names the path it was built at; here it lives at `out`.
                match &got.built_at {
                    Some(at) => crate::substitute::relocate(&dest, at, &out.display().to_string()).map(|_| ()),
                    None => Ok(()),
                }
            });
            match got {
                Ok(_) => {
                    crate::util::fs::sync_filesystem(&dest);
                    make_read_only(&dest).map_err(|e| e.to_string())?;
                    if crate::util::fs::publish(&dest, out).is_err() && !out.join(COMPLETE).is_file() {
                        return Err(format!("cannot move the output from {repo} into the store"));
                    }
                    crate::debug!("substituted {} {version} from {repo}", pm.name);
                    return Ok(Some(repo.to_string()));
                }
                Err(e) if e.is_empty() => {}
                Err(e) => why.push(e),
            }
        }
        if why.is_empty() { Ok(None) } else { Err(format!("plugin `{}`: built, not substituted: {}", pm.name, why.join("; "))) }
    }

    /// Checks that the tools `pm` needs are there (before any build starts).
    pub fn prepare(&self, pm: &PluginManifest, source: &StorePath) -> Result<(), BuildError> {
        self.plan(pm, source).map(|_| ())
    }

    /// The build key of `pm`'s output and the output, if it is in the store.
    pub fn keyed_output(&self, pm: &PluginManifest, source: &StorePath) -> Result<Option<(String, PathBuf)>, BuildError> {
        Ok(self.plan(pm, source)?.map(|(_, key, out)| (key, out)).filter(|(_, out)| out.join(COMPLETE).is_file()))
    }

    /// The finished output of `pm`'s build, if it is in the store.
    pub fn output(&self, pm: &PluginManifest, source: &StorePath) -> Result<Option<PathBuf>, BuildError> {
        Ok(self.plan(pm, source)?.map(|(_, _, out)| out).filter(|out| out.join(COMPLETE).is_file()))
    }

    /// `paii build --check`: builds `pm` again into a temporary directory and
    /// compares the two outputs file by file (nothing is excluded). A venv
    /// records the path it was built at, so a file whose only difference is
    /// that path (the rebuild's instead of the output's) is the same modulo
    /// location, and so is a wheel's `RECORD` whose only differences are the
    /// hashes and sizes of such files.
    pub fn check(&self, pm: &PluginManifest, source: &StorePath) -> Result<Option<Comparison>, BuildError> {
        let Some(built) = self.build(pm, source)? else { return Ok(None) };
        let Some((tools, key, _)) = self.plan(pm, source)? else { return Ok(None) };
        let work = self.work_dir(&pm.name, &key)?;
        let dest = work.path().join("out");
        let log = self.log_path(pm)?;
        self.run_recipe(pm, source, &tools, work.path(), &dest, &log)?;
        let comparison = compare_outputs(&built.path, &dest).map_err(|e| io(&pm.name, "compare the outputs", e))?;
        remove_tree(&dest)?;
        Ok(Some(comparison))
    }

    fn cargo(&self, pm: &PluginManifest, src: &Path, work: &Path, out: &Path, log: &Path) -> Result<(), BuildError> {
        let name = pm.name.as_str();
        let locked = pm.build.locked.unwrap_or(true);
        if !src.join("Cargo.toml").is_file() {
            return Err(BuildError::MissingFile { name: name.to_string(), what: "Cargo.toml".into() });
        }
        if locked && !src.join("Cargo.lock").is_file() {
            return Err(BuildError::NoCargoLock { name: name.to_string() });
        }
        let target = work.join("target");
        let mut cmd = Command::new("cargo");
        clean_env(&mut cmd);
        let cargo_home = std::env::var_os("CARGO_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
            .unwrap_or_default();
        // The same binary whichever directory or PAII_HOME it was built in.
        let flags =
            format!("--remap-path-prefix={}=/paii/build/{name} --remap-path-prefix={}=/paii/cargo", src.display(), cargo_home.display());
        cmd.env("RUSTFLAGS", flags).env("CARGO_TARGET_DIR", &target).env("CARGO_INCREMENTAL", "0");
        cmd.current_dir(src).args(["build", "--release", "--bins"]);
        if locked {
            cmd.arg("--locked");
        }
        run_logged(name, "cargo", cmd, log)?;
        let bin = out.join("bin");
        fs::create_dir_all(&bin).map_err(|e| io(name, "create the output", e))?;
        let release = target.join("release");
        for entry in fs::read_dir(&release).map_err(|e| io(name, "read the build output", e))? {
            let entry = entry.map_err(|e| io(name, "read the build output", e))?;
            let p = entry.path();
            use std::os::unix::fs::PermissionsExt;
            let is_bin = entry.file_type().is_ok_and(|t| t.is_file())
                && p.extension().is_none()
                && fs::metadata(&p).is_ok_and(|m| m.permissions().mode() & 0o111 != 0);
            if is_bin {
                fs::copy(&p, bin.join(entry.file_name())).map_err(|e| io(name, "copy a binary", e))?;
            }
        }
        Ok(())
    }

    /// uv's environment: the user's configuration (`uv.toml`, index and
    /// credential variables) is read, and the settings that change what
    /// ends up in the venv are pinned over it: no bytecode, no Python
    /// downloads, files copied out of the cache (a symlinked or hard-linked
    /// venv would share what the store makes read-only), paii's own cache,
    /// the interpreter paii identified.
    fn uv_env(&self, cmd: &mut Command, python: &Tool) {
        clean_env(cmd);
        cmd.env("UV_PYTHON_DOWNLOADS", "never")
            .env("UV_COMPILE_BYTECODE", "0")
            .env("UV_LINK_MODE", "copy")
            .env("UV_CACHE_DIR", self.cache.join("uv"))
            .env("UV_PYTHON", &python.path);
    }

    /// `uv sync --locked` into `<out>/.venv`, at its final path: venvs are not
    /// relocatable.
    fn uv(&self, pm: &PluginManifest, src: &Path, out: &Path, log: &Path, uv: &Tool, python: &Tool) -> Result<(), BuildError> {
        let name = pm.name.as_str();
        for f in ["pyproject.toml", "uv.lock"] {
            if !src.join(f).is_file() {
                return Err(BuildError::MissingFile { name: name.to_string(), what: f.to_string() });
            }
        }
        fs::create_dir_all(out).map_err(|e| io(name, "create the output", e))?;
        let mut cmd = Command::new(&uv.path);
        self.uv_env(&mut cmd, python);
        cmd.env("UV_PROJECT_ENVIRONMENT", out.join(".venv")).current_dir(src).args([
            "sync",
            "--locked",
            "--no-dev",
            "--no-editable",
            "--no-progress",
        ]);
        run_logged(name, "uv", cmd, log)
    }

    /// A venv plus `uv pip install -r`, hash-checked when the file has hashes.
    fn pip(&self, pm: &PluginManifest, src: &Path, out: &Path, log: &Path, uv: &Tool, python: &Tool) -> Result<(), BuildError> {
        let name = pm.name.as_str();
        let reqs = pm.build.requirements.clone().unwrap_or_else(|| "requirements.txt".into());
        if !stays_inside(Path::new(&reqs)) {
            return Err(BuildError::MissingFile { name: name.to_string(), what: format!("{reqs} (must be a path inside the plugin)") });
        }
        let file = src.join(&reqs);
        let text = fs::read_to_string(&file).map_err(|_| BuildError::MissingFile { name: name.to_string(), what: reqs.clone() })?;
        fs::create_dir_all(out).map_err(|e| io(name, "create the output", e))?;
        let venv = out.join(".venv");
        let mut cmd = Command::new(&uv.path);
        self.uv_env(&mut cmd, python);
        cmd.args(["venv", "--quiet", "--python"]).arg(&python.path).arg(&venv);
        run_logged(name, "uv", cmd, log)?;
        let mut cmd = Command::new(&uv.path);
        self.uv_env(&mut cmd, python);
        pip_index_env(&mut cmd);
        cmd.args(["pip", "install", "--no-progress", "--python"]).arg(venv.join("bin/python")).arg("-r").arg(&file);
        if text.contains("--hash") {
            cmd.arg("--require-hashes");
        }
        run_logged(name, "uv", cmd, log)
    }
}

/// What `paii build --check` found.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Comparison {
    /// Files that a second build produced differently.
    pub differ: Vec<String>,
    /// Files that differ only by the path the output was built at.
    pub relocated: Vec<String>,
    /// Files that differ only by a time the installer recorded: uv's
    /// `uv_cache.json` holds the source's change time (ctime), which no one
    /// can set.
    pub timestamped: Vec<String>,
}

/// Compares a store output with a rebuild of it at another path.
fn compare_outputs(original: &Path, rebuilt: &Path) -> std::io::Result<Comparison> {
    let (mut a, mut b) = (BTreeMap::new(), BTreeMap::new());
    tree_entries(original, Path::new(""), &mut a)?;
    tree_entries(rebuilt, Path::new(""), &mut b)?;
    a.remove(COMPLETE);
    let (from, to) = (rebuilt.as_os_str().as_encoded_bytes(), original.as_os_str().as_encoded_bytes());
    let mut out = Comparison::default();
    let mut records = Vec::new();
    let names: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for name in names {
        match (a.get(name), b.get(name)) {
            (Some(x), Some(y)) if x == y => {}
            (Some(Entry::File(exec_a, bytes_a)), Some(Entry::File(exec_b, bytes_b))) if exec_a == exec_b => {
                if replace_bytes(bytes_b, from, to) == *bytes_a {
                    out.relocated.push(name.clone());
                } else if name.ends_with(".dist-info/uv_cache.json") && without_times(bytes_a) == without_times(bytes_b) {
                    out.timestamped.push(name.clone());
                } else if name.ends_with(".dist-info/RECORD") {
                    records.push((name.clone(), bytes_a.clone(), bytes_b.clone()));
                } else {
                    out.differ.push(name.clone());
                }
            }
            _ => out.differ.push(name.clone()),
        }
    }
    // A RECORD lists each installed file's hash and size: for a relocated
    // or timestamped file those differ, and nothing else may.
    for (name, x, y) in records {
        let site = Path::new(&name).parent().and_then(Path::parent).unwrap_or(Path::new(""));
        let (x, y) = (String::from_utf8_lossy(&x), String::from_utf8_lossy(&y));
        let same = x.lines().count() == y.lines().count()
            && x.lines().zip(y.lines()).all(|(l, r)| {
                let (lp, rp) = (l.split(',').next(), r.split(',').next());
                let explained = |p: &str| {
                    let file = crate::util::paths::normalize(&site.join(p)).display().to_string();
                    out.relocated.contains(&file) || out.timestamped.contains(&file)
                };
                l == r || (lp == rp && lp.is_some_and(explained))
            });
        if same { out.relocated.push(name) } else { out.differ.push(name) }
    }
    out.relocated.sort();
    out.timestamped.sort();
    Ok(out)
}

/// A JSON document with every `secs_since_epoch` and `nanos_since_epoch`
/// set to 0 (`None` when it is not JSON).
fn without_times(bytes: &[u8]) -> Option<serde_json::Value> {
    fn zero(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(map) => {
                for (k, v) in map.iter_mut() {
                    if k == "secs_since_epoch" || k == "nanos_since_epoch" {
                        *v = serde_json::Value::from(0);
                    } else {
                        zero(v);
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(zero),
            _ => {}
        }
    }
    let mut v = serde_json::from_slice(bytes).ok()?;
    zero(&mut v);
    Some(v)
}

/// `bytes` with every occurrence of `from` replaced by `to`.
fn replace_bytes(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if !from.is_empty() && bytes[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

/// One entry of an output tree, as `--check` compares it.
#[derive(Debug, PartialEq, Eq)]
enum Entry {
    Dir,
    Link(PathBuf),
    /// Executable bit and content.
    File(bool, Vec<u8>),
}

fn tree_entries(root: &Path, rel: &Path, out: &mut BTreeMap<String, Entry>) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    for entry in fs::read_dir(root.join(rel))? {
        let entry = entry?;
        let rel = rel.join(entry.file_name());
        let path = entry.path();
        let ft = entry.file_type()?;
        let key = rel.display().to_string();
        if ft.is_symlink() {
            out.insert(key, Entry::Link(fs::read_link(&path)?));
        } else if ft.is_dir() {
            out.insert(key, Entry::Dir);
            tree_entries(root, &rel, out)?;
        } else {
            let exec = fs::metadata(&path)?.permissions().mode() & 0o100 != 0;
            out.insert(key, Entry::File(exec, fs::read(&path)?));
        }
    }
    Ok(())
}

/// Gives every file and directory under `root` (and `root`) the time `t`.
fn set_mtimes(root: &Path, t: std::time::SystemTime) -> std::io::Result<()> {
    for entry in fs::read_dir(root)? {
        let entry = entry?;
        let ft = entry.file_type()?;
        if ft.is_dir() {
            set_mtimes(&entry.path(), t)?;
        } else if ft.is_file() {
            fs::File::open(entry.path())?.set_modified(t)?;
        }
    }
    fs::File::open(root)?.set_modified(t)
}

/// A relative path that never climbs above where it starts.
fn stays_inside(p: &Path) -> bool {
    use std::path::Component;
    let mut depth: i64 = 0;
    for c in p.components() {
        match c {
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => return false,
        }
        if depth < 0 {
            return false;
        }
    }
    true
}

fn io(name: &str, what: &str, source: std::io::Error) -> BuildError {
    BuildError::Io { name: name.to_string(), what: what.to_string(), source }
}

/// Runs `cmd` with its output appended to `log`; on failure, the error
/// carries the log's last 20 lines.
fn run_logged(name: &str, tool: &'static str, mut cmd: Command, log: &Path) -> Result<(), BuildError> {
    use std::io::Write;
    let mut file = fs::OpenOptions::new().create(true).append(true).open(log).map_err(|e| io(name, "open the build log", e))?;
    // The command and the names of the variables it was given: values may
    // be credentials (a `Command`'s Debug form would print them).
    let vars: Vec<String> = cmd.get_envs().filter(|(_, v)| v.is_some()).map(|(k, _)| k.to_string_lossy().into_owned()).collect();
    let _ = writeln!(
        file,
        "$ {} {}\n  (environment: {})",
        cmd.get_program().to_string_lossy(),
        cmd.get_args().map(|a| a.to_string_lossy()).collect::<Vec<_>>().join(" "),
        vars.join(", ")
    );
    let err_file = file.try_clone().map_err(|e| io(name, "open the build log", e))?;
    // A build tool must not outlive a killed paii: it would go on writing
    // into an output the next run rebuilds.
    cmd.stdin(Stdio::null()).stdout(Stdio::from(file)).stderr(Stdio::from(err_file));
    let status =
        crate::dispatch::platform::spawn_bound(&mut cmd).and_then(|b| b.wait()).map_err(|e| io(name, &format!("run {tool}"), e))?;
    if status.success() {
        return Ok(());
    }
    let lines: Vec<String> = fs::File::open(log).map(|f| BufReader::new(f).lines().map_while(Result::ok).collect()).unwrap_or_default();
    let tail = lines[lines.len().saturating_sub(20)..].join("\n");
    Err(BuildError::Failed { name: name.to_string(), tool, log: log.to_path_buf(), tail })
}

/// `[run] command` with each argument that names a file of the plugin made
/// absolute. A path (`bin/x`, `.venv/bin/x`) is looked up in the build
/// output, then the plugin's root; a bare name (`snake`, as a uv project's
/// `[project.scripts]` installs it) the way a shell finds a command: the
/// build output's `bin/`, then its `.venv/bin/`, then the plugin's root.
/// What is found nowhere is left as written (a command on PATH, such as
/// `python3`, or a plain argument). Without `[run]`: a cargo plugin's single
/// binary, or a uv project's script named after the plugin.
pub fn resolve_command(pm: &PluginManifest, output: Option<&Path>, source: &Path) -> Vec<String> {
    let argv: Vec<String> = match &pm.run {
        Some(run) => run.command.clone(),
        None => {
            let Some(out) = output else { return Vec::new() };
            let bins: Vec<PathBuf> = fs::read_dir(out.join("bin")).map(|rd| rd.flatten().map(|e| e.path()).collect()).unwrap_or_default();
            match pm.build.kind {
                BuildType::Cargo if bins.len() == 1 => return vec![bins[0].display().to_string()],
                BuildType::Uv => vec![pm.name.clone()],
                _ => return Vec::new(),
            }
        }
    };
    argv.into_iter().map(|arg| locate(&arg, output, source).map_or(arg, |p| p.display().to_string())).collect()
}

/// Where `arg` names a file of the plugin (see [`resolve_command`]).
fn locate(arg: &str, output: Option<&Path>, source: &Path) -> Option<PathBuf> {
    let rel = Path::new(arg);
    if arg.is_empty() || rel.is_absolute() || arg.starts_with('-') {
        return None;
    }
    let candidates: Vec<PathBuf> = if arg.contains('/') {
        output.map(|o| o.join(rel)).into_iter().chain([source.join(rel)]).collect()
    } else {
        output.into_iter().flat_map(|o| [o.join("bin").join(rel), o.join(".venv/bin").join(rel)]).chain([source.join(rel)]).collect()
    };
    candidates.into_iter().find(|p| p.exists())
}
