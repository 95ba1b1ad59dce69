//! A throwaway PAII_HOME, CLAUDE_CONFIG_DIR and work tree per test, and the
//! real paii binary run inside it.
#![allow(dead_code)]

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
    pub fn paii(&self, args: &[&str]) -> Run {
        self.paii_in("fixtures/team", args)
    }
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
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

// ---- real git repositories -------------------------------------------------

/// Runs the git CLI to build test repositories (paii itself fetches with gix),
/// isolated from any user configuration, with fixed dates so that commit ids
/// are the same on every run.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.org")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.org")
        .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The text of a minimal plugin.toml.
pub fn plugin_toml(name: &str, version: &str) -> String {
    format!("[plugin]\nname = \"{name}\"\nversion = \"{version}\"\n\n[provides]\nskill = \"{name}\"\n")
}

/// Writes a small plugin tree (plugin.toml, a skill, an executable).
pub fn write_plugin(dir: &Path, name: &str, version: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir.join("bin")).unwrap();
    std::fs::write(dir.join("plugin.toml"), plugin_toml(name, version)).unwrap();
    std::fs::write(dir.join("SKILL.md"), format!("# {name}\n\nDoes {name} things.\n")).unwrap();
    std::fs::write(dir.join("bin/run"), "#!/bin/sh\necho hi\n").unwrap();
    std::fs::set_permissions(dir.join("bin/run"), std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A repository at `dir` holding `plugins/<name>/` for each plugin, on
/// branch `main`, tagged `v1`. Returns the commit id.
pub fn plugin_repo(dir: &Path, plugins: &[(&str, &str)]) -> String {
    std::fs::create_dir_all(dir).unwrap();
    git(dir, &["init", "-q", "-b", "main"]);
    for (name, version) in plugins {
        write_plugin(&dir.join("plugins").join(name), name, version);
    }
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "plugins"]);
    git(dir, &["tag", "v1"]);
    git(dir, &["rev-parse", "HEAD"])
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Waits until `child` listens on `port` (127.0.0.1); kills it and panics
/// when it never does.
fn listening(mut child: std::process::Child, port: u16, what: &str) -> std::process::Child {
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return child;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("{what} did not start");
}

/// `git daemon` serving `base` on 127.0.0.1, stopped when dropped.
pub struct GitDaemon {
    child: std::process::Child,
    pub port: u16,
}

impl GitDaemon {
    pub fn start(base: &Path) -> GitDaemon {
        let port = free_port();
        let child = Command::new("git")
            .args([
                "daemon",
                "--reuseaddr",
                "--export-all",
                "--informative-errors",
                "--listen=127.0.0.1",
                &format!("--port={port}"),
                &format!("--base-path={}", base.display()),
                &base.display().to_string(),
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        GitDaemon { child: listening(child, port, "git daemon"), port }
    }

    pub fn url(&self, repo: &str) -> String {
        format!("git://127.0.0.1:{}/{repo}", self.port)
    }
}

impl Drop for GitDaemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---- a real HTTP server ---------------------------------------------------

/// How the server answers one path.
#[derive(Clone)]
pub enum Reply {
    Bytes(Vec<u8>),
    /// Status codes to answer first, one per request, then the bytes.
    FailThen(Vec<u16>, Vec<u8>),
    /// Announce the full length but send only the first `n` bytes.
    Truncated(Vec<u8>, usize),
    Redirect(String),
    /// Send the bytes slowly: `chunk` bytes every `pause_ms`.
    Slow(Vec<u8>, usize, u64),
    /// Require basic auth `user:password`.
    Auth(String, String, Vec<u8>),
}

/// An HTTP/1.1 server on 127.0.0.1 that serves fixed replies, one request
/// per connection, counting requests per path; stopped when dropped. Written
/// on std's TcpListener so that faults (cut-off bodies, stalls) are real.
pub struct HttpServer {
    pub port: u16,
    pub hits: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, usize>>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl HttpServer {
    pub fn start(routes: Vec<(&str, Reply)>) -> HttpServer {
        use std::io::{BufRead, BufReader, Write};
        use std::sync::atomic::Ordering;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let routes: std::collections::HashMap<String, Reply> = routes.into_iter().map(|(p, r)| (p.to_string(), r)).collect();
        let routes = std::sync::Arc::new(routes);
        let hits = std::sync::Arc::new(std::sync::Mutex::new(std::collections::HashMap::<String, usize>::new()));
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (h, st) = (hits.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !st.load(Ordering::Relaxed) {
                let (stream, _) = match listener.accept() {
                    Ok(c) => c,
                    Err(_) => {
                        std::thread::sleep(std::time::Duration::from_millis(5));
                        continue;
                    }
                };
                let (routes, h) = (routes.clone(), h.clone());
                std::thread::spawn(move || {
                    stream.set_nonblocking(false).unwrap();
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut line = String::new();
                    if reader.read_line(&mut line).is_err() {
                        return;
                    }
                    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
                    let mut auth = String::new();
                    loop {
                        let mut l = String::new();
                        if reader.read_line(&mut l).unwrap_or(0) == 0 || l == "\r\n" {
                            break;
                        }
                        if let Some(v) = l.strip_prefix("authorization: ").or_else(|| l.strip_prefix("Authorization: ")) {
                            auth = v.trim().to_string();
                        }
                    }
                    let n = {
                        let mut h = h.lock().unwrap();
                        let c = h.entry(path.clone()).or_insert(0);
                        *c += 1;
                        *c
                    };
                    let mut w = stream;
                    let head = |w: &mut std::net::TcpStream, code: u16, len: usize, extra: &str| {
                        let _ = write!(w, "HTTP/1.1 {code} X\r\nContent-Length: {len}\r\nConnection: close\r\n{extra}\r\n");
                    };
                    match routes.get(&path).cloned() {
                        None => head(&mut w, 404, 0, ""),
                        Some(Reply::Bytes(b)) => {
                            head(&mut w, 200, b.len(), "");
                            let _ = w.write_all(&b);
                        }
                        Some(Reply::FailThen(codes, b)) => match codes.get(n - 1) {
                            Some(code) => head(&mut w, *code, 0, ""),
                            None => {
                                head(&mut w, 200, b.len(), "");
                                let _ = w.write_all(&b);
                            }
                        },
                        Some(Reply::Redirect(to)) => head(&mut w, 302, 0, &format!("Location: {to}\r\n")),
                        Some(Reply::Auth(user, pass, b)) => {
                            use base64::Engine;
                            let want = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}")));
                            if auth == want {
                                head(&mut w, 200, b.len(), "");
                                let _ = w.write_all(&b);
                            } else {
                                head(&mut w, 401, 0, "");
                            }
                        }
                        Some(Reply::Truncated(b, keep)) => {
                            head(&mut w, 200, b.len(), "");
                            let _ = w.write_all(&b[..keep]);
                        }
                        Some(Reply::Slow(b, chunk, pause)) => {
                            head(&mut w, 200, b.len(), "");
                            for part in b.chunks(chunk) {
                                if w.write_all(part).and_then(|_| w.flush()).is_err() {
                                    break;
                                }
                                std::thread::sleep(std::time::Duration::from_millis(pause));
                            }
                        }
                    }
                    let _ = w.flush();
                    let _ = w.shutdown(std::net::Shutdown::Both);
                });
            }
        });
        HttpServer { port, hits, stop, thread: Some(thread) }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn hits(&self, path: &str) -> usize {
        self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A .tar.gz of `dir`'s content under one top-level directory `top`.
pub fn tarball(dir: &Path, top: &str) -> Vec<u8> {
    let enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut b = tar::Builder::new(enc);
    b.follow_symlinks(false);
    b.append_dir_all(top, dir).unwrap();
    b.into_inner().unwrap().finish().unwrap()
}

/// Git's smart HTTP protocol: `git http-backend` behind Python's CGI server
/// on 127.0.0.1, stopped when dropped.
pub struct GitHttp {
    child: std::process::Child,
    pub port: u16,
}

impl GitHttp {
    /// Serves the repositories under `base` (which must be world-readable:
    /// the CGI server drops root to `nobody`).
    pub fn start(base: &Path, scratch: &Path) -> GitHttp {
        use std::os::unix::fs::PermissionsExt;
        let cgi = scratch.join("cgi-bin");
        std::fs::create_dir_all(&cgi).unwrap();
        std::fs::write(
            cgi.join("git"),
            format!(
                "#!/bin/sh\nexport GIT_PROJECT_ROOT='{}' GIT_HTTP_EXPORT_ALL=1\n\
                 export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=safe.directory GIT_CONFIG_VALUE_0='*'\nexec git http-backend\n",
                base.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(cgi.join("git"), std::fs::Permissions::from_mode(0o755)).unwrap();
        let port = free_port();
        let child = Command::new("python3")
            .args(["-m", "http.server", "--cgi", "--bind", "127.0.0.1", &port.to_string()])
            .current_dir(scratch)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        GitHttp { child: listening(child, port, "the git HTTP server"), port }
    }

    pub fn url(&self, repo: &str) -> String {
        format!("http://127.0.0.1:{}/cgi-bin/git/{repo}", self.port)
    }
}

impl Drop for GitHttp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An sshd on 127.0.0.1 that lets the current user in with a throwaway key,
/// stopped when dropped. `ssh_command` is what `GIT_SSH_COMMAND` should be.
pub struct SshServer {
    child: std::process::Child,
    pub port: u16,
    pub ssh_command: String,
    pub user: String,
}

impl SshServer {
    /// None when this machine has no sshd.
    pub fn start(dir: &Path) -> Option<SshServer> {
        let sshd = ["/usr/sbin/sshd", "/usr/bin/sshd"].into_iter().find(|p| Path::new(p).exists())?;
        std::fs::create_dir_all(dir).unwrap();
        for key in ["host", "id"] {
            let out = Command::new("ssh-keygen").args(["-q", "-t", "ed25519", "-N", "", "-f"]).arg(dir.join(key)).output().unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        }
        std::fs::copy(dir.join("id.pub"), dir.join("authorized_keys")).unwrap();
        let port = free_port();
        let config = format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nAuthorizedKeysFile {}\nPasswordAuthentication no\n\
             KbdInteractiveAuthentication no\nPubkeyAuthentication yes\nPermitRootLogin prohibit-password\nStrictModes no\n\
             UsePAM no\nPidFile {}\n",
            dir.join("host").display(),
            dir.join("authorized_keys").display(),
            dir.join("sshd.pid").display()
        );
        std::fs::write(dir.join("sshd_config"), config).unwrap();
        std::fs::create_dir_all("/run/sshd").ok();
        let child = Command::new(sshd)
            .arg("-D")
            .arg("-e")
            .arg("-f")
            .arg(dir.join("sshd_config"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let child = listening(child, port, "sshd");
        let user = String::from_utf8_lossy(&Command::new("id").arg("-un").output().unwrap().stdout).trim().to_string();
        let ssh_command = format!(
            "ssh -i {} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR",
            dir.join("id").display()
        );
        Some(SshServer { child, port, ssh_command, user })
    }

    pub fn url(&self, path: &Path) -> String {
        format!("ssh://{}@127.0.0.1:{}{}", self.user, self.port, path.display())
    }
}

impl Drop for SshServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Git's smart HTTP protocol over HTTPS with basic auth (`git http-backend`
/// behind tests/support/git_https.py on 127.0.0.1), with a throwaway CA;
/// stopped when dropped.
pub struct GitHttps {
    child: std::process::Child,
    pub port: u16,
    /// The CA certificate to trust (for `SSL_CERT_FILE`).
    pub ca: PathBuf,
}

impl GitHttps {
    pub fn start(repos: &Path, scratch: &Path, user: &str, password: &str) -> GitHttps {
        std::fs::create_dir_all(scratch).unwrap();
        let openssl = |args: &[&str]| {
            let out = Command::new("openssl").args(args).current_dir(scratch).output().unwrap();
            assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        };
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=paii test CA",
        ]);
        openssl(&["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out", "leaf.csr", "-subj", "/CN=127.0.0.1"]);
        std::fs::write(scratch.join("ext.cnf"), "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
            .unwrap();
        openssl(&[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "cert.pem",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ]);
        let port = free_port();
        let child = Command::new("python3")
            .arg(repo_root().join("tests/support/git_https.py"))
            .arg(port.to_string())
            .arg(scratch.join("cert.pem"))
            .arg(scratch.join("key.pem"))
            .arg(repos)
            .arg(user)
            .arg(password)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        GitHttps { child: listening(child, port, "the git HTTPS server"), port, ca: scratch.join("ca.pem") }
    }

    pub fn url(&self, repo: &str) -> String {
        format!("https://127.0.0.1:{}/{repo}", self.port)
    }
}

impl Drop for GitHttps {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
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

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![dir.to_path_buf()];
    if dir.is_dir() && !dir.is_symlink() {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            out.extend(walk(&e.path()));
        }
    }
    out
}
