//! `$PAII_HOME/.env`: KEY=value lines (dotenv syntax). A plugin is given
//! only the keys its `[secrets]` lists, and only when it runs (see
//! `paii_dispatch::env::plugin_env`).

use std::path::Path;

/// The keys `.env` defines (values are not kept).
pub fn names(path: &Path) -> Vec<String> {
    crate::dispatch::env::read_dotenv(path).into_keys().collect()
}
