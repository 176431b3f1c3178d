//! Account data (`/user/{userId}/[rooms/{roomId}/]account_data/{type}`) and room tags
//! (`/user/{userId}/rooms/{roomId}/tags[/{tag}]`).

use axum::Router;
use ruma::api::client::{
    config::{
        get_global_account_data::v3 as get_global, get_room_account_data::v3 as get_room,
        set_global_account_data::v3 as set_global, set_room_account_data::v3 as set_room,
    },
    tag::{create_tag::v3 as create_tag, delete_tag::v3 as delete_tag, get_tags::v3 as get_tags},
};
use serde_json::Value as JsonValue;

use super::{rooms::raw, sync::own};
use crate::{
    http::{
        AppState,
        error::{Error, Result},
        ruma::{Ruma, RumaRouter},
    },
    sync::SyncEngine,
};

pub fn routes(router: Router<AppState>) -> Router<AppState> {
    router
        .ruma(put_global)
        .ruma(global)
        .ruma(put_room)
        .ruma(room)
        .ruma(tags)
        .ruma(put_tag)
        .ruma(remove_tag)
}

fn content<T>(raw: &ruma::serde::Raw<T>) -> Result<JsonValue> {
    serde_json::from_str(raw.json().get()).map_err(|_| Error::bad_json("Invalid JSON"))
}

async fn put_global(
    engine: SyncEngine,
    req: Ruma<set_global::Request>,
) -> Result<set_global::Response> {
    let body = &req.body;
    own(req.sender()?, &body.user_id)?;
    engine
        .put_account_data(
            &body.user_id,
            None,
            &body.event_type.to_string(),
            &content(&body.data)?,
        )
        .await?;
    Ok(set_global::Response::new())
}

async fn global(
    engine: SyncEngine,
    req: Ruma<get_global::Request>,
) -> Result<get_global::Response> {
    let body = &req.body;
    own(req.sender()?, &body.user_id)?;
    let data = engine
        .account_data(&body.user_id, None, &body.event_type.to_string())
        .await?;
    Ok(get_global::Response::new(raw(&data)?))
}

async fn put_room(engine: SyncEngine, req: Ruma<set_room::Request>) -> Result<set_room::Response> {
    let body = &req.body;
    own(req.sender()?, &body.user_id)?;
    engine
        .put_account_data(
            &body.user_id,
            Some(&body.room_id),
            &body.event_type.to_string(),
            &content(&body.data)?,
        )
        .await?;
    Ok(set_room::Response::new())
}

async fn room(engine: SyncEngine, req: Ruma<get_room::Request>) -> Result<get_room::Response> {
    let body = &req.body;
    own(req.sender()?, &body.user_id)?;
    let data = engine
        .account_data(
            &body.user_id,
            Some(&body.room_id),
            &body.event_type.to_string(),
        )
        .await?;
    Ok(get_room::Response::new(raw(&data)?))
}

async fn tags(engine: SyncEngine, req: Ruma<get_tags::Request>) -> Result<get_tags::Response> {
    let body = &req.body;
    own(req.sender()?, &body.user_id)?;
    let tags = engine.tags(&body.user_id, &body.room_id).await?;
    let tags = serde_json::from_value(JsonValue::Object(tags)).map_err(|_| Error::internal())?;
    Ok(get_tags::Response::new(tags))
}

async fn put_tag(
    engine: SyncEngine,
    req: Ruma<create_tag::Request>,
) -> Result<create_tag::Response> {
    let body = &req.body;
    own(req.sender()?, &body.user_id)?;
    let info = serde_json::to_value(&body.tag_info).map_err(|_| Error::internal())?;
    engine
        .set_tag(&body.user_id, &body.room_id, &body.tag, Some(info))
        .await?;
    Ok(create_tag::Response::new())
}

async fn remove_tag(
    engine: SyncEngine,
    req: Ruma<delete_tag::Request>,
) -> Result<delete_tag::Response> {
    let body = &req.body;
    own(req.sender()?, &body.user_id)?;
    engine
        .set_tag(&body.user_id, &body.room_id, &body.tag, None)
        .await?;
    Ok(delete_tag::Response::new())
}
