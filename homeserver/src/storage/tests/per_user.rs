//! Receipts, notification counts, account data and filters.

use super::*;

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
            if id == "$3" {
                // The first two leave the staging table (the periodic move may also take the
                // third): counts read both tables either way.
                store.move_staged_push_actions().await.unwrap();
            }
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
        let notified = store.notifications("@b:test", i64::MAX, 10, false).await;
        let ids: Vec<String> = notified
            .unwrap()
            .into_iter()
            .map(|n| n.event.event_id)
            .collect();
        assert_eq!(ids, ["$3", "$2", "$1"], "newest first, from both tables");
        let highlights = store.notifications("@b:test", i64::MAX, 10, true).await;
        let ids: Vec<String> = highlights
            .unwrap()
            .into_iter()
            .map(|n| n.event.event_id)
            .collect();
        assert_eq!(ids, ["$2"]);
        // Moving changes no count, and what moved is not moved again.
        store.move_staged_push_actions().await.unwrap();
        assert_eq!(store.move_staged_push_actions().await.unwrap(), 0);
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
async fn a_batch_of_receipts_says_which_changed_anything() {
    on_every_backend(|store| async move {
        let (one, two, read) = ("!one:test", "!two:test", "m.read");
        store
            .put_receipt(&receipt_of(one, read, "@a:test", "", "$e5", 5, 1))
            .await
            .unwrap();
        let batch = [
            receipt_of(one, read, "@a:test", "", "$e3", 3, 2),
            receipt_of(one, read, "@b:test", "", "$e3", 3, 3),
            receipt_of(two, read, "@a:test", "", "$f1", 1, 4),
            receipt_of(one, "m.read.private", "@a:test", "", "$e5", 5, 5),
        ];
        assert_eq!(
            store.put_receipts(&batch).await.unwrap(),
            [false, true, true, true],
            "only the one behind the stored receipt is refused"
        );
        assert_eq!(
            store
                .receipt(one, read, "@a:test")
                .await
                .unwrap()
                .unwrap()
                .event_id,
            "$e5"
        );
        let stored = store
            .receipts_between(&[one.into(), two.into()], 1, 100)
            .await
            .unwrap();
        assert_eq!(stored, batch[1..].to_vec());
        // More rows than one statement takes are split; each still counts.
        let many: Vec<_> = (0..1200)
            .map(|i| receipt_of(two, read, &format!("@u{i}:test"), "", "$f2", 2, 100 + i))
            .collect();
        let changed = store.put_receipts(&many).await.unwrap();
        assert_eq!(changed.len(), 1200);
        assert!(changed.iter().all(|c| *c));
        assert!(store.put_receipts(&[]).await.unwrap().is_empty());
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
