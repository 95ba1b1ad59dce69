//! Real servers on 127.0.0.1 for tests and benchmarks: git daemon, git's
//! smart HTTP (plain and HTTPS with basic auth), sshd, and an HTTP server
//! that injects faults. Each is stopped when its guard is dropped, also when
//! a test fails or panics: server processes run in a process group of their
//! own and the whole group is killed (`git daemon` is a `git` process whose
//! child does the listening; killing only the first left the second behind).

use std::path::{Path, PathBuf};
use std::process::Command;

use super::repo_root;

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A server process, in a process group of its own so that everything it
/// starts (connection handlers, CGI scripts, `git`'s own child) goes with
/// it: the whole group is killed when this is dropped.
pub struct Process {
    child: std::process::Child,
}

impl Process {
    /// Starts `cmd` and waits until it listens on `port` (127.0.0.1); kills
    /// it and panics when it never does.
    pub fn listening(cmd: &mut Command, port: u16, what: &str) -> Process {
        use std::os::unix::process::CommandExt;
        let child = cmd
            .process_group(0)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
        let process = Process { child };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return process;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("{what} did not start");
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether any process of its group is alive (zombies count as gone).
    pub fn group_alive(pgid: u32) -> bool {
        let Ok(entries) = std::fs::read_dir("/proc") else { return false };
        entries.flatten().any(|e| {
            let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
            // pid (comm) state ppid pgrp ...: comm may hold spaces, so split after its ')'.
            let fields: Vec<&str> = stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
            fields.len() > 2 && fields[0] != "Z" && fields[2] == pgid.to_string()
        })
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        // SAFETY: killpg of the group this process leads; at worst ESRCH.
        unsafe {
            libc::killpg(self.child.id() as i32, libc::SIGKILL);
        }
        let _ = self.child.wait();
    }
}

/// `git daemon` serving `base` on 127.0.0.1, stopped when dropped.
pub struct GitDaemon {
    _process: Process,
    pub port: u16,
}

impl GitDaemon {
    pub fn start(base: &Path) -> GitDaemon {
        let port = free_port();
        let mut child = Command::new("git");
        child.args([
            "daemon",
            "--reuseaddr",
            "--export-all",
            "--informative-errors",
            "--listen=127.0.0.1",
            &format!("--port={port}"),
            &format!("--base-path={}", base.display()),
            &base.display().to_string(),
        ]);
        GitDaemon { _process: Process::listening(&mut child, port, "git daemon"), port }
    }

    pub fn url(&self, repo: &str) -> String {
        format!("git://127.0.0.1:{}/{repo}", self.port)
    }

    pub fn pid(&self) -> u32 {
        self._process.pid()
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
    /// Require `Authorization: <token>` exactly (cargo's registry auth);
    /// without it, 401 with `WWW-Authenticate: Cargo`.
    Token(String, Vec<u8>),
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
        HttpServer::start_on(0, routes)
    }

    /// On `port` (0: any free one), for replies that must name the server.
    pub fn start_on(port: u16, routes: Vec<(&str, Reply)>) -> HttpServer {
        use std::io::{BufRead, BufReader, Write};
        use std::sync::atomic::Ordering;
        let listener = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
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
                    // Clients that care (a package index's) get a type guessed from the body.
                    let kind = match routes.get(&path) {
                        Some(Reply::Bytes(b) | Reply::Auth(_, _, b) | Reply::Token(_, b)) if b.starts_with(b"<!DOCTYPE html") => {
                            "text/html"
                        }
                        Some(Reply::Bytes(b) | Reply::Auth(_, _, b) | Reply::Token(_, b)) if b.starts_with(b"{") => "application/json",
                        _ => "application/octet-stream",
                    };
                    let head = |w: &mut std::net::TcpStream, code: u16, len: usize, extra: &str| {
                        let _ = write!(
                            w,
                            "HTTP/1.1 {code} X\r\nContent-Length: {len}\r\nContent-Type: {kind}\r\nConnection: close\r\n{extra}\r\n"
                        );
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
                        Some(Reply::Token(token, b)) => {
                            if auth == token {
                                head(&mut w, 200, b.len(), "");
                                let _ = w.write_all(&b);
                            } else {
                                head(&mut w, 401, 0, "WWW-Authenticate: Cargo login_url=\"http://127.0.0.1/login\"\r\n");
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

/// Git's smart HTTP protocol: `git http-backend` behind Python's CGI server
/// on 127.0.0.1, stopped when dropped.
pub struct GitHttp {
    _process: Process,
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
        let mut child = Command::new("python3");
        child.args(["-m", "http.server", "--cgi", "--bind", "127.0.0.1", &port.to_string()]).current_dir(scratch);
        GitHttp { _process: Process::listening(&mut child, port, "the git HTTP server"), port }
    }

    pub fn url(&self, repo: &str) -> String {
        format!("http://127.0.0.1:{}/cgi-bin/git/{repo}", self.port)
    }

    pub fn pid(&self) -> u32 {
        self._process.pid()
    }
}

/// An sshd on 127.0.0.1 that lets the current user in with a throwaway key,
/// stopped when dropped. `ssh_command` is what `GIT_SSH_COMMAND` should be.
pub struct SshServer {
    _process: Process,
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
        let mut child = Command::new(sshd);
        child.arg("-D").arg("-e").arg("-f").arg(dir.join("sshd_config"));
        let process = Process::listening(&mut child, port, "sshd");
        let user = String::from_utf8_lossy(&Command::new("id").arg("-un").output().unwrap().stdout).trim().to_string();
        let ssh_command = format!(
            "ssh -i {} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR",
            dir.join("id").display()
        );
        Some(SshServer { _process: process, port, ssh_command, user })
    }

    pub fn url(&self, path: &Path) -> String {
        format!("ssh://{}@127.0.0.1:{}{}", self.user, self.port, path.display())
    }
}

/// Git's smart HTTP protocol over HTTPS with basic auth (`git http-backend`
/// behind tests/support/git_https.py on 127.0.0.1), with a throwaway CA;
/// stopped when dropped.
pub struct GitHttps {
    _process: Process,
    pub port: u16,
    /// The CA certificate to trust (for `SSL_CERT_FILE`).
    pub ca: PathBuf,
}

impl GitHttps {
    pub fn start(repos: &Path, scratch: &Path, user: &str, password: &str) -> GitHttps {
        let tls = Tls::make(scratch);
        let port = free_port();
        let mut child = Command::new("python3");
        child
            .arg(repo_root().join("tests/support/git_https.py"))
            .arg(port.to_string())
            .arg(&tls.cert)
            .arg(&tls.key)
            .arg(repos)
            .arg(user)
            .arg(password);
        GitHttps { _process: Process::listening(&mut child, port, "the git HTTPS server"), port, ca: tls.ca }
    }

    pub fn url(&self, repo: &str) -> String {
        format!("https://127.0.0.1:{}/{repo}", self.port)
    }
}

/// A self-signed certificate `dir/NAME.pem` and its key `dir/NAME.key`.
fn self_signed(dir: &Path, name: &str, cn: &str) {
    let out = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"])
        .args(["-keyout", &format!("{name}.key"), "-out", &format!("{name}.pem"), "-subj", &format!("/CN={cn}")])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "openssl req: {}", String::from_utf8_lossy(&out.stderr));
}

/// A throwaway CA and a certificate for 127.0.0.1 it signed (openssl).
pub struct Tls {
    /// The CA certificate to trust (for `SSL_CERT_FILE`).
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl Tls {
    pub fn make(scratch: &Path) -> Tls {
        std::fs::create_dir_all(scratch).unwrap();
        let openssl = |args: &[&str]| {
            let out = Command::new("openssl").args(args).current_dir(scratch).output().unwrap();
            assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        };
        self_signed(scratch, "ca", "paii test CA");
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
        Tls { ca: scratch.join("ca.pem"), cert: scratch.join("cert.pem"), key: scratch.join("key.pem") }
    }
}

/// Distribution's registry (Debian's `docker-registry`) on 127.0.0.1,
/// anonymous, its storage in `dir`; stopped when dropped.
pub struct OciRegistry {
    _process: Process,
    pub port: u16,
    pub dir: PathBuf,
}

/// The login of [`OciRegistry::start_basic_tls`]: `user`, `paii-registry-pass`
/// (its bcrypt hash below, which the registry's htpasswd file needs).
pub const REGISTRY_PASSWORD: &str = "paii-registry-pass";
const REGISTRY_BCRYPT: &str = "$2b$04$RJMshSm3XHymt.6ijfhEMui80Xq62yryqumuau5XKLA96iKH2GJXa";

impl OciRegistry {
    pub fn start(dir: &Path) -> OciRegistry {
        Self::start_with(dir, "")
    }

    /// Behind TLS (a throwaway CA: `dir/tls/ca.pem`) with htpasswd Basic
    /// auth for `user` / [`REGISTRY_PASSWORD`].
    pub fn start_basic_tls(dir: &Path, user: &str) -> (OciRegistry, PathBuf) {
        let tls = Tls::make(&dir.join("tls"));
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("htpasswd"), format!("{user}:{REGISTRY_BCRYPT}\n")).unwrap();
        let extra = format!(
            "  tls:\n    certificate: {}\n    key: {}\nauth:\n  htpasswd:\n    realm: paii-test\n    path: {}\n",
            tls.cert.display(),
            tls.key.display(),
            dir.join("htpasswd").display()
        );
        (Self::start_with(dir, &extra), tls.ca)
    }

    /// With token auth: the registry sends clients to a realm on
    /// 127.0.0.1 (`tests/support/oci_token.py`) that trades `user` /
    /// [`REGISTRY_PASSWORD`] for a token with the actions asked, and
    /// anything else for `pull` only; each token it issues is a line of
    /// `dir/tokens.log` (`user repo actions`).
    pub fn start_token(dir: &Path, user: &str) -> (OciRegistry, Process) {
        std::fs::create_dir_all(dir).unwrap();
        self_signed(dir, "token", "paii test token issuer");
        use std::io::BufRead;
        use std::os::unix::process::CommandExt;
        let mut realm = Command::new("python3")
            .arg(repo_root().join("tests/support/oci_token.py"))
            .args([dir.join("token.key"), dir.join("token.pem")])
            .args(["paii-test-registry", "paii-test-issuer", user, REGISTRY_PASSWORD])
            .arg(dir.join("tokens.log"))
            .process_group(0)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut port = String::new();
        std::io::BufReader::new(realm.stdout.take().unwrap()).read_line(&mut port).unwrap();
        let realm = Process { child: realm };
        let extra = format!(
            "auth:\n  token:\n    realm: http://127.0.0.1:{}/token\n    service: paii-test-registry\n    issuer: paii-test-issuer\n    rootcertbundle: {}\n",
            port.trim(),
            dir.join("token.pem").display()
        );
        (Self::start_with(dir, &extra), realm)
    }

    fn start_with(dir: &Path, extra: &str) -> OciRegistry {
        let port = free_port();
        std::fs::create_dir_all(dir).unwrap();
        let config = dir.join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n{extra}",
                dir.join("data").display()
            ),
        )
        .unwrap();
        let mut cmd = Command::new("docker-registry");
        cmd.arg("serve").arg(&config);
        OciRegistry {
            _process: Process::listening(&mut cmd, port, "docker-registry (apt install docker-registry)"),
            port,
            dir: dir.to_path_buf(),
        }
    }

    /// `oci://127.0.0.1:PORT/REPO`.
    pub fn repo(&self, name: &str) -> String {
        format!("oci://127.0.0.1:{}/{name}", self.port)
    }

    /// The manifest tagged `tag` in `repo`, read from the registry's storage.
    pub fn manifest(&self, repo: &str, tag: &str) -> serde_json::Value {
        let link = self.dir.join("data/docker/registry/v2/repositories").join(repo).join("_manifests/tags").join(tag).join("current/link");
        let digest = std::fs::read_to_string(&link).unwrap_or_else(|e| panic!("{}: {e}", link.display()));
        serde_json::from_slice(&std::fs::read(self.blob_path(digest.trim())).unwrap()).unwrap()
    }

    /// The files of the blob `digest` in the registry's storage.
    pub fn blob_path(&self, digest: &str) -> PathBuf {
        let hex = digest.trim_start_matches("sha256:");
        self.dir.join("data/docker/registry/v2/blobs/sha256").join(&hex[..2]).join(hex).join("data")
    }
}
