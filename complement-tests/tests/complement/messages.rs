//! `GET /rooms/{roomId}/messages`: pagination in both directions and filters.

use complement_tests::{Deployment, json};

fn bodies(response: &complement_tests::RawResponse) -> Vec<String> {
    response.json["chunk"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["content"]["body"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn paginate_backwards_and_forwards() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let room = alice.create_room(json!({})).await;
    for i in 0..25 {
        alice.send_text(&room, &format!("m{i}")).await;
    }
    let filter = r#"{"types":["m.room.message"]}"#;
    let page1 = alice
        .room_get(&room, &format!("messages?dir=b&limit=10&filter={filter}"))
        .await;
    page1.must_ok();
    assert_eq!(
        bodies(&page1),
        (15..25).rev().map(|i| format!("m{i}")).collect::<Vec<_>>()
    );
    let end = page1.json["end"].as_str().unwrap();
    let page2 = alice
        .room_get(
            &room,
            &format!("messages?dir=b&limit=10&from={end}&filter={filter}"),
        )
        .await;
    assert_eq!(
        bodies(&page2),
        (5..15).rev().map(|i| format!("m{i}")).collect::<Vec<_>>()
    );
    let end = page2.json["end"].as_str().unwrap();
    let page3 = alice
        .room_get(
            &room,
            &format!("messages?dir=b&limit=10&from={end}&filter={filter}"),
        )
        .await;
    assert_eq!(
        bodies(&page3),
        (0..5).rev().map(|i| format!("m{i}")).collect::<Vec<_>>()
    );
    assert!(
        page3.json.get("end").is_none(),
        "no more history: {:?}",
        page3.json
    );

    let forward = alice
        .room_get(&room, &format!("messages?dir=f&limit=5&filter={filter}"))
        .await;
    assert_eq!(
        bodies(&forward),
        (0..5).map(|i| format!("m{i}")).collect::<Vec<_>>()
    );
    let end = forward.json["end"].as_str().unwrap();
    let next = alice
        .room_get(
            &room,
            &format!("messages?dir=f&limit=5&from={end}&filter={filter}"),
        )
        .await;
    assert_eq!(
        bodies(&next),
        (5..10).map(|i| format!("m{i}")).collect::<Vec<_>>()
    );
    alice
        .room_get(&room, "messages?dir=b&from=garbage")
        .await
        .must_error(400, "M_INVALID_PARAM");
    alice
        .room_get(&room, "messages?dir=sideways")
        .await
        .must_status(400);
}

#[tokio::test]
async fn filters_select_types_senders_and_urls() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let bob = hs.register("bob").await;
    let room = alice.create_room(json!({ "preset": "public_chat" })).await;
    bob.join(&room).await.must_ok();
    alice.send_text(&room, "from alice").await;
    bob.send_text(&room, "from bob").await;
    let image = format!("/_matrix/client/v3/rooms/{room}/send/m.room.message/img");
    bob.put(
        &image,
        json!({ "msgtype": "m.image", "body": "pic", "url": "mxc://hs1/pic" }),
    )
    .await
    .must_ok();

    let get = |filter: serde_json::Value| {
        let alice = alice.clone();
        let room = room.clone();
        async move {
            alice
                .room_get(&room, &format!("messages?dir=b&filter={filter}"))
                .await
        }
    };
    let only_alice = get(json!({ "types": ["m.room.message"], "senders": ["@alice:hs1"] })).await;
    assert_eq!(bodies(&only_alice), vec!["from alice"]);
    let not_alice =
        get(json!({ "types": ["m.room.message"], "not_senders": ["@alice:hs1"] })).await;
    assert_eq!(bodies(&not_alice), vec!["pic", "from bob"]);
    let with_url = get(json!({ "contains_url": true })).await;
    assert_eq!(bodies(&with_url), vec!["pic"]);
    let no_messages = get(json!({ "not_types": ["m.room.message"] })).await;
    assert!(
        no_messages.must_ok()["chunk"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["type"] != "m.room.message")
    );
    // `*` is the spec's wildcard.
    let room_types = get(json!({ "types": ["m.room.mess*"], "senders": ["@bob:hs1"] })).await;
    assert_eq!(bodies(&room_types), vec!["pic", "from bob"]);
    // Members as they were when they spoke: bob renames himself after his messages.
    bob.put(
        "/_matrix/client/v3/profile/@bob:hs1/displayname",
        json!({ "displayname": "Robert" }),
    )
    .await
    .must_ok();
    let member = json!({ "membership": "join", "displayname": "Robert" });
    bob.put_state(&room, "m.room.member", "@bob:hs1", member)
        .await
        .must_ok();
    let lazy = get(json!({ "types": ["m.room.message"], "lazy_load_members": true })).await;
    let members: Vec<_> = lazy.must_ok()["state"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["state_key"].clone())
        .collect();
    assert_eq!(members.len(), 2, "{members:?}");
    let bobs = lazy.json["state"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["state_key"] == "@bob:hs1")
        .unwrap();
    assert!(
        bobs["content"].get("displayname").is_none(),
        "bob's member event at his messages: {bobs}"
    );
}

#[tokio::test]
async fn state_events_carry_the_content_they_replaced() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let room = alice.create_room(json!({ "name": "First" })).await;
    alice
        .put_state(&room, "m.room.name", "", json!({ "name": "Second" }))
        .await
        .must_ok();
    let first_id = {
        let page = alice.room_get(&room, "messages?dir=b&limit=20").await;
        let chunk = page.must_ok()["chunk"].as_array().unwrap().clone();
        let names: Vec<_> = chunk
            .iter()
            .filter(|e| e["type"] == "m.room.name")
            .collect();
        assert_eq!(names.len(), 2);
        let (newest, oldest) = (names[0], names[1]);
        assert_eq!(
            newest["unsigned"]["prev_content"],
            json!({ "name": "First" })
        );
        assert_eq!(newest["unsigned"]["prev_sender"], "@alice:hs1");
        assert_eq!(newest["unsigned"]["replaces_state"], oldest["event_id"]);
        // The room's first name replaced nothing.
        assert!(oldest["unsigned"].get("prev_content").is_none());
        oldest["event_id"].as_str().unwrap().to_owned()
    };
    // Also on /sync, /event and /state reads of the event.
    let sync = alice.sync(None, "").await;
    let timeline = complement_tests::sync_timeline(sync.must_ok(), &room);
    let newest = timeline
        .iter()
        .rev()
        .find(|e| e["type"] == "m.room.name")
        .unwrap();
    assert_eq!(newest["unsigned"]["replaces_state"], first_id.as_str());
    let id = newest["event_id"].as_str().unwrap();
    let single = alice.room_get(&room, &format!("event/{id}")).await;
    assert_eq!(
        single.must_ok()["unsigned"]["prev_content"]["name"],
        "First"
    );
    // A leave names what the member was before.
    let bob = hs.register("bob").await;
    alice
        .put_state(
            &room,
            "m.room.join_rules",
            "",
            json!({ "join_rule": "public" }),
        )
        .await
        .must_ok();
    bob.join(&room).await.must_ok();
    bob.room_post(&room, "leave", json!({})).await.must_ok();
    let page = alice.room_get(&room, "messages?dir=b&limit=1").await;
    let leave = &page.must_ok()["chunk"][0];
    assert_eq!(leave["content"]["membership"], "leave");
    assert_eq!(leave["unsigned"]["prev_content"]["membership"], "join");
}

/// `unsigned.age` is the event's age when it is served, also when the server serves the
/// event from memory: read twice a second apart, on each path, it grew by that second.
#[tokio::test]
async fn age_is_counted_at_each_read() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let bob = hs.register("bob").await;
    let room = alice.create_room(json!({ "preset": "public_chat" })).await;
    bob.join(&room).await.must_ok();
    let since = bob.sync(None, "").await.must_ok()["next_batch"]
        .as_str()
        .unwrap()
        .to_owned();
    let event_id = alice.send_text(&room, "how old am I").await;
    let ages = || async {
        let single = alice.room_get(&room, &format!("event/{event_id}")).await;
        let page = alice.room_get(&room, "messages?dir=b&limit=1").await;
        let synced = bob.sync(Some(&since), "timeout=0").await;
        let from_sync = synced.must_ok()["rooms"]["join"][room.as_str()]["timeline"]["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["event_id"] == event_id.as_str())
            .expect("the message in bob's sync")["unsigned"]["age"]
            .as_i64()
            .unwrap();
        [
            single.must_ok()["unsigned"]["age"].as_i64().unwrap(),
            page.must_ok()["chunk"][0]["unsigned"]["age"]
                .as_i64()
                .unwrap(),
            from_sync,
        ]
    };
    let first = ages().await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let second = ages().await;
    for (before, after) in first.iter().zip(second) {
        assert!(after >= before + 1000, "{first:?} then {second:?}");
    }
}

/// Every event a read path returns: a page's `chunk`, a context's events, or the one event.
fn events_in(body: &complement_tests::Value) -> Vec<complement_tests::Value> {
    if let Some(chunk) = body["chunk"].as_array() {
        return chunk.clone();
    }
    if body.get("event").is_some() {
        let mut events = body["events_before"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        events.push(body["event"].clone());
        events.extend(body["events_after"].as_array().cloned().unwrap_or_default());
        return events;
    }
    vec![body.clone()]
}

#[tokio::test]
async fn read_paths_give_the_transaction_id_to_the_sending_device_only() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let room = alice.create_room(json!({ "preset": "public_chat" })).await;
    let send = |txn: &'static str, content: complement_tests::Value| {
        let path = format!("/_matrix/client/v3/rooms/{room}/send/m.room.message/{txn}");
        let alice = alice.clone();
        async move { alice.put(&path, content).await.must_ok()["event_id"].clone() }
    };
    let root = send("root-txn", json!({ "msgtype": "m.text", "body": "root" })).await;
    let reply = send(
        "reply-txn",
        json!({ "msgtype": "m.text", "body": "reply",
                "m.relates_to": { "rel_type": "m.thread", "event_id": root } }),
    )
    .await;
    let laptop = hs.client().login("alice", complement_tests::PASSWORD).await;
    let bob = hs.register("bob").await;
    bob.join(&room).await.must_ok();
    let root_id = root.as_str().unwrap();
    let reads = [
        format!("/_matrix/client/v3/rooms/{room}/messages?dir=b&limit=10"),
        format!("/_matrix/client/v3/rooms/{room}/event/{root_id}"),
        format!("/_matrix/client/v3/rooms/{room}/context/{root_id}"),
        format!("/_matrix/client/v1/rooms/{room}/relations/{root_id}"),
        format!("/_matrix/client/v1/rooms/{room}/threads"),
    ];
    for (reader, sent_here) in [(&alice, true), (&laptop, false), (&bob, false)] {
        let search = json!({ "search_categories": { "room_events": { "search_term": "root" } } });
        let found = reader.post("/_matrix/client/v3/search", search).await;
        let found: Vec<_> = found.must_ok()["search_categories"]["room_events"]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["result"].clone())
            .collect();
        for read in reads.iter().map(Some).chain([None]) {
            let body = match read {
                Some(read) => reader.get(read).await.must_ok().clone(),
                None => json!({ "chunk": found }),
            };
            let read = read.map_or("/search", String::as_str);
            let events = events_in(&body);
            for (id, txn) in [(&root, "root-txn"), (&reply, "reply-txn")] {
                let Some(event) = events.iter().find(|e| e["event_id"] == *id) else {
                    continue;
                };
                let expected = if sent_here { json!(txn) } else { json!(null) };
                assert_eq!(
                    event["unsigned"]["transaction_id"], expected,
                    "{read} as {:?} (sending device: {sent_here}): {event:#}",
                    reader.device_id
                );
            }
            assert!(
                events
                    .iter()
                    .any(|e| e["event_id"] == root || e["event_id"] == reply),
                "{read} returned one of the two events: {body:#}"
            );
        }
    }
}
