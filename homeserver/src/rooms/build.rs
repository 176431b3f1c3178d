//! Building the room's next event exactly as federation would see it: prev_events from the
//! forward extremities, auth_events per the spec, depth, content hash, reference-hash event
//! ID and our signature. Then the room version's authorization rules, then one transaction.

use std::sync::Arc;

use http::StatusCode;
use ruma::{
    CanonicalJsonValue, OwnedEventId, OwnedRoomId, UserId,
    api::error::ErrorKind,
    events::{
        StateEventType, TimelineEventType,
        room::power_levels::{RoomPowerLevels, RoomPowerLevelsEventContent},
    },
    signatures::reference_hash,
    state_res::{
        auth_types_for_event, check_state_dependent_auth_rules, check_state_independent_auth_rules,
        events::RoomCreateEvent,
    },
};
use serde_json::{Value as JsonValue, json, value::to_raw_value};

use super::{Rooms, pdu::Pdu, pipeline::Turn, state::RoomState};
use crate::{
    http::error::{Error, Result},
    storage::{
        EventComing, EventStore, NewEvent, NewRoom, Persisted, PushActions, QueuedEvent,
        StateUpdate, StorageError, StoredEvent, now_ms,
    },
    sync::streams::Allocation,
};

/// Largest PDU the spec allows, in bytes of canonical JSON.
pub const MAX_PDU_BYTES: usize = 65_536;
/// At most this many `prev_events` per event.
const MAX_PREV_EVENTS: usize = 10;
/// How long the echo of a message may wait to wake its sender.
const ECHO_DELAY: std::time::Duration = std::time::Duration::from_millis(50);

/// What a caller wants to say; the builder adds everything else.
#[derive(Debug, Clone)]
pub struct EventDraft {
    pub kind: TimelineEventType,
    pub content: JsonValue,
    pub state_key: Option<String>,
    pub redacts: Option<OwnedEventId>,
}

impl EventDraft {
    pub fn state(kind: StateEventType, state_key: &str, content: JsonValue) -> Self {
        Self {
            kind: kind.to_string().into(),
            content,
            state_key: Some(state_key.to_owned()),
            redacts: None,
        }
    }

    pub fn message(kind: TimelineEventType, content: JsonValue) -> Self {
        Self {
            kind,
            content,
            state_key: None,
            redacts: None,
        }
    }
}

fn too_large() -> Error {
    Error::too_large("Event is larger than 65536 bytes")
}

use crate::storage::TxnKey as Txn;

impl Rooms {
    /// Builds, authorizes and stores an event in a locked room.
    pub(super) async fn append(
        &self,
        room: &mut RoomState,
        sender: &UserId,
        draft: EventDraft,
        txn: Option<Txn<'_>>,
    ) -> Result<Arc<Pdu>> {
        let pdu = self.build(Some(&*room), &room.room_id, &room.rules, sender, draft)?;
        authorize(room, &pdu)?;
        self.persist(room, pdu, txn, None).await
    }

    /// Builds, authorizes and queues a message in a locked room; the caller may unlock the
    /// room before waiting for the commit. `coming` announced the event to the SQLite writer;
    /// it is dropped as the event is queued.
    pub(super) async fn append_queued(
        &self,
        room: &mut RoomState,
        sender: &UserId,
        draft: EventDraft,
        txn: Option<Txn<'_>>,
        coming: Option<EventComing>,
    ) -> Result<Committing> {
        debug_assert!(
            draft.state_key.is_none(),
            "state events wait for their commit"
        );
        let pdu = self.build(Some(&*room), &room.room_id, &room.rules, sender, draft)?;
        authorize(room, &pdu)?;
        self.stage(room, pdu, txn, None, coming).await
    }

    /// Signs a new PDU. `room` is `None` only for a create event.
    pub(super) fn build(
        &self,
        room: Option<&RoomState>,
        room_id: &OwnedRoomId,
        rules: &ruma::room_version_rules::RoomVersionRules,
        sender: &UserId,
        mut draft: EventDraft,
    ) -> Result<Pdu> {
        if !draft.content.is_object() {
            return Err(Error::bad_json("Event content must be a JSON object"));
        }
        let content_raw =
            to_raw_value(&draft.content).map_err(|_| Error::bad_json("Invalid content"))?;
        if content_raw.get().len() > MAX_PDU_BYTES {
            return Err(too_large());
        }
        let auth_types = auth_types_for_event(
            &draft.kind,
            sender,
            draft.state_key.as_deref(),
            &content_raw,
            &rules.authorization,
        )
        .map_err(|e| Error::bad_json(format!("Invalid event content: {e}")))?;
        let mut auth_events: Vec<String> = room
            .map(|room| {
                auth_types
                    .iter()
                    .filter_map(|(kind, key)| room.get(kind, key))
                    .map(|pdu| pdu.event_id.to_string())
                    .collect()
            })
            .unwrap_or_default();
        auth_events.sort();
        auth_events.dedup();
        let (prev_events, depth) = match room {
            Some(room) => {
                let start = room.extremities.len().saturating_sub(MAX_PREV_EVENTS);
                let prev: Vec<String> = room.extremities[start..]
                    .iter()
                    .map(ToString::to_string)
                    .collect();
                (prev, room.max_depth + 1)
            }
            None => (vec![], 1),
        };
        if let Some(redacts) = &draft.redacts
            && rules.redaction.content_field_redacts
        {
            draft.content["redacts"] = json!(redacts);
        }
        let is_create = draft.kind == TimelineEventType::RoomCreate;
        let mut pdu = json!({
            "auth_events": auth_events,
            "content": draft.content,
            "depth": depth,
            "origin_server_ts": now_ms(),
            "prev_events": prev_events,
            "sender": sender,
            "type": draft.kind.to_string(),
        });
        if !(is_create && rules.authorization.room_create_event_id_as_room_id) {
            pdu["room_id"] = json!(room_id);
        }
        if let Some(state_key) = &draft.state_key {
            pdu["state_key"] = json!(state_key);
        }
        if let Some(redacts) = &draft.redacts
            && !rules.redaction.content_field_redacts
        {
            pdu["redacts"] = json!(redacts);
        }
        let Ok(CanonicalJsonValue::Object(mut object)) = CanonicalJsonValue::try_from(pdu) else {
            return Err(Error::bad_json(
                "Event content is not canonical JSON (floats or out-of-range integers)",
            ));
        };
        self.signing_key()
            .hash_and_sign_event(self.server_name().as_str(), &mut object, &rules.redaction)
            .map_err(|e| {
                if e.to_string().contains("too large") {
                    too_large()
                } else {
                    sign_error(e)
                }
            })?;
        let json = serde_json::to_string(&object).map_err(|_| Error::internal())?;
        if json.len() > MAX_PDU_BYTES {
            return Err(too_large());
        }
        let hash = reference_hash(&object, rules).map_err(|_| too_large())?;
        let event_id = OwnedEventId::try_from(format!("${hash}")).map_err(|_| Error::internal())?;
        let room_id = if is_create && rules.authorization.room_create_event_id_as_room_id {
            OwnedRoomId::try_from(format!("!{hash}")).map_err(|_| Error::internal())?
        } else {
            room_id.clone()
        };
        Pdu::parse(event_id, room_id, json).map_err(Error::bad_json)
    }

    /// Stores an authorized event and makes it the room's new head, holding the room until
    /// it committed (state events: the next event needs the state group it gets).
    pub(super) async fn persist(
        &self,
        room: &mut RoomState,
        pdu: Pdu,
        txn: Option<Txn<'_>>,
        new_room: Option<NewRoom<'_>>,
    ) -> Result<Arc<Pdu>> {
        // Messages queued before must commit first: this write may not go through the queue.
        room.turns.idle().await;
        let (pdu, persisted) = self
            .stage(room, pdu, txn, new_room, None)
            .await?
            .committed()
            .await?;
        room.state_group = persisted.state_group;
        if let Some(chain_len) = persisted.chain_len {
            room.chain_len = chain_len;
        }
        room.apply(pdu.clone());
        Ok(pdu)
    }

    /// Queues an authorized event and makes it the room's head at once, so the next event
    /// can be built on it while it commits (see pipeline.rs). Unless the caller waits for
    /// the commit before building again, only for events that leave the state as it is.
    pub(super) async fn stage(
        &self,
        room: &mut RoomState,
        pdu: Pdu,
        txn: Option<Txn<'_>>,
        new_room: Option<NewRoom<'_>>,
        coming: Option<EventComing>,
    ) -> Result<Committing> {
        let kind = pdu.kind.to_string();
        let content = pdu.content_value();
        let mut full_state = None;
        let replaces_state = pdu
            .state_key
            .as_ref()
            .and_then(|key| room.entries.get(&(kind.clone(), key.clone())))
            .cloned();
        if let Some(state_key) = &pdu.state_key {
            let mut entries = room.entries.clone();
            entries.insert((kind.clone(), state_key.clone()), pdu.event_id.to_string());
            full_state = Some(entries);
        }
        let relates = content.get("m.relates_to");
        let rel_type = relates
            .and_then(|r| r.get("rel_type"))
            .and_then(JsonValue::as_str);
        let relates_to = relates
            .and_then(|r| r.get("event_id"))
            .and_then(JsonValue::as_str);
        let membership = (pdu.kind == TimelineEventType::RoomMember)
            .then(|| content.get("membership").and_then(JsonValue::as_str))
            .flatten();
        let prev_events: Vec<String> = room.extremities.iter().map(ToString::to_string).collect();
        let event_id = pdu.event_id.to_string();
        let redacts = pdu.redacts.as_ref().map(ToString::to_string);
        let contains_url = content.get("url").is_some_and(JsonValue::is_string);
        let push = self.push_actions(room, &pdu).await?;
        let position = self.inner.streams.events.allocate(1);
        drop(coming);
        let queued = self
            .store()
            .queue_event(&NewEvent {
                stream_ordering: position.first(),
                event_id: &event_id,
                room_id: pdu.room_id.as_str(),
                kind: &kind,
                state_key: pdu.state_key.as_deref(),
                sender: pdu.sender.as_str(),
                origin_server_ts: i64::from(pdu.origin_server_ts.0),
                depth: i64::from(pdu.depth),
                json: &pdu.json,
                rel_type,
                replaces_state: replaces_state.as_deref(),
                relates_to,
                contains_url,
                prev_events: &prev_events,
                state: full_state.as_ref().map(|full| StateUpdate {
                    prev_group: new_room.is_none().then_some(room.state_group),
                    prev_chain_len: room.chain_len,
                    entry: (&kind, pdu.state_key.as_deref().unwrap_or_default()),
                    full_state: full,
                }),
                current_group: room.state_group,
                membership,
                txn,
                redacts: redacts.as_deref(),
                search: search_text(&kind, &content),
                new_room,
                push: &push,
            })
            .await?;
        if let QueuedEvent::Written(Err(err)) = queued {
            // Written at once and refused: the room's head stays where it was.
            return Err(err.into());
        }
        room.extremities = vec![pdu.event_id.clone()];
        room.max_depth = i64::from(pdu.depth);
        // Members see it; so does the target of a membership change (a kicked user, say).
        let mut wake = room.joined_or_invited().as_ref().clone();
        let target = membership.and(pdu.state_key.as_deref());
        if let Some(target) = target.and_then(|k| ruma::OwnedUserId::try_from(k).ok()) {
            wake.push(target);
        }
        // The sender's device has its answer; the echo of a message can wait for the
        // sender's next wake-up. State changes are not deferred: they change what the
        // sender's client may do next.
        let echo = (pdu.state_key.is_none() && wake.contains(&pdu.sender)).then(|| {
            wake.retain(|user| *user != pdu.sender);
            pdu.sender.clone()
        });
        let after = AfterCommit {
            rooms: self.clone(),
            rules: room.rules.clone(),
            turn: room.turns.take(),
            position,
            kind,
            replaces_state,
            relates_to: relates_to.map(str::to_owned),
            redacts,
            contains_url,
            txn: txn.map(|t| (t.device_id.to_owned(), t.txn_id.to_owned())),
            member: target.map(str::to_owned),
            push,
            wake,
            echo,
        };
        let pdu = Arc::new(pdu);
        let task = tokio::spawn(after.run(queued, pdu.clone()));
        Ok(Committing { pdu, task })
    }
}

/// An event on its way into storage.
pub(super) struct Committing {
    pdu: Arc<Pdu>,
    task: tokio::task::JoinHandle<Result<Persisted, StorageError>>,
}

impl Committing {
    /// Waits until the event committed and everyone it concerns can see it.
    pub async fn committed(self) -> Result<(Arc<Pdu>, Persisted), StorageError> {
        let persisted = self
            .task
            .await
            .map_err(|e| StorageError::Corrupt(format!("after-commit task failed: {e}")))??;
        Ok((self.pdu, persisted))
    }
}

/// What must happen once an event committed, in its room's order: the room tail, unread
/// counts and recent-changes index learn of it, then its stream position becomes visible.
struct AfterCommit {
    rooms: Rooms,
    rules: ruma::room_version_rules::RoomVersionRules,
    turn: Turn,
    position: Allocation,
    kind: String,
    replaces_state: Option<String>,
    relates_to: Option<String>,
    redacts: Option<String>,
    contains_url: bool,
    /// `(device_id, txn_id)` of the send.
    txn: Option<(String, String)>,
    /// The target of a membership change.
    member: Option<String>,
    push: Vec<PushActions>,
    wake: Vec<ruma::OwnedUserId>,
    /// The sender of a message, woken for it after [`ECHO_DELAY`].
    echo: Option<ruma::OwnedUserId>,
}

impl AfterCommit {
    async fn run(self, queued: QueuedEvent, pdu: Arc<Pdu>) -> Result<Persisted, StorageError> {
        let written = queued.written().await;
        self.turn.wait().await;
        let persisted = match written {
            Ok(persisted) => persisted,
            Err(err) => {
                // The position is given up when `self.position` drops.
                self.turn.mark_stale();
                return Err(err);
            }
        };
        let inner = &self.rooms.inner;
        let room_id = pdu.room_id.as_str();
        inner.unread.add(room_id, &self.push);
        let event = StoredEvent {
            stream_ordering: persisted.stream_ordering,
            event_id: pdu.event_id.to_string(),
            room_id: room_id.to_owned(),
            json: pdu.json.clone(),
            redacted_by: None,
            state_group: persisted.state_group,
            replaces_state: self.replaces_state,
        };
        if super::client_cache::is_plain(&event) {
            // Every member's next sync reads it: in the client-format cache before they wake.
            let client = pdu.to_client(&self.rules, None, serde_json::Map::new());
            inner.client_events.put(
                event.event_id.clone(),
                Arc::new(super::client_cache::ClientEvent::new(client)),
            );
        }
        inner.tails.append(super::tail::Appended {
            event,
            kind: &self.kind,
            sender: pdu.sender.as_str(),
            contains_url: self.contains_url,
            relates_to: self.relates_to.as_deref(),
            redacts: self.redacts.as_deref(),
            txn: self.txn.as_ref().map(|(d, t)| (d.as_str(), t.as_str())),
        });
        inner.streams.recent.record(
            persisted.stream_ordering,
            room_id,
            pdu.state_key.is_some(),
            self.member.as_deref(),
        );
        self.position
            .finish_waking_later(self.wake, self.echo.into_iter().collect(), ECHO_DELAY);
        Ok(persisted)
    }
}

/// The text of an event that full-text search indexes, with its key.
fn search_text<'a>(kind: &str, content: &'a JsonValue) -> Option<(&'static str, &'a str)> {
    let text = match kind {
        "m.room.name" => ("content.name", content.get("name")?),
        "m.room.topic" => ("content.topic", content.get("topic")?),
        // Any message-like event with a body: messages, stickers, and extensible events
        // (polls) through their `m.text` fallback.
        _ => {
            let body = content
                .get("body")
                .or_else(|| content.get("m.text")?.get(0)?.get("body"))
                .or_else(|| {
                    content
                        .get("m.poll")?
                        .get("question")?
                        .get("m.text")?
                        .get(0)?
                        .get("body")
                })
                .or_else(|| {
                    content
                        .get("org.matrix.msc3381.poll.start")?
                        .get("question")?
                        .get("body")
                })?;
            ("content.body", body)
        }
    };
    text.1
        .as_str()
        .filter(|t| !t.is_empty())
        .map(|t| (text.0, t))
}

fn sign_error(e: impl std::fmt::Display) -> Error {
    tracing::error!(error = %e, "cannot sign event");
    Error::internal()
}

/// Runs the room version's authorization rules against the room's current state.
pub fn authorize(room: &RoomState, pdu: &Pdu) -> Result<()> {
    let rules = &room.rules.authorization;
    let fetch_event =
        |id: &ruma::EventId| room.state.values().find(|p| p.event_id == id).map(|p| &**p);
    check_state_independent_auth_rules(rules, pdu, fetch_event).map_err(rejected)?;
    let fetch_state = |kind: &StateEventType, key: &str| room.get(kind, key).map(|p| &**p);
    check_state_dependent_auth_rules(rules, pdu, fetch_state).map_err(rejected)?;
    Ok(())
}

fn rejected(reason: String) -> Error {
    tracing::debug!(%reason, "event rejected by the authorization rules");
    Error::new(
        StatusCode::FORBIDDEN,
        ErrorKind::Forbidden,
        format!("Not allowed: {reason}"),
    )
}

/// The room's power levels as the room version interprets them (with v12 creators).
pub fn power_levels(room: &RoomState) -> RoomPowerLevels {
    let content = room
        .get(&StateEventType::RoomPowerLevels, "")
        .and_then(|pdu| {
            serde_json::from_str::<RoomPowerLevelsEventContent>(pdu.content.get()).ok()
        });
    let creators: Vec<ruma::OwnedUserId> = room
        .get(&StateEventType::RoomCreate, "")
        .and_then(|create| {
            RoomCreateEvent::new(&**create)
                .creators(&room.rules.authorization)
                .ok()
        })
        .map(|set| set.into_iter().collect())
        .unwrap_or_default();
    RoomPowerLevels::new(content.into(), &room.rules.authorization, creators)
}
