//! Client-Server API handlers: parse (the extractor did), authorise, call one service
//! function, map the result.

mod account;
mod account_data;
mod devices;
mod directory;
mod discovery;
mod ephemeral;
mod media;
mod membership;
mod profile;
mod push;
mod relations;
mod rooms;
mod search;
mod session;
mod sync;

use axum::Router;

pub use self::{
    ephemeral::check_presence,
    sync::{parse_since, resolve_filter},
};

use super::AppState;

pub fn routes(router: Router<AppState>) -> Router<AppState> {
    let router = discovery::routes(router);
    let router = account::routes(router);
    let router = session::routes(router);
    let router = devices::routes(router);
    let router = rooms::routes(router);
    let router = membership::routes(router);
    let router = directory::routes(router);
    let router = relations::routes(router);
    let router = search::routes(router);
    let router = sync::routes(router);
    let router = account_data::routes(router);
    let router = ephemeral::routes(router);
    let router = push::routes(router);
    let router = media::routes(router);
    profile::routes(router)
}
