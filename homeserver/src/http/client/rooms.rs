//! Rooms: `createRoom`, `joined_rooms`, state, sending, redaction, single events,
//! `/messages` and member lists.

use axum::Router;
use ruma::{
    api::{
        Direction,
        client::{
            filter::LazyLoadOptions,
            membership::{
                get_member_events::v3 as get_members, joined_members::v3 as joined_members,
                joined_rooms::v3 as joined_rooms,
            },
            message::{get_message_events::v3 as messages, send_message_event::v3 as send_message},
            redact::redact_event::v3 as redact,
            room::{
                create_room::v3 as create_room, get_room_event::v3 as get_event,
                upgrade_room::v3 as upgrade_room,
            },
            state::{
                get_state_event_for_key::v3::{self as get_state_event, StateEventFormat},
                get_state_events::v3 as get_state,
                send_state_event::v3 as send_state,
            },
        },
    },
    serde::Raw,
};
use serde_json::{Map, Value as JsonValue, value::to_raw_value};

use crate::{
    http::{
        AppState,
        error::{Error, Result},
        ruma::{Ruma, RumaRouter},
    },
    rooms::{CreateRoom, Rooms, event_filter},
};

pub fn routes(router: Router<AppState>) -> Router<AppState> {
    router
        .ruma(create)
        .ruma(joined)
        .ruma(state)
        .ruma(state_event)
        .ruma(put_state)
        .ruma(send)
        .ruma(redact_event)
        .ruma(event)
        .ruma(room_messages)
        .ruma(members)
        .ruma(joined_members_list)
        .ruma(upgrade)
}

/// Parses a raw JSON part of a request as an object (`M_BAD_JSON` otherwise).
fn object<T>(raw: &Raw<T>, what: &str) -> Result<Map<String, JsonValue>> {
    match serde_json::from_str(raw.json().get()) {
        Ok(JsonValue::Object(map)) => Ok(map),
        _ => Err(Error::bad_json(format!("{what} must be a JSON object"))),
    }
}

pub fn raw<T>(value: &JsonValue) -> Result<Raw<T>> {
    Ok(Raw::from_json(
        to_raw_value(value).map_err(|_| Error::internal())?,
    ))
}

async fn create(rooms: Rooms, req: Ruma<create_room::Request>) -> Result<create_room::Response> {
    let sender = req.sender()?.user_id.clone();
    let body = req.body;
    let mut initial_state = Vec::new();
    for event in &body.initial_state {
        let event = object(event, "initial_state event")?;
        let kind = event
            .get("type")
            .and_then(JsonValue::as_str)
            .ok_or_else(|| Error::bad_json("initial_state event needs a type"))?;
        let state_key = event
            .get("state_key")
            .and_then(JsonValue::as_str)
            .unwrap_or_default();
        let content = event.get("content").cloned().unwrap_or(JsonValue::Null);
        initial_state.push((kind.to_owned(), state_key.to_owned(), content));
    }
    let params = CreateRoom {
        creation_content: body
            .creation_content
            .as_ref()
            .map(|c| object(c, "creation_content"))
            .transpose()?,
        initial_state,
        invite: body.invite,
        is_direct: body.is_direct,
        name: body.name,
        power_level_content_override: body
            .power_level_content_override
            .as_ref()
            .map(|c| object(c, "power_level_content_override"))
            .transpose()?,
        preset: body.preset,
        room_alias_name: body.room_alias_name,
        room_version: body.room_version,
        topic: body.topic,
        public: body.visibility == ruma::api::client::room::Visibility::Public,
    };
    let room_id = rooms.create_room(&sender, params).await?;
    Ok(create_room::Response::new(room_id))
}

async fn joined(rooms: Rooms, req: Ruma<joined_rooms::Request>) -> Result<joined_rooms::Response> {
    Ok(joined_rooms::Response::new(
        rooms.joined_rooms(&req.sender()?.user_id).await?,
    ))
}

async fn state(rooms: Rooms, req: Ruma<get_state::Request>) -> Result<get_state::Response> {
    let events = rooms
        .state_for(&req.sender()?.user_id, &req.body.room_id)
        .await?;
    Ok(get_state::Response::new(
        events.iter().map(raw).collect::<Result<_>>()?,
    ))
}

async fn state_event(
    rooms: Rooms,
    req: Ruma<get_state_event::Request>,
) -> Result<get_state_event::Response> {
    let body = &req.body;
    let event = rooms
        .state_event_for(
            &req.sender()?.user_id,
            &body.room_id,
            &body.event_type,
            &body.state_key,
        )
        .await?;
    let part = match body.format {
        StateEventFormat::Event => event,
        _ => event["content"].clone(),
    };
    Ok(get_state_event::Response::new(
        to_raw_value(&part).map_err(|_| Error::internal())?,
    ))
}

async fn put_state(rooms: Rooms, req: Ruma<send_state::Request>) -> Result<send_state::Response> {
    let body = &req.body;
    let content = JsonValue::Object(object(&body.body, "State event content")?);
    let event_id = rooms
        .send_state(
            req.sender()?,
            &body.room_id,
            body.event_type.clone(),
            &body.state_key,
            content,
        )
        .await?;
    Ok(send_state::Response::new(event_id))
}

async fn send(rooms: Rooms, req: Ruma<send_message::Request>) -> Result<send_message::Response> {
    let body = &req.body;
    let content = JsonValue::Object(object(&body.body, "Event content")?);
    let kind = body.event_type.to_string().into();
    let event_id = rooms
        .send_message(
            req.sender()?,
            &body.room_id,
            kind,
            content,
            body.txn_id.as_str(),
        )
        .await?;
    Ok(send_message::Response::new(event_id))
}

async fn redact_event(rooms: Rooms, req: Ruma<redact::Request>) -> Result<redact::Response> {
    let body = &req.body;
    let window = rooms.self_redaction_window_ms();
    let event_id = rooms
        .redact(
            req.sender()?,
            &body.room_id,
            &body.event_id,
            body.reason.as_deref(),
            body.txn_id.as_str(),
            window,
        )
        .await?;
    Ok(redact::Response::new(event_id))
}

async fn event(rooms: Rooms, req: Ruma<get_event::Request>) -> Result<get_event::Response> {
    let sender = req.sender()?;
    let mut event = rooms
        .event_for(&sender.user_id, &req.body.room_id, &req.body.event_id)
        .await?;
    rooms.with_transaction_ids(sender, [&mut event]).await?;
    Ok(get_event::Response::new(raw(&event)?))
}

async fn room_messages(rooms: Rooms, req: Ruma<messages::Request>) -> Result<messages::Response> {
    let body = &req.body;
    let limit = u32::try_from(u64::from(body.limit)).unwrap_or(u32::MAX);
    let lazy = matches!(
        body.filter.lazy_load_options,
        LazyLoadOptions::Enabled { .. }
    );
    let sender = req.sender()?;
    let mut page = rooms
        .messages(
            &sender.user_id,
            &body.room_id,
            body.from.as_deref(),
            body.to.as_deref(),
            body.dir == Direction::Forward,
            limit,
            &event_filter(&body.filter),
            lazy,
        )
        .await?;
    rooms.with_transaction_ids(sender, &mut page.chunk).await?;
    let mut response = messages::Response::new();
    response.start = page.start;
    response.end = page.end;
    response.chunk = page.chunk.iter().map(raw).collect::<Result<_>>()?;
    response.state = page.state.iter().map(raw).collect::<Result<_>>()?;
    Ok(response)
}

async fn members(rooms: Rooms, req: Ruma<get_members::Request>) -> Result<get_members::Response> {
    let body = &req.body;
    let membership = body.membership.as_ref().map(|m| m.to_string());
    let not_membership = body.not_membership.as_ref().map(|m| m.to_string());
    let events = rooms
        .members_for(
            &req.sender()?.user_id,
            &body.room_id,
            body.at.as_deref(),
            membership.as_deref(),
            not_membership.as_deref(),
        )
        .await?;
    Ok(get_members::Response::new(
        events.iter().map(raw).collect::<Result<_>>()?,
    ))
}

async fn joined_members_list(
    rooms: Rooms,
    req: Ruma<joined_members::Request>,
) -> Result<joined_members::Response> {
    let events = rooms
        .joined_members_for(&req.sender()?.user_id, &req.body.room_id)
        .await?;
    let mut joined = std::collections::BTreeMap::new();
    for event in events {
        let Some(user_id) = event["state_key"]
            .as_str()
            .and_then(|s| ruma::OwnedUserId::try_from(s).ok())
        else {
            continue;
        };
        let mut member = joined_members::RoomMember::new();
        member.display_name = event["content"]["displayname"].as_str().map(str::to_owned);
        member.avatar_url = event["content"]["avatar_url"].as_str().map(Into::into);
        joined.insert(user_id, member);
    }
    Ok(joined_members::Response::new(joined))
}

async fn upgrade(rooms: Rooms, req: Ruma<upgrade_room::Request>) -> Result<upgrade_room::Response> {
    let b = &req.body;
    // An unsupported version is refused by room creation, before the old room changes.
    let replacement = rooms
        .upgrade(&req.sender()?.user_id, &b.room_id, b.new_version.clone())
        .await?;
    Ok(upgrade_room::Response::new(replacement))
}
