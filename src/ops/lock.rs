//! `paii lock`: resolve paii.toml against its registries and write paii.lock.

pub use super::stage::plan::LockOutcome;
use super::stage::plan::{apply, learn_integrity, plan};
use super::{Context, Error};

#[derive(Debug, Default, Clone)]
pub struct LockOptions {
    /// `--update` with its plugin names; empty means every plugin.
    pub update: Option<Vec<String>>,
    /// `--check`: change nothing, exit 1 when the lock is out of date.
    pub check: bool,
}

pub fn run(ctx: &Context, opts: &LockOptions) -> Result<LockOutcome, Error> {
    // A manifest that does not parse fails before PAII_HOME is touched.
    let manifest = ctx.load_manifest()?;
    // Planning may fetch (git branches, plugins straight from git): it runs
    // under the lock, as one command at a time per PAII_HOME.
    let _guard = ctx.lock_home("lock")?;
    let mut planned = plan(ctx, &manifest, opts.update.as_deref())?;
    if opts.check {
        if !planned.up_to_date {
            return Err(Error::OutOfDate { message: planned.out_of_date_message() });
        }
        let names: Vec<&str> =
            planned.new.plugins.iter().filter(|p| super::stage::fetch::lacks_integrity(p)).map(|p| p.name.as_str()).collect();
        if !names.is_empty() {
            return Err(Error::OutOfDate {
                message: format!(
                    "{} lacks the integrity of {}, which `paii sync --locked` needs; `paii lock` would add it",
                    planned.path.display(),
                    names.join(", ")
                ),
            });
        }
        return Ok(LockOutcome { written: false, ..planned.into_outcome() });
    }
    learn_integrity(ctx, &manifest, &mut planned)?;
    apply(planned)
}
