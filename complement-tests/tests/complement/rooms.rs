//! `createRoom`, state, sending, single events, redaction.

use complement_tests::{Deployment, json};

#[tokio::test]
async fn create_room_in_each_supported_version() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    for version in ["10", "11", "12"] {
        let room = alice
            .create_room(json!({ "room_version": version, "name": format!("v{version}"), "topic": "About", "preset": "private_chat" }))
            .await;
        let create = alice.room_get(&room, "state/m.room.create/").await;
        assert_eq!(create.must_ok()["room_version"], version);
        if version == "10" {
            assert_eq!(create.json["creator"], "@alice:hs1");
        }
        let state = alice.room_get(&room, "state").await;
        let kinds: Vec<String> = state
            .must_ok()
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["type"].as_str().unwrap().to_owned())
            .collect();
        for kind in [
            "m.room.create",
            "m.room.member",
            "m.room.power_levels",
            "m.room.join_rules",
            "m.room.history_visibility",
            "m.room.name",
            "m.room.topic",
        ] {
            assert!(
                kinds.iter().any(|k| k == kind),
                "{version}: {kind} missing from {kinds:?}"
            );
        }
        assert_eq!(
            alice
                .room_get(&room, "state/m.room.join_rules/")
                .await
                .must_ok()["join_rule"],
            "invite"
        );
        assert_eq!(
            alice.room_get(&room, "state/m.room.name/").await.must_ok()["name"],
            format!("v{version}")
        );
        let pl = alice.room_get(&room, "state/m.room.power_levels/").await;
        let listed = pl.must_ok()["users"].get("@alice:hs1").is_some();
        // Creators of v12 rooms hold power above the power levels and are not listed.
        assert_eq!(listed, version != "12", "{}", pl.json);
    }
    let joined = alice.get("/_matrix/client/v3/joined_rooms").await;
    assert_eq!(
        joined.must_ok()["joined_rooms"].as_array().unwrap().len(),
        3
    );
}

#[tokio::test]
async fn create_room_refuses_bad_input_and_creates_nothing() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let path = "/_matrix/client/v3/createRoom";
    alice
        .post(path, json!({ "room_version": "1" }))
        .await
        .must_error(400, "M_UNSUPPORTED_ROOM_VERSION");
    alice
        .post(path, json!({ "room_version": "banana" }))
        .await
        .must_status(400);
    alice
        .post(path, json!({ "room_alias_name": "bad:alias" }))
        .await
        .must_error(400, "M_INVALID_PARAM");
    alice
        .post(
            path,
            json!({ "power_level_content_override": { "ban": "lots" } }),
        )
        .await
        .must_error(400, "M_BAD_JSON");
    alice
        .post(path, json!({ "creation_content": 5 }))
        .await
        .must_status(400);
    hs.client()
        .post(path, json!({}))
        .await
        .must_error(401, "M_MISSING_TOKEN");
    let joined = alice.get("/_matrix/client/v3/joined_rooms").await;
    assert_eq!(joined.must_ok()["joined_rooms"], json!([]));

    alice
        .create_room(json!({ "room_alias_name": "taken" }))
        .await;
    alice
        .post(path, json!({ "room_alias_name": "taken" }))
        .await
        .must_error(400, "M_ROOM_IN_USE");
    let joined = alice.get("/_matrix/client/v3/joined_rooms").await;
    assert_eq!(
        joined.must_ok()["joined_rooms"].as_array().unwrap().len(),
        1
    );
}

#[tokio::test]
async fn presets_set_join_rules_and_invitees_and_initial_state() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let bob = hs.register("bob").await;
    let room = alice
        .create_room(json!({
            "preset": "public_chat",
            "room_alias_name": "lobby",
            "initial_state": [{ "type": "m.room.history_visibility", "state_key": "", "content": { "history_visibility": "world_readable" } }],
            "power_level_content_override": { "events_default": 10 },
            "invite": ["@bob:hs1"],
            "is_direct": true,
        }))
        .await;
    assert_eq!(
        alice
            .room_get(&room, "state/m.room.join_rules/")
            .await
            .must_ok()["join_rule"],
        "public"
    );
    assert_eq!(
        alice
            .room_get(&room, "state/m.room.history_visibility/")
            .await
            .must_ok()["history_visibility"],
        "world_readable"
    );
    assert_eq!(
        alice
            .room_get(&room, "state/m.room.canonical_alias/")
            .await
            .must_ok()["alias"],
        "#lobby:hs1"
    );
    assert_eq!(
        alice
            .room_get(&room, "state/m.room.power_levels/")
            .await
            .must_ok()["events_default"],
        10
    );
    let invite = alice.room_get(&room, "state/m.room.member/@bob:hs1").await;
    assert_eq!(invite.must_ok()["membership"], "invite");
    assert_eq!(invite.json["is_direct"], true);
    assert_eq!(
        bob.join("#lobby:hs1").await.must_ok()["room_id"],
        room.as_str()
    );
}

#[tokio::test]
async fn messages_round_trip_and_transactions_are_idempotent() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let room = alice.create_room(json!({})).await;
    let path = format!("/_matrix/client/v3/rooms/{room}/send/m.room.message/txn1");
    let content = json!({ "msgtype": "m.text", "body": "hello 🌍 你好", "format": "org.matrix.custom.html", "formatted_body": "<b>hello</b>" });
    let first = alice.put(&path, content.clone()).await;
    let event_id = first.must_ok()["event_id"].as_str().unwrap().to_owned();
    let again = alice
        .put(&path, json!({ "msgtype": "m.text", "body": "different" }))
        .await;
    assert_eq!(again.must_ok()["event_id"], event_id.as_str());
    assert_eq!(alice.message_bodies(&room).await, vec!["hello 🌍 你好"]);
    let event = alice.room_get(&room, &format!("event/{event_id}")).await;
    assert_eq!(event.must_ok()["content"], content);
    assert_eq!(event.json["sender"], "@alice:hs1");
    assert_eq!(event.json["room_id"], room.as_str());
    // The same txn ID in another room is another transaction.
    let other_room = alice.create_room(json!({})).await;
    let elsewhere = alice
        .put(
            &format!("/_matrix/client/v3/rooms/{other_room}/send/m.room.message/txn1"),
            json!({ "msgtype": "m.text", "body": "elsewhere" }),
        )
        .await;
    assert_ne!(elsewhere.must_ok()["event_id"], event_id.as_str());
    assert_eq!(alice.message_bodies(&other_room).await, vec!["elsewhere"]);
    // Another device's txn1 is a new transaction.
    let laptop = hs.client().login("alice", complement_tests::PASSWORD).await;
    let other = laptop
        .put(&path, json!({ "msgtype": "m.text", "body": "from laptop" }))
        .await;
    assert_ne!(other.must_ok()["event_id"], event_id.as_str());
}

#[tokio::test]
async fn every_message_kind_round_trips() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let room = alice.create_room(json!({})).await;
    let parent = alice.send_text(&room, "parent").await;
    let kinds = [
        (
            "m.room.message",
            json!({ "msgtype": "m.emote", "body": "waves" }),
        ),
        (
            "m.room.message",
            json!({ "msgtype": "m.notice", "body": "bot says" }),
        ),
        (
            "m.room.message",
            json!({ "msgtype": "m.image", "body": "cat.png", "url": "mxc://hs1/cat", "info": { "w": 10, "h": 10, "mimetype": "image/png", "size": 100 } }),
        ),
        (
            "m.room.message",
            json!({ "msgtype": "m.file", "body": "report.pdf", "url": "mxc://hs1/pdf", "info": { "size": 2048 } }),
        ),
        (
            "m.room.message",
            json!({ "msgtype": "m.audio", "body": "voice.ogg", "url": "mxc://hs1/voice", "info": { "duration": 3000 }, "org.matrix.msc3245.voice": {} }),
        ),
        (
            "m.room.message",
            json!({ "msgtype": "m.video", "body": "clip.mp4", "url": "mxc://hs1/clip" }),
        ),
        (
            "m.room.message",
            json!({ "msgtype": "m.location", "body": "Here", "geo_uri": "geo:51.5,-0.1" }),
        ),
        (
            "m.sticker",
            json!({ "body": "sticker", "url": "mxc://hs1/sticker", "info": {} }),
        ),
        (
            "m.room.message",
            json!({ "msgtype": "m.text", "body": "> parent\n\nreply", "m.relates_to": { "m.in_reply_to": { "event_id": parent } } }),
        ),
        (
            "m.room.message",
            json!({ "msgtype": "m.text", "body": "* edited", "m.new_content": { "msgtype": "m.text", "body": "edited" }, "m.relates_to": { "rel_type": "m.replace", "event_id": parent } }),
        ),
        (
            "m.reaction",
            json!({ "m.relates_to": { "rel_type": "m.annotation", "event_id": parent, "key": "👍" } }),
        ),
        (
            "m.room.message",
            json!({ "msgtype": "m.text", "body": "in thread", "m.relates_to": { "rel_type": "m.thread", "event_id": parent } }),
        ),
        (
            "m.poll.start",
            json!({ "m.poll": { "question": { "m.text": [{ "body": "Lunch?" }] }, "answers": [] } }),
        ),
        (
            "m.call.invite",
            json!({ "call_id": "c1", "version": "1", "lifetime": 60000, "offer": { "type": "offer", "sdp": "v=0" } }),
        ),
        ("m.call.hangup", json!({ "call_id": "c1", "version": "1" })),
    ];
    for (i, (kind, content)) in kinds.iter().enumerate() {
        let path = format!("/_matrix/client/v3/rooms/{room}/send/{kind}/k{i}");
        let event_id = alice.put(&path, content.clone()).await.must_ok()["event_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let event = alice.room_get(&room, &format!("event/{event_id}")).await;
        assert_eq!(event.must_ok()["type"], *kind);
        assert_eq!(&event.json["content"], content, "{kind} content changed");
    }
}

#[tokio::test]
async fn oversized_events_are_too_large_and_not_stored() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let room = alice.create_room(json!({})).await;
    let big = json!({ "msgtype": "m.text", "body": "x".repeat(70_000) });
    let path = format!("/_matrix/client/v3/rooms/{room}/send/m.room.message/big");
    alice.put(&path, big).await.must_error(413, "M_TOO_LARGE");
    let state = alice
        .put_state(
            &room,
            "m.room.topic",
            "",
            json!({ "topic": "y".repeat(66_000) }),
        )
        .await;
    state.must_error(413, "M_TOO_LARGE");
    assert!(alice.message_bodies(&room).await.is_empty());
}

#[tokio::test]
async fn invalid_and_unknown_ids() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let room = alice.create_room(json!({})).await;
    alice
        .room_get("not-a-room", "state")
        .await
        .must_error(400, "M_INVALID_PARAM");
    alice
        .room_get(&room, "event/not-an-event")
        .await
        .must_error(400, "M_INVALID_PARAM");
    alice
        .room_get(&room, "event/$unknownevent")
        .await
        .must_error(404, "M_NOT_FOUND");
    alice
        .room_post(&room, "invite", json!({ "user_id": "not a user" }))
        .await
        .must_status(400);
    alice
        .join("!nowhere:hs1")
        .await
        .must_error(404, "M_NOT_FOUND");
    alice
        .join("#nowhere:hs1")
        .await
        .must_error(404, "M_NOT_FOUND");
    alice
        .room_get(&room, "state/m.room.nonexistent/")
        .await
        .must_error(404, "M_NOT_FOUND");
    let send = format!("/_matrix/client/v3/rooms/{room}/send/m.room.message/x");
    alice
        .put(&send, json!(["not", "an", "object"]))
        .await
        .must_status(400);
}

#[tokio::test]
async fn state_changes_need_power_and_failures_store_nothing() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let bob = hs.register("bob").await;
    let room = alice
        .create_room(json!({ "preset": "public_chat", "name": "Original" }))
        .await;
    bob.join(&room).await.must_ok();
    bob.put_state(&room, "m.room.name", "", json!({ "name": "Hijacked" }))
        .await
        .must_error(403, "M_FORBIDDEN");
    bob.put_state(
        &room,
        "m.room.power_levels",
        "",
        json!({ "users": { "@bob:hs1": 100 } }),
    )
    .await
    .must_error(403, "M_FORBIDDEN");
    assert_eq!(
        bob.room_get(&room, "state/m.room.name/").await.must_ok()["name"],
        "Original"
    );
    // Sending the same state twice returns the same event.
    let first = alice
        .put_state(&room, "m.room.name", "", json!({ "name": "Renamed" }))
        .await;
    let again = alice
        .put_state(&room, "m.room.name", "", json!({ "name": "Renamed" }))
        .await;
    assert_eq!(first.must_ok()["event_id"], again.must_ok()["event_id"]);
    assert_eq!(
        bob.room_get(&room, "state/m.room.name").await.must_ok()["name"],
        "Renamed"
    );
    // A canonical alias must exist and point here.
    alice
        .put_state(
            &room,
            "m.room.canonical_alias",
            "",
            json!({ "alias": "#ghost:hs1" }),
        )
        .await
        .must_error(400, "M_BAD_ALIAS");
}

#[tokio::test]
async fn non_members_cannot_read_or_write() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let eve = hs.register("eve").await;
    let room = alice.create_room(json!({ "preset": "private_chat" })).await;
    let event_id = alice.send_text(&room, "secret").await;
    eve.room_get(&room, "messages?dir=b")
        .await
        .must_error(403, "M_FORBIDDEN");
    eve.room_get(&room, "state")
        .await
        .must_error(403, "M_FORBIDDEN");
    eve.room_get(&room, "members")
        .await
        .must_error(403, "M_FORBIDDEN");
    eve.room_get(&room, &format!("event/{event_id}"))
        .await
        .must_status(404);
    let send = format!("/_matrix/client/v3/rooms/{room}/send/m.room.message/e1");
    eve.put(&send, json!({ "msgtype": "m.text", "body": "intrude" }))
        .await
        .must_error(403, "M_FORBIDDEN");
    eve.join(&room).await.must_error(403, "M_FORBIDDEN");
    assert_eq!(alice.message_bodies(&room).await, vec!["secret"]);
}

#[tokio::test]
async fn redaction_recalls_messages_with_power_rules() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let bob = hs.register("bob").await;
    let room = alice.create_room(json!({ "preset": "public_chat" })).await;
    bob.join(&room).await.must_ok();
    let alices = alice.send_text(&room, "alice's words").await;
    let bobs = bob.send_text(&room, "bob's oops").await;

    let redact = |who: &complement_tests::Client, id: &str, txn: &str| {
        let path = format!("/_matrix/client/v3/rooms/{room}/redact/{id}/{txn}");
        let who = who.clone();
        async move { who.put(&path, json!({ "reason": "recall" })).await }
    };
    redact(&bob, &alices, "r1")
        .await
        .must_error(403, "M_FORBIDDEN");
    assert_eq!(
        bob.room_get(&room, &format!("event/{alices}"))
            .await
            .must_ok()["content"]["body"],
        "alice's words"
    );

    let own = redact(&bob, &bobs, "r2").await;
    let redaction_id = own.must_ok()["event_id"].as_str().unwrap().to_owned();
    assert_eq!(
        redact(&bob, &bobs, "r2").await.must_ok()["event_id"],
        redaction_id.as_str(),
        "idempotent"
    );
    let recalled = alice.room_get(&room, &format!("event/{bobs}")).await;
    assert_eq!(recalled.must_ok()["content"], json!({}));
    assert_eq!(
        recalled.json["unsigned"]["redacted_because"]["event_id"],
        redaction_id.as_str()
    );
    assert_eq!(
        recalled.json["unsigned"]["redacted_because"]["content"]["reason"],
        "recall"
    );
    // Moderators may redact anyone's messages.
    redact(&alice, &alices, "r3").await.must_ok();
    assert!(alice.message_bodies(&room).await.is_empty());
    redact(&alice, "$nope", "r4")
        .await
        .must_error(404, "M_NOT_FOUND");
}

#[tokio::test]
async fn upgrade_replaces_the_room() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let bob = hs.register("bob").await;
    let old = alice
        .create_room(json!({ "room_version": "10", "preset": "public_chat", "name": "Old", "topic": "T", "room_alias_name": "up" }))
        .await;
    bob.join(&old).await.must_ok();
    let path = format!("/_matrix/client/v3/rooms/{old}/upgrade");
    bob.post(&path, json!({ "new_version": "12" }))
        .await
        .must_error(403, "M_FORBIDDEN");
    alice
        .post(&path, json!({ "new_version": "2" }))
        .await
        .must_error(400, "M_UNSUPPORTED_ROOM_VERSION");
    assert!(
        alice.room_get(&old, "state/m.room.tombstone/").await.status == 404,
        "refused upgrades change nothing"
    );

    let upgraded = alice.post(&path, json!({ "new_version": "12" })).await;
    let new = upgraded.must_ok()["replacement_room"]
        .as_str()
        .unwrap()
        .to_owned();
    let tombstone = alice.room_get(&old, "state/m.room.tombstone/").await;
    assert_eq!(tombstone.must_ok()["replacement_room"], new.as_str());
    let create = alice.room_get(&new, "state/m.room.create/").await;
    assert_eq!(create.must_ok()["predecessor"]["room_id"], old.as_str());
    assert_eq!(create.json["room_version"], "12");
    assert_eq!(
        alice.room_get(&new, "state/m.room.name/").await.must_ok()["name"],
        "Old"
    );
    assert_eq!(
        alice
            .room_get(&new, "state/m.room.join_rules/")
            .await
            .must_ok()["join_rule"],
        "public"
    );
    assert_eq!(
        hs.client()
            .get("/_matrix/client/v3/directory/room/%23up:hs1")
            .await
            .must_ok()["room_id"],
        new.as_str()
    );
    // Ordinary members can no longer talk in the old room; they follow to the new one.
    let send = format!("/_matrix/client/v3/rooms/{old}/send/m.room.message/late");
    bob.put(&send, json!({ "msgtype": "m.text", "body": "still here?" }))
        .await
        .must_error(403, "M_FORBIDDEN");
    bob.join(&new).await.must_ok();
}

#[tokio::test]
async fn self_redaction_window_limits_recalling_own_messages() {
    let options = complement_tests::ServerOptions {
        raw_extra: "[rooms]\nself_redaction_window_secs = 1\n".into(),
        ..Default::default()
    };
    let hs = complement_tests::Homeserver::start(options).await;
    let alice = hs.register("alice").await;
    let bob = hs.register("bob").await;
    let room = alice.create_room(json!({ "preset": "public_chat" })).await;
    bob.join(&room).await.must_ok();
    let fresh = bob.send_text(&room, "quick recall").await;
    let old = bob.send_text(&room, "too late").await;
    let mine = alice.send_text(&room, "moderator's own").await;
    let redact = |who: &complement_tests::Client, id: &str, txn: &str| {
        let path = format!("/_matrix/client/v3/rooms/{room}/redact/{id}/{txn}");
        let who = who.clone();
        async move { who.put(&path, json!({})).await }
    };
    redact(&bob, &fresh, "a").await.must_ok();
    // The window is measured against the event's timestamp: wait it out.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    redact(&bob, &old, "b").await.must_error(403, "M_FORBIDDEN");
    assert_eq!(
        bob.room_get(&room, &format!("event/{old}")).await.must_ok()["content"]["body"],
        "too late"
    );
    // Users with the power to redact others are not limited.
    redact(&alice, &mine, "c").await.must_ok();
}
