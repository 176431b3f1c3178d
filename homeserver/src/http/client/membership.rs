//! Membership: `join` (by ID and by alias), `knock`, `invite`, `leave`, `forget`, `kick`, `ban`, `unban`.

use axum::Router;
use ruma::{
    OwnedRoomOrAliasId,
    api::client::knock::knock_room::v3 as knock,
    api::client::membership::{
        ban_user::v3 as ban, forget_room::v3 as forget, invite_user::v3 as invite,
        join_room_by_id::v3 as join_by_id, join_room_by_id_or_alias::v3 as join_by_id_or_alias,
        kick_user::v3 as kick, leave_room::v3 as leave, unban_user::v3 as unban,
    },
};

use crate::{
    http::{
        AppState,
        error::{Error, Result},
        ruma::{Ruma, RumaRouter},
    },
    rooms::{Moderation, Rooms},
};

pub fn routes(router: Router<AppState>) -> Router<AppState> {
    router
        .ruma(join_id)
        .ruma(join_any)
        .ruma(knock_room)
        .ruma(invite_user)
        .ruma(leave_room)
        .ruma(forget_room)
        .ruma(kick_user)
        .ruma(ban_user)
        .ruma(unban_user)
}

async fn join_id(rooms: Rooms, req: Ruma<join_by_id::Request>) -> Result<join_by_id::Response> {
    let target = OwnedRoomOrAliasId::from(req.body.room_id.clone());
    let room_id = rooms
        .join(&req.sender()?.user_id, &target, req.body.reason.as_deref())
        .await?;
    Ok(join_by_id::Response::new(room_id))
}

async fn join_any(
    rooms: Rooms,
    req: Ruma<join_by_id_or_alias::Request>,
) -> Result<join_by_id_or_alias::Response> {
    let room_id = rooms
        .join(
            &req.sender()?.user_id,
            &req.body.room_id_or_alias,
            req.body.reason.as_deref(),
        )
        .await?;
    Ok(join_by_id_or_alias::Response::new(room_id))
}

async fn knock_room(rooms: Rooms, req: Ruma<knock::Request>) -> Result<knock::Response> {
    let room_id = rooms
        .knock(
            &req.sender()?.user_id,
            &req.body.room_id_or_alias,
            req.body.reason.as_deref(),
        )
        .await?;
    Ok(knock::Response::new(room_id))
}

async fn invite_user(rooms: Rooms, req: Ruma<invite::Request>) -> Result<invite::Response> {
    let invite::InvitationRecipient::UserId(recipient) = &req.body.recipient else {
        return Err(Error::forbidden("Third-party invites are not supported"));
    };
    rooms
        .moderate(
            Moderation::Invite,
            &req.sender()?.user_id,
            &req.body.room_id,
            &recipient.user_id,
            recipient.reason.as_deref(),
        )
        .await?;
    Ok(invite::Response::new())
}

async fn leave_room(rooms: Rooms, req: Ruma<leave::Request>) -> Result<leave::Response> {
    rooms
        .leave(
            &req.sender()?.user_id,
            &req.body.room_id,
            req.body.reason.as_deref(),
        )
        .await?;
    Ok(leave::Response::new())
}

async fn forget_room(rooms: Rooms, req: Ruma<forget::Request>) -> Result<forget::Response> {
    rooms
        .forget(&req.sender()?.user_id, &req.body.room_id)
        .await?;
    Ok(forget::Response::new())
}

async fn kick_user(rooms: Rooms, req: Ruma<kick::Request>) -> Result<kick::Response> {
    let b = &req.body;
    rooms
        .moderate(
            Moderation::Kick,
            &req.sender()?.user_id,
            &b.room_id,
            &b.user_id,
            b.reason.as_deref(),
        )
        .await?;
    Ok(kick::Response::new())
}

async fn ban_user(rooms: Rooms, req: Ruma<ban::Request>) -> Result<ban::Response> {
    let b = &req.body;
    rooms
        .moderate(
            Moderation::Ban,
            &req.sender()?.user_id,
            &b.room_id,
            &b.user_id,
            b.reason.as_deref(),
        )
        .await?;
    Ok(ban::Response::new())
}

async fn unban_user(rooms: Rooms, req: Ruma<unban::Request>) -> Result<unban::Response> {
    let b = &req.body;
    rooms
        .moderate(
            Moderation::Unban,
            &req.sender()?.user_id,
            &b.room_id,
            &b.user_id,
            b.reason.as_deref(),
        )
        .await?;
    Ok(unban::Response::new())
}
