//! Registry credentials and the two challenges a registry may answer 401
//! with: `Basic realm=...` (send the login) and `Bearer realm=...,
//! service=..., scope=...` (trade the login, or nothing, for a token at the
//! realm). Credentials come, first found, from Docker's `config.json`
//! (`credHelpers`, `auths`, `credsStore`), `~/.netrc`, or
//! `PAII_OCI_USERNAME` and `PAII_OCI_PASSWORD`.

use std::path::PathBuf;
use std::sync::Mutex;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials({}, ***)", self.username)
    }
}

#[derive(Default)]
struct State {
    basic: bool,
    bearer: Option<String>,
}

pub(super) struct Session {
    host: String,
    creds: Option<Credentials>,
    state: Mutex<State>,
}

impl Session {
    pub(super) fn new(host: &str) -> Session {
        Session { host: host.to_string(), creds: lookup(host), state: Mutex::new(State::default()) }
    }

    pub(super) fn apply(&self, req: reqwest::blocking::RequestBuilder) -> reqwest::blocking::RequestBuilder {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match (&state.bearer, state.basic, &self.creds) {
            (Some(token), _, _) => req.bearer_auth(token),
            (None, true, Some(c)) => req.basic_auth(&c.username, Some(&c.password)),
            _ => req,
        }
    }

    /// Prepares the answer to a 401's challenge for the next attempt.
    pub(super) fn answer(&self, http: &reqwest::blocking::Client, challenge: Option<&str>, repo: &str, push: bool) -> Result<(), String> {
        let challenge = challenge.ok_or("the registry refused the request (401) without saying how to log in")?;
        let (scheme, params) = challenge.split_once(' ').unwrap_or((challenge, ""));
        let params = parse_params(params);
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if scheme.eq_ignore_ascii_case("basic") {
            if self.creds.is_none() {
                return Err(self.no_credentials());
            }
            state.basic = true;
            return Ok(());
        }
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(format!("the registry asks for `{scheme}` authentication, which paii does not speak"));
        }
        let realm = params.iter().find(|(k, _)| k == "realm").map(|(_, v)| v.clone()).ok_or("a Bearer challenge without a realm")?;
        let mut query: Vec<(String, String)> = params.iter().filter(|(k, _)| k == "service").cloned().collect();
        let actions = if push { "pull,push" } else { "pull" };
        query.push(("scope".into(), format!("repository:{repo}:{actions}")));
        let url = reqwest::Url::parse_with_params(&realm, &query).map_err(|e| format!("the token realm `{realm}`: {e}"))?;
        let mut req = http.get(url);
        if let Some(c) = &self.creds {
            req = req.basic_auth(&c.username, Some(&c.password));
        }
        let resp = req.send().map_err(|e| format!("token from {realm}: {}", crate::http::error_chain(&e)))?;
        let status = resp.status();
        if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
            return Err(if self.creds.is_none() {
                self.no_credentials()
            } else {
                format!("{realm} refused the credentials for {} (HTTP {status})", self.host)
            });
        }
        if !status.is_success() {
            return Err(format!("token from {realm}: HTTP {status}"));
        }
        let text = resp.text().map_err(|e| format!("token from {realm}: {e}"))?;
        let body: serde_json::Value = serde_json::from_str(&text).map_err(|e| format!("token from {realm}: {e}"))?;
        let token = body
            .get("token")
            .or_else(|| body.get("access_token"))
            .and_then(|t| t.as_str())
            .ok_or_else(|| format!("{realm} answered without a token"))?;
        state.bearer = Some(token.to_string());
        Ok(())
    }

    fn no_credentials(&self) -> String {
        format!(
            "{} asks for credentials and none were found (Docker's config.json `auths`, `credHelpers` or `credsStore`, ~/.netrc, or PAII_OCI_USERNAME and PAII_OCI_PASSWORD)",
            self.host
        )
    }
}

/// `key="value", key=value` pairs of a challenge.
fn parse_params(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let Some((key, after)) = rest.split_once('=') else { break };
        let key = key.trim().trim_start_matches(',').trim().to_ascii_lowercase();
        let after = after.trim_start();
        let (value, next) = if let Some(quoted) = after.strip_prefix('"') {
            match quoted.find('"') {
                Some(end) => (&quoted[..end], &quoted[end + 1..]),
                None => (quoted, ""),
            }
        } else {
            match after.find(',') {
                Some(end) => (&after[..end], &after[end..]),
                None => (after, ""),
            }
        };
        out.push((key, value.to_string()));
        rest = next.trim_start().trim_start_matches(',').trim_start();
    }
    out
}

fn docker_config() -> Option<serde_json::Value> {
    let dir = std::env::var_os("DOCKER_CONFIG")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".docker")))?;
    serde_json::from_slice(&std::fs::read(dir.join("config.json")).ok()?).ok()
}

/// `docker-credential-<helper> get`, given the host on stdin.
fn helper(name: &str, host: &str) -> Option<Credentials> {
    use std::io::Write;
    let mut child = std::process::Command::new(format!("docker-credential-{name}"))
        .arg("get")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(host.as_bytes()).ok()?;
    let out = child.wait_with_output().ok()?;
    if !out.status.success() {
        return None;
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    Some(Credentials { username: v.get("Username")?.as_str()?.to_string(), password: v.get("Secret")?.as_str()?.to_string() })
}

fn from_docker(config: &serde_json::Value, host: &str) -> Option<Credentials> {
    if let Some(name) = config.get("credHelpers").and_then(|h| h.get(host)).and_then(|v| v.as_str()) {
        return helper(name, host);
    }
    let auths = config.get("auths").and_then(|a| a.as_object());
    let entry = auths.and_then(|a| {
        a.iter().find(|(k, _)| {
            let k = k.trim_start_matches("https://").trim_start_matches("http://");
            k == host || k.strip_suffix("/v2/").or_else(|| k.strip_suffix("/v2")).or_else(|| k.strip_suffix('/')) == Some(host)
        })
    });
    if let Some((_, entry)) = entry {
        if let Some(auth) = entry.get("auth").and_then(|v| v.as_str())
            && let Ok(decoded) = STANDARD.decode(auth)
            && let Some((u, p)) = String::from_utf8_lossy(&decoded).split_once(':')
        {
            return Some(Credentials { username: u.to_string(), password: p.to_string() });
        }
        if let (Some(u), Some(p)) = (entry.get("username").and_then(|v| v.as_str()), entry.get("password").and_then(|v| v.as_str())) {
            return Some(Credentials { username: u.to_string(), password: p.to_string() });
        }
    }
    config.get("credsStore").and_then(|v| v.as_str()).and_then(|name| helper(name, host))
}

/// The credentials for `host`, first found.
pub fn lookup(host: &str) -> Option<Credentials> {
    docker_config()
        .and_then(|c| from_docker(&c, host))
        .or_else(|| {
            crate::http::netrc_credentials(&format!("https://{host}/")).map(|(username, password)| Credentials { username, password })
        })
        .or_else(|| match (std::env::var("PAII_OCI_USERNAME"), std::env::var("PAII_OCI_PASSWORD")) {
            (Ok(username), Ok(password)) => Some(Credentials { username, password }),
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_parse_quoted_and_bare_values() {
        let p = parse_params(r#"realm="https://auth.example/token",service="registry.example", scope="repository:a/b:pull""#);
        assert_eq!(p[0], ("realm".into(), "https://auth.example/token".into()));
        assert_eq!(p[1], ("service".into(), "registry.example".into()));
        assert_eq!(p[2].1, "repository:a/b:pull");
        assert_eq!(parse_params("realm=basic-realm"), vec![("realm".to_string(), "basic-realm".to_string())]);
    }

    #[test]
    fn docker_auths_are_matched_by_host_in_any_of_their_spellings() {
        let config = serde_json::json!({"auths": {"https://reg.example:5000/v2/": {"auth": STANDARD.encode("u:p")}}});
        assert_eq!(from_docker(&config, "reg.example:5000"), Some(Credentials { username: "u".into(), password: "p".into() }));
        assert_eq!(from_docker(&config, "other.example"), None);
    }
}
