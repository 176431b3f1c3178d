//! `PUT /sendToDevice/{eventType}/{txnId}`: messages queue per device and are delivered by
//! that device's syncs until one acknowledges them by syncing from a later token.

use std::collections::BTreeMap;

use ruma::{
    OwnedUserId, UserId, api::client::to_device::send_event_to_device::v3::Messages,
    to_device::DeviceIdOrAllDevices,
};

use super::SyncEngine;
use crate::{
    http::error::Result,
    storage::{DeviceStore, ToDeviceMessage, ToDeviceStore},
};

impl SyncEngine {
    /// Queues `messages` from `sender`'s device, once per transaction.
    pub async fn send_to_device(
        &self,
        sender: &UserId,
        sender_device: &str,
        txn_id: &str,
        kind: &str,
        messages: &Messages,
    ) -> Result<()> {
        let mut targets: Vec<(OwnedUserId, String, String)> = Vec::new();
        for (user, devices) in messages {
            // Remote users get theirs over federation once it lands; here only local ones.
            if user.server_name() != self.rooms.server_name() {
                continue;
            }
            let mut all_devices: Option<Vec<String>> = None;
            for (device, content) in devices {
                let content = content.json().get().to_owned();
                match device {
                    DeviceIdOrAllDevices::DeviceId(id) => {
                        targets.push((user.clone(), id.to_string(), content));
                    }
                    DeviceIdOrAllDevices::AllDevices => {
                        if all_devices.is_none() {
                            all_devices = Some(
                                self.store
                                    .devices(user.as_str())
                                    .await?
                                    .into_iter()
                                    .map(|d| d.device_id)
                                    .collect(),
                            );
                        }
                        for id in all_devices.iter().flatten() {
                            targets.push((user.clone(), id.clone(), content.clone()));
                        }
                    }
                }
            }
        }
        let positions = self.streams.to_device.allocate(targets.len());
        let queued: Vec<ToDeviceMessage> = targets
            .iter()
            .zip(positions.positions())
            .map(|((user, device, content), stream_id)| ToDeviceMessage {
                stream_id,
                user_id: user.to_string(),
                device_id: device.clone(),
                sender: sender.to_string(),
                kind: kind.to_owned(),
                content: content.clone(),
            })
            .collect();
        let fresh = self
            .store
            .queue_to_device((sender.as_str(), sender_device, txn_id), &queued)
            .await?;
        if fresh {
            for m in &queued {
                self.to_device_queued(&m.user_id, &m.device_id, m.stream_id);
            }
        }
        let wake: BTreeMap<OwnedUserId, ()> = if fresh {
            targets.into_iter().map(|(u, _, _)| (u, ())).collect()
        } else {
            BTreeMap::new()
        };
        positions.finish(wake.into_keys().collect());
        Ok(())
    }
}
