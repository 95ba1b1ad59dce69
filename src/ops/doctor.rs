//! `paii doctor [--fix]` and `paii deactivate`.

use serde::Serialize;

use super::{Context, Error};
use crate::claude::{Changes, Fragment};
use crate::store::{Store, StorePath};

#[derive(Debug, Serialize)]
pub struct Report {
    /// The scope it checked.
    pub scope: crate::scope::Scope,
    pub findings: Vec<Finding>,
    /// What `--fix` did.
    pub fixed: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Finding {
    pub what: String,
    /// How to repair it when `--fix` cannot.
    pub hint: Option<String>,
    pub fixable: bool,
}

fn finding(what: impl Into<String>, fixable: bool, hint: Option<&str>) -> Finding {
    Finding { what: what.into(), fixable, hint: hint.map(str::to_string) }
}

pub fn run(ctx: &Context, fix: bool) -> Result<Report, Error> {
    let _guard = if fix { Some(ctx.lock_home("doctor --fix")?) } else { None };
    let scope = ctx.scope()?;
    let home = scope.home.clone();
    let generations = scope.generations();
    let claude = scope.claude();
    let mut findings = Vec::new();
    let mut fixed = Vec::new();

    // Every scope's concern: projects whose repository is gone hold
    // generations (and store entries) nothing can use any more.
    for project in crate::scope::known_projects(&home) {
        match project.health() {
            crate::scope::Health::Present => {}
            crate::scope::Health::Gone(why) => findings.push(finding(
                format!("project {}: {why}", project.id),
                false,
                Some("`paii gc` removes its generations and its MCP servers; run `paii sync` in the repository's new place"),
            )),
            crate::scope::Health::Stale(why) => findings.push(finding(
                format!("project {}: {why}", project.id),
                false,
                Some("sync it again, or remove its directory under $PAII_HOME/projects/ once it is no longer wanted"),
            )),
        }
    }

    // `current` must name a complete generation.
    let mut current = generations.current();
    let intact = |n: u32| {
        generations.meta(n).is_ok() && crate::dispatch::DispatchTable::read(&generations.path(n).join(crate::dispatch::table::FILE)).is_ok()
    };
    if std::fs::symlink_metadata(scope.profile.join("current")).is_ok() && !current.is_some_and(intact) {
        let newest = generations.list().ok().and_then(|l| l.iter().rev().map(|g| g.number).find(|n| intact(*n)));
        findings.push(finding("`current` does not point at a complete generation", newest.is_some(), Some("run `paii sync`")));
        if fix && let Some(n) = newest {
            generations.switch(n)?;
            fixed.push(format!("pointed `current` at generation {n}, the newest complete one"));
            current = Some(n);
        }
    }
    for e in std::fs::read_dir(scope.profile.join("generations")).into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Ok(n) = name.parse::<u32>()
            && !intact(n)
        {
            findings.push(finding(
                format!("generation {n} is corrupt or incomplete"),
                false,
                Some("`paii gc` removes it once it is not current"),
            ));
        }
    }

    let meta = current.and_then(|n| generations.meta(n).ok());
    let store = Store::new(home.join("store"));
    let builder = crate::build::Builder::for_home(&home);
    let env_file = home.join(".env");
    let dotenv = crate::generation::secrets::read(&env_file)?;
    if let Some(mode) = crate::generation::secrets::readable_by_others(&env_file) {
        findings.push(finding(crate::generation::secrets::exposed(&env_file, mode), true, None));
        if fix {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&env_file, std::fs::Permissions::from_mode(mode & 0o700))
                .map_err(Error::io("cannot change the mode of", &env_file))?;
            fixed.push(format!("made {} readable by its owner only", env_file.display()));
        }
    }
    let fragment = current.and_then(|n| Fragment::load(&generations.path(n).join("claude")).ok());
    let mcp_secrets = fragment.as_ref().map(|f| f.mcp_secrets.clone()).unwrap_or_default();
    for p in meta.iter().flat_map(|m| &m.plugins) {
        let label = format!("{} {}", p.name, p.version);
        if !p.store_path.is_dir() {
            findings.push(finding(
                format!("{label}: {} is missing from the store", p.store_path.display()),
                false,
                Some("run `paii sync` to fetch it again"),
            ));
            continue;
        }
        if let Some(b) = &p.build_path
            && !b.is_dir()
        {
            findings.push(finding(
                format!("{label}: its build {} is missing from the store", b.display()),
                false,
                Some("run `paii sync` to build it again"),
            ));
        }
        let entry = p.integrity.map(|integrity| StorePath { path: p.store_path.clone(), integrity });
        if let Some(entry) = &entry
            && let Ok(Some(now)) = store.verify(entry)
        {
            findings.push(finding(
                format!("{label}: {} is corrupt (its files now hash to {now})", p.store_path.display()),
                false,
                Some("remove it with `chmod -R u+w` and `rm -rf`, then run `paii sync`"),
            ));
        }
        if let Ok(pm) = crate::manifest::PluginManifest::load_dir(&p.store_path) {
            if let Some(entry) = &entry
                && let Err(e) = builder.prepare(&pm, entry)
            {
                findings.push(finding(format!("{label}: {e}"), false, None));
            }
            for m in crate::generation::secrets::missing(std::slice::from_ref(&pm), &dotenv, &mcp_secrets) {
                findings.push(finding(m.describe(&env_file), false, Some("add KEY=value lines to that file")));
            }
        }
    }

    let claude_findings = claude.check(fragment.as_ref());
    let any_fixable = claude_findings.iter().any(|f| f.fixable);
    findings.extend(claude_findings.into_iter().map(|f| finding(f.what, f.fixable, None)));
    if fix
        && any_fixable
        && let Some(f) = &fragment
    {
        claude.distrust_links()?;
        let changes = claude.apply(f)?;
        fixed.push(if changes.is_empty() && changes.foreign_edits.is_empty() {
            "reconciled Claude Code's files with the current generation".to_string()
        } else {
            format!(
                "reconciled Claude Code's files: {}",
                changes
                    .lines()
                    .into_iter()
                    .chain(changes.foreign_edits.iter().map(|e| format!("restored paii's {e}")))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        });
    }
    if fix {
        let n = store.clean_temporaries()?;
        generations.clean_temporaries()?;
        if n > 0 {
            fixed.push(format!("removed {n} half-written store entries"));
        }
    }
    Ok(Report { scope, findings, fixed })
}

pub fn deactivate(ctx: &Context) -> Result<Changes, Error> {
    let _guard = ctx.lock_home("deactivate")?;
    Ok(ctx.acting_scope()?.claude().deactivate()?)
}
