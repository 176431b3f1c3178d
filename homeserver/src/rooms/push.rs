//! Push rules: each user's rule set (their `m.push_rules` account data, or the spec's
//! defaults), cached in memory, and their evaluation for every new event. The actions are
//! stored with the event, so unread counts are exact the moment the event is visible.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use ruma::{
    OwnedUserId, UInt, UserId,
    events::{StateEventType, TimelineEventType},
    push::{FlattenedJson, PushConditionPowerLevelsCtx, PushConditionRoomCtx, Ruleset},
    serde::Raw,
};
use serde_json::Value as JsonValue;

use super::{Rooms, build::power_levels, pdu::Pdu, state::RoomState};
use crate::{
    http::error::Result,
    storage::{AccountDataStore, PushActions},
};

/// The account data type a user's rule set is kept under (also sent to clients in sync).
pub const PUSH_RULES: &str = "m.push_rules";

#[derive(Default)]
pub struct RulesetCache {
    users: Mutex<HashMap<OwnedUserId, Arc<Ruleset>>>,
}

impl Rooms {
    /// A user's push rules.
    pub async fn ruleset(&self, user_id: &UserId) -> Result<Arc<Ruleset>> {
        if let Some(found) = self.cached_ruleset(user_id) {
            return Ok(found);
        }
        let stored = self
            .store()
            .account_data(user_id.as_str(), "", PUSH_RULES)
            .await?;
        let ruleset = stored
            .and_then(|text| serde_json::from_str::<JsonValue>(&text).ok())
            .and_then(|mut v| serde_json::from_value::<Ruleset>(v["global"].take()).ok())
            .unwrap_or_else(|| Ruleset::server_default(user_id));
        let ruleset = Arc::new(ruleset);
        self.remember_ruleset(user_id, ruleset.clone());
        Ok(ruleset)
    }

    fn cached_ruleset(&self, user_id: &UserId) -> Option<Arc<Ruleset>> {
        let cache = self
            .inner
            .rulesets
            .users
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        cache.get(user_id).cloned()
    }

    /// Replaces a user's cached rules (after they were stored).
    pub fn remember_ruleset(&self, user_id: &UserId, ruleset: Arc<Ruleset>) {
        let mut cache = self
            .inner
            .rulesets
            .users
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        cache.insert(user_id.to_owned(), ruleset);
    }

    /// The push actions of a new event for each local user it may notify: joined members
    /// but the sender, and the target of an invite.
    pub(super) async fn push_actions(
        &self,
        room: &RoomState,
        pdu: &Pdu,
    ) -> Result<Vec<PushActions>> {
        let server = self.server_name();
        let mut users: Vec<(OwnedUserId, String)> = Vec::new();
        let mut joined: u64 = 0;
        for ((kind, key), member) in &room.state {
            if *kind != StateEventType::RoomMember {
                continue;
            }
            let membership = member.content_str("membership");
            let invited_now = pdu.kind == TimelineEventType::RoomMember
                && pdu.state_key.as_deref() == Some(key)
                && membership.as_deref() == Some("invite");
            if membership.as_deref() == Some("join") {
                joined += 1;
            }
            if !(membership.as_deref() == Some("join") || invited_now) || key == pdu.sender.as_str()
            {
                continue;
            }
            let Ok(user) = OwnedUserId::try_from(key.as_str()) else {
                continue;
            };
            if user.server_name() != server {
                continue;
            }
            let name = member
                .content_str("displayname")
                .unwrap_or_else(|| user.localpart().to_owned());
            users.push((user, name));
        }
        if users.is_empty() {
            return Ok(Vec::new());
        }
        let levels = power_levels(room);
        let power = PushConditionPowerLevelsCtx::new(
            levels.users.clone(),
            levels.users_default,
            levels.notifications.clone(),
            levels.rules.clone(),
        );
        // Flattened once; each user's rules then only compare.
        let event = push_view(pdu)?;
        let thread_id = match event.get_str(r"content.m\.relates_to.rel_type") {
            Some("m.thread") => event
                .get_str(r"content.m\.relates_to.event_id")
                .unwrap_or_default()
                .to_owned(),
            _ => String::new(),
        };
        let mut out = Vec::new();
        for (user, name) in users {
            let ruleset = self.ruleset(&user).await?;
            let mut context = PushConditionRoomCtx::new(
                room.room_id.clone(),
                UInt::new_saturating(joined),
                user.clone(),
                name,
            );
            context.power_levels = Some(power.clone());
            let mut actions = None;
            for rule in ruleset.iter() {
                if rule.applies(&event, &context).await {
                    actions = Some(rule.actions().to_vec());
                    break;
                }
            }
            let Some(actions) = actions.filter(|a| a.iter().any(|a| a.should_notify())) else {
                continue;
            };
            out.push(PushActions {
                user_id: user.to_string(),
                thread_id: thread_id.clone(),
                actions: serde_json::to_string(&actions).unwrap_or_else(|_| "[]".into()),
                highlight: actions.iter().any(|a| a.is_highlight()),
            });
        }
        Ok(out)
    }
}

/// The event as push rules see it: its fields in the client format, without the PDU's
/// hashes, signatures and graph, which no rule may match on and which cost the most to
/// flatten.
fn push_view(pdu: &Pdu) -> Result<FlattenedJson> {
    #[derive(serde::Serialize)]
    struct View<'a> {
        event_id: &'a ruma::EventId,
        room_id: &'a ruma::RoomId,
        sender: &'a UserId,
        #[serde(rename = "type")]
        kind: &'a TimelineEventType,
        #[serde(skip_serializing_if = "Option::is_none")]
        state_key: Option<&'a str>,
        origin_server_ts: ruma::MilliSecondsSinceUnixEpoch,
        content: &'a serde_json::value::RawValue,
    }
    let view = View {
        event_id: &pdu.event_id,
        room_id: &pdu.room_id,
        sender: &pdu.sender,
        kind: &pdu.kind,
        state_key: pdu.state_key.as_deref(),
        origin_server_ts: pdu.origin_server_ts,
        content: &pdu.content,
    };
    // ruma flattens only from `Raw` (its `from_value` is private): hence the JSON text.
    let raw = serde_json::value::to_raw_value(&view)
        .map_err(|_| crate::http::error::Error::internal())?;
    Ok(FlattenedJson::from_raw(&Raw::<JsonValue>::from_json(raw)))
}
