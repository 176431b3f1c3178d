//! Unread notification counts in memory. Counting a user's notifications after their read
//! position was one query per room per sync, and its cost grew with every unread message;
//! here the counts are loaded once per (user, room) and then kept current: each new event
//! adds its push actions, and a read receipt drops the entry so the next read counts anew.
//!
//! Consistency: events are added after their transaction committed, in the room's order
//! (pipeline.rs), and a count is loaded under the room's lock once every event queued
//! before is added, so a load sees an event exactly when the event's addition is not yet
//! done. A receipt can move the read position at any moment, so
//! each entry has a generation that a receipt bumps; a load started before the bump is not
//! kept. *Scale-out:* per process, like the room tails; several processes must feed it from
//! the shared event and receipt streams.

use std::{collections::HashMap, sync::Mutex};

use ruma::{RoomId, UserId};

use super::{Rooms, not_in_room};
use crate::{
    http::error::Result,
    storage::{Counts, PushActions, PushStore},
};

/// Per thread (`""` = main timeline).
pub type ThreadCounts = Vec<(String, Counts)>;

#[derive(Default)]
struct Slot {
    generation: u64,
    counts: Option<ThreadCounts>,
}

#[derive(Default)]
pub struct UnreadCache {
    slots: Mutex<HashMap<(String, String), Slot>>,
}

impl UnreadCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), Slot>> {
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn cached(&self, user_id: &str, room_id: &str) -> Option<ThreadCounts> {
        let slots = self.lock();
        let key = (user_id.to_owned(), room_id.to_owned());
        slots.get(&key).and_then(|s| s.counts.clone())
    }

    fn generation(&self, user_id: &str, room_id: &str) -> u64 {
        let mut slots = self.lock();
        let key = (user_id.to_owned(), room_id.to_owned());
        slots.entry(key).or_default().generation
    }

    /// Keeps a loaded count unless a receipt came in since `generation` was read.
    fn fill(&self, user_id: &str, room_id: &str, generation: u64, counts: &ThreadCounts) {
        let mut slots = self.lock();
        let key = (user_id.to_owned(), room_id.to_owned());
        let slot = slots.entry(key).or_default();
        if slot.generation == generation {
            slot.counts = Some(counts.clone());
        }
    }

    /// The user's read position in the room moved: count anew next time.
    pub fn invalidate(&self, user_id: &str, room_id: &str) {
        let mut slots = self.lock();
        let slot = slots
            .entry((user_id.to_owned(), room_id.to_owned()))
            .or_default();
        slot.generation += 1;
        slot.counts = None;
    }

    /// A committed event notified these users (call in the room's after-commit order).
    pub(super) fn add(&self, room_id: &str, actions: &[PushActions]) {
        if actions.is_empty() {
            return;
        }
        let mut slots = self.lock();
        for action in actions {
            let key = (action.user_id.clone(), room_id.to_owned());
            let Some(counts) = slots.get_mut(&key).and_then(|s| s.counts.as_mut()) else {
                continue;
            };
            let index = match counts.iter().position(|(t, _)| *t == action.thread_id) {
                Some(index) => index,
                None => {
                    counts.push((action.thread_id.clone(), Counts::default()));
                    counts.len() - 1
                }
            };
            let entry = &mut counts[index].1;
            entry.notifications += 1;
            entry.highlights += u64::from(action.highlight);
        }
    }
}

impl Rooms {
    /// Unread counts of a user in a room, per thread (`""` = main timeline), counted after
    /// their latest unthreaded read receipt (public or private).
    pub async fn unread_counts(&self, user_id: &UserId, room_id: &RoomId) -> Result<ThreadCounts> {
        let cache = &self.inner.unread;
        if let Some(counts) = cache.cached(user_id.as_str(), room_id.as_str()) {
            return Ok(counts);
        }
        let room = self.lock_known(room_id, not_in_room).await?;
        // Events queued before are committed and added (or failed) once this returns.
        room.as_ref().expect("known room").turns.idle().await;
        let generation = cache.generation(user_id.as_str(), room_id.as_str());
        let counts = self
            .store()
            .notification_counts(user_id.as_str(), room_id.as_str())
            .await?;
        cache.fill(user_id.as_str(), room_id.as_str(), generation, &counts);
        Ok(counts)
    }

    /// The user's read position in the room moved.
    pub fn read_position_moved(&self, user_id: &UserId, room_id: &RoomId) {
        self.inner
            .unread
            .invalidate(user_id.as_str(), room_id.as_str());
    }
}
