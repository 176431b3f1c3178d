//! The sync engine: stream positions and tokens, the notifier, the per-stream sources
//! (typing, presence, receipts, account data, to-device) and the one response builder that
//! `/sync` and the WebSocket share.

mod account_data;
mod builder;
pub mod notifier;
mod presence;
mod push_rules;
mod receipts;
mod recent;
pub mod streams;
mod to_device;
mod typing;

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex, atomic::AtomicU64},
    time::Duration,
};

use ruma::{
    OwnedUserId, UserId,
    api::client::{filter::FilterDefinition, sync::sync_events::v3::Response},
    presence::PresenceState,
};
use tokio::time::Instant;

use self::receipts::Deliveries;
pub use self::{
    builder::{SyncParams, TO_DEVICE_LIMIT},
    presence::{Presence, PresenceView},
    receipts::DELIVERED,
    streams::{Streams, SyncToken},
    typing::Typing,
};
use crate::{
    http::error::Result,
    rooms::Rooms,
    storage::{EventStore, Membership, Store, ToDeviceStore},
};

/// A user's memberships and the events position they were read at.
type MembershipsAt = (i64, Arc<Vec<Membership>>);

/// What every sync of a user reads and rarely changes, kept in memory.
///
/// With several processes over one database these would be invalidated from the streams
/// (account data, membership events) every process follows; today there is one process.
#[derive(Default)]
struct UserCache {
    /// `m.ignored_user_list`, by user.
    ignored: Mutex<HashMap<OwnedUserId, Arc<HashSet<String>>>>,
    /// Bumped by every change of an ignore list: a read that raced one is not cached.
    ignored_generation: AtomicU64,
    /// Memberships, with the events position they were read at.
    memberships: Mutex<HashMap<OwnedUserId, MembershipsAt>>,
    /// Devices with queued to-device messages, and the highest position queued for each:
    /// a sync of any other device has nothing to acknowledge.
    to_device_pending: Mutex<HashMap<(String, String), i64>>,
    /// Filters by owner and ID. A filter never changes once created, so every process may
    /// keep what it read; stock clients name one in every sync.
    filters: Mutex<HashMap<OwnedUserId, HashMap<i64, Arc<FilterDefinition>>>>,
}

/// Users whose filters are kept in memory, and filters kept per user (a client may upload
/// one at every start); past either the cache starts over (a re-read is one query).
const FILTERS_KEPT: usize = 50_000;
const FILTERS_KEPT_PER_USER: usize = 64;

#[derive(Clone)]
pub struct SyncEngine {
    store: Store,
    rooms: Rooms,
    streams: Arc<Streams>,
    pub typing: Typing,
    pub presence: Presence,
    deliveries: Arc<Deliveries>,
    cache: Arc<UserCache>,
}

impl SyncEngine {
    pub async fn new(store: Store, rooms: Rooms) -> Result<Self> {
        let streams = rooms.streams().clone();
        let presence = Presence::load(store.clone(), streams.clone()).await?;
        let cache = UserCache::default();
        *cache.to_device_pending.lock().expect("not poisoned") = store
            .to_device_pending()
            .await?
            .into_iter()
            .map(|(user, device, max)| ((user, device), max))
            .collect();
        let engine = Self {
            cache: Arc::new(cache),
            typing: Typing::new(streams.clone()),
            presence,
            store,
            rooms,
            streams,
            deliveries: Default::default(),
        };
        engine.spawn_delivery_writer();
        Ok(engine)
    }

    pub fn streams(&self) -> &Arc<Streams> {
        &self.streams
    }

    pub fn rooms(&self) -> &Rooms {
        &self.rooms
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The device has everything up to `token`: its to-device messages up to there are
    /// deleted, and what it was handed counts as delivered.
    pub async fn acknowledge(
        &self,
        user_id: &UserId,
        device_id: &str,
        token: &SyncToken,
    ) -> Result<()> {
        // A token from the future acknowledges only what exists.
        let now = self.streams.current();
        let token = &SyncToken {
            events: token.events.min(now.events),
            to_device: token.to_device.min(now.to_device),
            ..*token
        };
        let key = (user_id.to_string(), device_id.to_owned());
        let pending = self
            .cache
            .to_device_pending
            .lock()
            .expect("not poisoned")
            .get(&key)
            .copied();
        if pending.is_some() {
            self.store
                .ack_to_device(user_id.as_str(), device_id, token.to_device)
                .await?;
            let mut pending = self.cache.to_device_pending.lock().expect("not poisoned");
            // Keep the entry if more was queued meanwhile, past what was just deleted.
            if pending.get(&key).is_some_and(|max| *max <= token.to_device) {
                pending.remove(&key);
            }
        }
        self.deliveries
            .acknowledged(user_id, device_id, token.events);
        Ok(())
    }

    /// Notes that messages up to `position` wait for `device_id` of `user_id`.
    fn to_device_queued(&self, user_id: &str, device_id: &str, position: i64) {
        let mut pending = self.cache.to_device_pending.lock().expect("not poisoned");
        let max = pending
            .entry((user_id.to_owned(), device_id.to_owned()))
            .or_insert(position);
        *max = (*max).max(position);
    }

    /// The user's memberships as of events position `now` (or later), from memory unless
    /// one of them changed since they were read.
    async fn memberships_of(&self, user_id: &UserId, now: i64) -> Result<Arc<Vec<Membership>>> {
        let cached = self
            .cache
            .memberships
            .lock()
            .expect("not poisoned")
            .get(user_id)
            .cloned();
        if let Some((read_at, list)) = cached
            && read_at <= now
            && self
                .streams
                .recent
                .membership_changed(user_id.as_str(), read_at, now)
                == Some(false)
        {
            // Still true at `now`: the next check need only scan from here.
            if let Some(entry) = self
                .cache
                .memberships
                .lock()
                .expect("not poisoned")
                .get_mut(user_id)
                && entry.0 == read_at
            {
                entry.0 = now;
            }
            return Ok(list);
        }
        let list = Arc::new(self.store.memberships_of(user_id.as_str()).await?);
        self.cache
            .memberships
            .lock()
            .expect("not poisoned")
            .insert(user_id.to_owned(), (now, list.clone()));
        Ok(list)
    }

    /// `GET /sync`: answers at once when there is something after `since` (or on an initial
    /// or full-state sync), else waits up to `timeout` for a change that concerns the user.
    pub async fn sync(
        &self,
        params: &SyncParams,
        timeout: Duration,
        set_presence: &PresenceState,
    ) -> Result<Response> {
        if let Some(since) = &params.since {
            self.acknowledge(&params.user_id, &params.device_id, since)
                .await?;
        }
        let _syncing = self.syncing(&params.user_id, set_presence).await?;
        // Subscribe before the first read, so a change during it still wakes us.
        let mut wake = self.streams.notifier.subscribe(&params.user_id);
        let deadline = Instant::now() + timeout;
        loop {
            let (response, has_data) = self.build(params, self.streams.current()).await?;
            if has_data || params.since.is_none() || params.full_state {
                return Ok(response);
            }
            match tokio::time::timeout_at(deadline, wake.changed()).await {
                Ok(Ok(())) => continue,
                _ => return Ok(response),
            }
        }
    }

    /// `PUT /rooms/{roomId}/typing/{userId}` (and its WebSocket command): `Some(timeout)`
    /// starts typing, `None` stops it. Only joined members may.
    pub async fn set_typing(
        &self,
        user_id: &UserId,
        room_id: &ruma::RoomId,
        timeout: Option<Duration>,
    ) -> Result<()> {
        let members = self.rooms.members_if_joined(user_id, room_id).await?;
        self.typing.set(room_id, user_id, timeout, members);
        if timeout.is_some() {
            self.presence.activity(user_id).await?;
        }
        Ok(())
    }

    /// Marks the user as syncing (presence) until the guard drops.
    pub async fn syncing(
        &self,
        user_id: &UserId,
        set_presence: &PresenceState,
    ) -> Result<SyncingGuard> {
        self.presence.sync_started(user_id, set_presence).await?;
        Ok(SyncingGuard {
            presence: self.presence.clone(),
            user_id: user_id.to_owned(),
        })
    }
}

pub struct SyncingGuard {
    presence: Presence,
    user_id: ruma::OwnedUserId,
}

impl Drop for SyncingGuard {
    fn drop(&mut self) {
        self.presence.sync_ended(&self.user_id);
    }
}
