//! Login sessions: `POST /login`, `POST /refresh`, `POST /logout`, `POST /logout/all`.

use std::{net::IpAddr, time::Duration};

use http::StatusCode;
use ruma::{
    OwnedDeviceId, OwnedUserId, UserId,
    api::client::{session::login::v3::LoginInfo, uiaa::UserIdentifier},
    api::error::ErrorKind,
};

use super::{Accounts, Sender, credentials};
use crate::{
    http::error::{Error, Result},
    storage::{DeviceStore, NewSession, UserStore, now_ms},
};

/// Tokens handed to a client that just logged in, registered or refreshed.
#[derive(Debug)]
pub struct IssuedSession {
    pub device_id: OwnedDeviceId,
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub expires_in: Option<Duration>,
}

pub struct LoginRequest<'a> {
    pub info: &'a LoginInfo,
    pub device_id: Option<OwnedDeviceId>,
    pub initial_device_display_name: Option<&'a str>,
    pub refresh_token: bool,
    pub ip: IpAddr,
}

impl Accounts {
    pub async fn login(&self, req: LoginRequest<'_>) -> Result<(OwnedUserId, IssuedSession)> {
        Self::rate_limit(&self.limiters.login_per_ip, &req.ip.to_string())?;
        let LoginInfo::Password(password) = req.info else {
            return Err(Error::new(
                StatusCode::BAD_REQUEST,
                ErrorKind::Unknown,
                "Unsupported login type",
            ));
        };
        #[allow(deprecated)]
        let user = match (&password.identifier, &password.user) {
            (Some(UserIdentifier::Matrix(id)), _) => id.user.as_str(),
            (None, Some(user)) => user.as_str(),
            (Some(_), _) => return Err(Error::forbidden("Invalid username or password")),
            (None, None) => return Err(Error::missing_param("Missing identifier")),
        };
        let user_id = self
            .resolve_user_id(user)
            .map_err(|_| Error::forbidden("Invalid username or password"))?;
        Self::rate_limit(&self.limiters.login_per_account, user_id.as_str())?;
        let record = self.store.user(user_id.as_str()).await?;
        let hash = record.as_ref().and_then(|r| r.password_hash.as_deref());
        let valid = credentials::verify_password(&password.password, hash).await;
        match record {
            Some(r) if r.deactivated => {
                return Err(Error::new(
                    StatusCode::FORBIDDEN,
                    ErrorKind::UserDeactivated,
                    "This account has been deactivated",
                ));
            }
            Some(_) if valid => {}
            _ => return Err(Error::forbidden("Invalid username or password")),
        }
        let session = self
            .issue_session(
                &user_id,
                req.device_id,
                req.initial_device_display_name,
                req.refresh_token,
                req.ip,
            )
            .await?;
        Ok((user_id, session))
    }

    /// Creates (or reuses) a device and gives it fresh tokens.
    pub(super) async fn issue_session(
        &self,
        user_id: &UserId,
        device_id: Option<OwnedDeviceId>,
        display_name: Option<&str>,
        refreshable: bool,
        ip: IpAddr,
    ) -> Result<IssuedSession> {
        let device_id = match device_id {
            Some(id) if id.as_str().is_empty() || id.as_str().len() > 255 => {
                return Err(Error::invalid_param("device_id must be 1-255 characters"));
            }
            Some(id) => id,
            None => credentials::random_id(10).into(),
        };
        let now = now_ms();
        let access_token = credentials::new_token();
        let refresh_token = refreshable.then(credentials::new_token);
        let expires_in = refreshable.then(|| self.refreshable_token_lifetime());
        let ip = ip.to_string();
        self.store
            .start_session(&NewSession {
                user_id: user_id.as_str(),
                device_id: device_id.as_str(),
                display_name,
                access_token_hash: &credentials::token_hash(&access_token),
                access_expires_ts: expires_in.map(|d| now + d.as_millis() as i64),
                refresh_token_hash: refresh_token
                    .as_deref()
                    .map(credentials::token_hash)
                    .as_deref(),
                ip: Some(&ip),
                now,
            })
            .await?;
        self.sessions_changed(user_id.as_str()).await;
        Ok(IssuedSession {
            device_id,
            access_token,
            refresh_token,
            expires_in,
        })
    }

    /// `POST /refresh`: one use per refresh token.
    pub async fn refresh(&self, refresh_token: &str) -> Result<IssuedSession> {
        let now = now_ms();
        let access_token = credentials::new_token();
        let new_refresh = credentials::new_token();
        let lifetime = self.refreshable_token_lifetime();
        let info = self
            .store
            .refresh_session(
                &credentials::token_hash(refresh_token),
                &credentials::token_hash(&access_token),
                Some(now + lifetime.as_millis() as i64),
                &credentials::token_hash(&new_refresh),
                now,
            )
            .await?
            .ok_or_else(|| Error::unknown_token(false))?;
        self.sessions_changed(&info.user_id).await;
        Ok(IssuedSession {
            device_id: info.device_id.into(),
            access_token,
            refresh_token: Some(new_refresh),
            expires_in: Some(lifetime),
        })
    }

    /// `POST /logout`: the token stops working and its device is deleted.
    pub async fn logout(&self, sender: &Sender) -> Result<()> {
        self.store
            .delete_devices(sender.user_id.as_str(), &[sender.device_id.to_string()])
            .await?;
        self.sessions_changed(sender.user_id.as_str()).await;
        Ok(())
    }

    /// `POST /logout/all`: every device of the user is deleted.
    pub async fn logout_all(&self, sender: &Sender) -> Result<()> {
        self.store
            .delete_devices_except(sender.user_id.as_str(), None)
            .await?;
        self.sessions_changed(sender.user_id.as_str()).await;
        Ok(())
    }
}
