//! Fetch, the second stage: every locked plugin brought into the store
//! (verified against the lock), several at a time, and what fetching
//! teaches the lock.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::lock::{LockedPlugin, LockedSource};
use crate::ops::{Context, Error};
use crate::source::{Fetched, Fetcher, SourceError, describe};

/// Several plugins could not be fetched (one is reported as itself).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{} plugins could not be fetched:\n{}", .0.len(), .0.iter().map(|e| format!("  - {e}")).collect::<Vec<_>>().join("\n"))]
pub struct FetchFailures(pub Vec<SourceError>);

/// Every fetch failure at once (one is reported as itself).
pub(crate) fn all_fetched(mut errors: Vec<SourceError>) -> Result<(), Error> {
    match errors.len() {
        0 => Ok(()),
        1 => Err(errors.remove(0).into()),
        _ => Err(FetchFailures(errors).into()),
    }
}

/// Whether the lock still has to learn `p`'s integrity by fetching it (a
/// path plugin's tree is the user's and changes: it has none).
pub(crate) fn lacks_integrity(p: &LockedPlugin) -> bool {
    p.integrity.is_none() && !matches!(p.source, LockedSource::Path { .. })
}

/// What fetching taught the lock: integrity (except for path plugins, whose
/// tree is the user's and changes) and the commit of a git source.
pub(crate) fn learn(p: &mut LockedPlugin, f: &Fetched) {
    if lacks_integrity(p) {
        p.integrity = Some(f.entry.integrity);
    }
    if let (LockedSource::Git { commit: c @ None, .. }, Some(id)) = (&mut p.source, &f.commit) {
        *c = Some(id.clone());
    }
}

/// Fetches with `jobs` workers, reporting each plugin as it completes.
pub(crate) fn fetch_all(ctx: &Context, fetcher: &Fetcher, plugins: &[LockedPlugin], jobs: usize) -> Vec<Result<Fetched, SourceError>> {
    let progress = ctx.progress(plugins.len() as u64, "fetching");
    let results = parallel_map(plugins, jobs, |p| {
        let item = progress.start(&format!("{} {} ({})", p.name, p.version, describe(&p.source)));
        let r = fetcher.fetch(p);
        item.done(&match &r {
            Ok(f) if f.added => format!("fetched {} {} ({})", p.name, p.version, describe(&p.source)),
            Ok(_) => format!("cached  {} {}", p.name, p.version),
            Err(_) => format!("failed  {} {}", p.name, p.version),
        });
        r
    });
    progress.finish();
    results
}

/// `f` over `items` on up to `jobs` threads; the results in item order.
pub(crate) fn parallel_map<T: Sync, R: Send>(items: &[T], jobs: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let slots: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..jobs.clamp(1, items.len().max(1)) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    let r = f(item);
                    if let Ok(mut slots) = slots.lock() {
                        slots[i] = Some(r);
                    }
                }
            });
        }
    });
    // Every index was taken by exactly one worker, so every slot is full.
    slots.into_inner().unwrap_or_default().into_iter().flatten().collect()
}
