//! Receipts, read markers, typing, presence and to-device messages.

use axum::Router;
use ruma::api::client::{
    presence::{get_presence::v3 as get_presence, set_presence::v3 as set_presence},
    read_marker::set_read_marker::v3 as read_marker,
    receipt::create_receipt::v3 as create_receipt,
    to_device::send_event_to_device::v3 as to_device,
    typing::create_typing_event::v3::{self as typing, Typing},
};
use ruma::{events::receipt::ReceiptThread, presence::PresenceState};

use super::sync::own;
use crate::{
    http::{
        AppState,
        error::{Error, Result},
        ruma::{Ruma, RumaRouter},
    },
    storage::RoomStore,
    sync::SyncEngine,
};

/// Longest status message accepted.
const MAX_STATUS_MSG: usize = 1024;

pub fn routes(router: Router<AppState>) -> Router<AppState> {
    router
        .ruma(receipt)
        .ruma(markers)
        .ruma(set_typing)
        .ruma(presence)
        .ruma(put_presence)
        .ruma(send_to_device)
}

async fn receipt(
    engine: SyncEngine,
    req: Ruma<create_receipt::Request>,
) -> Result<create_receipt::Response> {
    let body = &req.body;
    let thread = match &body.thread {
        ReceiptThread::Unthreaded => None,
        ReceiptThread::Main => Some("main".to_owned()),
        ReceiptThread::Thread(root) => Some(root.to_string()),
        _ => return Err(Error::invalid_param("Invalid thread_id")),
    };
    engine
        .post_receipt(
            &req.sender()?.user_id,
            &body.room_id,
            body.receipt_type.as_str(),
            body.event_id.as_str(),
            thread.as_deref(),
        )
        .await?;
    Ok(create_receipt::Response::new())
}

async fn markers(
    engine: SyncEngine,
    req: Ruma<read_marker::Request>,
) -> Result<read_marker::Response> {
    let body = &req.body;
    engine
        .read_markers(
            &req.sender()?.user_id,
            &body.room_id,
            body.fully_read.as_ref().map(|e| e.as_str()),
            body.read_receipt.as_ref().map(|e| e.as_str()),
            body.private_read_receipt.as_ref().map(|e| e.as_str()),
        )
        .await?;
    Ok(read_marker::Response::new())
}

async fn set_typing(engine: SyncEngine, req: Ruma<typing::Request>) -> Result<typing::Response> {
    let body = &req.body;
    own(req.sender()?, &body.user_id)?;
    let timeout = match body.state {
        Typing::Yes(info) => Some(info.timeout),
        Typing::No => None,
    };
    engine
        .set_typing(&body.user_id, &body.room_id, timeout)
        .await?;
    Ok(typing::Response::new())
}

async fn presence(
    engine: SyncEngine,
    req: Ruma<get_presence::Request>,
) -> Result<get_presence::Response> {
    let sender = req.sender()?;
    let user_id = &req.body.user_id;
    if sender.user_id != *user_id {
        let shares_room = engine
            .store()
            .co_members(sender.user_id.as_str())
            .await?
            .iter()
            .any(|u| u == user_id.as_str());
        if !shares_room {
            return Err(Error::forbidden("You do not share a room with this user"));
        }
    }
    let view = engine.presence.get(user_id);
    let mut response = get_presence::Response::new(view.state);
    response.status_msg = view.status_msg;
    response.currently_active = Some(view.currently_active);
    response.last_active_ago = view.last_active_ago.map(std::time::Duration::from_millis);
    Ok(response)
}

async fn put_presence(
    engine: SyncEngine,
    req: Ruma<set_presence::Request>,
) -> Result<set_presence::Response> {
    let body = &req.body;
    own(req.sender()?, &body.user_id)?;
    check_presence(&body.presence)?;
    if body
        .status_msg
        .as_ref()
        .is_some_and(|m| m.len() > MAX_STATUS_MSG)
    {
        return Err(Error::invalid_param("status_msg is too long"));
    }
    engine
        .presence
        .set(
            &body.user_id,
            body.presence.clone(),
            body.status_msg.clone(),
        )
        .await?;
    Ok(set_presence::Response::new())
}

/// The spec's presence states; ruma would carry anything else through as a custom value.
pub fn check_presence(state: &PresenceState) -> Result<()> {
    match state {
        PresenceState::Online | PresenceState::Offline | PresenceState::Unavailable => Ok(()),
        _ => Err(Error::invalid_param(format!(
            "Unknown presence state {state}"
        ))),
    }
}

async fn send_to_device(
    engine: SyncEngine,
    req: Ruma<to_device::Request>,
) -> Result<to_device::Response> {
    let sender = req.sender()?;
    let body = &req.body;
    engine
        .send_to_device(
            &sender.user_id,
            sender.device_id.as_str(),
            body.txn_id.as_str(),
            &body.event_type.to_string(),
            &body.messages,
        )
        .await?;
    Ok(to_device::Response::new())
}
