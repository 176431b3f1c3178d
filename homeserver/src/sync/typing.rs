//! Typing notifications: memory only. Each room remembers who types until when and the
//! typing-stream position of its last change; a timer ends typing that is not renewed, and
//! that end is pushed like any other change.

use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use ruma::{OwnedRoomId, OwnedUserId, RoomId, UserId};

use super::streams::Streams;

/// Longest typing timeout honoured; clients renew while the user types.
const MAX_TIMEOUT: Duration = Duration::from_secs(120);

#[derive(Default)]
struct RoomTyping {
    users: BTreeMap<OwnedUserId, Instant>,
    position: i64,
}

#[derive(Clone)]
pub struct Typing {
    rooms: Arc<Mutex<HashMap<OwnedRoomId, RoomTyping>>>,
    streams: Arc<Streams>,
}

impl Typing {
    pub fn new(streams: Arc<Streams>) -> Self {
        Self {
            rooms: Default::default(),
            streams,
        }
    }

    /// Starts (with a timeout) or stops `user_id` typing in `room_id`; `members` are woken
    /// when that changes who is typing.
    pub fn set(
        &self,
        room_id: &RoomId,
        user_id: &UserId,
        timeout: Option<Duration>,
        members: Arc<Vec<OwnedUserId>>,
    ) {
        let changed = {
            let mut rooms = self.rooms.lock().unwrap_or_else(|e| e.into_inner());
            let room = rooms.entry(room_id.to_owned()).or_default();
            let changed = match timeout {
                Some(timeout) => room
                    .users
                    .insert(
                        user_id.to_owned(),
                        Instant::now() + timeout.min(MAX_TIMEOUT),
                    )
                    .is_none(),
                None => room.users.remove(user_id).is_some(),
            };
            if changed {
                room.position = self.streams.advance_typing();
            }
            changed
        };
        if changed {
            self.streams
                .notifier
                .wake(members.iter().map(AsRef::as_ref));
        }
        if let Some(timeout) = timeout {
            let this = self.clone();
            let (room_id, user_id) = (room_id.to_owned(), user_id.to_owned());
            tokio::spawn(async move {
                tokio::time::sleep(timeout.min(MAX_TIMEOUT)).await;
                this.expire(&room_id, &user_id, &members);
            });
        }
    }

    /// Ends typing whose time is up (a renewal moved the deadline and leaves it be).
    fn expire(&self, room_id: &RoomId, user_id: &UserId, members: &[OwnedUserId]) {
        let expired = {
            let mut rooms = self.rooms.lock().unwrap_or_else(|e| e.into_inner());
            let Some(room) = rooms.get_mut(room_id) else {
                return;
            };
            let due = room
                .users
                .get(user_id)
                .is_some_and(|deadline| *deadline <= Instant::now());
            if due {
                room.users.remove(user_id);
                room.position = self.streams.advance_typing();
            }
            due
        };
        if expired {
            self.streams
                .notifier
                .wake(members.iter().map(AsRef::as_ref));
        }
    }

    /// Who types in `room_id`, if that changed after typing position `since` (`None`: if
    /// anyone types).
    pub fn typing_since(&self, room_id: &RoomId, since: Option<i64>) -> Option<Vec<OwnedUserId>> {
        let rooms = self.rooms.lock().unwrap_or_else(|e| e.into_inner());
        let room = rooms.get(room_id)?;
        let changed = match since {
            Some(since) => room.position > since,
            None => !room.users.is_empty(),
        };
        changed.then(|| room.users.keys().cloned().collect())
    }
}
