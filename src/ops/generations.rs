//! `paii generations list`, `paii rollback`, `paii switch N`.

use serde::Serialize;

use super::{Context, Error};
use crate::claude::{Changes, Fragment};
use crate::generation::Generations;

#[derive(Debug, Serialize)]
pub struct ListedGeneration {
    pub number: u32,
    /// UTC, RFC 3339.
    pub created: String,
    pub parent: Option<u32>,
    pub plugins: usize,
    pub current: bool,
}

pub fn list(ctx: &Context) -> Result<Vec<ListedGeneration>, Error> {
    let generations = ctx.acting_scope()?.generations();
    let current = generations.current();
    Ok(generations
        .list()?
        .into_iter()
        .map(|g| ListedGeneration {
            number: g.number,
            created: crate::util::time::utc(g.created),
            parent: g.parent,
            plugins: g.plugins.len(),
            current: Some(g.number) == current,
        })
        .collect())
}

#[derive(Debug, Serialize)]
pub struct Switched {
    pub scope: crate::scope::Scope,
    pub number: u32,
    pub claude: Changes,
}

/// Switches to generation `n` (or, without one, to the current one's
/// parent), and Claude Code's files follow. Names that are the user's stop
/// it before `current` moves.
pub fn switch(ctx: &Context, n: Option<u32>) -> Result<Switched, Error> {
    let _guard = ctx.lock_home(if n.is_some() { "switch" } else { "rollback" })?;
    let scope = ctx.acting_scope()?;
    let generations = scope.generations();
    let number = match n {
        Some(n) => n,
        None => generations.parent_of_current()?,
    };
    let fragment = Fragment::load(&generations.path(number).join("claude"))?;
    let claude = scope.claude();
    claude.plan(&fragment)?;
    generations.switch(number)?;
    crate::util::fail::point("switch-before-claude").map_err(Error::io("cannot write", &claude.dir))?;
    let claude = claude.apply(&fragment)?;
    Ok(Switched { scope, number, claude })
}

/// What differs between two generations.
#[derive(Debug, Serialize)]
pub struct GenerationDiff {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<String>,
}

pub fn diff(ctx: &Context, a: u32, b: u32) -> Result<GenerationDiff, Error> {
    let generations = ctx.acting_scope()?.generations();
    let (old, new) = (generations.meta(a)?, generations.meta(b)?);
    let find = |plugins: &[crate::generation::GenerationPlugin], name: &str| plugins.iter().find(|p| p.name == name).cloned();
    let mut out = GenerationDiff { added: Vec::new(), removed: Vec::new(), changed: Vec::new() };
    for p in &new.plugins {
        match find(&old.plugins, &p.name) {
            None => out.added.push(format!("{} {}", p.name, p.version)),
            Some(o) if o.version != p.version => out.changed.push(format!("{} {} -> {}", p.name, o.version, p.version)),
            Some(o) if o != *p => out.changed.push(format!("{} {} (new tree or build)", p.name, p.version)),
            Some(_) => {}
        }
    }
    for o in &old.plugins {
        if find(&new.plugins, &o.name).is_none() {
            out.removed.push(format!("{} {}", o.name, o.version));
        }
    }
    Ok(out)
}

/// What `paii gc` removed (or would remove).
#[derive(Debug, Serialize)]
pub struct Collected {
    /// The scope whose old generations it removed.
    pub scope: crate::scope::Scope,
    pub generations: Vec<u32>,
    /// Projects whose repository was moved or deleted (why each is gone):
    /// their generations and what paii had added to Claude Code's user
    /// config for them.
    pub projects: Vec<String>,
    pub store_entries: Vec<String>,
    pub bytes: u64,
    pub dry_run: bool,
}

/// Removes the scope's generations beyond the newest `keep` (never the
/// current one), every project whose repository is gone, and every store
/// entry no remaining generation of any scope references.
pub fn gc(ctx: &Context, keep: Option<usize>, dry_run: bool) -> Result<Collected, Error> {
    let _guard = ctx.lock_home("gc")?;
    let scope = ctx.acting_scope()?;
    let home = scope.home.clone();
    let generations = scope.generations();
    let current = generations.current();
    // A generation that does not read back is collected like an old one
    // (unless it is current, which gc never touches).
    let mut all = Vec::new();
    let mut corrupt = Vec::new();
    for n in generations.numbers() {
        match generations.meta(n) {
            Ok(m) => all.push(m),
            Err(_) if Some(n) != current => corrupt.push(n),
            Err(e) => return Err(e.into()),
        }
    }
    let keep = keep.unwrap_or(all.len());
    let kept: Vec<&crate::generation::GenerationMeta> =
        all.iter().enumerate().filter(|(i, g)| all.len() - i <= keep || Some(g.number) == current).map(|(_, g)| g).collect();
    let mut doomed: Vec<u32> = all.iter().map(|g| g.number).filter(|n| !kept.iter().any(|k| k.number == *n)).collect();
    doomed.extend(corrupt);
    doomed.sort_unstable();
    // A generation a hook is running from stays, with what it uses.
    let busy: Vec<u32> = doomed.iter().copied().filter(|n| in_use(&generations, *n)).collect();
    doomed.retain(|n| !busy.contains(n));
    let kept: Vec<&crate::generation::GenerationMeta> = kept.into_iter().chain(all.iter().filter(|g| busy.contains(&g.number))).collect();
    let mut referenced: std::collections::HashSet<std::path::PathBuf> = kept.iter().flat_map(|g| store_paths(g)).collect();
    // What else holds on to entries (the advisory databases `paii audit` pinned).
    referenced.extend(crate::store::roots(&home));

    // Every other scope keeps all it has; a project whose repository is
    // gone keeps nothing, unless a hook still runs from it.
    let mut gone = Vec::new();
    let mut others = vec![crate::scope::Scope::user(&home)];
    for project in crate::scope::known_projects(&home) {
        let g = Generations::in_profile(&home, &project.profile);
        match project.health() {
            crate::scope::Health::Gone(why) if project.profile != scope.profile && !g.numbers().iter().any(|n| in_use(&g, *n)) => {
                gone.push((project, why))
            }
            _ => others.push(crate::scope::Scope { profile: project.profile.clone(), ..crate::scope::Scope::user(&home) }),
        }
    }
    // A generation of another scope that does not read back could use any
    // store entry: none is collected this time.
    let mut unreadable = None;
    for other in others.iter().filter(|o| o.profile != scope.profile) {
        let g = other.generations();
        for n in g.numbers() {
            match g.meta(n) {
                Ok(m) => referenced.extend(store_paths(&m)),
                Err(_) => unreadable = Some(g.path(n)),
            }
        }
    }

    let store = crate::store::Store::new(home.join("store"));
    if !dry_run {
        store.clean_temporaries()?;
        generations.clean_temporaries()?;
    }
    let unused: Vec<std::path::PathBuf> = match &unreadable {
        None => store.entries()?.into_iter().filter(|e| !referenced.contains(e)).collect(),
        Some(path) => {
            (ctx.status)(&format!(
                "warning: {} does not read back, so no store entry is collected (`paii doctor` in its scope says more)",
                path.display()
            ));
            Vec::new()
        }
    };
    // The roots of Claude Code plugins (writable, per profile) that no kept
    // generation of this scope links to.
    let used_roots: std::collections::HashSet<std::path::PathBuf> =
        kept.iter().flat_map(|g| g.plugins.iter().filter_map(|p| Some(p.root.as_ref()?.parent()?.to_path_buf()))).collect();
    let unused_roots: Vec<std::path::PathBuf> = std::fs::read_dir(scope.profile.join("roots"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        // One a hook is running from stays.
        .filter(|p| !used_roots.contains(p) && !crate::dispatch::DispatchTable::in_use(&p.join(crate::dispatch::table::FILE)))
        .collect();
    let unused: Vec<std::path::PathBuf> = unused.into_iter().chain(unused_roots).collect();
    let mut bytes = 0;
    let mut projects = Vec::new();
    for (project, why) in &gone {
        bytes += du(&project.profile);
        projects.push(why.clone());
        if !dry_run {
            // Its MCP servers live on in the user config, which outlives the repository.
            if let Some(s) = project.scope(&home) {
                s.claude().deactivate()?;
            }
            crate::util::fs::retire(&project.profile)?;
        }
    }
    // Generations first: a store entry goes only once nothing names it.
    for path in doomed.iter().map(|n| generations.path(*n)).collect::<Vec<_>>().iter().chain(unused.iter()) {
        bytes += du(path);
        if !dry_run {
            crate::util::fs::retire(path)?;
            crate::util::fail::point("gc-step").map_err(Error::io("cannot remove", path))?;
        }
    }
    Ok(Collected {
        scope,
        generations: doomed,
        projects,
        store_entries: unused
            .iter()
            .filter_map(|p| {
                let name = p.file_name()?.to_string_lossy().into_owned();
                Some(if p.parent()?.ends_with("roots") { format!("roots/{name}") } else { name })
            })
            .collect(),
        bytes,
        dry_run,
    })
}

/// Whether a hook is running from generation `n`.
fn in_use(generations: &Generations, n: u32) -> bool {
    crate::dispatch::DispatchTable::in_use(&generations.path(n).join(crate::dispatch::table::FILE))
}

/// The store entries a generation uses: its plugins' trees and builds.
fn store_paths(g: &crate::generation::GenerationMeta) -> impl Iterator<Item = std::path::PathBuf> + '_ {
    g.plugins.iter().flat_map(|p| std::iter::once(p.store_path.clone()).chain(p.build_path.clone()))
}

/// Bytes of the regular files under `path` (symlinks not followed).
fn du(path: &std::path::Path) -> u64 {
    let Ok(meta) = std::fs::symlink_metadata(path) else { return 0 };
    if meta.is_dir() {
        std::fs::read_dir(path).map(|rd| rd.flatten().map(|e| du(&e.path())).sum()).unwrap_or(0)
    } else if meta.is_file() {
        meta.len()
    } else {
        0
    }
}
