//! Scopes: where a sync installs and where its generations live.
//!
//! - **user**: generations in `$PAII_HOME`, Claude Code's user files
//!   (`$CLAUDE_CONFIG_DIR/settings.json`, `~/.claude.json`'s `mcpServers`);
//! - **project**: generations in `$PAII_HOME/projects/<id>/` (a *profile*,
//!   as Nix calls a directory of generations with a `current` link), the
//!   repository's `.claude/` (hook entries in `settings.local.json`, links
//!   under `.claude/`) and the project's entry in `~/.claude.json`.
//!
//! Everything else (the store, caches, `.env`, plugin config, plugin data,
//! history) is the user's, shared by every scope.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::util::fs::IoError;

/// Which Claude Code configuration a paii.toml installs into.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum ScopeKind {
    /// `~/.claude`, for every directory Claude Code runs in.
    #[default]
    User,
    /// The `.claude/` of the repository holding the paii.toml.
    Project,
}

impl std::fmt::Display for ScopeKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ScopeKind::User => "user",
            ScopeKind::Project => "project",
        })
    }
}

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ScopeError {
    #[error("the project scope of {} needs a git repository, and {} is not inside one", manifest.display(), manifest.parent().unwrap_or(manifest).display())]
    #[diagnostic(help(
        "the project scope installs into the `.claude/` of the repository holding paii.toml: run `git init` there, or use `--scope user`"
    ))]
    NoRepository { manifest: PathBuf },
    #[error("the repository holding {} is {}, whose `.claude/` is Claude Code's user configuration", manifest.display(), root.display())]
    #[diagnostic(help(
        "a repository at your home directory (dotfiles) cannot hold a project: use the user scope (`--scope user`), or make the project a repository of its own"
    ))]
    UserConfig { manifest: PathBuf, root: PathBuf },
    #[error("{} is already installed into this repository from {}", manifest.display(), other.display())]
    #[diagnostic(help(
        "a repository has one project scope: sync the other paii.toml, move its plugins into one file, or use `--scope user` for this one"
    ))]
    OtherManifest { manifest: PathBuf, other: PathBuf },
    #[error(transparent)]
    Io(#[from] IoError),
}

/// A repository paii installs into.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Project {
    /// The repository's root (the directory holding `.git`).
    pub root: PathBuf,
    /// `<name>-<hash of the root's path>`: the profile's directory name.
    pub id: String,
}

/// Where one scope's state is.
#[derive(Debug, Clone, Serialize)]
pub struct Scope {
    pub kind: ScopeKind,
    /// `PAII_HOME`: the store, caches, secrets, plugin config and data.
    pub home: PathBuf,
    /// The directory of this scope's generations and `current`.
    pub profile: PathBuf,
    pub project: Option<Project>,
}

/// What a project's profile remembers of it: `project.toml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProjectRecord {
    /// The repository root it was synced for.
    pub root: PathBuf,
    /// The paii.toml it was synced from.
    pub manifest: PathBuf,
}

const PROJECTS: &str = "projects";
const RECORD: &str = "project.toml";

impl Scope {
    pub fn user(home: &Path) -> Scope {
        Scope { kind: ScopeKind::User, home: home.to_path_buf(), profile: home.to_path_buf(), project: None }
    }

    /// The project scope of the repository holding `manifest`.
    pub fn project(home: &Path, manifest: &Path) -> Result<Scope, ScopeError> {
        let dir = manifest.parent().unwrap_or(Path::new("/"));
        // Symlinks resolved, so that every path to one checkout is one project.
        let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        let root = repository_root(&dir).ok_or_else(|| ScopeError::NoRepository { manifest: manifest.to_path_buf() })?;
        let claude = crate::util::paths::claude_config_dir();
        let user = std::fs::canonicalize(&claude).unwrap_or(claude);
        if root.join(".claude") == user {
            return Err(ScopeError::UserConfig { manifest: manifest.to_path_buf(), root });
        }
        let id = project_id(&root);
        Ok(Scope {
            kind: ScopeKind::Project,
            home: home.to_path_buf(),
            profile: home.join(PROJECTS).join(&id),
            project: Some(Project { root, id }),
        })
    }

    /// The scope a command acts on: `wanted` (`--scope`) if given, else what
    /// the manifest declares.
    pub fn resolve(home: &Path, manifest: &Path, declared: ScopeKind, wanted: Option<ScopeKind>) -> Result<Scope, ScopeError> {
        match wanted.unwrap_or(declared) {
            ScopeKind::User => Ok(Scope::user(home)),
            ScopeKind::Project => Scope::project(home, manifest),
        }
    }

    /// For people: `user scope` or `project scope (/path/to/repo)`.
    pub fn describe(&self) -> String {
        match &self.project {
            None => "user scope".to_string(),
            Some(p) => format!("project scope ({})", p.root.display()),
        }
    }

    /// The profile a project-scope hook entry names; none for the user's,
    /// whose dispatcher finds `PAII_HOME` as every other command does.
    pub fn dispatch_profile(&self) -> Option<&Path> {
        self.project.as_ref().map(|_| self.profile.as_path())
    }

    /// Remembers which repository and paii.toml this project profile is
    /// for (what `doctor` and `gc` check to find it moved or deleted).
    /// A second paii.toml of the same repository is refused: the two would
    /// replace each other's plugins on every sync.
    pub fn remember(&self, manifest: &Path) -> Result<(), ScopeError> {
        let Some(p) = &self.project else { return Ok(()) };
        let record = ProjectRecord { root: p.root.clone(), manifest: manifest.to_path_buf() };
        let path = self.profile.join(RECORD);
        let text = toml::to_string(&record).unwrap_or_default();
        let old = std::fs::read_to_string(&path).ok();
        if old.as_deref() == Some(text.as_str()) {
            return Ok(());
        }
        if let Some(other) = old.and_then(|t| toml::from_str::<ProjectRecord>(&t).ok()).map(|r| r.manifest)
            && other != manifest
            && other.is_file()
        {
            return Err(ScopeError::OtherManifest { manifest: manifest.to_path_buf(), other });
        }
        std::fs::create_dir_all(&self.profile).map_err(|e| IoError::new("cannot create", &self.profile, e))?;
        Ok(crate::util::fs::atomic_write(&path, text.as_bytes()).map_err(|e| IoError::new("cannot write", &path, e))?)
    }
}

/// A project profile found under `$PAII_HOME/projects/`.
#[derive(Debug, Clone, Serialize)]
pub struct KnownProject {
    pub id: String,
    pub profile: PathBuf,
    /// `None` when `project.toml` is missing or unreadable.
    pub record: Option<ProjectRecordView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProjectRecordView {
    pub root: PathBuf,
    pub manifest: PathBuf,
}

/// What became of a project's repository since its last sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    Present,
    /// The repository's root is gone (moved or deleted): `gc` collects the
    /// project.
    Gone(String),
    /// Something is off but the repository may come back (its paii.toml
    /// removed, perhaps on another branch): reported, never collected.
    Stale(String),
}

impl KnownProject {
    pub fn health(&self) -> Health {
        let Some(r) = &self.record else { return Health::Stale("its profile records no repository".to_string()) };
        if !r.root.exists() {
            return Health::Gone(format!("{} is gone (the repository was moved or deleted)", r.root.display()));
        }
        if !r.root.join(".git").exists() {
            return Health::Stale(format!("{} is no longer a git repository", r.root.display()));
        }
        if !r.manifest.is_file() {
            return Health::Stale(format!("{} is gone (another branch, or moved)", r.manifest.display()));
        }
        Health::Present
    }

    /// The scope it was synced as.
    pub fn scope(&self, home: &Path) -> Option<Scope> {
        let r = self.record.as_ref()?;
        Some(Scope {
            kind: ScopeKind::Project,
            home: home.to_path_buf(),
            profile: self.profile.clone(),
            project: Some(Project { root: r.root.clone(), id: self.id.clone() }),
        })
    }
}

/// Every project profile of `home`, by id.
pub fn known_projects(home: &Path) -> Vec<KnownProject> {
    let mut out: Vec<KnownProject> = std::fs::read_dir(home.join(PROJECTS))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()) && !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| {
            let profile = e.path();
            let record = std::fs::read_to_string(profile.join(RECORD))
                .ok()
                .and_then(|t| toml::from_str::<ProjectRecord>(&t).ok())
                .map(|r| ProjectRecordView { root: r.root, manifest: r.manifest });
            KnownProject { id: e.file_name().to_string_lossy().into_owned(), profile, record }
        })
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

/// The nearest directory at or above `dir` holding `.git` (a directory, or
/// the file a worktree or submodule has).
pub fn repository_root(dir: &Path) -> Option<PathBuf> {
    dir.ancestors().find(|d| d.join(".git").exists()).map(Path::to_path_buf)
}

/// `<last component>-<16 hex digits of sha256(root)>`: readable in a
/// listing, distinct for two checkouts of one repository.
pub fn project_id(root: &Path) -> String {
    use sha2::Digest;
    let name: String = root
        .file_name()
        .map(|n| n.to_string_lossy().chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect())
        .unwrap_or_default();
    let hash = crate::store::integrity::hex(&sha2::Sha256::digest(root.as_os_str().as_encoded_bytes()));
    let name = if name.is_empty() { "root".to_string() } else { name };
    format!("{name}-{}", &hash[..16])
}

/// The root Claude Code keys a project's configuration by (its entry in
/// `~/.claude.json`): the repository's own root, or for a worktree the main
/// checkout's, so that every worktree of a repository shares it.
pub fn canonical_root(root: &Path) -> PathBuf {
    let dot_git = root.join(".git");
    if dot_git.is_dir() {
        return root.to_path_buf();
    }
    let common = git_exclude(root).and_then(|e| Some(e.parent()?.parent()?.to_path_buf()));
    match common {
        Some(c) if c.file_name().is_some_and(|n| n == ".git") => c.parent().map_or_else(|| root.to_path_buf(), Path::to_path_buf),
        _ => root.to_path_buf(),
    }
}

/// The file git reads repository-local ignore patterns from: `info/exclude`
/// of the repository's common directory (shared by its worktrees).
pub fn git_exclude(root: &Path) -> Option<PathBuf> {
    let dot_git = root.join(".git");
    let git_dir = if dot_git.is_dir() {
        dot_git
    } else {
        // A worktree or submodule: `gitdir: <path>`.
        let text = std::fs::read_to_string(&dot_git).ok()?;
        let rel = text.lines().find_map(|l| l.strip_prefix("gitdir:"))?.trim();
        crate::util::paths::normalize(&root.join(rel))
    };
    let common = match std::fs::read_to_string(git_dir.join("commondir")) {
        Ok(t) => crate::util::paths::normalize(&git_dir.join(t.trim())),
        Err(_) => git_dir,
    };
    Some(common.join("info").join("exclude"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_project_is_the_repository_holding_its_manifest() {
        let d = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(d.path()).unwrap();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        std::fs::create_dir_all(root.join("sub")).unwrap();
        let home = Path::new("/h");
        let s = Scope::project(home, &root.join("sub").join("paii.toml")).unwrap();
        let p = s.project.clone().unwrap();
        assert_eq!(p.root, root);
        assert_eq!(s.profile, home.join("projects").join(&p.id));
        assert_eq!(p.id, project_id(&root));
        assert_eq!(s.dispatch_profile(), Some(s.profile.as_path()));
        assert_eq!(Scope::user(home).dispatch_profile(), None);
    }

    #[test]
    fn a_project_manifest_outside_a_repository_is_an_error() {
        let d = tempfile::tempdir().unwrap();
        let e = Scope::project(Path::new("/h"), &d.path().join("paii.toml")).unwrap_err();
        assert!(e.to_string().contains("needs a git repository"), "{e}");
    }

    #[test]
    fn two_checkouts_are_two_projects() {
        assert_ne!(project_id(Path::new("/a/repo")), project_id(Path::new("/b/repo")));
        assert!(project_id(Path::new("/a/my repo")).starts_with("my_repo-"));
    }

    #[test]
    fn a_worktree_excludes_through_its_common_directory() {
        let d = tempfile::tempdir().unwrap();
        let main = d.path().join("main");
        let wt = d.path().join("wt");
        std::fs::create_dir_all(main.join(".git/worktrees/wt")).unwrap();
        std::fs::write(main.join(".git/worktrees/wt/commondir"), "../..\n").unwrap();
        std::fs::create_dir_all(&wt).unwrap();
        std::fs::write(wt.join(".git"), format!("gitdir: {}\n", main.join(".git/worktrees/wt").display())).unwrap();
        assert_eq!(git_exclude(&wt).unwrap(), main.join(".git/info/exclude"));
        assert_eq!(git_exclude(&main).unwrap(), main.join(".git/info/exclude"));
        assert_eq!(canonical_root(&wt), main);
        assert_eq!(canonical_root(&main), main);
    }
}
