//! An in-memory index of the newest timeline positions: which room each is in, whether it
//! changed state, and whose membership. Incremental syncs answer "which rooms changed?",
//! "did this room's state change?" and "did this user's memberships change?" from it
//! instead of the database, as long as their `since` is recent enough to be covered.
//!
//! With several processes over one database, each must feed its index from the shared
//! event stream; until scale-out lands, the one process's writes are all there are.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    sync::{Arc, Mutex},
};

use crate::storage::Receipt;

/// Positions kept; older ones are forgotten (syncs from before them use the database).
const CAPACITY: usize = 50_000;

#[derive(Debug, Clone)]
struct Entry {
    room_id: Arc<str>,
    state: bool,
    /// The user a membership event is about.
    member: Option<Arc<str>>,
}

#[derive(Debug)]
pub struct RecentEvents {
    inner: Mutex<Recent>,
}

#[derive(Debug)]
struct Recent {
    /// Every position above this one that was persisted is in `entries`.
    floor: i64,
    entries: BTreeMap<i64, Entry>,
}

impl RecentEvents {
    /// An empty index of the positions after `floor` (the newest at start-up).
    pub fn new(floor: i64) -> Self {
        Self {
            inner: Mutex::new(Recent {
                floor,
                entries: BTreeMap::new(),
            }),
        }
    }

    /// Records a persisted event; call it before the position becomes visible.
    pub fn record(&self, position: i64, room_id: &str, state: bool, member: Option<&str>) {
        let mut recent = self.inner.lock().expect("not poisoned");
        recent.entries.insert(
            position,
            Entry {
                room_id: room_id.into(),
                state,
                member: member.map(Into::into),
            },
        );
        while recent.entries.len() > CAPACITY {
            if let Some((oldest, _)) = recent.entries.pop_first() {
                recent.floor = recent.floor.max(oldest);
            }
        }
    }

    /// Runs `f` over the entries in `(after, upto]`, or `None` when the index does not
    /// cover that range.
    fn scan<T>(
        &self,
        after: i64,
        upto: i64,
        f: impl FnOnce(&mut dyn Iterator<Item = &Entry>) -> T,
    ) -> Option<T> {
        let recent = self.inner.lock().expect("not poisoned");
        if after < recent.floor {
            return None;
        }
        if upto <= after {
            return Some(f(&mut std::iter::empty()));
        }
        Some(f(&mut recent
            .entries
            .range(after + 1..=upto)
            .map(|(_, e)| e)))
    }

    /// Rooms with events in `(after, upto]`.
    pub fn rooms_between(&self, after: i64, upto: i64) -> Option<HashSet<Arc<str>>> {
        self.scan(after, upto, |entries| {
            entries.map(|e| e.room_id.clone()).collect()
        })
    }

    /// Whether `room_id`'s state changed in `(after, upto]`.
    pub fn state_changed(&self, room_id: &str, after: i64, upto: i64) -> Option<bool> {
        self.scan(after, upto, |mut entries| {
            Iterator::any(&mut entries, |e| e.state && &*e.room_id == room_id)
        })
    }

    /// Whether any membership of `user_id` changed in `(after, upto]`.
    pub fn membership_changed(&self, user_id: &str, after: i64, upto: i64) -> Option<bool> {
        self.scan(after, upto, |mut entries| {
            Iterator::any(&mut entries, |e| e.member.as_deref() == Some(user_id))
        })
    }
}

/// The newest receipts by receipts-stream position, so syncs read receipt changes from
/// memory while their token is recent enough.
#[derive(Debug)]
pub struct RecentReceipts {
    inner: Mutex<(i64, BTreeMap<i64, Receipt>)>,
}

impl RecentReceipts {
    /// An empty index of the positions after `floor` (the newest at start-up).
    pub fn new(floor: i64) -> Self {
        Self {
            inner: Mutex::new((floor, BTreeMap::new())),
        }
    }

    /// Records a stored receipt; call it before its position becomes visible.
    pub fn record(&self, receipt: Receipt) {
        let mut inner = self.inner.lock().expect("not poisoned");
        inner.1.insert(receipt.stream_id, receipt);
        while inner.1.len() > CAPACITY {
            if let Some((oldest, _)) = inner.1.pop_first() {
                inner.0 = inner.0.max(oldest);
            }
        }
    }

    /// As the database answers: the latest receipt per room, type, user and thread among
    /// those of `rooms` with `after < position <= upto`; `None` when not covered.
    pub fn between(&self, rooms: &[String], after: i64, upto: i64) -> Option<Vec<Receipt>> {
        let inner = self.inner.lock().expect("not poisoned");
        if after < inner.0 {
            return None;
        }
        if upto <= after {
            return Some(Vec::new());
        }
        let rooms: HashSet<&str> = rooms.iter().map(String::as_str).collect();
        let mut latest: HashMap<(&str, &str, &str, &str), &Receipt> = HashMap::new();
        for r in inner.1.range(after + 1..=upto).map(|(_, r)| r) {
            if rooms.contains(r.room_id.as_str()) {
                // Positions ascend, so a later receipt of the same key replaces the earlier.
                let key = (&*r.room_id, &*r.receipt_type, &*r.user_id, &*r.thread_id);
                latest.insert(key, r);
            }
        }
        let mut found: Vec<Receipt> = latest.into_values().cloned().collect();
        found.sort_by_key(|r| r.stream_id);
        Some(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_only_what_it_covers() {
        let recent = RecentEvents::new(10);
        recent.record(11, "!a", false, None);
        recent.record(12, "!b", true, Some("@u"));
        recent.record(13, "!a", false, None);
        assert_eq!(recent.rooms_between(9, 13), None);
        assert_eq!(
            recent.rooms_between(10, 13),
            Some(["!a".into(), "!b".into()].into())
        );
        assert_eq!(recent.rooms_between(12, 13), Some(["!a".into()].into()));
        assert_eq!(recent.rooms_between(13, 13), Some(HashSet::new()));
        assert_eq!(recent.state_changed("!b", 10, 13), Some(true));
        assert_eq!(recent.state_changed("!b", 12, 13), Some(false));
        assert_eq!(recent.state_changed("!a", 10, 13), Some(false));
        assert_eq!(recent.membership_changed("@u", 11, 12), Some(true));
        assert_eq!(recent.membership_changed("@v", 10, 13), Some(false));
    }

    #[test]
    fn receipts_between_keep_the_latest_per_key() {
        let receipt = |room: &str, user: &str, event: &str, stream_id: i64| Receipt {
            room_id: room.into(),
            receipt_type: "m.read".into(),
            user_id: user.into(),
            thread_id: String::new(),
            event_id: event.into(),
            event_pos: stream_id,
            ts: 0,
            stream_id,
        };
        let recent = RecentReceipts::new(5);
        recent.record(receipt("!a", "@u", "$1", 6));
        recent.record(receipt("!a", "@u", "$2", 7));
        recent.record(receipt("!b", "@u", "$3", 8));
        let rooms = ["!a".to_owned()];
        let found = recent.between(&rooms, 5, 8).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].event_id, "$2");
        assert_eq!(recent.between(&rooms, 4, 8), None);
        assert_eq!(recent.between(&rooms, 7, 8).unwrap().len(), 0);
        assert_eq!(recent.between(&rooms, 5, 6).unwrap()[0].event_id, "$1");
    }

    #[test]
    fn forgetting_old_positions_raises_the_floor() {
        let recent = RecentEvents::new(0);
        for pos in 1..=(CAPACITY as i64 + 5) {
            recent.record(pos, "!a", false, None);
        }
        assert_eq!(recent.rooms_between(4, 10), None);
        assert!(recent.rooms_between(5, 10).is_some());
    }
}
