//! Joining, knocking, inviting, leaving, kicking, banning, forgetting, and member lists.

use complement_tests::{Deployment, json};

fn ids(response: &complement_tests::RawResponse, key: &str) -> Vec<String> {
    let mut found: Vec<String> = response.json[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    found.sort();
    found
}

#[tokio::test]
async fn invite_only_rooms_need_an_invite() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let bob = hs.register("bob").await;
    let room = alice.create_room(json!({ "preset": "private_chat" })).await;
    bob.join(&room).await.must_error(403, "M_FORBIDDEN");
    alice
        .room_post(
            &room,
            "invite",
            json!({ "user_id": "@bob:hs1", "reason": "welcome" }),
        )
        .await
        .must_ok();
    let invite = alice.room_get(&room, "state/m.room.member/@bob:hs1").await;
    assert_eq!(invite.must_ok()["membership"], "invite");
    assert_eq!(invite.json["reason"], "welcome");
    bob.room_post(&room, "join", json!({})).await.must_ok();
    assert_eq!(
        bob.get("/_matrix/client/v3/joined_rooms").await.must_ok()["joined_rooms"],
        json!([room])
    );
    alice
        .room_post(&room, "invite", json!({ "user_id": "@bob:hs1" }))
        .await
        .must_error(403, "M_FORBIDDEN");
}

#[tokio::test]
async fn members_can_be_listed_and_filtered() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let bob = hs.register("bob").await;
    hs.register("carol").await;
    alice
        .put(
            "/_matrix/client/v3/profile/@alice:hs1/displayname",
            json!({ "displayname": "Alice" }),
        )
        .await
        .must_ok();
    let room = alice
        .create_room(json!({ "preset": "public_chat", "invite": ["@carol:hs1"] }))
        .await;
    bob.join(&room).await.must_ok();
    let all = bob.room_get(&room, "members").await;
    assert_eq!(all.must_ok()["chunk"].as_array().unwrap().len(), 3);
    let joined = bob.room_get(&room, "members?membership=join").await;
    let joined: Vec<_> = joined.must_ok()["chunk"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["state_key"].clone())
        .collect();
    assert_eq!(joined, vec![json!("@alice:hs1"), json!("@bob:hs1")]);
    let not_joined = bob.room_get(&room, "members?not_membership=join").await;
    assert_eq!(not_joined.must_ok()["chunk"][0]["state_key"], "@carol:hs1");
    let jm = bob.room_get(&room, "joined_members").await;
    assert_eq!(
        jm.must_ok()["joined"]["@alice:hs1"]["display_name"],
        "Alice"
    );
    assert!(jm.json["joined"].get("@carol:hs1").is_none());
}

#[tokio::test]
async fn kick_and_ban_need_power_and_bans_stick() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let bob = hs.register("bob").await;
    let carol = hs.register("carol").await;
    let room = alice.create_room(json!({ "preset": "public_chat" })).await;
    bob.join(&room).await.must_ok();
    carol.join(&room).await.must_ok();
    bob.room_post(&room, "kick", json!({ "user_id": "@carol:hs1" }))
        .await
        .must_error(403, "M_FORBIDDEN");
    bob.room_post(&room, "ban", json!({ "user_id": "@carol:hs1" }))
        .await
        .must_error(403, "M_FORBIDDEN");
    assert_eq!(
        alice
            .room_get(&room, "state/m.room.member/@carol:hs1")
            .await
            .must_ok()["membership"],
        "join"
    );

    alice
        .room_post(
            &room,
            "kick",
            json!({ "user_id": "@carol:hs1", "reason": "calm down" }),
        )
        .await
        .must_ok();
    let kicked = alice
        .room_get(&room, "state/m.room.member/@carol:hs1")
        .await;
    assert_eq!(kicked.must_ok()["membership"], "leave");
    assert_eq!(kicked.json["reason"], "calm down");
    carol.join(&room).await.must_ok();

    alice
        .room_post(&room, "ban", json!({ "user_id": "@carol:hs1" }))
        .await
        .must_ok();
    carol.join(&room).await.must_error(403, "M_FORBIDDEN");
    alice
        .room_post(&room, "invite", json!({ "user_id": "@carol:hs1" }))
        .await
        .must_error(403, "M_FORBIDDEN");
    alice
        .room_post(&room, "unban", json!({ "user_id": "@bob:hs1" }))
        .await
        .must_error(403, "M_FORBIDDEN");
    alice
        .room_post(&room, "unban", json!({ "user_id": "@carol:hs1" }))
        .await
        .must_ok();
    carol.join(&room).await.must_ok();
    alice
        .room_post(&room, "kick", json!({ "user_id": "@nobody:hs1" }))
        .await
        .must_error(403, "M_FORBIDDEN");
}

#[tokio::test]
async fn leave_and_forget() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let bob = hs.register("bob").await;
    let room = alice.create_room(json!({ "preset": "public_chat" })).await;
    bob.join(&room).await.must_ok();
    bob.send_text(&room, "bye").await;
    bob.room_post(&room, "forget", json!({}))
        .await
        .must_status(400);
    bob.room_post(&room, "leave", json!({ "reason": "done" }))
        .await
        .must_ok();
    assert_eq!(
        ids(
            &bob.get("/_matrix/client/v3/joined_rooms").await,
            "joined_rooms"
        ),
        Vec::<String>::new()
    );
    // After leaving, history up to the leave stays readable; new messages do not.
    alice.send_text(&room, "after bob left").await;
    assert_eq!(bob.message_bodies(&room).await, vec!["bye"]);
    bob.room_post(&room, "forget", json!({})).await.must_ok();
    bob.room_post(&room, "leave", json!({})).await.must_ok();
    let send = format!("/_matrix/client/v3/rooms/{room}/send/m.room.message/x");
    bob.put(&send, json!({ "msgtype": "m.text", "body": "ghost" }))
        .await
        .must_error(403, "M_FORBIDDEN");
    let eve = hs.register("eve").await;
    eve.room_post(&room, "leave", json!({}))
        .await
        .must_error(403, "M_FORBIDDEN");
}

#[tokio::test]
async fn history_visibility_is_enforced() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let bob = hs.register("bob").await;
    let shared = alice.create_room(json!({ "preset": "public_chat" })).await;
    let joined_only = alice
        .create_room(json!({ "preset": "public_chat", "initial_state": [{ "type": "m.room.history_visibility", "content": { "history_visibility": "joined" } }] }))
        .await;
    for room in [&shared, &joined_only] {
        alice.send_text(room, "before bob").await;
        bob.join(room).await.must_ok();
        alice.send_text(room, "after bob").await;
    }
    assert_eq!(
        bob.message_bodies(&shared).await,
        vec!["after bob", "before bob"]
    );
    assert_eq!(bob.message_bodies(&joined_only).await, vec!["after bob"]);
}

#[tokio::test]
async fn knocking_asks_to_join_and_an_invite_lets_in() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let bob = hs.register("bob").await;
    let carol = hs.register("carol").await;
    let room = alice
        .create_room(json!({
            "preset": "private_chat",
            "room_alias_name": "knockers",
            "power_level_content_override": { "invite": 50 },
            "initial_state": [{ "type": "m.room.join_rules", "content": { "join_rule": "knock" } }],
        }))
        .await;
    let public = alice.create_room(json!({ "preset": "public_chat" })).await;
    let mut alice_since = alice.sync(None, "").await.must_ok()["next_batch"]
        .as_str()
        .map(str::to_owned);
    let mut bob_since = bob.sync(None, "").await.must_ok()["next_batch"]
        .as_str()
        .map(str::to_owned);

    // Refused: a public room (join it instead), an unknown room, a malformed ID.
    let knock = |room: &str| format!("/_matrix/client/v3/knock/{}", room.replace('#', "%23"));
    bob.post(&knock(&public), json!({}))
        .await
        .must_error(403, "M_FORBIDDEN");
    bob.post(&knock("!nowhere:hs1"), json!({}))
        .await
        .must_error(404, "M_NOT_FOUND");
    bob.post(&knock("nonsense"), json!({}))
        .await
        .must_error(400, "M_INVALID_PARAM");
    // Knocking does not let anyone in, nor does it let the knocker read.
    bob.post(&knock("#knockers:hs1"), json!({ "reason": "let me in" }))
        .await
        .must_ok();
    let member = alice.room_get(&room, "state/m.room.member/@bob:hs1").await;
    assert_eq!(member.must_ok()["membership"], "knock");
    assert_eq!(member.json["reason"], "let me in");
    bob.room_get(&room, "messages?dir=b")
        .await
        .must_error(403, "M_FORBIDDEN");
    bob.join(&room).await.must_error(403, "M_FORBIDDEN");

    // The knocker sees the room under `rooms.knock` with its stripped state; members see the
    // knock in the timeline.
    let state = bob
        .must_sync_until(&mut bob_since, "the room under rooms.knock", |s| {
            s["rooms"]["knock"][&room]["knock_state"]["events"]
                .as_array()
                .cloned()
        })
        .await;
    assert!(
        state
            .iter()
            .any(|e| e["type"] == "m.room.join_rules" && e["content"]["join_rule"] == "knock")
    );
    assert!(state.iter().any(|e| e["type"] == "m.room.member"
        && e["state_key"] == bob.user_id()
        && e["content"]["membership"] == "knock"));
    alice
        .must_sync_until(&mut alice_since, "bob's knock", |s| {
            s["rooms"]["join"][&room]["timeline"]["events"]
                .as_array()?
                .iter()
                .find(|e| e["state_key"] == bob.user_id() && e["content"]["membership"] == "knock")
                .cloned()
        })
        .await;

    // Someone without the power to invite cannot answer it; the room's admin can.
    alice
        .room_post(&room, "invite", json!({ "user_id": carol.user_id() }))
        .await
        .must_ok();
    carol.join(&room).await.must_ok();
    carol
        .room_post(&room, "invite", json!({ "user_id": bob.user_id() }))
        .await
        .must_error(403, "M_FORBIDDEN");
    alice
        .room_post(&room, "invite", json!({ "user_id": bob.user_id() }))
        .await
        .must_ok();
    bob.join(&room).await.must_ok();
    let member = alice.room_get(&room, "state/m.room.member/@bob:hs1").await;
    assert_eq!(member.must_ok()["membership"], "join");
    // Members cannot knock; a banned user cannot either.
    bob.post(&knock(&room), json!({}))
        .await
        .must_error(403, "M_FORBIDDEN");
    alice
        .room_post(&room, "ban", json!({ "user_id": bob.user_id() }))
        .await
        .must_ok();
    bob.post(&knock(&room), json!({}))
        .await
        .must_error(403, "M_FORBIDDEN");
}
