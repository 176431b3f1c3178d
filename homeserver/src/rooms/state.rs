//! The in-memory picture of a room that the next event is built on: its current state
//! (as PDUs, for authorization), forward extremities, depth and state group.

use std::{collections::HashMap, sync::Arc};

use ruma::{
    OwnedEventId, OwnedRoomId, OwnedUserId, RoomVersionId, events::StateEventType,
    room_version_rules::RoomVersionRules,
};

use super::{pdu::Pdu, pipeline::Turns};
use crate::{
    http::error::{Error, Result},
    storage::{EventStore, RoomStore, StateEntries, StorageError, Store},
};

pub struct RoomState {
    pub room_id: OwnedRoomId,
    pub version: RoomVersionId,
    pub rules: RoomVersionRules,
    /// Current state, keyed by `(type, state_key)`.
    pub state: HashMap<(StateEventType, String), Arc<Pdu>>,
    /// The same state as event IDs, in the form stored as state groups.
    pub entries: StateEntries,
    pub state_group: i64,
    pub chain_len: i64,
    pub extremities: Vec<OwnedEventId>,
    pub max_depth: i64,
    /// Joined and invited users, worked out again after a membership change.
    members: Option<Arc<Vec<OwnedUserId>>>,
    /// The order of the after-commit steps of events queued but perhaps not yet committed.
    pub turns: Turns,
}

/// The rules of a room version Hearth supports, or `M_UNSUPPORTED_ROOM_VERSION`.
pub fn version_rules(version: &RoomVersionId) -> Result<RoomVersionRules> {
    version.rules().ok_or_else(|| {
        Error::new(
            http::StatusCode::BAD_REQUEST,
            ruma::api::error::ErrorKind::UnsupportedRoomVersion,
            format!("Room version {version} is not supported"),
        )
    })
}

impl RoomState {
    /// A room with no events yet (the create event is about to be stored).
    pub fn empty(room_id: OwnedRoomId, version: RoomVersionId, rules: RoomVersionRules) -> Self {
        Self {
            room_id,
            version,
            rules,
            state: HashMap::new(),
            entries: StateEntries::new(),
            state_group: 0,
            chain_len: 0,
            extremities: vec![],
            max_depth: 0,
            members: None,
            turns: Turns::default(),
        }
    }

    /// Whether anyone may read the room's history (`m.room.history_visibility`).
    pub fn world_readable(&self) -> bool {
        self.get(&StateEventType::RoomHistoryVisibility, "")
            .and_then(|p| p.content_str("history_visibility"))
            .is_some_and(|h| h == "world_readable")
    }

    /// Loads a room from storage; `None` when Hearth does not know the room.
    pub async fn load(store: &Store, room_id: &OwnedRoomId) -> Result<Option<Self>> {
        let Some(record) = store.room(room_id.as_str()).await? else {
            return Ok(None);
        };
        let version = RoomVersionId::try_from(record.room_version.as_str())
            .map_err(|_| StorageError::Corrupt(format!("room version of {room_id}")))?;
        let rules = version_rules(&version)?;
        let (state_group, chain_len, max_depth) = store
            .room_head(room_id.as_str())
            .await?
            .ok_or_else(|| StorageError::Corrupt(format!("room {room_id} has no events")))?;
        let entries = store.current_state(room_id.as_str()).await?;
        let ids: Vec<String> = entries.values().cloned().collect();
        let mut state = HashMap::with_capacity(ids.len());
        for stored in store.events(&ids).await? {
            let pdu = parse_stored(room_id, stored.event_id, stored.json)?;
            let key = (
                StateEventType::from(pdu.kind.to_string()),
                pdu.state_key.clone().unwrap_or_default(),
            );
            state.insert(key, Arc::new(pdu));
        }
        let extremities = store
            .forward_extremities(room_id.as_str())
            .await?
            .into_iter()
            .filter_map(|id| OwnedEventId::try_from(id).ok())
            .collect();
        Ok(Some(Self {
            room_id: room_id.clone(),
            version,
            rules,
            state,
            entries,
            state_group,
            chain_len,
            extremities,
            max_depth,
            members: None,
            turns: Turns::default(),
        }))
    }

    pub fn get(&self, kind: &StateEventType, state_key: &str) -> Option<&Arc<Pdu>> {
        self.state.get(&(kind.clone(), state_key.to_owned()))
    }

    /// The current membership of `user_id` (`join`, `invite`, `leave`, `ban`, `knock`).
    pub fn membership(&self, user_id: &str) -> Option<String> {
        self.get(&StateEventType::RoomMember, user_id)?
            .content_str("membership")
    }

    /// A current state event by its ID (auth events are always current state when we build).
    pub fn by_event_id(&self, event_id: &ruma::EventId) -> Option<Arc<Pdu>> {
        self.state
            .values()
            .find(|pdu| pdu.event_id == event_id)
            .cloned()
    }

    /// Users who are joined or invited: whom a new event in the room concerns.
    pub fn joined_or_invited(&mut self) -> Arc<Vec<OwnedUserId>> {
        if let Some(members) = &self.members {
            return members.clone();
        }
        let members: Vec<OwnedUserId> = self
            .state
            .iter()
            .filter(|((kind, _), _)| *kind == StateEventType::RoomMember)
            .filter(|(_, pdu)| {
                matches!(
                    pdu.content_str("membership").as_deref(),
                    Some("join" | "invite")
                )
            })
            .filter_map(|((_, user), _)| OwnedUserId::try_from(user.as_str()).ok())
            .collect();
        let members = Arc::new(members);
        self.members = Some(members.clone());
        members
    }

    /// Makes `pdu` part of the current state.
    pub fn apply(&mut self, pdu: Arc<Pdu>) {
        if pdu.kind == ruma::events::TimelineEventType::RoomMember {
            self.members = None;
        }
        if let Some(state_key) = &pdu.state_key {
            let kind = pdu.kind.to_string();
            self.entries
                .insert((kind.clone(), state_key.clone()), pdu.event_id.to_string());
            self.state
                .insert((StateEventType::from(kind), state_key.clone()), pdu);
        }
    }
}

/// Parses a PDU read from storage; a PDU that no longer parses is corruption.
pub fn parse_stored(room_id: &OwnedRoomId, event_id: String, json: String) -> Result<Pdu> {
    let event_id =
        OwnedEventId::try_from(event_id).map_err(|e| StorageError::Corrupt(e.to_string()))?;
    Ok(Pdu::parse(event_id, room_id.clone(), json).map_err(StorageError::Corrupt)?)
}
