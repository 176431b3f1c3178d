//! Room aliases and the public room directory.

use http::StatusCode;
use ruma::{OwnedRoomId, RoomAliasId, RoomId, api::error::ErrorKind, events::StateEventType};
use serde_json::{Value as JsonValue, json};

use super::{Rooms, build::power_levels, not_in_room};
use crate::{
    accounts::Sender,
    http::error::{Error, Result},
    storage::RoomStore,
};

/// What the public room directory shows of a room.
#[derive(Debug, Clone)]
pub struct RoomSummary {
    pub room_id: OwnedRoomId,
    pub name: Option<String>,
    pub topic: Option<String>,
    pub canonical_alias: Option<String>,
    pub avatar_url: Option<String>,
    pub joined_members: u64,
    pub world_readable: bool,
    pub guest_can_join: bool,
    pub join_rule: String,
    pub room_type: Option<String>,
}

impl Rooms {
    fn local_alias<'a>(&self, alias: &'a RoomAliasId) -> Result<&'a RoomAliasId> {
        if alias.server_name() != self.server_name() {
            return Err(Error::invalid_param("Room aliases must be on this server"));
        }
        Ok(alias)
    }

    /// `PUT /directory/room/{roomAlias}`: members of a room may give it aliases.
    pub async fn create_alias(
        &self,
        sender: &Sender,
        alias: &RoomAliasId,
        room_id: &RoomId,
    ) -> Result<()> {
        self.local_alias(alias)?;
        let guard = self
            .lock_known(room_id, || Error::not_found("Room not found"))
            .await?;
        let room = guard.as_ref().expect("known room");
        if room.membership(sender.user_id.as_str()).as_deref() != Some("join") {
            return Err(not_in_room());
        }
        drop(guard);
        if !self
            .store()
            .create_alias(alias.as_str(), room_id.as_str(), sender.user_id.as_str())
            .await?
        {
            return Err(Error::new(
                StatusCode::CONFLICT,
                ErrorKind::Unknown,
                format!("Room alias {alias} already exists"),
            ));
        }
        Ok(())
    }

    /// `GET /directory/room/{roomAlias}`.
    pub async fn alias_target(&self, alias: &RoomAliasId) -> Result<OwnedRoomId> {
        self.resolve_alias(alias).await
    }

    /// `DELETE /directory/room/{roomAlias}`: its creator, or whoever may change the room's
    /// canonical alias.
    pub async fn delete_alias(&self, sender: &Sender, alias: &RoomAliasId) -> Result<()> {
        self.local_alias(alias)?;
        let (room_id, creator) = self
            .store()
            .alias(alias.as_str())
            .await?
            .ok_or_else(|| Error::not_found("Room alias not found"))?;
        if creator != sender.user_id.as_str() {
            let room_id = OwnedRoomId::try_from(room_id).map_err(|_| Error::internal())?;
            let guard = self
                .lock_known(&room_id, || Error::not_found("Room not found"))
                .await?;
            let levels = power_levels(guard.as_ref().expect("known room"));
            if !levels.user_can_send_state(&sender.user_id, StateEventType::RoomCanonicalAlias) {
                return Err(Error::forbidden("You may not remove this alias"));
            }
        }
        self.store().delete_alias(alias.as_str()).await?;
        Ok(())
    }

    /// `GET /rooms/{roomId}/aliases`: for members (or anyone, in world-readable rooms).
    pub async fn aliases_for(&self, sender: &Sender, room_id: &RoomId) -> Result<Vec<String>> {
        let guard = self.lock_known(room_id, not_in_room).await?;
        let room = guard.as_ref().expect("known room");
        let world_readable = room.world_readable();
        if room.membership(sender.user_id.as_str()).as_deref() != Some("join") && !world_readable {
            return Err(not_in_room());
        }
        drop(guard);
        Ok(self.store().room_aliases(room_id.as_str()).await?)
    }

    /// `GET /directory/list/room/{roomId}`.
    pub async fn is_published(&self, room_id: &RoomId) -> Result<bool> {
        let room = self
            .store()
            .room(room_id.as_str())
            .await?
            .ok_or_else(|| Error::not_found("Room not found"))?;
        Ok(room.published)
    }

    /// Summaries of published rooms matching `term` (name, topic or alias), most members first.
    pub async fn public_rooms(&self, term: Option<&str>) -> Result<Vec<RoomSummary>> {
        let term = term.map(str::to_lowercase).filter(|t| !t.is_empty());
        let mut found = Vec::new();
        for room_id in self.store().published_rooms().await? {
            let Ok(room_id) = OwnedRoomId::try_from(room_id) else {
                continue;
            };
            let summary = self.summary(&room_id).await?;
            let matches = term.as_ref().is_none_or(|t| {
                [&summary.name, &summary.topic, &summary.canonical_alias]
                    .into_iter()
                    .flatten()
                    .any(|text| text.to_lowercase().contains(t.as_str()))
            });
            if matches {
                found.push(summary);
            }
        }
        found.sort_by(|a, b| {
            b.joined_members
                .cmp(&a.joined_members)
                .then_with(|| a.room_id.cmp(&b.room_id))
        });
        Ok(found)
    }

    async fn summary(&self, room_id: &RoomId) -> Result<RoomSummary> {
        let guard = self
            .lock_known(room_id, || Error::not_found("Room not found"))
            .await?;
        let room = guard.as_ref().expect("known room");
        let text = |kind: StateEventType, field: &str| {
            room.get(&kind, "").and_then(|p| p.content_str(field))
        };
        let joined_members = room
            .state
            .iter()
            .filter(|((kind, _), pdu)| {
                *kind == StateEventType::RoomMember
                    && pdu.content_str("membership").as_deref() == Some("join")
            })
            .count() as u64;
        let room_type = room.get(&StateEventType::RoomCreate, "").and_then(|p| {
            p.content_value()
                .get("type")
                .and_then(JsonValue::as_str)
                .map(str::to_owned)
        });
        Ok(RoomSummary {
            room_id: room_id.to_owned(),
            name: text(StateEventType::RoomName, "name"),
            topic: text(StateEventType::RoomTopic, "topic"),
            canonical_alias: text(StateEventType::RoomCanonicalAlias, "alias"),
            avatar_url: text(StateEventType::RoomAvatar, "url"),
            joined_members,
            world_readable: text(StateEventType::RoomHistoryVisibility, "history_visibility")
                .as_deref()
                == Some("world_readable"),
            guest_can_join: text(StateEventType::RoomGuestAccess, "guest_access").as_deref()
                == Some("can_join"),
            join_rule: text(StateEventType::RoomJoinRules, "join_rule")
                .unwrap_or_else(|| "invite".into()),
            room_type,
        })
    }
}

impl RoomSummary {
    /// The directory entry as the spec's `PublicRoomsChunk` JSON.
    pub fn to_json(&self) -> JsonValue {
        let mut chunk = json!({
            "room_id": self.room_id,
            "num_joined_members": self.joined_members,
            "world_readable": self.world_readable,
            "guest_can_join": self.guest_can_join,
            "join_rule": self.join_rule,
        });
        for (key, value) in [
            ("name", &self.name),
            ("topic", &self.topic),
            ("canonical_alias", &self.canonical_alias),
            ("avatar_url", &self.avatar_url),
            ("room_type", &self.room_type),
        ] {
            if let Some(value) = value {
                chunk[key] = json!(value);
            }
        }
        chunk
    }
}
