//! Storage contract tests: every one runs on SQLite, and on PostgreSQL as well when
//! `HEARTH_TEST_POSTGRES` names a server.

use std::future::Future;

use serde_json::json;

use super::{
    test_support::{create_postgres_database, drop_postgres_database, test_postgres_url},
    *,
};

async fn on_every_backend<F, Fut>(test: F)
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
