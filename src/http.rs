//! HTTP downloads: one blocking client with timeouts, bounded redirects,
//! proxies from the environment, `~/.netrc` credentials, and retries with
//! backoff on failures that a retry can fix. URLs in messages are redacted.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

const RETRIES: u32 = 3;
const BACKOFF: Duration = Duration::from_millis(250);

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("{url}: HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("{url}: {message}")]
    Transport { url: String, message: String },
    #[error("{url}: the download was cut short ({got} of {expected} bytes)")]
    Truncated { url: String, got: u64, expected: u64 },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl HttpError {
    /// Whether trying again may succeed.
    fn is_transient(&self) -> bool {
        match self {
            HttpError::Status { status, .. } => *status >= 500 || *status == 408 || *status == 429,
            HttpError::Transport { .. } | HttpError::Truncated { .. } => true,
            HttpError::Write { .. } => false,
        }
    }
}

/// Installs the process-wide TLS provider (ring). Every HTTP client, ours
/// and the one gix builds for git over http(s), needs it; installing twice
/// is harmless.
pub fn init_tls() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

pub(crate) fn client() -> Result<&'static reqwest::blocking::Client, String> {
    static CLIENT: OnceLock<Result<reqwest::blocking::Client, String>> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            init_tls();
            reqwest::blocking::Client::builder()
                .user_agent(concat!("paii/", env!("CARGO_PKG_VERSION")))
                .connect_timeout(Duration::from_secs(15))
                .timeout(Duration::from_secs(std::env::var("PAII_HTTP_TIMEOUT").ok().and_then(|s| s.parse().ok()).unwrap_or(300)))
                .redirect(reqwest::redirect::Policy::limited(5))
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// Downloads `url` to `dest` (written to a temporary file first and renamed,
/// so `dest` is whole or absent), retrying transient failures.
pub fn download(url: &str, dest: &Path) -> Result<u64, HttpError> {
    let shown = crate::util::url::redact(url);
    let mut attempt = 0;
    loop {
        match download_once(url, &shown, dest) {
            Ok(n) => return Ok(n),
            Err(e) if e.is_transient() && attempt + 1 < RETRIES => {
                attempt += 1;
                std::thread::sleep(BACKOFF * 2u32.pow(attempt - 1));
            }
            Err(e) => return Err(e),
        }
    }
}

fn download_once(url: &str, shown: &str, dest: &Path) -> Result<u64, HttpError> {
    let transport = |e: &dyn std::fmt::Display| HttpError::Transport {
        url: shown.to_string(),
        message: crate::util::url::redact_text(&e.to_string(), url),
    };
    let client = client().map_err(|e| transport(&e))?;
    let mut request = client.get(url);
    if let Some((user, password)) = netrc_credentials(url) {
        request = request.basic_auth(user, Some(password));
    }
    let mut response = request.send().map_err(|e| transport(&error_chain(&e)))?;
    let status = response.status();
    if !status.is_success() {
        return Err(HttpError::Status { url: shown.to_string(), status: status.as_u16() });
    }
    let expected = response.content_length();
    let dir = dest.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|source| HttpError::Write { path: dir.to_path_buf(), source })?;
    let write_err = |source| HttpError::Write { path: dest.to_path_buf(), source };
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(write_err)?;
    let mut buf = vec![0u8; 256 * 1024];
    let mut got: u64 = 0;
    loop {
        let n = match response.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                return Err(match expected {
                    Some(expected) => HttpError::Truncated { url: shown.to_string(), got, expected },
                    None => transport(&e),
                });
            }
        };
        tmp.write_all(&buf[..n]).map_err(write_err)?;
        got += n as u64;
    }
    if let Some(expected) = expected
        && got != expected
    {
        return Err(HttpError::Truncated { url: shown.to_string(), got, expected });
    }
    tmp.as_file().sync_all().map_err(write_err)?;
    tmp.persist(dest).map_err(|e| write_err(e.error))?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(got)
}

/// reqwest's top-level error says little ("error sending request"); the
/// cause says what happened.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(c) = cur {
        let s = c.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        cur = c.source();
    }
    parts.join(": ")
}

/// The login and password `~/.netrc` (or `$NETRC`) gives for `url`'s host.
pub fn netrc_credentials(url: &str) -> Option<(String, String)> {
    let host = url.split_once("://")?.1.split(['/', '?', '#']).next()?;
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let host = host.split(':').next()?;
    let path =
        std::env::var_os("NETRC").map(PathBuf::from).or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".netrc")))?;
    parse_netrc(&std::fs::read_to_string(path).ok()?, host)
}

/// The netrc format: whitespace-separated tokens; `machine NAME` or
/// `default` opens an entry, `login` and `password` fill it. The first
/// matching machine wins; `default` applies when none matches.
fn parse_netrc(text: &str, host: &str) -> Option<(String, String)> {
    #[derive(PartialEq)]
    enum Kind {
        Match,
        Other,
        Default,
    }
    let mut entries: Vec<(Kind, Option<String>, Option<String>)> = Vec::new();
    let mut tokens = text.split_whitespace();
    while let Some(tok) = tokens.next() {
        match tok {
            "machine" => {
                let kind = if tokens.next()? == host { Kind::Match } else { Kind::Other };
                entries.push((kind, None, None));
            }
            "default" => entries.push((Kind::Default, None, None)),
            "login" | "password" => {
                let value = tokens.next().map(str::to_string);
                if let Some(entry) = entries.last_mut() {
                    if tok == "login" { entry.1 = value } else { entry.2 = value }
                }
            }
            _ => {}
        }
    }
    let pick = |want: Kind| entries.iter().find(|e| e.0 == want).and_then(|e| e.1.clone().zip(e.2.clone()));
    pick(Kind::Match).or_else(|| pick(Kind::Default))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn netrc_picks_the_matching_machine_then_default() {
        let text = "machine a.example login ua password pa\ndefault login ud password pd\nmachine b.example\n  login ub\n  password pb\n";
        assert_eq!(parse_netrc(text, "b.example"), Some(("ub".into(), "pb".into())));
        assert_eq!(parse_netrc(text, "a.example"), Some(("ua".into(), "pa".into())));
        assert_eq!(parse_netrc(text, "c.example"), Some(("ud".into(), "pd".into())));
        assert_eq!(parse_netrc("machine x login u password p", "y"), None);
    }
}
