//! `paii lock`: resolve paii.toml against its registries and write paii.lock.

use std::collections::BTreeSet;
use std::path::PathBuf;

use super::{Context, Error};
use crate::diagnostic::SourceFile;
use crate::fsutil::atomic_write;
use crate::lock::{Lock, LockDiff};
use crate::manifest::Manifest;
use crate::resolve::{self, PubGrubSolver, Request, Update};

#[derive(Debug, Default, Clone)]
pub struct LockOptions {
    /// `--update` with its plugin names; empty means every plugin.
    pub update: Option<Vec<String>>,
    /// `--check`: change nothing, exit 1 when the lock is out of date.
    pub check: bool,
}

#[derive(Debug)]
pub struct LockOutcome {
    pub path: PathBuf,
    pub lock: Lock,
    pub diff: LockDiff,
    /// Whether paii.lock was (re)written.
    pub written: bool,
}

pub fn run(ctx: &Context, opts: &LockOptions) -> Result<LockOutcome, Error> {
    let manifest = ctx.load_manifest()?;
    let mut planned = plan(ctx, &manifest, opts.update.as_deref())?;
    if opts.check {
        if planned.up_to_date {
            return Ok(LockOutcome { written: false, ..planned.into_outcome() });
        }
        return Err(Error::OutOfDate { message: planned.out_of_date_message() });
    }
    if planned.up_to_date {
        return Ok(planned.into_outcome());
    }
    // Plan first, lock only to write: a failing command leaves no trace.
    let _guard = ctx.lock_home("lock")?;
    if !planned.inputs_unchanged(&manifest) {
        let manifest = ctx.load_manifest()?;
        planned = plan(ctx, &manifest, opts.update.as_deref())?;
    }
    apply(planned)
}

/// A resolved lock, not yet written.
pub struct Planned {
    pub path: PathBuf,
    /// The lock's text when it was read.
    pub old_text: Option<String>,
    pub old: Option<Lock>,
    pub new: Lock,
    pub text: String,
    /// The file on disk already holds exactly `text`.
    pub up_to_date: bool,
}

impl Planned {
    /// Whether paii.toml and paii.lock still hold what this plan read: when
    /// another paii wrote them meanwhile, the plan is stale.
    pub fn inputs_unchanged(&self, manifest: &Manifest) -> bool {
        let now = |p: &std::path::Path| std::fs::read_to_string(p).ok();
        now(&self.path) == self.old_text && now(&manifest.file.path).as_deref() == Some(&*manifest.file.text)
    }

    fn into_outcome(self) -> LockOutcome {
        LockOutcome {
            diff: LockDiff::between(self.old.as_ref(), &self.new),
            path: self.path,
            lock: self.new,
            written: false,
        }
    }

    fn out_of_date_message(&self) -> String {
        let diff = LockDiff::between(self.old.as_ref(), &self.new);
        match (&self.old, diff.is_empty()) {
            (None, _) => format!("{} is missing; `paii lock` would create it with:\n{}", self.path.display(), diff.render()),
            (Some(_), true) => format!("{} is not in canonical form; `paii lock` would rewrite it", self.path.display()),
            (Some(_), false) => format!("{} is out of date; `paii lock` would change:\n{}", self.path.display(), diff.render()),
        }
        .trim_end()
        .to_string()
    }
}

/// Resolves `manifest` (keeping locked versions unless `update` names them)
/// without touching the disk.
pub fn plan(ctx: &Context, manifest: &Manifest, update: Option<&[String]>) -> Result<Planned, Error> {
    let path = manifest.lock_path();
    let old_text = match std::fs::read(&path) {
        Ok(bytes) => Some(String::from_utf8(bytes).map_err(|_| {
            Error::user(
                format!("{} is not valid UTF-8 text", path.display()),
                Some("paii.lock is written by paii only; restore it from version control, or delete it and run `paii lock`".to_string()),
            )
        })?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::io("cannot read", &path)(e)),
    };
    let old = match &old_text {
        Some(text) => Some(Lock::parse(&SourceFile::new(&path, text.as_str()))?),
        None => None,
    };
    let update = match update {
        None => Update::Nothing,
        Some([]) => Update::All,
        Some(names) => {
            for n in names {
                if manifest.plugin(n).is_none() {
                    return Err(Error::user(
                        format!("`{n}` is not in [plugins] of {}", manifest.file.name),
                        crate::suggest::closest(n, manifest.plugins.iter().map(|p| p.name.as_str()))
                            .map(|s| format!("did you mean `{s}`?")),
                    ));
                }
            }
            Update::Only(names.iter().cloned().collect::<BTreeSet<_>>())
        }
    };
    let index = ctx.load_index(manifest)?;
    let resolved = resolve::resolve(&Request {
        manifest,
        index: &index,
        locked: old.as_ref(),
        update,
        solver: &PubGrubSolver,
    })?;
    ctx.warn_all(&resolved.warnings);
    let new = resolved.lock;
    let text = new.to_toml();
    Ok(Planned {
        up_to_date: old_text.as_deref() == Some(text.as_str()),
        path,
        old_text,
        old,
        new,
        text,
    })
}

/// Writes a planned lock if it changed.
pub fn apply(planned: Planned) -> Result<LockOutcome, Error> {
    if planned.up_to_date {
        return Ok(planned.into_outcome());
    }
    atomic_write(&planned.path, planned.text.as_bytes()).map_err(Error::io("cannot write", &planned.path))?;
    Ok(LockOutcome { written: true, ..planned.into_outcome() })
}
