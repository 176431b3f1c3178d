//! Account management behind an access token: devices, password change, deactivation.

use ruma::api::client::uiaa::{AuthData, AuthType};

use super::{Accounts, Sender, credentials, register::check_password, uia::UiaRequest};
use crate::{
    http::error::{Error, Result},
    storage::{DeviceRecord, DeviceStore, UserStore},
};

impl Accounts {
    /// Re-authentication with the account's password, for destructive requests.
    async fn confirm_password(
        &self,
        kind: &'static str,
        sender: &Sender,
        auth: Option<&AuthData>,
    ) -> Result<()> {
        self.user_interactive_auth(UiaRequest {
            kind,
            user_id: Some(sender.user_id.as_str()),
            flows: vec![vec![AuthType::Password]],
            auth,
        })
        .await
    }

    pub async fn devices(&self, sender: &Sender) -> Result<Vec<DeviceRecord>> {
        Ok(self.store.devices(sender.user_id.as_str()).await?)
    }

    pub async fn device(&self, sender: &Sender, device_id: &str) -> Result<DeviceRecord> {
        self.store
            .device(sender.user_id.as_str(), device_id)
            .await?
            .ok_or_else(|| Error::not_found("Device not found"))
    }

    pub async fn rename_device(
        &self,
        sender: &Sender,
        device_id: &str,
        name: Option<&str>,
    ) -> Result<()> {
        if name.is_some_and(|n| n.len() > 255) {
            return Err(Error::invalid_param(
                "Device display name is longer than 255 bytes",
            ));
        }
        if self
            .store
            .set_device_display_name(sender.user_id.as_str(), device_id, name)
            .await?
        {
            Ok(())
        } else {
            Err(Error::not_found("Device not found"))
        }
    }

    /// `DELETE /devices/{deviceId}`: an unknown device is 404 before any authentication.
    pub async fn delete_device(
        &self,
        sender: &Sender,
        device_id: &str,
        auth: Option<&AuthData>,
    ) -> Result<()> {
        self.device(sender, device_id).await?;
        self.confirm_password("delete_device", sender, auth).await?;
        self.store
            .delete_devices(sender.user_id.as_str(), &[device_id.to_owned()])
            .await?;
        self.sessions_changed(sender.user_id.as_str()).await;
        Ok(())
    }

    /// `POST /delete_devices`: unknown IDs are ignored, as the spec allows.
    pub async fn delete_devices(
        &self,
        sender: &Sender,
        device_ids: &[String],
        auth: Option<&AuthData>,
    ) -> Result<()> {
        self.confirm_password("delete_devices", sender, auth)
            .await?;
        self.store
            .delete_devices(sender.user_id.as_str(), device_ids)
            .await?;
        self.sessions_changed(sender.user_id.as_str()).await;
        Ok(())
    }

    /// `POST /account/password`; other devices are logged out unless `logout_devices` is false.
    pub async fn change_password(
        &self,
        sender: &Sender,
        new_password: &str,
        logout_devices: bool,
        auth: Option<&AuthData>,
    ) -> Result<()> {
        check_password(new_password)?;
        self.confirm_password("change_password", sender, auth)
            .await?;
        let hash = credentials::hash_password(new_password).await?;
        self.store
            .set_password_hash(sender.user_id.as_str(), &hash)
            .await?;
        if logout_devices {
            self.store
                .delete_devices_except(sender.user_id.as_str(), Some(sender.device_id.as_str()))
                .await?;
            self.sessions_changed(sender.user_id.as_str()).await;
        }
        Ok(())
    }

    /// `POST /account/deactivate`: irreversible; the user ID is never handed out again.
    pub async fn deactivate(&self, sender: &Sender, auth: Option<&AuthData>) -> Result<()> {
        self.confirm_password("deactivate", sender, auth).await?;
        self.store.deactivate_user(sender.user_id.as_str()).await?;
        self.sessions_changed(sender.user_id.as_str()).await;
        tracing::info!(user = %sender.user_id, "deactivated");
        Ok(())
    }
}
