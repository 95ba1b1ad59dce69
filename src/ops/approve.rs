//! `paii approve NAME... | --all`: records in paii.lock the digest of what
//! each plugin runs (its hook handlers, MCP server commands, build and
//! their code), so that with `[policy] require-approval` the next sync
//! installs them whole. The lock is where a reviewer sees the approval
//! change; the command line runs a sync after it, as `plugin install` does.

use serde::Serialize;

use super::stage::approval::surfaces;
use super::stage::fetch::{all_fetched, fetch_all, learn};
use super::stage::inventory::require_lock;
use super::{Context, Error};
use crate::approval::Surface;
use crate::source::Fetcher;

#[derive(Debug, Serialize)]
pub struct Approval {
    pub name: String,
    pub version: String,
    pub surface: Surface,
    /// Already approved as it is: nothing changed.
    pub already: bool,
}

#[derive(Debug, Serialize)]
pub struct Approved {
    pub plugins: Vec<Approval>,
    /// Plugins that run nothing, so need no approval.
    pub nothing_to_run: Vec<String>,
    /// Path plugins: the user's own, never held.
    pub local: Vec<String>,
    /// Whether paii.toml asks for approvals at all.
    pub required: bool,
    pub lock_written: bool,
}

pub fn run(ctx: &Context, names: &[String], all: bool, jobs: usize) -> Result<Approved, Error> {
    let manifest = ctx.load_manifest()?;
    let _guard = ctx.lock_home("approve")?;
    let mut lock = require_lock(&manifest)?;
    let wanted: Vec<usize> = if all {
        (0..lock.plugins.len()).collect()
    } else {
        let mut out = Vec::new();
        for n in names {
            lock.require_plugin(n)?;
            out.extend(lock.plugins.iter().position(|p| &p.name == n));
        }
        out
    };
    let chosen: Vec<_> = wanted.iter().map(|&i| lock.plugins[i].clone()).collect();
    let fetcher = Fetcher::for_manifest(&crate::util::paths::paii_home(), &manifest, false);
    let mut trees = Vec::new();
    let mut errors = Vec::new();
    for (&i, r) in wanted.iter().zip(fetch_all(ctx, &fetcher, &chosen, jobs)) {
        match r {
            Ok(f) => {
                learn(&mut lock.plugins[i], &f);
                trees.push(f.entry.path);
            }
            Err(e) => errors.push(e),
        }
    }
    all_fetched(errors)?;
    let before = lock.to_toml();
    let mut out = Approved {
        plugins: Vec::new(),
        nothing_to_run: Vec::new(),
        local: Vec::new(),
        required: manifest.policy.require_approval,
        lock_written: false,
    };
    let chosen: Vec<_> = wanted.iter().map(|&i| lock.plugins[i].clone()).collect();
    for (&i, surface) in wanted.iter().zip(surfaces(&chosen, &trees)?) {
        let p = &mut lock.plugins[i];
        if super::stage::approval::is_local(p) {
            out.local.push(p.name.clone());
            continue;
        }
        if surface.is_empty() {
            out.nothing_to_run.push(p.name.clone());
            continue;
        }
        let digest = surface.digest();
        let already = p.approved == Some(digest);
        p.approved = Some(digest);
        out.plugins.push(Approval { name: p.name.clone(), version: p.version.to_string(), surface, already });
    }
    let text = lock.to_toml();
    if text != before {
        let path = manifest.lock_path();
        crate::util::fs::atomic_write(&path, text.as_bytes()).map_err(Error::io("cannot write", &path))?;
        out.lock_written = true;
    }
    Ok(out)
}
