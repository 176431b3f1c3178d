//! `POST /register` and `GET /register/available`.

use std::net::IpAddr;

use http::StatusCode;
use ruma::{
    OwnedUserId, UserId,
    api::client::{
        account::register::{RegistrationKind, v3 as register},
        uiaa::AuthType,
    },
    api::error::ErrorKind,
};

use super::{Accounts, credentials, uia::UiaRequest};
use crate::{
    http::error::{Error, Result},
    storage::{NewUser, UserStore, now_ms},
};

/// Longest accepted password, in bytes (hashing cost is bounded, not the user's patience).
pub const MAX_PASSWORD_BYTES: usize = 512;

/// The outcome of a successful registration.
pub struct Registration {
    pub user_id: OwnedUserId,
    pub session: Option<super::IssuedSession>,
}

impl Accounts {
    pub async fn register(&self, req: register::Request, ip: IpAddr) -> Result<Registration> {
        if req.kind == RegistrationKind::Guest {
            return Err(Error::new(
                StatusCode::FORBIDDEN,
                ErrorKind::GuestAccessForbidden,
                "Guest access is disabled",
            ));
        }
        if !self.registration.enabled {
            return Err(Error::forbidden("Registration is disabled on this server"));
        }
        Self::rate_limit(&self.limiters.registration_per_ip, &ip.to_string())?;
        let requested = match &req.username {
            Some(name) => Some(self.available_user_id(name).await?),
            None => None,
        };
        let stage = if self.registration.require_token {
            AuthType::RegistrationToken
        } else {
            AuthType::Dummy
        };
        self.user_interactive_auth(UiaRequest {
            kind: "register",
            user_id: None,
            flows: vec![vec![stage]],
            auth: req.auth.as_ref(),
        })
        .await?;

        let password = req
            .password
            .as_deref()
            .ok_or_else(|| Error::missing_param("Missing password"))?;
        check_password(password)?;
        let user_id = match requested {
            Some(user_id) => user_id,
            None => self.generated_user_id().await?,
        };
        let hash = credentials::hash_password(password).await?;
        let created = self
            .store
            .create_user(&NewUser {
                user_id: user_id.as_str(),
                password_hash: Some(&hash),
                is_admin: false,
                created_ts: now_ms(),
            })
            .await?;
        if !created {
            return Err(user_in_use());
        }
        tracing::info!(user = %user_id, "registered");
        let session = if req.inhibit_login {
            None
        } else {
            let name = req.initial_device_display_name.as_deref();
            Some(
                self.issue_session(&user_id, req.device_id, name, req.refresh_token, ip)
                    .await?,
            )
        };
        Ok(Registration { user_id, session })
    }

    /// `GET /register/available`: valid and not taken, else the matching error.
    pub async fn check_username_available(&self, username: &str, ip: IpAddr) -> Result<()> {
        Self::rate_limit(&self.limiters.registration_per_ip, &ip.to_string())?;
        self.available_user_id(username).await.map(|_| ())
    }

    /// Creates an account without UIA or rate limits (the `register-user` admin command).
    pub async fn create_account(
        &self,
        localpart: &str,
        password: &str,
        is_admin: bool,
    ) -> Result<OwnedUserId> {
        let user_id = self.available_user_id(localpart).await?;
        check_password(password)?;
        let hash = credentials::hash_password(password).await?;
        let user = NewUser {
            user_id: user_id.as_str(),
            password_hash: Some(&hash),
            is_admin,
            created_ts: now_ms(),
        };
        if !self.store.create_user(&user).await? {
            return Err(user_in_use());
        }
        Ok(user_id)
    }

    async fn available_user_id(&self, localpart: &str) -> Result<OwnedUserId> {
        let user_id = self.valid_new_user_id(localpart)?;
        if self.store.user(user_id.as_str()).await?.is_some() {
            return Err(user_in_use());
        }
        Ok(user_id)
    }

    /// Applies the spec's grammar for new localparts, plus Hearth's reservation of a leading `_`
    /// (kept for application services, as Synapse does).
    fn valid_new_user_id(&self, localpart: &str) -> Result<OwnedUserId> {
        let invalid =
            |why: &str| Error::new(StatusCode::BAD_REQUEST, ErrorKind::InvalidUsername, why);
        if localpart.is_empty() {
            return Err(invalid("Username must not be empty"));
        }
        if !localpart.bytes().all(
            |b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'.' | b'_' | b'=' | b'-' | b'/' | b'+'),
        ) {
            return Err(invalid(
                "Username may contain only a-z, 0-9, and . _ = - / +",
            ));
        }
        if localpart.starts_with('_') {
            return Err(invalid("Usernames starting with _ are reserved"));
        }
        let user_id = UserId::parse_with_server_name(localpart, &self.server_name)
            .map_err(|_| invalid("Username is not valid"))?;
        if user_id.as_str().len() > 255 {
            return Err(invalid("User ID is longer than 255 characters"));
        }
        Ok(user_id)
    }

    async fn generated_user_id(&self) -> Result<OwnedUserId> {
        loop {
            let candidate = credentials::random_id(12).to_lowercase();
            if let Ok(user_id) = self.available_user_id(&candidate).await {
                return Ok(user_id);
            }
        }
    }
}

pub fn check_password(password: &str) -> Result<()> {
    if password.is_empty() {
        return Err(Error::invalid_param("Password must not be empty"));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(Error::invalid_param(format!(
            "Password is longer than {MAX_PASSWORD_BYTES} bytes"
        )));
    }
    Ok(())
}

fn user_in_use() -> Error {
    Error::new(
        StatusCode::BAD_REQUEST,
        ErrorKind::UserInUse,
        "User ID already taken",
    )
}
