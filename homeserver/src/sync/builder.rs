//! The one sync response builder, used by `/sync` and the WebSocket alike: everything that
//! changed for a user between two tokens, shaped and filtered as the spec's `/sync` says.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    sync::Arc,
};

use ruma::{
    OwnedRoomId, OwnedUserId, RoomId, UInt,
    api::client::{
        filter::{FilterDefinition, LazyLoadOptions},
        sync::sync_events::{
            DeviceLists, UnreadNotificationsCount,
            v3::{
                Ephemeral, GlobalAccountData, InviteState, InvitedRoom, JoinedRoom, KnockState,
                KnockedRoom, LeftRoom, Presence as PresenceUpdates, Response, RoomAccountData,
                RoomSummary, Rooms, State, StateEvents, Timeline, ToDevice,
            },
        },
    },
    serde::Raw,
};
use serde_json::{Value as JsonValue, json};

use super::{SyncEngine, streams::SyncToken};
use crate::{
    http::error::{Error, Result},
    rooms::{StatePick, TimelineWindow, event_filter, push::PUSH_RULES, token},
    storage::{
        AccountDataStore, EventFilter, EventStore, Membership, Receipt, ReceiptStore, RoomStore,
        ToDeviceStore,
    },
};

/// Timeline events per room when the filter does not say.
const DEFAULT_TIMELINE_LIMIT: u32 = 10;
/// To-device messages per response; the rest follow in the next sync.
pub const TO_DEVICE_LIMIT: usize = 100;

/// Who syncs, from where, and how.
pub struct SyncParams {
    pub user_id: OwnedUserId,
    pub device_id: String,
    pub since: Option<SyncToken>,
    pub full_state: bool,
    pub filter: FilterDefinition,
    pub use_state_after: bool,
}

/// The parts of a filter the builder applies, worked out once per request.
struct Plan<'a> {
    p: &'a SyncParams,
    now: SyncToken,
    timeline: EventFilter,
    state: EventFilter,
    limit: u32,
    lazy_members: bool,
    ignored: Arc<HashSet<String>>,
}

fn to_raw<T>(value: &JsonValue) -> Result<Raw<T>> {
    serde_json::value::to_raw_value(value)
        .map(Raw::from_json)
        .map_err(|_| Error::internal())
}

fn raws<T>(values: &[JsonValue]) -> Result<Vec<Raw<T>>> {
    values.iter().map(to_raw).collect()
}

/// Whether a room passes `rooms`/`not_rooms` of a filter.
fn room_allowed(
    rooms: Option<&[OwnedRoomId]>,
    not_rooms: &[OwnedRoomId],
    room_id: &RoomId,
) -> bool {
    rooms.is_none_or(|r| r.iter().any(|x| x == room_id)) && !not_rooms.iter().any(|x| x == room_id)
}

impl SyncEngine {
    /// Builds the response for everything visible at `now` after `p.since`. The flag says
    /// whether it carries anything (a long-poll keeps waiting when it does not).
    pub async fn build(&self, p: &SyncParams, now: SyncToken) -> Result<(Response, bool)> {
        let f = &p.filter;
        let plan = Plan {
            p,
            now,
            timeline: event_filter(&f.room.timeline),
            state: event_filter(&f.room.state),
            limit: f
                .room
                .timeline
                .limit
                .map_or(DEFAULT_TIMELINE_LIMIT, |l| {
                    u32::try_from(l).unwrap_or(u32::MAX)
                })
                .clamp(1, 1000),
            lazy_members: matches!(
                f.room.state.lazy_load_options,
                LazyLoadOptions::Enabled { .. }
            ),
            ignored: self.ignored_users(&p.user_id).await?,
        };
        let since = p.since;
        let mut response = Response::new(String::new());
        let mut has_data = false;

        let memberships = self.memberships_of(&p.user_id, now.events).await?;
        let joined: Vec<String> = memberships
            .iter()
            .filter(|m| m.membership == "join")
            .map(|m| m.room_id.clone())
            .collect();
        let changed_rooms: Option<HashSet<Arc<str>>> = match since {
            Some(s) if s.events >= now.events => Some(HashSet::new()),
            Some(s) => Some(
                match self.streams.recent.rooms_between(s.events, now.events) {
                    Some(rooms) => rooms,
                    None => self
                        .store
                        .rooms_with_events_between(s.events, now.events)
                        .await?
                        .into_iter()
                        .map(Into::into)
                        .collect(),
                },
            ),
            None => None,
        };
        let receipts = self
            .receipts_for(p, &plan.ignored, since, now, &joined)
            .await?;
        let (global_data, mut room_data) = self.account_data_for(p, since, now).await?;

        let room_filter_def = &f.room;
        let mut sorted: Vec<&Membership> = memberships.iter().collect();
        sorted.sort_by(|a, b| a.room_id.cmp(&b.room_id));
        let mut rooms = Rooms::new();
        let mut handed = Vec::new();
        for m in sorted {
            let Ok(room_id) = OwnedRoomId::try_from(m.room_id.as_str()) else {
                continue;
            };
            if !room_allowed(
                room_filter_def.rooms.as_deref(),
                &room_filter_def.not_rooms,
                &room_id,
            ) || m.stream_ordering > now.events
            {
                continue;
            }
            let since_events = since.map(|s| s.events);
            let membership_new = since_events.is_none_or(|s| m.stream_ordering > s);
            match m.membership.as_str() {
                "join" => {
                    let has_events = changed_rooms
                        .as_ref()
                        .is_none_or(|c| c.contains(m.room_id.as_str()));
                    let typing = self.typing.typing_since(&room_id, since.map(|s| s.typing));
                    let room_receipts = receipts.get(&m.room_id);
                    let data = room_data.remove(&m.room_id);
                    let fresh = membership_new || p.full_state;
                    if !fresh
                        && !has_events
                        && typing.is_none()
                        && room_receipts.is_none()
                        && data.is_none()
                    {
                        continue;
                    }
                    let Some((joined_room, newest)) = self
                        .joined_room(
                            &plan,
                            &room_id,
                            m.stream_ordering,
                            fresh,
                            has_events,
                            typing,
                            room_receipts,
                            data,
                        )
                        .await?
                    else {
                        continue;
                    };
                    if let Some((event_id, position)) = newest {
                        handed.push((m.room_id.clone(), event_id, position));
                    }
                    rooms.join.insert(room_id, joined_room);
                }
                "invite" if membership_new => {
                    let state = self.rooms.invite_state(&room_id, &m.event_id).await?;
                    let inviter = state
                        .last()
                        .and_then(|e| e["sender"].as_str())
                        .unwrap_or_default();
                    if plan.ignored.contains(inviter) {
                        continue;
                    }
                    let mut invited = InvitedRoom::new();
                    invited.invite_state = InviteState::from(raws(&state)?);
                    rooms.invite.insert(room_id, invited);
                }
                "knock" if membership_new => {
                    let state = self.rooms.invite_state(&room_id, &m.event_id).await?;
                    let mut knock_state = KnockState::new();
                    knock_state.events = raws(&state)?;
                    rooms.knock.insert(room_id, KnockedRoom::from(knock_state));
                }
                "leave" | "ban" => {
                    let wanted = match since_events {
                        Some(s) => {
                            m.stream_ordering > s || (p.full_state && room_filter_def.include_leave)
                        }
                        None => room_filter_def.include_leave,
                    };
                    if !wanted
                        || self
                            .store
                            .is_forgotten(p.user_id.as_str(), &m.room_id)
                            .await?
                    {
                        continue;
                    }
                    let left = self.left_room(&plan, &room_id, m).await?;
                    rooms.leave.insert(room_id, left);
                }
                _ => {}
            }
        }
        self.deliveries
            .handed(&p.user_id, &p.device_id, handed, now.events);
        has_data |= !(rooms.join.is_empty()
            && rooms.invite.is_empty()
            && rooms.leave.is_empty()
            && rooms.knock.is_empty());
        response.rooms = rooms;

        let mut global_data = global_data;
        if since.is_none() && !global_data.iter().any(|e| e["type"] == PUSH_RULES) {
            // Clients expect their rules in an initial sync, defaults included.
            let rules = self.ruleset(&p.user_id).await?;
            global_data.push(json!({ "type": PUSH_RULES, "content": { "global": *rules } }));
        }
        if !global_data.is_empty() {
            has_data = true;
            response.account_data = GlobalAccountData::new();
            response.account_data.events = raws(&global_data)?;
        }
        let presence = self.presence_for(p, since, now, &joined).await?;
        if !presence.is_empty() {
            has_data = true;
            response.presence = PresenceUpdates::new();
            response.presence.events = raws(&presence)?;
        }
        let (to_device, to_device_pos) = self.to_device_for(p, since, now).await?;
        if !to_device.is_empty() {
            has_data = true;
            response.to_device = ToDevice::new();
            response.to_device.events = raws(&to_device)?;
        }
        let changed = self.device_list_changes(since, now, &joined).await?;
        if !changed.is_empty() {
            has_data = true;
            response.device_lists = DeviceLists::new();
            response.device_lists.changed = changed;
        }
        response.next_batch = SyncToken {
            to_device: to_device_pos,
            ..now
        }
        .to_string();
        Ok((response, has_data))
    }

    #[allow(clippy::too_many_arguments)]
    async fn joined_room(
        &self,
        plan: &Plan<'_>,
        room_id: &RoomId,
        joined_at: i64,
        fresh: bool,
        has_events: bool,
        typing: Option<Vec<OwnedUserId>>,
        receipts: Option<&Vec<Receipt>>,
        account_data: Option<Vec<JsonValue>>,
    ) -> Result<Option<(JoinedRoom, Option<(String, i64)>)>> {
        let p = plan.p;
        let since_events = p.since.map(|s| s.events);
        let mut window = if fresh || has_events {
            self.rooms
                .timeline_window(
                    &p.user_id,
                    &p.device_id,
                    room_id,
                    if fresh { None } else { since_events },
                    plan.now.events,
                    plan.limit,
                    &plan.timeline,
                    &plan.ignored,
                    Some(joined_at),
                )
                .await?
        } else {
            TimelineWindow {
                events: Vec::new(),
                has_members: false,
                limited: false,
                first: None,
                senders: Vec::new(),
                newest_from_others: None,
            }
        };
        let mut room = JoinedRoom::new();
        let state = self
            .state_for(plan, room_id, fresh, &window, plan.now.events)
            .await?;
        let members_changed =
            fresh || window.has_members || state.iter().any(|e| e["type"] == "m.room.member");
        if members_changed {
            let summary = self.rooms.member_summary(&p.user_id, room_id).await?;
            room.summary = RoomSummary::new();
            room.summary.heroes = summary
                .heroes
                .iter()
                .filter_map(|u| OwnedUserId::try_from(u.as_str()).ok())
                .collect();
            room.summary.joined_member_count = Some(UInt::new_saturating(summary.joined));
            room.summary.invited_member_count = Some(UInt::new_saturating(summary.invited));
        }
        room.state = if p.use_state_after {
            State::After(StateEvents::from(raws(&state)?))
        } else {
            State::Before(StateEvents::from(raws(&state)?))
        };
        room.timeline = Timeline::new();
        room.timeline.limited = window.limited;
        room.timeline.prev_batch = Some(token(window.first.unwrap_or(plan.now.events + 1)));
        let timeline_empty = window.events.is_empty();
        room.timeline.events = window.events.drain(..).map(Raw::from_json).collect();

        let mut ephemeral = Vec::new();
        if let Some(mut users) = typing {
            users.retain(|u| !plan.ignored.contains(u.as_str()));
            ephemeral.push(json!({ "type": "m.typing", "content": { "user_ids": users } }));
        }
        if let Some(receipts) = receipts
            && let Some(event) = receipt_event(receipts, p.user_id.as_str())
        {
            ephemeral.push(event);
        }
        let ephemeral_filter = event_filter(&p.filter.room.ephemeral);
        ephemeral.retain(|e| {
            ephemeral_filter.matches(e["type"].as_str().unwrap_or_default(), "", false)
        });
        if !ephemeral.is_empty() {
            room.ephemeral = Ephemeral::new();
            room.ephemeral.events = raws(&ephemeral)?;
        }
        self.set_unread_counts(p, room_id, &mut room).await?;
        let nothing = !fresh
            && timeline_empty
            && state.is_empty()
            && ephemeral.is_empty()
            && account_data.is_none();
        if nothing {
            return Ok(None);
        }
        if let Some(data) = account_data {
            room.account_data = RoomAccountData::new();
            room.account_data.events = raws(&data)?;
        }
        Ok(Some((room, window.newest_from_others)))
    }

    /// `unread_notifications`, and per thread when the filter asks for thread counts.
    async fn set_unread_counts(
        &self,
        p: &SyncParams,
        room_id: &RoomId,
        room: &mut JoinedRoom,
    ) -> Result<()> {
        let by_thread = p.filter.room.timeline.unread_thread_notifications;
        let counts = self.rooms.unread_counts(&p.user_id, room_id).await?;
        let (mut notifications, mut highlights) = (0u64, 0u64);
        for (thread, c) in counts {
            if by_thread && !thread.is_empty() {
                if let Ok(root) = ruma::OwnedEventId::try_from(thread) {
                    let mut count = UnreadNotificationsCount::new();
                    count.notification_count = Some(UInt::new_saturating(c.notifications));
                    count.highlight_count = Some(UInt::new_saturating(c.highlights));
                    room.unread_thread_notifications.insert(root, count);
                }
            } else {
                notifications += c.notifications;
                highlights += c.highlights;
            }
        }
        room.unread_notifications = UnreadNotificationsCount::new();
        room.unread_notifications.notification_count = Some(UInt::new_saturating(notifications));
        room.unread_notifications.highlight_count = Some(UInt::new_saturating(highlights));
        Ok(())
    }

    /// `state` (before the timeline) or `state_after` (after it) of a room in a response.
    async fn state_for(
        &self,
        plan: &Plan<'_>,
        room_id: &RoomId,
        fresh: bool,
        window: &TimelineWindow,
        end: i64,
    ) -> Result<Vec<JsonValue>> {
        let p = plan.p;
        let senders: HashSet<String> = window.senders.iter().cloned().collect();
        let pick = StatePick {
            filter: &plan.state,
            members_of: plan.lazy_members.then_some(&senders),
        };
        let since_events = p.since.map(|s| s.events);
        let (from, to) = if p.use_state_after {
            (if fresh { None } else { since_events }, end)
        } else {
            let start = window.first.map_or(end, |first| first - 1);
            match (fresh, window.limited) {
                (true, _) => (None, start),
                (false, true) => (since_events, start),
                (false, false) => return Ok(Vec::new()),
            }
        };
        if let Some(from) = from
            && self
                .streams
                .recent
                .state_changed(room_id.as_str(), from, to)
                == Some(false)
        {
            return Ok(Vec::new());
        }
        self.rooms
            .state_between(&p.user_id, room_id, from, to, &pick)
            .await
    }

    /// A room the user left (or was removed from): the timeline up to their leave.
    async fn left_room(
        &self,
        plan: &Plan<'_>,
        room_id: &RoomId,
        m: &Membership,
    ) -> Result<LeftRoom> {
        let p = plan.p;
        let since_events = p.since.map(|s| s.events);
        let window = self
            .rooms
            .timeline_window(
                &p.user_id,
                &p.device_id,
                room_id,
                since_events.filter(|s| *s < m.stream_ordering),
                m.stream_ordering,
                plan.limit,
                &plan.timeline,
                &plan.ignored,
                None,
            )
            .await?;
        let state = self
            .state_for(
                plan,
                room_id,
                since_events.is_none(),
                &window,
                m.stream_ordering,
            )
            .await?;
        let mut left = LeftRoom::new();
        left.state = if p.use_state_after {
            State::After(StateEvents::from(raws(&state)?))
        } else {
            State::Before(StateEvents::from(raws(&state)?))
        };
        left.timeline = Timeline::new();
        left.timeline.limited = window.limited;
        left.timeline.prev_batch = Some(token(window.first.unwrap_or(m.stream_ordering + 1)));
        left.timeline.events = window.events.into_iter().map(Raw::from_json).collect();
        Ok(left)
    }

    /// Receipts of the user's joined rooms that changed, by room (none from ignored users).
    async fn receipts_for(
        &self,
        p: &SyncParams,
        ignored: &HashSet<String>,
        since: Option<SyncToken>,
        now: SyncToken,
        joined: &[String],
    ) -> Result<HashMap<String, Vec<Receipt>>> {
        let after = since.map_or(0, |s| s.receipts);
        let mut by_room: HashMap<String, Vec<Receipt>> = HashMap::new();
        if after >= now.receipts || joined.is_empty() {
            return Ok(by_room);
        }
        let changed = match self
            .streams
            .recent_receipts
            .between(joined, after, now.receipts)
        {
            Some(changed) => changed,
            None => {
                self.store
                    .receipts_between(joined, after, now.receipts)
                    .await?
            }
        };
        for r in changed {
            let private = r.receipt_type == "m.read.private";
            if (private && r.user_id != p.user_id.as_str()) || ignored.contains(&r.user_id) {
                continue;
            }
            by_room.entry(r.room_id.clone()).or_default().push(r);
        }
        Ok(by_room)
    }

    /// Global account data and per-room account data (by room) that changed.
    async fn account_data_for(
        &self,
        p: &SyncParams,
        since: Option<SyncToken>,
        now: SyncToken,
    ) -> Result<(Vec<JsonValue>, HashMap<String, Vec<JsonValue>>)> {
        let after = since.map_or(0, |s| s.account_data);
        let (mut global, mut rooms) = (Vec::new(), HashMap::<String, Vec<JsonValue>>::new());
        if after >= now.account_data {
            return Ok((global, rooms));
        }
        let global_filter = &p.filter.account_data;
        let room_filter_def = &p.filter.room;
        let room_data_filter = event_filter(&room_filter_def.account_data);
        for (room_id, kind, content) in self
            .store
            .account_data_between(p.user_id.as_str(), after, now.account_data)
            .await?
        {
            let content: JsonValue = serde_json::from_str(&content).unwrap_or_default();
            // Deleted account data is stored empty, and sent as such only incrementally.
            if since.is_none() && content.as_object().is_some_and(|o| o.is_empty()) {
                continue;
            }
            let event = json!({ "type": kind, "content": content });
            if room_id.is_empty() {
                let keep = global_filter
                    .types
                    .as_ref()
                    .is_none_or(|t| t.iter().any(|x| crate::storage::glob_match(x, &kind)))
                    && !global_filter
                        .not_types
                        .iter()
                        .any(|x| crate::storage::glob_match(x, &kind));
                if keep {
                    global.push(event);
                }
            } else if room_data_filter.matches(&kind, "", false)
                && let Ok(id) = OwnedRoomId::try_from(room_id.as_str())
                && room_allowed(
                    room_filter_def.rooms.as_deref(),
                    &room_filter_def.not_rooms,
                    &id,
                )
            {
                rooms.entry(room_id).or_default().push(event);
            }
        }
        Ok((global, rooms))
    }

    /// Presence changes of users who share a room with the syncing user.
    async fn presence_for(
        &self,
        p: &SyncParams,
        since: Option<SyncToken>,
        now: SyncToken,
        joined: &[String],
    ) -> Result<Vec<JsonValue>> {
        let filter = &p.filter.presence;
        let excluded = filter.types.as_ref().is_some_and(|t| {
            !t.iter()
                .any(|x| crate::storage::glob_match(x, "m.presence"))
        }) || filter.limit.is_some_and(|l| l == UInt::MIN);
        if excluded || since.is_some_and(|s| s.presence >= now.presence) {
            return Ok(Vec::new());
        }
        let changes = self
            .presence
            .changes_between(since.map(|s| s.presence), now.presence);
        if changes.is_empty() {
            return Ok(Vec::new());
        }
        let candidates: Vec<String> = changes.iter().map(|(u, _)| u.to_string()).collect();
        let visible: HashSet<String> = self
            .store
            .joined_among(joined, &candidates)
            .await?
            .into_iter()
            .chain([p.user_id.to_string()])
            .collect();
        Ok(changes
            .into_iter()
            .filter(|(user, _)| visible.contains(user.as_str()))
            .filter(|(user, _)| {
                filter.senders.as_ref().is_none_or(|s| s.contains(user))
                    && !filter.not_senders.contains(user)
            })
            .map(|(_, event)| event)
            .collect())
    }

    /// To-device messages after the token, and the to-device position to resume from.
    async fn to_device_for(
        &self,
        p: &SyncParams,
        since: Option<SyncToken>,
        now: SyncToken,
    ) -> Result<(Vec<JsonValue>, i64)> {
        let after = since.map_or(0, |s| s.to_device);
        if after >= now.to_device {
            return Ok((Vec::new(), after.max(now.to_device)));
        }
        let messages = self
            .store
            .to_device_between(
                p.user_id.as_str(),
                &p.device_id,
                after,
                now.to_device,
                TO_DEVICE_LIMIT as u32,
            )
            .await?;
        let resume = match messages.last() {
            Some(last) if messages.len() == TO_DEVICE_LIMIT => last.stream_id,
            _ => now.to_device,
        };
        let events = messages
            .into_iter()
            .map(|m| {
                json!({
                    "type": m.kind,
                    "sender": m.sender,
                    "content": serde_json::from_str::<JsonValue>(&m.content).unwrap_or_default(),
                })
            })
            .collect();
        Ok((events, resume))
    }

    /// Users sharing a room whose devices changed (incremental syncs only).
    async fn device_list_changes(
        &self,
        since: Option<SyncToken>,
        now: SyncToken,
        joined: &[String],
    ) -> Result<Vec<OwnedUserId>> {
        let Some(since) = since.filter(|s| s.device_lists < now.device_lists) else {
            return Ok(Vec::new());
        };
        let users = self
            .store
            .device_list_changes_between(since.device_lists, now.device_lists)
            .await?;
        if users.is_empty() {
            return Ok(Vec::new());
        }
        Ok(self
            .store
            .joined_among(joined, &users)
            .await?
            .into_iter()
            .filter_map(|u| OwnedUserId::try_from(u).ok())
            .collect())
    }
}

/// One `m.receipt` event for a room's receipts:
/// `{event_id: {receipt_type: {user_id: {ts, thread_id?}}}}`.
pub fn receipt_event(receipts: &[Receipt], viewer: &str) -> Option<JsonValue> {
    let mut content: BTreeMap<&str, BTreeMap<&str, BTreeMap<&str, JsonValue>>> = BTreeMap::new();
    for r in receipts {
        // Private receipts are their owner's alone; one's own deliveries are no news.
        let private = r.receipt_type == "m.read.private" && r.user_id != viewer;
        let own_delivery = r.receipt_type == super::DELIVERED && r.user_id == viewer;
        if private || own_delivery {
            continue;
        }
        let mut info = json!({ "ts": r.ts });
        if !r.thread_id.is_empty() {
            info["thread_id"] = r.thread_id.clone().into();
        }
        content
            .entry(&r.event_id)
            .or_default()
            .entry(&r.receipt_type)
            .or_default()
            .insert(&r.user_id, info);
    }
    (!content.is_empty()).then(|| json!({ "type": "m.receipt", "content": content }))
}
