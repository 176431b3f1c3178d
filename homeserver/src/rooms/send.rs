//! Sending: message events (idempotent per device and transaction ID), state events and
//! redactions.

use http::StatusCode;
use std::sync::Arc;

use ruma::{
    EventId, OwnedEventId, OwnedUserId, RoomAliasId, RoomId, UserId,
    api::error::ErrorKind,
    events::{StateEventType, TimelineEventType},
};
use serde_json::{Value as JsonValue, json};

use tokio::sync::OwnedMutexGuard;

use super::{
    EventDraft, Rooms,
    build::power_levels,
    not_in_room,
    state::{RoomState, parse_stored},
};
use crate::{
    accounts::Sender,
    http::error::{Error, Result},
    storage::{EventStore, RoomStore, StorageError, TxnKey, now_ms},
};

/// How often a send builds its event again after events queued before it failed.
const MAX_REBUILDS: u32 = 5;

fn txn_key<'a>(sender: &'a Sender, scope: &'a str, txn_id: &'a str) -> TxnKey<'a> {
    TxnKey {
        user_id: sender.user_id.as_str(),
        device_id: sender.device_id.as_str(),
        scope,
        txn_id,
    }
}

impl Rooms {
    /// For requests only joined members may make (typing, receipts): the room's joined
    /// and invited users, whom the change concerns; `M_FORBIDDEN` for anyone else.
    pub async fn members_if_joined(
        &self,
        user_id: &UserId,
        room_id: &RoomId,
    ) -> Result<Arc<Vec<OwnedUserId>>> {
        let mut guard = self.lock_known(room_id, not_in_room).await?;
        let room = guard.as_mut().expect("known room");
        if room.membership(user_id.as_str()).as_deref() != Some("join") {
            return Err(not_in_room());
        }
        Ok(room.joined_or_invited())
    }

    /// Locks a room for a request by one of its joined members.
    async fn lock_joined(
        &self,
        sender: &Sender,
        room_id: &RoomId,
    ) -> Result<OwnedMutexGuard<Option<RoomState>>> {
        let guard = self.lock_known(room_id, not_in_room).await?;
        let room = guard.as_ref().expect("known room");
        if room.membership(sender.user_id.as_str()).as_deref() != Some("join") {
            return Err(not_in_room());
        }
        Ok(guard)
    }

    /// Runs a transactional request. A retry is caught by the unique key on `event_txns`
    /// inside the write (so first attempts cost no lookup); when an attempt fails, an
    /// earlier attempt's event, if any, is the answer.
    async fn idempotent(
        &self,
        txn: &TxnKey<'_>,
        attempt: impl std::future::Future<Output = Result<OwnedEventId>>,
    ) -> Result<OwnedEventId> {
        match attempt.await {
            Ok(event_id) => Ok(event_id),
            Err(err) => self.stored_txn_event(txn).await?.ok_or(err),
        }
    }

    /// The event an earlier attempt of this transaction stored, if any.
    async fn stored_txn_event(&self, txn: &TxnKey<'_>) -> Result<Option<OwnedEventId>> {
        self.store()
            .txn_event(txn)
            .await?
            .map(|id| OwnedEventId::try_from(id).map_err(|_| Error::internal()))
            .transpose()
    }

    /// `PUT /rooms/{roomId}/send/{eventType}/{txnId}`.
    pub async fn send_message(
        &self,
        sender: &Sender,
        room_id: &RoomId,
        kind: TimelineEventType,
        content: JsonValue,
        txn_id: &str,
    ) -> Result<OwnedEventId> {
        let scope = format!("send/{room_id}/{kind}");
        let txn = txn_key(sender, &scope, txn_id);
        self.idempotent(&txn, async {
            let mut retries = 0;
            loop {
                let committing = {
                    // Announced before waiting for the room: another send of the room is
                    // being built, and this one follows it within moments.
                    let coming = self.store().event_coming();
                    let mut guard = self.lock_joined(sender, room_id).await?;
                    let room = guard.as_mut().expect("known room");
                    let draft = EventDraft::message(kind.clone(), content.clone());
                    self.append_queued(room, &sender.user_id, draft, Some(txn), coming)
                        .await?
                };
                // The room is free for the next send while this one commits.
                match committing.committed().await {
                    Ok((pdu, _)) => return Ok(pdu.event_id.clone()),
                    // An event queued before it failed, so it could not be written. If it
                    // was a replay whose first attempt did land, that is the answer;
                    // otherwise build it again on the reloaded room.
                    Err(StorageError::Aborted) if retries < MAX_REBUILDS => {
                        if let Some(event_id) = self.stored_txn_event(&txn).await? {
                            return Ok(event_id);
                        }
                        retries += 1;
                    }
                    Err(err) => return Err(err.into()),
                }
            }
        })
        .await
    }

    /// `PUT /rooms/{roomId}/state/{eventType}/{stateKey}`. Sending the current content
    /// again returns the current event instead of a duplicate.
    pub async fn send_state(
        &self,
        sender: &Sender,
        room_id: &RoomId,
        kind: StateEventType,
        state_key: &str,
        content: JsonValue,
    ) -> Result<OwnedEventId> {
        if kind == StateEventType::RoomCanonicalAlias {
            self.check_canonical_alias(room_id, &content).await?;
        }
        let mut guard = self.lock_known(room_id, not_in_room).await?;
        let room = guard.as_mut().expect("known room");
        if room.membership(sender.user_id.as_str()).as_deref() != Some("join")
            && kind != StateEventType::RoomMember
        {
            return Err(not_in_room());
        }
        if let Some(current) = room.get(&kind, state_key)
            && current.sender == sender.user_id
            && current.content_value() == content
        {
            return Ok(current.event_id.clone());
        }
        let pdu = self
            .append(
                room,
                &sender.user_id,
                EventDraft::state(kind, state_key, content),
                None,
            )
            .await?;
        Ok(pdu.event_id.clone())
    }

    /// Every alias in `m.room.canonical_alias` must exist and point to this room.
    async fn check_canonical_alias(&self, room_id: &RoomId, content: &JsonValue) -> Result<()> {
        let bad_alias = |why: &str| Error::new(StatusCode::BAD_REQUEST, ErrorKind::BadAlias, why);
        let mut aliases: Vec<&JsonValue> = content
            .get("alt_aliases")
            .and_then(JsonValue::as_array)
            .map(|a| a.iter().collect())
            .unwrap_or_default();
        if let Some(alias) = content.get("alias") {
            aliases.push(alias);
        }
        for alias in aliases {
            let alias = alias
                .as_str()
                .and_then(|a| <&RoomAliasId>::try_from(a).ok())
                .ok_or_else(|| {
                    Error::invalid_param("Invalid room alias in m.room.canonical_alias")
                })?;
            if alias.server_name() != self.server_name() {
                // Remote aliases are checked once federation can ask their servers.
                continue;
            }
            match self.store().alias(alias.as_str()).await? {
                Some((target, _)) if target == room_id.as_str() => {}
                _ => return Err(bad_alias("The alias does not point to this room")),
            }
        }
        Ok(())
    }

    /// `PUT /rooms/{roomId}/redact/{eventId}/{txnId}`: one's own events, or anyone's with the
    /// power to redact. `window_ms` optionally limits how long after sending one may recall.
    pub async fn redact(
        &self,
        sender: &Sender,
        room_id: &RoomId,
        event_id: &EventId,
        reason: Option<&str>,
        txn_id: &str,
        window_ms: Option<i64>,
    ) -> Result<OwnedEventId> {
        let scope = format!("redact/{room_id}/{event_id}");
        let txn = txn_key(sender, &scope, txn_id);
        self.idempotent(&txn, async {
            let mut guard = self.lock_joined(sender, room_id).await?;
            let room = guard.as_mut().expect("known room");
            let target = self
                .store()
                .event(event_id.as_str())
                .await?
                .filter(|e| e.room_id == room_id.as_str())
                .ok_or_else(|| Error::not_found("Event not found"))?;
            let target = parse_stored(&room.room_id, target.event_id, target.json)?;
            let levels = power_levels(room);
            let allowed = if target.sender == sender.user_id {
                let in_window =
                    window_ms.is_none_or(|w| now_ms() - i64::from(target.origin_server_ts.0) <= w);
                if !in_window && !levels.user_can_redact_event_of_other(&sender.user_id) {
                    return Err(Error::forbidden("Too late to redact this event"));
                }
                levels.user_can_redact_own_event(&sender.user_id)
            } else {
                levels.user_can_redact_event_of_other(&sender.user_id)
            };
            if !allowed {
                return Err(Error::forbidden("You may not redact this event"));
            }
            let content = match reason {
                Some(reason) => json!({ "reason": reason }),
                None => json!({}),
            };
            let draft = EventDraft {
                kind: TimelineEventType::RoomRedaction,
                content,
                state_key: None,
                redacts: Some(event_id.to_owned()),
            };
            let pdu = self.append(room, &sender.user_id, draft, Some(txn)).await?;
            Ok(pdu.event_id.clone())
        })
        .await
    }

    /// Publishes or unpublishes a room in the directory; needs the power to send
    /// `m.room.canonical_alias` (as Synapse does).
    pub async fn set_published(
        &self,
        sender: &Sender,
        room_id: &RoomId,
        published: bool,
    ) -> Result<()> {
        let guard = self
            .lock_known(room_id, || Error::not_found("Room not found"))
            .await?;
        let room = guard.as_ref().expect("known room");
        let levels = power_levels(room);
        if !levels.user_can_send_state(&sender.user_id, StateEventType::RoomCanonicalAlias) {
            return Err(Error::forbidden(
                "You may not change this room's directory visibility",
            ));
        }
        self.store()
            .set_room_published(room_id.as_str(), published)
            .await?;
        Ok(())
    }
}
