//! Push rules, unread counts in sync, `GET /notifications` and do-not-disturb.

use complement_tests::{Client, Deployment, Homeserver, Value, json};

fn counts(sync: &Value, room: &str) -> Option<(u64, u64)> {
    let unread = &sync["rooms"]["join"][room]["unread_notifications"];
    Some((
        unread["notification_count"].as_u64()?,
        unread["highlight_count"].as_u64()?,
    ))
}

async fn send(client: &Client, room: &str, content: Value) -> String {
    let txn = format!("p{}", rand_txn());
    let response = client
        .put(
            &format!("/_matrix/client/v3/rooms/{room}/send/m.room.message/{txn}"),
            content,
        )
        .await;
    response.must_ok()["event_id"].as_str().unwrap().to_owned()
}

/// Alice's public room with Bob and Carol in it: three members make it a group, where
/// plain messages notify (default underride).
async fn group_room(hs: &Homeserver) -> (Client, Client, String) {
    let alice = hs.register("alice").await;
    let bob = hs.register("bob").await;
    let room = alice.create_room(json!({ "preset": "public_chat" })).await;
    bob.join(&room).await.must_ok();
    hs.register("carol").await.join(&room).await.must_ok();
    (alice, bob, room)
}

fn rand_txn() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

#[tokio::test]
async fn thread_replies_count_per_thread_when_the_filter_asks() {
    let hs = Deployment::one().await;
    let (alice, bob, room) = group_room(&hs).await;
    let root = send(&bob, &room, json!({ "msgtype": "m.text", "body": "root" })).await;
    for body in ["in thread 1", "in thread 2"] {
        send(
            &bob,
            &room,
            json!({
                "msgtype": "m.text",
                "body": body,
                "m.relates_to": { "rel_type": "m.thread", "event_id": root },
            }),
        )
        .await;
    }
    send(&bob, &room, json!({ "msgtype": "m.text", "body": "main" })).await;
    let mut since = None;
    alice
        .must_sync_until(&mut since, "the main message", |s| {
            counts(s, &room).filter(|c| *c == (4, 0))
        })
        .await;

    // Asked for per-thread counts: the thread's two replies count under its root, the root
    // and the main-timeline message in the room's count.
    let filter = r#"{"room":{"timeline":{"unread_thread_notifications":true}}}"#;
    let threaded = alice.sync(None, &format!("filter={filter}")).await;
    let body = threaded.must_ok();
    assert_eq!(counts(body, &room), Some((2, 0)), "{body}");
    let thread = &body["rooms"]["join"][room.as_str()]["unread_thread_notifications"][&root];
    assert_eq!(thread["notification_count"], 2, "{body}");
    assert_eq!(thread["highlight_count"], 0, "{body}");

    // Not asked: one count for the room, and no per-thread section.
    let plain = alice.sync(None, "").await;
    let body = plain.must_ok();
    assert_eq!(counts(body, &room), Some((4, 0)));
    assert!(
        body["rooms"]["join"][room.as_str()]["unread_thread_notifications"]
            .as_object()
            .is_none_or(|o| o.is_empty()),
        "{body}"
    );
}

#[tokio::test]
async fn unread_counts_follow_messages_mentions_and_receipts() {
    let hs = Deployment::one().await;
    let (alice, bob, room) = group_room(&hs).await;
    let mut since = bob.sync(None, "").await.must_ok()["next_batch"]
        .as_str()
        .map(str::to_owned);
    send(
        &alice,
        &room,
        json!({ "msgtype": "m.text", "body": "hi all" }),
    )
    .await;
    let last = send(
        &alice,
        &room,
        json!({ "msgtype": "m.text", "body": "bob, look", "m.mentions": { "user_ids": [bob.user_id()] } }),
    )
    .await;
    bob.must_sync_until(&mut since, "two notifications, one highlight", |s| {
        counts(s, &room).filter(|c| *c == (2, 1))
    })
    .await;
    // Own messages never count.
    send(&bob, &room, json!({ "msgtype": "m.text", "body": "mine" })).await;
    let own = bob.sync(None, "").await;
    assert_eq!(counts(own.must_ok(), &room), Some((2, 1)));

    let listed = bob.get("/_matrix/client/v3/notifications").await;
    let list = listed.must_ok()["notifications"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["event"]["event_id"], last.as_str());
    assert_eq!(list[0]["room_id"], room.as_str());
    assert_eq!(list[0]["read"], false);
    let highlights = bob
        .get("/_matrix/client/v3/notifications?only=highlight")
        .await;
    assert_eq!(
        highlights.must_ok()["notifications"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    bob.room_post(&room, &format!("receipt/m.read/{last}"), json!({}))
        .await
        .must_ok();
    bob.must_sync_until(&mut since, "counts cleared by the receipt", |s| {
        counts(s, &room).filter(|c| *c == (0, 0))
    })
    .await;
    let listed = bob.get("/_matrix/client/v3/notifications").await;
    assert_eq!(listed.must_ok()["notifications"][0]["read"], true);
    // Counting goes on from the new read position, message by message.
    for (body, expected) in [("one more", (1, 0)), ("and another", (2, 0))] {
        send(&alice, &room, json!({ "msgtype": "m.text", "body": body })).await;
        bob.must_sync_until(&mut since, body, |s| {
            counts(s, &room).filter(|c| *c == expected)
        })
        .await;
    }
    let fresh = bob.sync(None, "").await;
    assert_eq!(counts(fresh.must_ok(), &room), Some((2, 0)));
}

#[tokio::test]
async fn do_not_disturb_mutes_a_room_or_everything_and_keywords_still_ring() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let bob = hs.register("bob").await;
    let room = alice.create_room(json!({ "preset": "public_chat" })).await;
    let other = alice.create_room(json!({ "preset": "public_chat" })).await;
    for r in [&room, &other] {
        bob.join(r).await.must_ok();
        hs.register(&format!("c{}", rand_txn()))
            .await
            .join(r)
            .await
            .must_ok();
    }
    let rules = "/_matrix/client/v3/pushrules/global";
    // Mute one room: a room rule with no actions.
    bob.put(&format!("{rules}/room/{room}"), json!({ "actions": [] }))
        .await
        .must_ok();
    let got = bob.get(&format!("{rules}/room/{room}")).await;
    assert_eq!(got.must_ok()["actions"], json!([]));
    // A keyword that still notifies everywhere, with a highlight.
    bob.put(
        &format!("{rules}/content/pizza"),
        json!({ "pattern": "pizza", "actions": ["notify", { "set_tweak": "highlight" }] }),
    )
    .await
    .must_ok();
    send(
        &alice,
        &room,
        json!({ "msgtype": "m.text", "body": "quiet chatter" }),
    )
    .await;
    send(
        &alice,
        &other,
        json!({ "msgtype": "m.text", "body": "loud chatter" }),
    )
    .await;
    let response = bob.sync(None, "").await;
    let body = response.must_ok();
    assert_eq!(
        counts(body, &room),
        Some((0, 0)),
        "the muted room stays silent"
    );
    assert_eq!(counts(body, &other), Some((1, 0)));
    // Rules reach the client in account data too.
    let pushed = body["account_data"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "m.push_rules")
        .cloned()
        .unwrap();
    assert!(
        pushed["content"]["global"]["room"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["rule_id"] == room.as_str())
    );

    // Mute everything: the master rule.
    bob.put(
        &format!("{rules}/override/.m.rule.master/enabled"),
        json!({ "enabled": true }),
    )
    .await
    .must_ok();
    let enabled = bob
        .get(&format!("{rules}/override/.m.rule.master/enabled"))
        .await;
    assert_eq!(enabled.must_ok()["enabled"], true);
    send(
        &alice,
        &other,
        json!({ "msgtype": "m.text", "body": "pizza time" }),
    )
    .await;
    let response = bob.sync(None, "").await;
    assert_eq!(
        counts(response.must_ok(), &other),
        Some((1, 0)),
        "nothing new counted"
    );
    // Back on: the keyword rings (and highlights) even in the muted room? No: the room
    // rule comes first for room rules, but content rules are checked before room rules.
    bob.put(
        &format!("{rules}/override/.m.rule.master/enabled"),
        json!({ "enabled": false }),
    )
    .await
    .must_ok();
    send(
        &alice,
        &room,
        json!({ "msgtype": "m.text", "body": "more pizza" }),
    )
    .await;
    let response = bob.sync(None, "").await;
    assert_eq!(
        counts(response.must_ok(), &room),
        Some((1, 1)),
        "content rules outrank room rules"
    );
    // Actions can be changed; deleting the room rule unmutes.
    bob.put(
        &format!("{rules}/content/pizza/actions"),
        json!({ "actions": [] }),
    )
    .await
    .must_ok();
    let actions = bob.get(&format!("{rules}/content/pizza/actions")).await;
    assert_eq!(actions.must_ok()["actions"], json!([]));
    bob.raw("DELETE", &format!("{rules}/room/{room}"), None)
        .await
        .must_ok();
    bob.get(&format!("{rules}/room/{room}"))
        .await
        .must_error(404, "M_NOT_FOUND");
}

#[tokio::test]
async fn push_rule_bad_inputs_change_nothing() {
    let hs = Deployment::one().await;
    let bob = hs.register("bob").await;
    let all = bob.get("/_matrix/client/v3/pushrules/").await;
    let before = all.must_ok().clone();
    assert!(
        before["global"]["override"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["rule_id"] == ".m.rule.master")
    );
    let rules = "/_matrix/client/v3/pushrules/global";
    bob.put(&format!("{rules}/room/.m.custom"), json!({ "actions": [] }))
        .await
        .must_error(400, "M_INVALID_PARAM");
    bob.put(
        &format!("{rules}/override/mine?before=nonexistent"),
        json!({ "actions": [], "conditions": [] }),
    )
    .await
    .must_error(404, "M_NOT_FOUND");
    bob.raw("DELETE", &format!("{rules}/override/.m.rule.master"), None)
        .await
        .must_error(400, "M_INVALID_PARAM");
    bob.get(&format!("{rules}/override/nope"))
        .await
        .must_error(404, "M_NOT_FOUND");
    bob.put(
        &format!("{rules}/override/nope/enabled"),
        json!({ "enabled": true }),
    )
    .await
    .must_error(404, "M_NOT_FOUND");
    bob.put(
        &format!("{rules}/content/kw"),
        json!({ "actions": ["notify"] }),
    )
    .await
    .must_status(400);
    bob.put(&format!("{rules}/bogus/x"), json!({ "actions": [] }))
        .await
        .must_status(400);
    hs.client()
        .get("/_matrix/client/v3/pushrules/")
        .await
        .must_error(401, "M_MISSING_TOKEN");
    let after = bob.get("/_matrix/client/v3/pushrules/").await;
    assert_eq!(after.must_ok(), &before);
}
