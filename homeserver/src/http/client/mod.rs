//! Client-Server API handlers: parse (the extractor did), authorise, call one service
//! function, map the result.

mod account;
mod devices;
mod directory;
mod discovery;
mod membership;
mod profile;
mod relations;
mod rooms;
mod search;
mod session;

use axum::Router;

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
    profile::routes(router)
}
