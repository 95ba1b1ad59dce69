//! Sources: bringing a locked plugin's tree into the store, from git, a
//! tarball or a local path, verified against the lock's integrity.

pub mod git;
pub mod local;
pub mod oci;

use std::fs;
use std::path::{Path, PathBuf};

use crate::lock::{LockedPlugin, LockedSource};
use crate::store::integrity::{FileDigest, HashError, Integrity};
use crate::store::{Store, StoreError, StorePath};
use crate::util::fs::IoError;

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum SourceError {
    #[error("plugin `{name}`: {error}")]
    Oci {
        name: String,
        #[source]
        error: crate::oci::artifact::ArtifactError,
    },
    #[error("plugin `{name}`: git {url}: {message}")]
    Git { name: String, url: String, message: String },
    #[error("plugin `{name}`: `{rev}` does not exist in {url}")]
    #[diagnostic(help("check the `rev` in the registry or paii.toml; a force-pushed branch loses commits"))]
    RevNotFound { name: String, url: String, rev: String },
    #[error("plugin `{name}`: no commit of `{rev}` in {url} is older than [policy] min-release-age (the oldest is from {oldest})")]
    #[diagnostic(help("wait, or pin a commit (`rev = \"<40 hex digits>\"`) in paii.toml to take a younger one on purpose"))]
    TooYoung { name: String, url: String, rev: String, oldest: String },
    #[error("plugin `{name}`: {source_desc} has no `{path}`")]
    PathNotFound { name: String, source_desc: String, path: String },
    #[error("plugin `{name}`: {url} has a git submodule at `{path}`; submodules are not supported")]
    #[diagnostic(help(
        "vendor the submodule's files into the plugin, or point the entry at the submodule's own repository (a `url` or `git-subdir` source)"
    ))]
    Submodule { name: String, url: String, path: String },
    #[error("plugin `{name}`: {source_desc}: {error}")]
    Download {
        name: String,
        source_desc: String,
        #[source]
        error: crate::http::HttpError,
    },
    #[error("plugin `{name}`: {source_desc}: {error}")]
    Extract {
        name: String,
        source_desc: String,
        #[source]
        error: crate::extract::ExtractError,
    },
    #[error("plugin `{name}`: {source_desc} fails its hash (expected {expected}): {error}")]
    #[diagnostic(help(
        "the file changed since the marketplace named its hash; nothing was installed. Ask its publisher, or update the marketplace"
    ))]
    Digest {
        name: String,
        source_desc: String,
        expected: String,
        #[source]
        error: HashError,
    },
    #[error("plugin `{name}` ({source_desc}): its marketplace entry cannot be applied: {message}")]
    Overlay { name: String, source_desc: String, message: String },
    #[error("plugin `{name}`: {what}, and --offline allows no network")]
    #[diagnostic(help("run once without --offline (or --frozen) to fill the store"))]
    Offline { name: String, what: String },
    #[error("plugin `{name}`: {source_desc} holds neither plugin.toml nor .claude-plugin/plugin.json at its root")]
    NoManifest { name: String, source_desc: String },
    #[error("plugin `{name}`: {source_desc}: plugin.toml says {found}, the lock says {expected}")]
    #[diagnostic(help("the registry entry disagrees with the plugin it points at; fix the registry, or run `paii lock --update {name}`"))]
    ManifestMismatch { name: String, source_desc: String, found: String, expected: String },
    #[error("plugin `{name}`: {path} does not exist")]
    MissingPath { name: String, path: PathBuf },
    #[error(transparent)]
    #[diagnostic(transparent)]
    Manifest(#[from] crate::diagnostic::SpannedError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Store(#[from] StoreError),
}

/// Where a tree comes from: the source, the part of it that is the plugin,
/// and a marketplace entry's manifest to lay over it.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    pub source: &'a LockedSource,
    pub subdir: Option<&'a str>,
    pub overlay: Option<&'a str>,
}

/// A plugin tree in the store, and what fetching it taught the lock.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub entry: StorePath,
    /// The commit a git source resolved to.
    pub commit: Option<String>,
    /// Whether the network or a copy was needed (false: already in the store).
    pub added: bool,
}

/// Fetches locked plugins into the store.
pub struct Fetcher {
    pub store: Store,
    /// `$PAII_HOME/cache`.
    pub cache: PathBuf,
    /// The directory of paii.toml, for path sources.
    pub manifest_dir: PathBuf,
    pub offline: bool,
    /// With `[policy] require-signatures`: the keys an OCI plugin must be
    /// signed by.
    pub trusted: Option<Vec<crate::sign::PublicKey>>,
    /// Binary caches that may hold locked source trees (`cache push
    /// --sources`), tried before the source itself.
    pub substitutes: crate::substitute::Cache,
}

impl Fetcher {
    /// The fetcher of `manifest` in a `PAII_HOME`: with `[policy]
    /// require-signatures`, an OCI plugin needs a `[cache] trusted-keys` signature.
    pub fn for_manifest(home: &Path, manifest: &crate::manifest::Manifest, offline: bool) -> Fetcher {
        let mut f = Fetcher::for_home(home, &manifest.dir, offline);
        if manifest.policy.require_signatures {
            f.trusted = Some(manifest.cache.trusted.clone());
        }
        if !offline {
            f.substitutes = manifest.cache.clone();
        }
        f
    }

    /// The fetcher of a `PAII_HOME`: its store and caches.
    pub fn for_home(home: &Path, manifest_dir: &Path, offline: bool) -> Fetcher {
        Fetcher {
            store: Store::new(home.join("store")),
            cache: home.join("cache"),
            manifest_dir: manifest_dir.to_path_buf(),
            offline,
            trusted: None,
            substitutes: Default::default(),
        }
    }

    /// Brings `plugin` into the store; checks its integrity when the lock has
    /// one, and that its plugin.toml names the locked plugin and version.
    pub fn fetch(&self, plugin: &LockedPlugin) -> Result<Fetched, SourceError> {
        let version = plugin.version.to_string();
        // A locked tree already in the store needs nothing else.
        if let Some(integrity) = &plugin.integrity
            && !matches!(plugin.source, LockedSource::Path { .. })
            && let Some(entry) = self.store.get(integrity, &plugin.name, &version)
        {
            let commit = match &plugin.source {
                LockedSource::Git { commit, .. } => commit.clone(),
                _ => None,
            };
            return Ok(Fetched { entry, commit, added: false });
        }
        if let Some(integrity) = plugin.integrity.as_ref().filter(|_| !matches!(plugin.source, LockedSource::Path { .. }))
            && let Some(entry) = self.cached_source(&plugin.name, &plugin.version, integrity)
        {
            let commit = match &plugin.source {
                LockedSource::Git { commit, .. } => commit.clone(),
                _ => None,
            };
            return Ok(Fetched { entry, commit, added: true });
        }
        let want = Some((plugin.name.as_str(), &plugin.version));
        let at = Origin { source: &plugin.source, subdir: plugin.subdir.as_deref(), overlay: plugin.overlay.as_deref() };
        self.fetch_source(&plugin.name, &at, plugin.integrity.as_ref(), want)
    }

    /// The locked tree `integrity` from a binary cache that holds it signed
    /// by a trusted key; anything else (not there, unsigned, unreachable)
    /// falls through to the source itself.
    fn cached_source(&self, name: &str, version: &semver::Version, integrity: &Integrity) -> Option<StorePath> {
        for repo in &self.substitutes.substituters {
            let client = crate::oci::Client::new(repo).ok()?;
            let what = format!("{repo} source of {name} {version}");
            let Ok(manifest) = crate::oci::artifact::read_manifest(&client, &oci::source_tag(integrity), oci::SOURCE_CONFIG_TYPE, what)
            else {
                continue;
            };
            let signed = oci::source_message(name, &version.to_string(), integrity);
            if !self.substitutes.trusted.iter().any(|k| k.verifies(&signed, &manifest.signatures())) {
                continue;
            }
            let desc = format!("the cache {repo}");
            let added = self.store.add(name, &desc, Some(integrity), |tree| {
                crate::oci::artifact::unpack_tree(&client, &manifest, tree)
                    .map_err(|error| SourceError::Oci { name: name.to_string(), error })?;
                check_manifest(name, Some((name, version)), &desc, tree)
            });
            match added {
                Ok(entry) => return Some(entry),
                Err(e) => crate::debug!("{name}: not from {repo}: {e}"),
            }
        }
        None
    }

    /// Brings a tree into the store whose plugin.toml is not known yet (a
    /// plugin requested straight from git or a tarball).
    pub fn fetch_unlocked(
        &self,
        name: &str,
        source: &LockedSource,
        subdir: Option<&str>,
        integrity: Option<&Integrity>,
    ) -> Result<Fetched, SourceError> {
        self.fetch_source(name, &Origin { source, subdir, overlay: None }, integrity, None)
    }

    fn fetch_source(
        &self,
        name: &str,
        at: &Origin<'_>,
        integrity: Option<&Integrity>,
        want: Option<(&str, &semver::Version)>,
    ) -> Result<Fetched, SourceError> {
        let Origin { source, subdir, overlay } = *at;
        let desc = describe(source);
        let check = |tree: &Path| {
            if let Some(overlay) = overlay {
                crate::manifest::overlay::apply(tree, overlay).map_err(|message| SourceError::Overlay {
                    name: name.to_string(),
                    source_desc: desc.clone(),
                    message,
                })?;
            }
            check_manifest(name, want, &desc, tree)
        };
        match source {
            LockedSource::Path { path } => {
                let dir = crate::util::paths::expand(path, &self.manifest_dir);
                if !dir.is_dir() {
                    return Err(SourceError::MissingPath { name: name.to_string(), path: dir });
                }
                // A plugin reached through a symlink is the directory it names.
                let dir = fs::canonicalize(&dir).unwrap_or(dir);
                let copy_err = |e| StoreError::from(IoError::new("cannot copy", &dir, e));
                // Re-read every time: the directory is the user's and changes.
                let included = local::included(&dir).map_err(copy_err)?;
                let computed = local::hash(&dir, &included).map_err(StoreError::from)?;
                // (With an overlay the stored tree is not the directory.)
                if let Some((_, v)) = want.filter(|_| overlay.is_none())
                    && integrity.is_none_or(|i| *i == computed)
                    && let Some(entry) = self.store.get(&computed, name, &v.to_string())
                {
                    return Ok(Fetched { entry, commit: None, added: false });
                }
                let entry = self.store.add(name, &desc, integrity, |tree| {
                    local::copy(&dir, tree, &included).map_err(copy_err)?;
                    check(tree)
                })?;
                Ok(Fetched { entry, commit: None, added: true })
            }
            LockedSource::Git { url, rev, commit } => {
                let spec = git::GitSpec { name, url, rev: rev.as_deref(), commit: commit.as_deref() };
                let mut resolved = None;
                let entry = self.store.add(name, &desc, integrity, |tree| {
                    resolved = Some(git::checkout(&spec, subdir, &self.cache, self.offline, tree)?);
                    check(tree)
                })?;
                Ok(Fetched { entry, commit: resolved, added: true })
            }
            LockedSource::Oci { repo, tag, digest } => {
                let oci = |error: crate::oci::artifact::ArtifactError| SourceError::Oci { name: name.to_string(), error };
                if self.offline {
                    return Err(SourceError::Offline { name: name.to_string(), what: format!("{desc} is not in the store") });
                }
                let r = crate::oci::Repository::parse(repo).map_err(|e| oci(e.into()))?;
                let client = crate::oci::Client::new(&r).map_err(|e| oci(e.into()))?;
                let reference = digest.as_deref().or(tag.as_deref()).unwrap_or("latest");
                let manifest = oci::manifest(&client, reference, name, self.trusted.as_deref()).map_err(oci)?;
                let entry = self.store.add(name, &desc, integrity, |tree| {
                    crate::oci::artifact::unpack_tree(&client, &manifest, tree).map_err(oci)?;
                    check(tree)
                })?;
                Ok(Fetched { entry, commit: Some(manifest.digest), added: true })
            }
            LockedSource::Tarball { url, digest } => {
                let archive = self.download(name, url, integrity, digest.as_ref(), &desc)?;
                let entry = self.store.add(name, &desc, integrity, |tree| {
                    unpack_into(&archive, url, tree).map_err(|error| SourceError::Extract {
                        name: name.to_string(),
                        source_desc: desc.clone(),
                        error,
                    })?;
                    if let Some(sub) = subdir {
                        narrow_to(tree, Path::new(sub)).map_err(|_| SourceError::PathNotFound {
                            name: name.to_string(),
                            source_desc: desc.clone(),
                            path: sub.to_string(),
                        })?;
                    }
                    check(tree)
                })?;
                if integrity.is_none() && digest.is_none() {
                    // Now that the hash is known, keep the archive where a
                    // verified (and offline) fetch will look for it.
                    let _ = fs::rename(&archive, self.download_path(url, Some(entry.integrity.to_string())));
                }
                Ok(Fetched { entry, commit: None, added: true })
            }
        }
    }

    /// Where the download cache keeps `url`'s archive: by URL and hash.
    fn download_path(&self, url: &str, verified: Option<String>) -> PathBuf {
        use sha2::{Digest, Sha256};
        let verified = verified.unwrap_or_else(|| "unverified".to_string());
        let d = Sha256::digest(format!("{}\0{verified}", crate::util::url::redact(url)).as_bytes());
        self.cache.join("downloads").join(crate::store::integrity::hex(&d[..16]))
    }

    /// The archive for `url`, from the download cache or the network; a
    /// file hash the source names is checked either way.
    fn download(
        &self,
        name: &str,
        url: &str,
        integrity: Option<&Integrity>,
        digest: Option<&FileDigest>,
        desc: &str,
    ) -> Result<PathBuf, SourceError> {
        // The file's own hash names it best; else the tree's.
        let path = self.download_path(url, digest.map(|d| d.to_string()).or_else(|| integrity.map(|i| i.to_string())));
        let verify = |path: PathBuf| match digest {
            None => Ok(path),
            Some(d) => match d.check(&path) {
                Ok(()) => Ok(path),
                Err(e) => {
                    let _ = fs::remove_file(&path);
                    Err(SourceError::Digest { name: name.to_string(), source_desc: desc.to_string(), expected: d.to_string(), error: e })
                }
            },
        };
        // An archive without a known hash is downloaded again each time.
        if path.is_file() && (integrity.is_some() || digest.is_some()) {
            return verify(path);
        }
        if self.offline {
            return Err(SourceError::Offline { name: name.to_string(), what: format!("{desc} is not in the download cache") });
        }
        crate::debug!("download {desc}");
        crate::http::download(url, &path).map_err(|error| SourceError::Download {
            name: name.to_string(),
            source_desc: desc.to_string(),
            error,
        })?;
        verify(path)
    }
}

/// How a source is named in messages (never with credentials).
pub fn describe(source: &LockedSource) -> String {
    match source {
        LockedSource::Git { url, commit: Some(c), .. } => format!("git {} at {}", crate::util::url::redact(url), &c[..c.len().min(12)]),
        LockedSource::Git { url, rev: Some(r), .. } => format!("git {} at {r}", crate::util::url::redact(url)),
        LockedSource::Git { url, .. } => format!("git {}", crate::util::url::redact(url)),
        LockedSource::Tarball { url, .. } => format!("tarball {}", crate::util::url::redact(url)),
        LockedSource::Path { path } => format!("path {path}"),
        LockedSource::Oci { repo, digest: Some(d), .. } => format!("oci {repo}@{}", &d[..d.len().min(19)]),
        LockedSource::Oci { repo, tag, .. } => format!("oci {repo}:{}", tag.as_deref().unwrap_or("latest")),
    }
}

fn unpack_into(archive: &Path, url: &str, tree: &Path) -> Result<(), crate::extract::ExtractError> {
    use std::io::Read;
    let mut file = fs::File::open(archive).map_err(crate::extract::ExtractError::Read)?;
    let mut head = [0u8; 512];
    let n = file.read(&mut head).map_err(crate::extract::ExtractError::Read)?;
    let zip =
        head[..n].starts_with(b"PK\x03\x04") || url.split(['?', '#']).next().is_some_and(|p| p.to_ascii_lowercase().ends_with(".zip"));
    let file = fs::File::open(archive).map_err(crate::extract::ExtractError::Read)?;
    let staging = tree.join(".unpack");
    fs::create_dir(&staging).map_err(|source| crate::extract::ExtractError::Write { path: staging.clone(), source })?;
    let reader = std::io::BufReader::with_capacity(1 << 20, file);
    let root = if zip {
        crate::extract::unpack_zip(reader, &staging, crate::extract::Limits::default())?
    } else {
        let compression = crate::extract::Compression::detect(url, &head[..n])
            .ok_or_else(|| crate::extract::ExtractError::Format(crate::util::url::redact(url)))?;
        crate::extract::unpack(reader, compression, &staging, crate::extract::Limits::default())?
    };
    // Move the plugin root's content up into `tree`.
    let werr = |source| crate::extract::ExtractError::Write { path: tree.to_path_buf(), source };
    for entry in fs::read_dir(&root).map_err(werr)? {
        let entry = entry.map_err(werr)?;
        fs::rename(entry.path(), tree.join(entry.file_name())).map_err(werr)?;
    }
    fs::remove_dir_all(&staging).map_err(werr)
}

/// Keeps only `sub` of `tree`, moved up to be the tree.
fn narrow_to(tree: &Path, sub: &Path) -> std::io::Result<()> {
    let keep = tree.join(sub);
    if !keep.is_dir() {
        return Err(std::io::Error::new(std::io::ErrorKind::NotFound, "no such directory"));
    }
    let moved = tree.join(".narrow");
    fs::rename(&keep, &moved)?;
    for entry in fs::read_dir(tree)? {
        let entry = entry?;
        if entry.file_name() != ".narrow" {
            let p = entry.path();
            if entry.file_type()?.is_dir() { fs::remove_dir_all(&p)? } else { fs::remove_file(&p)? }
        }
    }
    for entry in fs::read_dir(&moved)? {
        let entry = entry?;
        fs::rename(entry.path(), tree.join(entry.file_name()))?;
    }
    fs::remove_dir(&moved)
}

/// A fetched tree must hold a plugin.toml, naming the locked plugin and
/// version when those are known. Returns the version, for the entry's name.
fn check_manifest(name: &str, want: Option<(&str, &semver::Version)>, desc: &str, tree: &Path) -> Result<String, SourceError> {
    if !tree.join("plugin.toml").is_file() && !tree.join(crate::manifest::native::PLUGIN_JSON).is_file() {
        return Err(SourceError::NoManifest { name: name.to_string(), source_desc: desc.to_string() });
    }
    let pm = crate::manifest::PluginManifest::load_dir(tree).map_err(|e| e.in_plugin(name, tree))?;
    // A Claude Code plugin is installed under the name and version its
    // marketplace entry and the lock give it, as Claude Code installs it;
    // sync warns of a plugin.json that says otherwise.
    if let Some((_, v)) = want.filter(|_| pm.native.is_some()) {
        return Ok(v.to_string());
    }
    if let Some((want_name, want_version)) = want
        && (pm.name != want_name || &pm.version != want_version)
    {
        return Err(SourceError::ManifestMismatch {
            name: name.to_string(),
            source_desc: desc.to_string(),
            found: format!("{} {}", pm.name, pm.version),
            expected: format!("{want_name} {want_version}"),
        });
    }
    Ok(pm.version.to_string())
}
