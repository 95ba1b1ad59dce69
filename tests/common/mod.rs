//! What the integration tests share: the sandbox paii runs in, git
//! repositories to fetch from, and real servers on 127.0.0.1.
#![allow(dead_code, unused_imports)]

pub mod anthropic;
pub mod claude;
pub mod claude_code;
mod git;
pub mod marketplace;
pub mod parity;
mod sandbox;
mod servers;

pub use git::*;
pub use sandbox::*;
pub use servers::*;
