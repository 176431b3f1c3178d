//! Reading rooms: single events, state, members, `/messages`, `/context`. History
//! visibility is enforced here, on every read path, and redactions are applied on the way out.

use std::{collections::HashMap, sync::Arc};

use ruma::{
    EventId, OwnedRoomId, RoomId, UserId,
    api::client::filter::{RoomEventFilter, UrlFilter},
    events::StateEventType,
    room_version_rules::RoomVersionRules,
};
use serde_json::{Map, Value as JsonValue};

use super::{
    Rooms,
    client_cache::{ClientEvent, is_plain},
    not_in_room,
    state::parse_stored,
};
use crate::{
    accounts::Sender,
    http::error::{Error, Result},
    storage::{EventFilter, EventStore, RoomStore, StoredEvent},
};

/// A page of `/messages`.
pub struct MessagesPage {
    pub start: String,
    pub end: Option<String>,
    pub chunk: Vec<JsonValue>,
    pub state: Vec<JsonValue>,
}

/// Pagination tokens are `s<stream position>`; a sync token (which starts the same way,
/// followed by `_` and its other positions) is accepted too.
pub fn parse_token(token: &str) -> Result<i64> {
    token
        .split('_')
        .next()
        .and_then(|t| t.strip_prefix('s'))
        .and_then(|n| n.parse().ok())
        .filter(|n: &i64| *n >= 0)
        .ok_or_else(|| Error::invalid_param("Invalid pagination token"))
}

pub fn token(position: i64) -> String {
    format!("s{position}")
}

/// The storage form of a client's room event filter (`/messages`, `/relations`, `/sync`).
pub fn event_filter(filter: &RoomEventFilter) -> EventFilter {
    EventFilter {
        types: filter.types.clone(),
        not_types: filter.not_types.clone(),
        senders: filter
            .senders
            .as_ref()
            .map(|s| s.iter().map(ToString::to_string).collect()),
        not_senders: filter.not_senders.iter().map(ToString::to_string).collect(),
        contains_url: filter
            .url_filter
            .as_ref()
            .map(|f| matches!(f, UrlFilter::EventsWithUrl)),
    }
}

const HISTORY: (&str, &str) = ("m.room.history_visibility", "");

/// Entries [`HistoryAt`] keeps before it starts afresh.
const HISTORY_AT_MAX: usize = 100_000;

/// `m.room.history_visibility` (`None`: unset) at state groups, which are immutable.
#[derive(Default)]
pub(super) struct HistoryAt(std::sync::Mutex<HashMap<i64, Option<String>>>);

impl HistoryAt {
    fn get(&self, group: i64) -> Option<Option<String>> {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&group).cloned()
    }

    fn insert(&self, group: i64, history: Option<String>) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= HISTORY_AT_MAX {
            map.clear();
        }
        map.insert(group, history);
    }
}

/// Decides, per state group, whether one user may see events of one room.
pub(super) struct Visibility<'a> {
    rooms: &'a Rooms,
    user_id: &'a str,
    joined_now: bool,
    by_group: HashMap<i64, bool>,
}

impl<'a> Visibility<'a> {
    pub(super) fn new(rooms: &'a Rooms, user_id: &'a str, joined_now: bool) -> Self {
        Self {
            rooms,
            user_id,
            joined_now,
            by_group: HashMap::new(),
        }
    }

    /// Spec: world_readable → anyone; shared → members at the event, or members now;
    /// invited → invited or joined at the event; joined → joined at the event.
    pub(super) async fn allows(&mut self, state_group: i64) -> Result<bool> {
        if let Some(known) = self.by_group.get(&state_group) {
            return Ok(*known);
        }
        // Shared and world-readable history need no membership at the event from a
        // current member, and a state group's history visibility never changes.
        if self.joined_now
            && let Some(history) = self.rooms.inner.history_at.get(state_group)
            && matches!(history.as_deref(), None | Some("shared" | "world_readable"))
        {
            self.by_group.insert(state_group, true);
            return Ok(true);
        }
        let keys = [
            (HISTORY.0.to_owned(), HISTORY.1.to_owned()),
            ("m.room.member".to_owned(), self.user_id.to_owned()),
        ];
        let entries = self
            .rooms
            .store()
            .state_at(state_group, Some(&keys))
            .await?;
        let ids: Vec<String> = entries.values().cloned().collect();
        let events = self.rooms.store().events(&ids).await?;
        let field = |kind: &str, key: &str| -> Option<String> {
            let id = entries.get(&(kind.to_owned(), key.to_owned()))?;
            let event = events.iter().find(|e| &e.event_id == id)?;
            let json: JsonValue = serde_json::from_str(&event.json).ok()?;
            json["content"][if kind == HISTORY.0 {
                "history_visibility"
            } else {
                "membership"
            }]
            .as_str()
            .map(str::to_owned)
        };
        let history = field(HISTORY.0, "");
        self.rooms
            .inner
            .history_at
            .insert(state_group, history.clone());
        let membership = field("m.room.member", self.user_id);
        let allowed = self.decide(history.as_deref(), membership.as_deref());
        self.by_group.insert(state_group, allowed);
        Ok(allowed)
    }

    fn decide(&self, history: Option<&str>, membership: Option<&str>) -> bool {
        match history.unwrap_or("shared") {
            "world_readable" => true,
            _ if membership == Some("join") => true,
            "invited" => membership == Some("invite"),
            "joined" => false,
            _ => self.joined_now,
        }
    }

    /// Answers for the room's current state group from its in-memory state, so events
    /// sent since the last state change cost no state reads.
    pub(super) async fn knowing_current(mut self, room_id: &RoomId) -> Result<Self> {
        let guard = self.rooms.lock_known(room_id, not_in_room).await?;
        let room = guard.as_ref().expect("known room");
        let history = room
            .get(&StateEventType::RoomHistoryVisibility, "")
            .and_then(|e| e.content_str("history_visibility"));
        let membership = room.membership(self.user_id);
        let group = room.state_group;
        drop(guard);
        let allowed = self.decide(history.as_deref(), membership.as_deref());
        self.by_group.insert(group, allowed);
        Ok(self)
    }
}

impl Rooms {
    pub(super) async fn rules_of(&self, room_id: &RoomId) -> Result<RoomVersionRules> {
        let guard = self.lock_known(room_id, not_in_room).await?;
        Ok(guard.as_ref().expect("known room").rules.clone())
    }

    /// One stored event in client format, as `viewer` sees it.
    pub async fn client_event(
        &self,
        room_id: &OwnedRoomId,
        stored: StoredEvent,
        viewer: &UserId,
    ) -> Result<JsonValue> {
        let rules = self.rules_of(room_id).await?;
        let mut events = self
            .to_client(room_id, &rules, vec![stored], viewer.as_str())
            .await?;
        events.pop().ok_or_else(Error::internal)
    }

    /// Adds `unsigned.transaction_id` to the events `viewer` sent from the device reading
    /// them now: the spec gives the ID only to the client that sent the event. (Sync does
    /// the same from the room tails, see `sync.rs`.)
    pub async fn with_transaction_ids<'a>(
        &self,
        viewer: &Sender,
        events: impl IntoIterator<Item = &'a mut JsonValue>,
    ) -> Result<()> {
        let own: Vec<&mut JsonValue> = events
            .into_iter()
            .filter(|e| e["sender"] == viewer.user_id.as_str())
            .collect();
        if own.is_empty() {
            return Ok(());
        }
        let ids: Vec<String> = own
            .iter()
            .filter_map(|e| e["event_id"].as_str().map(str::to_owned))
            .collect();
        let txns: HashMap<String, String> = self
            .store()
            .txn_ids(viewer.user_id.as_str(), viewer.device_id.as_str(), &ids)
            .await?
            .into_iter()
            .collect();
        for event in own {
            if let Some(txn_id) = event["event_id"].as_str().and_then(|id| txns.get(id)) {
                event["unsigned"]["transaction_id"] = txn_id.clone().into();
            }
        }
        Ok(())
    }

    /// Client-format events with redactions applied and relations bundled for `viewer`.
    pub(super) async fn to_client(
        &self,
        room_id: &OwnedRoomId,
        rules: &RoomVersionRules,
        stored: Vec<StoredEvent>,
        viewer: &str,
    ) -> Result<Vec<JsonValue>> {
        let ids: Vec<String> = stored
            .iter()
            .filter(|e| e.redacted_by.is_none())
            .map(|e| e.event_id.clone())
            .collect();
        let mut events = self.plain_client_events(room_id, rules, stored).await?;
        self.bundle_relations(room_id, rules, &ids, &mut events, viewer)
            .await?;
        Ok(events)
    }

    /// Client-format events with redactions applied.
    pub(super) async fn plain_client_events(
        &self,
        room_id: &OwnedRoomId,
        rules: &RoomVersionRules,
        stored: Vec<StoredEvent>,
    ) -> Result<Vec<JsonValue>> {
        // Redactions of these events, and the state events they replaced: one read.
        let related_ids: Vec<String> = stored
            .iter()
            .flat_map(|e| [e.redacted_by.clone(), e.replaces_state.clone()])
            .flatten()
            .collect();
        let related = self.store().events(&related_ids).await?;
        let find = |id: &Option<String>| {
            id.as_ref()
                .and_then(|id| related.iter().find(|r| &r.event_id == id).cloned())
        };
        let mut out = Vec::with_capacity(stored.len());
        for event in stored {
            let plain = is_plain(&event);
            if plain && let Some(hit) = self.inner.client_events.get(&event.event_id) {
                out.push(hit.client_form());
                continue;
            }
            let because = match find(&event.redacted_by) {
                Some(r) => {
                    let redaction = parse_stored(room_id, r.event_id, r.json)?;
                    Some(redaction.to_client(rules, None, Map::new()))
                }
                None => None,
            };
            let mut unsigned = Map::new();
            if let Some(prev) = find(&event.replaces_state) {
                unsigned.insert("replaces_state".into(), prev.event_id.clone().into());
                // The previous content as clients may see it: redacted if it was.
                let prev_redacted = prev.redacted_by.is_some().then_some(JsonValue::Null);
                let prev = parse_stored(room_id, prev.event_id, prev.json)?.to_client(
                    rules,
                    prev_redacted,
                    Map::new(),
                );
                unsigned.insert("prev_content".into(), prev["content"].clone());
                unsigned.insert("prev_sender".into(), prev["sender"].clone());
            }
            let pdu = parse_stored(room_id, event.event_id.clone(), event.json)?;
            let client = pdu.to_client(rules, because, unsigned);
            if plain {
                self.inner
                    .client_events
                    .put(event.event_id, Arc::new(ClientEvent::new(client.clone())));
            }
            out.push(client);
        }
        Ok(out)
    }

    /// Anyone who has been in the room (history visibility then filters events), or anyone
    /// at all in a world-readable room.
    pub(super) async fn check_can_read(&self, user_id: &UserId, room_id: &RoomId) -> Result<bool> {
        let (membership, world_readable) = self.membership_now(user_id, room_id).await?;
        // A knock asks to come in; it gives no more access than never having been there.
        if matches!(membership.as_deref(), None | Some("knock")) && !world_readable {
            return Err(not_in_room());
        }
        Ok(membership.as_deref() == Some("join"))
    }

    /// The user's current membership and whether the room is world-readable, from the
    /// room's cached state.
    pub(super) async fn membership_now(
        &self,
        user_id: &UserId,
        room_id: &RoomId,
    ) -> Result<(Option<String>, bool)> {
        let guard = self.lock_known(room_id, not_in_room).await?;
        let room = guard.as_ref().expect("known room");
        Ok((room.membership(user_id.as_str()), room.world_readable()))
    }

    /// `GET /rooms/{roomId}/event/{eventId}`.
    pub async fn event_for(
        &self,
        user_id: &UserId,
        room_id: &RoomId,
        event_id: &EventId,
    ) -> Result<JsonValue> {
        let rules = self.rules_of(room_id).await?;
        let not_found = || Error::not_found("Event not found");
        let stored = self
            .store()
            .event(event_id.as_str())
            .await?
            .filter(|e| e.room_id == room_id.as_str())
            .ok_or_else(not_found)?;
        let (membership, _) = self.membership_now(user_id, room_id).await?;
        let mut visibility = Visibility::new(
            self,
            user_id.as_str(),
            membership.as_deref() == Some("join"),
        );
        if !visibility.allows(stored.state_group).await? {
            return Err(not_found());
        }
        let mut events = self
            .to_client(&room_id.to_owned(), &rules, vec![stored], user_id.as_str())
            .await?;
        Ok(events.remove(0))
    }

    /// The state a user may see: the current state while joined, else the state when they
    /// left (or, in world-readable rooms, the current state).
    async fn visible_state_group(&self, user_id: &UserId, room_id: &RoomId) -> Result<i64> {
        let guard = self.lock_known(room_id, not_in_room).await?;
        let room = guard.as_ref().expect("known room");
        let current = room.state_group;
        let member = room
            .get(&StateEventType::RoomMember, user_id.as_str())
            .cloned();
        let world_readable = room.world_readable();
        drop(guard);
        match member
            .as_ref()
            .and_then(|m| m.content_str("membership"))
            .as_deref()
        {
            Some("join") => Ok(current),
            _ if world_readable => Ok(current),
            Some("leave" | "ban") => {
                let member = member.expect("membership came from it");
                let stored = self
                    .store()
                    .event(member.event_id.as_str())
                    .await?
                    .ok_or_else(Error::internal)?;
                Ok(stored.state_group)
            }
            _ => Err(not_in_room()),
        }
    }

    /// `GET /rooms/{roomId}/state`.
    pub async fn state_for(&self, user_id: &UserId, room_id: &RoomId) -> Result<Vec<JsonValue>> {
        let group = self.visible_state_group(user_id, room_id).await?;
        let rules = self.rules_of(room_id).await?;
        let entries = self.store().state_group(group).await?;
        let ids: Vec<String> = entries.into_values().collect();
        let stored = self.store().events(&ids).await?;
        self.to_client(&room_id.to_owned(), &rules, stored, user_id.as_str())
            .await
    }

    /// `GET /rooms/{roomId}/state/{eventType}/{stateKey}`: the event, for `format=event`.
    pub async fn state_event_for(
        &self,
        user_id: &UserId,
        room_id: &RoomId,
        kind: &StateEventType,
        state_key: &str,
    ) -> Result<JsonValue> {
        let group = self.visible_state_group(user_id, room_id).await?;
        let rules = self.rules_of(room_id).await?;
        let keys = [(kind.to_string(), state_key.to_owned())];
        let entries = self.store().state_at(group, Some(&keys)).await?;
        let ids: Vec<String> = entries.into_values().collect();
        let stored = self.store().events(&ids).await?;
        let mut events = self
            .to_client(&room_id.to_owned(), &rules, stored, user_id.as_str())
            .await?;
        if events.is_empty() {
            return Err(Error::not_found("State event not found"));
        }
        Ok(events.remove(0))
    }

    /// `GET /rooms/{roomId}/members` (`at` a pagination token, membership filters).
    pub async fn members_for(
        &self,
        user_id: &UserId,
        room_id: &RoomId,
        at: Option<&str>,
        membership: Option<&str>,
        not_membership: Option<&str>,
    ) -> Result<Vec<JsonValue>> {
        let mut group = self.visible_state_group(user_id, room_id).await?;
        if let Some(at) = at {
            let position = parse_token(at)?;
            if let Some(at_group) = self
                .store()
                .state_group_at(room_id.as_str(), position)
                .await?
            {
                group = at_group;
            }
        }
        let rules = self.rules_of(room_id).await?;
        let entries = self.store().state_group(group).await?;
        let ids: Vec<String> = entries
            .into_iter()
            .filter(|((kind, _), _)| kind == "m.room.member")
            .map(|(_, id)| id)
            .collect();
        let stored = self.store().events(&ids).await?;
        let events = self
            .to_client(&room_id.to_owned(), &rules, stored, user_id.as_str())
            .await?;
        Ok(events
            .into_iter()
            .filter(|e| {
                let m = e["content"]["membership"].as_str();
                membership.is_none_or(|want| m == Some(want))
                    && not_membership.is_none_or(|not| m != Some(not))
            })
            .collect())
    }

    /// `GET /rooms/{roomId}/joined_members`: `user_id -> (displayname, avatar_url)`.
    pub async fn joined_members_for(
        &self,
        user_id: &UserId,
        room_id: &RoomId,
    ) -> Result<Vec<JsonValue>> {
        self.members_for(user_id, room_id, None, Some("join"), None)
            .await
    }

    /// `GET /joined_rooms`.
    pub async fn joined_rooms(&self, user_id: &UserId) -> Result<Vec<OwnedRoomId>> {
        let rooms = self
            .store()
            .rooms_with_membership(user_id.as_str(), "join")
            .await?;
        Ok(rooms
            .into_iter()
            .filter_map(|r| OwnedRoomId::try_from(r).ok())
            .collect())
    }

    /// `GET /rooms/{roomId}/messages`.
    #[allow(clippy::too_many_arguments)]
    pub async fn messages(
        &self,
        user_id: &UserId,
        room_id: &RoomId,
        from: Option<&str>,
        to: Option<&str>,
        forward: bool,
        limit: u32,
        filter: &EventFilter,
        lazy_load_members: bool,
    ) -> Result<MessagesPage> {
        let rules = self.rules_of(room_id).await?;
        let joined_now = self.check_can_read(user_id, room_id).await?;
        let mut visibility = Visibility::new(self, user_id.as_str(), joined_now);
        let start = match from {
            Some(from) => parse_token(from)?,
            None if forward => 0,
            None => self.store().max_stream_ordering().await? + 1,
        };
        let to = to.map(parse_token).transpose()?;
        let limit = limit.clamp(1, 1000);
        let mut chunk_stored = Vec::new();
        let mut cursor = start;
        let mut end = None;
        // Invisible events are skipped, so keep reading until the page is full.
        loop {
            let batch = self
                .store()
                .room_events(room_id.as_str(), cursor, to, forward, limit, filter)
                .await?;
            let exhausted = (batch.len() as u32) < limit;
            for event in batch {
                cursor = event.stream_ordering;
                end = Some(token(cursor));
                if visibility.allows(event.state_group).await? {
                    chunk_stored.push(event);
                    if chunk_stored.len() as u32 == limit {
                        break;
                    }
                }
            }
            if exhausted || chunk_stored.len() as u32 == limit {
                if exhausted && (chunk_stored.len() as u32) < limit {
                    end = None;
                }
                break;
            }
        }
        // For lazy loading: each sender's member event as it was at their (first) event here.
        let mut senders: Vec<(String, i64)> = Vec::new();
        for event in &chunk_stored {
            let sender = serde_json::from_str::<JsonValue>(&event.json)
                .ok()
                .and_then(|j| j["sender"].as_str().map(str::to_owned));
            if let Some(sender) = sender
                && !senders.iter().any(|(s, _)| *s == sender)
            {
                senders.push((sender, event.state_group));
            }
        }
        let chunk = self
            .to_client(&room_id.to_owned(), &rules, chunk_stored, user_id.as_str())
            .await?;
        let mut state = Vec::new();
        if lazy_load_members {
            let mut ids = Vec::new();
            for (sender, group) in senders {
                let key = [("m.room.member".to_owned(), sender)];
                ids.extend(
                    self.store()
                        .state_at(group, Some(&key))
                        .await?
                        .into_values(),
                );
            }
            let stored = self.store().events(&ids).await?;
            state = self
                .plain_client_events(&room_id.to_owned(), &rules, stored)
                .await?;
        }
        Ok(MessagesPage {
            start: token(start),
            end,
            chunk,
            state,
        })
    }
}
