//! UTC timestamps without a date-time dependency; the dispatcher writes one
//! per event, so the code lives in its crate.

pub use paii_dispatch::time::{now_millis, utc};
