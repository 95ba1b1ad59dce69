//! `paii init`: a new `PAII_HOME` with a commented paii.toml.

use std::path::PathBuf;

use super::{Context, Error};
use crate::util::fs::atomic_write;

pub(crate) const TEMPLATE: &str = r#"# paii.toml: the plugins you want. `paii sync` installs exactly these.
# Commit it (with paii.lock) to share a setup with your team.

[paii]
version = ">=0.1.0"          # paii versions this manifest accepts

# [paths]
# history = "~/.config/paii/history"

[registries]                 # order = priority: the first that lists a plugin supplies it
# core = { path = "./registries/core.toml" }
# work = { git = "https://example.org/acme/paii-plugins", path = "registry.toml", rev = "main" }

[plugins]
# security = "^1.0"                              # from the first registry that has it
# history = { version = "~1.2", registry = "core" }
# dev = { path = "../my-plugin" }                # a plugin you are writing
# quiet = { version = "^1", hooks = false }      # everything but its hooks

# [config.incident]          # team defaults for a plugin's [config]
# escalation_threshold_minutes = 15

# [wiring.incident]          # only when two selected plugins provide one contract
# memory = "history"
"#;

pub struct InitOutcome {
    pub home: PathBuf,
    pub manifest: PathBuf,
}

pub fn run(_ctx: &Context) -> Result<InitOutcome, Error> {
    let home = crate::util::paths::paii_home();
    let manifest = home.join(crate::util::paths::MANIFEST_NAME);
    if manifest.exists() {
        return Err(super::StateError::AlreadyInitialised { path: manifest }.into());
    }
    for dir in ["", "config", "registries", "logs", "cache"] {
        let d = home.join(dir);
        std::fs::create_dir_all(&d).map_err(Error::io("cannot create", &d))?;
    }
    atomic_write(&manifest, TEMPLATE.as_bytes()).map_err(Error::io("cannot write", &manifest))?;
    Ok(InitOutcome { home, manifest })
}

#[cfg(test)]
mod tests {
    #[test]
    fn template_is_a_valid_manifest() {
        let file = crate::diagnostic::SourceFile::new(std::path::Path::new("/h/paii.toml"), super::TEMPLATE);
        let m = crate::manifest::Manifest::parse(file).unwrap();
        assert!(m.plugins.is_empty());
        assert!(m.warnings.is_empty());
    }
}
