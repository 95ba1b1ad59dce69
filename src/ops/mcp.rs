//! `paii mcp exec SERVER` and `paii mcp headers SERVER`: how an MCP server
//! gets the secrets its plugin declares without their values ever being
//! written into Claude Code's config. Claude Code starts these two; they
//! read the server as the plugin wrote it from the current generation's
//! `claude/mcp-secrets.json` (so a server can only ever get what its own
//! plugin declared) and the values from `$PAII_HOME/.env`.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use super::Error;

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum McpError {
    #[error("MCP server `{0}` is not one of the current generation's servers that use secrets")]
    #[diagnostic(help("`paii sync` writes Claude Code's MCP config again; these commands are what that config runs"))]
    Unknown(String),
    #[error("MCP server `{server}` has no command")]
    NoCommand { server: String },
    #[error("MCP server `{server}` sends {keys} in its headers, and {file} does not have {them}")]
    #[diagnostic(help(
        "add KEY=value lines to {file} (the plugin `{plugin}` declares {them} in its [secrets]); Claude Code then connects on its next start"
    ))]
    MissingSecret { server: String, plugin: String, keys: String, them: &'static str, file: String },
}

/// The record of `server`, the secrets it may use, and their values.
struct Server {
    rec: Value,
    keys: Vec<String>,
    values: BTreeMap<String, String>,
}

impl Server {
    fn load(server: &str, profile: Option<&Path>) -> Result<Server, Error> {
        let home = crate::util::paths::paii_home();
        let path = profile.unwrap_or(&home).join("current").join("claude").join("mcp-secrets.json");
        let doc = crate::claude::json::JsonFile::read(&path)?.doc;
        let rec = doc.get(server).cloned().ok_or_else(|| McpError::Unknown(server.to_string()))?;
        let dotenv = crate::generation::secrets::read(&home.join(".env"))?;
        let keys: Vec<String> =
            rec.get("secrets").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).map(str::to_string).collect();
        let mut values = BTreeMap::new();
        for key in &keys {
            // `.env` first; a declared key the user exported also counts.
            match dotenv.get(key).cloned().or_else(|| std::env::var(key).ok()) {
                Some(v) => {
                    values.insert(key.clone(), v);
                }
                // Claude Code shows a server's stderr in its MCP log.
                None => eprintln!("paii: MCP server `{server}` uses {key}, which is not in {}", home.join(".env").display()),
            }
        }
        Ok(Server { rec, keys, values })
    }

    fn expand(&self, s: &str) -> String {
        let keys: Vec<&str> = self.keys.iter().map(String::as_str).collect();
        expand(s, &self.values, &keys)
    }
}

/// `${KEY}` and `${KEY:-default}` of the given keys replaced in `s`; other
/// references are left for whoever reads them next.
pub fn expand(s: &str, values: &BTreeMap<String, String>, keys: &[&str]) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find("${") {
        out.push_str(&rest[..at]);
        let tail = &rest[at + 2..];
        let Some(end) = tail.find('}') else {
            out.push_str(&rest[at..]);
            return out;
        };
        let inner = &tail[..end];
        let (key, default) = match inner.split_once(":-") {
            Some((k, d)) => (k, Some(d)),
            None => (inner, None),
        };
        match (keys.contains(&key), values.get(key), default) {
            (true, Some(v), _) => out.push_str(v),
            (true, None, Some(d)) => out.push_str(d),
            (true, None, None) => {}
            (false, ..) => out.push_str(&rest[at..at + 3 + end]),
        }
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    out
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).map(str::to_string).collect()
}

/// Starts the server's own command in place of this process.
pub fn exec(server: &str, profile: Option<&Path>) -> Result<i32, Error> {
    let s = Server::load(server, profile)?;
    let command = s.rec.get("command").and_then(Value::as_str).ok_or_else(|| McpError::NoCommand { server: server.to_string() })?;
    let mut cmd = std::process::Command::new(s.expand(command));
    cmd.args(strings(s.rec.get("args")).iter().map(|a| s.expand(a)));
    for (k, v) in s.rec.get("env").and_then(Value::as_object).into_iter().flatten() {
        if let Some(v) = v.as_str() {
            cmd.env(k, s.expand(v));
        }
    }
    use std::os::unix::process::CommandExt;
    let err = cmd.exec();
    Err(Error::Io(crate::util::fs::IoError::new("cannot run", Path::new(command), err)))
}

/// Prints the server's headers with its secrets filled in, as JSON; a
/// header that needs a secret `.env` lacks (and gives no default for) is an
/// error, not an empty credential sent to the server.
pub fn headers(server: &str, profile: Option<&Path>) -> Result<i32, Error> {
    let s = Server::load(server, profile)?;
    let text = s.rec.get("headers").map(Value::to_string).unwrap_or_default();
    let missing: Vec<&String> = s.keys.iter().filter(|k| !s.values.contains_key(*k) && text.contains(&format!("${{{k}}}"))).collect();
    if !missing.is_empty() {
        let file = crate::util::paths::paii_home().join(".env").display().to_string();
        let plugin = s.rec.get("plugin").and_then(Value::as_str).unwrap_or_default().to_string();
        let them = if missing.len() == 1 { "it" } else { "them" };
        let keys = missing.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ");
        return Err(McpError::MissingSecret { server: server.to_string(), plugin, keys, them, file }.into());
    }
    let headers: serde_json::Map<String, Value> = s
        .rec
        .get("headers")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| Some((k.clone(), Value::String(s.expand(v.as_str()?)))))
        .collect();
    println!("{}", Value::Object(headers));
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_declared_keys_are_expanded() {
        let values = BTreeMap::from([("TOKEN".to_string(), "s3cret".to_string())]);
        let keys = ["TOKEN", "UNSET"];
        assert_eq!(expand("Bearer ${TOKEN}", &values, &keys), "Bearer s3cret");
        assert_eq!(expand("${UNSET:-none}/${TOKEN:-x}", &values, &keys), "none/s3cret");
        assert_eq!(expand("${HOME}/${UNSET}", &values, &keys), "${HOME}/");
        assert_eq!(expand("a ${TOKEN", &values, &keys), "a ${TOKEN");
    }
}
