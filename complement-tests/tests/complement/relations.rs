//! Relations and bundled aggregations, threads, `/context`, `/timestamp_to_event`, reports.

use complement_tests::{Client, Deployment, json};

async fn send(client: &Client, room: &str, kind: &str, content: serde_json::Value) -> String {
    let txn = format!("t{}", rand_id());
    let path = format!("/_matrix/client/v3/rooms/{room}/send/{kind}/{txn}");
    client.put(&path, content).await.must_ok()["event_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn rand_id() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

#[tokio::test]
async fn edits_threads_and_references_are_bundled() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let bob = hs.register("bob").await;
    let room = alice.create_room(json!({ "preset": "public_chat" })).await;
    bob.join(&room).await.must_ok();
    let root = alice.send_text(&room, "original").await;
    let edit = |body: &str, root: &str| json!({ "msgtype": "m.text", "body": format!("* {body}"), "m.new_content": { "msgtype": "m.text", "body": body }, "m.relates_to": { "rel_type": "m.replace", "event_id": root } });
    send(&alice, &room, "m.room.message", edit("first edit", &root)).await;
    let latest_edit = send(&alice, &room, "m.room.message", edit("second edit", &root)).await;
    // An "edit" by someone else is not an edit.
    send(&bob, &room, "m.room.message", edit("bob's fake", &root)).await;
    let thread = |body: &str| json!({ "msgtype": "m.text", "body": body, "m.relates_to": { "rel_type": "m.thread", "event_id": root } });
    send(&bob, &room, "m.room.message", thread("reply 1")).await;
    let last_reply = send(&bob, &room, "m.room.message", thread("reply 2")).await;
    let reference = send(&bob, &room, "m.room.message", json!({ "msgtype": "m.text", "body": "see", "m.relates_to": { "rel_type": "m.reference", "event_id": root } })).await;
    let reaction = send(
        &bob,
        &room,
        "m.reaction",
        json!({ "m.relates_to": { "rel_type": "m.annotation", "event_id": root, "key": "👍" } }),
    )
    .await;

    let event = alice.room_get(&room, &format!("event/{root}")).await;
    let relations = &event.must_ok()["unsigned"]["m.relations"];
    assert_eq!(relations["m.replace"]["event_id"], latest_edit.as_str());
    assert_eq!(relations["m.thread"]["count"], 2);
    assert_eq!(
        relations["m.thread"]["latest_event"]["event_id"],
        last_reply.as_str()
    );
    assert_eq!(
        relations["m.thread"]["current_user_participated"], true,
        "alice started it"
    );
    assert_eq!(
        relations["m.reference"]["chunk"],
        json!([{ "event_id": reference }])
    );
    // The same bundle comes through /messages.
    let page = alice.room_get(&room, "messages?dir=b&limit=50").await;
    let from_page = page.must_ok()["chunk"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event_id"] == root.as_str())
        .unwrap()
        .clone();
    assert_eq!(from_page["unsigned"]["m.relations"]["m.thread"]["count"], 2);

    let all = alice
        .get(&format!("/_matrix/client/v1/rooms/{room}/relations/{root}"))
        .await;
    assert_eq!(all.must_ok()["chunk"].as_array().unwrap().len(), 7);
    let reactions = alice
        .get(&format!(
            "/_matrix/client/v1/rooms/{room}/relations/{root}/m.annotation/m.reaction"
        ))
        .await;
    assert_eq!(
        reactions.must_ok()["chunk"][0]["event_id"],
        reaction.as_str()
    );
    let threads_only = alice
        .get(&format!(
            "/_matrix/client/v1/rooms/{room}/relations/{root}/m.thread?limit=1"
        ))
        .await;
    assert_eq!(
        threads_only.must_ok()["chunk"][0]["event_id"],
        last_reply.as_str(),
        "newest first"
    );
    let next = threads_only.json["next_batch"].as_str().unwrap().to_owned();
    let second = alice
        .get(&format!(
            "/_matrix/client/v1/rooms/{room}/relations/{root}/m.thread?limit=1&from={next}"
        ))
        .await;
    assert_eq!(second.must_ok()["chunk"].as_array().unwrap().len(), 1);
    assert!(second.json.get("next_batch").is_none());

    let threads = bob
        .get(&format!("/_matrix/client/v1/rooms/{room}/threads"))
        .await;
    assert_eq!(threads.must_ok()["chunk"][0]["event_id"], root.as_str());
    let mine = alice
        .get(&format!(
            "/_matrix/client/v1/rooms/{room}/threads?include=participated"
        ))
        .await;
    assert_eq!(mine.must_ok()["chunk"].as_array().unwrap().len(), 1);
    let eve = hs.register("eve").await;
    let private = alice.create_room(json!({})).await;
    let secret = alice.send_text(&private, "secret").await;
    eve.get(&format!(
        "/_matrix/client/v1/rooms/{private}/relations/{secret}"
    ))
    .await
    .must_status(404);
    eve.get(&format!("/_matrix/client/v1/rooms/{private}/threads"))
        .await
        .must_error(403, "M_FORBIDDEN");
}

#[tokio::test]
async fn recursive_relations_follow_children() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let room = alice.create_room(json!({})).await;
    let root = alice.send_text(&room, "root").await;
    let reply = send(&alice, &room, "m.room.message", json!({ "msgtype": "m.text", "body": "in thread", "m.relates_to": { "rel_type": "m.thread", "event_id": root } })).await;
    send(
        &alice,
        &room,
        "m.reaction",
        json!({ "m.relates_to": { "rel_type": "m.annotation", "event_id": reply, "key": "🎉" } }),
    )
    .await;
    let flat = alice
        .get(&format!("/_matrix/client/v1/rooms/{room}/relations/{root}"))
        .await;
    assert_eq!(flat.must_ok()["chunk"].as_array().unwrap().len(), 1);
    let deep = alice
        .get(&format!(
            "/_matrix/client/v1/rooms/{room}/relations/{root}?recurse=true"
        ))
        .await;
    assert_eq!(deep.must_ok()["chunk"].as_array().unwrap().len(), 2);
    assert_eq!(deep.json["recursion_depth"], 2);
}

#[tokio::test]
async fn context_and_timestamps() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let room = alice.create_room(json!({ "name": "Ctx" })).await;
    let mut ids = Vec::new();
    for i in 0..9 {
        ids.push(alice.send_text(&room, &format!("c{i}")).await);
    }
    let ctx = alice
        .room_get(
            &room,
            &format!(
                "context/{}?limit=4&filter={{\"types\":[\"m.room.message\"]}}",
                ids[4]
            ),
        )
        .await;
    let body = ctx.must_ok();
    assert_eq!(body["event"]["content"]["body"], "c4");
    let before: Vec<_> = body["events_before"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["content"]["body"].clone())
        .collect();
    let after: Vec<_> = body["events_after"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["content"]["body"].clone())
        .collect();
    assert_eq!(before, vec![json!("c3"), json!("c2")]);
    assert_eq!(after, vec![json!("c5"), json!("c6")]);
    assert!(
        body["state"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["type"] == "m.room.name")
    );
    // The tokens continue the timeline from either side.
    let end = body["end"].as_str().unwrap();
    let next = alice
        .room_get(&room, &format!("messages?dir=f&from={end}&limit=1"))
        .await;
    assert_eq!(next.must_ok()["chunk"][0]["content"]["body"], "c7");
    alice
        .room_get(&room, "context/$missing")
        .await
        .must_error(404, "M_NOT_FOUND");

    let event = alice.room_get(&room, &format!("event/{}", ids[6])).await;
    let ts = event.must_ok()["origin_server_ts"].as_u64().unwrap();
    let found = alice
        .get(&format!(
            "/_matrix/client/v1/rooms/{room}/timestamp_to_event?ts={ts}&dir=b"
        ))
        .await;
    assert_eq!(found.must_ok()["origin_server_ts"], ts);
    let future = alice
        .get(&format!(
            "/_matrix/client/v1/rooms/{room}/timestamp_to_event?ts={}&dir=f",
            ts + 10_000_000
        ))
        .await;
    future.must_error(404, "M_NOT_FOUND");
    alice
        .get(&format!(
            "/_matrix/client/v1/rooms/{room}/timestamp_to_event?ts=1"
        ))
        .await
        .must_status(400);
}

#[tokio::test]
async fn reports_are_accepted_for_visible_content() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let bob = hs.register("bob").await;
    let room = alice.create_room(json!({ "preset": "public_chat" })).await;
    bob.join(&room).await.must_ok();
    let spam = alice.send_text(&room, "spam").await;
    bob.room_post(
        &room,
        &format!("report/{spam}"),
        json!({ "reason": "spam" }),
    )
    .await
    .must_ok();
    bob.room_post(&room, "report", json!({ "reason": "bad room" }))
        .await
        .must_ok();
    bob.room_post(&room, "report/$missing", json!({ "reason": "?" }))
        .await
        .must_error(404, "M_NOT_FOUND");
    hs.client()
        .room_post(&room, "report", json!({ "reason": "x" }))
        .await
        .must_error(401, "M_MISSING_TOKEN");
}
