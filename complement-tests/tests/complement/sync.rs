//! `GET /sync`: initial and incremental syncs, long-polling, room sections, timeline
//! windows, state, summaries and filters.

use std::time::{Duration, Instant};

use complement_tests::{Deployment, bodies, json, sync_timeline};

#[tokio::test]
async fn initial_sync_then_incremental_sync_sees_new_messages() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let room = alice
        .create_room(json!({ "name": "Lounge", "preset": "public_chat" }))
        .await;
    alice.send_text(&room, "before").await;
    let initial = alice.sync(None, "").await;
    let body = initial.must_ok();
    let joined = &body["rooms"]["join"][&room];
    assert_eq!(bodies(&sync_timeline(body, &room)), ["before"]);
    assert!(
        joined["state"]["events"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .chain(joined["timeline"]["events"].as_array().unwrap())
            .any(|e| e["type"] == "m.room.name" && e["content"]["name"] == "Lounge"),
        "the room name is in state or timeline: {joined:#}"
    );
    assert_eq!(joined["summary"]["m.joined_member_count"], 1);
    // Events in sync carry no room_id; the sender's own carry their transaction ID.
    let message = sync_timeline(body, &room).pop().unwrap();
    assert!(message.get("room_id").is_none());
    assert!(message["unsigned"]["transaction_id"].is_string());
    let since = body["next_batch"].as_str().unwrap().to_owned();

    let bob = hs.register("bob").await;
    bob.join(&room).await.must_ok();
    bob.send_text(&room, "hello from bob").await;
    let mut since = Some(since);
    let events = alice
        .must_sync_until(&mut since, "bob's message", |s| {
            let events = sync_timeline(s, &room);
            bodies(&events)
                .contains(&"hello from bob".to_owned())
                .then_some(events)
        })
        .await;
    assert!(
        events
            .iter()
            .any(|e| e["type"] == "m.room.member" && e["state_key"] == bob.user_id())
    );
    // Bob's message carries no transaction ID for Alice.
    let bobs = events
        .iter()
        .find(|e| e["sender"] == bob.user_id() && e["type"] == "m.room.message")
        .unwrap();
    assert!(bobs["unsigned"].get("transaction_id").is_none());
    // Nothing new: an incremental sync with no timeout comes back empty, token not going back.
    let again = alice.sync(since.as_deref(), "timeout=0").await;
    let body = again.must_ok();
    assert!(body["rooms"]["join"].get(&room).is_none(), "{body:#}");
    assert!(body["next_batch"].is_string());
}

#[tokio::test]
async fn long_poll_wakes_on_a_message_and_times_out_empty() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let bob = hs.register("bob").await;
    let room = alice.create_room(json!({ "preset": "public_chat" })).await;
    bob.join(&room).await.must_ok();
    let since = bob.sync(None, "").await.must_ok()["next_batch"]
        .as_str()
        .unwrap()
        .to_owned();

    // Timeout with nothing new: an empty answer after roughly the timeout.
    let start = Instant::now();
    let empty = bob.sync(Some(&since), "timeout=700").await;
    let waited = start.elapsed();
    let body = empty.must_ok();
    assert!(
        waited >= Duration::from_millis(600),
        "returned after {waited:?}: {body:#}"
    );
    assert!(body["rooms"]["join"].get(&room).is_none());
    let since = body["next_batch"].as_str().unwrap().to_owned();

    // A long-poll waiting for 30 s returns as soon as Alice sends.
    let poll = {
        let bob = bob.clone();
        let since = since.clone();
        tokio::spawn(async move { bob.sync(Some(&since), "timeout=30000").await })
    };
    // The message is sent while the poll is (very likely) waiting; either way it must come.
    tokio::task::yield_now().await;
    alice.send_text(&room, "wake up").await;
    let start = Instant::now();
    let woken = tokio::time::timeout(Duration::from_secs(20), poll)
        .await
        .expect("the long-poll returned")
        .unwrap();
    assert!(start.elapsed() < Duration::from_secs(20));
    assert_eq!(bodies(&sync_timeline(woken.must_ok(), &room)), ["wake up"]);
}

#[tokio::test]
async fn a_message_in_another_room_does_not_end_the_long_poll() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let bob = hs.register("bob").await;
    let alices_room = alice.create_room(json!({})).await;
    let bobs_room = bob.create_room(json!({})).await;
    let since = bob.sync(None, "").await.must_ok()["next_batch"]
        .as_str()
        .unwrap()
        .to_owned();
    let poll = {
        let bob = bob.clone();
        tokio::spawn(async move { bob.sync(Some(&since), "timeout=1500").await })
    };
    alice.send_text(&alices_room, "not for bob").await;
    let response = poll.await.unwrap();
    let body = response.must_ok();
    assert!(body["rooms"]["join"].get(&alices_room).is_none());
    assert!(body["rooms"]["join"].get(&bobs_room).is_none(), "{body:#}");
}

#[tokio::test]
async fn invites_joins_and_leaves_move_rooms_between_sections() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let bob = hs.register("bob").await;
    let mut since = Some(
        bob.sync(None, "").await.must_ok()["next_batch"]
            .as_str()
            .unwrap()
            .to_owned(),
    );
    let room = alice
        .create_room(json!({ "name": "Secret", "invite": [bob.user_id()] }))
        .await;
    let invite = bob
        .must_sync_until(&mut since, "the invite", |s| {
            s["rooms"]["invite"][&room]["invite_state"]["events"]
                .as_array()
                .cloned()
        })
        .await;
    assert!(
        invite
            .iter()
            .any(|e| e["type"] == "m.room.name" && e["content"]["name"] == "Secret")
    );
    let member = invite
        .iter()
        .find(|e| e["type"] == "m.room.member")
        .expect("the invite itself");
    assert_eq!(member["state_key"], bob.user_id());
    assert_eq!(member["content"]["membership"], "invite");
    assert!(
        invite.iter().all(|e| e.get("event_id").is_none()),
        "stripped state"
    );

    bob.join(&room).await.must_ok();
    bob.must_sync_until(&mut since, "the joined room", |s| {
        s["rooms"]["join"].get(&room).map(|_| ())
    })
    .await;
    alice
        .room_post(
            &room,
            "kick",
            json!({ "user_id": bob.user_id(), "reason": "bye" }),
        )
        .await
        .must_ok();
    let left = bob
        .must_sync_until(&mut since, "the room under leave", |s| {
            s["rooms"]["leave"].get(&room).cloned()
        })
        .await;
    let last = left["timeline"]["events"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["content"]["membership"], "leave");
    assert_eq!(last["content"]["reason"], "bye");
    // A later message is not Bob's to see.
    alice.send_text(&room, "after bob").await;
    let later = bob.sync(since.as_deref(), "timeout=0").await;
    assert!(later.must_ok()["rooms"]["leave"].get(&room).is_none());
    // Initial syncs list left rooms only with include_leave; forgotten rooms never.
    let without = bob.sync(None, "").await;
    assert!(without.must_ok()["rooms"]["leave"].get(&room).is_none());
    let filter = r#"{"room":{"include_leave":true}}"#;
    let with = bob.sync(None, &format!("filter={filter}")).await;
    assert!(with.must_ok()["rooms"]["leave"].get(&room).is_some());
    bob.room_post(&room, "forget", json!({})).await.must_ok();
    let forgotten = bob.sync(None, &format!("filter={filter}")).await;
    assert!(forgotten.must_ok()["rooms"]["leave"].get(&room).is_none());
}

#[tokio::test]
async fn limited_timeline_with_prev_batch_for_messages() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let room = alice.create_room(json!({})).await;
    for i in 0..8 {
        alice.send_text(&room, &format!("m{i}")).await;
    }
    let filter = r#"{"room":{"timeline":{"limit":3}}}"#;
    let response = alice.sync(None, &format!("filter={filter}")).await;
    let body = response.must_ok();
    let timeline = &body["rooms"]["join"][&room]["timeline"];
    assert_eq!(bodies(&sync_timeline(body, &room)), ["m5", "m6", "m7"]);
    assert_eq!(timeline["limited"], true);
    // The state before the window comes with it: the room's creation is not in the window.
    let state = body["rooms"]["join"][&room]["state"]["events"]
        .as_array()
        .unwrap();
    assert!(state.iter().any(|e| e["type"] == "m.room.create"));
    let prev = timeline["prev_batch"].as_str().unwrap();
    let page = alice
        .room_get(&room, &format!("messages?dir=b&limit=2&from={prev}"))
        .await;
    let chunk: Vec<_> = page.must_ok()["chunk"].as_array().unwrap().clone();
    assert_eq!(bodies(&chunk), ["m4", "m3"]);

    // Incremental: more new events than the limit is limited too, with state since.
    let since = body["next_batch"].as_str().unwrap().to_owned();
    alice
        .put_state(&room, "m.room.topic", "", json!({ "topic": "new topic" }))
        .await
        .must_ok();
    for i in 8..13 {
        alice.send_text(&room, &format!("m{i}")).await;
    }
    let response = alice
        .sync(Some(&since), &format!("timeout=0&filter={filter}"))
        .await;
    let body = response.must_ok();
    assert_eq!(bodies(&sync_timeline(body, &room)), ["m10", "m11", "m12"]);
    assert_eq!(body["rooms"]["join"][&room]["timeline"]["limited"], true);
    let state = body["rooms"]["join"][&room]["state"]["events"]
        .as_array()
        .unwrap();
    assert!(
        state
            .iter()
            .any(|e| e["type"] == "m.room.topic" && e["content"]["topic"] == "new topic"),
        "the topic changed in the gap: {state:#?}"
    );
    assert!(
        !state.iter().any(|e| e["type"] == "m.room.create"),
        "only what changed"
    );
}

#[tokio::test]
async fn state_after_and_full_state() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let room = alice.create_room(json!({ "name": "one" })).await;
    let since = alice.sync(None, "").await.must_ok()["next_batch"]
        .as_str()
        .unwrap()
        .to_owned();
    alice
        .put_state(&room, "m.room.name", "", json!({ "name": "two" }))
        .await
        .must_ok();
    let response = alice
        .sync(Some(&since), "timeout=0&use_state_after=true")
        .await;
    let joined = &response.must_ok()["rooms"]["join"][&room];
    let after = joined["state_after"]["events"]
        .as_array()
        .unwrap_or_else(|| panic!("state_after: {joined:#}"));
    assert!(
        after
            .iter()
            .any(|e| e["type"] == "m.room.name" && e["content"]["name"] == "two")
    );
    assert!(joined.get("state").is_none(), "state_after replaces state");
    // full_state: the whole state even with nothing new.
    let full = alice.sync(Some(&since), "timeout=0&full_state=true").await;
    let joined = &full.must_ok()["rooms"]["join"][&room];
    let everything: Vec<&str> = joined["state"]["events"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(joined["timeline"]["events"].as_array().unwrap())
        .filter_map(|e| e["type"].as_str())
        .collect();
    assert!(everything.contains(&"m.room.create"));
    assert!(everything.contains(&"m.room.power_levels"));
}

#[tokio::test]
async fn lazy_loading_sends_only_the_senders_members() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let room = alice.create_room(json!({ "preset": "public_chat" })).await;
    let mut users = Vec::new();
    for name in ["bob", "carol", "dave"] {
        let user = hs.register(name).await;
        user.join(&room).await.must_ok();
        users.push(user);
    }
    for i in 0..5 {
        alice.send_text(&room, &format!("filler {i}")).await;
    }
    users[1].send_text(&room, "carol speaks").await;
    let filter = r#"{"room":{"timeline":{"limit":2},"state":{"lazy_load_members":true}}}"#;
    let response = users[0].sync(None, &format!("filter={filter}")).await;
    let body = response.must_ok();
    let members: Vec<&str> = body["rooms"]["join"][&room]["state"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "m.room.member")
        .filter_map(|e| e["state_key"].as_str())
        .collect();
    assert!(members.contains(&alice.user_id()));
    assert!(members.contains(&users[1].user_id()));
    assert!(
        members.contains(&users[0].user_id()),
        "one's own membership"
    );
    assert!(
        !members.contains(&users[2].user_id()),
        "dave did not speak: {members:?}"
    );
    // The summary still counts everyone.
    assert_eq!(
        body["rooms"]["join"][&room]["summary"]["m.joined_member_count"],
        4
    );
    let heroes = body["rooms"]["join"][&room]["summary"]["m.heroes"]
        .as_array()
        .unwrap();
    assert_eq!(heroes.len(), 3);
}

#[tokio::test]
async fn filters_are_stored_per_user_and_applied() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let bob = hs.register("bob").await;
    let keep = alice.create_room(json!({})).await;
    let skip = alice.create_room(json!({})).await;
    alice.send_text(&keep, "kept").await;
    alice.send_text(&skip, "skipped").await;
    let definition = json!({
        "room": {
            "not_rooms": [skip],
            "timeline": { "types": ["m.room.message"], "limit": 5 }
        }
    });
    let path = format!("/_matrix/client/v3/user/{}/filter", alice.user_id());
    let created = alice.post(&path, definition.clone()).await;
    let id = created.must_ok()["filter_id"].as_str().unwrap().to_owned();
    let fetched = alice.get(&format!("{path}/{id}")).await;
    assert_eq!(fetched.must_ok()["room"]["not_rooms"], json!([skip]));
    let response = alice.sync(None, &format!("filter={id}")).await;
    let body = response.must_ok();
    assert!(body["rooms"]["join"].get(&skip).is_none());
    let timeline = sync_timeline(body, &keep);
    assert_eq!(bodies(&timeline), ["kept"]);
    assert!(timeline.iter().all(|e| e["type"] == "m.room.message"));
    // Read again (the server now holds it in memory): the same filter, and still alice's only.
    let again = alice.sync(None, &format!("filter={id}")).await;
    assert_eq!(bodies(&sync_timeline(again.must_ok(), &keep)), ["kept"]);
    bob.sync(None, &format!("filter={id}"))
        .await
        .must_error(400, "M_INVALID_PARAM");

    // Bad inputs: someone else's filters, unknown IDs, malformed definitions.
    bob.post(&path, definition.clone())
        .await
        .must_error(403, "M_FORBIDDEN");
    bob.get(&format!("{path}/{id}"))
        .await
        .must_error(403, "M_FORBIDDEN");
    alice
        .get(&format!("{path}/999"))
        .await
        .must_error(404, "M_NOT_FOUND");
    alice
        .get(&format!("{path}/not-a-number"))
        .await
        .must_error(404, "M_NOT_FOUND");
    alice
        .post(&path, json!({ "room": { "timeline": { "limit": "ten" } } }))
        .await
        .must_error(400, "M_BAD_JSON");
    alice
        .sync(None, "filter=12345")
        .await
        .must_error(400, "M_INVALID_PARAM");
    alice.sync(None, "filter={not json").await.must_status(400);
    alice
        .sync(Some("garbage"), "timeout=0")
        .await
        .must_error(400, "M_INVALID_PARAM");
    hs.client()
        .sync(None, "")
        .await
        .must_error(401, "M_MISSING_TOKEN");
}
