//! `POST /login`, `/logout`, `/logout/all`, `GET /account/whoami`, and token handling.

use complement_tests::{Deployment, Homeserver, PASSWORD, ServerOptions, json};

fn password_login(user: serde_json::Value, password: &str) -> serde_json::Value {
    json!({ "type": "m.login.password", "identifier": user, "password": password })
}

#[tokio::test]
async fn login_by_localpart_full_id_and_legacy_user_field() {
    let hs = Deployment::one().await;
    hs.register("alice").await;
    let client = hs.client();
    for body in [
        password_login(json!({ "type": "m.id.user", "user": "alice" }), PASSWORD),
        password_login(
            json!({ "type": "m.id.user", "user": "@alice:hs1" }),
            PASSWORD,
        ),
        json!({ "type": "m.login.password", "user": "alice", "password": PASSWORD }),
    ] {
        let response = client.post("/_matrix/client/v3/login", body).await;
        let body = response.must_ok();
        assert_eq!(body["user_id"], "@alice:hs1");
        assert_eq!(
            body["well_known"]["m.homeserver"]["base_url"],
            "https://hs1.example"
        );
        let session = client.logged_in(body);
        session.whoami().await.must_ok();
    }
    let alice = client.login("alice", PASSWORD).await;
    let devices = alice.get("/_matrix/client/v3/devices").await;
    assert_eq!(
        devices.must_ok()["devices"].as_array().unwrap().len(),
        5,
        "register + 4 logins"
    );
}

#[tokio::test]
async fn wrong_credentials_are_forbidden() {
    let hs = Deployment::one().await;
    hs.register("bob").await;
    let client = hs.client();
    for body in [
        password_login(json!({ "type": "m.id.user", "user": "bob" }), "wrong"),
        password_login(json!({ "type": "m.id.user", "user": "nobody" }), PASSWORD),
        password_login(
            json!({ "type": "m.id.user", "user": "@bob:elsewhere" }),
            PASSWORD,
        ),
        password_login(
            json!({ "type": "m.id.thirdparty", "medium": "email", "address": "b@example.org" }),
            PASSWORD,
        ),
    ] {
        client
            .post("/_matrix/client/v3/login", body)
            .await
            .must_error(403, "M_FORBIDDEN");
    }
}

#[tokio::test]
async fn malformed_logins_get_the_right_errors() {
    let hs = Deployment::one().await;
    let client = hs.client();
    client
        .raw_bytes(
            "POST",
            "/_matrix/client/v3/login",
            b"not json".to_vec(),
            &[],
        )
        .await
        .must_error(400, "M_NOT_JSON");
    client
        .post(
            "/_matrix/client/v3/login",
            json!({ "type": "m.login.token", "token": "abc" }),
        )
        .await
        .must_error(400, "M_UNKNOWN");
    let missing = client
        .post(
            "/_matrix/client/v3/login",
            json!({ "type": "m.login.password", "password": PASSWORD }),
        )
        .await;
    missing.must_error(400, "M_MISSING_PARAM");
    let wrong_type = client
        .post(
            "/_matrix/client/v3/login",
            password_login(json!({ "type": "m.id.user", "user": 7 }), PASSWORD),
        )
        .await;
    wrong_type.must_status(400);
}

#[tokio::test]
async fn device_id_reuse_replaces_that_devices_token() {
    let hs = Deployment::one().await;
    hs.register("carol").await;
    let client = hs.client();
    let login = |device: &'static str, name: &'static str| {
        let client = client.clone();
        async move {
            let mut body =
                password_login(json!({ "type": "m.id.user", "user": "carol" }), PASSWORD);
            body["device_id"] = json!(device);
            body["initial_device_display_name"] = json!(name);
            client.logged_in(
                client
                    .post("/_matrix/client/v3/login", body)
                    .await
                    .must_ok(),
            )
        }
    };
    let first = login("LAPTOP", "Carol's laptop").await;
    let second = login("LAPTOP", "ignored for a known device").await;
    assert_eq!(second.device_id.as_deref(), Some("LAPTOP"));
    first.whoami().await.must_error(401, "M_UNKNOWN_TOKEN");
    let device = second.get("/_matrix/client/v3/devices/LAPTOP").await;
    assert_eq!(device.must_ok()["display_name"], "Carol's laptop");
}

#[tokio::test]
async fn logout_kills_one_token_and_its_device() {
    let hs = Deployment::one().await;
    let phone = hs.register("dave").await;
    let laptop = hs.client().login("dave", PASSWORD).await;
    phone
        .post("/_matrix/client/v3/logout", json!({}))
        .await
        .must_ok();
    let gone = phone.whoami().await;
    gone.must_error(401, "M_UNKNOWN_TOKEN");
    assert_eq!(
        gone.json["soft_logout"],
        serde_json::Value::Null,
        "not a soft logout: {gone:?}"
    );
    laptop.whoami().await.must_ok();
    let devices = laptop.get("/_matrix/client/v3/devices").await;
    let ids: Vec<_> = devices.must_ok()["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["device_id"].clone())
        .collect();
    assert_eq!(ids, vec![json!(laptop.device_id)]);
}

#[tokio::test]
async fn logout_all_kills_every_token() {
    let hs = Deployment::one().await;
    let a = hs.register("erin").await;
    let b = hs.client().login("erin", PASSWORD).await;
    b.post("/_matrix/client/v3/logout/all", json!({}))
        .await
        .must_ok();
    a.whoami().await.must_error(401, "M_UNKNOWN_TOKEN");
    b.whoami().await.must_error(401, "M_UNKNOWN_TOKEN");
    hs.client().login("erin", PASSWORD).await;
}

#[tokio::test]
async fn tokens_are_checked() {
    let hs = Deployment::one().await;
    let frank = hs.register("frank").await;
    let anonymous = hs.client();
    anonymous.whoami().await.must_error(401, "M_MISSING_TOKEN");
    anonymous
        .with_token(Some("hth_not_a_real_token"))
        .whoami()
        .await
        .must_error(401, "M_UNKNOWN_TOKEN");
    anonymous
        .raw_bytes(
            "GET",
            "/_matrix/client/v3/account/whoami",
            vec![],
            &[("authorization", "Basic Zm9vOmJhcg==")],
        )
        .await
        .must_status(401);
    let token = frank.access_token.clone().unwrap();
    let by_query = anonymous
        .get(&format!(
            "/_matrix/client/v3/account/whoami?access_token={token}"
        ))
        .await;
    assert_eq!(by_query.must_ok()["user_id"], "@frank:hs1");
    assert_ne!(by_query.json["is_guest"], true);
}

#[tokio::test]
async fn login_is_rate_limited_per_account() {
    let hs = Homeserver::start(ServerOptions {
        login_account_limit: (0.01, 2),
        ..Default::default()
    })
    .await;
    hs.register("gina").await;
    hs.register("hank").await;
    let client = hs.client();
    for _ in 0..2 {
        client
            .post(
                "/_matrix/client/v3/login",
                password_login(json!({ "type": "m.id.user", "user": "gina" }), "wrong"),
            )
            .await
            .must_status(403);
    }
    let limited = client
        .post(
            "/_matrix/client/v3/login",
            password_login(json!({ "type": "m.id.user", "user": "gina" }), PASSWORD),
        )
        .await;
    limited.must_error(429, "M_LIMIT_EXCEEDED");
    assert!(limited.json["retry_after_ms"].as_u64().unwrap() > 0);
    // Another account is not held back by gina's limit.
    hs.client().login("hank", PASSWORD).await;
}

#[tokio::test]
async fn login_is_rate_limited_per_address() {
    let hs = Homeserver::start(ServerOptions {
        login_ip_limit: (0.01, 2),
        ..Default::default()
    })
    .await;
    let client = hs.client();
    for _ in 0..2 {
        client
            .post(
                "/_matrix/client/v3/login",
                password_login(json!({ "type": "m.id.user", "user": "x" }), "y"),
            )
            .await
            .must_status(403);
    }
    let limited = client
        .post(
            "/_matrix/client/v3/login",
            password_login(json!({ "type": "m.id.user", "user": "x" }), "y"),
        )
        .await;
    limited.must_error(429, "M_LIMIT_EXCEEDED");
}
