//! Accounts: registration, login sessions and tokens, User-Interactive Auth, password
//! changes, deactivation and devices.

pub mod credentials;
mod devices;
mod register;
mod session;
pub mod uia;

use std::{sync::Arc, time::Duration};

use ruma::{OwnedDeviceId, OwnedServerName, OwnedUserId, UserId};

pub use self::{
    register::Registration,
    session::{IssuedSession, LoginRequest},
};
use crate::{
    config::{Config, RegistrationConfig},
    http::error::{Error, Result},
    ratelimit::RateLimiter,
    storage::{DeviceStore, Store, now_ms},
};

/// The authenticated origin of a request.
#[derive(Debug, Clone)]
pub struct Sender {
    pub user_id: OwnedUserId,
    pub device_id: OwnedDeviceId,
}

#[derive(Clone)]
pub struct Accounts {
    store: Store,
    server_name: OwnedServerName,
    registration: Arc<RegistrationConfig>,
    limiters: Arc<Limiters>,
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
            server_name: config.server_name(),
            registration: Arc::new(config.registration.clone()),
            limiters: Arc::new(Limiters {
                registration_per_ip: RateLimiter::new(config.limits.registration_per_ip),
                login_per_ip: RateLimiter::new(config.limits.login_per_ip),
                login_per_account: RateLimiter::new(config.limits.login_per_account),
            }),
        }
    }

    pub fn server_name(&self) -> &OwnedServerName {
        &self.server_name
    }

    /// Resolves a bearer token to its user and device.
    pub async fn authenticate(&self, token: &str) -> Result<Sender> {
        let info = self
            .store
            .access_token(&credentials::token_hash(token))
            .await?
            .ok_or_else(|| Error::unknown_token(false))?;
        if info.expires_ts.is_some_and(|expires| expires <= now_ms()) {
            return Err(Error::unknown_token(true));
        }
        let user_id = UserId::parse(&info.user_id)
            .map_err(|_| crate::storage::StorageError::Corrupt("token user ID".into()))?;
        Ok(Sender {
            user_id,
            device_id: info.device_id.into(),
        })
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
