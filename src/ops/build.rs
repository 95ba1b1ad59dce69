//! `paii build [PLUGIN...]`: fetch and build locked plugins into the store
//! without changing paii.lock or anything Claude Code sees.

use serde::Serialize;

use super::stage::build::{SyncedPlugin, fetch_and_build};
use super::{Context, Error};

/// What `paii build --check` found for one plugin.
#[derive(Debug, Serialize)]
pub struct Checked {
    pub name: String,
    pub version: String,
    /// Files of the output that a second build produced differently.
    pub differ: Vec<String>,
    /// Files that differ only by the path the output was built at (a venv's).
    pub relocated: Vec<String>,
    /// Files that differ only by a time the installer recorded.
    pub timestamped: Vec<String>,
}

pub fn run(ctx: &Context, names: &[String], jobs: usize) -> Result<Vec<SyncedPlugin>, Error> {
    Ok(fetch_and_build(ctx, names, jobs)?.0)
}

/// Builds, then builds each plugin with a `[build]` again into a temporary
/// directory and compares the two outputs file by file.
pub fn check(ctx: &Context, names: &[String], jobs: usize) -> Result<Vec<Checked>, Error> {
    // The PAII_HOME lock is held through the second builds too: another
    // paii's cleanup must not remove their temporary directories.
    let (plugins, sources, _guard) = fetch_and_build(ctx, names, jobs)?;
    let builder = crate::build::Builder::for_home(&crate::util::paths::paii_home());
    let mut out = Vec::new();
    for (p, entry) in plugins.iter().zip(&sources).filter(|(p, _)| !p.held) {
        let pm = crate::manifest::PluginManifest::load_installed(&entry.path, &p.name)?;
        if let Some(c) = builder.check(&pm, entry)? {
            out.push(Checked {
                name: p.name.clone(),
                version: p.version.clone(),
                differ: c.differ,
                relocated: c.relocated,
                timestamped: c.timestamped,
            });
        }
    }
    Ok(out)
}
