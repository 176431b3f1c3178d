//! Wakes the long-polls and WebSockets a change concerns, and only those. A waiter
//! subscribes *before* reading, so a change that lands between its read and its wait still
//! wakes it (the watch channel remembers the version the receiver has seen).

use std::{collections::HashMap, sync::Mutex};

use ruma::{OwnedUserId, UserId};
use tokio::sync::watch;

#[derive(Default)]
pub struct Notifier {
    users: Mutex<HashMap<OwnedUserId, watch::Sender<u64>>>,
}

impl Notifier {
    /// A receiver that sees every wake of `user_id` from now on.
    pub fn subscribe(&self, user_id: &UserId) -> watch::Receiver<u64> {
        let mut users = self.users.lock().unwrap_or_else(|e| e.into_inner());
        match users.get(user_id) {
            Some(sender) => sender.subscribe(),
            None => {
                let (sender, receiver) = watch::channel(0);
                users.insert(user_id.to_owned(), sender);
                receiver
            }
        }
    }

    /// Wakes everyone waiting on any of `users`. Users nobody waits for cost a lookup.
    pub fn wake<'a>(&self, users: impl IntoIterator<Item = &'a UserId>) {
        let mut map = self.users.lock().unwrap_or_else(|e| e.into_inner());
        for user in users {
            if let Some(sender) = map.get(user) {
                if sender.receiver_count() == 0 {
                    map.remove(user);
                } else {
                    sender.send_modify(|version| *version = version.wrapping_add(1));
                }
            }
        }
    }

    /// How many times `user_id` was woken, while anyone waits for the user.
    pub fn version(&self, user_id: &UserId) -> Option<u64> {
        let map = self.users.lock().unwrap_or_else(|e| e.into_inner());
        map.get(user_id)
            .filter(|sender| sender.receiver_count() > 0)
            .map(|sender| *sender.borrow())
    }

    /// Wakes `user_id` unless something woke the user after `version` was read: a waiter
    /// woken since reads everything visible at that moment.
    pub fn wake_unless_woken_since(&self, user_id: &UserId, version: u64) {
        let map = self.users.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(sender) = map.get(user_id) {
            sender.send_if_modified(|current| {
                let unchanged = *current == version;
                if unchanged {
                    *current = current.wrapping_add(1);
                }
                unchanged
            });
        }
    }

    /// How many users have a live waiter (for metrics and tests).
    pub fn waiting_users(&self) -> usize {
        let map = self.users.lock().unwrap_or_else(|e| e.into_inner());
        map.values().filter(|s| s.receiver_count() > 0).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_wake_between_subscribe_and_wait_is_not_lost() {
        let notifier = Notifier::default();
        let alice: OwnedUserId = "@alice:test".try_into().unwrap();
        let bob: OwnedUserId = "@bob:test".try_into().unwrap();
        let mut rx = notifier.subscribe(&alice);
        let mut bob_rx = notifier.subscribe(&bob);
        notifier.wake([alice.as_ref()]);
        // Already woken: returns at once.
        rx.changed().await.unwrap();
        // Bob was not concerned.
        assert!(!bob_rx.has_changed().unwrap());
        drop(rx);
        notifier.wake([alice.as_ref()]);
        assert_eq!(notifier.waiting_users(), 1);
        bob_rx.mark_unchanged();
    }
}
