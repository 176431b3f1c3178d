//! Profiles and the user directory.

use complement_tests::{Deployment, json};

#[tokio::test]
async fn display_name_and_avatar_round_trip() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let bob = hs.register("bob").await;
    let base = "/_matrix/client/v3/profile/@alice:hs1";
    alice
        .put(
            &format!("{base}/displayname"),
            json!({ "displayname": "Alice 🐇 爱丽丝" }),
        )
        .await
        .must_ok();
    alice
        .put(
            &format!("{base}/avatar_url"),
            json!({ "avatar_url": "mxc://hs1/abc123" }),
        )
        .await
        .must_ok();
    let profile = bob.get(base).await;
    assert_eq!(profile.must_ok()["displayname"], "Alice 🐇 爱丽丝");
    assert_eq!(profile.json["avatar_url"], "mxc://hs1/abc123");
    let anonymous = hs.client().get(&format!("{base}/displayname")).await;
    assert_eq!(
        anonymous.must_ok(),
        &json!({ "displayname": "Alice 🐇 爱丽丝" })
    );
    // An empty display name clears it.
    alice
        .put(&format!("{base}/displayname"), json!({ "displayname": "" }))
        .await
        .must_ok();
    bob.get(&format!("{base}/displayname"))
        .await
        .must_error(404, "M_NOT_FOUND");
}

#[tokio::test]
async fn extended_fields_can_be_set_and_deleted() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let path = "/_matrix/client/v3/profile/@alice:hs1/m.tz";
    alice
        .put(path, json!({ "m.tz": "Asia/Shanghai" }))
        .await
        .must_ok();
    assert_eq!(alice.get(path).await.must_ok()["m.tz"], "Asia/Shanghai");
    alice.raw("DELETE", path, None).await.must_ok();
    alice.get(path).await.must_error(404, "M_NOT_FOUND");
}

#[tokio::test]
async fn nobody_edits_another_users_profile() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let mallory = hs.register("mallory").await;
    let path = "/_matrix/client/v3/profile/@alice:hs1/displayname";
    alice
        .put(path, json!({ "displayname": "Alice" }))
        .await
        .must_ok();
    mallory
        .put(path, json!({ "displayname": "pwned" }))
        .await
        .must_error(403, "M_FORBIDDEN");
    mallory
        .raw("DELETE", path, None)
        .await
        .must_error(403, "M_FORBIDDEN");
    hs.client()
        .put(path, json!({ "displayname": "anon" }))
        .await
        .must_error(401, "M_MISSING_TOKEN");
    assert_eq!(alice.get(path).await.must_ok()["displayname"], "Alice");
}

#[tokio::test]
async fn bad_profile_input_is_refused_and_changes_nothing() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let base = "/_matrix/client/v3/profile/@alice:hs1";
    alice
        .put(
            &format!("{base}/displayname"),
            json!({ "displayname": "Alice" }),
        )
        .await
        .must_ok();
    alice
        .put(&format!("{base}/displayname"), json!({ "displayname": 42 }))
        .await
        .must_error(400, "M_BAD_JSON");
    alice
        .put(
            &format!("{base}/displayname"),
            json!({ "displayname": "x".repeat(300) }),
        )
        .await
        .must_error(400, "M_INVALID_PARAM");
    alice
        .put(
            &format!("{base}/avatar_url"),
            json!({ "avatar_url": "https://evil.example/a.png" }),
        )
        .await
        .must_error(400, "M_INVALID_PARAM");
    alice
        .put(
            &format!("{base}/m.big"),
            json!({ "m.big": "x".repeat(70_000) }),
        )
        .await
        .must_error(400, "M_PROFILE_TOO_LARGE");
    let profile = alice.get(base).await;
    assert_eq!(profile.must_ok(), &json!({ "displayname": "Alice" }));
}

#[tokio::test]
async fn unknown_users_have_no_profile() {
    let hs = Deployment::one().await;
    let client = hs.client();
    client
        .get("/_matrix/client/v3/profile/@ghost:hs1")
        .await
        .must_error(404, "M_NOT_FOUND");
    client
        .get("/_matrix/client/v3/profile/@ghost:hs1/displayname")
        .await
        .must_error(404, "M_NOT_FOUND");
    client
        .get("/_matrix/client/v3/profile/not-a-user-id")
        .await
        .must_error(400, "M_INVALID_PARAM");
}

#[tokio::test]
async fn user_directory_finds_local_users_by_id_and_name() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let bob = hs.register("bob").await;
    hs.register("bobby").await;
    bob.put(
        "/_matrix/client/v3/profile/@bob:hs1/displayname",
        json!({ "displayname": "Robert Zhang 张" }),
    )
    .await
    .must_ok();
    let search = |term: &str, limit: Option<u32>| {
        let mut body = json!({ "search_term": term });
        if let Some(limit) = limit {
            body["limit"] = json!(limit);
        }
        let alice = alice.clone();
        async move {
            alice
                .post("/_matrix/client/v3/user_directory/search", body)
                .await
        }
    };
    let by_name = search("zhang", None).await;
    assert_eq!(
        by_name.must_ok()["results"],
        json!([{ "user_id": "@bob:hs1", "display_name": "Robert Zhang 张" }])
    );
    assert_eq!(by_name.json["limited"], false);
    let by_id = search("bob", None).await;
    let ids: Vec<_> = by_id.must_ok()["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["user_id"].clone())
        .collect();
    assert_eq!(ids, vec![json!("@bob:hs1"), json!("@bobby:hs1")]);
    let limited = search("bob", Some(1)).await;
    assert_eq!(limited.must_ok()["results"].as_array().unwrap().len(), 1);
    assert_eq!(limited.json["limited"], true);
    hs.client()
        .post(
            "/_matrix/client/v3/user_directory/search",
            json!({ "search_term": "bob" }),
        )
        .await
        .must_error(401, "M_MISSING_TOKEN");
    alice
        .post("/_matrix/client/v3/user_directory/search", json!({}))
        .await
        .must_error(400, "M_MISSING_PARAM");
}

#[tokio::test]
async fn profile_changes_reach_every_joined_room_as_member_events() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let bob = hs.register("bob").await;
    let rooms = [
        alice.create_room(json!({ "preset": "public_chat" })).await,
        alice.create_room(json!({ "preset": "public_chat" })).await,
    ];
    for room in &rooms {
        bob.join(room).await.must_ok();
    }
    let left = alice.create_room(json!({ "preset": "public_chat" })).await;
    alice.room_post(&left, "leave", json!({})).await.must_ok();
    let base = "/_matrix/client/v3/profile/@alice:hs1";
    alice
        .put(
            &format!("{base}/displayname"),
            json!({ "displayname": "Alice L." }),
        )
        .await
        .must_ok();
    alice
        .put(
            &format!("{base}/avatar_url"),
            json!({ "avatar_url": "mxc://hs1/pic" }),
        )
        .await
        .must_ok();
    for room in &rooms {
        let member = bob.room_get(room, "state/m.room.member/@alice:hs1").await;
        assert_eq!(
            member.must_ok(),
            &json!({ "membership": "join", "displayname": "Alice L.", "avatar_url": "mxc://hs1/pic" })
        );
    }
    // Clearing a field clears it in the rooms too; rooms the user left are untouched.
    alice
        .raw("DELETE", &format!("{base}/avatar_url"), None)
        .await
        .must_ok();
    let member = bob
        .room_get(&rooms[0], "state/m.room.member/@alice:hs1")
        .await;
    assert_eq!(
        member.must_ok(),
        &json!({ "membership": "join", "displayname": "Alice L." })
    );
    let gone = alice
        .room_get(&left, "state/m.room.member/@alice:hs1")
        .await;
    assert_eq!(gone.must_ok()["membership"], "leave");
    // The change is a state event with the previous content alongside.
    let messages = bob.room_get(&rooms[0], "messages?dir=b&limit=1").await;
    let latest = &messages.must_ok()["chunk"][0];
    assert_eq!(latest["type"], "m.room.member");
    assert_eq!(
        latest["unsigned"]["prev_content"]["avatar_url"],
        "mxc://hs1/pic"
    );
}
