//! OCI registries (the Distribution API v2): where a team keeps its binary
//! cache, as Homebrew keeps bottles and Helm charts. A blocking client on
//! the HTTP client paii already has, speaking what every registry built on
//! the Distribution project speaks: blobs checked by digest, monolithic
//! uploads (`POST` then `PUT ?digest=`), image manifests, Basic auth and the
//! Bearer token challenge, credentials from Docker's `config.json`,
//! `~/.netrc` or the environment.

pub mod artifact;
mod auth;

use std::io::Read;

use sha2::{Digest, Sha256};

pub use auth::Credentials;

/// `oci://HOST[:PORT]/REPOSITORY`: a repository of a registry, spoken to
/// over HTTPS; a loopback host that does not answer TLS over plain HTTP, as
/// Docker does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repository {
    pub host: String,
    pub name: String,
}

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum OciError {
    #[error("`{0}` is not an OCI repository")]
    #[diagnostic(help("write it as `oci://registry.example.org/acme/paii-cache`"))]
    BadReference(String),
    #[error("{what}: HTTP {status}{}", if body.is_empty() { String::new() } else { format!(": {body}") })]
    Status { what: String, status: u16, body: String },
    #[error("{what}: {message}")]
    Transport { what: String, message: String },
    #[error("{what}: the registry sent {found}, not {expected}")]
    Digest { what: String, expected: String, found: String },
}

impl OciError {
    /// Whether the registry said there is no such thing.
    pub fn is_not_found(&self) -> bool {
        matches!(self, OciError::Status { status: 404, .. })
    }
}

impl Repository {
    pub fn parse(text: &str) -> Result<Repository, OciError> {
        let bad = || OciError::BadReference(text.to_string());
        let rest = text.strip_prefix("oci://").ok_or_else(bad)?;
        let (host, name) = rest.split_once('/').ok_or_else(bad)?;
        let name = name.trim_end_matches('/');
        let valid = |s: &str| {
            !s.is_empty()
                && s.split('/')
                    .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b)))
        };
        if host.is_empty() || !valid(name) {
            return Err(bad());
        }
        Ok(Repository { host: host.to_string(), name: name.to_string() })
    }

    fn is_loopback(&self) -> bool {
        let h = if self.host.starts_with('[') {
            self.host.split(']').next().map(|h| format!("{h}]")).unwrap_or_default()
        } else {
            self.host.split(':').next().unwrap_or_default().to_string()
        };
        matches!(h.as_str(), "localhost" | "127.0.0.1" | "[::1]")
    }

    fn base(&self, scheme: &str) -> String {
        format!("{scheme}://{}/v2/{}", self.host, self.name)
    }
}

impl std::fmt::Display for Repository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "oci://{}/{}", self.host, self.name)
    }
}

/// `sha256:<hex>` of `bytes`.
pub fn digest_of(bytes: &[u8]) -> String {
    format!("sha256:{}", crate::store::integrity::hex(&Sha256::digest(bytes)))
}

pub const MANIFEST_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";

/// One repository, with the credentials and token it was given.
pub struct Client {
    repo: Repository,
    http: &'static reqwest::blocking::Client,
    auth: auth::Session,
    /// `https://HOST/v2/REPO` (or `http://` for a loopback registry without TLS).
    base: String,
    /// Other repositories of this registry that may hold the blobs pushed
    /// here (see [`Client::put_blob`]).
    pub mount_from: Vec<String>,
}

impl Client {
    pub fn new(repo: &Repository) -> Result<Client, OciError> {
        let http = crate::http::client().map_err(|message| OciError::Transport { what: repo.to_string(), message })?;
        let mut base = repo.base("https");
        if repo.is_loopback() && http.get(format!("https://{}/v2/", repo.host)).send().is_err() {
            base = repo.base("http");
        }
        Ok(Client { repo: repo.clone(), http, auth: auth::Session::new(&repo.host), base, mount_from: Vec::new() })
    }

    pub fn repository(&self) -> &Repository {
        &self.repo
    }

    /// Sends a request built by `make`, answering an auth challenge once.
    fn send(
        &self,
        what: &str,
        push: bool,
        make: &dyn Fn() -> reqwest::blocking::RequestBuilder,
    ) -> Result<reqwest::blocking::Response, OciError> {
        let transport = |e: reqwest::Error| OciError::Transport { what: what.to_string(), message: crate::http::error_chain(&e) };
        let resp = self.auth.apply(make()).send().map_err(transport)?;
        if resp.status() != reqwest::StatusCode::UNAUTHORIZED {
            return Ok(resp);
        }
        let challenge = resp.headers().get(reqwest::header::WWW_AUTHENTICATE).and_then(|v| v.to_str().ok()).map(str::to_string);
        self.auth
            .answer(self.http, challenge.as_deref(), &self.repo.name, push)
            .map_err(|message| OciError::Transport { what: what.to_string(), message })?;
        self.auth.apply(make()).send().map_err(transport)
    }

    fn check(what: &str, resp: reqwest::blocking::Response, ok: &[u16]) -> Result<reqwest::blocking::Response, OciError> {
        let status = resp.status().as_u16();
        if ok.contains(&status) {
            return Ok(resp);
        }
        let body: String = resp.text().unwrap_or_default().chars().take(300).collect();
        Err(OciError::Status { what: what.to_string(), status, body: body.trim().to_string() })
    }

    pub fn has_blob(&self, digest: &str) -> Result<bool, OciError> {
        let url = format!("{}/blobs/{digest}", self.base);
        let what = format!("{} blob {digest}", self.repo);
        let resp = self.send(&what, false, &|| self.http.head(&url))?;
        match resp.status().as_u16() {
            200 => Ok(true),
            404 => Ok(false),
            _ => Self::check(&what, resp, &[]).map(|_| false),
        }
    }

    /// Uploads `bytes` as the blob `digest` unless the registry has it,
    /// first asking it to mount the blob from one of [`Client::mount_from`]
    /// (other repositories of the same registry that may have it), which
    /// costs no upload where the registry allows it; whether it was sent.
    /// Blobs larger than the chunk size (`PAII_OCI_CHUNK_SIZE`, default
    /// 16 MiB) go up in chunks, as registries behind request-size limits
    /// need; smaller ones in one request.
    pub fn put_blob(&self, bytes: bytes::Bytes, digest: &str) -> Result<bool, OciError> {
        if self.has_blob(digest)? {
            return Ok(false);
        }
        let what = format!("upload of {digest} to {}", self.repo);
        let location = |resp: &reqwest::blocking::Response| -> Result<String, OciError> {
            let l = resp
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| OciError::Transport { what: what.clone(), message: "no upload location in the answer".into() })?;
            Ok(resolve(&self.base, l))
        };
        let mut session = None;
        for from in self.mount_from.iter().filter(|f| **f != self.repo.name) {
            let url = format!("{}/blobs/uploads/?mount={digest}&from={from}", self.base);
            let resp = self.send(&what, true, &|| self.http.post(&url).header("Content-Length", "0"))?;
            match resp.status().as_u16() {
                201 => return Ok(false),
                // Not mounted: the registry opened an upload instead.
                202 => {
                    session = Some(location(&resp)?);
                    break;
                }
                _ => {}
            }
        }
        let mut upload = match session {
            Some(l) => l,
            None => {
                let start = format!("{}/blobs/uploads/", self.base);
                let resp = Self::check(&what, self.send(&what, true, &|| self.http.post(&start).header("Content-Length", "0"))?, &[202])?;
                location(&resp)?
            }
        };
        let chunk = std::env::var("PAII_OCI_CHUNK_SIZE").ok().and_then(|v| v.parse::<usize>().ok()).filter(|n| *n > 0).unwrap_or(16 << 20);
        let mut rest = bytes;
        if rest.len() > chunk {
            let mut offset = 0;
            while !rest.is_empty() {
                let part = rest.split_to(chunk.min(rest.len()));
                let range = format!("{offset}-{}", offset + part.len() - 1);
                let url = upload.clone();
                let resp = Self::check(
                    &what,
                    self.send(&what, true, &|| {
                        self.http
                            .patch(&url)
                            .header("Content-Type", "application/octet-stream")
                            .header("Content-Range", range.as_str())
                            .body(part.clone())
                    })?,
                    &[202],
                )?;
                upload = location(&resp)?;
                offset += part.len();
            }
        }
        let sep = if upload.contains('?') { '&' } else { '?' };
        let put = format!("{upload}{sep}digest={digest}");
        Self::check(
            &what,
            self.send(&what, true, &|| self.http.put(&put).header("Content-Type", "application/octet-stream").body(rest.clone()))?,
            &[201],
        )?;
        Ok(true)
    }

    /// The blob `digest` as it arrives; the reader checks nothing.
    pub fn blob_reader(&self, digest: &str) -> Result<reqwest::blocking::Response, OciError> {
        let url = format!("{}/blobs/{digest}", self.base);
        let what = format!("{} blob {digest}", self.repo);
        Self::check(&what, self.send(&what, false, &|| self.http.get(&url))?, &[200])
    }

    pub fn put_manifest(&self, reference: &str, manifest: &[u8]) -> Result<String, OciError> {
        let url = format!("{}/manifests/{reference}", self.base);
        let what = format!("manifest {}:{reference}", self.repo);
        let body = manifest.to_vec();
        Self::check(
            &what,
            self.send(&what, true, &|| self.http.put(&url).header("Content-Type", MANIFEST_TYPE).body(body.clone()))?,
            &[201],
        )?;
        Ok(digest_of(manifest))
    }

    /// The manifest `reference` (a tag or a digest) and its digest.
    pub fn get_manifest(&self, reference: &str) -> Result<(Vec<u8>, String), OciError> {
        let url = format!("{}/manifests/{reference}", self.base);
        let what = format!("manifest {}:{reference}", self.repo);
        let resp = Self::check(&what, self.send(&what, false, &|| self.http.get(&url).header("Accept", MANIFEST_TYPE))?, &[200])?;
        let mut bytes = Vec::new();
        resp.take(4 << 20).read_to_end(&mut bytes).map_err(|e| OciError::Transport { what: what.clone(), message: e.to_string() })?;
        let digest = digest_of(&bytes);
        if reference.starts_with("sha256:") && reference != digest {
            return Err(OciError::Digest { what, expected: reference.to_string(), found: digest });
        }
        Ok((bytes, digest))
    }
}

/// An upload location: absolute, or relative to the registry.
fn resolve(base: &str, location: &str) -> String {
    if location.starts_with("http://") || location.starts_with("https://") {
        return location.to_string();
    }
    let origin = base.split("/v2/").next().unwrap_or_default();
    format!("{origin}{location}")
}

/// `HOST/NAME[:TAG|@DIGEST]`, with or without `oci://`: the repository, the
/// tag and the digest it names.
pub fn parse_reference(text: &str) -> Result<(Repository, Option<String>, Option<String>), OciError> {
    let bare = text.strip_prefix("oci://").unwrap_or(text);
    let (rest, digest) = match bare.split_once('@') {
        Some((r, d)) => (r, Some(d.to_string())),
        None => (bare, None),
    };
    // A tag follows the last `:` after the last `/` (a port comes before it).
    let (name, tag) = match rest.rsplit_once(':').filter(|(before, after)| !after.contains('/') && before.contains('/')) {
        Some((n, t)) => (n, Some(t.to_string())),
        None => (rest, None),
    };
    Ok((Repository::parse(&format!("oci://{name}"))?, tag, digest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories_parse_and_pick_the_scheme_by_host() {
        let r = Repository::parse("oci://127.0.0.1:5000/acme/paii-cache").unwrap();
        assert!(r.is_loopback());
        assert_eq!(r.base("http"), "http://127.0.0.1:5000/v2/acme/paii-cache");
        let r = Repository::parse("oci://registry.example.org/acme/cache/").unwrap();
        assert!(!r.is_loopback());
        assert_eq!(r.base("https"), "https://registry.example.org/v2/acme/cache");
        for bad in ["https://x/y", "oci://host", "oci://host/Acme", "oci:///x"] {
            assert!(Repository::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            resolve(&r.base("https"), "/v2/acme/cache/blobs/uploads/1?_state=x"),
            "https://registry.example.org/v2/acme/cache/blobs/uploads/1?_state=x"
        );
    }
}
