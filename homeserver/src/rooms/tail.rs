//! The newest events of each room, in memory, so an incremental sync reads its timeline
//! window (and learns that the events have no relations to bundle) without a query.
//!
//! A room's tail holds every event of the room after its `floor`: sends to one room are
//! serialised, so events enter in position order, and an event enters only after its
//! transaction committed and before its position becomes visible. Reads outside the tail
//! go to the database. With federation (events arriving out of order) or several processes,
//! a tail must be fed from the shared event stream or dropped when it cannot be.

use std::{
    collections::{HashMap, VecDeque},
    sync::Mutex,
};

use crate::storage::{EventFilter, StoredEvent};

/// Events kept per room.
const PER_ROOM: usize = 128;

#[derive(Debug, Clone)]
struct Cached {
    event: StoredEvent,
    kind: String,
    sender: String,
    contains_url: bool,
    /// Another event relates to this one (an edit, reaction, reply in thread, …).
    related: bool,
    /// `(device_id, txn_id)` of the request that sent it, if any.
    txn: Option<(String, String)>,
}

#[derive(Debug)]
struct Tail {
    /// Every event of the room after this position is in `events`.
    floor: i64,
    events: VecDeque<Cached>,
}

#[derive(Debug, Default)]
pub struct RoomTails {
    rooms: Mutex<HashMap<String, Tail>>,
}

/// What the tails need to know of a newly persisted event.
pub struct Appended<'a> {
    pub event: StoredEvent,
    pub kind: &'a str,
    pub sender: &'a str,
    pub contains_url: bool,
    pub relates_to: Option<&'a str>,
    pub redacts: Option<&'a str>,
    /// `(device_id, txn_id)` of the sending request.
    pub txn: Option<(&'a str, &'a str)>,
}

impl RoomTails {
    /// Adds a persisted event to its room's tail (starting the tail if the room has none).
    pub fn append(&self, a: Appended<'_>) {
        let mut rooms = self.rooms.lock().expect("not poisoned");
        let position = a.event.stream_ordering;
        let tail = rooms
            .entry(a.event.room_id.clone())
            .or_insert_with(|| Tail {
                // A room created here has no events before its create event.
                floor: if a.kind == "m.room.create" {
                    0
                } else {
                    position - 1
                },
                events: VecDeque::new(),
            });
        for cached in tail.events.iter_mut() {
            if Some(cached.event.event_id.as_str()) == a.relates_to {
                cached.related = true;
            }
            if Some(cached.event.event_id.as_str()) == a.redacts {
                cached.event.redacted_by = Some(a.event.event_id.clone());
            }
        }
        tail.events.push_back(Cached {
            kind: a.kind.to_owned(),
            sender: a.sender.to_owned(),
            contains_url: a.contains_url,
            related: false,
            txn: a.txn.map(|(d, t)| (d.to_owned(), t.to_owned())),
            event: a.event,
        });
        while tail.events.len() > PER_ROOM {
            if let Some(old) = tail.events.pop_front() {
                tail.floor = old.event.stream_ordering;
            }
        }
    }

    /// As `EventStore::room_events` backwards: up to `limit` events matching `filter` with
    /// `after < position < before`, newest first; `None` when the tail does not reach back
    /// to `after` and holds fewer than `limit` such events.
    pub fn backwards(
        &self,
        room_id: &str,
        before: i64,
        after: i64,
        limit: u32,
        filter: &EventFilter,
    ) -> Option<Vec<StoredEvent>> {
        let rooms = self.rooms.lock().expect("not poisoned");
        let tail = rooms.get(room_id)?;
        let found: Vec<StoredEvent> = tail
            .events
            .iter()
            .rev()
            .filter(|c| c.event.stream_ordering < before && c.event.stream_ordering > after)
            .filter(|c| filter.matches(&c.kind, &c.sender, c.contains_url))
            .take(limit as usize)
            .map(|c| c.event.clone())
            .collect();
        // Below the floor the tail knows nothing, unless it already found enough.
        (after >= tail.floor || found.len() == limit as usize).then_some(found)
    }

    /// Whether every one of `ids` is in the room's tail with nothing relating to it.
    pub fn all_unrelated(&self, room_id: &str, ids: &[String]) -> bool {
        let rooms = self.rooms.lock().expect("not poisoned");
        let Some(tail) = rooms.get(room_id) else {
            return false;
        };
        ids.iter().all(|id| {
            tail.events
                .iter()
                .rev()
                .find(|c| &c.event.event_id == id)
                .is_some_and(|c| !c.related)
        })
    }

    /// The transaction IDs `device_id` sent `ids` with (the caller's own events), or `None`
    /// when some of them are not in the tail.
    pub fn txn_ids(
        &self,
        room_id: &str,
        device_id: &str,
        ids: &[String],
    ) -> Option<Vec<(String, String)>> {
        let rooms = self.rooms.lock().expect("not poisoned");
        let tail = rooms.get(room_id)?;
        let mut found = Vec::new();
        for id in ids {
            let cached = tail.events.iter().rev().find(|c| &c.event.event_id == id)?;
            if let Some((device, txn_id)) = &cached.txn
                && device == device_id
            {
                found.push((id.clone(), txn_id.clone()));
            }
        }
        Some(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: &str, position: i64) -> StoredEvent {
        StoredEvent {
            stream_ordering: position,
            event_id: id.to_owned(),
            room_id: "!r".to_owned(),
            json: "{}".to_owned(),
            redacted_by: None,
            state_group: 1,
            replaces_state: None,
        }
    }

    fn append(
        tails: &RoomTails,
        id: &str,
        position: i64,
        relates_to: Option<&str>,
        redacts: Option<&str>,
    ) {
        tails.append(Appended {
            event: event(id, position),
            kind: "m.room.message",
            sender: "@a",
            contains_url: false,
            relates_to,
            redacts,
            txn: None,
        });
    }

    #[test]
    fn windows_come_from_the_tail_only_when_it_reaches_back_far_enough() {
        let tails = RoomTails::default();
        append(&tails, "$a", 10, None, None);
        append(&tails, "$b", 12, None, None);
        append(&tails, "$c", 15, Some("$a"), None);
        let all = EventFilter::default();
        let ids = |v: Option<Vec<StoredEvent>>| {
            v.map(|v| v.into_iter().map(|e| e.event_id).collect::<Vec<_>>())
        };
        assert_eq!(
            ids(tails.backwards("!r", 16, 9, 10, &all)),
            Some(vec!["$c".into(), "$b".into(), "$a".into()])
        );
        assert_eq!(
            ids(tails.backwards("!r", 15, 9, 1, &all)),
            Some(vec!["$b".into()])
        );
        assert_eq!(ids(tails.backwards("!r", 16, 8, 10, &all)), None);
        assert_eq!(ids(tails.backwards("!other", 16, 9, 10, &all)), None);
        let senders = EventFilter {
            not_senders: vec!["@a".into()],
            ..EventFilter::default()
        };
        assert_eq!(
            ids(tails.backwards("!r", 16, 9, 10, &senders)),
            Some(vec![])
        );
        assert!(!tails.all_unrelated("!r", &["$a".into()]));
        assert!(tails.all_unrelated("!r", &["$b".into(), "$c".into()]));
        assert!(!tails.all_unrelated("!r", &["$zzz".into()]));
        append(&tails, "$d", 16, None, Some("$b"));
        let b = tails.backwards("!r", 13, 11, 1, &all).unwrap();
        assert_eq!(b[0].redacted_by.as_deref(), Some("$d"));
    }

    #[test]
    fn old_events_leave_and_raise_the_floor() {
        let tails = RoomTails::default();
        for position in 1..=(PER_ROOM as i64 + 3) {
            append(&tails, &format!("${position}"), position, None, None);
        }
        let all = EventFilter::default();
        // Positions 4.. remain: a window reaching below them is known only when full.
        assert!(tails.backwards("!r", 6, 2, 10, &all).is_none());
        assert!(tails.backwards("!r", 6, 3, 10, &all).is_some());
        let newest = tails.backwards("!r", 1000, 0, 10, &all).unwrap();
        assert_eq!(newest.len(), 10);
        assert_eq!(newest[0].event_id, format!("${}", PER_ROOM + 3));
    }

    #[test]
    fn a_room_created_here_is_whole_from_its_create_event() {
        let tails = RoomTails::default();
        tails.append(Appended {
            event: event("$create", 40),
            kind: "m.room.create",
            sender: "@a",
            contains_url: false,
            relates_to: None,
            redacts: None,
            txn: None,
        });
        append(&tails, "$m", 41, None, None);
        let all = EventFilter::default();
        let window = tails.backwards("!r", 100, 0, 10, &all).unwrap();
        assert_eq!(window.len(), 2);
        // A room whose tail began mid-history is not.
        append(&tails, "$x", 50, None, None);
        let other = |id: &str, position| {
            let mut e = event(id, position);
            e.room_id = "!s".into();
            e
        };
        tails.append(Appended {
            event: other("$y", 60),
            kind: "m.room.message",
            sender: "@a",
            contains_url: false,
            relates_to: None,
            redacts: None,
            txn: None,
        });
        assert!(tails.backwards("!s", 100, 0, 10, &all).is_none());
    }
}
