//! The plugin's `[config]`, from `PAII_CONFIG` (the merged config paii
//! passes as JSON):
//!
//! ```toml
//! [config.security]
//! deny = ['terraform apply']          # regular expressions over the command line
//! allow = ['rm -rf \./dist']          # the whole line; allowed even when a rule would object
//! protected_paths = ["~/work/prod"]   # never written or edited
//! fail_closed = false                 # block a call that cannot be judged (the SDK and paii read it)
//! ```

use regex_lite::Regex;
use serde_json::Value;

use crate::paths::Places;

/// Always protected from writes and edits.
const PROTECTED: &[&str] = &[
    "/etc",
    "/usr/bin",
    "/usr/sbin",
    "/usr/lib",
    "/bin",
    "/sbin",
    "/boot",
    "/System",
    "/Library",
    "~/.ssh",
    "~/.gnupg",
    "~/.aws",
    "~/.kube",
    "~/.netrc",
    "~/.git-credentials",
    "~/.docker/config.json",
    "~/.config/gh/hosts.yml",
];

#[derive(Debug, Default)]
pub struct Config {
    pub deny: Vec<Regex>,
    pub allow: Vec<Regex>,
    /// Normalised, `~` for the home directory.
    pub protected: Vec<String>,
    /// The home and working directories, paii's and Claude Code's.
    pub places: Places,
}

impl Config {
    /// Reads `PAII_CONFIG`'s JSON; a pattern that does not compile is an
    /// error naming it.
    pub fn from_json(text: Option<&str>, home: Option<String>) -> Result<Config, String> {
        let doc: Value = match text {
            Some(t) if !t.trim().is_empty() => serde_json::from_str(t).map_err(|e| format!("PAII_CONFIG is not JSON: {e}"))?,
            _ => Value::Null,
        };
        // A deny pattern matches anywhere in the line; an allow pattern must
        // match all of it, or `terraform plan; rm -rf ~` would pass as
        // `terraform plan`.
        let patterns = |key: &str, whole: bool| -> Result<Vec<Regex>, String> {
            doc.get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(|p| {
                    let re = if whole { format!("^(?:{p})$") } else { p.to_string() };
                    Regex::new(&re).map_err(|e| format!("`{key}` pattern `{p}`: {e}"))
                })
                .collect()
        };
        let mut protected: Vec<String> = PROTECTED.iter().map(|p| p.to_string()).collect();
        let extra = doc.get("protected_paths").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str);
        let places = Places { home, ..Places::default() };
        let mut config = Config { deny: patterns("deny", false)?, allow: patterns("allow", true)?, protected: Vec::new(), places };
        protected.extend(extra.map(|p| config.home_relative(p)));
        config.protected = protected.iter().map(|p| crate::paths::normalize(p)).collect();
        Ok(config)
    }

    /// Where paii and Claude Code keep their files (`PAII_HOME`,
    /// `CLAUDE_CONFIG_DIR`), which a command must not overwrite.
    pub fn with_dirs(mut self, paii_home: Option<String>, claude_dir: Option<String>) -> Config {
        self.places.paii_home = paii_home.filter(|d| !d.is_empty());
        self.places.claude_dir = claude_dir.filter(|d| !d.is_empty());
        self
    }

    /// The directory the call runs in (the event's `cwd`).
    pub fn with_cwd(mut self, cwd: Option<String>) -> Config {
        self.places.cwd = cwd.filter(|d| !d.is_empty());
        self
    }

    /// `path` normalised, with the home directory written `~`.
    pub fn home_relative(&self, path: &str) -> String {
        self.places.normalize(path)
    }
}
