//! Small helpers every stage uses: the file system (atomic writes, the home
//! lock, read-only trees), paths, time, URLs, suggestions, logging, progress,
//! and the test-only failpoints.

pub mod fail;
pub mod fs;
pub mod log;
pub mod paths;
pub mod progress;
pub mod suggest;
pub mod time;
pub mod url;
