//! Hearth, a Matrix homeserver. The binary in `main.rs` is a thin shell over [`server`].

pub mod accounts;
pub mod config;
pub mod http;
pub mod media;
pub mod profiles;
pub mod ratelimit;
pub mod rooms;
pub mod sched;
pub mod server;
pub mod storage;
pub mod sync;
