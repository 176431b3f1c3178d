//! Accounts: registration, login sessions and tokens, User-Interactive Auth, password
//! changes, deactivation and devices.

pub mod credentials;
mod devices;
mod register;
mod session;
pub mod uia;

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use ruma::{OwnedDeviceId, OwnedServerName, OwnedUserId, UserId};

pub use self::{
    register::Registration,
    session::{IssuedSession, LoginRequest},
};
use crate::{
    config::{Config, RegistrationConfig},
    http::error::{Error, Result},
    ratelimit::RateLimiter,
    storage::{DeviceStore, RoomStore, Store, ToDeviceStore, now_ms},
};

/// The authenticated origin of a request.
#[derive(Debug, Clone)]
pub struct Sender {
    pub user_id: OwnedUserId,
    pub device_id: OwnedDeviceId,
}

/// How long a resolved access token is trusted without asking the database again.
/// Revocations made by this process take effect at once (the cache is cleared for the
/// user); with several processes, another process's revocation takes up to this long.
const TOKEN_CACHE_TTL: Duration = Duration::from_secs(30);
const TOKEN_CACHE_MAX: usize = 100_000;

#[derive(Clone)]
struct CachedToken {
    sender: Sender,
    expires_ts: Option<i64>,
    cached_at: Instant,
}

#[derive(Clone)]
pub struct Accounts {
    store: Store,
    tokens: Arc<Mutex<HashMap<String, CachedToken>>>,
    server_name: OwnedServerName,
    registration: Arc<RegistrationConfig>,
    limiters: Arc<Limiters>,
    /// Where device changes are announced (`device_lists` in sync); absent in the CLI.
    streams: Option<Arc<crate::sync::Streams>>,
}

struct Limiters {
    registration_per_ip: RateLimiter,
    login_per_ip: RateLimiter,
    login_per_account: RateLimiter,
}

impl Accounts {
    pub fn new(store: Store, config: &Config) -> Self {
        Self {
            store,
            tokens: Arc::default(),
            server_name: config.server_name(),
            registration: Arc::new(config.registration.clone()),
            limiters: Arc::new(Limiters {
                registration_per_ip: RateLimiter::new(config.limits.registration_per_ip),
                login_per_ip: RateLimiter::new(config.limits.login_per_ip),
                login_per_account: RateLimiter::new(config.limits.login_per_account),
            }),
            streams: None,
        }
    }

    pub fn server_name(&self) -> &OwnedServerName {
        &self.server_name
    }

    /// Resolves a bearer token to its user and device.
    pub async fn authenticate(&self, token: &str) -> Result<Sender> {
        let hash = credentials::token_hash(token);
        let cached = self
            .token_cache()
            .get(&hash)
            .filter(|c| c.cached_at.elapsed() < TOKEN_CACHE_TTL)
            .cloned();
        let (sender, expires_ts) = match cached {
            Some(c) => (c.sender, c.expires_ts),
            None => {
                let info = self
                    .store
                    .access_token(&hash)
                    .await?
                    .ok_or_else(|| Error::unknown_token(false))?;
                let user_id = UserId::parse(&info.user_id)
                    .map_err(|_| crate::storage::StorageError::Corrupt("token user ID".into()))?;
                let sender = Sender {
                    user_id,
                    device_id: info.device_id.into(),
                };
                let mut cache = self.token_cache();
                if cache.len() >= TOKEN_CACHE_MAX {
                    cache.clear();
                }
                let entry = CachedToken {
                    sender: sender.clone(),
                    expires_ts: info.expires_ts,
                    cached_at: Instant::now(),
                };
                cache.insert(hash, entry);
                (sender, info.expires_ts)
            }
        };
        if expires_ts.is_some_and(|expires| expires <= now_ms()) {
            return Err(Error::unknown_token(true));
        }
        Ok(sender)
    }

    fn token_cache(&self) -> std::sync::MutexGuard<'_, HashMap<String, CachedToken>> {
        self.tokens.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Announces device changes through the device-list stream from now on.
    pub fn with_streams(mut self, streams: Arc<crate::sync::Streams>) -> Self {
        self.streams = Some(streams);
        self
    }

    /// Call after any change to a user's devices or tokens: cached tokens go, and users
    /// who share a room see the user in `device_lists.changed` — before the request that
    /// changed them answers, so a sync that follows cannot miss it or see it late.
    async fn sessions_changed(&self, user_id: &str) {
        self.token_cache()
            .retain(|_, c| c.sender.user_id.as_str() != user_id);
        if let Some(streams) = self.streams.clone() {
            let (store, user) = (self.store.clone(), user_id.to_owned());
            // Spawned so that a client hanging up mid-way cannot cut the announcement short.
            let announce = tokio::spawn(async move {
                let position = streams.device_lists.allocate(1);
                if let Err(e) = store.add_device_list_change(&user, position.first()).await {
                    tracing::warn!(%user, error = %e, "cannot announce a device change");
                    return;
                }
                let members = store.co_members(&user).await.unwrap_or_default();
                position.finish(
                    members
                        .into_iter()
                        .chain([user])
                        .filter_map(|u| OwnedUserId::try_from(u).ok())
                        .collect(),
                );
            });
            let _ = announce.await;
        }
    }

    /// `@local:ours` from a full user ID or a bare localpart; only our own users.
    pub fn resolve_user_id(&self, user: &str) -> Result<OwnedUserId> {
        let user_id = if user.starts_with('@') {
            UserId::parse(user).map_err(|_| Error::invalid_param("Invalid user ID"))?
        } else {
            UserId::parse_with_server_name(user.to_lowercase(), &self.server_name)
                .map_err(|_| Error::invalid_param("Invalid user ID"))?
        };
        if user_id.server_name() != self.server_name {
            return Err(Error::forbidden("User is not local to this server"));
        }
        Ok(user_id)
    }

    /// Whether `token` is one of the configured registration tokens.
    pub fn registration_token_valid(&self, token: &str) -> bool {
        self.registration.tokens.iter().any(|known| known == token)
    }

    fn refreshable_token_lifetime(&self) -> Duration {
        Duration::from_secs(self.registration.refreshable_token_lifetime_secs)
    }

    fn rate_limit(limiter: &RateLimiter, key: &str) -> Result<()> {
        limiter.check(key).map_err(Error::limit_exceeded)
    }
}
