//! `GET /devices`, `GET/PUT/DELETE /devices/{deviceId}`, `POST /delete_devices`.

use complement_tests::{Deployment, PASSWORD, json};

#[tokio::test]
async fn devices_are_listed_and_renamed() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let device = alice.device_id.clone().unwrap();
    let list = alice.get("/_matrix/client/v3/devices").await;
    let devices = list.must_ok()["devices"].as_array().unwrap().clone();
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0]["device_id"], device.as_str());
    assert!(devices[0]["last_seen_ts"].as_u64().is_some());
    assert_eq!(devices[0]["last_seen_ip"], "127.0.0.1");

    let path = format!("/_matrix/client/v3/devices/{device}");
    alice
        .put(&path, json!({ "display_name": "Work laptop" }))
        .await
        .must_ok();
    assert_eq!(
        alice.get(&path).await.must_ok()["display_name"],
        "Work laptop"
    );
    alice
        .put(&path, json!({ "display_name": 12 }))
        .await
        .must_error(400, "M_BAD_JSON");
    assert_eq!(
        alice.get(&path).await.must_ok()["display_name"],
        "Work laptop"
    );
}

#[tokio::test]
async fn unknown_and_foreign_devices_are_not_found() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let bob = hs.register("bob").await;
    let bobs = format!(
        "/_matrix/client/v3/devices/{}",
        bob.device_id.as_deref().unwrap()
    );
    alice
        .get("/_matrix/client/v3/devices/NOPE")
        .await
        .must_error(404, "M_NOT_FOUND");
    alice.get(&bobs).await.must_error(404, "M_NOT_FOUND");
    alice
        .put(&bobs, json!({ "display_name": "pwned" }))
        .await
        .must_error(404, "M_NOT_FOUND");
    alice
        .raw("DELETE", &bobs, Some(json!({})))
        .await
        .must_error(404, "M_NOT_FOUND");
    assert!(
        bob.get(&bobs).await.must_ok()["display_name"].is_null(),
        "unchanged by the failed rename"
    );
    hs.client()
        .get("/_matrix/client/v3/devices")
        .await
        .must_error(401, "M_MISSING_TOKEN");
}

#[tokio::test]
async fn deleting_a_device_needs_the_password_and_kills_its_token() {
    let hs = Deployment::one().await;
    let phone = hs.register("carol").await;
    let laptop = hs.client().login("carol", PASSWORD).await;
    let path = format!(
        "/_matrix/client/v3/devices/{}",
        laptop.device_id.as_deref().unwrap()
    );
    let challenge = phone.raw("DELETE", &path, Some(json!({}))).await;
    challenge.must_status(401);
    assert_eq!(
        challenge.json["flows"],
        json!([{ "stages": ["m.login.password"] }])
    );
    laptop.whoami().await.must_ok();

    let auth = json!({ "auth": {
        "type": "m.login.password", "identifier": { "type": "m.id.user", "user": "carol" },
        "password": PASSWORD, "session": challenge.json["session"],
    }});
    phone.raw("DELETE", &path, Some(auth)).await.must_ok();
    laptop.whoami().await.must_error(401, "M_UNKNOWN_TOKEN");
    phone.get(&path).await.must_error(404, "M_NOT_FOUND");
}

#[tokio::test]
async fn delete_devices_removes_several() {
    let hs = Deployment::one().await;
    let main = hs.register("dave").await;
    let a = hs.client().login("dave", PASSWORD).await;
    let b = hs.client().login("dave", PASSWORD).await;
    let ids = json!([a.device_id, b.device_id, "UNKNOWN"]);
    let challenge = main
        .post(
            "/_matrix/client/v3/delete_devices",
            json!({ "devices": ids }),
        )
        .await;
    challenge.must_status(401);
    a.whoami().await.must_ok();
    let auth = json!({
        "type": "m.login.password", "identifier": { "type": "m.id.user", "user": "dave" },
        "password": PASSWORD, "session": challenge.json["session"],
    });
    main.post(
        "/_matrix/client/v3/delete_devices",
        json!({ "devices": ids, "auth": auth }),
    )
    .await
    .must_ok();
    a.whoami().await.must_error(401, "M_UNKNOWN_TOKEN");
    b.whoami().await.must_error(401, "M_UNKNOWN_TOKEN");
    let left = main.get("/_matrix/client/v3/devices").await;
    assert_eq!(left.must_ok()["devices"].as_array().unwrap().len(), 1);
    main.post("/_matrix/client/v3/delete_devices", json!({}))
        .await
        .must_error(400, "M_MISSING_PARAM");
}
