//! `POST /register`, `GET /register/available`, registration tokens, refresh tokens.

use complement_tests::{Deployment, Homeserver, PASSWORD, ServerOptions, json};

async fn available(hs: &Homeserver, name: &str) -> complement_tests::RawResponse {
    hs.client()
        .get(&format!(
            "/_matrix/client/v3/register/available?username={name}"
        ))
        .await
}

#[tokio::test]
async fn register_offers_the_dummy_flow_then_creates_the_account() {
    let hs = Deployment::one().await;
    let client = hs.client();
    let challenge = client
        .post(
            "/_matrix/client/v3/register",
            json!({ "username": "alice", "password": PASSWORD }),
        )
        .await;
    challenge.must_status(401);
    assert_eq!(
        challenge.json["flows"],
        json!([{ "stages": ["m.login.dummy"] }])
    );
    let session = challenge.json["session"]
        .as_str()
        .expect("session")
        .to_owned();
    assert!(
        available(&hs, "alice").await.must_ok()["available"] == true,
        "a challenge creates nothing"
    );

    let done = client
        .post(
            "/_matrix/client/v3/register",
            json!({ "username": "alice", "password": PASSWORD, "auth": { "type": "m.login.dummy", "session": session } }),
        )
        .await;
    let body = done.must_ok();
    assert_eq!(body["user_id"], "@alice:hs1");
    assert!(body["access_token"].as_str().unwrap().len() >= 22);
    let alice = client.logged_in(body);
    let whoami = alice.whoami().await;
    assert_eq!(whoami.must_ok()["user_id"], "@alice:hs1");
    assert_eq!(whoami.json["device_id"], body["device_id"]);
    available(&hs, "alice")
        .await
        .must_error(400, "M_USER_IN_USE");
}

#[tokio::test]
async fn a_taken_username_is_refused_before_any_auth() {
    let hs = Deployment::one().await;
    hs.register("bob").await;
    let again = hs
        .client()
        .post(
            "/_matrix/client/v3/register",
            json!({ "username": "bob", "password": "x" }),
        )
        .await;
    again.must_error(400, "M_USER_IN_USE");
    // The original password still works: nothing was overwritten.
    hs.client().login("bob", PASSWORD).await;
}

#[tokio::test]
async fn invalid_usernames_are_refused_and_create_nothing() {
    let hs = Deployment::one().await;
    for name in ["Alice", "al ice", "_bridge", "élise", "a:b", ""] {
        let response = hs
            .client()
            .post(
                "/_matrix/client/v3/register",
                json!({ "username": name, "password": PASSWORD, "auth": { "type": "m.login.dummy" } }),
            )
            .await;
        response.must_error(400, "M_INVALID_USERNAME");
    }
    available(&hs, "Alice")
        .await
        .must_error(400, "M_INVALID_USERNAME");
    let login = hs.client().post("/_matrix/client/v3/login", json!({
        "type": "m.login.password", "identifier": { "type": "m.id.user", "user": "al ice" }, "password": PASSWORD,
    })).await;
    login.must_error(403, "M_FORBIDDEN");
}

#[tokio::test]
async fn availability_needs_a_username() {
    let hs = Deployment::one().await;
    hs.client()
        .get("/_matrix/client/v3/register/available")
        .await
        .must_error(400, "M_MISSING_PARAM");
    assert_eq!(available(&hs, "free").await.must_ok()["available"], true);
}

#[tokio::test]
async fn without_a_username_one_is_generated() {
    let hs = Deployment::one().await;
    let response = hs
        .client()
        .post(
            "/_matrix/client/v3/register",
            json!({ "password": PASSWORD, "auth": { "type": "m.login.dummy" } }),
        )
        .await;
    let user_id = response.must_ok()["user_id"].as_str().unwrap().to_owned();
    assert!(user_id.ends_with(":hs1"), "{user_id}");
    let localpart = user_id.trim_start_matches('@').trim_end_matches(":hs1");
    hs.client().login(localpart, PASSWORD).await;
}

#[tokio::test]
async fn inhibit_login_returns_no_session() {
    let hs = Deployment::one().await;
    let response = hs
        .client()
        .post(
            "/_matrix/client/v3/register",
            json!({ "username": "carol", "password": PASSWORD, "inhibit_login": true, "auth": { "type": "m.login.dummy" } }),
        )
        .await;
    let body = response.must_ok();
    assert_eq!(body["user_id"], "@carol:hs1");
    assert!(
        body["access_token"].is_null() && body["device_id"].is_null(),
        "{body}"
    );
    hs.client().login("carol", PASSWORD).await;
}

#[tokio::test]
async fn device_id_and_display_name_are_honoured() {
    let hs = Deployment::one().await;
    let body = hs
        .client()
        .post(
            "/_matrix/client/v3/register",
            json!({
                "username": "dave", "password": PASSWORD, "device_id": "MYPHONE",
                "initial_device_display_name": "Dave's phone", "auth": { "type": "m.login.dummy" },
            }),
        )
        .await;
    let dave = hs.client().logged_in(body.must_ok());
    assert_eq!(dave.device_id.as_deref(), Some("MYPHONE"));
    let device = dave.get("/_matrix/client/v3/devices/MYPHONE").await;
    assert_eq!(device.must_ok()["display_name"], "Dave's phone");
}

#[tokio::test]
async fn missing_password_is_refused_after_auth_and_creates_nothing() {
    let hs = Deployment::one().await;
    let response = hs
        .client()
        .post(
            "/_matrix/client/v3/register",
            json!({ "username": "erin", "auth": { "type": "m.login.dummy" } }),
        )
        .await;
    response.must_error(400, "M_MISSING_PARAM");
    assert_eq!(available(&hs, "erin").await.must_ok()["available"], true);
}

#[tokio::test]
async fn malformed_bodies_are_refused_and_create_nothing() {
    let hs = Deployment::one().await;
    let client = hs.client();
    let not_json = client
        .raw_bytes(
            "POST",
            "/_matrix/client/v3/register",
            b"{username: frank".to_vec(),
            &[("content-type", "application/json")],
        )
        .await;
    not_json.must_error(400, "M_NOT_JSON");
    let bad = client
        .post(
            "/_matrix/client/v3/register",
            json!({ "username": 5, "password": PASSWORD, "auth": { "type": "m.login.dummy" } }),
        )
        .await;
    bad.must_error(400, "M_BAD_JSON");
    let bad_inhibit = client
        .post("/_matrix/client/v3/register", json!({ "username": "frank", "password": PASSWORD, "inhibit_login": "yes", "auth": { "type": "m.login.dummy" } }))
        .await;
    bad_inhibit.must_error(400, "M_BAD_JSON");
    assert_eq!(available(&hs, "frank").await.must_ok()["available"], true);
}

#[tokio::test]
async fn guests_are_refused() {
    let hs = Deployment::one().await;
    let response = hs
        .client()
        .post("/_matrix/client/v3/register?kind=guest", json!({}))
        .await;
    response.must_error(403, "M_GUEST_ACCESS_FORBIDDEN");
}

#[tokio::test]
async fn disabled_registration_is_forbidden() {
    let hs = Homeserver::start(ServerOptions {
        registration_enabled: false,
        ..Default::default()
    })
    .await;
    let response = hs
        .client()
        .post("/_matrix/client/v3/register", json!({ "username": "gina", "password": PASSWORD, "auth": { "type": "m.login.dummy" } }))
        .await;
    response.must_error(403, "M_FORBIDDEN");
    assert_eq!(available(&hs, "gina").await.must_ok()["available"], true);
}

#[tokio::test]
async fn registration_token_is_required_when_configured() {
    let hs = Homeserver::start(ServerOptions {
        require_token: true,
        tokens: vec!["let-me-in".into()],
        ..Default::default()
    })
    .await;
    let client = hs.client();
    let register = |auth: serde_json::Value| {
        let client = client.clone();
        async move {
            client
                .post(
                    "/_matrix/client/v3/register",
                    json!({ "username": "hank", "password": PASSWORD, "auth": auth }),
                )
                .await
        }
    };
    let challenge = register(serde_json::Value::Null).await;
    challenge.must_status(401);
    assert_eq!(
        challenge.json["flows"],
        json!([{ "stages": ["m.login.registration_token"] }])
    );

    let dummy = register(json!({ "type": "m.login.dummy" })).await;
    dummy.must_status(401);
    let wrong = register(json!({ "type": "m.login.registration_token", "token": "nope" })).await;
    wrong.must_error(401, "M_UNAUTHORIZED");
    assert!(wrong.json["flows"].is_array());
    assert_eq!(available(&hs, "hank").await.must_ok()["available"], true);

    let validity = "/_matrix/client/v1/register/m.login.registration_token/validity";
    assert_eq!(
        client
            .get(&format!("{validity}?token=let-me-in"))
            .await
            .must_ok()["valid"],
        true
    );
    assert_eq!(
        client
            .get(&format!("{validity}?token=nope"))
            .await
            .must_ok()["valid"],
        false
    );
    client
        .get(&format!("{validity}?token=no%20spaces"))
        .await
        .must_error(400, "M_INVALID_PARAM");
    client
        .get(validity)
        .await
        .must_error(400, "M_MISSING_PARAM");

    let ok = register(json!({ "type": "m.login.registration_token", "token": "let-me-in" })).await;
    assert_eq!(ok.must_ok()["user_id"], "@hank:hs1");
}

#[tokio::test]
async fn registration_is_rate_limited_per_address() {
    let hs = Homeserver::start(ServerOptions {
        registration_limit: (0.01, 2),
        ..Default::default()
    })
    .await;
    hs.register("r1").await;
    hs.register("r2").await;
    let limited = hs
        .client()
        .post(
            "/_matrix/client/v3/register",
            json!({ "username": "r3", "password": PASSWORD, "auth": { "type": "m.login.dummy" } }),
        )
        .await;
    limited.must_error(429, "M_LIMIT_EXCEEDED");
    assert!(
        limited.json["retry_after_ms"].as_u64().unwrap() > 0,
        "{limited:?}"
    );
    assert!(limited.header("retry-after").is_some());
}

#[tokio::test]
async fn refresh_tokens_rotate() {
    let hs = Deployment::one().await;
    let body = hs
        .client()
        .post(
            "/_matrix/client/v3/register",
            json!({ "username": "ivy", "password": PASSWORD, "refresh_token": true, "auth": { "type": "m.login.dummy" } }),
        )
        .await;
    let body = body.must_ok().clone();
    let refresh_token = body["refresh_token"]
        .as_str()
        .expect("refresh_token")
        .to_owned();
    assert_eq!(body["expires_in_ms"], 3_600_000);
    let ivy = hs.client().logged_in(&body);

    let refreshed = hs
        .client()
        .post(
            "/_matrix/client/v3/refresh",
            json!({ "refresh_token": refresh_token }),
        )
        .await;
    let refreshed = refreshed.must_ok().clone();
    let new_access = refreshed["access_token"].as_str().unwrap();
    assert_ne!(refreshed["refresh_token"], body["refresh_token"]);
    let whoami = ivy.with_token(Some(new_access)).whoami().await;
    assert_eq!(whoami.must_ok()["device_id"], body["device_id"]);
    ivy.whoami().await.must_error(401, "M_UNKNOWN_TOKEN");

    let reused = hs
        .client()
        .post(
            "/_matrix/client/v3/refresh",
            json!({ "refresh_token": refresh_token }),
        )
        .await;
    reused.must_error(401, "M_UNKNOWN_TOKEN");
    hs.client()
        .post("/_matrix/client/v3/refresh", json!({}))
        .await
        .must_error(400, "M_MISSING_PARAM");
}

#[tokio::test]
async fn expired_access_tokens_are_a_soft_logout() {
    let hs = Homeserver::start(ServerOptions {
        refreshable_token_lifetime_secs: 1,
        ..Default::default()
    })
    .await;
    let body = hs
        .client()
        .post(
            "/_matrix/client/v3/register",
            json!({ "username": "jay", "password": PASSWORD, "refresh_token": true, "auth": { "type": "m.login.dummy" } }),
        )
        .await;
    let jay = hs.client().logged_in(body.must_ok());
    complement_tests::must_eventually("token expiry", std::time::Duration::from_secs(10), || {
        let jay = jay.clone();
        async move {
            let r = jay.whoami().await;
            (r.status == 401).then_some(r)
        }
    })
    .await
    .must_error(401, "M_UNKNOWN_TOKEN");
    let expired = jay.whoami().await;
    assert_eq!(expired.json["soft_logout"], true, "{expired:?}");
}
