//! A PDU as Hearth holds it: the signed JSON exactly as created or received, plus the
//! parsed fields that authorization and clients need.

use std::{collections::HashMap, sync::OnceLock};

use ruma::{
    CanonicalJsonObject, CanonicalJsonValue, MilliSecondsSinceUnixEpoch, OwnedEventId, OwnedRoomId,
    OwnedUserId, RoomId, UInt, UserId, canonical_json::redact_content_in_place,
    events::TimelineEventType, room_version_rules::RoomVersionRules,
};
use serde::Deserialize;
use serde_json::{Map, Value as JsonValue, value::RawValue as RawJsonValue};

#[derive(Deserialize)]
struct Fields {
    room_id: Option<OwnedRoomId>,
    sender: OwnedUserId,
    origin_server_ts: MilliSecondsSinceUnixEpoch,
    #[serde(rename = "type")]
    kind: TimelineEventType,
    content: Box<RawJsonValue>,
    state_key: Option<String>,
    #[serde(default)]
    prev_events: Vec<OwnedEventId>,
    #[serde(default)]
    auth_events: Vec<OwnedEventId>,
    redacts: Option<OwnedEventId>,
    depth: UInt,
}

#[derive(Deserialize)]
struct RedactsInContent {
    redacts: Option<OwnedEventId>,
}

#[derive(Debug)]
pub struct Pdu {
    pub event_id: OwnedEventId,
    /// The room the event belongs to (for a v12 create event, derived from its hash).
    pub room_id: OwnedRoomId,
    /// Whether the PDU itself carries `room_id` (all but v12 create events).
    room_id_in_pdu: bool,
    pub sender: OwnedUserId,
    pub origin_server_ts: MilliSecondsSinceUnixEpoch,
    pub kind: TimelineEventType,
    pub content: Box<RawJsonValue>,
    pub state_key: Option<String>,
    pub prev_events: Vec<OwnedEventId>,
    pub auth_events: Vec<OwnedEventId>,
    /// The redacted event: top-level `redacts` before v11, `content.redacts` since.
    pub redacts: Option<OwnedEventId>,
    pub depth: UInt,
    /// The full signed PDU, in canonical JSON.
    pub json: String,
    /// The content's top-level string fields, parsed on first use: a room's state events
    /// stay in memory and their `membership`, `displayname`, … are read on every send.
    strings: OnceLock<HashMap<String, String>>,
}

impl Pdu {
    /// Parses a stored or freshly built PDU.
    pub fn parse(
        event_id: OwnedEventId,
        room_id: OwnedRoomId,
        json: String,
    ) -> Result<Self, String> {
        let fields: Fields =
            serde_json::from_str(&json).map_err(|e| format!("invalid PDU {event_id}: {e}"))?;
        let redacts = match fields.redacts {
            Some(id) => Some(id),
            None => serde_json::from_str::<RedactsInContent>(fields.content.get())
                .ok()
                .and_then(|c| c.redacts),
        };
        Ok(Self {
            event_id,
            room_id_in_pdu: fields.room_id.is_some(),
            room_id: fields.room_id.unwrap_or(room_id),
            sender: fields.sender,
            origin_server_ts: fields.origin_server_ts,
            kind: fields.kind,
            content: fields.content,
            state_key: fields.state_key,
            prev_events: fields.prev_events,
            auth_events: fields.auth_events,
            redacts,
            depth: fields.depth,
            json,
            strings: OnceLock::new(),
        })
    }

    pub fn is_state(&self) -> bool {
        self.state_key.is_some()
    }

    /// The content as a JSON value.
    pub fn content_value(&self) -> JsonValue {
        serde_json::from_str(self.content.get()).unwrap_or(JsonValue::Object(Map::new()))
    }

    /// A string field of the content, e.g. `membership`.
    pub fn content_str(&self, key: &str) -> Option<String> {
        self.strings
            .get_or_init(|| {
                serde_json::from_str::<HashMap<String, JsonValue>>(self.content.get())
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|(k, v)| match v {
                        JsonValue::String(s) => Some((k, s)),
                        _ => None,
                    })
                    .collect()
            })
            .get(key)
            .cloned()
    }

    /// The event in the Client-Server format. `redacted_because` (the redaction, already in
    /// client format) strips the content to what the room version's redaction rules keep.
    pub fn to_client(
        &self,
        rules: &RoomVersionRules,
        redacted_because: Option<JsonValue>,
        mut unsigned: Map<String, JsonValue>,
    ) -> JsonValue {
        let mut content = self.content_value();
        if redacted_because.is_some()
            && let Ok(CanonicalJsonValue::Object(mut object)) =
                CanonicalJsonValue::try_from(content.clone())
        {
            redact_content_in_place(&mut object, &rules.redaction, self.kind.to_string());
            content = serde_json::to_value(object).unwrap_or_default();
        }
        let mut event = Map::new();
        event.insert("event_id".into(), self.event_id.as_str().into());
        event.insert("type".into(), self.kind.to_string().into());
        event.insert("sender".into(), self.sender.as_str().into());
        event.insert(
            "origin_server_ts".into(),
            JsonValue::from(u64::from(self.origin_server_ts.0)),
        );
        event.insert("room_id".into(), self.room_id.as_str().into());
        event.insert("content".into(), content);
        if let Some(state_key) = &self.state_key {
            event.insert("state_key".into(), state_key.as_str().into());
        }
        if let Some(redacts) = &self.redacts
            && redacted_because.is_none()
        {
            event.insert("redacts".into(), redacts.as_str().into());
        }
        let age = crate::storage::now_ms() - i64::from(self.origin_server_ts.0);
        unsigned.insert("age".into(), JsonValue::from(age.max(0)));
        if let Some(because) = redacted_because {
            unsigned.insert("redacted_because".into(), because);
        }
        event.insert("unsigned".into(), JsonValue::Object(unsigned));
        JsonValue::Object(event)
    }

    /// The PDU as canonical JSON (for re-verification and, later, federation).
    pub fn canonical(&self) -> Option<CanonicalJsonObject> {
        serde_json::from_str(&self.json).ok()
    }
}

impl ruma::state_res::Event for Pdu {
    type Id = OwnedEventId;

    fn event_id(&self) -> &Self::Id {
        &self.event_id
    }

    fn room_id(&self) -> Option<&RoomId> {
        self.room_id_in_pdu.then_some(&*self.room_id)
    }

    fn sender(&self) -> &UserId {
        &self.sender
    }

    fn origin_server_ts(&self) -> MilliSecondsSinceUnixEpoch {
        self.origin_server_ts
    }

    fn event_type(&self) -> &TimelineEventType {
        &self.kind
    }

    fn content(&self) -> &RawJsonValue {
        &self.content
    }

    fn state_key(&self) -> Option<&str> {
        self.state_key.as_deref()
    }

    fn prev_events(&self) -> Box<dyn DoubleEndedIterator<Item = &Self::Id> + '_> {
        Box::new(self.prev_events.iter())
    }

    fn auth_events(&self) -> Box<dyn DoubleEndedIterator<Item = &Self::Id> + '_> {
        Box::new(self.auth_events.iter())
    }

    fn redacts(&self) -> Option<&Self::Id> {
        self.redacts.as_ref()
    }

    fn rejected(&self) -> bool {
        // Rejected events are never stored.
        false
    }
}
