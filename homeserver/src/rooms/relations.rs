//! Relations: bundled aggregations (`unsigned.m.relations`), `/relations`, `/threads`,
//! `/context`, `/timestamp_to_event` and reports.

use std::collections::HashMap;

use ruma::{
    EventId, OwnedEventId, OwnedRoomId, RoomId, UserId, room_version_rules::RoomVersionRules,
};
use serde_json::{Value as JsonValue, json};

use super::{
    Rooms,
    read::{parse_token, token},
};
use crate::{
    http::error::{Error, Result},
    storage::{EventFilter, EventStore, now_ms},
};

/// How deep `recurse=true` follows relations of relations (the spec's suggestion is 3).
const MAX_RECURSION: usize = 3;

/// A page of `/relations` or `/threads`.
pub struct RelationsPage {
    pub chunk: Vec<JsonValue>,
    pub next_batch: Option<String>,
    pub recursion_depth: Option<usize>,
}

/// A page of `/context`.
pub struct ContextPage {
    pub event: JsonValue,
    pub before: Vec<JsonValue>,
    pub after: Vec<JsonValue>,
    pub start: Option<String>,
    pub end: Option<String>,
    pub state: Vec<JsonValue>,
}

impl Rooms {
    /// Adds `unsigned.m.relations` to `events` (client format, same order as `ids` for the
    /// unredacted ones): the latest edit by the original sender, thread summaries, references.
    pub(super) async fn bundle_relations(
        &self,
        room_id: &OwnedRoomId,
        rules: &RoomVersionRules,
        ids: &[String],
        events: &mut [JsonValue],
        viewer: &str,
    ) -> Result<()> {
        // Recent events nothing relates to need no lookup.
        if self.inner.tails.all_unrelated(room_id.as_str(), ids) {
            return Ok(());
        }
        let relations = self.store().relation_summaries(ids).await?;
        if relations.is_empty() {
            return Ok(());
        }
        let mut by_parent: HashMap<&str, Vec<&(String, String, String, String)>> = HashMap::new();
        for relation in &relations {
            by_parent
                .entry(relation.0.as_str())
                .or_default()
                .push(relation);
        }
        // The full events the bundles show: latest edits and latest thread replies.
        let mut wanted = Vec::new();
        let mut picks: HashMap<String, (Option<String>, Option<String>)> = HashMap::new();
        for event in events.iter() {
            let (Some(id), Some(sender)) = (event["event_id"].as_str(), event["sender"].as_str())
            else {
                continue;
            };
            let Some(related) = by_parent.get(id) else {
                continue;
            };
            let edit = related
                .iter()
                .rev()
                .find(|r| r.1 == "m.replace" && r.3 == sender)
                .map(|r| r.2.clone());
            let latest_reply = related
                .iter()
                .rev()
                .find(|r| r.1 == "m.thread")
                .map(|r| r.2.clone());
            wanted.extend(edit.iter().chain(latest_reply.iter()).cloned());
            picks.insert(id.to_owned(), (edit, latest_reply));
        }
        let full = self.store().events(&wanted).await?;
        let full = self.plain_client_events(room_id, rules, full).await?;
        let find = |id: &Option<String>| {
            id.as_ref()
                .and_then(|id| full.iter().find(|e| e["event_id"] == id.as_str()).cloned())
        };
        for event in events.iter_mut() {
            let Some(id) = event["event_id"].as_str().map(str::to_owned) else {
                continue;
            };
            let Some(related) = by_parent.get(id.as_str()) else {
                continue;
            };
            let (edit, latest_reply) = picks.remove(&id).unwrap_or_default();
            let mut bundle = serde_json::Map::new();
            if let Some(edit) = find(&edit) {
                bundle.insert("m.replace".into(), edit);
            }
            let replies: Vec<_> = related.iter().filter(|r| r.1 == "m.thread").collect();
            if let Some(latest) = find(&latest_reply) {
                let participated =
                    event["sender"] == viewer || replies.iter().any(|r| r.3 == viewer);
                bundle.insert(
                    "m.thread".into(),
                    json!({ "latest_event": latest, "count": replies.len(), "current_user_participated": participated }),
                );
            }
            let references: Vec<JsonValue> = related
                .iter()
                .filter(|r| r.1 == "m.reference")
                .map(|r| json!({ "event_id": r.2 }))
                .collect();
            if !references.is_empty() {
                bundle.insert("m.reference".into(), json!({ "chunk": references }));
            }
            if !bundle.is_empty() {
                event["unsigned"]["m.relations"] = JsonValue::Object(bundle);
            }
        }
        Ok(())
    }

    /// `GET /rooms/{roomId}/relations/{eventId}[/{relType}[/{eventType}]]`.
    #[allow(clippy::too_many_arguments)]
    pub async fn relations_for(
        &self,
        user_id: &UserId,
        room_id: &RoomId,
        event_id: &EventId,
        rel_type: Option<&str>,
        kind: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
        forward: bool,
        limit: u32,
        recurse: bool,
    ) -> Result<RelationsPage> {
        // The parent must be visible to the user; that also checks membership.
        self.event_for(user_id, room_id, event_id).await?;
        let rules = self.rules_of(room_id).await?;
        let start = match from {
            Some(from) => parse_token(from)?,
            None if forward => 0,
            None => i64::MAX,
        };
        let to = to.map(parse_token).transpose()?;
        let limit = limit.clamp(1, 1000);
        // Each parent's distance from the event asked about (which is 0).
        let mut levels: HashMap<String, usize> = HashMap::from([(event_id.to_string(), 0)]);
        let mut parents = vec![event_id.to_string()];
        if recurse {
            // Collect descendants breadth first; the page is over relations to any of them.
            let mut frontier = parents.clone();
            for level in 1..MAX_RECURSION {
                let children = self
                    .store()
                    .relations(
                        room_id.as_str(),
                        &frontier,
                        None,
                        None,
                        0,
                        None,
                        true,
                        10_000,
                    )
                    .await?;
                frontier = children
                    .into_iter()
                    .map(|e| e.event_id)
                    .filter(|id| !levels.contains_key(id))
                    .collect();
                if frontier.is_empty() {
                    break;
                }
                for id in &frontier {
                    levels.insert(id.clone(), level);
                }
                parents.extend(frontier.iter().cloned());
            }
        }
        let stored = self
            .store()
            .relations(
                room_id.as_str(),
                &parents,
                rel_type,
                kind,
                start,
                to,
                forward,
                limit + 1,
            )
            .await?;
        let more = stored.len() as u32 > limit;
        let stored: Vec<_> = stored.into_iter().take(limit as usize).collect();
        let next_batch = more.then(|| token(stored.last().map_or(start, |e| e.stream_ordering)));
        // How deep the returned relations actually go.
        let depth = stored
            .iter()
            .filter_map(|e| serde_json::from_str::<JsonValue>(&e.json).ok())
            .filter_map(|json| {
                json["content"]["m.relates_to"]["event_id"]
                    .as_str()
                    .and_then(|p| levels.get(p))
                    .map(|l| l + 1)
            })
            .max()
            .unwrap_or(1);
        let chunk = self
            .to_client(&room_id.to_owned(), &rules, stored, user_id.as_str())
            .await?;
        Ok(RelationsPage {
            chunk,
            next_batch,
            recursion_depth: recurse.then_some(depth),
        })
    }

    /// `GET /rooms/{roomId}/threads`: roots ordered by their latest reply. `participated_only`
    /// keeps threads the user started or replied to.
    pub async fn threads_for(
        &self,
        user_id: &UserId,
        room_id: &RoomId,
        from: Option<&str>,
        limit: u32,
        participated_only: bool,
    ) -> Result<RelationsPage> {
        self.check_can_read(user_id, room_id).await?;
        let before = from.map(parse_token).transpose()?.unwrap_or(i64::MAX);
        let limit = limit.clamp(1, 100);
        let mut chunk = Vec::new();
        let mut cursor = before;
        let mut next_batch = None;
        loop {
            let roots = self
                .store()
                .thread_roots(room_id.as_str(), cursor, limit)
                .await?;
            let exhausted = (roots.len() as u32) < limit;
            for (root, latest) in roots {
                cursor = latest;
                let Ok(root_id) = OwnedEventId::try_from(root) else {
                    continue;
                };
                let Ok(event) = self.event_for(user_id, room_id, &root_id).await else {
                    continue;
                };
                let participated = event["unsigned"]["m.relations"]["m.thread"]["current_user_participated"]
                    == true;
                if participated_only && !participated {
                    continue;
                }
                chunk.push(event);
                if chunk.len() as u32 == limit {
                    next_batch = Some(token(cursor));
                    break;
                }
            }
            if exhausted || next_batch.is_some() {
                break;
            }
        }
        Ok(RelationsPage {
            chunk,
            next_batch,
            recursion_depth: None,
        })
    }

    /// `GET /rooms/{roomId}/context/{eventId}`: the event with up to `limit` events around it
    /// (split before/after) and the state at it.
    pub async fn context_for(
        &self,
        user_id: &UserId,
        room_id: &RoomId,
        event_id: &EventId,
        limit: u32,
        filter: &EventFilter,
    ) -> Result<ContextPage> {
        let event = self.event_for(user_id, room_id, event_id).await?;
        let limit = limit.min(100);
        let (before, after, start, end) = self
            .context_around(
                user_id,
                room_id,
                event_id,
                limit / 2,
                limit - limit / 2,
                filter,
            )
            .await?;
        let stored = self
            .store()
            .event(event_id.as_str())
            .await?
            .ok_or_else(|| Error::not_found("Event not found"))?;
        let rules = self.rules_of(room_id).await?;
        let entries = self.store().state_group(stored.state_group).await?;
        let ids: Vec<String> = entries.into_values().collect();
        let state = self
            .plain_client_events(
                &room_id.to_owned(),
                &rules,
                self.store().events(&ids).await?,
            )
            .await?;
        Ok(ContextPage {
            event,
            start: Some(start),
            end: Some(end),
            before,
            after,
            state,
        })
    }

    /// Up to `before`/`after` visible events around an event (newest-first before, oldest-first
    /// after), with tokens to paginate on from either side.
    pub(super) async fn context_around(
        &self,
        user_id: &UserId,
        room_id: &RoomId,
        event_id: &EventId,
        before: u32,
        after: u32,
        filter: &EventFilter,
    ) -> Result<(Vec<JsonValue>, Vec<JsonValue>, String, String)> {
        let stored = self
            .store()
            .event(event_id.as_str())
            .await?
            .ok_or_else(|| Error::not_found("Event not found"))?;
        let position = token(stored.stream_ordering);
        let position = &position;
        let page = |forward: bool, n: u32| async move {
            if n == 0 {
                return Ok::<_, Error>((vec![], None));
            }
            let page = self
                .messages(
                    user_id,
                    room_id,
                    Some(position),
                    None,
                    forward,
                    n,
                    filter,
                    false,
                )
                .await?;
            Ok((page.chunk, page.end))
        };
        let (events_before, start) = page(false, before).await?;
        let (events_after, end) = page(true, after).await?;
        let start = start.unwrap_or_else(|| token(0));
        let end = end.unwrap_or_else(|| token(stored.stream_ordering));
        Ok((events_before, events_after, start, end))
    }

    /// `GET /rooms/{roomId}/timestamp_to_event`.
    pub async fn event_at(
        &self,
        user_id: &UserId,
        room_id: &RoomId,
        ts: i64,
        forward: bool,
    ) -> Result<(OwnedEventId, i64)> {
        self.check_can_read(user_id, room_id).await?;
        let found = self
            .store()
            .event_at_timestamp(room_id.as_str(), ts, forward)
            .await?;
        let (event_id, ts) =
            found.ok_or_else(|| Error::not_found("No event found in that direction"))?;
        Ok((
            OwnedEventId::try_from(event_id).map_err(|_| Error::internal())?,
            ts,
        ))
    }

    /// `POST /rooms/{roomId}/report[/{eventId}]`: stored for the server's admins.
    pub async fn report(
        &self,
        user_id: &UserId,
        room_id: &RoomId,
        event_id: Option<&EventId>,
        reason: Option<&str>,
    ) -> Result<()> {
        match event_id {
            Some(event_id) => {
                self.event_for(user_id, room_id, event_id).await?;
            }
            None => {
                self.lock_known(room_id, || Error::not_found("Room not found"))
                    .await?;
            }
        }
        if reason.is_some_and(|r| r.len() > 1000) {
            return Err(Error::invalid_param("Reason is too long"));
        }
        self.store()
            .add_report(
                room_id.as_str(),
                event_id.map(EventId::as_str),
                user_id.as_str(),
                reason,
                now_ms(),
            )
            .await?;
        tracing::warn!(room = %room_id, event = ?event_id, reporter = %user_id, "content reported");
        Ok(())
    }
}
