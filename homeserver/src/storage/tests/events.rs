//! Events, state groups, timelines, rooms, memberships and aliases.

use super::*;

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
