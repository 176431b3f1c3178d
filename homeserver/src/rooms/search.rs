//! `POST /search` over room events: only rooms the user is in, only events their history
//! visibility lets them see, with context, profiles, groupings and paging.

use std::collections::BTreeMap;

use ruma::{OwnedRoomId, UserId, events::StateEventType};
use serde_json::{Map, Value as JsonValue, json};

use super::{Rooms, read::Visibility, state::parse_stored};
use crate::{
    http::error::{Error, Result},
    storage::{EventFilter, RoomStore, SearchQuery, SearchStore, search::search_words},
};

/// `/search`'s room-event criteria, already parsed.
#[derive(Debug, Clone, Default)]
pub struct RoomEventSearch {
    pub query: SearchQuery,
    pub not_rooms: Vec<String>,
    pub only_rooms: Option<Vec<String>>,
    pub before_limit: u32,
    pub after_limit: u32,
    pub include_profile: bool,
    pub include_state: bool,
    pub group_by_room: bool,
    pub group_by_sender: bool,
}

impl Rooms {
    /// The `room_events` result category as JSON (the handler turns it into ruma's type).
    pub async fn search(
        &self,
        user_id: &UserId,
        mut search: RoomEventSearch,
        next_batch: Option<&str>,
    ) -> Result<JsonValue> {
        let offset = match next_batch {
            Some(token) => token
                .strip_prefix('o')
                .and_then(|n| n.parse::<u32>().ok())
                .ok_or_else(|| Error::invalid_param("Invalid next_batch"))?,
            None => 0,
        };
        let mut rooms = self
            .store()
            .rooms_with_membership(user_id.as_str(), "join")
            .await?;
        if let Some(only) = &search.only_rooms {
            rooms.retain(|r| only.contains(r));
        }
        rooms.retain(|r| !search.not_rooms.contains(r));
        let limit = search.query.limit.clamp(1, 100);
        search.query.rooms = rooms;
        search.query.limit = limit;
        search.query.offset = offset;
        let (found, count) = self.store().search_events(&search.query).await?;
        let got = found.len() as u32;

        let mut results = Vec::new();
        let mut groups_room: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut groups_sender: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut visibility: BTreeMap<String, Visibility<'_>> = BTreeMap::new();
        let mut state_rooms = Vec::new();
        for (stored, rank) in found {
            let room_id =
                OwnedRoomId::try_from(stored.room_id.clone()).map_err(|_| Error::internal())?;
            if !visibility.contains_key(room_id.as_str()) {
                visibility.insert(room_id.to_string(), {
                    let (membership, _) = self.membership_now(user_id, &room_id).await?;
                    Visibility::new(
                        self,
                        user_id.as_str(),
                        membership.as_deref() == Some("join"),
                    )
                });
            }
            let allowed = visibility
                .get_mut(room_id.as_str())
                .expect("inserted")
                .allows(stored.state_group)
                .await?;
            if !allowed {
                continue;
            }
            let rules = self.rules_of(&room_id).await?;
            let pdu = parse_stored(&room_id, stored.event_id.clone(), stored.json.clone())?;
            let event_id = stored.event_id.clone();
            let owned_id =
                ruma::OwnedEventId::try_from(event_id.clone()).map_err(|_| Error::internal())?;
            let event = self
                .to_client(&room_id, &rules, vec![stored], user_id.as_str())
                .await?
                .remove(0);
            let mut context = Map::new();
            if search.before_limit > 0 || search.after_limit > 0 || search.include_profile {
                let filter = EventFilter::default();
                let ctx = self
                    .context_around(
                        user_id,
                        &room_id,
                        &owned_id,
                        search.before_limit,
                        search.after_limit,
                        &filter,
                    )
                    .await?;
                context.insert("events_before".into(), json!(ctx.0));
                context.insert("events_after".into(), json!(ctx.1));
                context.insert("start".into(), json!(ctx.2));
                context.insert("end".into(), json!(ctx.3));
                if search.include_profile {
                    let mut profiles = Map::new();
                    let guard = self.lock_known(&room_id, super::not_in_room).await?;
                    let room = guard.as_ref().expect("known room");
                    for e in ctx
                        .0
                        .iter()
                        .chain(ctx.1.iter())
                        .chain(std::iter::once(&event))
                    {
                        let Some(sender) = e["sender"].as_str() else {
                            continue;
                        };
                        if let Some(member) = room.get(&StateEventType::RoomMember, sender) {
                            let content = member.content_value();
                            let mut profile = Map::new();
                            for field in ["displayname", "avatar_url"] {
                                if let Some(value) = content.get(field).filter(|v| v.is_string()) {
                                    profile.insert(field.into(), value.clone());
                                }
                            }
                            profiles.insert(sender.to_owned(), JsonValue::Object(profile));
                        }
                    }
                    context.insert("profile_info".into(), JsonValue::Object(profiles));
                }
            }
            groups_room
                .entry(room_id.to_string())
                .or_default()
                .push(event_id.clone());
            groups_sender
                .entry(pdu.sender.to_string())
                .or_default()
                .push(event_id);
            if search.include_state && !state_rooms.contains(&room_id) {
                state_rooms.push(room_id.clone());
            }
            results.push(json!({ "rank": rank, "result": event, "context": context }));
        }

        let mut section = json!({
            "count": count,
            "results": results,
            "highlights": search_words(&search.query.term),
        });
        if got == limit {
            section["next_batch"] = json!(format!("o{}", offset + limit));
        }
        let mut groups = Map::new();
        let group = |by: BTreeMap<String, Vec<String>>| -> JsonValue {
            let map: Map<String, JsonValue> = by
                .into_iter()
                .enumerate()
                .map(|(order, (key, results))| (key, json!({ "order": order, "results": results })))
                .collect();
            JsonValue::Object(map)
        };
        if search.group_by_room {
            groups.insert("room_id".into(), group(groups_room));
        }
        if search.group_by_sender {
            groups.insert("sender".into(), group(groups_sender));
        }
        if !groups.is_empty() {
            section["groups"] = JsonValue::Object(groups);
        }
        if search.include_state {
            let mut state = Map::new();
            for room_id in state_rooms {
                state.insert(
                    room_id.to_string(),
                    json!(self.state_for(user_id, &room_id).await?),
                );
            }
            section["state"] = JsonValue::Object(state);
        }
        Ok(section)
    }
}
