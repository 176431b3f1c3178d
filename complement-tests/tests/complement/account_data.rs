//! Account data, room tags, ignored users and to-device messages.

use complement_tests::{Deployment, bodies, json, sync_timeline};

#[tokio::test]
async fn global_and_room_account_data_round_trip_and_sync() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let bob = hs.register("bob").await;
    let room = alice.create_room(json!({})).await;
    let mut since = alice.sync(None, "").await.must_ok()["next_batch"]
        .as_str()
        .map(str::to_owned);
    let user = alice.user_id().to_owned();
    let global = format!("/_matrix/client/v3/user/{user}/account_data/org.example.settings");
    let in_room =
        format!("/_matrix/client/v3/user/{user}/rooms/{room}/account_data/org.example.draft");
    alice.get(&global).await.must_error(404, "M_NOT_FOUND");
    alice
        .put(&global, json!({ "theme": "dark" }))
        .await
        .must_ok();
    alice
        .put(&in_room, json!({ "text": "half a thought" }))
        .await
        .must_ok();
    assert_eq!(alice.get(&global).await.must_ok()["theme"], "dark");
    assert_eq!(
        alice.get(&in_room).await.must_ok()["text"],
        "half a thought"
    );
    let (g, r) = alice
        .must_sync_until(&mut since, "both account data events", |s| {
            let g = s["account_data"]["events"]
                .as_array()?
                .iter()
                .find(|e| e["type"] == "org.example.settings")?
                .clone();
            let r = s["rooms"]["join"][&room]["account_data"]["events"]
                .as_array()?
                .iter()
                .find(|e| e["type"] == "org.example.draft")?
                .clone();
            Some((g, r))
        })
        .await;
    assert_eq!(g["content"]["theme"], "dark");
    assert_eq!(r["content"]["text"], "half a thought");
    // m.direct, as clients keep their DM list.
    let direct = format!("/_matrix/client/v3/user/{user}/account_data/m.direct");
    alice
        .put(&direct, json!({ bob.user_id(): [room] }))
        .await
        .must_ok();
    let initial = alice.sync(None, "").await;
    let events = initial.must_ok()["account_data"]["events"]
        .as_array()
        .unwrap()
        .clone();
    assert!(
        events
            .iter()
            .any(|e| e["type"] == "m.direct" && e["content"][bob.user_id()][0] == room.as_str())
    );

    // Bad inputs: others' data, server-managed types, non-objects.
    bob.put(&global, json!({ "theme": "light" }))
        .await
        .must_error(403, "M_FORBIDDEN");
    bob.get(&global).await.must_error(403, "M_FORBIDDEN");
    alice
        .put(
            &format!("/_matrix/client/v3/user/{user}/account_data/m.push_rules"),
            json!({}),
        )
        .await
        .must_error(405, "M_BAD_JSON");
    alice
        .put(
            &format!("/_matrix/client/v3/user/{user}/rooms/{room}/account_data/m.fully_read"),
            json!({ "event_id": "$x" }),
        )
        .await
        .must_error(405, "M_BAD_JSON");
    alice
        .put(&global, json!(["not", "an", "object"]))
        .await
        .must_error(400, "M_BAD_JSON");
    assert_eq!(alice.get(&global).await.must_ok()["theme"], "dark");
}

#[tokio::test]
async fn room_tags_are_set_listed_synced_and_removed() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let bob = hs.register("bob").await;
    let room = alice.create_room(json!({})).await;
    let mut since = alice.sync(None, "").await.must_ok()["next_batch"]
        .as_str()
        .map(str::to_owned);
    let tags = format!(
        "/_matrix/client/v3/user/{}/rooms/{room}/tags",
        alice.user_id()
    );
    alice
        .put(&format!("{tags}/m.favourite"), json!({ "order": 0.25 }))
        .await
        .must_ok();
    alice
        .put(&format!("{tags}/u.work"), json!({}))
        .await
        .must_ok();
    let listed = alice.get(&tags).await;
    assert_eq!(listed.must_ok()["tags"]["m.favourite"]["order"], 0.25);
    assert!(listed.json["tags"]["u.work"].is_object());
    alice
        .must_sync_until(&mut since, "the m.tag event", |s| {
            s["rooms"]["join"][&room]["account_data"]["events"]
                .as_array()?
                .iter()
                .find(|e| e["type"] == "m.tag" && e["content"]["tags"]["u.work"].is_object())
                .cloned()
        })
        .await;
    alice
        .raw("DELETE", &format!("{tags}/u.work"), None)
        .await
        .must_ok();
    let listed = alice.get(&tags).await;
    assert!(listed.must_ok()["tags"].get("u.work").is_none());
    assert!(listed.json["tags"]["m.favourite"].is_object());
    bob.put(&format!("{tags}/u.sneaky"), json!({}))
        .await
        .must_error(403, "M_FORBIDDEN");
    bob.get(&tags).await.must_error(403, "M_FORBIDDEN");
    alice
        .put(&format!("{tags}/u.bad"), json!({ "order": "first" }))
        .await
        .must_error(400, "M_BAD_JSON");
}

#[tokio::test]
async fn ignored_users_messages_and_invites_are_hidden() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let carol = hs.register("carol").await;
    let room = alice.create_room(json!({ "preset": "public_chat" })).await;
    carol.join(&room).await.must_ok();
    let path = format!(
        "/_matrix/client/v3/user/{}/account_data/m.ignored_user_list",
        alice.user_id()
    );
    alice
        .put(&path, json!({ "ignored_users": { carol.user_id(): {} } }))
        .await
        .must_ok();
    carol.send_text(&room, "spam").await;
    alice.send_text(&room, "hello").await;
    let carols_room = carol
        .create_room(json!({ "invite": [alice.user_id()] }))
        .await;
    let response = alice.sync(None, "").await;
    let body = response.must_ok();
    let texts = bodies(&sync_timeline(body, &room));
    assert!(texts.contains(&"hello".to_owned()));
    assert!(!texts.contains(&"spam".to_owned()), "{texts:?}");
    assert!(body["rooms"]["invite"].get(&carols_room).is_none());
    // Unignored, the history shows again.
    alice
        .put(&path, json!({ "ignored_users": {} }))
        .await
        .must_ok();
    let response = alice.sync(None, "").await;
    let body = response.must_ok();
    assert!(bodies(&sync_timeline(body, &room)).contains(&"spam".to_owned()));
    assert!(body["rooms"]["invite"].get(&carols_room).is_some());
}

#[tokio::test]
async fn to_device_messages_arrive_exactly_once() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let bob = hs.register("bob").await;
    let bob_device = bob.device_id.clone().unwrap();
    let first = bob.sync(None, "").await;
    let since = first.must_ok()["next_batch"].as_str().unwrap().to_owned();
    let send = |txn: &str, text: &str| {
        let alice = alice.clone();
        let path = format!("/_matrix/client/v3/sendToDevice/org.example.ping/{txn}");
        let body =
            json!({ "messages": { bob.user_id(): { bob_device.clone(): { "text": text } } } });
        async move { alice.put(&path, body).await }
    };
    send("t1", "one").await.must_ok();
    // A retried transaction queues nothing new.
    send("t1", "one again").await.must_ok();
    send("t2", "two").await.must_ok();
    let response = bob.sync(Some(&since), "timeout=0").await;
    let body = response.must_ok().clone();
    let texts: Vec<&str> = body["to_device"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["content"]["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["one", "two"]);
    assert_eq!(body["to_device"]["events"][0]["sender"], alice.user_id());
    assert_eq!(body["to_device"]["events"][0]["type"], "org.example.ping");
    // Not acknowledged yet: the same since gives them again.
    let again = bob.sync(Some(&since), "timeout=0").await;
    assert_eq!(
        again.must_ok()["to_device"]["events"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // Syncing on from the response acknowledges them: gone for good.
    let next = body["next_batch"].as_str().unwrap();
    let after = bob.sync(Some(next), "timeout=0").await;
    assert!(
        after.must_ok()["to_device"]["events"]
            .as_array()
            .is_none_or(|e| e.is_empty())
    );
    let replay = bob.sync(Some(&since), "timeout=0").await;
    assert!(
        replay.must_ok()["to_device"]["events"]
            .as_array()
            .is_none_or(|e| e.is_empty())
    );
    // `*` reaches every device.
    let second_device = hs.client().login("bob", complement_tests::PASSWORD).await;
    let path = "/_matrix/client/v3/sendToDevice/org.example.ping/t3";
    alice
        .put(
            path,
            json!({ "messages": { bob.user_id(): { "*": { "text": "all" } } } }),
        )
        .await
        .must_ok();
    for device in [&bob, &second_device] {
        let response = device.sync(None, "").await;
        let events = response.must_ok()["to_device"]["events"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(
            events.iter().any(|e| e["content"]["text"] == "all"),
            "{events:?}"
        );
    }
    // Bad input.
    alice
        .put(
            "/_matrix/client/v3/sendToDevice/org.example.ping/t4",
            json!({ "messages": "nope" }),
        )
        .await
        .must_error(400, "M_BAD_JSON");
}

#[tokio::test]
async fn a_new_device_shows_in_device_lists_of_those_who_share_a_room() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let bob = hs.register("bob").await;
    let stranger = hs.register("stranger").await;
    let room = alice.create_room(json!({ "preset": "public_chat" })).await;
    bob.join(&room).await.must_ok();
    let mut since = bob.sync(None, "").await.must_ok()["next_batch"]
        .as_str()
        .map(str::to_owned);
    let stranger_since = stranger.sync(None, "").await.must_ok()["next_batch"]
        .as_str()
        .unwrap()
        .to_owned();
    hs.client().login("alice", complement_tests::PASSWORD).await;
    bob.must_sync_until(&mut since, "alice in device_lists.changed", |s| {
        s["device_lists"]["changed"]
            .as_array()?
            .iter()
            .any(|u| u == alice.user_id())
            .then_some(())
    })
    .await;
    let theirs = stranger.sync(Some(&stranger_since), "timeout=0").await;
    let changed = theirs.must_ok()["device_lists"]["changed"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(!changed.iter().any(|u| u == alice.user_id()), "{changed:?}");
}
