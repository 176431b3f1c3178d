//! Stream positions. Every kind of change has its own ordered stream; a sync token is the
//! tuple of positions. A position is handed out before its write and becomes *visible*
//! only once its write and every lower position's write have finished, so a reader that
//! reads up to the visible position never skips a row a slower writer commits later.
//! Wake-ups wait for visibility too: a waiter woken for position P can read P.

use std::{
    collections::BTreeSet,
    sync::{
        Arc, Mutex,
        atomic::{AtomicI64, Ordering},
    },
    time::Duration,
};

use ruma::OwnedUserId;

use super::notifier::Notifier;
use crate::storage::{PresenceStore, StorageError, Store, StreamMaxima, now_ms};

/// One stream's allocator and visibility tracker.
pub struct StreamIds {
    inner: Mutex<Ids>,
    notifier: Arc<Notifier>,
}

struct Ids {
    next: i64,
    in_flight: BTreeSet<i64>,
    /// The highest position whose write succeeded. Visibility never passes it, so a failed
    /// write's position is never shown to clients and can be reused after a restart.
    committed: i64,
    visible: i64,
    /// Wake-ups of finished positions that are not visible yet.
    pending: Vec<(i64, Vec<OwnedUserId>)>,
}

impl StreamIds {
    fn new(max: i64, notifier: Arc<Notifier>) -> Arc<Self> {
        Arc::new(Self {
            inner: Mutex::new(Ids {
                next: max + 1,
                in_flight: BTreeSet::new(),
                committed: max,
                visible: max,
                pending: Vec::new(),
            }),
            notifier,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Ids> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Hands out `count` consecutive positions for one write.
    pub fn allocate(self: &Arc<Self>, count: usize) -> Allocation {
        let count = i64::try_from(count.max(1)).unwrap_or(1);
        let mut ids = self.lock();
        let first = ids.next;
        ids.next += count;
        ids.in_flight.extend(first..first + count);
        Allocation {
            ids: self.clone(),
            first,
            count,
            finished: false,
        }
    }

    /// The highest position below which every write has finished.
    pub fn current(&self) -> i64 {
        self.lock().visible
    }

    /// Wakes `users` for `position` after `delay`, each unless something else woke them
    /// first. For changes nobody is waiting on (a sender's own echo, a delivery receipt):
    /// under load they ride along with the next wake-up instead of costing a response of
    /// their own. A position not visible yet wakes everyone as soon as it is, as `finish`
    /// does; users with no waiter are skipped, since their next sync starts by reading
    /// everything visible.
    fn wake_later(self: &Arc<Self>, position: i64, users: Vec<OwnedUserId>, delay: Duration) {
        if users.is_empty() {
            return;
        }
        {
            let mut ids = self.lock();
            if position > ids.visible {
                ids.pending.push((position, users));
                return;
            }
        }
        let seen: Vec<(OwnedUserId, u64)> = users
            .into_iter()
            .filter_map(|user| self.notifier.version(&user).map(|version| (user, version)))
            .collect();
        if seen.is_empty() {
            return;
        }
        let notifier = self.notifier.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            for (user, version) in &seen {
                notifier.wake_unless_woken_since(user, *version);
            }
        });
    }

    fn finish(&self, first: i64, count: i64, committed: bool, wake: Vec<OwnedUserId>) {
        let woken = {
            let mut ids = self.lock();
            for position in first..first + count {
                ids.in_flight.remove(&position);
            }
            let last = first + count - 1;
            if committed {
                ids.committed = ids.committed.max(last);
            }
            if !wake.is_empty() {
                ids.pending.push((last, wake));
            }
            ids.visible = match ids.in_flight.first() {
                Some(lowest) => (lowest - 1).min(ids.committed),
                None => ids.committed,
            };
            let visible = ids.visible;
            let (ready, waiting): (Vec<_>, Vec<_>) =
                ids.pending.drain(..).partition(|(p, _)| *p <= visible);
            ids.pending = waiting;
            ready
        };
        for (_, users) in woken {
            self.notifier.wake(users.iter().map(AsRef::as_ref));
        }
    }
}

/// Positions handed out for one write. [`Allocation::finish`] after the write committed;
/// dropping it unfinished (the write failed) releases the positions with no wake-up.
pub struct Allocation {
    ids: Arc<StreamIds>,
    first: i64,
    count: i64,
    finished: bool,
}

impl Allocation {
    pub fn first(&self) -> i64 {
        self.first
    }

    pub fn positions(&self) -> std::ops::Range<i64> {
        self.first..self.first + self.count
    }

    /// The last position handed out.
    fn last(&self) -> i64 {
        self.first + self.count - 1
    }

    /// The write committed: once visible, wake `wake`.
    pub fn finish(mut self, wake: Vec<OwnedUserId>) {
        self.finished = true;
        self.ids.finish(self.first, self.count, true, wake);
    }

    /// Like [`Allocation::finish`], and wakes `later` after `delay` unless something else
    /// woke them first (see [`StreamIds::wake_later`]): for users nobody is waiting on.
    pub fn finish_waking_later(
        self,
        now: Vec<OwnedUserId>,
        later: Vec<OwnedUserId>,
        delay: Duration,
    ) {
        let (ids, last) = (self.ids.clone(), self.last());
        self.finish(now);
        ids.wake_later(last, later, delay);
    }
}

impl Drop for Allocation {
    fn drop(&mut self) {
        if !self.finished {
            self.ids.finish(self.first, self.count, false, Vec::new());
        }
    }
}

/// A sync token: one position per stream. Opaque to clients; its text starts with the
/// timeline position so `/messages` accepts it as a pagination token.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncToken {
    pub events: i64,
    pub receipts: i64,
    pub account_data: i64,
    pub to_device: i64,
    pub presence: i64,
    pub device_lists: i64,
    pub typing: i64,
}

impl SyncToken {
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text
            .strip_prefix('s')?
            .split('_')
            .map(|p| p.parse::<i64>().ok());
        let mut next = || parts.next().flatten().filter(|n| *n >= 0);
        let token = Self {
            events: next()?,
            receipts: next()?,
            account_data: next()?,
            to_device: next()?,
            presence: next()?,
            device_lists: next()?,
            typing: next()?,
        };
        parts.next().is_none().then_some(token)
    }
}

impl std::fmt::Display for SyncToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "s{}_{}_{}_{}_{}_{}_{}",
            self.events,
            self.receipts,
            self.account_data,
            self.to_device,
            self.presence,
            self.device_lists,
            self.typing
        )
    }
}

/// Every stream of the server, and the notifier their writes wake.
pub struct Streams {
    pub events: Arc<StreamIds>,
    pub receipts: Arc<StreamIds>,
    pub account_data: Arc<StreamIds>,
    pub to_device: Arc<StreamIds>,
    pub presence: Arc<StreamIds>,
    pub device_lists: Arc<StreamIds>,
    /// Typing lives only in memory. It starts at the clock in milliseconds so positions
    /// keep growing across restarts.
    typing: AtomicI64,
    pub notifier: Arc<Notifier>,
    /// The newest event positions by room, for cheap incremental syncs.
    pub recent: super::recent::RecentEvents,
    /// The newest receipts, for cheap incremental syncs.
    pub recent_receipts: super::recent::RecentReceipts,
}

impl Streams {
    pub async fn load(store: &Store) -> Result<Arc<Self>, StorageError> {
        Ok(Self::from_maxima(store.stream_maxima().await?))
    }

    pub fn from_maxima(max: StreamMaxima) -> Arc<Self> {
        let notifier = Arc::new(Notifier::default());
        let ids = |max| StreamIds::new(max, notifier.clone());
        Arc::new(Self {
            events: ids(max.events),
            receipts: ids(max.receipts),
            account_data: ids(max.account_data),
            to_device: ids(max.to_device),
            presence: ids(max.presence),
            device_lists: ids(max.device_lists),
            typing: AtomicI64::new(now_ms()),
            notifier,
            recent: super::recent::RecentEvents::new(max.events),
            recent_receipts: super::recent::RecentReceipts::new(max.receipts),
        })
    }

    /// The token of everything visible now.
    pub fn current(&self) -> SyncToken {
        SyncToken {
            events: self.events.current(),
            receipts: self.receipts.current(),
            account_data: self.account_data.current(),
            to_device: self.to_device.current(),
            presence: self.presence.current(),
            device_lists: self.device_lists.current(),
            typing: self.typing.load(Ordering::Acquire),
        }
    }

    /// Advances the typing stream (its changes are visible at once) and returns the new
    /// position.
    pub fn advance_typing(&self) -> i64 {
        self.typing.fetch_add(1, Ordering::AcqRel) + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_position_is_visible_only_when_every_lower_one_finished() {
        let streams = Streams::from_maxima(StreamMaxima {
            events: 10,
            ..Default::default()
        });
        let alice: OwnedUserId = "@alice:test".try_into().unwrap();
        let mut rx = streams.notifier.subscribe(&alice);
        let slow = streams.events.allocate(1);
        let fast = streams.events.allocate(2);
        assert_eq!((slow.first(), fast.first()), (11, 12));
        fast.finish(vec![alice.clone()]);
        assert_eq!(streams.events.current(), 10);
        // Not visible yet, so nobody is woken.
        assert!(!rx.has_changed().unwrap());
        slow.finish(vec![]);
        assert_eq!(streams.events.current(), 13);
        assert!(rx.has_changed().unwrap());
        rx.mark_unchanged();
        // A failed write releases its position without a wake-up, and is never visible
        // until a later write commits past it.
        drop(streams.events.allocate(1));
        assert_eq!(streams.events.current(), 13);
        assert!(!rx.has_changed().unwrap());
        streams.events.allocate(1).finish(vec![]);
        assert_eq!(streams.events.current(), 15);
    }

    #[tokio::test(start_paused = true)]
    async fn a_late_wake_is_skipped_when_something_else_woke_the_user_first() {
        let streams = Streams::from_maxima(StreamMaxima::default());
        let delay = Duration::from_millis(50);
        let alice: OwnedUserId = "@alice:test".try_into().unwrap();
        let bob: OwnedUserId = "@bob:test".try_into().unwrap();
        let alice_rx = streams.notifier.subscribe(&alice);
        let mut bob_rx = streams.notifier.subscribe(&bob);
        let echo = streams.events.allocate(1);
        let position = echo.last();
        echo.finish(vec![]);
        streams
            .events
            .wake_later(position, vec![alice.clone(), bob.clone()], delay);
        // Nobody is woken at once.
        tokio::task::yield_now().await;
        assert!(!alice_rx.has_changed().unwrap());
        assert!(!bob_rx.has_changed().unwrap());
        // Bob is woken by something else meanwhile, and reads the position then.
        streams.notifier.wake([bob.as_ref()]);
        bob_rx.mark_unchanged();
        tokio::time::sleep(delay * 2).await;
        // Alice is woken late; Bob is not woken a second time.
        assert!(alice_rx.has_changed().unwrap());
        assert!(!bob_rx.has_changed().unwrap());
    }

    #[tokio::test(start_paused = true)]
    async fn a_late_wake_of_a_position_not_visible_yet_comes_with_visibility() {
        let streams = Streams::from_maxima(StreamMaxima::default());
        let alice: OwnedUserId = "@alice:test".try_into().unwrap();
        // Alice has no waiter when the wake is deferred, but the position is not visible
        // yet: a sync that starts now would not see it, so she must still be woken.
        let slow = streams.events.allocate(1);
        let echo = streams.events.allocate(1);
        let position = echo.last();
        echo.finish(vec![]);
        streams
            .events
            .wake_later(position, vec![alice.clone()], Duration::from_secs(60));
        let rx = streams.notifier.subscribe(&alice);
        assert!(!rx.has_changed().unwrap());
        slow.finish(vec![]);
        assert_eq!(streams.events.current(), position);
        assert!(rx.has_changed().unwrap());
    }

    #[test]
    fn tokens_round_trip_and_reject_junk() {
        let token = SyncToken {
            events: 5,
            receipts: 1,
            account_data: 2,
            to_device: 3,
            presence: 4,
            device_lists: 6,
            typing: 7,
        };
        assert_eq!(SyncToken::parse(&token.to_string()), Some(token));
        for bad in [
            "",
            "s1",
            "s1_2_3_4_5_6",
            "s1_2_3_4_5_6_7_8",
            "x1_2_3_4_5_6_7",
            "s-1_2_3_4_5_6_7",
            "s1_2_3_4_5_6_a",
        ] {
            assert_eq!(SyncToken::parse(bad), None, "{bad}");
        }
    }
}
