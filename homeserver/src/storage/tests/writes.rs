//! Full-text search, and how event writes fail and run side by side.

use super::*;

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

/// SQLite stages text before it enters the index: a redaction in between removes it, and
/// staged text enters the index on its own, without a search asking for it.
#[tokio::test]
async fn staged_search_text_is_redacted_and_indexed_without_a_search() {
    on_every_backend(|store| async move {
        let room = "!r:test";
        let mut head = new_room(&store, room).await;
        for (id, text) in [("$gone", "secret recipe"), ("$kept", "public recipe")] {
            put_event(
                &store,
                room,
                id,
                "m.room.message",
                None,
                "@a:test",
                &mut head,
                |e| e.search = Some(("content.body", text)),
            )
            .await;
        }
        put_event(
            &store,
            room,
            "$redact",
            "m.room.redaction",
            None,
            "@a:test",
            &mut head,
            |e| e.redacts = Some("$gone"),
        )
        .await;
        if store.backend() == Backend::Sqlite {
            // No search has run: the text enters the index within moments all the same.
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            loop {
                let staged: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM event_search_staging")
                    .fetch_one(&store.read)
                    .await
                    .unwrap();
                if staged == 0 {
                    break;
                }
                assert!(std::time::Instant::now() < deadline, "text stays staged");
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
            let indexed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM event_search")
                .fetch_one(&store.read)
                .await
                .unwrap();
            assert_eq!(indexed, 1, "only the unredacted text is indexed");
        }
        let query = SearchQuery {
            term: "recipe".into(),
            rooms: vec![room.into()],
            limit: 10,
            ..Default::default()
        };
        let (found, count) = store.search_events(&query).await.unwrap();
        let ids: Vec<_> = found.into_iter().map(|(e, _)| e.event_id).collect();
        assert_eq!((ids, count), (vec!["$kept".to_owned()], 1));
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
