//! Presence, kept in memory. Syncing costs a map lookup; only a change of state or status
//! message is written to the database and takes a stream position. A sweeper marks users
//! unavailable after a while without activity and offline once their clients stop syncing.
//! Changes are delivered only to users who share a room (the sync builder checks).

use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, Mutex},
    time::Duration,
};

use ruma::{OwnedUserId, UserId, presence::PresenceState};
use serde_json::{Value as JsonValue, json};

use super::streams::Streams;
use crate::storage::{PresenceRecord, PresenceStore, Result, RoomStore, Store, now_ms};

/// Without activity for this long, an online user becomes unavailable.
const IDLE_AFTER_MS: i64 = 5 * 60 * 1000;
/// A user none of whose clients has synced for this long is offline.
const OFFLINE_AFTER_MS: i64 = 30 * 1000;
/// "Currently active" means active within this window.
const ACTIVE_WINDOW_MS: i64 = 60 * 1000;

#[derive(Clone, Debug)]
struct Entry {
    state: PresenceState,
    status_msg: Option<String>,
    last_active_ts: i64,
    /// Syncs in progress (long-polls and WebSockets).
    syncing: u32,
    last_sync_ts: i64,
    stream_id: i64,
}

#[derive(Default)]
struct Map {
    users: HashMap<OwnedUserId, Entry>,
    /// `stream_id -> user`: who changed when, for incremental syncs.
    changes: BTreeMap<i64, OwnedUserId>,
}

#[derive(Clone)]
pub struct Presence {
    map: Arc<Mutex<Map>>,
    store: Store,
    streams: Arc<Streams>,
}

/// What `GET /presence/{userId}/status` and sync report of one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresenceView {
    pub state: PresenceState,
    pub status_msg: Option<String>,
    pub last_active_ago: Option<u64>,
    pub currently_active: bool,
}

impl Presence {
    pub async fn load(store: Store, streams: Arc<Streams>) -> Result<Self> {
        let mut map = Map::default();
        for record in store.all_presence().await? {
            let Ok(user) = OwnedUserId::try_from(record.user_id) else {
                continue;
            };
            // Nobody syncs with a process that just started.
            let state = match PresenceState::from(record.state.as_str()) {
                PresenceState::Online => PresenceState::Offline,
                other => other,
            };
            map.changes.insert(record.stream_id, user.clone());
            map.users.insert(
                user,
                Entry {
                    state,
                    status_msg: record.status_msg,
                    last_active_ts: record.last_active_ts,
                    syncing: 0,
                    last_sync_ts: 0,
                    stream_id: record.stream_id,
                },
            );
        }
        let presence = Self {
            map: Arc::new(Mutex::new(map)),
            store,
            streams,
        };
        let sweeper = presence.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(5));
            loop {
                tick.tick().await;
                sweeper.sweep().await;
            }
        });
        Ok(presence)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Map> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn get(&self, user_id: &UserId) -> PresenceView {
        let map = self.lock();
        match map.users.get(user_id) {
            Some(entry) => view(entry, now_ms()),
            None => PresenceView {
                state: PresenceState::Offline,
                status_msg: None,
                last_active_ago: None,
                currently_active: false,
            },
        }
    }

    /// `PUT /presence/{userId}/status`.
    pub async fn set(
        &self,
        user_id: &UserId,
        state: PresenceState,
        status_msg: Option<String>,
    ) -> Result<()> {
        let now = now_ms();
        self.change(user_id, |entry| {
            entry.state = state;
            entry.status_msg = status_msg;
            entry.last_active_ts = now;
            entry.last_sync_ts = now;
            true
        })
        .await
    }

    /// The user did something (sent an event, typed, read): active now, and online again if
    /// idleness had made them unavailable.
    pub async fn activity(&self, user_id: &UserId) -> Result<()> {
        let now = now_ms();
        self.change(user_id, |entry| {
            entry.last_active_ts = now;
            if entry.state == PresenceState::Unavailable {
                entry.state = PresenceState::Online;
                return true;
            }
            false
        })
        .await
    }

    /// A sync began with `set_presence`. Pair with [`Presence::sync_ended`].
    pub async fn sync_started(&self, user_id: &UserId, set_presence: &PresenceState) -> Result<()> {
        let now = now_ms();
        let wanted = set_presence.clone();
        self.change(user_id, |entry| {
            entry.syncing += 1;
            entry.last_sync_ts = now;
            match wanted {
                PresenceState::Online if entry.state == PresenceState::Offline => {
                    entry.state = PresenceState::Online;
                    entry.last_active_ts = now;
                    true
                }
                PresenceState::Unavailable if entry.state != PresenceState::Unavailable => {
                    entry.state = PresenceState::Unavailable;
                    true
                }
                _ => false,
            }
        })
        .await
    }

    pub fn sync_ended(&self, user_id: &UserId) {
        let mut map = self.lock();
        if let Some(entry) = map.users.get_mut(user_id) {
            entry.syncing = entry.syncing.saturating_sub(1);
            entry.last_sync_ts = now_ms();
        }
    }

    /// Applies `update` to a user's entry; when it reports a change, stores it, gives it a
    /// stream position and wakes the users who share a room.
    async fn change(
        &self,
        user_id: &UserId,
        update: impl FnOnce(&mut Entry) -> bool,
    ) -> Result<()> {
        let (record, position) = {
            let mut map = self.lock();
            let entry = map
                .users
                .entry(user_id.to_owned())
                .or_insert_with(|| Entry {
                    state: PresenceState::Offline,
                    status_msg: None,
                    last_active_ts: 0,
                    syncing: 0,
                    last_sync_ts: 0,
                    stream_id: 0,
                });
            let before = (entry.state.clone(), entry.status_msg.clone());
            if !update(entry) || before == (entry.state.clone(), entry.status_msg.clone()) {
                return Ok(());
            }
            let position = self.streams.presence.allocate(1);
            let old = std::mem::replace(&mut entry.stream_id, position.first());
            let record = PresenceRecord {
                user_id: user_id.to_string(),
                state: entry.state.to_string(),
                status_msg: entry.status_msg.clone(),
                last_active_ts: entry.last_active_ts,
                stream_id: position.first(),
            };
            map.changes.remove(&old);
            map.changes.insert(position.first(), user_id.to_owned());
            (record, position)
        };
        self.store.set_presence(&record).await?;
        let wake = self
            .store
            .co_members(user_id.as_str())
            .await?
            .into_iter()
            .filter_map(|u| OwnedUserId::try_from(u).ok())
            .chain([user_id.to_owned()])
            .collect();
        position.finish(wake);
        Ok(())
    }

    async fn sweep(&self) {
        let now = now_ms();
        let due: Vec<(OwnedUserId, PresenceState)> = {
            let map = self.lock();
            map.users
                .iter()
                .filter_map(|(user, e)| {
                    let gone = e.syncing == 0 && now - e.last_sync_ts > OFFLINE_AFTER_MS;
                    match e.state {
                        PresenceState::Offline => None,
                        _ if gone => Some((user.clone(), PresenceState::Offline)),
                        PresenceState::Online if now - e.last_active_ts > IDLE_AFTER_MS => {
                            Some((user.clone(), PresenceState::Unavailable))
                        }
                        _ => None,
                    }
                })
                .collect()
        };
        for (user, state) in due {
            let result = self
                .change(&user, |entry| {
                    entry.state = state;
                    true
                })
                .await;
            if let Err(e) = result {
                tracing::warn!(%user, error = %e, "cannot store a presence change");
            }
        }
    }

    /// Users whose presence changed with `after < position <= upto` (`after` `None`: all
    /// with a known presence), as `m.presence` events.
    pub fn changes_between(&self, after: Option<i64>, upto: i64) -> Vec<(OwnedUserId, JsonValue)> {
        let map = self.lock();
        let now = now_ms();
        let start = after.map_or(0, |a| a + 1);
        if start > upto {
            return Vec::new();
        }
        map.changes
            .range(start..=upto)
            .filter_map(|(_, user)| {
                let entry = map.users.get(user)?;
                Some((user.clone(), presence_event(user, &view(entry, now))))
            })
            .collect()
    }
}

fn view(entry: &Entry, now: i64) -> PresenceView {
    let ago = (entry.last_active_ts > 0).then(|| (now - entry.last_active_ts).max(0) as u64);
    PresenceView {
        state: entry.state.clone(),
        status_msg: entry.status_msg.clone(),
        last_active_ago: ago,
        currently_active: entry.state == PresenceState::Online
            && ago.is_some_and(|a| a < ACTIVE_WINDOW_MS as u64),
    }
}

/// An `m.presence` event as sync delivers it.
pub fn presence_event(user_id: &UserId, view: &PresenceView) -> JsonValue {
    let mut content = json!({
        "presence": view.state.to_string(),
        "currently_active": view.currently_active,
    });
    if let Some(ago) = view.last_active_ago {
        content["last_active_ago"] = ago.into();
    }
    if let Some(msg) = &view.status_msg {
        content["status_msg"] = msg.clone().into();
    }
    json!({ "type": "m.presence", "sender": user_id, "content": content })
}
