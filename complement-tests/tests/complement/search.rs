//! `POST /search` over room events.

use complement_tests::{Client, Deployment, json};

async fn search(client: &Client, criteria: serde_json::Value) -> complement_tests::RawResponse {
    client
        .post(
            "/_matrix/client/v3/search",
            json!({ "search_categories": { "room_events": criteria } }),
        )
        .await
}

fn bodies(response: &complement_tests::RawResponse) -> Vec<String> {
    let results = &response.json["search_categories"]["room_events"]["results"];
    // An empty result list may be left out.
    assert!(
        results.is_array() || (results.is_null() && response.status == 200),
        "{response:?}"
    );
    results
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|r| {
            r["result"]["content"]["body"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn finds_messages_in_joined_rooms_only() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let bob = hs.register("bob").await;
    let shared = alice
        .create_room(json!({ "preset": "public_chat", "name": "Dumpling club" }))
        .await;
    bob.join(&shared).await.must_ok();
    let private = alice.create_room(json!({})).await;
    alice.send_text(&shared, "I love dumplings").await;
    alice.send_text(&shared, "我爱吃饺子").await;
    bob.send_text(&shared, "Dumplings are great, DUMPLINGS!")
        .await;
    alice.send_text(&private, "secret dumplings recipe").await;
    alice.send_text(&shared, "nothing to see").await;

    let found = search(&bob, json!({ "search_term": "dumplings" })).await;
    let mut got = bodies(&found);
    got.sort();
    assert_eq!(
        got,
        vec!["Dumplings are great, DUMPLINGS!", "I love dumplings"],
        "bob cannot see the private room"
    );
    assert_eq!(found.json["search_categories"]["room_events"]["count"], 2);
    assert!(
        found.json["search_categories"]["room_events"]["highlights"]
            .as_array()
            .unwrap()
            .contains(&json!("dumplings"))
    );
    assert_eq!(
        bodies(&search(&bob, json!({ "search_term": "饺子" })).await),
        vec!["我爱吃饺子"]
    );
    assert_eq!(
        bodies(&search(&alice, json!({ "search_term": "secret recipe" })).await),
        vec!["secret dumplings recipe"]
    );
    assert!(bodies(&search(&alice, json!({ "search_term": "pizza" })).await).is_empty());

    // Every kind with a body is searchable: stickers and polls too.
    let sticker = format!("/_matrix/client/v3/rooms/{shared}/send/m.sticker/s1");
    alice
        .put(
            &sticker,
            json!({ "body": "waving otter", "url": "mxc://hs1/otter", "info": {} }),
        )
        .await
        .must_ok();
    let poll = format!("/_matrix/client/v3/rooms/{shared}/send/m.poll.start/p1");
    let question = json!({ "m.poll": { "question": { "m.text": [{ "body": "Which dumpling filling?" }] }, "answers": [] } });
    alice.put(&poll, question).await.must_ok();
    let kinds = search(&bob, json!({ "search_term": "otter" })).await;
    assert_eq!(
        kinds.must_ok()["search_categories"]["room_events"]["results"][0]["result"]["type"],
        "m.sticker"
    );
    let polls = search(&bob, json!({ "search_term": "filling" })).await;
    assert_eq!(
        polls.must_ok()["search_categories"]["room_events"]["results"][0]["result"]["type"],
        "m.poll.start"
    );

    let by_sender = search(
        &alice,
        json!({ "search_term": "dumplings", "filter": { "senders": ["@bob:hs1"] } }),
    )
    .await;
    assert_eq!(bodies(&by_sender), vec!["Dumplings are great, DUMPLINGS!"]);
    let in_room = search(
        &alice,
        json!({ "search_term": "dumplings", "filter": { "rooms": [private] } }),
    )
    .await;
    assert_eq!(bodies(&in_room), vec!["secret dumplings recipe"]);
    let names = search(
        &alice,
        json!({ "search_term": "club", "keys": ["content.name"] }),
    )
    .await;
    assert_eq!(
        names.must_ok()["search_categories"]["room_events"]["results"][0]["result"]["type"],
        "m.room.name"
    );
    let recent = search(
        &alice,
        json!({ "search_term": "dumplings", "order_by": "recent" }),
    )
    .await;
    assert_eq!(bodies(&recent)[0], "secret dumplings recipe");
    let future = search(&alice, json!({ "search_term": "dumplings", "filter": { "org.hearth.from_ts": 4_000_000_000_000_i64 } })).await;
    assert!(bodies(&future).is_empty());
    hs.client()
        .post("/_matrix/client/v3/search", json!({}))
        .await
        .must_error(401, "M_MISSING_TOKEN");
    alice
        .post("/_matrix/client/v3/search", json!({}))
        .await
        .must_error(400, "M_MISSING_PARAM");
}

#[tokio::test]
async fn context_groups_paging_and_redaction() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    alice
        .put(
            "/_matrix/client/v3/profile/@alice:hs1/displayname",
            json!({ "displayname": "Alice" }),
        )
        .await
        .must_ok();
    let room = alice.create_room(json!({})).await;
    alice.send_text(&room, "before").await;
    let hit = alice.send_text(&room, "needle one").await;
    alice.send_text(&room, "after").await;
    for i in 0..4 {
        alice.send_text(&room, &format!("needle {i}")).await;
    }
    let found = search(
        &alice,
        json!({
            "search_term": "needle one",
            "event_context": { "before_limit": 1, "after_limit": 1, "include_profile": true },
            "groupings": { "group_by": [{ "key": "room_id" }] },
            "include_state": true,
        }),
    )
    .await;
    let section = &found.must_ok()["search_categories"]["room_events"];
    let result = &section["results"][0];
    assert_eq!(result["result"]["event_id"], hit.as_str());
    assert_eq!(
        result["context"]["events_before"][0]["content"]["body"],
        "before"
    );
    assert_eq!(
        result["context"]["events_after"][0]["content"]["body"],
        "after"
    );
    assert_eq!(
        result["context"]["profile_info"]["@alice:hs1"]["displayname"],
        "Alice"
    );
    assert_eq!(
        section["groups"]["room_id"][&room]["results"][0],
        hit.as_str()
    );
    assert!(section["state"][&room].as_array().unwrap().len() > 3);

    let page1 = search(
        &alice,
        json!({ "search_term": "needle", "filter": { "limit": 3 } }),
    )
    .await;
    assert_eq!(bodies(&page1).len(), 3);
    let next = page1.json["search_categories"]["room_events"]["next_batch"]
        .as_str()
        .unwrap()
        .to_owned();
    let page2 = alice
        .post(&format!("/_matrix/client/v3/search?next_batch={next}"), json!({ "search_categories": { "room_events": { "search_term": "needle", "filter": { "limit": 3 } } } }))
        .await;
    assert_eq!(bodies(&page2).len(), 2);

    let path = format!("/_matrix/client/v3/rooms/{room}/redact/{hit}/r1");
    alice.put(&path, json!({})).await.must_ok();
    let after = search(&alice, json!({ "search_term": "one" })).await;
    assert!(bodies(&after).is_empty(), "redacted events leave the index");
}
