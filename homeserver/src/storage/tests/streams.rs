//! To-device messages, device lists, presence, stream maxima and the membership and
//! position queries sync relies on.

use super::*;

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
