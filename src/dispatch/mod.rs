//! Hook dispatch: the precompiled table a generation carries.

pub mod table;

pub use table::{DispatchTable, Handler};
