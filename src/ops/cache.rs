//! `paii key generate NAME` and `paii cache push [PLUGIN...]`: CI builds
//! once, signs, and shares the outputs through an OCI registry; every
//! member's sync then fetches instead of building (see
//! [`crate::substitute`]).

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{Context, Error};
use crate::sign::SecretKey;

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum CacheError {
    #[error("there is no binary cache to push to")]
    #[diagnostic(help(
        "add one to paii.toml: `[cache] substituters = [\"oci://registry.example.org/acme/paii-cache\"]`, or give `--to oci://...`"
    ))]
    NoSubstituter,
    #[error("no signing key: give `--key FILE`, set PAII_SIGNING_KEY, or make one with `paii key generate NAME`")]
    NoKey,
    #[error("more than one signing key in {}: give `--key FILE`", dir.display())]
    WhichKey { dir: PathBuf },
    #[error(transparent)]
    #[diagnostic(transparent)]
    Key(#[from] crate::sign::KeyError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Oci(#[from] crate::oci::OciError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Substitute(#[from] crate::substitute::SubstituteError),
}

#[derive(Debug, Serialize)]
pub struct Generated {
    pub public: String,
    pub secret_file: PathBuf,
}

/// Makes a key pair; the secret half goes to `$PAII_HOME/keys/NAME.secret`
/// (or `out`), readable by its owner only.
pub fn generate(name: &str, out: Option<&Path>) -> Result<Generated, Error> {
    let key = SecretKey::generate(name).map_err(CacheError::from)?;
    let path = out.map(Path::to_path_buf).unwrap_or_else(|| crate::util::paths::paii_home().join("keys").join(format!("{name}.secret")));
    key.write_new(&path).map_err(CacheError::from)?;
    Ok(Generated { public: key.public().to_string(), secret_file: path })
}

/// The signing key: `--key`, else `PAII_SIGNING_KEY` (the key's text, as CI
/// secrets hold it), else the one key in `$PAII_HOME/keys/`.
fn signing_key(path: Option<&Path>) -> Result<SecretKey, CacheError> {
    if let Some(p) = path {
        return Ok(SecretKey::read(p)?);
    }
    if let Ok(text) = std::env::var("PAII_SIGNING_KEY") {
        return Ok(SecretKey::parse(&text)?);
    }
    let dir = crate::util::paths::paii_home().join("keys");
    let mut keys: Vec<PathBuf> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "secret"))
        .collect();
    match keys.len() {
        0 => Err(CacheError::NoKey),
        1 => Ok(SecretKey::read(&keys.remove(0))?),
        _ => Err(CacheError::WhichKey { dir }),
    }
}

#[derive(Debug, Serialize)]
pub struct PushedOutput {
    pub name: String,
    pub version: String,
    pub key: String,
    /// Bytes of blobs uploaded (0: the registry had them all).
    pub uploaded: u64,
    /// Why it was not pushed.
    pub skipped: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct PushOutcome {
    pub to: String,
    pub signed_by: String,
    pub outputs: Vec<PushedOutput>,
    /// With `--sources`: the source trees, as outputs are reported (`key`
    /// is the tag).
    pub sources: Vec<PushedOutput>,
}

/// Builds what is not built yet and uploads each build output of the lock
/// (or of `names`) to the first substituter (or `to`), signed.
pub fn push(
    ctx: &Context,
    names: &[String],
    to: Option<&str>,
    key: Option<&Path>,
    sources: bool,
    jobs: usize,
) -> Result<PushOutcome, Error> {
    let manifest = ctx.load_manifest()?;
    let repo = match to {
        Some(t) => crate::oci::Repository::parse(t).map_err(CacheError::from)?,
        None => manifest.cache.substituters.first().cloned().ok_or(CacheError::NoSubstituter)?,
    };
    let secret = signing_key(key)?;
    let (plugins, source_entries, _guard) = super::stage::build::fetch_and_build(ctx, names, jobs)?;
    let builder = crate::build::Builder::for_home(&crate::util::paths::paii_home());
    let mut client = crate::oci::Client::new(&repo).map_err(CacheError::from)?;
    // The other caches of the same registry may hold these outputs already:
    // mounted, they cost no upload.
    client.mount_from =
        manifest.cache.substituters.iter().filter(|s| s.host == repo.host && s.name != repo.name).map(|s| s.name.clone()).collect();
    let mut outputs = Vec::new();
    let mut pushed_sources = Vec::new();
    let lock = crate::lock::Lock::load(&manifest.lock_path())?.unwrap_or_else(|| crate::lock::Lock::new(Vec::new()));
    for (p, entry) in plugins.iter().zip(&source_entries) {
        let locked = lock.plugin(&p.name);
        // A path plugin is the user's own directory; the others are what
        // members would otherwise fetch from git, a tarball or OCI.
        if sources
            && locked.is_some_and(|l| !matches!(l.source, crate::lock::LockedSource::Path { .. }) && l.integrity == Some(entry.integrity))
        {
            let uploaded = crate::source::oci::push_source(&client, &p.name, &p.version, &entry.path, &entry.integrity, &secret)
                .map_err(CacheError::from)?;
            let tag = crate::source::oci::source_tag(&entry.integrity);
            pushed_sources.push(PushedOutput { name: p.name.clone(), version: p.version.clone(), key: tag, uploaded, skipped: None });
        }
    }
    for (p, entry) in plugins.iter().zip(&source_entries).filter(|(p, _)| !p.held) {
        let pm = crate::manifest::PluginManifest::load_installed(&entry.path, &p.name)?;
        let Some((build_key, out)) = builder.keyed_output(&pm, entry)? else { continue };
        let mut o = PushedOutput { name: p.name.clone(), version: p.version.clone(), key: build_key.clone(), uploaded: 0, skipped: None };
        let pushed = crate::substitute::push(&client, &build_key, &p.name, &p.version, &out, &secret).map_err(CacheError::from)?;
        o.uploaded = pushed.blob_bytes;
        outputs.push(o);
    }
    Ok(PushOutcome { to: repo.to_string(), signed_by: secret.name.clone(), outputs, sources: pushed_sources })
}

/// `paii publish PATH --to oci://HOST/NAME[:TAG]`: the plugin tree, signed
/// unless `unsigned`.
pub fn publish(path: &Path, to: &str, key: Option<&Path>, unsigned: bool) -> Result<Published, Error> {
    let (repo, tag, digest) = crate::oci::parse_reference(to).map_err(CacheError::from)?;
    if digest.is_some() {
        return Err(CacheError::Oci(crate::oci::OciError::BadReference(format!(
            "{to} (a digest is what publishing makes; give a tag or none)"
        )))
        .into());
    }
    let secret = if unsigned { None } else { Some(signing_key(key)?) };
    push_plugin(path, &repo, tag.as_deref(), secret.as_ref())
}

/// What `paii publish` made.
#[derive(Debug, serde::Serialize)]
pub struct Published {
    pub name: String,
    pub version: String,
    /// `oci://HOST/NAME@sha256:...`
    pub source: String,
    pub integrity: String,
    pub uploaded: u64,
    /// The `[[plugins]]` entry for a registry file.
    pub entry: String,
}

/// Pushes the plugin tree `dir` (as a path plugin's tree: what git would
/// track) tagged with its version, or `tag`, signed when a key is given.
fn push_plugin(dir: &Path, repo: &crate::oci::Repository, tag: Option<&str>, secret: Option<&SecretKey>) -> Result<Published, Error> {
    let pm = crate::manifest::PluginManifest::load_dir(dir)?;
    let scratch = tempfile::tempdir().map_err(Error::io("cannot create a temporary directory in", &std::env::temp_dir()))?;
    let tree = scratch.path().join("tree");
    std::fs::create_dir(&tree).map_err(Error::io("cannot create", &tree))?;
    let included = crate::source::local::included(dir).map_err(Error::io("cannot read", dir))?;
    crate::source::local::copy(dir, &tree, &included).map_err(Error::io("cannot copy", dir))?;
    let integrity = crate::store::integrity::hash_path(&tree).map_err(crate::store::StoreError::from)?;
    let version = pm.version.to_string();
    let config = serde_json::json!({"name": pm.name, "version": version, "integrity": integrity.to_string()});
    let mut annotations = vec![("name", pm.name.clone()), ("version", version.clone()), ("integrity", integrity.to_string())];
    if let Some(k) = secret {
        annotations.push(("signatures", k.sign(&crate::source::oci::message(&pm.name, &version, &integrity))));
    }
    let oci = |error: crate::oci::artifact::ArtifactError| crate::source::SourceError::Oci { name: pm.name.clone(), error };
    let client = crate::oci::Client::new(repo).map_err(|e| oci(e.into()))?;
    let (pushed, digest) =
        crate::oci::artifact::push_tree(&client, tag.unwrap_or(&version), &tree, crate::source::oci::CONFIG_TYPE, &config, &annotations)
            .map_err(oci)?;
    let source = format!("{repo}@{digest}");
    let provides: Vec<String> = pm.provides.iter().map(|p| format!("{:?}", p.to_string())).collect();
    let mut entry = format!(
        "[[plugins]]\nname = {:?}\nversion = {version:?}\ndescription = {:?}\nsource = {source:?}\nintegrity = \"{integrity}\"\n",
        pm.name, pm.description
    );
    if let Some(cv) = &pm.core_version {
        entry.push_str(&format!("core_version = \"{cv}\"\n"));
    }
    if !provides.is_empty() {
        entry.push_str(&format!("provides = [{}]\n", provides.join(", ")));
    }
    Ok(Published { name: pm.name, version, source, integrity: integrity.to_string(), uploaded: pushed.blob_bytes, entry })
}
