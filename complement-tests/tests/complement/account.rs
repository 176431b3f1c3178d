//! `POST /account/password` and `POST /account/deactivate` (User-Interactive Auth).

use complement_tests::{Deployment, PASSWORD, json};

fn password_auth(user: &str, password: &str, session: &serde_json::Value) -> serde_json::Value {
    json!({
        "type": "m.login.password",
        "identifier": { "type": "m.id.user", "user": user },
        "password": password,
        "session": session,
    })
}

#[tokio::test]
async fn change_password_logs_out_other_devices() {
    let hs = Deployment::one().await;
    let phone = hs.register("alice").await;
    let laptop = hs.client().login("alice", PASSWORD).await;
    let path = "/_matrix/client/v3/account/password";

    let challenge = phone
        .post(path, json!({ "new_password": "new secret" }))
        .await;
    challenge.must_status(401);
    assert_eq!(
        challenge.json["flows"],
        json!([{ "stages": ["m.login.password"] }])
    );
    let session = challenge.json["session"].clone();

    let wrong = phone.post(path, json!({ "new_password": "new secret", "auth": password_auth("alice", "wrong", &session) })).await;
    wrong.must_error(401, "M_FORBIDDEN");
    assert!(wrong.json["flows"].is_array());
    hs.client().login("alice", PASSWORD).await;

    phone
        .post(path, json!({ "new_password": "new secret", "auth": password_auth("alice", PASSWORD, &session) }))
        .await
        .must_ok();
    phone.whoami().await.must_ok();
    laptop.whoami().await.must_error(401, "M_UNKNOWN_TOKEN");
    hs.client()
        .post(
            "/_matrix/client/v3/login",
            json!({ "type": "m.login.password", "user": "alice", "password": PASSWORD }),
        )
        .await
        .must_error(403, "M_FORBIDDEN");
    hs.client().login("alice", "new secret").await;
}

#[tokio::test]
async fn change_password_can_keep_other_devices() {
    let hs = Deployment::one().await;
    let phone = hs.register("bob").await;
    let laptop = hs.client().login("bob", PASSWORD).await;
    let body = json!({
        "new_password": "another", "logout_devices": false,
        "auth": password_auth("@bob:hs1", PASSWORD, &serde_json::Value::Null),
    });
    phone
        .post("/_matrix/client/v3/account/password", body)
        .await
        .must_ok();
    laptop.whoami().await.must_ok();
}

#[tokio::test]
async fn someone_elses_password_does_not_authenticate_you() {
    let hs = Deployment::one().await;
    let carol = hs.register("carol").await;
    hs.register("mallory").await;
    let attempt = carol
        .post(
            "/_matrix/client/v3/account/deactivate",
            json!({ "auth": password_auth("mallory", PASSWORD, &serde_json::Value::Null) }),
        )
        .await;
    attempt.must_error(401, "M_FORBIDDEN");
    carol.whoami().await.must_ok();
}

#[tokio::test]
async fn a_session_from_one_endpoint_is_refused_by_another() {
    let hs = Deployment::one().await;
    let dave = hs.register("dave").await;
    let challenge = dave
        .post(
            "/_matrix/client/v3/account/password",
            json!({ "new_password": "x" }),
        )
        .await;
    let session = challenge.json["session"].clone();
    let misuse = dave
        .post(
            "/_matrix/client/v3/account/deactivate",
            json!({ "auth": password_auth("dave", PASSWORD, &session) }),
        )
        .await;
    misuse.must_status(400);
    dave.whoami().await.must_ok();
}

#[tokio::test]
async fn deactivation_is_final() {
    let hs = Deployment::one().await;
    let erin = hs.register("erin").await;
    erin.put(
        "/_matrix/client/v3/profile/@erin:hs1/displayname",
        json!({ "displayname": "Erin" }),
    )
    .await
    .must_ok();
    let other = hs.client().login("erin", PASSWORD).await;
    let challenge = erin
        .post("/_matrix/client/v3/account/deactivate", json!({}))
        .await;
    challenge.must_status(401);
    let done = erin
        .post(
            "/_matrix/client/v3/account/deactivate",
            json!({ "auth": password_auth("erin", PASSWORD, &challenge.json["session"]) }),
        )
        .await;
    assert_eq!(done.must_ok()["id_server_unbind_result"], "no-support");
    erin.whoami().await.must_error(401, "M_UNKNOWN_TOKEN");
    other.whoami().await.must_error(401, "M_UNKNOWN_TOKEN");
    hs.client()
        .post(
            "/_matrix/client/v3/login",
            json!({ "type": "m.login.password", "user": "erin", "password": PASSWORD }),
        )
        .await
        .must_error(403, "M_USER_DEACTIVATED");
    hs.client()
        .get("/_matrix/client/v3/register/available?username=erin")
        .await
        .must_error(400, "M_USER_IN_USE");
    hs.client()
        .get("/_matrix/client/v3/profile/@erin:hs1")
        .await
        .must_error(404, "M_NOT_FOUND");
}

#[tokio::test]
async fn empty_or_oversized_new_passwords_are_refused_before_auth() {
    let hs = Deployment::one().await;
    let frank = hs.register("frank").await;
    let path = "/_matrix/client/v3/account/password";
    frank
        .post(path, json!({ "new_password": "" }))
        .await
        .must_error(400, "M_INVALID_PARAM");
    frank
        .post(path, json!({ "new_password": "x".repeat(600) }))
        .await
        .must_error(400, "M_INVALID_PARAM");
    frank
        .post(path, json!({}))
        .await
        .must_error(400, "M_MISSING_PARAM");
    hs.client().login("frank", PASSWORD).await;
}
