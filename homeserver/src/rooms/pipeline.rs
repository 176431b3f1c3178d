//! Sends to a room are serialised, but a message does not hold the room while it commits:
//! once it is built on the room's head and queued to the database (which commits a room's
//! events in the order queued), the next one may be built on top of it. What must happen
//! after each commit — the room tail, unread counts, the stream position — happens in a task
//! of its own, in the order the events were queued, so a client that hangs up mid-send
//! cannot leave an event committed but unseen.
//!
//! If a queued event fails to be written, the events queued on top of it fail too (the
//! database refuses them), the room is marked stale, and the next lock reloads it from
//! storage once everything queued has finished.

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use tokio::sync::watch;

/// The order of one room's after-commit steps: tickets are handed out under the room's
/// lock, in the order events are queued, and run one after the other.
#[derive(Debug)]
pub struct Turns {
    shared: Arc<Shared>,
    next: u64,
}

#[derive(Debug)]
struct Shared {
    /// The highest ticket whose steps are done.
    done: watch::Sender<u64>,
    /// A queued write failed: the in-memory room ran ahead of storage.
    stale: AtomicBool,
}

impl Default for Turns {
    fn default() -> Self {
        Self {
            shared: Arc::new(Shared {
                done: watch::channel(0).0,
                stale: AtomicBool::new(false),
            }),
            next: 1,
        }
    }
}

impl Turns {
    /// The next ticket (call under the room's lock).
    pub fn take(&mut self) -> Turn {
        let ticket = self.next;
        self.next += 1;
        Turn {
            shared: self.shared.clone(),
            ticket,
        }
    }

    /// Whether a queued write failed, so the room must be reloaded from storage.
    pub fn is_stale(&self) -> bool {
        self.shared.stale.load(Ordering::Acquire)
    }

    /// Waits until every ticket handed out so far is done: under the room's lock, storage
    /// then holds exactly the room's events that the in-memory caches have seen.
    pub async fn idle(&self) {
        let last = self.next - 1;
        let mut done = self.shared.done.subscribe();
        // The sender lives as long as `self`, so this cannot fail.
        let _ = done.wait_for(|&d| d >= last).await;
    }
}

/// One event's place in its room's order. Dropping it (done or not) lets the next one go.
#[derive(Debug)]
pub struct Turn {
    shared: Arc<Shared>,
    ticket: u64,
}

impl Turn {
    /// Waits until the events queued before this one are done.
    pub async fn wait(&self) {
        let mut done = self.shared.done.subscribe();
        let _ = done.wait_for(|&d| d + 1 >= self.ticket).await;
    }

    /// The write failed: reload the room before building on it again.
    pub fn mark_stale(&self) {
        self.shared.stale.store(true, Ordering::Release);
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        let ticket = self.ticket;
        self.shared.done.send_modify(|d| *d = (*d).max(ticket));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn turns_run_in_ticket_order_and_idle_waits_for_all() {
        let mut turns = Turns::default();
        let (first, second, third) = (turns.take(), turns.take(), turns.take());
        let order = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        // Started in reverse: each must still wait for its predecessors.
        for (n, turn) in [(3, third), (2, second)] {
            let order = order.clone();
            tasks.push(tokio::spawn(async move {
                turn.wait().await;
                order.lock().unwrap().push(n);
            }));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(
            order.lock().unwrap().is_empty(),
            "nothing runs before ticket 1"
        );
        let idle = tokio::time::timeout(Duration::from_millis(20), turns.idle()).await;
        assert!(idle.is_err(), "not idle while tickets are out");
        first.wait().await;
        order.lock().unwrap().push(1);
        drop(first);
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), vec![1, 2, 3]);
        turns.idle().await;
        assert!(!turns.is_stale());
        let fourth = turns.take();
        fourth.mark_stale();
        drop(fourth);
        assert!(turns.is_stale());
        turns.idle().await;
    }
}
