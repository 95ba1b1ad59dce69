//! Signing keys for binary caches, in Nix's form: `NAME:<base64>`. A secret
//! key is the ed25519 seed, a public key the 32-byte point, a signature the
//! 64-byte signature; NAME says which key signed. `paii key generate NAME`
//! makes one; a team lists the public halves it trusts in paii.toml's
//! `[cache] trusted-keys`.

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum KeyError {
    #[error("`{0}` is not a key: expected `NAME:<base64>`")]
    Malformed(String),
    #[error("`{name}` is not a key name")]
    #[diagnostic(help("a key name is letters, digits, `.`, `_` and `-`, such as `acme-ci-1`"))]
    BadName { name: String },
    #[error("{} already exists", path.display())]
    #[diagnostic(help("choose another name; a secret key is never overwritten"))]
    Exists { path: PathBuf },
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The public half: what `trusted-keys` lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    pub name: String,
    bytes: [u8; 32],
}

/// The secret half: what CI signs with. Never written into the store or a
/// generation.
pub struct SecretKey {
    pub name: String,
    pair: Ed25519KeyPair,
    seed: [u8; 32],
}

fn split(text: &str) -> Result<(&str, Vec<u8>), KeyError> {
    let (name, b64) = text.trim().split_once(':').ok_or_else(|| KeyError::Malformed(text.trim().to_string()))?;
    let bytes = STANDARD.decode(b64).map_err(|_| KeyError::Malformed(text.trim().to_string()))?;
    Ok((name, bytes))
}

fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

impl std::str::FromStr for PublicKey {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<PublicKey, KeyError> {
        let (name, bytes) = split(s)?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| KeyError::Malformed(s.trim().to_string()))?;
        Ok(PublicKey { name: name.to_string(), bytes })
    }
}

impl std::fmt::Display for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.name, STANDARD.encode(self.bytes))
    }
}

impl PublicKey {
    /// Whether one of `signatures` (`NAME:<base64>`) is this key's over `message`.
    pub fn verifies(&self, message: &[u8], signatures: &[String]) -> bool {
        signatures
            .iter()
            .filter_map(|s| split(s).ok())
            .any(|(name, sig)| name == self.name && UnparsedPublicKey::new(&ED25519, self.bytes).verify(message, &sig).is_ok())
    }
}

impl SecretKey {
    pub fn generate(name: &str) -> Result<SecretKey, KeyError> {
        if !valid_name(name) {
            return Err(KeyError::BadName { name: name.to_string() });
        }
        let mut seed = [0u8; 32];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut seed).map_err(|_| KeyError::Io {
            action: "draw random bytes for",
            path: name.into(),
            source: std::io::Error::other("no randomness"),
        })?;
        Self::from_seed(name, seed)
    }

    fn from_seed(name: &str, seed: [u8; 32]) -> Result<SecretKey, KeyError> {
        let pair = Ed25519KeyPair::from_seed_unchecked(&seed).map_err(|_| KeyError::Malformed(name.to_string()))?;
        Ok(SecretKey { name: name.to_string(), pair, seed })
    }

    pub fn parse(text: &str) -> Result<SecretKey, KeyError> {
        let (name, bytes) = split(text)?;
        let seed: [u8; 32] = bytes.try_into().map_err(|_| KeyError::Malformed(format!("{name}:…")))?;
        Self::from_seed(name, seed)
    }

    pub fn read(path: &Path) -> Result<SecretKey, KeyError> {
        let text = std::fs::read_to_string(path).map_err(|source| KeyError::Io { action: "read", path: path.into(), source })?;
        Self::parse(&text)
    }

    pub fn public(&self) -> PublicKey {
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(self.pair.public_key().as_ref());
        PublicKey { name: self.name.clone(), bytes }
    }

    /// `NAME:<base64 signature>` of `message`.
    pub fn sign(&self, message: &[u8]) -> String {
        format!("{}:{}", self.name, STANDARD.encode(self.pair.sign(message).as_ref()))
    }

    /// Writes the secret key to `path`, readable by its owner only, never
    /// over an existing file.
    pub fn write_new(&self, path: &Path) -> Result<(), KeyError> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| KeyError::Io { action: "create", path: dir.into(), source })?;
        }
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).map_err(|source| {
            if source.kind() == std::io::ErrorKind::AlreadyExists {
                KeyError::Exists { path: path.into() }
            } else {
                KeyError::Io { action: "write", path: path.into(), source }
            }
        })?;
        writeln!(f, "{}:{}", self.name, STANDARD.encode(self.seed)).and_then(|_| f.sync_all()).map_err(|source| KeyError::Io {
            action: "write",
            path: path.into(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_with_its_public_key_only() {
        let k = SecretKey::generate("acme-ci-1").unwrap();
        let other = SecretKey::generate("acme-ci-1").unwrap();
        let sig = k.sign(b"msg");
        assert!(k.public().verifies(b"msg", std::slice::from_ref(&sig)));
        assert!(!k.public().verifies(b"other msg", std::slice::from_ref(&sig)));
        assert!(!other.public().verifies(b"msg", std::slice::from_ref(&sig)), "same name, other key");
        let text = k.public().to_string();
        assert_eq!(text.parse::<PublicKey>().unwrap(), k.public());
        assert!("nope".parse::<PublicKey>().is_err());
    }

    #[test]
    fn a_secret_key_round_trips_through_its_file_and_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.secret");
        let k = SecretKey::generate("k").unwrap();
        k.write_new(&path).unwrap();
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(SecretKey::read(&path).unwrap().public(), k.public());
        assert!(matches!(SecretKey::generate("k").unwrap().write_new(&path), Err(KeyError::Exists { .. })));
        assert!(SecretKey::generate("bad name").is_err());
    }
}
