//! The per-room pieces of a sync response: a window of the timeline, state at or between
//! stream positions, stripped invite state and the room summary. History visibility,
//! redactions, ignored users and bundled relations apply exactly as on the other read paths.

use std::collections::{BTreeMap, HashSet};

use ruma::{RoomId, UserId, events::StateEventType, room_version_rules::RoomVersionRules};
use serde_json::{Value as JsonValue, value::RawValue};

use super::{Rooms, read::Visibility};
use crate::{
    http::error::{Error, Result},
    storage::{EventFilter, EventStore, StateEntries, StoredEvent},
};

/// A timeline window: the newest events of a range, oldest first, as sync carries them.
pub struct TimelineWindow {
    pub events: Vec<Box<RawValue>>,
    /// Whether any of `events` is a membership event.
    pub has_members: bool,
    /// More events of the range (or, without a lower bound, of history) were left out.
    pub limited: bool,
    /// Stream position of the first event of the window.
    pub first: Option<i64>,
    /// Senders of the window's events, for lazy-loaded members.
    pub senders: Vec<String>,
    /// The newest event from someone else, with its position: what delivery receipts
    /// acknowledge.
    pub newest_from_others: Option<(String, i64)>,
}

/// How state events are picked for a sync response.
pub struct StatePick<'a> {
    pub filter: &'a EventFilter,
    /// Lazy loading: member events only of these users.
    pub members_of: Option<&'a HashSet<String>>,
}

/// `m.heroes`, joined and invited counts.
pub struct Summary {
    pub heroes: Vec<String>,
    pub joined: u64,
    pub invited: u64,
}

/// The state types an invited user sees before joining (the spec's recommended set).
const STRIPPED_STATE: &[&str] = &[
    "m.room.create",
    "m.room.join_rules",
    "m.room.name",
    "m.room.avatar",
    "m.room.canonical_alias",
    "m.room.encryption",
    "m.room.topic",
];

impl Rooms {
    /// Up to `limit` newest events the user may see with `after < position <= upto`
    /// (`after` `None`: all history), without ignored senders. The sender's own events
    /// carry `unsigned.transaction_id` for `device_id`. `joined_at`: the position of the
    /// user's current membership event when it is a join.
    #[allow(clippy::too_many_arguments)]
    pub async fn timeline_window(
        &self,
        user_id: &UserId,
        device_id: &str,
        room_id: &RoomId,
        after: Option<i64>,
        upto: i64,
        limit: u32,
        filter: &EventFilter,
        ignored: &HashSet<String>,
        joined_at: Option<i64>,
    ) -> Result<TimelineWindow> {
        let rules = self.rules_of(room_id).await?;
        let (membership, _) = self.membership_now(user_id, room_id).await?;
        let mut visibility = Visibility::new(
            self,
            user_id.as_str(),
            membership.as_deref() == Some("join"),
        )
        .knowing_current(room_id)
        .await?;
        let want = limit.max(1) as usize;
        let mut picked = Vec::new();
        let mut limited = false;
        let mut cursor = upto + 1;
        'read: loop {
            let cached = self.inner.tails.backwards(
                room_id.as_str(),
                cursor,
                after.unwrap_or(0),
                limit.max(1) + 1,
                filter,
            );
            let batch = match cached {
                Some(batch) => batch,
                None => {
                    self.store()
                        .room_events(
                            room_id.as_str(),
                            cursor,
                            after,
                            false,
                            limit.max(1) + 1,
                            filter,
                        )
                        .await?
                }
            };
            let exhausted = batch.len() <= limit as usize;
            for event in batch {
                cursor = event.stream_ordering;
                let sender = sender_of(&event.json);
                // One's own membership changes are always visible (a kick, say).
                let own_membership = event.json.contains(r#""type":"m.room.member""#)
                    && state_key_of(&event.json).as_deref() == Some(user_id.as_str());
                // Events after the user's current join were sent while they were joined,
                // which every history visibility allows; no state lookup needed. (Holds while
                // a room's events are in stream order, as local rooms are; federation must
                // keep it so or drop this shortcut.)
                let while_joined = joined_at.is_some_and(|j| event.stream_ordering > j);
                if ignored.contains(&sender)
                    || !(own_membership
                        || while_joined
                        || visibility.allows(event.state_group).await?)
                {
                    continue;
                }
                if picked.len() == want {
                    limited = true;
                    break 'read;
                }
                picked.push((event, sender));
            }
            if exhausted {
                break;
            }
        }
        picked.reverse();
        let first = picked.first().map(|(e, _)| e.stream_ordering);
        let mut senders: Vec<String> = Vec::new();
        for (_, sender) in &picked {
            if !senders.contains(sender) {
                senders.push(sender.clone());
            }
        }
        let newest_from_others = picked
            .iter()
            .rev()
            .find(|(_, sender)| sender != user_id.as_str())
            .map(|(e, _)| (e.event_id.clone(), e.stream_ordering));
        let own: Vec<String> = picked
            .iter()
            .filter(|(_, sender)| sender == user_id.as_str())
            .map(|(e, _)| e.event_id.clone())
            .collect();
        let txns: BTreeMap<String, String> = if own.is_empty() {
            BTreeMap::new()
        } else if let Some(found) = self.inner.tails.txn_ids(room_id.as_str(), device_id, &own) {
            found.into_iter().collect()
        } else {
            self.store()
                .txn_ids(user_id.as_str(), device_id, &own)
                .await?
                .into_iter()
                .collect()
        };
        let stored: Vec<StoredEvent> = picked.into_iter().map(|(e, _)| e).collect();
        let has_members = stored
            .iter()
            .any(|e| e.json.contains(r#""type":"m.room.member""#));
        let events = self
            .sync_events(room_id, &rules, stored, user_id.as_str(), &txns)
            .await?;
        Ok(TimelineWindow {
            events,
            has_members,
            limited,
            first,
            senders,
            newest_from_others,
        })
    }

    /// Timeline events as sync carries them: without `room_id`, the sender's own with their
    /// `unsigned.transaction_id` (`txns`). When every event is plain (not redacted, not
    /// replacing state), cached, and nothing relates to any, each is copied from its cached
    /// serialized form; otherwise they are built like on every other read path.
    async fn sync_events(
        &self,
        room_id: &RoomId,
        rules: &RoomVersionRules,
        stored: Vec<StoredEvent>,
        viewer: &str,
        txns: &BTreeMap<String, String>,
    ) -> Result<Vec<Box<RawValue>>> {
        let ids: Vec<String> = stored.iter().map(|e| e.event_id.clone()).collect();
        if stored.iter().all(super::client_cache::is_plain)
            && self.inner.tails.all_unrelated(room_id.as_str(), &ids)
        {
            let cached: Option<Vec<Box<RawValue>>> = ids
                .iter()
                .map(|id| {
                    let txn = txns.get(id).map(String::as_str);
                    Some(self.inner.client_events.get(id)?.sync_form(txn))
                })
                .collect();
            if let Some(cached) = cached {
                return Ok(cached);
            }
        }
        let mut events = self
            .to_client(&room_id.to_owned(), rules, stored, viewer)
            .await?;
        events
            .iter_mut()
            .map(|event| {
                if let Some(txn_id) = event["event_id"].as_str().and_then(|id| txns.get(id)) {
                    event["unsigned"]["transaction_id"] = txn_id.clone().into();
                }
                strip_room_id(event);
                serde_json::value::to_raw_value(event).map_err(|_| Error::internal())
            })
            .collect()
    }

    /// State events at stream position `to` that differ from those at `from` (`None`: the
    /// whole state at `to`).
    pub async fn state_between(
        &self,
        user_id: &UserId,
        room_id: &RoomId,
        from: Option<i64>,
        to: i64,
        pick: &StatePick<'_>,
    ) -> Result<Vec<JsonValue>> {
        let Some(to_group) = self.store().state_group_at(room_id.as_str(), to).await? else {
            return Ok(Vec::new());
        };
        let before: StateEntries = match from {
            Some(from) => match self.store().state_group_at(room_id.as_str(), from).await? {
                Some(group) if group == to_group => return Ok(Vec::new()),
                Some(group) => self.store().state_group(group).await?,
                None => StateEntries::new(),
            },
            None => StateEntries::new(),
        };
        let after = self.store().state_group(to_group).await?;
        let ids: Vec<String> = after
            .into_iter()
            .filter(|(key, id)| before.get(key) != Some(id))
            .filter(|((kind, state_key), _)| {
                kind != "m.room.member"
                    || state_key == user_id.as_str()
                    || pick
                        .members_of
                        .is_none_or(|users| users.contains(state_key))
            })
            .map(|(_, id)| id)
            .collect();
        let rules = self.rules_of(room_id).await?;
        let stored = self.store().events(&ids).await?;
        let mut events = self
            .plain_client_events(&room_id.to_owned(), &rules, stored)
            .await?;
        events.retain(|e| {
            pick.filter.matches(
                e["type"].as_str().unwrap_or_default(),
                e["sender"].as_str().unwrap_or_default(),
                e["content"]["url"].is_string(),
            )
        });
        events.iter_mut().for_each(strip_room_id);
        Ok(events)
    }

    /// The stripped state an invited user sees, ending with their invite.
    pub async fn invite_state(
        &self,
        room_id: &RoomId,
        invite_event_id: &str,
    ) -> Result<Vec<JsonValue>> {
        let entries = self.store().current_state(room_id.as_str()).await?;
        let mut ids: Vec<String> = entries
            .iter()
            .filter(|((kind, key), _)| key.is_empty() && STRIPPED_STATE.contains(&kind.as_str()))
            .map(|(_, id)| id.clone())
            .collect();
        ids.push(invite_event_id.to_owned());
        let stored = self.store().events(&ids).await?;
        Ok(stored
            .iter()
            .filter_map(|e| serde_json::from_str::<JsonValue>(&e.json).ok())
            .map(|pdu| {
                serde_json::json!({
                    "type": pdu["type"],
                    "state_key": pdu["state_key"],
                    "sender": pdu["sender"],
                    "content": pdu["content"],
                })
            })
            .collect())
    }

    /// Heroes (up to five other members, joined and invited first) and member counts.
    pub async fn member_summary(&self, user_id: &UserId, room_id: &RoomId) -> Result<Summary> {
        // From the room's current state in memory: no query per room in a sync.
        let mut members: Vec<(String, String)> = {
            let guard = self.lock_known(room_id, super::not_in_room).await?;
            let room = guard.as_ref().expect("known room");
            room.state
                .iter()
                .filter(|((kind, _), _)| *kind == StateEventType::RoomMember)
                .filter_map(|((_, user), pdu)| Some((user.clone(), pdu.content_str("membership")?)))
                .collect()
        };
        members.sort_unstable();
        let count = |m: &str| members.iter().filter(|(_, ms)| ms == m).count() as u64;
        let others = |wanted: &[&str]| -> Vec<String> {
            members
                .iter()
                .filter(|(user, ms)| user != user_id.as_str() && wanted.contains(&ms.as_str()))
                .map(|(user, _)| user.clone())
                .take(5)
                .collect()
        };
        let mut heroes = others(&["join", "invite"]);
        if heroes.is_empty() {
            heroes = others(&["leave", "ban"]);
        }
        Ok(Summary {
            heroes,
            joined: count("join"),
            invited: count("invite"),
        })
    }
}

fn sender_of(json: &str) -> String {
    #[derive(serde::Deserialize)]
    struct Sender {
        sender: String,
    }
    serde_json::from_str::<Sender>(json)
        .map(|s| s.sender)
        .unwrap_or_default()
}

fn state_key_of(json: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct StateKey {
        state_key: Option<String>,
    }
    serde_json::from_str::<StateKey>(json).ok()?.state_key
}

/// Sync sends events without `room_id` (their room is the key they sit under).
pub(super) fn strip_room_id(event: &mut JsonValue) {
    if let Some(object) = event.as_object_mut() {
        object.remove("room_id");
    }
}
