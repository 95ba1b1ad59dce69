//! The two manifests: `paii.toml` (what a user or team wants) and
//! `plugin.toml` (what a plugin is). Each is parsed from its file format into
//! typed values once, here; later stages never see raw TOML.

pub mod contract;
pub mod native;
pub mod overlay;
pub mod plugin;
pub mod project;
pub mod source;
pub mod version;

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

pub use plugin::PluginManifest;
pub use project::{Manifest, PluginRequest, Requested};

/// A value that TOML lets users write in several shapes
/// (`security = "^1"` or `security = { version = "^1" }`). Each use site says
/// which shapes it accepts; the others become errors at their span.
#[derive(Debug, Clone)]
pub enum Shorthand<T> {
    Bool(bool),
    Str(String),
    List(Vec<String>),
    Table(T),
}

impl<T> Shorthand<T> {
    /// What was found, for "expected X, found Y" messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Shorthand::Bool(_) => "a boolean",
            Shorthand::Str(_) => "a string",
            Shorthand::List(_) => "a list",
            Shorthand::Table(_) => "a table",
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Shorthand<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Shorthand<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a boolean, a string, a list of strings or a table")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Shorthand::Bool(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Shorthand::Str(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Shorthand::Str(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<String>()? {
                    items.push(item);
                }
                Ok(Shorthand::List(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Shorthand::Table)
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// serde `deserialize_with` helpers that validate strings as they are read,
/// so that a bad value is reported at its own span.
pub mod de_with {
    use super::*;
    use semver::{Version, VersionReq};

    pub fn version<'de, D: Deserializer<'de>>(d: D) -> Result<Version, D::Error> {
        let s = String::deserialize(d)?;
        crate::manifest::version::parse_version(&s).map_err(de::Error::custom)
    }

    pub fn req_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<VersionReq>, D::Error> {
        match Option::<String>::deserialize(d)? {
            Some(s) => crate::manifest::version::parse_req(&s).map(Some).map_err(de::Error::custom),
            None => Ok(None),
        }
    }

    pub fn name<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        let s = String::deserialize(d)?;
        if crate::manifest::version::is_valid_plugin_name(&s) {
            Ok(s)
        } else {
            Err(de::Error::custom(crate::manifest::version::name_error(&s)))
        }
    }
}
