//! `POST /rooms/{roomId}/upgrade`: a new room in the new version that inherits the old
//! room's important state, a tombstone in the old room, and the aliases moved over.

use ruma::{OwnedRoomId, RoomId, RoomVersionId, UserId, events::StateEventType};
use serde_json::{Map, Value as JsonValue, json};

use super::{
    CreateRoom, EventDraft, Rooms, build::power_levels, not_in_room, state::version_rules,
};
use crate::{
    http::error::{Error, Result},
    storage::RoomStore,
};

/// State carried over to the replacement room, as the spec lists it.
const INHERITED: &[&str] = &[
    "m.room.server_acl",
    "m.room.encryption",
    "m.room.name",
    "m.room.avatar",
    "m.room.topic",
    "m.room.guest_access",
    "m.room.history_visibility",
    "m.room.join_rules",
];

impl Rooms {
    pub async fn upgrade(
        &self,
        sender: &UserId,
        room_id: &RoomId,
        new_version: RoomVersionId,
    ) -> Result<OwnedRoomId> {
        let new_rules = version_rules(&new_version)?;
        // Read what the new room inherits, and check the sender may tombstone the old one.
        let (initial_state, mut power, create_content, old_alias) = {
            let guard = self.lock_known(room_id, not_in_room).await?;
            let room = guard.as_ref().expect("known room");
            if room.membership(sender.as_str()).as_deref() != Some("join") {
                return Err(not_in_room());
            }
            if !power_levels(room).user_can_send_state(sender, StateEventType::RoomTombstone) {
                return Err(Error::forbidden("You may not upgrade this room"));
            }
            let initial_state: Vec<(String, String, JsonValue)> = INHERITED
                .iter()
                .filter_map(|kind| room.get(&StateEventType::from(*kind), ""))
                .map(|pdu| (pdu.kind.to_string(), String::new(), pdu.content_value()))
                .collect();
            let power = room
                .get(&StateEventType::RoomPowerLevels, "")
                .map(|p| p.content_value())
                .unwrap_or_else(|| json!({}));
            let create = room
                .get(&StateEventType::RoomCreate, "")
                .map(|p| p.content_value())
                .unwrap_or_else(|| json!({}));
            let alias = room
                .get(&StateEventType::RoomCanonicalAlias, "")
                .map(|p| p.content_value());
            (initial_state, power, create, alias)
        };

        let mut creation = Map::new();
        creation.insert("predecessor".into(), json!({ "room_id": room_id }));
        for key in ["m.federate", "type"] {
            if let Some(value) = create_content.get(key) {
                creation.insert(key.into(), value.clone());
            }
        }
        // The upgrader keeps their power; creators of v12+ rooms are above power levels and
        // must not be listed.
        let users = power.get_mut("users").and_then(JsonValue::as_object_mut);
        if let Some(users) = users {
            if new_rules.authorization.explicitly_privilege_room_creators {
                users.remove(sender.as_str());
            } else {
                users.insert(sender.to_string(), json!(100));
            }
        }
        let override_power = power.as_object().cloned();
        let new_room_id = self
            .create_room(
                sender,
                CreateRoom {
                    creation_content: Some(creation),
                    initial_state,
                    power_level_content_override: override_power,
                    room_version: Some(new_version),
                    ..Default::default()
                },
            )
            .await?;

        // Tombstone the old room and stop ordinary members from talking there.
        {
            let mut guard = self.lock_known(room_id, not_in_room).await?;
            let room = guard.as_mut().expect("known room");
            let tombstone =
                json!({ "body": "This room has been replaced", "replacement_room": new_room_id });
            self.append(
                room,
                sender,
                EventDraft::state(StateEventType::RoomTombstone, "", tombstone),
                None,
            )
            .await?;
            let mut restricted = room
                .get(&StateEventType::RoomPowerLevels, "")
                .map(|p| p.content_value())
                .unwrap_or_else(|| json!({}));
            let users_default = restricted
                .get("users_default")
                .and_then(JsonValue::as_i64)
                .unwrap_or(0);
            let level = 50.max(users_default + 1);
            restricted["events_default"] = json!(level);
            restricted["invite"] = json!(level);
            // May fail if the upgrader cannot change power levels; the tombstone stands anyway.
            let draft = EventDraft::state(StateEventType::RoomPowerLevels, "", restricted);
            if let Err(err) = self.append(room, sender, draft, None).await {
                tracing::info!(error = %err, "could not restrict the old room's power levels");
            }
        }

        // Move local aliases over, with the canonical alias.
        for alias in self.store().room_aliases(room_id.as_str()).await? {
            let (_, creator) = self.store().alias(&alias).await?.unwrap_or_default();
            self.store().delete_alias(&alias).await?;
            self.store()
                .create_alias(&alias, new_room_id.as_str(), &creator)
                .await?;
        }
        if let Some(alias_content) =
            old_alias.filter(|c| c.get("alias").is_some() || c.get("alt_aliases").is_some())
        {
            let mut guard = self.lock_known(&new_room_id, not_in_room).await?;
            let room = guard.as_mut().expect("known room");
            self.append(
                room,
                sender,
                EventDraft::state(StateEventType::RoomCanonicalAlias, "", alias_content),
                None,
            )
            .await?;
            drop(guard);
            let mut guard = self.lock_known(room_id, not_in_room).await?;
            let room = guard.as_mut().expect("known room");
            let cleared = self
                .append(
                    room,
                    sender,
                    EventDraft::state(StateEventType::RoomCanonicalAlias, "", json!({})),
                    None,
                )
                .await;
            if let Err(err) = cleared {
                tracing::info!(error = %err, "could not clear the old room's canonical alias");
            }
        }
        if self
            .store()
            .room(room_id.as_str())
            .await?
            .is_some_and(|r| r.published)
        {
            self.store()
                .set_room_published(room_id.as_str(), false)
                .await?;
            self.store()
                .set_room_published(new_room_id.as_str(), true)
                .await?;
        }
        tracing::info!(old = %room_id, new = %new_room_id, "room upgraded");
        Ok(new_room_id)
    }
}
