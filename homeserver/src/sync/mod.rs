//! The sync engine: stream positions and tokens, the notifier, the per-stream sources
//! (typing, presence, receipts, account data, to-device) and the one response builder that
//! `/sync` and the WebSocket share.

mod account_data;
mod builder;
pub mod notifier;
mod presence;
mod push_rules;
mod receipts;
pub mod streams;
mod to_device;
mod typing;

use std::{sync::Arc, time::Duration};

use ruma::{UserId, api::client::sync::sync_events::v3::Response, presence::PresenceState};
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
    storage::{Store, ToDeviceStore},
};

#[derive(Clone)]
pub struct SyncEngine {
    store: Store,
    rooms: Rooms,
    streams: Arc<Streams>,
    pub typing: Typing,
    pub presence: Presence,
    deliveries: Arc<Deliveries>,
}

impl SyncEngine {
    pub async fn new(store: Store, rooms: Rooms) -> Result<Self> {
        let streams = rooms.streams().clone();
        let presence = Presence::load(store.clone(), streams.clone()).await?;
        let engine = Self {
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
        self.store
            .ack_to_device(user_id.as_str(), device_id, token.to_device)
            .await?;
        self.deliveries
            .acknowledged(user_id, device_id, token.events);
        Ok(())
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
