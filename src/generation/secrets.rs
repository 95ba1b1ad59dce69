//! `$PAII_HOME/.env`: KEY=value lines (dotenv syntax). A plugin is given
//! only the keys its `[secrets]` lists, and only when it runs (see
//! `paii_dispatch::env::plugin_env`). The dispatcher reads the file
//! leniently; the command line checks it: text that is not UTF-8 is an
//! error at its line and column.

use std::collections::BTreeMap;
use std::path::Path;

use crate::diagnostic::SpannedError;

/// Every key and value of `.env`; a missing file is empty, a malformed line
/// is skipped.
pub fn read(path: &Path) -> Result<BTreeMap<String, String>, SpannedError> {
    match crate::diagnostic::read_text(path) {
        Ok(text) => Ok(crate::dispatch::env::parse_dotenv(text.as_bytes())),
        Err(e) if e.is_not_found() => Ok(BTreeMap::new()),
        Err(e) => Err(e.into_spanned(None)),
    }
}

/// The keys `.env` defines (values are not kept).
pub fn names(path: &Path) -> Result<Vec<String>, SpannedError> {
    Ok(read(path)?.into_keys().collect())
}
