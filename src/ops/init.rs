//! `paii init`: a new `PAII_HOME` with a commented paii.toml.

use std::path::PathBuf;

use super::{Context, Error};
use crate::util::fs::atomic_write;

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
    atomic_write(&manifest, crate::manifest::project::TEMPLATE.as_bytes()).map_err(Error::io("cannot write", &manifest))?;
    Ok(InitOutcome { home, manifest })
}

#[cfg(test)]
mod tests {
    #[test]
    fn template_is_a_valid_manifest() {
        let file = crate::diagnostic::SourceFile::new(std::path::Path::new("/h/paii.toml"), crate::manifest::project::TEMPLATE);
        let m = crate::manifest::Manifest::parse(file).unwrap();
        assert!(m.plugins.is_empty());
        assert!(m.warnings.is_empty());
    }
}
