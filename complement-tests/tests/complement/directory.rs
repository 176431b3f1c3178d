//! Room aliases and the public room directory.

use complement_tests::{Deployment, json};

#[tokio::test]
async fn aliases_can_be_created_resolved_listed_and_deleted() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let bob = hs.register("bob").await;
    let room = alice.create_room(json!({ "preset": "public_chat" })).await;
    let path = "/_matrix/client/v3/directory/room/%23chat:hs1";
    alice.put(path, json!({ "room_id": room })).await.must_ok();
    alice
        .put(path, json!({ "room_id": room }))
        .await
        .must_error(409, "M_UNKNOWN");
    let resolved = hs.client().get(path).await;
    assert_eq!(resolved.must_ok()["room_id"], room.as_str());
    assert_eq!(resolved.json["servers"], json!(["hs1"]));
    assert_eq!(
        alice.room_get(&room, "aliases").await.must_ok()["aliases"],
        json!(["#chat:hs1"])
    );
    // Not a member: no aliases for them, and they cannot add or remove any.
    bob.put(
        "/_matrix/client/v3/directory/room/%23bobs:hs1",
        json!({ "room_id": room }),
    )
    .await
    .must_error(403, "M_FORBIDDEN");
    bob.room_get(&room, "aliases")
        .await
        .must_error(403, "M_FORBIDDEN");
    bob.join(&room).await.must_ok();
    bob.raw("DELETE", path, None)
        .await
        .must_error(403, "M_FORBIDDEN");
    alice
        .put(
            "/_matrix/client/v3/directory/room/%23x:elsewhere",
            json!({ "room_id": room }),
        )
        .await
        .must_error(400, "M_INVALID_PARAM");
    alice
        .put(
            "/_matrix/client/v3/directory/room/%23y:hs1",
            json!({ "room_id": "!missing:hs1" }),
        )
        .await
        .must_error(404, "M_NOT_FOUND");
    alice
        .put(
            "/_matrix/client/v3/directory/room/not-an-alias",
            json!({ "room_id": room }),
        )
        .await
        .must_error(400, "M_INVALID_PARAM");
    alice.raw("DELETE", path, None).await.must_ok();
    hs.client().get(path).await.must_error(404, "M_NOT_FOUND");
    alice
        .raw("DELETE", path, None)
        .await
        .must_error(404, "M_NOT_FOUND");
}

#[tokio::test]
async fn public_rooms_are_listed_searched_and_paginated() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let bob = hs.register("bob").await;
    let cooking = alice.create_room(json!({ "visibility": "public", "preset": "public_chat", "name": "Cooking", "topic": "Recipes and 饺子", "room_alias_name": "cooking" })).await;
    let hiking = alice
        .create_room(json!({ "visibility": "public", "preset": "public_chat", "name": "Hiking" }))
        .await;
    let secret = alice.create_room(json!({ "name": "Secret" })).await;
    bob.join(&cooking).await.must_ok();

    let list = hs.client().get("/_matrix/client/v3/publicRooms").await;
    let chunk = list.must_ok()["chunk"].as_array().unwrap().clone();
    let ids: Vec<_> = chunk
        .iter()
        .map(|r| r["room_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        ids,
        vec![cooking.clone(), hiking.clone()],
        "most members first, private rooms absent"
    );
    assert_eq!(chunk[0]["num_joined_members"], 2);
    assert_eq!(chunk[0]["canonical_alias"], "#cooking:hs1");
    // `join_rule` may be left out when it is "public" (its default).
    assert!(chunk[0]["join_rule"].is_null() || chunk[0]["join_rule"] == "public");
    assert_eq!(list.json["total_room_count_estimate"], 2);

    let page1 = hs
        .client()
        .get("/_matrix/client/v3/publicRooms?limit=1")
        .await;
    assert_eq!(page1.must_ok()["chunk"].as_array().unwrap().len(), 1);
    let next = page1.json["next_batch"].as_str().unwrap();
    let page2 = hs
        .client()
        .get(&format!(
            "/_matrix/client/v3/publicRooms?limit=1&since={next}"
        ))
        .await;
    assert_eq!(page2.must_ok()["chunk"][0]["room_id"], hiking.as_str());
    assert!(page2.json.get("next_batch").is_none());

    let search = alice
        .post(
            "/_matrix/client/v3/publicRooms",
            json!({ "filter": { "generic_search_term": "饺子" } }),
        )
        .await;
    assert_eq!(search.must_ok()["chunk"].as_array().unwrap().len(), 1);
    assert_eq!(search.json["chunk"][0]["room_id"], cooking.as_str());
    hs.client()
        .post("/_matrix/client/v3/publicRooms", json!({}))
        .await
        .must_error(401, "M_MISSING_TOKEN");

    let vis = |room: &str| format!("/_matrix/client/v3/directory/list/room/{room}");
    assert_eq!(
        hs.client().get(&vis(&secret)).await.must_ok()["visibility"],
        "private"
    );
    bob.put(&vis(&cooking), json!({ "visibility": "private" }))
        .await
        .must_error(403, "M_FORBIDDEN");
    alice
        .put(&vis(&secret), json!({ "visibility": "public" }))
        .await
        .must_ok();
    assert_eq!(
        hs.client().get(&vis(&secret)).await.must_ok()["visibility"],
        "public"
    );
    alice
        .put(&vis(&hiking), json!({ "visibility": "private" }))
        .await
        .must_ok();
    let list = hs.client().get("/_matrix/client/v3/publicRooms").await;
    assert_eq!(list.must_ok()["chunk"].as_array().unwrap().len(), 2);
    hs.client()
        .get(&vis("!missing:hs1"))
        .await
        .must_error(404, "M_NOT_FOUND");
}
