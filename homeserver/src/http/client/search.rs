//! `POST /search` (room events).
//!
//! Besides the spec's filter, `filter` may carry `org.hearth.from_ts` and `org.hearth.to_ts`
//! (milliseconds since the epoch) to limit results to a time range; see docs/search.md.

use axum::Router;
use ruma::api::client::search::search_events::v3::{
    self as search, GroupingKey, OrderBy, ResultCategories,
};
use serde_json::Value as JsonValue;

use crate::{
    http::{
        AppState,
        error::{Error, Result},
        ruma::{Ruma, RumaRouter},
    },
    rooms::{RoomEventSearch, Rooms},
    storage::SearchQuery,
};

pub fn routes(router: Router<AppState>) -> Router<AppState> {
    router.ruma(search_events)
}

fn uint(value: ruma::UInt) -> u32 {
    u32::try_from(u64::from(value)).unwrap_or(u32::MAX)
}

async fn search_events(rooms: Rooms, req: Ruma<search::Request>) -> Result<search::Response> {
    let sender = req.sender()?;
    let user_id = sender.user_id.clone();
    let Some(criteria) = &req.body.search_categories.room_events else {
        // No category asked for: nothing to search.
        return Ok(search::Response::new(ResultCategories::new()));
    };
    let raw: JsonValue = serde_json::from_slice(&req.raw_body).unwrap_or_default();
    let raw_criteria = &raw["search_categories"]["room_events"];
    let time = |key: &str| -> Result<Option<i64>> {
        match &raw_criteria["filter"][key] {
            JsonValue::Null => Ok(None),
            value => value
                .as_i64()
                .map(Some)
                .ok_or_else(|| Error::invalid_param(format!("{key} must be an integer"))),
        }
    };
    let filter = &criteria.filter;
    let with_context = raw_criteria.get("event_context").is_some();
    let params = RoomEventSearch {
        query: SearchQuery {
            term: criteria.search_term.clone(),
            keys: criteria
                .keys
                .iter()
                .flatten()
                .map(|k| k.as_str().to_owned())
                .collect(),
            rooms: vec![],
            senders: filter
                .senders
                .as_ref()
                .map(|s| s.iter().map(ToString::to_string).collect()),
            not_senders: filter.not_senders.iter().map(ToString::to_string).collect(),
            types: filter.types.clone(),
            not_types: filter.not_types.clone(),
            from_ts: time("org.hearth.from_ts")?,
            to_ts: time("org.hearth.to_ts")?,
            order_by_recent: matches!(criteria.order_by, Some(OrderBy::Recent)),
            limit: filter.limit.map_or(10, uint),
            offset: 0,
        },
        not_rooms: filter.not_rooms.iter().map(ToString::to_string).collect(),
        only_rooms: filter
            .rooms
            .as_ref()
            .map(|r| r.iter().map(ToString::to_string).collect()),
        before_limit: if with_context {
            uint(criteria.event_context.before_limit)
        } else {
            0
        },
        after_limit: if with_context {
            uint(criteria.event_context.after_limit)
        } else {
            0
        },
        include_profile: with_context && criteria.event_context.include_profile,
        include_state: criteria.include_state.unwrap_or(false),
        group_by_room: criteria
            .groupings
            .group_by
            .iter()
            .any(|g| matches!(g.key, Some(GroupingKey::RoomId))),
        group_by_sender: criteria
            .groupings
            .group_by
            .iter()
            .any(|g| matches!(g.key, Some(GroupingKey::Sender))),
    };
    let mut section = rooms
        .search(&user_id, params, req.body.next_batch.as_deref())
        .await?;
    let found = (section["results"].as_array_mut().into_iter().flatten()).map(|r| &mut r["result"]);
    rooms.with_transaction_ids(sender, found).await?;
    let room_events = serde_json::from_value(section).map_err(|e| {
        tracing::error!(error = %e, "search result does not fit ruma's type");
        Error::internal()
    })?;
    let mut categories = ResultCategories::new();
    categories.room_events = room_events;
    Ok(search::Response::new(categories))
}
