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

#[tokio::test]
async fn reopening_keeps_data_and_migrations_are_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/hearth.db", dir.path().display());
    let store = Store::open(&url, 2).await.unwrap();
    assert!(store.create_user(&alice(1)).await.unwrap());
    store.close().await;
    let store = Store::open(&url, 2).await.unwrap();
    assert!(store.user("@alice:test").await.unwrap().is_some());
}

#[tokio::test]
async fn create_user_then_read_it() {
    on_every_backend(|store| async move {
        assert!(store.user("@alice:test").await.unwrap().is_none());
        assert!(store.create_user(&alice(42)).await.unwrap());
        let user = store.user("@alice:test").await.unwrap().unwrap();
        assert_eq!(user.password_hash.as_deref(), Some("hash-a"));
        assert!(!user.is_admin);
        assert!(!user.deactivated);
        assert_eq!(user.created_ts, 42);
        let admin = NewUser {
            user_id: "@root:test",
            password_hash: None,
            is_admin: true,
            created_ts: 1,
        };
        assert!(store.create_user(&admin).await.unwrap());
        let root = store.user("@root:test").await.unwrap().unwrap();
        assert!(root.is_admin);
        assert_eq!(root.password_hash, None);
    })
    .await;
}

#[tokio::test]
async fn create_user_refuses_a_taken_id_and_changes_nothing() {
    on_every_backend(|store| async move {
        assert!(store.create_user(&alice(1)).await.unwrap());
        let again = NewUser {
            password_hash: Some("other"),
            ..alice(2)
        };
        assert!(!store.create_user(&again).await.unwrap());
        let user = store.user("@alice:test").await.unwrap().unwrap();
        assert_eq!(user.password_hash.as_deref(), Some("hash-a"));
        assert_eq!(user.created_ts, 1);
    })
    .await;
}

#[tokio::test]
async fn set_password_hash_replaces_it() {
    on_every_backend(|store| async move {
        store.create_user(&alice(1)).await.unwrap();
        store
            .set_password_hash("@alice:test", "hash-b")
            .await
            .unwrap();
        let user = store.user("@alice:test").await.unwrap().unwrap();
        assert_eq!(user.password_hash.as_deref(), Some("hash-b"));
    })
    .await;
}

#[tokio::test]
async fn deactivate_user_removes_credentials_but_keeps_the_id() {
    on_every_backend(|store| async move {
        store.create_user(&alice(1)).await.unwrap();
        store
            .start_session(&session("D1", "tok1", Some("ref1")))
            .await
            .unwrap();
        store
            .set_profile_field("@alice:test", "displayname", &json!("Alice"))
            .await
            .unwrap();
        store.deactivate_user("@alice:test").await.unwrap();
        let user = store.user("@alice:test").await.unwrap().unwrap();
        assert!(user.deactivated);
        assert_eq!(user.password_hash, None);
        assert!(store.access_token("tok1").await.unwrap().is_none());
        assert!(store.devices("@alice:test").await.unwrap().is_empty());
        assert!(store.profile("@alice:test").await.unwrap().is_empty());
        assert!(
            !store.create_user(&alice(2)).await.unwrap(),
            "IDs are never reused"
        );
        assert!(store.search_users("alice", 10).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn search_users_matches_id_and_display_name() {
    on_every_backend(|store| async move {
        for (id, name) in [
            ("@alice:test", Some("Alice Liddell")),
            ("@bob:test", Some("Bobby")),
            ("@carol:test", None),
            ("@a_b:test", None),
        ] {
            let user = NewUser {
                user_id: id,
                password_hash: None,
                is_admin: false,
                created_ts: 1,
            };
            store.create_user(&user).await.unwrap();
            if let Some(name) = name {
                store
                    .set_profile_field(id, "displayname", &json!(name))
                    .await
                    .unwrap();
            }
        }
        store
            .set_profile_field("@bob:test", "avatar_url", &json!("mxc://test/b"))
            .await
            .unwrap();
        let ids = |v: Vec<DirectoryEntry>| v.into_iter().map(|e| e.user_id).collect::<Vec<_>>();
        assert_eq!(
            ids(store.search_users("LIDDELL", 10).await.unwrap()),
            ["@alice:test"]
        );
        assert_eq!(
            ids(store.search_users("bob", 10).await.unwrap()),
            ["@bob:test"]
        );
        assert_eq!(
            ids(store.search_users("test", 2).await.unwrap()),
            ["@a_b:test", "@alice:test"]
        );
        // `_` is matched literally, not as a wildcard.
        assert_eq!(
            ids(store.search_users("a_b", 10).await.unwrap()),
            ["@a_b:test"]
        );
        assert!(store.search_users("%", 10).await.unwrap().is_empty());
        let bob = store.search_users("bobby", 10).await.unwrap().remove(0);
        assert_eq!(bob.displayname.as_deref(), Some("\"Bobby\""));
        assert_eq!(bob.avatar_url.as_deref(), Some("\"mxc://test/b\""));
    })
    .await;
}

#[tokio::test]
async fn profile_fields_round_trip() {
    on_every_backend(|store| async move {
        let user = "@alice:test";
        assert_eq!(
            store.profile_field(user, "displayname").await.unwrap(),
            None
        );
        store
            .set_profile_field(user, "displayname", &json!("Alice 🐇"))
            .await
            .unwrap();
        store
            .set_profile_field(user, "m.tz", &json!("Europe/London"))
            .await
            .unwrap();
        store
            .set_profile_field(user, "displayname", &json!("Alice"))
            .await
            .unwrap();
        assert_eq!(
            store.profile_field(user, "displayname").await.unwrap(),
            Some(json!("Alice"))
        );
        let profile = store.profile(user).await.unwrap();
        assert_eq!(profile.len(), 2);
        assert_eq!(profile["m.tz"], json!("Europe/London"));
        assert!(store.delete_profile_field(user, "m.tz").await.unwrap());
        assert!(!store.delete_profile_field(user, "m.tz").await.unwrap());
        assert_eq!(store.profile(user).await.unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn start_session_creates_device_and_token() {
    on_every_backend(|store| async move {
        store
            .start_session(&session("D1", "tok1", None))
            .await
            .unwrap();
        let info = store.access_token("tok1").await.unwrap().unwrap();
        assert_eq!(
            info,
            TokenInfo {
                user_id: "@alice:test".into(),
                device_id: "D1".into(),
                expires_ts: None
            }
        );
        let device = store.device("@alice:test", "D1").await.unwrap().unwrap();
        assert_eq!(device.display_name.as_deref(), Some("Phone"));
        assert_eq!(device.last_seen_ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(device.last_seen_ts, Some(1000));
        assert!(store.device("@alice:test", "D2").await.unwrap().is_none());
        assert!(store.device("@bob:test", "D1").await.unwrap().is_none());
    })
    .await;
}

#[tokio::test]
async fn reusing_a_device_replaces_its_tokens_and_keeps_its_name() {
    on_every_backend(|store| async move {
        store
            .start_session(&session("D1", "tok1", Some("ref1")))
            .await
            .unwrap();
        let again = NewSession {
            display_name: Some("Renamed?"),
            ..session("D1", "tok2", None)
        };
        store.start_session(&again).await.unwrap();
        assert!(store.access_token("tok1").await.unwrap().is_none());
        assert!(store.access_token("tok2").await.unwrap().is_some());
        let refreshed = store
            .refresh_session("ref1", "tok3", None, "ref2", 5)
            .await
            .unwrap();
        assert!(
            refreshed.is_none(),
            "old refresh token died with the old session"
        );
        let devices = store.devices("@alice:test").await.unwrap();
        assert_eq!(devices.len(), 1);
        assert_eq!(devices[0].display_name.as_deref(), Some("Phone"));
    })
    .await;
}

#[tokio::test]
async fn refresh_session_rotates_tokens_once() {
    on_every_backend(|store| async move {
        let first = NewSession {
            access_expires_ts: Some(2000),
            ..session("D1", "tok1", Some("ref1"))
        };
        store.start_session(&first).await.unwrap();
        assert_eq!(
            store
                .access_token("tok1")
                .await
                .unwrap()
                .unwrap()
                .expires_ts,
            Some(2000)
        );
        let info = store
            .refresh_session("ref1", "tok2", Some(9000), "ref2", 3000)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(info.device_id, "D1");
        assert_eq!(info.expires_ts, Some(9000));
        assert!(store.access_token("tok1").await.unwrap().is_none());
        assert_eq!(
            store
                .access_token("tok2")
                .await
                .unwrap()
                .unwrap()
                .expires_ts,
            Some(9000)
        );
        assert!(
            store
                .refresh_session("ref1", "tok3", None, "ref3", 4000)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            store.access_token("tok3").await.unwrap().is_none(),
            "a failed refresh writes nothing"
        );
        assert!(
            store
                .refresh_session("ref2", "tok4", None, "ref4", 4000)
                .await
                .unwrap()
                .is_some()
        );
    })
    .await;
}

#[tokio::test]
async fn devices_are_listed_renamed_and_touched() {
    on_every_backend(|store| async move {
        store
            .start_session(&session("B", "tokb", None))
            .await
            .unwrap();
        store
            .start_session(&NewSession {
                display_name: None,
                ..session("A", "toka", None)
            })
            .await
            .unwrap();
        let list = store.devices("@alice:test").await.unwrap();
        assert_eq!(
            list.iter()
                .map(|d| d.device_id.as_str())
                .collect::<Vec<_>>(),
            ["A", "B"]
        );
        assert_eq!(list[0].display_name, None);
        assert!(
            store
                .set_device_display_name("@alice:test", "A", Some("Laptop"))
                .await
                .unwrap()
        );
        assert!(
            !store
                .set_device_display_name("@alice:test", "Z", Some("x"))
                .await
                .unwrap()
        );
        store
            .touch_device("@alice:test", "A", "10.0.0.1", 7777)
            .await
            .unwrap();
        let a = store.device("@alice:test", "A").await.unwrap().unwrap();
        assert_eq!(a.display_name.as_deref(), Some("Laptop"));
        assert_eq!(a.last_seen_ip.as_deref(), Some("10.0.0.1"));
        assert_eq!(a.last_seen_ts, Some(7777));
        assert!(
            store
                .set_device_display_name("@alice:test", "A", None)
                .await
                .unwrap()
        );
        assert_eq!(
            store
                .device("@alice:test", "A")
                .await
                .unwrap()
                .unwrap()
                .display_name,
            None
        );
    })
    .await;
}

#[tokio::test]
async fn delete_devices_takes_their_tokens() {
    on_every_backend(|store| async move {
        for (d, t, r) in [("A", "ta", "ra"), ("B", "tb", "rb"), ("C", "tc", "rc")] {
            store.start_session(&session(d, t, Some(r))).await.unwrap();
        }
        store
            .delete_devices("@alice:test", &["A".into(), "missing".into()])
            .await
            .unwrap();
        assert!(store.access_token("ta").await.unwrap().is_none());
        assert!(
            store
                .refresh_session("ra", "x", None, "y", 1)
                .await
                .unwrap()
                .is_none()
        );
        assert!(store.access_token("tb").await.unwrap().is_some());
        store
            .delete_devices_except("@alice:test", Some("C"))
            .await
            .unwrap();
        assert!(store.access_token("tb").await.unwrap().is_none());
        assert!(store.access_token("tc").await.unwrap().is_some());
        assert_eq!(store.devices("@alice:test").await.unwrap().len(), 1);
        store
            .delete_devices_except("@alice:test", None)
            .await
            .unwrap();
        assert!(store.access_token("tc").await.unwrap().is_none());
        assert!(store.devices("@alice:test").await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn uia_sessions_track_completed_stages() {
    on_every_backend(|store| async move {
        let s = UiaSession {
            session_id: "S1".into(),
            kind: "register".into(),
            user_id: None,
            completed: vec![],
            created_ts: 100,
        };
        store.create_uia_session(&s).await.unwrap();
        let old = UiaSession {
            session_id: "S0".into(),
            user_id: Some("@a:test".into()),
            created_ts: 10,
            ..s.clone()
        };
        store.create_uia_session(&old).await.unwrap();
        assert_eq!(store.uia_session("S1").await.unwrap(), Some(s.clone()));
        assert_eq!(
            store
                .uia_session("S0")
                .await
                .unwrap()
                .unwrap()
                .user_id
                .as_deref(),
            Some("@a:test")
        );
        store
            .set_uia_completed("S1", &["m.login.dummy".into()])
            .await
            .unwrap();
        assert_eq!(
            store.uia_session("S1").await.unwrap().unwrap().completed,
            ["m.login.dummy"]
        );
        assert_eq!(store.delete_uia_sessions_before(50).await.unwrap(), 1);
        assert!(store.uia_session("S0").await.unwrap().is_none());
        store.delete_uia_session("S1").await.unwrap();
        assert!(store.uia_session("S1").await.unwrap().is_none());
    })
    .await;
}

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

#[tokio::test]
async fn a_state_event_remembers_the_event_it_replaced() {
    on_every_backend(|store| async move {
        let mut head = new_room(&store, "!r:x").await;
        put_event(
            &store,
            "!r:x",
            "$t1",
            "m.room.topic",
            Some(""),
            "@a:x",
            &mut head,
            |_| {},
        )
        .await;
        put_event(
            &store,
            "!r:x",
            "$t2",
            "m.room.topic",
            Some(""),
            "@a:x",
            &mut head,
            |_| {},
        )
        .await;
        put_event(
            &store,
            "!r:x",
            "$m",
            "m.room.message",
            None,
            "@a:x",
            &mut head,
            |_| {},
        )
        .await;
        let replaced = |id: &'static str| {
            let store = store.clone();
            async move { store.event(id).await.unwrap().unwrap().replaces_state }
        };
        assert_eq!(replaced("$t1").await, None);
        assert_eq!(replaced("$t2").await.as_deref(), Some("$t1"));
        assert_eq!(replaced("$m").await, None);
    })
    .await;
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

#[tokio::test]
async fn signing_keys_are_stored_once() {
    on_every_backend(|store| async move {
        assert_eq!(store.signing_key().await.unwrap(), None);
        let first = store
            .store_signing_key("ed25519:a", b"key-a", 1)
            .await
            .unwrap();
        assert_eq!(first, ("ed25519:a".to_owned(), b"key-a".to_vec()));
        // A second process racing to create one ends up using the first.
        let second = store
            .store_signing_key("ed25519:b", b"key-b", 2)
            .await
            .unwrap();
        assert_eq!(second.0, "ed25519:a");
        assert!(store.signing_key().await.unwrap().is_some());
    })
    .await;
}

#[tokio::test]
async fn events_state_groups_and_timeline() {
    on_every_backend(|store| async move {
        let room = "!r:test";
        let mut head = (0, 0, StateEntries::new(), Vec::new());
        let create = put_event(
            &store,
            room,
            "$create",
            "m.room.create",
            Some(""),
            "@a:test",
            &mut head,
            |_| {},
        )
        .await;
        assert_eq!(create.chain_len, Some(0));
        assert_eq!(store.room(room).await.unwrap().unwrap().room_version, "11");
        put_event(
            &store,
            room,
            "$join",
            "m.room.member",
            Some("@a:test"),
            "@a:test",
            &mut head,
            |_| {},
        )
        .await;
        // Enough state changes to force a snapshot, checking every group on the way.
        let mut groups = Vec::new();
        for i in 0..(SNAPSHOT_EVERY + 5) {
            let id = format!("$name{i}");
            put_event(
                &store,
                room,
                &id,
                "m.room.name",
                Some(""),
                "@a:test",
                &mut head,
                |_| {},
            )
            .await;
            groups.push((head.0, head.2.clone()));
        }
        assert!(head.1 < SNAPSHOT_EVERY, "chains are cut by snapshots");
        for (group, expected) in &groups {
            assert_eq!(&store.state_group(*group).await.unwrap(), expected);
        }
        let keys = [
            ("m.room.member".to_owned(), "@a:test".to_owned()),
            ("m.room.topic".to_owned(), String::new()),
        ];
        let some = store.state_at(groups[3].0, Some(&keys)).await.unwrap();
        assert_eq!(some.len(), 1);
        assert_eq!(some.values().next().unwrap(), "$join");

        let txn = TxnKey {
            user_id: "@a:test",
            device_id: "D",
            scope: "send/!r:test/m.room.message",
            txn_id: "t1",
        };
        let message = put_event(
            &store,
            room,
            "$msg",
            "m.room.message",
            None,
            "@a:test",
            &mut head,
            |e| {
                e.txn = Some(txn);
                e.contains_url = true;
                e.rel_type = Some("m.thread");
                e.relates_to = Some("$join");
            },
        )
        .await;
        assert_eq!(message.chain_len, None);
        assert_eq!(
            message.state_group,
            groups.last().unwrap().0,
            "messages keep the state group"
        );
        assert_eq!(
            store.txn_event(&txn).await.unwrap().as_deref(),
            Some("$msg")
        );
        assert_eq!(
            store
                .txn_event(&TxnKey {
                    scope: "elsewhere",
                    ..txn
                })
                .await
                .unwrap(),
            None
        );
        put_event(
            &store,
            room,
            "$redaction",
            "m.room.redaction",
            None,
            "@a:test",
            &mut head,
            |e| e.redacts = Some("$msg"),
        )
        .await;
        assert_eq!(
            store
                .event("$msg")
                .await
                .unwrap()
                .unwrap()
                .redacted_by
                .as_deref(),
            Some("$redaction")
        );

        let all = store
            .room_events(room, 0, None, true, 1000, &EventFilter::default())
            .await
            .unwrap();
        assert_eq!(all.len() as i64, 2 + SNAPSHOT_EVERY + 5 + 2);
        assert_eq!(
            store.max_stream_ordering().await.unwrap(),
            all.last().unwrap().stream_ordering
        );
        let back = store
            .room_events(room, i64::MAX, None, false, 2, &EventFilter::default())
            .await
            .unwrap();
        assert_eq!(
            back.iter().map(|e| e.event_id.as_str()).collect::<Vec<_>>(),
            ["$redaction", "$msg"]
        );
        let filter = EventFilter {
            types: Some(vec!["m.room.message".into()]),
            ..Default::default()
        };
        assert_eq!(
            store
                .room_events(room, 0, None, true, 10, &filter)
                .await
                .unwrap()
                .len(),
            1
        );
        let filter = EventFilter {
            contains_url: Some(true),
            ..Default::default()
        };
        assert_eq!(
            store
                .room_events(room, 0, None, true, 10, &filter)
                .await
                .unwrap()[0]
                .event_id,
            "$msg"
        );
        let filter = EventFilter {
            not_senders: vec!["@a:test".into()],
            ..Default::default()
        };
        assert!(
            store
                .room_events(room, 0, None, true, 10, &filter)
                .await
                .unwrap()
                .is_empty()
        );
        let filter = EventFilter {
            senders: Some(vec![]),
            ..Default::default()
        };
        assert!(
            store
                .room_events(room, 0, None, true, 10, &filter)
                .await
                .unwrap()
                .is_empty()
        );
        let filter = EventFilter {
            not_types: vec!["m.room.name".into()],
            ..Default::default()
        };
        assert_eq!(
            store
                .room_events(room, 0, None, true, 100, &filter)
                .await
                .unwrap()
                .len(),
            4
        );
        // `*` is a wildcard; matching is case-sensitive; `%` and `_` are literal.
        let wild = |types: &[&str], not: bool| {
            let list: Vec<String> = types.iter().map(|t| t.to_string()).collect();
            if not {
                EventFilter {
                    not_types: list,
                    ..Default::default()
                }
            } else {
                EventFilter {
                    types: Some(list),
                    ..Default::default()
                }
            }
        };
        let count = |events: Vec<StoredEvent>| events.len() as i64;
        assert_eq!(
            count(
                store
                    .room_events(room, 0, None, true, 1000, &wild(&["m.room.n*"], false))
                    .await
                    .unwrap()
            ),
            SNAPSHOT_EVERY + 5
        );
        assert_eq!(
            count(
                store
                    .room_events(room, 0, None, true, 1000, &wild(&["m.room.*", "x"], false))
                    .await
                    .unwrap()
            ),
            all.len() as i64
        );
        assert_eq!(
            count(
                store
                    .room_events(room, 0, None, true, 1000, &wild(&["M.ROOM.*"], false))
                    .await
                    .unwrap()
            ),
            0
        );
        assert_eq!(
            count(
                store
                    .room_events(room, 0, None, true, 1000, &wild(&["m.room_*"], false))
                    .await
                    .unwrap()
            ),
            0
        );
        assert_eq!(
            count(
                store
                    .room_events(
                        room,
                        0,
                        None,
                        true,
                        1000,
                        &wild(&["*.name", "m.room.create"], true)
                    )
                    .await
                    .unwrap()
            ),
            3
        );
        let to = all[3].stream_ordering;
        assert_eq!(
            store
                .room_events(room, 0, Some(to), true, 100, &EventFilter::default())
                .await
                .unwrap()
                .len(),
            3
        );

        let picked = store
            .events(&["$msg".into(), "$nope".into(), "$create".into()])
            .await
            .unwrap();
        assert_eq!(
            picked
                .iter()
                .map(|e| e.event_id.as_str())
                .collect::<Vec<_>>(),
            ["$msg", "$create"]
        );
        assert_eq!(
            store.forward_extremities(room).await.unwrap(),
            ["$redaction"]
        );
        let current = store.current_state(room).await.unwrap();
        assert_eq!(current.len(), 3);
        assert_eq!(
            current[&("m.room.name".to_owned(), String::new())],
            format!("$name{}", SNAPSHOT_EVERY + 4)
        );
        let (group, chain_len, depth) = store.room_head(room).await.unwrap().unwrap();
        assert_eq!((group, chain_len, depth), (head.0, head.1, 1));
        let at = store
            .state_group_at(room, all[1].stream_ordering)
            .await
            .unwrap();
        assert_eq!(store.state_group(at.unwrap()).await.unwrap().len(), 2);
        assert_eq!(store.state_group_at(room, 0).await.unwrap(), None);
    })
    .await;
}

#[tokio::test]
async fn rooms_memberships_and_aliases() {
    on_every_backend(|store| async move {
        let room = "!r:test";
        let mut head = new_room(&store, room).await;
        put_event(
            &store,
            room,
            "$a",
            "m.room.member",
            Some("@a:test"),
            "@a:test",
            &mut head,
            |_| {},
        )
        .await;
        put_event(
            &store,
            room,
            "$b",
            "m.room.member",
            Some("@b:test"),
            "@a:test",
            &mut head,
            |e| e.membership = Some("invite"),
        )
        .await;
        assert_eq!(
            store
                .rooms_with_membership("@a:test", "join")
                .await
                .unwrap(),
            [room]
        );
        assert_eq!(
            store
                .rooms_with_membership("@b:test", "invite")
                .await
                .unwrap(),
            [room]
        );
        assert!(
            store
                .rooms_with_membership("@b:test", "join")
                .await
                .unwrap()
                .is_empty()
        );
        let members = store.members(room).await.unwrap();
        assert_eq!(
            members,
            [
                ("@a:test".into(), "join".into(), "$a".into()),
                ("@b:test".into(), "invite".into(), "$b".into())
            ]
        );
        assert_eq!(
            store.membership(room, "@b:test").await.unwrap().as_deref(),
            Some("invite")
        );
        assert_eq!(store.membership(room, "@c:test").await.unwrap(), None);

        assert!(!store.room(room).await.unwrap().unwrap().published);
        assert!(store.published_rooms().await.unwrap().is_empty());
        store.set_room_published(room, true).await.unwrap();
        assert!(store.room(room).await.unwrap().unwrap().published);
        assert_eq!(store.published_rooms().await.unwrap(), [room]);

        assert!(!store.is_forgotten("@a:test", room).await.unwrap());
        store.forget_room("@a:test", room).await.unwrap();
        store.forget_room("@a:test", room).await.unwrap();
        assert!(store.is_forgotten("@a:test", room).await.unwrap());
        store.unforget_room("@a:test", room).await.unwrap();
        assert!(!store.is_forgotten("@a:test", room).await.unwrap());

        assert!(
            store
                .create_alias("#x:test", room, "@a:test")
                .await
                .unwrap()
        );
        assert!(
            !store
                .create_alias("#x:test", "!other:test", "@b:test")
                .await
                .unwrap()
        );
        assert!(
            store
                .create_alias("#y:test", room, "@a:test")
                .await
                .unwrap()
        );
        assert_eq!(
            store.alias("#x:test").await.unwrap(),
            Some((room.into(), "@a:test".into()))
        );
        assert_eq!(
            store.room_aliases(room).await.unwrap(),
            ["#x:test", "#y:test"]
        );
        assert!(store.delete_alias("#x:test").await.unwrap());
        assert!(!store.delete_alias("#x:test").await.unwrap());
        assert_eq!(store.alias("#x:test").await.unwrap(), None);
    })
    .await;
}

#[tokio::test]
async fn search_finds_indexed_text_and_forgets_redacted_events() {
    on_every_backend(|store| async move {
        let room = "!r:test";
        let mut head = new_room(&store, room).await;
        let texts = [
            ("$1", "@a:test", "Hot dumplings tonight"),
            ("$2", "@b:test", "我爱吃饺子"),
            ("$3", "@b:test", "dumplings again, dumplings!"),
        ];
        for (id, sender, text) in texts {
            put_event(
                &store,
                room,
                id,
                "m.room.message",
                None,
                sender,
                &mut head,
                |e| e.search = Some(("content.body", text)),
            )
            .await;
        }
        put_event(
            &store,
            room,
            "$name",
            "m.room.name",
            Some(""),
            "@a:test",
            &mut head,
            |e| e.search = Some(("content.name", "Dumpling club")),
        )
        .await;
        let query = |term: &str| SearchQuery {
            term: term.into(),
            rooms: vec![room.into()],
            limit: 10,
            ..Default::default()
        };
        let ids = |found: (Vec<(StoredEvent, f64)>, u64)| {
            found
                .0
                .into_iter()
                .map(|(e, _)| e.event_id)
                .collect::<Vec<_>>()
        };

        let (found, count) = store.search_events(&query("DUMPLINGS")).await.unwrap();
        assert_eq!(count, 2);
        assert_eq!(found[0].0.event_id, "$3", "more occurrences rank higher");
        assert!(found[0].1 >= found[1].1);
        assert_eq!(
            ids(store.search_events(&query("饺子")).await.unwrap()),
            ["$2"]
        );
        assert_eq!(
            ids(store.search_events(&query("吃饺")).await.unwrap()),
            ["$2"]
        );
        assert!(
            ids(store.search_events(&query("饺吃")).await.unwrap()).is_empty(),
            "CJK words are phrases"
        );
        assert!(
            store
                .search_events(&query("!!!"))
                .await
                .unwrap()
                .0
                .is_empty()
        );
        let names = SearchQuery {
            keys: vec!["content.name".into()],
            ..query("club")
        };
        assert_eq!(ids(store.search_events(&names).await.unwrap()), ["$name"]);
        let recent = SearchQuery {
            order_by_recent: true,
            ..query("dumplings")
        };
        assert_eq!(
            ids(store.search_events(&recent).await.unwrap()),
            ["$3", "$1"]
        );
        let by_b = SearchQuery {
            senders: Some(vec!["@b:test".into()]),
            ..query("dumplings")
        };
        assert_eq!(ids(store.search_events(&by_b).await.unwrap()), ["$3"]);
        let not_b = SearchQuery {
            not_senders: vec!["@b:test".into()],
            ..query("dumplings")
        };
        assert_eq!(ids(store.search_events(&not_b).await.unwrap()), ["$1"]);
        let elsewhere = SearchQuery {
            rooms: vec!["!other:test".into()],
            ..query("dumplings")
        };
        assert!(store.search_events(&elsewhere).await.unwrap().0.is_empty());
        let future = SearchQuery {
            from_ts: Some(5000),
            ..query("dumplings")
        };
        assert!(store.search_events(&future).await.unwrap().0.is_empty());
        let paged = SearchQuery {
            limit: 1,
            offset: 1,
            ..query("dumplings")
        };
        assert_eq!(ids(store.search_events(&paged).await.unwrap()), ["$1"]);

        put_event(
            &store,
            room,
            "$redact",
            "m.room.redaction",
            None,
            "@b:test",
            &mut head,
            |e| e.redacts = Some("$3"),
        )
        .await;
        assert_eq!(
            ids(store.search_events(&query("dumplings")).await.unwrap()),
            ["$1"]
        );
    })
    .await;
}

#[tokio::test]
async fn a_failed_persist_changes_nothing_and_the_next_one_works() {
    on_every_backend(|store| async move {
        let room = "!r:test";
        let mut head = new_room(&store, room).await;
        put_event(
            &store,
            room,
            "$m1",
            "m.room.message",
            None,
            "@a:test",
            &mut head,
            |_| {},
        )
        .await;
        let before = store
            .room_events(room, 0, None, true, 100, &EventFilter::default())
            .await
            .unwrap();
        // The same event ID again violates uniqueness half way through the write.
        let json = r#"{"type":"m.room.message"}"#;
        let txn = TxnKey {
            user_id: "@a:test",
            device_id: "D",
            scope: "s",
            txn_id: "dup",
        };
        let prev = ["$m1".to_owned()];
        let duplicate = NewEvent {
            depth: 3,
            txn: Some(txn),
            search: Some(("content.body", "ghost")),
            ..message("$m1", room, json, head.0, &prev)
        };
        assert!(store.persist_event(&duplicate).await.is_err());
        assert_eq!(store.txn_event(&txn).await.unwrap(), None);
        assert_eq!(store.forward_extremities(room).await.unwrap(), ["$m1"]);
        let query = SearchQuery {
            term: "ghost".into(),
            rooms: vec![room.into()],
            limit: 5,
            ..Default::default()
        };
        assert!(store.search_events(&query).await.unwrap().0.is_empty());
        put_event(
            &store,
            room,
            "$m2",
            "m.room.message",
            None,
            "@a:test",
            &mut head,
            |_| {},
        )
        .await;
        let after = store
            .room_events(room, 0, None, true, 100, &EventFilter::default())
            .await
            .unwrap();
        assert_eq!(after.len(), before.len() + 1);
    })
    .await;
}

#[tokio::test]
async fn concurrent_writes_to_many_rooms_are_isolated() {
    on_every_backend(|store| async move {
        let rooms: Vec<String> = (0..8).map(|i| format!("!r{i}:test")).collect();
        let mut heads = Vec::new();
        for room in &rooms {
            let mut head = (0, 0, StateEntries::new(), Vec::new());
            let create = format!("$create-{room}");
            put_event(
                &store,
                room,
                &create,
                "m.room.create",
                Some(""),
                "@a:test",
                &mut head,
                |_| {},
            )
            .await;
            heads.push(head);
        }
        // One message per room at once; the one reusing an existing event ID must fail alone.
        let ids: Vec<String> = (0..8)
            .map(|i| {
                if i == 3 {
                    "$create-!r0:test".to_owned()
                } else {
                    format!("$m{i}")
                }
            })
            .collect();
        let json = r#"{"type":"m.room.message"}"#.to_owned();
        let writes = rooms
            .iter()
            .zip(&ids)
            .zip(&heads)
            .map(|((room, id), head)| {
                let store = store.clone();
                let (room, id, json, group, prev) = (
                    room.clone(),
                    id.clone(),
                    json.clone(),
                    head.0,
                    head.3.clone(),
                );
                async move {
                    let event = NewEvent {
                        search: Some(("content.body", "hello")),
                        ..message(&id, &room, &json, group, &prev)
                    };
                    store.persist_event(&event).await.map(|p| p.stream_ordering)
                }
            });
        // Spawned, so they run (and reach the writer) concurrently.
        let handles: Vec<_> = writes.map(tokio::spawn).collect();
        let mut results = Vec::new();
        for handle in handles {
            results.push(handle.await.unwrap());
        }
        assert_eq!(results.iter().filter(|r| r.is_err()).count(), 1);
        assert!(results[3].is_err());
        let mut positions: Vec<i64> = results
            .iter()
            .filter_map(|r| r.as_ref().ok().copied())
            .collect();
        positions.sort();
        positions.dedup();
        assert_eq!(
            positions.len(),
            7,
            "every stored event has its own stream position"
        );
        for (i, room) in rooms.iter().enumerate() {
            let events = store
                .room_events(room, 0, None, true, 10, &EventFilter::default())
                .await
                .unwrap();
            assert_eq!(events.len(), if i == 3 { 1 } else { 2 }, "{room}");
        }
    })
    .await;
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

#[tokio::test]
async fn notification_counts_start_after_the_read_receipt() {
    on_every_backend(|store| async move {
        let room = "!n:test";
        let mut head = new_room(&store, room).await;
        let actions = |thread: &str, highlight: bool| -> &'static [PushActions] {
            Box::leak(Box::new([PushActions {
                user_id: "@b:test".into(),
                thread_id: thread.into(),
                actions: "[\"notify\"]".into(),
                highlight,
            }]))
        };
        let mut positions = Vec::new();
        for (id, thread, highlight) in [("$1", "", false), ("$2", "", true), ("$3", "$root", false)]
        {
            let push = actions(thread, highlight);
            let persisted = put_event(
                &store,
                room,
                id,
                "m.room.message",
                None,
                "@a:test",
                &mut head,
                |e| e.push = push,
            )
            .await;
            positions.push(persisted.stream_ordering);
        }
        let counts = |store: Store| async move {
            let mut c = store.notification_counts("@b:test", room).await.unwrap();
            c.sort_by(|a, b| a.0.cmp(&b.0));
            c.into_iter()
                .map(|(t, c)| (t, c.notifications, c.highlights))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            counts(store.clone()).await,
            [("".to_owned(), 2, 1), ("$root".to_owned(), 1, 0)]
        );
        assert!(
            store
                .notification_counts("@a:test", room)
                .await
                .unwrap()
                .is_empty()
        );
        // A private read receipt past the first message counts too; a threaded one does not.
        store
            .put_receipt(&receipt_of(
                room,
                "m.read.private",
                "@b:test",
                "",
                "$1",
                positions[0],
                1,
            ))
            .await
            .unwrap();
        store
            .put_receipt(&receipt_of(
                room,
                "m.read",
                "@b:test",
                "$root",
                "$3",
                positions[2],
                2,
            ))
            .await
            .unwrap();
        assert_eq!(
            counts(store.clone()).await,
            [("".to_owned(), 1, 1), ("$root".to_owned(), 1, 0)]
        );
        store
            .put_receipt(&receipt_of(
                room,
                "m.read",
                "@b:test",
                "",
                "$3",
                positions[2],
                3,
            ))
            .await
            .unwrap();
        assert!(counts(store.clone()).await.is_empty());
    })
    .await;
}

#[tokio::test]
async fn receipts_never_move_back() {
    on_every_backend(|store| async move {
        let (one, read) = ("!one:test", "m.read");
        let first = receipt_of(one, read, "@a:test", "", "$e5", 5, 1);
        assert!(store.put_receipt(&first).await.unwrap());
        assert_eq!(
            store.receipt(one, read, "@a:test").await.unwrap(),
            Some(first.clone())
        );
        // An earlier event, then the same one again: refused, nothing changes.
        let earlier = receipt_of(one, read, "@a:test", "", "$e3", 3, 2);
        assert!(!store.put_receipt(&earlier).await.unwrap());
        let same = receipt_of(one, read, "@a:test", "", "$e5-again", 5, 3);
        assert!(!store.put_receipt(&same).await.unwrap());
        assert_eq!(
            store.receipt(one, read, "@a:test").await.unwrap(),
            Some(first.clone())
        );
        assert!(
            store
                .receipts_between(&[one.into()], 1, 100)
                .await
                .unwrap()
                .is_empty(),
            "refused receipts take no stream position"
        );
        // A later event replaces it, position and all.
        let later = receipt_of(one, read, "@a:test", "", "$e8", 8, 4);
        assert!(store.put_receipt(&later).await.unwrap());
        assert_eq!(
            store.receipt(one, read, "@a:test").await.unwrap(),
            Some(later.clone())
        );
        assert_eq!(
            store.receipts_between(&[one.into()], 0, 100).await.unwrap(),
            [later],
            "the replaced receipt is gone"
        );
    })
    .await;
}

#[tokio::test]
async fn receipts_are_kept_per_type_thread_user_and_room() {
    on_every_backend(|store| async move {
        let (one, two, read) = ("!one:test", "!two:test", "m.read");
        let receipts = [
            receipt_of(one, read, "@a:test", "", "$e8", 8, 1),
            // A thread's receipt is its own row, even at an earlier event.
            receipt_of(one, read, "@a:test", "$root", "$e2", 2, 2),
            receipt_of(one, "m.read.private", "@a:test", "", "$e1", 1, 3),
            receipt_of(one, read, "@b:test", "", "$e1", 1, 4),
            receipt_of(two, read, "@a:test", "", "$f1", 1, 5),
            receipt_of(two, read, "@b:test", "$root2", "$f2", 2, 6),
        ];
        for r in &receipts {
            assert!(store.put_receipt(r).await.unwrap(), "{r:?}");
        }
        assert_eq!(
            store.receipt(one, read, "@a:test").await.unwrap(),
            Some(receipts[0].clone()),
            "the unthreaded one"
        );
        assert_eq!(
            store
                .receipt(one, "m.read.private", "@a:test")
                .await
                .unwrap(),
            Some(receipts[2].clone())
        );
        assert_eq!(
            store.receipt(one, read, "@b:test").await.unwrap(),
            Some(receipts[3].clone())
        );
        assert_eq!(
            store.receipt(two, read, "@a:test").await.unwrap(),
            Some(receipts[4].clone())
        );
        assert_eq!(
            store.receipt(two, read, "@b:test").await.unwrap(),
            None,
            "only a threaded receipt there"
        );
        assert_eq!(store.receipt(one, read, "@c:test").await.unwrap(), None);
        assert_eq!(
            store.receipt("!three:test", read, "@a:test").await.unwrap(),
            None
        );

        let between = |rooms: Vec<&str>, after: i64, upto: i64| {
            let store = store.clone();
            let rooms: Vec<String> = rooms.into_iter().map(str::to_owned).collect();
            async move {
                let mut found = store.receipts_between(&rooms, after, upto).await.unwrap();
                found.sort_by_key(|r| r.stream_id);
                found.into_iter().map(|r| r.stream_id).collect::<Vec<_>>()
            }
        };
        assert_eq!(between(vec![one], 0, 100).await, [1, 2, 3, 4]);
        assert_eq!(between(vec![two], 0, 100).await, [5, 6]);
        assert_eq!(between(vec![one, two], 0, 6).await, [1, 2, 3, 4, 5, 6]);
        assert_eq!(
            between(vec![one, two], 2, 5).await,
            [3, 4, 5],
            "after is exclusive, upto inclusive"
        );
        assert_eq!(between(vec![one, two], 6, 100).await, Vec::<i64>::new());
        assert_eq!(
            between(vec!["!three:test"], 0, 100).await,
            Vec::<i64>::new()
        );
        assert_eq!(between(vec![], 0, 100).await, Vec::<i64>::new());
        let full = store.receipts_between(&[two.into()], 5, 6).await.unwrap();
        assert_eq!(full, [receipts[5].clone()]);

        // More rooms than fit in one statement.
        let mut many: Vec<String> = (0..700).map(|i| format!("!x{i}:test")).collect();
        many.insert(0, one.into());
        many.push(two.into());
        let mut found = store.receipts_between(&many, 0, 100).await.unwrap();
        found.sort_by_key(|r| r.stream_id);
        assert_eq!(found, receipts);
    })
    .await;
}

#[tokio::test]
async fn account_data_is_upserted_per_user_room_and_type() {
    on_every_backend(|store| async move {
        let (a, b) = ("@a:test", "@b:test");
        store
            .set_account_data(a, "", "m.push_rules", r#"{"v":1}"#, 1)
            .await
            .unwrap();
        store
            .set_account_data(a, "!r:test", "m.tag", r#"{"tags":{}}"#, 2)
            .await
            .unwrap();
        store
            .set_account_data(a, "", "m.direct", r#"{"d":1}"#, 3)
            .await
            .unwrap();
        store
            .set_account_data(b, "", "m.push_rules", r#"{"v":"b"}"#, 4)
            .await
            .unwrap();
        store
            .set_account_data(a, "!r:test", "m.push_rules", r#"{"room":1}"#, 5)
            .await
            .unwrap();
        assert_eq!(
            store
                .account_data(a, "", "m.push_rules")
                .await
                .unwrap()
                .as_deref(),
            Some(r#"{"v":1}"#)
        );
        assert_eq!(
            store
                .account_data(a, "!r:test", "m.push_rules")
                .await
                .unwrap()
                .as_deref(),
            Some(r#"{"room":1}"#),
            "room account data is apart from global"
        );
        assert_eq!(store.account_data(a, "", "m.tag").await.unwrap(), None);
        assert_eq!(
            store
                .account_data(b, "", "m.push_rules")
                .await
                .unwrap()
                .as_deref(),
            Some(r#"{"v":"b"}"#)
        );
        assert_eq!(store.account_data(b, "", "m.direct").await.unwrap(), None);
        assert_eq!(
            store
                .account_data("@c:test", "", "m.push_rules")
                .await
                .unwrap(),
            None
        );

        // Setting it again replaces the content and moves it in the stream.
        store
            .set_account_data(a, "", "m.push_rules", r#"{"v":2}"#, 6)
            .await
            .unwrap();
        assert_eq!(
            store
                .account_data(a, "", "m.push_rules")
                .await
                .unwrap()
                .as_deref(),
            Some(r#"{"v":2}"#)
        );
        let entry = |room: &str, kind: &str, content: &str| -> AccountDataEntry {
            (room.into(), kind.into(), content.into())
        };
        assert_eq!(
            store.account_data_between(a, 0, 100).await.unwrap(),
            [
                entry("!r:test", "m.tag", r#"{"tags":{}}"#),
                entry("", "m.direct", r#"{"d":1}"#),
                entry("!r:test", "m.push_rules", r#"{"room":1}"#),
                entry("", "m.push_rules", r#"{"v":2}"#),
            ]
        );
        assert_eq!(
            store.account_data_between(a, 2, 5).await.unwrap(),
            [
                entry("", "m.direct", r#"{"d":1}"#),
                entry("!r:test", "m.push_rules", r#"{"room":1}"#),
            ],
            "after is exclusive, upto inclusive"
        );
        assert!(
            store
                .account_data_between(a, 0, 1)
                .await
                .unwrap()
                .is_empty(),
            "the first write was replaced at position 6"
        );
        assert!(
            store
                .account_data_between(a, 6, 100)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            store.account_data_between(b, 0, 100).await.unwrap(),
            [entry("", "m.push_rules", r#"{"v":"b"}"#)]
        );
    })
    .await;
}

#[tokio::test]
async fn filters_are_numbered_per_user() {
    on_every_backend(|store| async move {
        let (a, b) = ("@a:test", "@b:test");
        assert_eq!(store.filter(a, 0).await.unwrap(), None);
        assert_eq!(store.create_filter(a, r#"{"a":0}"#).await.unwrap(), 0);
        assert_eq!(store.create_filter(a, r#"{"a":1}"#).await.unwrap(), 1);
        assert_eq!(store.create_filter(b, r#"{"b":0}"#).await.unwrap(), 0);
        assert_eq!(store.create_filter(a, r#"{"a":2}"#).await.unwrap(), 2);
        assert_eq!(store.create_filter(b, r#"{"b":1}"#).await.unwrap(), 1);
        for (user, id, json) in [
            (a, 0, r#"{"a":0}"#),
            (a, 1, r#"{"a":1}"#),
            (a, 2, r#"{"a":2}"#),
            (b, 0, r#"{"b":0}"#),
            (b, 1, r#"{"b":1}"#),
        ] {
            assert_eq!(
                store.filter(user, id).await.unwrap().as_deref(),
                Some(json),
                "{user} {id}"
            );
        }
        assert_eq!(store.filter(a, 3).await.unwrap(), None);
        assert_eq!(store.filter(b, 2).await.unwrap(), None);
        assert_eq!(store.filter(a, -1).await.unwrap(), None);
        assert_eq!(store.filter("@c:test", 0).await.unwrap(), None);
    })
    .await;
}

#[tokio::test]
async fn filters_created_at_once_get_distinct_ids() {
    on_every_backend(|store| async move {
        // Clients upload filters from several devices at once.
        let handles: Vec<_> = (0..64)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move {
                    let json = format!(r#"{{"i":{i}}}"#);
                    (store.create_filter("@a:test", &json).await, json)
                })
            })
            .collect();
        let mut ids = Vec::new();
        for handle in handles {
            let (id, json) = handle.await.unwrap();
            let id = id.expect("no filter upload fails for another's sake");
            assert_eq!(
                store.filter("@a:test", id).await.unwrap().as_deref(),
                Some(json.as_str())
            );
            ids.push(id);
        }
        assert_eq!(sorted(ids), (0..64).collect::<Vec<i64>>());
    })
    .await;
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

#[tokio::test]
async fn to_device_messages_are_queued_once_read_in_order_and_acknowledged() {
    on_every_backend(|store| async move {
        let (a, b) = ("@a:test", "@b:test");
        let positions = |found: Vec<ToDeviceMessage>| {
            found.into_iter().map(|m| m.stream_id).collect::<Vec<_>>()
        };
        let first = [
            to_device(1, a, "A", r#"{"n":1}"#),
            to_device(2, a, "B", r#"{"n":2}"#),
            to_device(3, b, "A", r#"{"n":3}"#),
        ];
        assert!(
            store
                .queue_to_device(("@s:test", "S", "t1"), &first)
                .await
                .unwrap()
        );
        // A retried transaction queues nothing.
        assert!(
            !store
                .queue_to_device(("@s:test", "S", "t1"), &[to_device(4, a, "A", "{}")])
                .await
                .unwrap()
        );
        assert_eq!(
            store.to_device_between(a, "A", 0, 100, 10).await.unwrap(),
            [first[0].clone()]
        );
        // The same transaction ID from another device (or user) is another transaction.
        assert!(
            store
                .queue_to_device(("@s:test", "S2", "t1"), &[to_device(5, a, "A", "{}")])
                .await
                .unwrap()
        );
        assert!(
            store
                .queue_to_device(("@t:test", "S", "t1"), &[to_device(6, a, "A", "{}")])
                .await
                .unwrap()
        );
        let batch: Vec<ToDeviceMessage> = (7..=9).map(|i| to_device(i, a, "A", "{}")).collect();
        assert!(
            store
                .queue_to_device(("@s:test", "S", "t2"), &batch)
                .await
                .unwrap()
        );
        // A queue that fails half way (position 9 is taken) leaves nothing, not even its
        // transaction, behind.
        let clash = [to_device(10, a, "B", "{}"), to_device(9, a, "B", "{}")];
        assert!(
            store
                .queue_to_device(("@s:test", "S", "t3"), &clash)
                .await
                .is_err()
        );
        assert_eq!(
            positions(store.to_device_between(a, "B", 0, 100, 10).await.unwrap()),
            [2]
        );
        assert!(
            store
                .queue_to_device(("@s:test", "S", "t3"), &[to_device(10, a, "B", "{}")])
                .await
                .unwrap()
        );

        assert_eq!(
            positions(store.to_device_between(a, "A", 0, 100, 10).await.unwrap()),
            [1, 5, 6, 7, 8, 9]
        );
        assert_eq!(
            positions(store.to_device_between(a, "A", 0, 100, 2).await.unwrap()),
            [1, 5],
            "the oldest first"
        );
        assert_eq!(
            positions(store.to_device_between(a, "A", 1, 7, 10).await.unwrap()),
            [5, 6, 7],
            "after is exclusive, upto inclusive"
        );
        assert_eq!(
            positions(store.to_device_between(a, "B", 0, 100, 10).await.unwrap()),
            [2, 10]
        );
        assert_eq!(
            store.to_device_between(b, "A", 0, 100, 10).await.unwrap(),
            [first[2].clone()]
        );
        assert!(
            store
                .to_device_between(b, "B", 0, 100, 10)
                .await
                .unwrap()
                .is_empty()
        );

        let mut pending = store.to_device_pending().await.unwrap();
        pending.sort();
        assert_eq!(
            pending,
            [
                (a.to_owned(), "A".to_owned(), 9),
                (a.to_owned(), "B".to_owned(), 10),
                (b.to_owned(), "A".to_owned(), 3)
            ]
        );
        store.ack_to_device(a, "A", 6).await.unwrap();
        assert_eq!(
            positions(store.to_device_between(a, "A", 0, 100, 10).await.unwrap()),
            [7, 8, 9]
        );
        assert_eq!(
            positions(store.to_device_between(a, "B", 0, 100, 10).await.unwrap()),
            [2, 10],
            "only that device's messages go"
        );
        assert_eq!(
            positions(store.to_device_between(b, "A", 0, 100, 10).await.unwrap()),
            [3],
            "only that user's messages go"
        );
        assert_eq!(store.stream_maxima().await.unwrap().to_device, 10);

        // The highest message is acknowledged while older ones wait elsewhere, then all go.
        store.ack_to_device(a, "B", 100).await.unwrap();
        assert_eq!(store.stream_maxima().await.unwrap().to_device, 10);
        store.ack_to_device(a, "A", 100).await.unwrap();
        store.ack_to_device(b, "A", 100).await.unwrap();
        for (user, device) in [(a, "A"), (a, "B"), (b, "A")] {
            assert!(
                store
                    .to_device_between(user, device, 0, 100, 10)
                    .await
                    .unwrap()
                    .is_empty()
            );
        }
        assert_eq!(
            store.stream_maxima().await.unwrap().to_device,
            10,
            "positions are never reused"
        );
        // The mark moves on with the stream.
        assert!(
            store
                .queue_to_device(("@s:test", "S", "t4"), &[to_device(11, b, "B", "{}")])
                .await
                .unwrap()
        );
        assert_eq!(store.stream_maxima().await.unwrap().to_device, 11);
        store.ack_to_device(b, "B", 11).await.unwrap();
        assert_eq!(store.stream_maxima().await.unwrap().to_device, 11);
        // Acknowledging with nothing to delete changes nothing.
        store.ack_to_device(b, "B", 50).await.unwrap();
        assert_eq!(store.stream_maxima().await.unwrap().to_device, 11);
    })
    .await;
}

#[tokio::test]
async fn device_list_changes_between_positions() {
    on_every_backend(|store| async move {
        for (user, position) in [
            ("@a:test", 1),
            ("@b:test", 2),
            ("@a:test", 3),
            ("@c:test", 5),
        ] {
            store.add_device_list_change(user, position).await.unwrap();
        }
        let changed = |after: i64, upto: i64| {
            let store = store.clone();
            async move {
                sorted(
                    store
                        .device_list_changes_between(after, upto)
                        .await
                        .unwrap(),
                )
            }
        };
        assert_eq!(changed(0, 10).await, ["@a:test", "@b:test", "@c:test"]);
        assert_eq!(changed(0, 1).await, ["@a:test"]);
        assert_eq!(
            changed(1, 3).await,
            ["@a:test", "@b:test"],
            "after is exclusive, upto inclusive"
        );
        assert_eq!(changed(1, 2).await, ["@b:test"]);
        assert_eq!(changed(3, 5).await, ["@c:test"]);
        assert!(changed(5, 10).await.is_empty());
        assert_eq!(store.stream_maxima().await.unwrap().device_lists, 5);
    })
    .await;
}

#[tokio::test]
async fn presence_is_upserted_per_user() {
    on_every_backend(|store| async move {
        assert!(store.all_presence().await.unwrap().is_empty());
        let record =
            |user: &str, state: &str, msg: Option<&str>, ts: i64, stream_id: i64| PresenceRecord {
                user_id: user.into(),
                state: state.into(),
                status_msg: msg.map(str::to_owned),
                last_active_ts: ts,
                stream_id,
            };
        store
            .set_presence(&record("@a:test", "online", Some("hi"), 100, 1))
            .await
            .unwrap();
        store
            .set_presence(&record("@b:test", "offline", None, 50, 2))
            .await
            .unwrap();
        let mut all = store.all_presence().await.unwrap();
        all.sort_by(|x, y| x.user_id.cmp(&y.user_id));
        assert_eq!(
            all,
            [
                record("@a:test", "online", Some("hi"), 100, 1),
                record("@b:test", "offline", None, 50, 2)
            ]
        );
        store
            .set_presence(&record("@a:test", "unavailable", None, 200, 3))
            .await
            .unwrap();
        let mut all = store.all_presence().await.unwrap();
        all.sort_by(|x, y| x.user_id.cmp(&y.user_id));
        assert_eq!(
            all,
            [
                record("@a:test", "unavailable", None, 200, 3),
                record("@b:test", "offline", None, 50, 2)
            ],
            "every field replaced, the status message too"
        );
        assert_eq!(store.stream_maxima().await.unwrap().presence, 3);
    })
    .await;
}

#[tokio::test]
async fn stream_maxima_reports_every_stream() {
    on_every_backend(|store| async move {
        assert_eq!(
            store.stream_maxima().await.unwrap(),
            StreamMaxima::default()
        );

        let room = "!r:test";
        let mut head = new_room(&store, room).await;
        let last = put_event(
            &store,
            room,
            "$m",
            "m.room.message",
            None,
            "@a:test",
            &mut head,
            |_| {},
        )
        .await;
        for r in [
            receipt_of(room, "m.read", "@a:test", "", "$m", 2, 7),
            receipt_of(room, "m.read", "@b:test", "", "$m", 2, 4),
        ] {
            assert!(store.put_receipt(&r).await.unwrap());
        }
        // Refused, so its position does not count.
        let refused = receipt_of(room, "m.read", "@a:test", "", "$create", 1, 20);
        assert!(!store.put_receipt(&refused).await.unwrap());
        store
            .set_account_data("@a:test", "", "m.direct", "{}", 11)
            .await
            .unwrap();
        store
            .set_account_data("@b:test", room, "m.tag", "{}", 6)
            .await
            .unwrap();
        assert!(
            store
                .queue_to_device(
                    ("@s:test", "S", "t"),
                    &[
                        to_device(13, "@a:test", "A", "{}"),
                        to_device(12, "@a:test", "B", "{}")
                    ]
                )
                .await
                .unwrap()
        );
        for (user, position) in [("@a:test", 17), ("@b:test", 16)] {
            store.add_device_list_change(user, position).await.unwrap();
        }
        store
            .set_presence(&PresenceRecord {
                user_id: "@a:test".into(),
                state: "online".into(),
                status_msg: None,
                last_active_ts: 1,
                stream_id: 9,
            })
            .await
            .unwrap();
        let expected = StreamMaxima {
            events: last.stream_ordering,
            receipts: 7,
            account_data: 11,
            to_device: 13,
            presence: 9,
            device_lists: 17,
        };
        assert_eq!(store.stream_maxima().await.unwrap(), expected);
        assert_eq!(
            store.max_stream_ordering().await.unwrap(),
            last.stream_ordering
        );

        // Every to-device message acknowledged: the stream still ends where it got to.
        store.ack_to_device("@a:test", "A", 13).await.unwrap();
        store.ack_to_device("@a:test", "B", 13).await.unwrap();
        assert!(
            store
                .to_device_between("@a:test", "B", 0, 100, 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(store.stream_maxima().await.unwrap(), expected);
    })
    .await;
}

#[tokio::test]
async fn memberships_of_a_user_come_from_current_state() {
    on_every_backend(|store| async move {
        let (one, two) = ("!one:test", "!two:test");
        let mut head1 = new_room(&store, one).await;
        let a1 = member(&store, one, "$a1", "@a:test", "join", &mut head1).await;
        let b1 = member(&store, one, "$b1", "@b:test", "invite", &mut head1).await;
        // State keyed by the user ID that is not membership.
        put_event(
            &store,
            one,
            "$custom",
            "org.example.state",
            Some("@a:test"),
            "@a:test",
            &mut head1,
            |_| {},
        )
        .await;
        let mut head2 = another_room(&store, two, "$create2").await;
        let b2 = member(&store, two, "$b2", "@b:test", "join", &mut head2).await;
        member(&store, two, "$a2", "@a:test", "join", &mut head2).await;
        let a2 = member(&store, two, "$a2-leave", "@a:test", "leave", &mut head2).await;
        put_event(
            &store,
            two,
            "$later",
            "m.room.message",
            None,
            "@b:test",
            &mut head2,
            |_| {},
        )
        .await;

        let of = |user: &'static str| {
            let store = store.clone();
            async move {
                let mut found = store.memberships_of(user).await.unwrap();
                found.sort_by(|x, y| x.room_id.cmp(&y.room_id));
                found
            }
        };
        let membership = |room: &str, membership: &str, id: &str, at: Persisted| Membership {
            room_id: room.into(),
            membership: membership.into(),
            event_id: id.into(),
            stream_ordering: at.stream_ordering,
        };
        assert_eq!(
            of("@a:test").await,
            [
                membership(one, "join", "$a1", a1),
                membership(two, "leave", "$a2-leave", a2)
            ]
        );
        assert_eq!(
            of("@b:test").await,
            [
                membership(one, "invite", "$b1", b1),
                membership(two, "join", "$b2", b2)
            ]
        );
        assert!(of("@c:test").await.is_empty());
    })
    .await;
}

#[tokio::test]
async fn rooms_with_events_between_positions() {
    on_every_backend(|store| async move {
        let (one, two) = ("!one:test", "!two:test");
        let mut head1 = new_room(&store, one).await;
        let one_last = put_event(
            &store,
            one,
            "$m1",
            "m.room.message",
            None,
            "@a:test",
            &mut head1,
            |_| {},
        )
        .await
        .stream_ordering;
        let mut head2 = another_room(&store, two, "$create2").await;
        let two_last = put_event(
            &store,
            two,
            "$m2",
            "m.room.message",
            None,
            "@a:test",
            &mut head2,
            |_| {},
        )
        .await
        .stream_ordering;
        let rooms = |after: i64, upto: i64| {
            let store = store.clone();
            async move { sorted(store.rooms_with_events_between(after, upto).await.unwrap()) }
        };
        assert_eq!(rooms(0, two_last).await, [one, two]);
        assert_eq!(rooms(one_last, two_last).await, [two], "after is exclusive");
        assert_eq!(rooms(0, one_last).await, [one], "upto is inclusive");
        assert_eq!(rooms(one_last - 1, one_last).await, [one]);
        assert!(rooms(two_last, i64::MAX).await.is_empty());
    })
    .await;
}

#[tokio::test]
async fn txn_ids_of_one_device() {
    on_every_backend(|store| async move {
        let room = "!r:test";
        let mut head = new_room(&store, room).await;
        for (id, device, txn_id) in [
            ("$t1", "D", "tx1"),
            ("$t2", "E", "tx2"),
            ("$t3", "D", "tx3"),
        ] {
            put_event(
                &store,
                room,
                id,
                "m.room.message",
                None,
                "@a:test",
                &mut head,
                |e| {
                    e.txn = Some(TxnKey {
                        user_id: "@a:test",
                        device_id: device,
                        scope: "send",
                        txn_id,
                    })
                },
            )
            .await;
        }
        put_event(
            &store,
            room,
            "$plain",
            "m.room.message",
            None,
            "@a:test",
            &mut head,
            |_| {},
        )
        .await;
        let ids = |ids: &[&str]| ids.iter().map(|id| id.to_string()).collect::<Vec<_>>();
        let pairs = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(e, t)| (e.to_string(), t.to_string()))
                .collect::<Vec<_>>()
        };
        let asked = ids(&["$t1", "$t2", "$t3", "$plain", "$create", "$unknown"]);
        assert_eq!(
            sorted(store.txn_ids("@a:test", "D", &asked).await.unwrap()),
            pairs(&[("$t1", "tx1"), ("$t3", "tx3")])
        );
        assert_eq!(
            store.txn_ids("@a:test", "E", &asked).await.unwrap(),
            pairs(&[("$t2", "tx2")])
        );
        assert_eq!(
            store
                .txn_ids("@a:test", "D", &ids(&["$t2", "$t3"]))
                .await
                .unwrap(),
            pairs(&[("$t3", "tx3")]),
            "only the events asked about"
        );
        assert!(
            store
                .txn_ids("@b:test", "D", &asked)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(store.txn_ids("@a:test", "D", &[]).await.unwrap().is_empty());
        // More events than fit in one statement.
        let mut many: Vec<String> = (0..700).map(|i| format!("$x{i}")).collect();
        many.insert(0, "$t1".into());
        many.push("$t3".into());
        assert_eq!(
            sorted(store.txn_ids("@a:test", "D", &many).await.unwrap()),
            pairs(&[("$t1", "tx1"), ("$t3", "tx3")])
        );
    })
    .await;
}

#[tokio::test]
async fn co_members_and_joined_among_count_only_joins() {
    on_every_backend(|store| async move {
        let (one, two, three) = ("!one:test", "!two:test", "!three:test");
        let mut head1 = new_room(&store, one).await;
        member(&store, one, "$a1", "@a:test", "join", &mut head1).await;
        member(&store, one, "$b1", "@b:test", "join", &mut head1).await;
        member(&store, one, "$c1", "@c:test", "invite", &mut head1).await;
        let mut head2 = another_room(&store, two, "$create2").await;
        member(&store, two, "$b2", "@b:test", "join", &mut head2).await;
        member(&store, two, "$d2", "@d:test", "join", &mut head2).await;
        member(&store, two, "$a2", "@a:test", "join", &mut head2).await;
        member(&store, two, "$a2-leave", "@a:test", "leave", &mut head2).await;
        let mut head3 = another_room(&store, three, "$create3").await;
        member(&store, three, "$e3", "@e:test", "join", &mut head3).await;

        let co = |user: &'static str| {
            let store = store.clone();
            async move { sorted(store.co_members(user).await.unwrap()) }
        };
        assert_eq!(co("@a:test").await, ["@a:test", "@b:test"]);
        assert_eq!(co("@b:test").await, ["@a:test", "@b:test", "@d:test"]);
        assert_eq!(co("@d:test").await, ["@b:test", "@d:test"]);
        assert!(co("@c:test").await.is_empty(), "invited, not joined");
        assert_eq!(co("@e:test").await, ["@e:test"]);
        assert!(co("@z:test").await.is_empty());

        let list = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let among = |rooms: Vec<String>, users: Vec<String>| {
            let store = store.clone();
            async move { sorted(store.joined_among(&rooms, &users).await.unwrap()) }
        };
        let everyone = list(&[
            "@a:test", "@b:test", "@c:test", "@d:test", "@e:test", "@z:test",
        ]);
        assert_eq!(
            among(list(&[one, three]), everyone.clone()).await,
            ["@a:test", "@b:test", "@e:test"]
        );
        assert_eq!(
            among(list(&[two]), everyone.clone()).await,
            ["@b:test", "@d:test"]
        );
        assert_eq!(
            among(list(&[one, two]), list(&["@b:test", "@c:test"])).await,
            ["@b:test"],
            "once, though joined to both"
        );
        assert!(among(vec![], everyone.clone()).await.is_empty());
        assert!(among(list(&[one, two, three]), vec![]).await.is_empty());
        assert!(among(list(&["!x:test"]), everyone.clone()).await.is_empty());

        // More rooms and users than fit in one statement.
        let mut rooms: Vec<String> = (0..900).map(|i| format!("!x{i}:test")).collect();
        rooms.insert(0, one.into());
        rooms.push(two.into());
        let mut users: Vec<String> = (0..250).map(|i| format!("@x{i}:test")).collect();
        users.insert(0, "@b:test".into());
        users.push("@d:test".into());
        users.push("@c:test".into());
        let found = store.joined_among(&rooms, &users).await.unwrap();
        assert_eq!(found.len(), 2, "no duplicates: {found:?}");
        assert_eq!(sorted(found), ["@b:test", "@d:test"]);
    })
    .await;
}

#[test]
fn event_filter_matches() {
    let filter =
        |f: EventFilter| move |kind: &str, sender: &str, url: bool| f.matches(kind, sender, url);
    let list = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();

    let any = filter(EventFilter::default());
    assert!(any("m.room.message", "@a:test", false));
    assert!(any("x", "@b:test", true));

    let types = filter(EventFilter {
        types: Some(list(&["m.room.*", "m.reaction"])),
        ..Default::default()
    });
    assert!(types("m.room.message", "@a:test", false));
    assert!(types("m.reaction", "@a:test", false));
    assert!(!types("m.reactions", "@a:test", false));
    assert!(!types("M.ROOM.MESSAGE", "@a:test", false), "case-sensitive");
    assert!(!types("M.REACTION", "@a:test", false), "case-sensitive");
    assert!(!types("m.call.invite", "@a:test", false));

    let nothing = filter(EventFilter {
        types: Some(vec![]),
        ..Default::default()
    });
    assert!(!nothing("m.room.message", "@a:test", false));

    let not_members = filter(EventFilter {
        types: Some(list(&["m.room.*"])),
        not_types: list(&["m.room.member"]),
        ..Default::default()
    });
    assert!(not_members("m.room.message", "@a:test", false));
    assert!(!not_members("m.room.member", "@a:test", false), "not wins");

    let literal = filter(EventFilter {
        types: Some(list(&["m.room_*", "m%"])),
        ..Default::default()
    });
    assert!(!literal("m.room.message", "@a:test", false));
    assert!(literal("m.room_x", "@a:test", false));
    assert!(!literal("m.room", "@a:test", false));
    assert!(literal("m%", "@a:test", false));

    let senders = filter(EventFilter {
        senders: Some(list(&["@a:test", "@*:friends"])),
        not_senders: list(&["@spam:*"]),
        ..Default::default()
    });
    assert!(senders("m.room.message", "@a:test", false));
    assert!(senders("m.room.message", "@x:friends", false));
    assert!(!senders("m.room.message", "@spam:friends", false));
    assert!(!senders("m.room.message", "@b:test", false));

    let nobody = filter(EventFilter {
        senders: Some(vec![]),
        ..Default::default()
    });
    assert!(!nobody("m.room.message", "@a:test", false));

    let not_senders = filter(EventFilter {
        not_senders: list(&["*:evil"]),
        ..Default::default()
    });
    assert!(!not_senders("m.room.message", "@x:evil", false));
    assert!(not_senders("m.room.message", "@x:evil.org", false));

    let with_url = filter(EventFilter {
        contains_url: Some(true),
        ..Default::default()
    });
    assert!(with_url("m.room.message", "@a:test", true));
    assert!(!with_url("m.room.message", "@a:test", false));
    let without_url = filter(EventFilter {
        contains_url: Some(false),
        ..Default::default()
    });
    assert!(!without_url("m.room.message", "@a:test", true));
    assert!(without_url("m.room.message", "@a:test", false));
}

#[tokio::test]
async fn event_filter_matches_what_room_events_returns() {
    on_every_backend(|store| async move {
        let room = "!r:test";
        let mut head = new_room(&store, room).await;
        let mut events = vec![("$create", "m.room.create", "@a:test", false)];
        for (id, kind, sender, url) in [
            ("$1", "m.room.message", "@a:test", true),
            ("$2", "m.room.message", "@b:test", false),
            ("$3", "m.reaction", "@b:evil", false),
            ("$4", "m.room_x", "@c:test", true),
            ("$5", "m%", "@a:test", false),
            ("$6", "M.ROOM.MESSAGE", "@b:test", false),
        ] {
            put_event(&store, room, id, kind, None, sender, &mut head, |e| {
                e.contains_url = url
            })
            .await;
            events.push((id, kind, sender, url));
        }
        let list = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let filters = [
            EventFilter::default(),
            EventFilter {
                types: Some(list(&["m.room.*"])),
                ..Default::default()
            },
            EventFilter {
                types: Some(list(&["m.room_*", "m%"])),
                ..Default::default()
            },
            EventFilter {
                types: Some(list(&["m.room.message", "m.reaction"])),
                ..Default::default()
            },
            EventFilter {
                types: Some(vec![]),
                ..Default::default()
            },
            EventFilter {
                not_types: list(&["*.message", "m.reaction"]),
                ..Default::default()
            },
            EventFilter {
                senders: Some(list(&["@b:*"])),
                not_senders: list(&["*:evil"]),
                ..Default::default()
            },
            EventFilter {
                not_senders: list(&["@a:test"]),
                contains_url: Some(true),
                ..Default::default()
            },
            EventFilter {
                contains_url: Some(false),
                types: Some(list(&["m.*"])),
                ..Default::default()
            },
        ];
        for filter in &filters {
            let stored: Vec<String> = store
                .room_events(room, 0, None, true, 100, filter)
                .await
                .unwrap()
                .into_iter()
                .map(|e| e.event_id)
                .collect();
            let matched: Vec<String> = events
                .iter()
                .filter(|(_, kind, sender, url)| filter.matches(kind, sender, *url))
                .map(|(id, ..)| id.to_string())
                .collect();
            assert_eq!(stored, matched, "{filter:?}");
        }
    })
    .await;
}
