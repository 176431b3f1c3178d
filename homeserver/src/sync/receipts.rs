//! Receipts (`m.read`, `m.read.private`, threaded or not), the fully-read marker, and
//! Hearth's delivery receipts (`org.hearth.delivered`, see docs/delivery-receipts.md).
//!
//! Delivery is known exactly: each device remembers, per room, the newest event from
//! someone else that a response handed it, with that response's `next_batch`. When the
//! device later syncs from that token (or acknowledges it on the WebSocket) the events were
//! received. Those receipts are written in batches, so a busy room costs a few writes a
//! second rather than one per message and reader.

use std::{collections::HashMap, sync::Mutex, time::Duration};

use ruma::{OwnedUserId, RoomId, UserId};
use serde_json::json;
use tokio::sync::Notify;

use super::{SyncEngine, streams::Allocation};
use crate::{
    http::error::{Error, Result},
    storage::{EventStore, Receipt, ReceiptStore, now_ms},
};

/// The unstable receipt type of delivery receipts.
pub const DELIVERED: &str = "org.hearth.delivered";
/// How long delivery receipts gather before they are written.
const DELIVERY_BATCH: Duration = Duration::from_millis(50);

/// `(user, device) -> room -> (event_id, event position, next_batch events position)`.
type Handed = HashMap<(OwnedUserId, String), HashMap<String, (String, i64, i64)>>;

#[derive(Default)]
pub struct Deliveries {
    handed: Mutex<Handed>,
    /// `(room, user) -> (event_id, event position)` waiting to be written.
    due: Mutex<HashMap<(String, OwnedUserId), (String, i64)>>,
    wake: Notify,
}

impl Deliveries {
    /// A response handed `events` (room, event, position; others' events only) to a device;
    /// it resumes from `next_batch` events position.
    pub fn handed(
        &self,
        user_id: &UserId,
        device_id: &str,
        events: Vec<(String, String, i64)>,
        next_batch: i64,
    ) {
        if events.is_empty() {
            return;
        }
        let mut handed = self.handed.lock().unwrap_or_else(|e| e.into_inner());
        let rooms = handed
            .entry((user_id.to_owned(), device_id.to_owned()))
            .or_default();
        for (room, event_id, position) in events {
            rooms.insert(room, (event_id, position, next_batch));
        }
    }

    /// The device resumed from (or acknowledged) events position `since`: everything handed
    /// with a `next_batch` at or below it was received.
    pub fn acknowledged(&self, user_id: &UserId, device_id: &str, since: i64) {
        let received: Vec<(String, (String, i64, i64))> = {
            let mut handed = self.handed.lock().unwrap_or_else(|e| e.into_inner());
            let key = (user_id.to_owned(), device_id.to_owned());
            let Some(rooms) = handed.get_mut(&key) else {
                return;
            };
            let done: Vec<String> = rooms
                .iter()
                .filter(|(_, (_, _, batch))| *batch <= since)
                .map(|(room, _)| room.clone())
                .collect();
            let received = done
                .into_iter()
                .filter_map(|room| rooms.remove_entry(&room))
                .collect();
            if rooms.is_empty() {
                handed.remove(&key);
            }
            received
        };
        if received.is_empty() {
            return;
        }
        let mut due = self.due.lock().unwrap_or_else(|e| e.into_inner());
        for (room, (event_id, position, _)) in received {
            let slot = due
                .entry((room, user_id.to_owned()))
                .or_insert((event_id.clone(), position));
            if slot.1 < position {
                *slot = (event_id, position);
            }
        }
        self.wake.notify_one();
    }
}

impl SyncEngine {
    /// Writes delivery receipts as they come due, a batch at a time.
    pub(super) fn spawn_delivery_writer(&self) {
        let engine = self.clone();
        tokio::spawn(async move {
            loop {
                engine.deliveries.wake.notified().await;
                tokio::time::sleep(DELIVERY_BATCH).await;
                let due: Vec<_> = {
                    let mut due = engine
                        .deliveries
                        .due
                        .lock()
                        .unwrap_or_else(|e| e.into_inner());
                    due.drain().collect()
                };
                let mut pending = Vec::with_capacity(due.len());
                for ((room, user), (event_id, position)) in due {
                    let Ok(room_id) = ruma::OwnedRoomId::try_from(room) else {
                        continue;
                    };
                    // Someone who left since has nothing to say about the room.
                    if let Ok(p) = engine
                        .pending_receipt(&user, &room_id, DELIVERED, &event_id, position, "")
                        .await
                    {
                        pending.push(p);
                    }
                }
                let receipts: Vec<Receipt> = pending.iter().map(|p| p.receipt.clone()).collect();
                match engine.store.put_receipts(&receipts).await {
                    Ok(changed) => {
                        for (p, changed) in pending.into_iter().zip(changed) {
                            engine.publish_receipt(p, changed);
                        }
                    }
                    Err(e) => {
                        tracing::warn!(count = receipts.len(), error = ?e, "cannot store delivery receipts");
                    }
                }
            }
        });
    }

    /// `POST /rooms/{roomId}/receipt/{receiptType}/{eventId}`.
    pub async fn post_receipt(
        &self,
        user_id: &UserId,
        room_id: &RoomId,
        receipt_type: &str,
        event_id: &str,
        thread_id: Option<&str>,
    ) -> Result<()> {
        let position = self.receipt_target(user_id, room_id, event_id).await?;
        match receipt_type {
            "m.fully_read" => {
                if thread_id.is_some() {
                    return Err(Error::invalid_param(
                        "m.fully_read receipts cannot have a thread_id",
                    ));
                }
                self.set_fully_read(user_id, room_id, event_id).await
            }
            "m.read" | "m.read.private" => {
                self.store_receipt(
                    user_id,
                    room_id,
                    receipt_type,
                    event_id,
                    position,
                    thread_id.unwrap_or_default(),
                )
                .await?;
                self.presence.activity(user_id).await?;
                Ok(())
            }
            _ => Err(Error::invalid_param(format!(
                "Unknown receipt type {receipt_type}"
            ))),
        }
    }

    /// `POST /rooms/{roomId}/read_markers`.
    pub async fn read_markers(
        &self,
        user_id: &UserId,
        room_id: &RoomId,
        fully_read: Option<&str>,
        read: Option<&str>,
        read_private: Option<&str>,
    ) -> Result<()> {
        if let Some(event_id) = fully_read {
            self.receipt_target(user_id, room_id, event_id).await?;
            self.set_fully_read(user_id, room_id, event_id).await?;
        }
        for (kind, event_id) in [("m.read", read), ("m.read.private", read_private)] {
            if let Some(event_id) = event_id {
                let position = self.receipt_target(user_id, room_id, event_id).await?;
                self.store_receipt(user_id, room_id, kind, event_id, position, "")
                    .await?;
            }
        }
        Ok(())
    }

    /// Checks the user is joined and the event is in the room; returns its position.
    async fn receipt_target(
        &self,
        user_id: &UserId,
        room_id: &RoomId,
        event_id: &str,
    ) -> Result<i64> {
        self.rooms.members_if_joined(user_id, room_id).await?;
        let event = self
            .store
            .event(event_id)
            .await?
            .filter(|e| e.room_id == room_id.as_str())
            .ok_or_else(|| Error::not_found("Event not found in this room"))?;
        Ok(event.stream_ordering)
    }

    async fn set_fully_read(
        &self,
        user_id: &UserId,
        room_id: &RoomId,
        event_id: &str,
    ) -> Result<()> {
        self.set_account_data(
            user_id,
            Some(room_id),
            "m.fully_read",
            &json!({ "event_id": event_id }),
        )
        .await
    }

    /// Stores a receipt (unless it would move back) and wakes the room.
    async fn store_receipt(
        &self,
        user_id: &UserId,
        room_id: &RoomId,
        receipt_type: &str,
        event_id: &str,
        event_pos: i64,
        thread_id: &str,
    ) -> Result<()> {
        let pending = self
            .pending_receipt(
                user_id,
                room_id,
                receipt_type,
                event_id,
                event_pos,
                thread_id,
            )
            .await?;
        let changed = self.store.put_receipt(&pending.receipt).await?;
        self.publish_receipt(pending, changed);
        Ok(())
    }

    /// A receipt of a joined member, with its stream position and whom it concerns.
    async fn pending_receipt(
        &self,
        user_id: &UserId,
        room_id: &RoomId,
        receipt_type: &str,
        event_id: &str,
        event_pos: i64,
        thread_id: &str,
    ) -> Result<PendingReceipt> {
        let members = self.rooms.members_if_joined(user_id, room_id).await?;
        let position = self.streams.receipts.allocate(1);
        // Private receipts concern only their owner; deliveries everyone but theirs, and
        // they wake nobody at once (see `publish_receipt`).
        let wake = match receipt_type {
            "m.read.private" => vec![user_id.to_owned()],
            DELIVERED => members.iter().filter(|m| *m != user_id).cloned().collect(),
            _ => members.as_ref().clone(),
        };
        // A read receipt moves the position unread counts are counted from.
        let moves_read =
            (receipt_type != DELIVERED).then(|| (user_id.to_owned(), room_id.to_owned()));
        Ok(PendingReceipt {
            receipt: Receipt {
                room_id: room_id.to_string(),
                receipt_type: receipt_type.to_owned(),
                user_id: user_id.to_string(),
                thread_id: thread_id.to_owned(),
                event_id: event_id.to_owned(),
                event_pos,
                ts: now_ms(),
                stream_id: position.first(),
            },
            position,
            wake,
            moves_read,
        })
    }

    /// Makes a written receipt visible; one that `changed` nothing gives up its position.
    fn publish_receipt(&self, pending: PendingReceipt, changed: bool) {
        if !changed {
            return;
        }
        let PendingReceipt {
            receipt,
            position,
            wake,
            moves_read,
        } = pending;
        if let Some((user_id, room_id)) = moves_read {
            self.rooms.read_position_moved(&user_id, &room_id);
        }
        let delivered = receipt.receipt_type == DELIVERED;
        self.streams.recent_receipts.record(receipt);
        if delivered {
            // Nobody waits on a delivery receipt: it rides along with the next response
            // its readers get for anything else, or wakes them after one more batch period.
            position.finish_waking_later(Vec::new(), wake, DELIVERY_BATCH);
        } else {
            position.finish(wake);
        }
    }
}

/// A receipt on its way to storage.
struct PendingReceipt {
    receipt: Receipt,
    position: Allocation,
    wake: Vec<OwnedUserId>,
    /// The user and room whose read position the receipt moves, once written.
    moves_read: Option<(OwnedUserId, ruma::OwnedRoomId)>,
}
