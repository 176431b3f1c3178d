//! `GET /devices`, `GET/PUT/DELETE /devices/{deviceId}`, `POST /delete_devices`.

use axum::Router;
use ruma::{
    MilliSecondsSinceUnixEpoch, UInt,
    api::client::device::{
        Device, delete_device::v3 as delete_device, delete_devices::v3 as delete_devices,
        get_device::v3 as get_device, get_devices::v3 as get_devices,
        update_device::v3 as update_device,
    },
};

use crate::{
    accounts::Accounts,
    http::{
        AppState,
        error::Result,
        ruma::{Ruma, RumaRouter},
    },
    storage::DeviceRecord,
};

pub fn routes(router: Router<AppState>) -> Router<AppState> {
    router
        .ruma(list)
        .ruma(get)
        .ruma(update)
        .ruma(delete)
        .ruma(delete_many)
}

fn to_device(record: DeviceRecord) -> Device {
    let mut device = Device::new(record.device_id.into());
    device.display_name = record.display_name;
    device.last_seen_ip = record.last_seen_ip;
    device.last_seen_ts = record
        .last_seen_ts
        .and_then(|ts| UInt::try_from(ts).ok())
        .map(MilliSecondsSinceUnixEpoch);
    device
}

async fn list(
    accounts: Accounts,
    req: Ruma<get_devices::Request>,
) -> Result<get_devices::Response> {
    let devices = accounts.devices(req.sender()?).await?;
    Ok(get_devices::Response::new(
        devices.into_iter().map(to_device).collect(),
    ))
}

async fn get(accounts: Accounts, req: Ruma<get_device::Request>) -> Result<get_device::Response> {
    let device = accounts
        .device(req.sender()?, req.body.device_id.as_str())
        .await?;
    Ok(get_device::Response::new(to_device(device)))
}

async fn update(
    accounts: Accounts,
    req: Ruma<update_device::Request>,
) -> Result<update_device::Response> {
    let body = &req.body;
    accounts
        .rename_device(
            req.sender()?,
            body.device_id.as_str(),
            body.display_name.as_deref(),
        )
        .await?;
    Ok(update_device::Response::new())
}

async fn delete(
    accounts: Accounts,
    req: Ruma<delete_device::Request>,
) -> Result<delete_device::Response> {
    let body = &req.body;
    accounts
        .delete_device(req.sender()?, body.device_id.as_str(), body.auth.as_ref())
        .await?;
    Ok(delete_device::Response::new())
}

async fn delete_many(
    accounts: Accounts,
    req: Ruma<delete_devices::Request>,
) -> Result<delete_devices::Response> {
    let ids: Vec<String> = req.body.devices.iter().map(|d| d.to_string()).collect();
    accounts
        .delete_devices(req.sender()?, &ids, req.body.auth.as_ref())
        .await?;
    Ok(delete_devices::Response::new())
}
