//! The environment of a plugin process: a few variables of the caller's,
//! the contract paii gives every plugin, and only the secrets it declares.

use std::collections::BTreeMap;
use std::path::Path;

use crate::table::{DispatchTable, RunEntry};

/// Variables of the caller's environment a plugin process sees; everything
/// else (API keys and tokens Claude Code or the shell hold among them) is
/// withheld. Secrets reach a plugin only through its `[secrets]`.
pub const PASSED_ENV: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "SHELL",
    "LANG",
    "LANGUAGE",
    "TERM",
    "TMPDIR",
    "TZ",
    "PWD",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "CLAUDE_PROJECT_DIR",
    "CLAUDE_CONFIG_DIR",
    "CLAUDE_ENV_FILE",
];
pub const PASSED_PREFIXES: &[&str] = &["LC_", "XDG_"];

/// The caller's variables a plugin process is given (see [`PASSED_ENV`]).
/// Plus `PAII_BIN`, this paii, for a plugin that reaches another through
/// `paii run` (a consumer calling its MemoryProvider).
pub fn base_env() -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .filter(|(k, _)| PASSED_ENV.contains(&k.as_str()) || PASSED_PREFIXES.iter().any(|p| k.starts_with(p)))
        .collect();
    if let Some(exe) = std::env::current_exe().ok().and_then(|p| p.into_os_string().into_string().ok()) {
        env.push(("PAII_BIN".to_string(), exe));
    }
    env
}

/// The caller's whole environment (and `PAII_BIN`): what a Claude Code
/// plugin's hook gets, as Claude Code gives its hooks its environment (a
/// plugin may use Claude Code's own credentials, as security-guidance's
/// review does). paii's `.env` secrets still reach only the plugins that
/// declare them.
pub fn caller_env() -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> =
        std::env::vars_os().filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))).collect();
    if let Some(exe) = std::env::current_exe().ok().and_then(|p| p.into_os_string().into_string().ok()) {
        env.retain(|(k, _)| k != "PAII_BIN");
        env.push(("PAII_BIN".to_string(), exe));
    }
    env
}

/// Every key and value of a `.env` file (dotenv syntax); a missing or
/// unreadable file is empty and a malformed line is skipped. A leading BOM
/// is ignored. The command line checks the file and reports bad lines; the
/// hot path only reads it.
pub fn read_dotenv(path: &Path) -> BTreeMap<String, String> {
    std::fs::read(path).map(|bytes| parse_dotenv(&bytes)).unwrap_or_default()
}

/// The keys and values of `.env` text; malformed lines are skipped.
pub fn parse_dotenv(bytes: &[u8]) -> BTreeMap<String, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    dotenvy::from_read_iter(bytes).flatten().collect()
}

/// The environment of the contract for one plugin, or why it cannot run.
pub fn plugin_env(
    table: &DispatchTable,
    name: &str,
    entry: &RunEntry,
    event: &str,
    base: &[(String, String)],
    dotenv: &BTreeMap<String, String>,
) -> Result<Vec<(String, String)>, String> {
    let mut env: Vec<(String, String)> = base.to_vec();
    let root = entry.root.display().to_string();
    env.extend([
        ("PAII_HOME".to_string(), table.home.display().to_string()),
        ("PAII_PLUGIN_NAME".to_string(), name.to_string()),
        ("PAII_PLUGIN_ROOT".to_string(), root.clone()),
        ("CLAUDE_PLUGIN_ROOT".to_string(), root),
        ("PAII_HISTORY_DIR".to_string(), table.history_dir.display().to_string()),
        // Where a plugin keeps its own state (incident's records): outside
        // the immutable generation, kept across generations.
        ("PAII_DATA_DIR".to_string(), table.home.join("data").join(name).display().to_string()),
        // A plugin runs from the read-only store: Python must not write
        // bytecode next to its sources (as root, it would succeed and change
        // a store entry). It keeps it under the cache instead, so that a
        // Python hook compiles its modules once, not on every event (about
        // a quarter of a small hook's time).
        ("PYTHONPYCACHEPREFIX".to_string(), table.home.join("cache").join("python").display().to_string()),
    ]);
    if !event.is_empty() {
        env.push(("PAII_EVENT".to_string(), event.to_string()));
    }
    env.extend(entry.env.iter().map(|(k, v)| (k.clone(), v.clone())));
    let mut missing = Vec::new();
    for key in &entry.secrets {
        // `.env` first; a declared key the user exported also counts.
        match dotenv.get(key).cloned().or_else(|| std::env::var(key).ok()) {
            Some(v) => env.push((entry.secret_as.get(key).unwrap_or(key).clone(), v)),
            None if entry.required_secrets.contains(key) => missing.push(key.as_str()),
            None => {}
        }
    }
    if !missing.is_empty() {
        return Err(format!("required secret {} is not in .env; skipped", missing.join(", ")));
    }
    // What paii sets wins over what the caller had: one value per name.
    let mut seen = std::collections::HashSet::new();
    env.reverse();
    env.retain(|(k, _)| seen.insert(k.clone()));
    env.reverse();
    Ok(env)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotenv_lines_are_read_with_quotes_export_and_a_bom() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join(".env");
        std::fs::write(&p, "\u{feff}# team secrets\nAPI_KEY=abc\nexport OTHER=\"x y\"\n").unwrap();
        let all = read_dotenv(&p);
        assert_eq!(all.get("OTHER").map(String::as_str), Some("x y"));
        assert_eq!(all.get("API_KEY").map(String::as_str), Some("abc"));
        assert!(read_dotenv(&d.path().join("none")).is_empty());
    }
}
