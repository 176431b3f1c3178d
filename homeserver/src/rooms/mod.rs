//! Rooms: building signed PDUs, authorizing them against the room's state, storing them,
//! and the room operations clients ask for.

mod build;
mod client_cache;
mod create;
mod directory;
mod membership;
pub mod pdu;
mod pipeline;
pub mod push;
mod read;
mod relations;
mod search;
mod send;
pub mod state;
mod sync;
mod tail;
#[cfg(test)]
mod tests;
mod unread;
mod upgrade;

use std::{collections::HashMap, sync::Arc};

use hearth_federation::keys::SigningKey;
use ruma::{OwnedRoomId, OwnedServerName, RoomId, RoomVersionId};
use tokio::sync::{Mutex, OwnedMutexGuard};

use self::state::RoomState;
pub use self::{
    build::EventDraft,
    create::CreateRoom,
    directory::RoomSummary,
    membership::Moderation,
    read::{MessagesPage, event_filter, parse_token, token},
    relations::{ContextPage, RelationsPage},
    search::RoomEventSearch,
    sync::{StatePick, Summary, TimelineWindow},
};
use crate::{
    http::error::{Error, Result},
    storage::{RoomStore, StorageError, Store, now_ms},
    sync::Streams,
};

/// Room versions Hearth creates rooms in (and checks events of).
pub const CREATABLE_VERSIONS: &[RoomVersionId] =
    &[RoomVersionId::V10, RoomVersionId::V11, RoomVersionId::V12];

/// A room slot: the lock that serialises sends to the room, and the room's state once loaded.
type RoomSlot = Arc<Mutex<Option<RoomState>>>;

#[derive(Clone)]
pub struct Rooms {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    server_name: OwnedServerName,
    key: SigningKey,
    default_version: RoomVersionId,
    /// Limit on recalling one's own messages, in milliseconds.
    self_redaction_window_ms: Option<i64>,
    rooms: std::sync::Mutex<HashMap<OwnedRoomId, RoomSlot>>,
    streams: Arc<Streams>,
    rulesets: push::RulesetCache,
    /// The newest events of each room, for incremental syncs.
    tails: tail::RoomTails,
    /// Events in the client format, parsed once for all who read them.
    client_events: client_cache::ClientEvents,
    /// Users' unread notification counts per room.
    unread: unread::UnreadCache,
    /// `m.room.history_visibility` at state groups looked up for visibility checks.
    history_at: read::HistoryAt,
}

/// Loads the server's signing key, generating and storing one on first start.
pub async fn load_signing_key(store: &Store) -> Result<SigningKey, StorageError> {
    let (key_id, pkcs8) = match store.signing_key().await? {
        Some(found) => found,
        None => {
            let key = SigningKey::generate().map_err(|e| StorageError::Corrupt(e.to_string()))?;
            tracing::info!(key_id = %key.key_id(), "generated the server signing key");
            store
                .store_signing_key(&key.key_id(), key.pkcs8(), now_ms())
                .await?
        }
    };
    let version = key_id.strip_prefix("ed25519:").unwrap_or(&key_id);
    SigningKey::from_pkcs8(&pkcs8, version).map_err(|e| StorageError::Corrupt(e.to_string()))
}

impl Rooms {
    pub fn new(
        store: Store,
        config: &crate::config::Config,
        key: SigningKey,
        streams: Arc<Streams>,
    ) -> Self {
        let window = config.rooms.self_redaction_window_secs;
        Self {
            inner: Arc::new(Inner {
                store,
                server_name: config.server_name(),
                key,
                default_version: config.default_room_version(),
                self_redaction_window_ms: (window > 0)
                    .then(|| i64::try_from(window.saturating_mul(1000)).unwrap_or(i64::MAX)),
                rooms: Default::default(),
                streams,
                rulesets: Default::default(),
                tails: Default::default(),
                client_events: Default::default(),
                unread: Default::default(),
                history_at: Default::default(),
            }),
        }
    }

    pub fn self_redaction_window_ms(&self) -> Option<i64> {
        self.inner.self_redaction_window_ms
    }

    pub fn server_name(&self) -> &OwnedServerName {
        &self.inner.server_name
    }

    pub fn signing_key(&self) -> &SigningKey {
        &self.inner.key
    }

    pub fn default_version(&self) -> &RoomVersionId {
        &self.inner.default_version
    }

    fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn streams(&self) -> &Arc<Streams> {
        &self.inner.streams
    }

    fn slot(&self, room_id: &RoomId) -> RoomSlot {
        let mut rooms = self.inner.rooms.lock().unwrap_or_else(|e| e.into_inner());
        rooms.entry(room_id.to_owned()).or_default().clone()
    }

    /// Locks a room for building its next event (loading it on first use). `Ok(None)`
    /// inside the guard means Hearth does not know the room.
    async fn lock(&self, room_id: &RoomId) -> Result<OwnedMutexGuard<Option<RoomState>>> {
        let mut guard = self.slot(room_id).lock_owned().await;
        if let Some(room) = guard.as_ref()
            && room.turns.is_stale()
        {
            // A queued write failed: start again from what storage holds.
            room.turns.idle().await;
            *guard = None;
        }
        if guard.is_none() {
            *guard = RoomState::load(self.store(), &room_id.to_owned()).await?;
        }
        Ok(guard)
    }

    /// Locks a room the caller expects to exist; unknown rooms are `not_found`.
    async fn lock_known(
        &self,
        room_id: &RoomId,
        not_found: impl FnOnce() -> Error,
    ) -> Result<OwnedMutexGuard<Option<RoomState>>> {
        let guard = self.lock(room_id).await?;
        if guard.is_none() {
            return Err(not_found());
        }
        Ok(guard)
    }
}

/// The 403 for acting in a room one is not part of (also used for unknown rooms, so that
/// room existence does not leak).
pub fn not_in_room() -> Error {
    Error::forbidden("You are not a member of this room")
}
