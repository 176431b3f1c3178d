//! Typing, receipts (public, private, threaded, delivery), read markers and presence, as
//! other members see them through `/sync`.

use complement_tests::{Client, Deployment, json, sync_ephemeral};

/// Alice and Bob in one room, each with a sync position after the setup.
async fn pair(
    hs: &complement_tests::Homeserver,
) -> (Client, Client, String, Option<String>, Option<String>) {
    let alice = hs.register("alice").await;
    let bob = hs.register("bob").await;
    let room = alice.create_room(json!({ "preset": "public_chat" })).await;
    bob.join(&room).await.must_ok();
    let a = alice.sync(None, "").await.must_ok()["next_batch"]
        .as_str()
        .map(str::to_owned);
    let b = bob.sync(None, "").await.must_ok()["next_batch"]
        .as_str()
        .map(str::to_owned);
    (alice, bob, room, a, b)
}

fn typing_users(sync: &complement_tests::Value, room: &str) -> Option<Vec<String>> {
    let event = sync_ephemeral(sync, room, "m.typing").pop()?;
    Some(
        event["content"]["user_ids"]
            .as_array()?
            .iter()
            .filter_map(|u| u.as_str().map(str::to_owned))
            .collect(),
    )
}

#[tokio::test]
async fn typing_starts_stops_and_expires_on_its_own() {
    let hs = Deployment::one().await;
    let (alice, bob, room, _, mut since) = pair(&hs).await;
    let path = format!("/_matrix/client/v3/rooms/{room}/typing/{}", alice.user_id());
    alice
        .put(&path, json!({ "typing": true, "timeout": 30000 }))
        .await
        .must_ok();
    bob.must_sync_until(&mut since, "alice typing", |s| {
        typing_users(s, &room).filter(|u| u == &[alice.user_id().to_owned()])
    })
    .await;
    alice.put(&path, json!({ "typing": false })).await.must_ok();
    bob.must_sync_until(&mut since, "alice stopped", |s| {
        typing_users(s, &room).filter(|u| u.is_empty())
    })
    .await;
    // A short timeout ends by itself, with no further request.
    alice
        .put(&path, json!({ "typing": true, "timeout": 500 }))
        .await
        .must_ok();
    bob.must_sync_until(&mut since, "alice typing again", |s| {
        typing_users(s, &room).filter(|u| !u.is_empty())
    })
    .await;
    bob.must_sync_until(&mut since, "the typing expired", |s| {
        typing_users(s, &room).filter(|u| u.is_empty())
    })
    .await;

    // Bad inputs: typing for someone else, in a room one is not in, malformed bodies.
    let bobs_path = format!("/_matrix/client/v3/rooms/{room}/typing/{}", bob.user_id());
    alice
        .put(&bobs_path, json!({ "typing": true, "timeout": 1000 }))
        .await
        .must_error(403, "M_FORBIDDEN");
    let carol = hs.register("carol").await;
    let carols = format!("/_matrix/client/v3/rooms/{room}/typing/{}", carol.user_id());
    carol
        .put(&carols, json!({ "typing": true, "timeout": 1000 }))
        .await
        .must_error(403, "M_FORBIDDEN");
    alice
        .put(&path, json!({ "typing": "yes" }))
        .await
        .must_error(400, "M_BAD_JSON");
    let quiet = bob.sync(since.as_deref(), "timeout=0").await;
    assert!(
        typing_users(quiet.must_ok(), &room).is_none(),
        "nothing changed"
    );
}

fn receipt_of<'a>(
    sync: &'a complement_tests::Value,
    room: &str,
    event_id: &str,
    kind: &str,
    user: &str,
) -> Option<&'a complement_tests::Value> {
    let events = sync["rooms"]["join"][room]["ephemeral"]["events"].as_array()?;
    events
        .iter()
        .filter(|e| e["type"] == "m.receipt")
        .find_map(|e| e["content"][event_id][kind].get(user))
}

#[tokio::test]
async fn read_receipts_public_private_and_threaded() {
    let hs = Deployment::one().await;
    let (alice, bob, room, mut alice_since, mut since) = pair(&hs).await;
    let first = alice.send_text(&room, "one").await;
    let second = alice.send_text(&room, "two").await;

    bob.room_post(&room, &format!("receipt/m.read/{first}"), json!({}))
        .await
        .must_ok();
    let receipt = alice
        .must_sync_until(&mut alice_since, "bob's read receipt", |s| {
            receipt_of(s, &room, &first, "m.read", bob.user_id()).cloned()
        })
        .await;
    assert!(receipt["ts"].is_u64());

    // A private receipt is seen by its owner only.
    bob.room_post(
        &room,
        &format!("receipt/m.read.private/{second}"),
        json!({}),
    )
    .await
    .must_ok();
    bob.must_sync_until(&mut since, "bob's own private receipt", |s| {
        receipt_of(s, &room, &second, "m.read.private", bob.user_id()).cloned()
    })
    .await;
    // Threaded: the thread ID travels with the receipt.
    bob.room_post(
        &room,
        &format!("receipt/m.read/{second}"),
        json!({ "thread_id": "main" }),
    )
    .await
    .must_ok();
    let threaded = alice
        .must_sync_until(&mut alice_since, "bob's threaded receipt", |s| {
            receipt_of(s, &room, &second, "m.read", bob.user_id()).cloned()
        })
        .await;
    assert_eq!(threaded["thread_id"], "main");
    let full = alice.sync(None, "").await;
    assert!(
        receipt_of(
            full.must_ok(),
            &room,
            &second,
            "m.read.private",
            bob.user_id()
        )
        .is_none(),
        "alice never sees bob's private receipt"
    );
    // Read markers: m.fully_read lands in room account data, m.read as a receipt.
    bob.room_post(
        &room,
        "read_markers",
        json!({ "m.fully_read": second, "m.read": second }),
    )
    .await
    .must_ok();
    let marker = bob
        .get(&format!(
            "/_matrix/client/v3/user/{}/rooms/{room}/account_data/m.fully_read",
            bob.user_id()
        ))
        .await;
    assert_eq!(marker.must_ok()["event_id"], second.as_str());

    // Bad inputs.
    bob.room_post(&room, "receipt/m.read/$nope", json!({}))
        .await
        .must_error(404, "M_NOT_FOUND");
    bob.room_post(
        &room,
        &format!("receipt/m.fully_read/{first}"),
        json!({ "thread_id": "main" }),
    )
    .await
    .must_error(400, "M_INVALID_PARAM");
    bob.room_post(&room, &format!("receipt/m.bogus/{first}"), json!({}))
        .await
        .must_status(400);
    let carol = hs.register("carol").await;
    carol
        .room_post(&room, &format!("receipt/m.read/{first}"), json!({}))
        .await
        .must_error(403, "M_FORBIDDEN");
}

#[tokio::test]
async fn delivery_receipts_tell_the_sender_a_message_arrived() {
    let hs = Deployment::one().await;
    let (alice, bob, room, mut alice_since, mut bob_since) = pair(&hs).await;
    let sent = alice.send_text(&room, "did you get this?").await;
    // Bob's device is handed the message ...
    bob.must_sync_until(&mut bob_since, "the message", |s| {
        complement_tests::sync_timeline(s, &room)
            .iter()
            .any(|e| e["event_id"] == sent.as_str())
            .then_some(())
    })
    .await;
    // ... and syncing on from there acknowledges it.
    let _ = bob.sync(bob_since.as_deref(), "timeout=0").await.must_ok();
    let delivered = alice
        .must_sync_until(&mut alice_since, "bob's delivery receipt", |s| {
            receipt_of(s, &room, &sent, "org.hearth.delivered", bob.user_id()).cloned()
        })
        .await;
    assert!(delivered["ts"].is_u64());
    // The sender's own messages are not "delivered" to them.
    let own = bob.sync(None, "").await;
    assert!(
        receipt_of(
            own.must_ok(),
            &room,
            &sent,
            "org.hearth.delivered",
            alice.user_id()
        )
        .is_none()
    );
}

#[tokio::test]
async fn presence_with_status_message_reaches_those_who_share_a_room() {
    let hs = Deployment::one().await;
    let (alice, bob, _room, _, mut since) = pair(&hs).await;
    let stranger = hs.register("stranger").await;
    let path = format!("/_matrix/client/v3/presence/{}/status", alice.user_id());
    alice
        .put(
            &path,
            json!({ "presence": "online", "status_msg": "at lunch 🍜" }),
        )
        .await
        .must_ok();
    let got = alice.get(&path).await;
    let body = got.must_ok();
    assert_eq!(body["presence"], "online");
    assert_eq!(body["status_msg"], "at lunch 🍜");
    assert!(body["last_active_ago"].is_u64());
    let event = bob
        .must_sync_until(&mut since, "alice's presence", |s| {
            s["presence"]["events"]
                .as_array()?
                .iter()
                .find(|e| {
                    e["sender"] == alice.user_id() && e["content"]["status_msg"] == "at lunch 🍜"
                })
                .cloned()
        })
        .await;
    assert_eq!(event["content"]["presence"], "online");
    bob.get(&path).await.must_ok();
    // Someone who shares no room sees neither the event nor the status.
    let theirs = stranger.sync(None, "").await;
    let events = theirs.must_ok()["presence"]["events"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        events.iter().all(|e| e["sender"] != alice.user_id()),
        "{events:?}"
    );
    stranger.get(&path).await.must_error(403, "M_FORBIDDEN");
    // Bad inputs.
    bob.put(&path, json!({ "presence": "online" }))
        .await
        .must_error(403, "M_FORBIDDEN");
    alice
        .put(&path, json!({ "presence": "sleepy" }))
        .await
        .must_error(400, "M_INVALID_PARAM");
    alice
        .sync(None, "set_presence=sleepy")
        .await
        .must_error(400, "M_INVALID_PARAM");
    alice
        .put(&path, json!({ "status_msg": "no presence" }))
        .await
        .must_error(400, "M_MISSING_PARAM");
    assert_eq!(
        alice.get(&path).await.must_ok()["status_msg"],
        "at lunch 🍜"
    );
}
