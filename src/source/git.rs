//! Git sources, fetched with gix into a bare cache per URL
//! (`$PAII_HOME/cache/git/`), incrementally; only the plugin's subtree of
//! the wanted commit is written out.

use std::fs;
use std::os::unix::fs::{OpenOptionsExt, symlink};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use gix::bstr::ByteSlice;
use gix::object::tree::EntryKind;
use sha2::{Digest, Sha256};

use super::SourceError;

/// What to take from a repository.
pub struct GitSpec<'a> {
    pub name: &'a str,
    pub url: &'a str,
    /// Branch, tag or commit as requested.
    pub rev: Option<&'a str>,
    /// A commit already known (from the lock): never re-resolved.
    pub commit: Option<&'a str>,
}

/// The bare cache of `url`.
pub fn cache_dir(cache: &Path, url: &str) -> PathBuf {
    let digest = Sha256::digest(crate::util::url::redact(url).as_bytes());
    let hex = crate::store::integrity::hex(&digest[..8]);
    let tail = url
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("repo")
        .trim_end_matches(".git")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .take(40)
        .collect::<String>();
    cache.join("git").join(format!("{hex}-{tail}.git"))
}

fn git_err(spec: &GitSpec<'_>, what: impl std::fmt::Display) -> SourceError {
    SourceError::Git {
        name: spec.name.to_string(),
        url: crate::util::url::redact(spec.url),
        message: crate::util::url::redact_text(&what.to_string(), spec.url),
    }
}

fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        cur = c.source();
    }
    s
}

/// Opens (or creates) the bare cache for `spec.url`, fetching from the
/// remote unless `offline` or the wanted commit is already there.
fn repository(spec: &GitSpec<'_>, cache: &Path, offline: bool) -> Result<gix::Repository, SourceError> {
    let dir = cache_dir(cache, spec.url);
    // One writer per cache at a time, across threads and processes: the
    // lock is held while the cache is created and fetched into.
    fs::create_dir_all(cache.join("git")).map_err(|e| git_err(spec, e))?;
    let lock_path = dir.with_extension("lock");
    let lock = fs::File::options().create(true).truncate(false).write(true).open(&lock_path).map_err(|e| git_err(spec, e))?;
    lock.lock().map_err(|e| git_err(spec, e))?;
    remove_partial_packs(&dir);
    let repo = if dir.join("HEAD").exists() {
        gix::open(&dir).map_err(|e| git_err(spec, chain(&e)))?
    } else if offline {
        return Err(SourceError::Offline {
            name: spec.name.to_string(),
            what: format!("git {} is not in the cache", crate::util::url::redact(spec.url)),
        });
    } else {
        fs::create_dir_all(&dir).map_err(|e| git_err(spec, e))?;
        gix::init_bare(&dir).map_err(|e| git_err(spec, chain(&e)))?
    };
    let have_commit = spec.commit.and_then(|c| gix::ObjectId::from_hex(c.as_bytes()).ok()).is_some_and(|id| repo.find_object(id).is_ok());
    if have_commit {
        return Ok(repo);
    }
    if offline {
        if let Some(c) = spec.commit {
            return Err(SourceError::Offline {
                name: spec.name.to_string(),
                what: format!("commit {c} of git {} is not in the cache", crate::util::url::redact(spec.url)),
            });
        }
        return Ok(repo);
    }
    fetch(&repo, spec)?;
    drop(lock);
    Ok(repo)
}

/// A fetch killed halfway leaves temporary pack files behind; with the cache
/// locked, no fetch is writing, so anything not named `pack-*` goes.
fn remove_partial_packs(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir.join("objects/pack")) else { return };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.starts_with("pack-") {
            crate::debug!("removing {} left by an interrupted fetch", e.path().display());
            let _ = fs::remove_file(e.path());
        }
    }
}

fn fetch(repo: &gix::Repository, spec: &GitSpec<'_>) -> Result<(), SourceError> {
    crate::debug!("git fetch {}", crate::util::url::redact(spec.url));
    crate::http::init_tls();
    // Prune: a branch or tag deleted upstream must not keep resolving from
    // the cache. The fetch below recreates every ref that still exists.
    // They are put back if the fetch fails, so a failed fetch loses nothing.
    let saved: Vec<(String, gix::ObjectId)> = repo
        .references()
        .ok()
        .map(|platform| {
            ["refs/remotes/origin/", "refs/tags/"]
                .iter()
                .filter_map(|prefix| platform.prefixed(*prefix).ok())
                .flat_map(|iter| {
                    iter.flatten()
                        .filter_map(|r| Some((r.name().as_bstr().to_string(), r.target().try_id()?.to_owned())))
                        .collect::<Vec<_>>()
                })
                .collect()
        })
        .unwrap_or_default();
    for (name, _) in &saved {
        if let Ok(r) = repo.find_reference(name.as_str()) {
            let _ = r.delete();
        }
    }
    let result = fetch_refs(repo, spec);
    if result.is_err() {
        for (name, id) in saved {
            let _ = repo.reference(name.as_str(), id, gix::refs::transaction::PreviousValue::Any, "paii: restore after a failed fetch");
        }
    }
    result
}

fn fetch_refs(repo: &gix::Repository, spec: &GitSpec<'_>) -> Result<(), SourceError> {
    use gix::remote::Direction;
    let remote = repo
        .remote_at(spec.url)
        .map_err(|e| git_err(spec, chain(&e)))?
        .with_refspecs(
            ["+HEAD:refs/remotes/origin/HEAD", "+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"],
            Direction::Fetch,
        )
        .map_err(|e| git_err(spec, chain(&e)))?;
    let connection = remote.connect(Direction::Fetch).map_err(|e| git_err(spec, chain(&e)))?;
    connection
        .prepare_fetch(gix::progress::Discard, Default::default())
        .map_err(|e| git_err(spec, chain(&e)))?
        .receive(gix::progress::Discard, &AtomicBool::new(false))
        .map_err(|e| git_err(spec, chain(&e)))?;
    Ok(())
}

/// The commit `spec` means: the locked one, a full id, or the branch or tag
/// named by `rev` (the remote's default branch when there is none).
fn resolve_commit(repo: &gix::Repository, spec: &GitSpec<'_>) -> Result<gix::ObjectId, SourceError> {
    let not_found = || SourceError::RevNotFound {
        name: spec.name.to_string(),
        url: crate::util::url::redact(spec.url),
        rev: spec.commit.or(spec.rev).unwrap_or("HEAD").to_string(),
    };
    if let Some(c) = spec.commit.or(spec.rev.filter(|r| crate::util::url::is_full_commit(r))) {
        let id = gix::ObjectId::from_hex(c.as_bytes()).map_err(|_| not_found())?;
        let commit = repo.find_object(id).map_err(|_| not_found())?.peel_to_commit().map_err(|_| not_found())?;
        return Ok(commit.id);
    }
    let candidates: Vec<String> = match spec.rev {
        Some(rev) => vec![format!("refs/remotes/origin/{rev}"), format!("refs/tags/{rev}"), rev.to_string()],
        None => vec!["refs/remotes/origin/HEAD".to_string()],
    };
    for name in candidates {
        if let Ok(mut r) = repo.find_reference(name.as_str())
            && let Ok(commit) = r.peel_to_commit()
        {
            return Ok(commit.id);
        }
    }
    Err(not_found())
}

/// Fetches as needed and writes the subtree `subdir` of the wanted commit
/// into `dest`. Returns the commit id.
pub fn checkout(spec: &GitSpec<'_>, subdir: Option<&str>, cache: &Path, offline: bool, dest: &Path) -> Result<String, SourceError> {
    let repo = repository(spec, cache, offline)?;
    let id = match resolve_commit(&repo, spec) {
        Ok(id) => id,
        // A commit missing from an older cache may have been pushed since.
        Err(_) if !offline && spec.commit.is_some() => {
            let lock_path = cache_dir(cache, spec.url).with_extension("lock");
            let lock = fs::File::options().write(true).open(&lock_path).map_err(|e| git_err(spec, e))?;
            lock.lock().map_err(|e| git_err(spec, e))?;
            fetch(&repo, spec)?;
            resolve_commit(&repo, spec)?
        }
        Err(e) => return Err(e),
    };
    let commit = repo.find_commit(id).map_err(|e| git_err(spec, chain(&e)))?;
    let mut tree = commit.tree().map_err(|e| git_err(spec, chain(&e)))?;
    if let Some(sub) = subdir.filter(|s| !s.is_empty() && *s != ".") {
        let entry = tree.lookup_entry_by_path(sub).map_err(|e| git_err(spec, chain(&e)))?.ok_or_else(|| SourceError::PathNotFound {
            name: spec.name.to_string(),
            source_desc: format!("git {} at {id}", crate::util::url::redact(spec.url)),
            path: sub.to_string(),
        })?;
        // A plugin directory that is a submodule has no objects here.
        if entry.mode().kind() == EntryKind::Commit {
            return Err(SourceError::Submodule {
                name: spec.name.to_string(),
                url: crate::util::url::redact(spec.url),
                path: sub.to_string(),
            });
        }
        tree = entry.object().map_err(|e| git_err(spec, chain(&e)))?.peel_to_tree().map_err(|_| SourceError::PathNotFound {
            name: spec.name.to_string(),
            source_desc: format!("git {} at {id}", crate::util::url::redact(spec.url)),
            path: format!("{sub} (not a directory)"),
        })?;
    }
    write_tree(&repo, spec, &tree, dest, Path::new(""))?;
    Ok(id.to_string())
}

fn write_tree(repo: &gix::Repository, spec: &GitSpec<'_>, tree: &gix::Tree<'_>, dest: &Path, rel: &Path) -> Result<(), SourceError> {
    for entry in tree.iter() {
        let entry = entry.map_err(|e| git_err(spec, chain(&e)))?;
        let name = entry.filename().to_str().map_err(|_| git_err(spec, "a file name that is not UTF-8"))?;
        if name.is_empty() || name == "." || name == ".." || name.contains('/') || name.contains('\0') {
            return Err(git_err(spec, format!("refusing the tree entry `{name}`")));
        }
        let path = dest.join(name);
        let rel = rel.join(name);
        let werr = |e: std::io::Error| git_err(spec, format!("cannot write {}: {e}", path.display()));
        match entry.mode().kind() {
            EntryKind::Tree => {
                fs::create_dir(&path).map_err(werr)?;
                let sub = repo.find_tree(entry.oid().to_owned()).map_err(|e| git_err(spec, chain(&e)))?;
                write_tree(repo, spec, &sub, &path, &rel)?;
            }
            kind @ (EntryKind::Blob | EntryKind::BlobExecutable) => {
                let blob = repo.find_blob(entry.oid().to_owned()).map_err(|e| git_err(spec, chain(&e)))?;
                let mode = if kind == EntryKind::BlobExecutable { 0o755 } else { 0o644 };
                let mut f = fs::OpenOptions::new().write(true).create_new(true).mode(mode).open(&path).map_err(werr)?;
                std::io::Write::write_all(&mut f, &blob.data).map_err(werr)?;
            }
            EntryKind::Link => {
                let blob = repo.find_blob(entry.oid().to_owned()).map_err(|e| git_err(spec, chain(&e)))?;
                let target = blob.data.to_str().map_err(|_| git_err(spec, "a symlink target that is not UTF-8"))?;
                crate::extract::check_symlink(&rel, Path::new(target), &rel.display().to_string()).map_err(|e| git_err(spec, e))?;
                symlink(target, &path).map_err(werr)?;
            }
            EntryKind::Commit => {
                return Err(SourceError::Submodule {
                    name: spec.name.to_string(),
                    url: crate::util::url::redact(spec.url),
                    path: rel.display().to_string(),
                });
            }
        }
    }
    Ok(())
}

/// The bytes of the file `path` at the commit `spec` means, and that commit
/// (for registries kept in git).
pub fn read_file(spec: &GitSpec<'_>, path: &str, cache: &Path, offline: bool) -> Result<(String, Vec<u8>), SourceError> {
    let repo = repository(spec, cache, offline)?;
    let id = resolve_commit(&repo, spec)?;
    let commit = repo.find_commit(id).map_err(|e| git_err(spec, chain(&e)))?;
    let tree = commit.tree().map_err(|e| git_err(spec, chain(&e)))?;
    let missing = || SourceError::PathNotFound {
        name: spec.name.to_string(),
        source_desc: format!("git {} at {id}", crate::util::url::redact(spec.url)),
        path: path.to_string(),
    };
    let entry = tree.lookup_entry_by_path(path).map_err(|e| git_err(spec, chain(&e)))?.ok_or_else(missing)?;
    let blob = repo.find_blob(entry.object_id()).map_err(|_| missing())?;
    Ok((id.to_string(), blob.data.clone()))
}

/// The text of `path` at `commit` of `url`'s cached repository, read without
/// the network; `None` when it is not there (or not text).
pub fn cached_text(url: &str, commit: &str, path: &str, cache: &Path) -> Option<String> {
    let spec = GitSpec { name: "", url, rev: None, commit: Some(commit) };
    let (_, bytes) = read_file(&spec, path, cache, true).ok()?;
    crate::diagnostic::decode(Path::new(path), bytes).ok()
}

/// The commit `spec` means and its committer time (seconds since the
/// epoch): the date `[policy] min-release-age` reads for a registry entry.
pub fn commit_time(spec: &GitSpec<'_>, cache: &Path, offline: bool) -> Result<(String, i64), SourceError> {
    let repo = repository(spec, cache, offline)?;
    let id = resolve_commit(&repo, spec)?;
    let commit = repo.find_commit(id).map_err(|e| git_err(spec, chain(&e)))?;
    let time = commit.time().map_err(|e| git_err(spec, chain(&e)))?.seconds;
    Ok((id.to_string(), time))
}

/// When the subtree `subdir` of the commit `spec` means last changed: the
/// committer time of the newest commit, along first parents, whose
/// `subdir` differs from its parent's (a plugin in a repository of many
/// is as old as its own last change, not the repository's). Without a
/// subdirectory, the commit's own time.
pub fn path_time(spec: &GitSpec<'_>, cache: &Path, offline: bool, subdir: Option<&str>) -> Result<(String, i64), SourceError> {
    let repo = repository(spec, cache, offline)?;
    let id = resolve_commit(&repo, spec)?;
    let time_of = |c: &gix::Commit<'_>| c.time().map(|t| t.seconds).map_err(|e| git_err(spec, chain(&e)));
    let mut commit = repo.find_commit(id).map_err(|e| git_err(spec, chain(&e)))?;
    let Some(sub) = subdir.filter(|s| !s.is_empty() && *s != ".") else {
        return Ok((id.to_string(), time_of(&commit)?));
    };
    let tree_of = |c: &gix::Commit<'_>| -> Option<gix::ObjectId> { c.tree().ok()?.lookup_entry_by_path(sub).ok()?.map(|e| e.object_id()) };
    let mine = tree_of(&commit);
    // A long history is cut short: the date found is then older than the
    // truth, never younger than the commit asked for.
    for _ in 0..10_000 {
        let Some(parent) = commit.parent_ids().next() else { break };
        let parent = repo.find_commit(parent.detach()).map_err(|e| git_err(spec, chain(&e)))?;
        if tree_of(&parent) != mine {
            break;
        }
        commit = parent;
    }
    Ok((id.to_string(), time_of(&commit)?))
}

/// A commit chosen under a minimum release age.
#[derive(Debug, Clone)]
pub struct Aged {
    pub commit: String,
    /// Its committer time.
    pub time: i64,
    /// A tag or commit was asked for: taken whatever its age.
    pub exact: bool,
    /// The branch's tip, when it was too young and an older commit was taken.
    pub skipped: Option<(String, i64)>,
}

/// The newest commit of `spec`'s branch committed at or before `cutoff`,
/// walking back along first parents; a tag or a commit is exact and taken
/// as it is.
pub fn resolve_aged(spec: &GitSpec<'_>, cache: &Path, offline: bool, cutoff: i64) -> Result<Aged, SourceError> {
    let repo = repository(spec, cache, offline)?;
    let tip = resolve_commit(&repo, spec)?;
    // Only a branch moves: anything else asked for (a tag, a commit, a
    // full ref name) is exact.
    let exact =
        spec.commit.is_some() || spec.rev.is_some_and(|r| repo.find_reference(format!("refs/remotes/origin/{r}").as_str()).is_err());
    let time_of = |c: &gix::Commit<'_>| c.time().map(|t| t.seconds).map_err(|e| git_err(spec, chain(&e)));
    let mut commit = repo.find_commit(tip).map_err(|e| git_err(spec, chain(&e)))?;
    let tip_time = time_of(&commit)?;
    if exact || tip_time <= cutoff {
        return Ok(Aged { commit: tip.to_string(), time: tip_time, exact, skipped: None });
    }
    loop {
        let Some(parent) = commit.parent_ids().next() else {
            return Err(SourceError::TooYoung {
                name: spec.name.to_string(),
                url: crate::util::url::redact(spec.url),
                rev: spec.rev.unwrap_or("HEAD").to_string(),
                oldest: crate::util::time::rfc3339(time_of(&commit)?),
            });
        };
        commit = repo.find_commit(parent.detach()).map_err(|e| git_err(spec, chain(&e)))?;
        let time = time_of(&commit)?;
        if time <= cutoff {
            return Ok(Aged { commit: commit.id.to_string(), time, exact: false, skipped: Some((tip.to_string(), tip_time)) });
        }
    }
}

/// Resolves `rev` to a commit id without writing anything out (for `paii
/// lock`).
pub fn resolve(spec: &GitSpec<'_>, cache: &Path, offline: bool) -> Result<String, SourceError> {
    let repo = repository(spec, cache, offline)?;
    Ok(resolve_commit(&repo, spec)?.to_string())
}
