//! Membership: join, knock, invite, leave, kick, ban, unban, forget. The room version's
//! authorization rules decide who may do what; these functions add the checks the spec
//! asks of the server before an event is even built.

use std::sync::Arc;

use http::StatusCode;
use ruma::{
    OwnedRoomId, RoomAliasId, RoomId, RoomOrAliasId, UserId, api::error::ErrorKind,
    events::StateEventType,
};

use super::{EventDraft, Rooms, not_in_room, pdu::Pdu};
use crate::{
    http::error::{Error, Result},
    storage::{EventStore, ProfileStore, RoomStore},
};

/// What a moderation action does to its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moderation {
    Invite,
    Kick,
    Ban,
    Unban,
}

/// `m.room.member` content without profile fields (for leaving, kicks and unbans).
fn membership_content(membership: &str, reason: Option<&str>) -> serde_json::Value {
    let mut content = serde_json::json!({ "membership": membership });
    if let Some(reason) = reason {
        content["reason"] = reason.into();
    }
    content
}

impl Rooms {
    /// Resolves a local alias; remote aliases need federation (404 until it lands).
    pub async fn resolve_alias(&self, alias: &RoomAliasId) -> Result<OwnedRoomId> {
        let found = self.store().alias(alias.as_str()).await?;
        let (room_id, _) = found.ok_or_else(|| Error::not_found("Room alias not found"))?;
        OwnedRoomId::try_from(room_id).map_err(|_| Error::internal())
    }

    /// Sends the sender's own `membership` (`join` or `knock`) to a room given by ID or
    /// local alias, with their profile, and takes the room off their forgotten list.
    async fn enter(
        &self,
        sender: &UserId,
        target: &RoomOrAliasId,
        membership: &str,
        reason: Option<&str>,
    ) -> Result<OwnedRoomId> {
        let room_id = match <&RoomId>::try_from(target) {
            Ok(room_id) => room_id.to_owned(),
            Err(alias) => self.resolve_alias(alias).await?,
        };
        let mut guard = self
            .lock_known(&room_id, || {
                Error::not_found("No known servers for this room")
            })
            .await?;
        let room = guard.as_mut().expect("known room");
        match membership {
            // Joining again changes nothing.
            "join" if room.membership(sender.as_str()).as_deref() == Some("join") => {
                return Ok(room_id);
            }
            "knock" if !room.rules.authorization.knocking => {
                return Err(Error::forbidden(
                    "This room version does not allow knocking",
                ));
            }
            _ => {}
        }
        let content = self.member_content(membership, sender, reason).await?;
        self.append(
            room,
            sender,
            EventDraft::state(StateEventType::RoomMember, sender.as_str(), content),
            None,
        )
        .await?;
        self.store()
            .unforget_room(sender.as_str(), room_id.as_str())
            .await?;
        Ok(room_id)
    }

    pub async fn join(
        &self,
        sender: &UserId,
        target: &RoomOrAliasId,
        reason: Option<&str>,
    ) -> Result<OwnedRoomId> {
        self.enter(sender, target, "join", reason).await
    }

    /// `POST /knock/{roomIdOrAlias}`: asks to be let in to a room whose join rule is `knock`
    /// (or `knock_restricted`); the room version's rules decide, so knocking on a public or
    /// invite-only room, or while banned, invited or joined, is refused.
    pub async fn knock(
        &self,
        sender: &UserId,
        target: &RoomOrAliasId,
        reason: Option<&str>,
    ) -> Result<OwnedRoomId> {
        self.enter(sender, target, "knock", reason).await
    }

    /// After a profile change: a new `m.room.member` event carrying the user's current
    /// `displayname` and `avatar_url` in every room they are joined to (the spec's "events
    /// on change of profile information"). Other fields of the member event are kept.
    pub async fn refresh_member_profiles(&self, user_id: &UserId) -> Result<()> {
        let profile = self.store().profile(user_id.as_str()).await?;
        for m in self.store().memberships_of(user_id.as_str()).await? {
            if m.membership != "join" {
                continue;
            }
            let Ok(room_id) = OwnedRoomId::try_from(m.room_id) else {
                continue;
            };
            let mut guard = self.lock_known(&room_id, not_in_room).await?;
            let room = guard.as_mut().expect("known room");
            let Some(current) = room.get(&StateEventType::RoomMember, user_id.as_str()) else {
                continue;
            };
            let mut content = current.content_value();
            if content["membership"] != "join" {
                continue;
            }
            for field in ["displayname", "avatar_url"] {
                match profile.get(field) {
                    Some(value) => content[field] = value.clone(),
                    None => {
                        if let Some(object) = content.as_object_mut() {
                            object.remove(field);
                        }
                    }
                }
            }
            if content == current.content_value() {
                continue;
            }
            let draft = EventDraft::state(StateEventType::RoomMember, user_id.as_str(), content);
            if let Err(err) = self.append(room, user_id, draft, None).await {
                // One room refusing (say, its rules changed) must not stop the others.
                tracing::warn!(room = %room_id, error = %err, "cannot update a member event's profile");
            }
        }
        Ok(())
    }

    pub async fn leave(
        &self,
        sender: &UserId,
        room_id: &RoomId,
        reason: Option<&str>,
    ) -> Result<()> {
        let mut guard = self.lock_known(room_id, not_in_room).await?;
        let room = guard.as_mut().expect("known room");
        match room.membership(sender.as_str()).as_deref() {
            None => return Err(not_in_room()),
            Some("leave") => return Ok(()),
            _ => {}
        }
        let content = membership_content("leave", reason);
        self.append(
            room,
            sender,
            EventDraft::state(StateEventType::RoomMember, sender.as_str(), content),
            None,
        )
        .await?;
        Ok(())
    }

    /// Invite, kick, ban or unban `target`.
    pub async fn moderate(
        &self,
        action: Moderation,
        sender: &UserId,
        room_id: &RoomId,
        target: &UserId,
        reason: Option<&str>,
    ) -> Result<Arc<Pdu>> {
        let mut guard = self.lock_known(room_id, not_in_room).await?;
        let room = guard.as_mut().expect("known room");
        if room.membership(sender.as_str()).as_deref() != Some("join") {
            return Err(not_in_room());
        }
        let current = room.membership(target.as_str());
        let forbidden = |why: &str| Error::new(StatusCode::FORBIDDEN, ErrorKind::Forbidden, why);
        let membership = match action {
            Moderation::Invite => match current.as_deref() {
                Some("join") => return Err(forbidden("The user is already in the room")),
                Some("ban") => return Err(forbidden("The user is banned from the room")),
                _ => "invite",
            },
            Moderation::Kick => match current.as_deref() {
                Some("join" | "invite" | "knock") => "leave",
                _ => return Err(forbidden("The user is not in the room")),
            },
            Moderation::Ban => "ban",
            Moderation::Unban => match current.as_deref() {
                Some("ban") => "leave",
                _ => return Err(forbidden("The user is not banned")),
            },
        };
        let content = match action {
            Moderation::Invite | Moderation::Ban => {
                self.member_content(membership, target, reason).await?
            }
            Moderation::Kick | Moderation::Unban => membership_content(membership, reason),
        };
        self.append(
            room,
            sender,
            EventDraft::state(StateEventType::RoomMember, target.as_str(), content),
            None,
        )
        .await
    }

    /// `POST /forget`: only once the user has left (or was never in) the room.
    pub async fn forget(&self, sender: &UserId, room_id: &RoomId) -> Result<()> {
        match self
            .store()
            .membership(room_id.as_str(), sender.as_str())
            .await?
            .as_deref()
        {
            Some("join" | "invite" | "knock") => Err(Error::new(
                StatusCode::BAD_REQUEST,
                ErrorKind::Unknown,
                "Leave the room before forgetting it",
            )),
            None if self.store().room(room_id.as_str()).await?.is_none() => Err(not_in_room()),
            _ => Ok(self
                .store()
                .forget_room(sender.as_str(), room_id.as_str())
                .await?),
        }
    }
}
