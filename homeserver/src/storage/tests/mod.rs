//! Storage contract tests: every one runs on SQLite, and on PostgreSQL as well when
//! `HEARTH_TEST_POSTGRES` names a server.

use std::future::Future;

use serde_json::json;

use super::{
    test_support::{create_postgres_database, drop_postgres_database, test_postgres_url},
    *,
};

pub(super) async fn on_every_backend<F, Fut>(test: F)
where
    F: Fn(Store) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/nested/hearth.db", dir.path().display());
    let store = Store::open(&url, 4).await.expect("open sqlite");
    assert_eq!(store.backend(), Backend::Sqlite);
    test(store.clone()).await;
    store.close().await;

    if let Some(admin) = test_postgres_url() {
        let url = create_postgres_database(&admin)
            .await
            .expect("create test database");
        let store = Store::open(&url, 4).await.expect("open postgres");
        assert_eq!(store.backend(), Backend::Postgres);
        test(store.clone()).await;
        store.close().await;
        drop_postgres_database(&admin, &url)
            .await
            .expect("drop test database");
    }
}

fn alice(created_ts: i64) -> NewUser<'static> {
    NewUser {
        user_id: "@alice:test",
        password_hash: Some("hash-a"),
        is_admin: false,
        created_ts,
    }
}

fn session<'a>(device: &'a str, access: &'a str, refresh: Option<&'a str>) -> NewSession<'a> {
    NewSession {
        user_id: "@alice:test",
        device_id: device,
        display_name: Some("Phone"),
        access_token_hash: access,
        access_expires_ts: None,
        refresh_token_hash: refresh,
        ip: Some("127.0.0.1"),
        now: 1000,
    }
}

mod accounts;
mod events;
mod filters;
mod per_user;
mod streams;
mod writes;

/// Stores a fake event (storage does not look inside the JSON).
#[allow(clippy::too_many_arguments)]
async fn put_event(
    store: &Store,
    room: &str,
    id: &str,
    kind: &str,
    state_key: Option<&str>,
    sender: &str,
    head: &mut (i64, i64, StateEntries, Vec<String>),
    extra: impl FnOnce(&mut NewEvent<'_>),
) -> Persisted {
    let (group, chain_len, state, last) = head;
    let prev = last.clone();
    let replaces = state_key.and_then(|key| state.get(&(kind.to_owned(), key.to_owned())).cloned());
    if let Some(key) = state_key {
        state.insert((kind.to_owned(), key.to_owned()), id.to_owned());
    }
    let full = state.clone();
    let json = format!(r#"{{"type":"{kind}","sender":"{sender}"}}"#);
    let membership = (kind == "m.room.member").then_some("join");
    let mut event = NewEvent {
        stream_ordering: next_position(),
        event_id: id,
        room_id: room,
        kind,
        state_key,
        sender,
        origin_server_ts: 1000,
        depth: 1,
        json: &json,
        rel_type: None,
        replaces_state: replaces.as_deref(),
        relates_to: None,
        contains_url: false,
        prev_events: &prev,
        state: state_key.map(|key| StateUpdate {
            prev_group: (*group > 0).then_some(*group),
            prev_chain_len: *chain_len,
            entry: (kind, key),
            full_state: &full,
        }),
        current_group: *group,
        membership,
        txn: None,
        redacts: None,
        search: None,
        new_room: (kind == "m.room.create").then_some(NewRoom {
            room_version: "11",
            creator: sender,
        }),
        push: &[],
    };
    extra(&mut event);
    let persisted = store.persist_event(&event).await.unwrap();
    *last = vec![id.to_owned()];
    *group = persisted.state_group;
    if let Some(len) = persisted.chain_len {
        *chain_len = len;
    }
    persisted
}

/// Creates `room` (its create event `$create`) and returns its head for [`put_event`].
async fn new_room(store: &Store, room: &str) -> (i64, i64, StateEntries, Vec<String>) {
    let mut head = (0, 0, StateEntries::new(), Vec::new());
    put_event(
        store,
        room,
        "$create",
        "m.room.create",
        Some(""),
        "@a:test",
        &mut head,
        |_| {},
    )
    .await;
    head
}

/// Stream positions for test events: increasing across the process, as the server's
/// allocator makes them within one store.
fn next_position() -> i64 {
    static NEXT: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// A message event with nothing but what storage needs.
fn message<'a>(
    event_id: &'a str,
    room_id: &'a str,
    json: &'a str,
    current_group: i64,
    prev_events: &'a [String],
) -> NewEvent<'a> {
    NewEvent {
        stream_ordering: next_position(),
        event_id,
        room_id,
        kind: "m.room.message",
        state_key: None,
        sender: "@a:test",
        origin_server_ts: 1,
        depth: 2,
        json,
        rel_type: None,
        replaces_state: None,
        relates_to: None,
        contains_url: false,
        prev_events,
        state: None,
        current_group,
        membership: None,
        txn: None,
        redacts: None,
        search: None,
        new_room: None,
        push: &[],
    }
}

/// A room member event of `user` (its own sender) with the given membership.
async fn member(
    store: &Store,
    room: &str,
    id: &str,
    user: &str,
    membership: &'static str,
    head: &mut (i64, i64, StateEntries, Vec<String>),
) -> Persisted {
    put_event(
        store,
        room,
        id,
        "m.room.member",
        Some(user),
        user,
        head,
        |e| e.membership = Some(membership),
    )
    .await
}

/// Creates `room` with the create event `id` (for a second room in one store: [`new_room`]
/// always names it `$create`).
async fn another_room(
    store: &Store,
    room: &str,
    id: &str,
) -> (i64, i64, StateEntries, Vec<String>) {
    let mut head = (0, 0, StateEntries::new(), Vec::new());
    put_event(
        store,
        room,
        id,
        "m.room.create",
        Some(""),
        "@a:test",
        &mut head,
        |_| {},
    )
    .await;
    head
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

fn receipt_of(
    room: &str,
    kind: &str,
    user: &str,
    thread: &str,
    event: &str,
    event_pos: i64,
    stream_id: i64,
) -> Receipt {
    Receipt {
        room_id: room.into(),
        receipt_type: kind.into(),
        user_id: user.into(),
        thread_id: thread.into(),
        event_id: event.into(),
        event_pos,
        ts: 1000 + stream_id,
        stream_id,
    }
}

fn to_device(stream_id: i64, user: &str, device: &str, content: &str) -> ToDeviceMessage {
    ToDeviceMessage {
        stream_id,
        user_id: user.into(),
        device_id: device.into(),
        sender: "@s:test".into(),
        kind: "m.test".into(),
        content: content.into(),
    }
}
