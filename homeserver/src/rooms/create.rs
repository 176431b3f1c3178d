//! `POST /createRoom`: the create event, the creator's join, power levels, the preset's
//! rules, initial state, name, topic and invites, in the order the spec gives.

use http::StatusCode;
use ruma::{
    OwnedRoomAliasId, OwnedRoomId, OwnedUserId, RoomVersionId, UserId,
    api::{client::room::create_room::v3::RoomPreset, error::ErrorKind},
    events::{StateEventType, TimelineEventType, room::power_levels::RoomPowerLevelsEventContent},
};
use serde_json::{Map, Value as JsonValue, json};

use super::{
    CREATABLE_VERSIONS, EventDraft, Rooms,
    build::authorize,
    state::{RoomState, version_rules},
};
use crate::{
    http::error::{Error, Result},
    storage::{NewRoom, ProfileStore, RoomStore},
};

/// `createRoom`'s parameters, with the raw JSON parts already parsed.
#[derive(Debug, Default)]
pub struct CreateRoom {
    pub creation_content: Option<Map<String, JsonValue>>,
    /// `(type, state_key, content)`.
    pub initial_state: Vec<(String, String, JsonValue)>,
    pub invite: Vec<OwnedUserId>,
    pub is_direct: bool,
    pub name: Option<String>,
    pub power_level_content_override: Option<Map<String, JsonValue>>,
    pub preset: Option<RoomPreset>,
    pub room_alias_name: Option<String>,
    pub room_version: Option<RoomVersionId>,
    pub topic: Option<String>,
    pub public: bool,
}

impl Rooms {
    pub async fn create_room(&self, sender: &UserId, req: CreateRoom) -> Result<OwnedRoomId> {
        let version = req
            .room_version
            .clone()
            .unwrap_or_else(|| self.default_version().clone());
        if !CREATABLE_VERSIONS.contains(&version) {
            return Err(Error::new(
                StatusCode::BAD_REQUEST,
                ErrorKind::UnsupportedRoomVersion,
                format!("Hearth does not create rooms of version {version}"),
            ));
        }
        let rules = version_rules(&version)?;
        let alias = req
            .room_alias_name
            .as_deref()
            .map(|name| self.new_alias(name))
            .transpose()?;
        if let Some(alias) = &alias
            && self.store().alias(alias.as_str()).await?.is_some()
        {
            return Err(Error::new(
                StatusCode::BAD_REQUEST,
                ErrorKind::RoomInUse,
                "Room alias already taken",
            ));
        }
        if let Some(over) = &req.power_level_content_override {
            serde_json::from_value::<RoomPowerLevelsEventContent>(JsonValue::Object(over.clone()))
                .map_err(|e| {
                    Error::bad_json(format!("Invalid power_level_content_override: {e}"))
                })?;
        }
        for (kind, _, content) in &req.initial_state {
            if !content.is_object() {
                return Err(Error::bad_json(format!(
                    "initial_state {kind} content must be an object"
                )));
            }
        }
        let preset = req.preset.clone().unwrap_or(if req.public {
            RoomPreset::PublicChat
        } else {
            RoomPreset::PrivateChat
        });

        // 1. m.room.create
        let mut create = req.creation_content.clone().unwrap_or_default();
        create.insert("room_version".into(), json!(version));
        if rules.authorization.use_room_create_sender {
            create.remove("creator");
        } else {
            create.insert("creator".into(), json!(sender));
        }
        let provisional_id: OwnedRoomId = format!(
            "!{}:{}",
            crate::accounts::credentials::random_id(18),
            self.server_name()
        )
        .try_into()
        .map_err(|_| Error::internal())?;
        let draft = EventDraft::state(StateEventType::RoomCreate, "", JsonValue::Object(create));
        let create_pdu = self.build(None, &provisional_id, &rules, sender, draft)?;
        let room_id = create_pdu.room_id.clone();

        let mut guard = self.slot(&room_id).lock_owned().await;
        let room = guard.insert(RoomState::empty(
            room_id.clone(),
            version.clone(),
            rules.clone(),
        ));
        authorize(room, &create_pdu)?;
        let new_room = NewRoom {
            room_version: version.as_str(),
            creator: sender.as_str(),
        };
        self.persist(room, create_pdu, None, Some(new_room)).await?;

        // 2. The creator joins.
        let member = self.member_content("join", sender, None).await?;
        self.append(
            room,
            sender,
            EventDraft::state(StateEventType::RoomMember, sender.as_str(), member),
            None,
        )
        .await?;

        // 3. Power levels (creators of v12 rooms are above them and must not be listed).
        let mut users = Map::new();
        if !rules.authorization.explicitly_privilege_room_creators {
            users.insert(sender.to_string(), json!(100));
        }
        if preset == RoomPreset::TrustedPrivateChat {
            for invitee in &req.invite {
                users.insert(invitee.to_string(), json!(100));
            }
        }
        let private = preset != RoomPreset::PublicChat;
        let mut power_levels = json!({
            "users": users,
            "users_default": 0,
            "events": {
                "m.room.name": 50, "m.room.power_levels": 100, "m.room.history_visibility": 100,
                "m.room.canonical_alias": 50, "m.room.avatar": 50, "m.room.tombstone": 100,
                "m.room.server_acl": 100, "m.room.encryption": 100,
            },
            "events_default": 0,
            "state_default": 50,
            "ban": 50,
            "kick": 50,
            "redact": 50,
            "invite": if private { 0 } else { 50 },
        });
        if let Some(over) = req.power_level_content_override {
            for (key, value) in over {
                power_levels[key] = value;
            }
        }
        self.append(
            room,
            sender,
            EventDraft::state(StateEventType::RoomPowerLevels, "", power_levels),
            None,
        )
        .await?;

        // 4. Canonical alias.
        if let Some(alias) = &alias {
            if !self
                .store()
                .create_alias(alias.as_str(), room_id.as_str(), sender.as_str())
                .await?
            {
                return Err(Error::new(
                    StatusCode::BAD_REQUEST,
                    ErrorKind::RoomInUse,
                    "Room alias already taken",
                ));
            }
            let content = json!({ "alias": alias });
            self.append(
                room,
                sender,
                EventDraft::state(StateEventType::RoomCanonicalAlias, "", content),
                None,
            )
            .await?;
        }

        // 5. The preset's rules, then initial_state (which overrides them), then name and topic.
        let mut preset_state = vec![
            (
                StateEventType::RoomJoinRules,
                json!({ "join_rule": if private { "invite" } else { "public" } }),
            ),
            (
                StateEventType::RoomHistoryVisibility,
                json!({ "history_visibility": "shared" }),
            ),
        ];
        if private {
            preset_state.push((
                StateEventType::RoomGuestAccess,
                json!({ "guest_access": "can_join" }),
            ));
        }
        for (kind, content) in preset_state {
            let overridden = req
                .initial_state
                .iter()
                .any(|(t, k, _)| t == &kind.to_string() && k.is_empty());
            if !overridden {
                self.append(room, sender, EventDraft::state(kind, "", content), None)
                    .await?;
            }
        }
        for (kind, state_key, content) in req.initial_state {
            let draft = EventDraft {
                kind: kind.into(),
                content,
                state_key: Some(state_key),
                redacts: None,
            };
            self.append(room, sender, draft, None).await?;
        }
        if let Some(name) = req.name {
            self.append(
                room,
                sender,
                EventDraft::state(StateEventType::RoomName, "", json!({ "name": name })),
                None,
            )
            .await?;
        }
        if let Some(topic) = req.topic {
            let content =
                json!({ "topic": topic, "m.topic": [{ "mimetype": "text/plain", "body": topic }] });
            self.append(
                room,
                sender,
                EventDraft::state(StateEventType::RoomTopic, "", content),
                None,
            )
            .await?;
        }

        // 6. Invites.
        for invitee in &req.invite {
            let mut content = self.member_content("invite", invitee, None).await?;
            if req.is_direct {
                content["is_direct"] = json!(true);
            }
            let draft = EventDraft {
                kind: TimelineEventType::RoomMember,
                content,
                state_key: Some(invitee.to_string()),
                redacts: None,
            };
            self.append(room, sender, draft, None).await?;
        }
        if req.public {
            self.store()
                .set_room_published(room_id.as_str(), true)
                .await?;
        }
        tracing::info!(room = %room_id, %version, "room created");
        Ok(room_id)
    }

    /// `#name:our.server`, checked against the alias grammar.
    pub(super) fn new_alias(&self, name: &str) -> Result<OwnedRoomAliasId> {
        if name.is_empty() || name.contains(':') || name.chars().any(char::is_whitespace) {
            return Err(Error::invalid_param(
                "room_alias_name must be a bare localpart",
            ));
        }
        OwnedRoomAliasId::try_from(format!("#{name}:{}", self.server_name()))
            .map_err(|_| Error::invalid_param("Invalid room alias"))
    }

    /// `m.room.member` content for `user_id` with their profile (for local users).
    pub(super) async fn member_content(
        &self,
        membership: &str,
        user_id: &UserId,
        reason: Option<&str>,
    ) -> Result<JsonValue> {
        let mut content = json!({ "membership": membership });
        if user_id.server_name() == self.server_name() {
            let profile = self.store().profile(user_id.as_str()).await?;
            for field in ["displayname", "avatar_url"] {
                if let Some(value) = profile.get(field) {
                    content[field] = value.clone();
                }
            }
        }
        if let Some(reason) = reason {
            content["reason"] = json!(reason);
        }
        Ok(content)
    }
}
