//! Profiles (`displayname`, `avatar_url`, extended fields) and the local user directory.

use std::collections::BTreeMap;

use http::StatusCode;
use ruma::{OwnedServerName, UserId, api::error::ErrorKind, profile::ProfileFieldValue};
use serde_json::Value as JsonValue;

use crate::{
    accounts::Sender,
    http::error::{Error, Result},
    storage::{DirectoryEntry, ProfileStore, Store, UserStore},
};

/// Largest stored profile (all fields together), as the spec recommends.
const MAX_PROFILE_BYTES: usize = 64 * 1024;
const MAX_FIELD_NAME_BYTES: usize = 255;
const MAX_DISPLAYNAME_CHARS: usize = 256;

#[derive(Clone)]
pub struct Profiles {
    store: Store,
    server_name: OwnedServerName,
}

impl Profiles {
    pub fn new(store: Store, server_name: OwnedServerName) -> Self {
        Self { store, server_name }
    }

    /// Every field of a local user's profile; 404 for unknown (and, until federation, remote) users.
    pub async fn profile(&self, user_id: &UserId) -> Result<BTreeMap<String, JsonValue>> {
        self.existing_local_user(user_id).await?;
        Ok(self.store.profile(user_id.as_str()).await?)
    }

    pub async fn field(&self, user_id: &UserId, field: &str) -> Result<JsonValue> {
        self.existing_local_user(user_id).await?;
        self.store
            .profile_field(user_id.as_str(), field)
            .await?
            .ok_or_else(|| Error::not_found("Profile field not set"))
    }

    pub async fn set_field(
        &self,
        sender: &Sender,
        user_id: &UserId,
        value: &ProfileFieldValue,
    ) -> Result<()> {
        self.check_owner(sender, user_id)?;
        let field = value.field_name();
        let field = field.as_str();
        if field.len() > MAX_FIELD_NAME_BYTES {
            return Err(Error::new(
                StatusCode::BAD_REQUEST,
                ErrorKind::KeyTooLarge,
                "Field name too long",
            ));
        }
        let json = value.value().into_owned();
        match value {
            ProfileFieldValue::DisplayName(name)
                if name.chars().count() > MAX_DISPLAYNAME_CHARS =>
            {
                return Err(Error::invalid_param("Display name is too long"));
            }
            ProfileFieldValue::AvatarUrl(url) if !url.as_str().is_empty() && !url.is_valid() => {
                return Err(Error::invalid_param("avatar_url must be an mxc:// URI"));
            }
            _ => {}
        }
        // An empty display name or avatar URL clears it.
        if json.as_str() == Some("") && matches!(field, "displayname" | "avatar_url") {
            self.store
                .delete_profile_field(user_id.as_str(), field)
                .await?;
            return Ok(());
        }
        let mut profile = self.store.profile(user_id.as_str()).await?;
        profile.insert(field.to_owned(), json.clone());
        if serde_json::to_vec(&profile).map_or(usize::MAX, |v| v.len()) > MAX_PROFILE_BYTES {
            return Err(Error::new(
                StatusCode::BAD_REQUEST,
                ErrorKind::ProfileTooLarge,
                "Profile is too large",
            ));
        }
        self.store
            .set_profile_field(user_id.as_str(), field, &json)
            .await?;
        Ok(())
    }

    pub async fn delete_field(&self, sender: &Sender, user_id: &UserId, field: &str) -> Result<()> {
        self.check_owner(sender, user_id)?;
        self.store
            .delete_profile_field(user_id.as_str(), field)
            .await?;
        Ok(())
    }

    /// Local users matching `term`, at most `limit`; `true` when more exist.
    pub async fn search(&self, term: &str, limit: u32) -> Result<(Vec<DirectoryEntry>, bool)> {
        let limit = limit.min(1000);
        let mut found = self.store.search_users(term, limit + 1).await?;
        let limited = found.len() > limit as usize;
        found.truncate(limit as usize);
        Ok((found, limited))
    }

    fn check_owner(&self, sender: &Sender, user_id: &UserId) -> Result<()> {
        if sender.user_id != user_id {
            return Err(Error::forbidden("Cannot change another user's profile"));
        }
        Ok(())
    }

    async fn existing_local_user(&self, user_id: &UserId) -> Result<()> {
        // Federation will answer remote users here (a profile query to their server).
        if user_id.server_name() != self.server_name {
            return Err(Error::not_found("Profile not found"));
        }
        match self.store.user(user_id.as_str()).await? {
            Some(user) if !user.deactivated => Ok(()),
            _ => Err(Error::not_found("Profile not found")),
        }
    }
}
