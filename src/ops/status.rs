//! `paii status`: the current generation and whether paii.toml, paii.lock,
//! the store and the current generation agree.

use serde::Serialize;

use super::{Context, Error};
use crate::lock::Lock;

#[derive(Debug, Serialize)]
pub struct Status {
    /// The scope it looked at.
    pub scope: crate::scope::Scope,
    pub current: Option<u32>,
    pub plugins: Vec<String>,
    /// Installed without their hooks, servers and build until `paii approve`.
    pub held: Vec<String>,
    /// Each way the files and the installed state disagree; empty when in sync.
    pub drift: Vec<String>,
}

pub fn run(ctx: &Context) -> Result<Status, Error> {
    let manifest = ctx.load_manifest()?;
    let scope = ctx.scope_of(&manifest)?;
    let generations = scope.generations();
    let current = generations.current();
    let meta = current.map(|n| generations.meta(n)).transpose()?;
    let mut drift = Vec::new();
    let lock_path = manifest.lock_path();
    // As the lock is read everywhere: a byte-order mark is not a change.
    let lock_text = crate::diagnostic::read_text(&lock_path).ok();
    match lock_text.as_deref().map(|t| Lock::parse(&crate::diagnostic::SourceFile::new(&lock_path, t))).transpose()? {
        None => drift.push(format!("{} is missing: run `paii lock`", lock_path.display())),
        Some(lock) => {
            if !super::stage::plan::satisfies(&lock, &manifest) {
                drift.push(format!("{} does not satisfy {}: run `paii lock`", lock_path.display(), manifest.file.name));
            }
            use sha2::Digest;
            let hash = crate::store::integrity::hex(&sha2::Sha256::digest(lock_text.unwrap_or_default().as_bytes()));
            match &meta {
                None => drift.push("nothing is installed yet: run `paii sync`".to_string()),
                Some(m) if m.lock_hash != hash => {
                    drift.push(format!("generation {} was made from another paii.lock: run `paii sync`", m.number))
                }
                Some(_) => {}
            }
        }
    }
    for p in meta.iter().flat_map(|m| &m.plugins) {
        for path in std::iter::once(&p.store_path).chain(p.build_path.as_ref()) {
            if !path.is_dir() {
                drift.push(format!("{} {}: {} is missing from the store: run `paii sync`", p.name, p.version, path.display()));
            }
        }
    }
    if let Some(n) = current {
        let claude = scope.claude();
        if !claude.active() {
            drift.push(
                "paii is deactivated: Claude Code sees none of its plugins (`paii sync` or `paii switch` brings them back)".to_string(),
            );
        } else {
            match crate::claude::Fragment::load(&generations.path(n).join("claude")).and_then(|f| claude.plan(&f)) {
                Ok(changes) => {
                    for line in changes.lines() {
                        drift.push(format!("Claude Code's files lag behind generation {n} ({line}): run `paii sync`"));
                    }
                    for e in &changes.foreign_edits {
                        drift.push(format!("{e} is paii's but was edited by hand (see `paii doctor`)"));
                    }
                }
                Err(e) => drift.push(format!("Claude Code's files: {e}")),
            }
        }
    }
    Ok(Status {
        scope,
        current,
        plugins: meta.iter().flat_map(|m| m.plugins.iter().map(|p| format!("{} {}", p.name, p.version))).collect(),
        held: meta.iter().flat_map(|m| m.plugins.iter().filter(|p| p.held).map(|p| p.name.clone())).collect(),
        drift,
    })
}
