//! `GET /versions`, `GET /.well-known/matrix/client`, `GET /capabilities`.

use std::{collections::BTreeMap, sync::Arc};

use axum::Router;
use ruma::api::client::discovery::{
    discover_homeserver::{self, HomeserverInfo},
    get_capabilities::v3 as get_capabilities,
    get_supported_versions,
};

use crate::{
    http::{
        AppState, ServerInfo,
        error::Result,
        ruma::{Ruma, RumaRouter},
    },
    rooms::{CREATABLE_VERSIONS, Rooms},
};

/// API areas, in the order Hearth builds them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    Accounts,
    Rooms,
    Sync,
    Media,
    Push,
    EndToEndKeys,
}

/// The areas this build serves. A spec version is advertised only when every area it
/// requires is here, so a client never relies on an endpoint that does not exist.
const IMPLEMENTED: &[Area] = &[
    Area::Accounts,
    Area::Rooms,
    Area::Sync,
    Area::Media,
    Area::Push,
];

/// Every stable Client-Server version requires all areas (each has been mandatory since r0).
const REQUIRED_SINCE_V1_1: &[Area] = &[
    Area::Accounts,
    Area::Rooms,
    Area::Sync,
    Area::Media,
    Area::Push,
    Area::EndToEndKeys,
];

const STABLE_VERSIONS: &[&str] = &[
    "v1.1", "v1.2", "v1.3", "v1.4", "v1.5", "v1.6", "v1.7", "v1.8", "v1.9", "v1.10", "v1.11",
    "v1.12", "v1.13", "v1.14", "v1.15", "v1.16", "v1.17", "v1.18", "v1.19",
];

pub fn supported_versions() -> Vec<String> {
    if REQUIRED_SINCE_V1_1
        .iter()
        .all(|area| IMPLEMENTED.contains(area))
    {
        STABLE_VERSIONS.iter().map(|v| (*v).to_owned()).collect()
    } else {
        Vec::new()
    }
}

pub fn routes(router: Router<AppState>) -> Router<AppState> {
    router.ruma(versions).ruma(well_known).ruma(capabilities)
}

async fn versions(
    _: AppState,
    _: Ruma<get_supported_versions::Request>,
) -> Result<get_supported_versions::Response> {
    let mut response = get_supported_versions::Response::new(supported_versions());
    response.unstable_features = BTreeMap::new();
    Ok(response)
}

async fn well_known(
    server: Arc<ServerInfo>,
    _: Ruma<discover_homeserver::Request>,
) -> Result<discover_homeserver::Response> {
    Ok(discover_homeserver::Response::new(HomeserverInfo::new(
        server.public_baseurl.clone(),
    )))
}

async fn capabilities(
    rooms: Rooms,
    _: Ruma<get_capabilities::Request>,
) -> Result<get_capabilities::Response> {
    let mut caps = get_capabilities::Capabilities::new();
    let available = CREATABLE_VERSIONS
        .iter()
        .map(|v| (v.clone(), get_capabilities::RoomVersionStability::Stable))
        .collect();
    caps.room_versions =
        get_capabilities::RoomVersionsCapability::new(rooms.default_version().clone(), available);
    caps.change_password.enabled = true;
    #[allow(deprecated)]
    {
        caps.set_displayname.enabled = true;
        caps.set_avatar_url.enabled = true;
    }
    caps.thirdparty_id_changes.enabled = false;
    caps.get_login_token.enabled = false;
    Ok(get_capabilities::Response::new(caps))
}
