//! The HTTP edge: unknown paths and methods, body limits, CORS, metrics, configuration
//! errors, the admin command line, and clean shutdown.

use complement_tests::{Deployment, Homeserver, PASSWORD, ServerOptions, hearth_binary, json};

#[tokio::test]
async fn unknown_paths_and_methods_are_unrecognized() {
    let hs = Deployment::one().await;
    let client = hs.client();
    client
        .get("/_matrix/client/v3/no_such_endpoint")
        .await
        .must_error(404, "M_UNRECOGNIZED");
    client
        .raw("DELETE", "/_matrix/client/v3/login", None)
        .await
        .must_error(405, "M_UNRECOGNIZED");
    client
        .raw("PUT", "/_matrix/client/versions", Some(json!({})))
        .await
        .must_error(405, "M_UNRECOGNIZED");
}

#[tokio::test]
async fn oversized_bodies_are_too_large_and_change_nothing() {
    let hs = Homeserver::start(ServerOptions {
        max_request_bytes: 4096,
        ..Default::default()
    })
    .await;
    let big = json!({ "username": "alice", "password": "x".repeat(8000), "auth": { "type": "m.login.dummy" } });
    hs.client()
        .post("/_matrix/client/v3/register", big)
        .await
        .must_error(413, "M_TOO_LARGE");
    let available = hs
        .client()
        .get("/_matrix/client/v3/register/available?username=alice")
        .await;
    assert_eq!(available.must_ok()["available"], true);
}

#[tokio::test]
async fn cors_lets_browsers_in() {
    let hs = Deployment::one().await;
    let preflight = hs
        .client()
        .raw_bytes(
            "OPTIONS",
            "/_matrix/client/v3/login",
            vec![],
            &[
                ("origin", "https://app.example"),
                ("access-control-request-method", "POST"),
            ],
        )
        .await;
    assert!(
        preflight.status == 200 || preflight.status == 204,
        "{preflight:?}"
    );
    assert_eq!(preflight.header("access-control-allow-origin"), Some("*"));
    let methods = preflight
        .header("access-control-allow-methods")
        .unwrap_or_default();
    for method in ["GET", "POST", "PUT", "DELETE", "OPTIONS"] {
        assert!(methods.contains(method), "{methods}");
    }
    let headers = preflight
        .header("access-control-allow-headers")
        .unwrap_or_default()
        .to_lowercase();
    for header in ["x-requested-with", "content-type", "authorization"] {
        assert!(headers.contains(header), "{headers}");
    }
    let get = hs.client().get("/_matrix/client/versions").await;
    assert_eq!(get.header("access-control-allow-origin"), Some("*"));
    let error = hs.client().get("/_matrix/client/v3/nope").await;
    assert_eq!(error.header("access-control-allow-origin"), Some("*"));
}

#[tokio::test]
async fn metrics_count_requests_by_route() {
    let hs = Homeserver::start(ServerOptions {
        metrics: true,
        ..Default::default()
    })
    .await;
    hs.register("alice").await;
    hs.client().get("/_matrix/client/v3/nope").await;
    let url = format!(
        "{}/metrics",
        hs.metrics_url.as_deref().expect("metrics listener")
    );
    let text = reqwest::get(url).await.unwrap().text().await.unwrap();
    assert!(
        text.contains(r#"hearth_http_requests_total{method="POST",route="/_matrix/client/v3/register",status="200"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(r#"route="unmatched",status="404"} 1"#),
        "{text}"
    );
    assert!(
        text.contains("hearth_http_request_duration_seconds_bucket"),
        "{text}"
    );
    assert!(text.contains("process_resident_memory_bytes"), "{text}");
    // Metrics are not served on the client listener.
    hs.client()
        .get("/metrics")
        .await
        .must_error(404, "M_UNRECOGNIZED");
}

#[tokio::test]
async fn every_request_is_one_log_line_with_its_user_status_and_latency() {
    let hs = Homeserver::start(ServerOptions::default()).await;
    let alice = hs.register("alice").await;
    alice
        .get("/_matrix/client/v3/account/whoami")
        .await
        .must_ok();
    hs.client()
        .get("/_matrix/client/v3/account/whoami")
        .await
        .must_error(401, "M_MISSING_TOKEN");
    let line = |path: &'static str, status: &'static str| {
        let log = std::fs::read_to_string(hs.log_path()).unwrap_or_default();
        async move {
            log.lines()
                .find(|l| l.contains("handled") && l.contains(path) && l.contains(status))
                .map(str::to_owned)
        }
    };
    let ok = complement_tests::must_eventually(
        "the whoami line",
        std::time::Duration::from_secs(5),
        || line("path=/_matrix/client/v3/account/whoami", "status=200"),
    )
    .await;
    assert!(ok.contains("method=GET"), "{ok}");
    assert!(ok.contains(&format!("user={}", alice.user_id())), "{ok}");
    assert!(ok.contains("latency_ms="), "{ok}");
    let token = alice.access_token.clone().unwrap();
    assert!(!ok.contains(&token), "the token is never logged: {ok}");
    let anonymous = complement_tests::must_eventually(
        "the unauthenticated line",
        std::time::Duration::from_secs(5),
        || line("path=/_matrix/client/v3/account/whoami", "status=401"),
    )
    .await;
    assert!(!anonymous.contains("user="), "{anonymous}");

    // A sync that succeeds is polled again at once: its line is DEBUG, off by default. A
    // failing one is still logged.
    alice.sync(None, "timeout=0").await.must_ok();
    alice
        .get("/_matrix/client/v3/sync?filter=12345")
        .await
        .must_error(400, "M_INVALID_PARAM");
    complement_tests::must_eventually(
        "the failed sync's line",
        std::time::Duration::from_secs(5),
        || line("path=/_matrix/client/v3/sync", "status=400"),
    )
    .await;
    let log = std::fs::read_to_string(hs.log_path()).unwrap();
    assert!(
        !log.lines()
            .any(|l| l.contains("path=/_matrix/client/v3/sync") && l.contains("status=200")),
        "{log}"
    );
}

#[tokio::test]
async fn bad_configuration_stops_startup_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("[server]\nserver_nme = \"x\"\n", "server.server_nme"),
        (
            "[listeners]\nclient = \"not an address\"\n",
            "listeners.client",
        ),
        ("[database]\nurl = \"mysql://x\"\n", "database.url"),
        (
            "[registration]\nrequire_token = true\n",
            "registration.tokens",
        ),
    ];
    for (text, key) in cases {
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, text).unwrap();
        let out = std::process::Command::new(hearth_binary())
            .arg("--config")
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{text}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(key), "stderr should name `{key}`: {stderr}");
    }
    let out = std::process::Command::new(hearth_binary())
        .env("HEARTH_LISTEN", "nowhere")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("HEARTH_LISTEN"));
}

#[tokio::test]
async fn admins_create_users_from_the_command_line() {
    let mut hs = Homeserver::start(ServerOptions {
        registration_enabled: false,
        ..Default::default()
    })
    .await;
    let out = hs.run_cli(&[
        "register-user",
        "--user",
        "admin",
        "--password",
        PASSWORD,
        "--admin",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("@admin:hs1"));
    let again = hs.run_cli(&["register-user", "--user", "admin", "--password", "other"]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("M_USER_IN_USE"));
    let bad = hs.run_cli(&["register-user", "--user", "Bad Name", "--password", "x"]);
    assert!(!bad.status.success());
    hs.client().login("admin", PASSWORD).await;
    // Accounts survive a restart.
    hs.restart().await;
    hs.client().login("admin", PASSWORD).await;
}

#[tokio::test]
async fn sigterm_shuts_down_cleanly() {
    let mut hs = Deployment::one().await;
    hs.register("alice").await;
    let status = hs.terminate().await;
    assert!(status.success(), "{status:?}");
    let log = std::fs::read_to_string(hs.log_path()).unwrap();
    assert!(log.contains("shut down cleanly"), "{log}");
}

/// The load programs' bare connection (`LeanConnection`) must see what a client sees: many
/// requests on one kept-alive connection, bodies in both directions, errors with their
/// status, and several users over one connection.
#[tokio::test]
async fn the_load_programs_connection_reads_answers_like_a_client() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let bob = hs.register("bob").await;
    let room = alice.create_room(json!({ "preset": "public_chat" })).await;
    let mut connection = complement_tests::LeanConnection::open(&alice).await;
    for (i, user) in [&alice, &bob, &alice].into_iter().enumerate() {
        let whoami = connection
            .request(user, "GET", "/_matrix/client/v3/account/whoami", None)
            .await;
        assert_eq!(whoami.status, 200);
        let body: complement_tests::Value = serde_json::from_slice(&whoami.body).unwrap();
        assert_eq!(body["user_id"], user.user_id(), "request {i}");
    }
    let path = |txn: &str| format!("/_matrix/client/v3/rooms/{room}/send/m.room.message/{txn}");
    let body = |text: &str| json!({ "msgtype": "m.text", "body": text }).to_string();
    let sent = connection
        .request(&alice, "PUT", &path("lean1"), Some(body("lean").as_bytes()))
        .await;
    assert_eq!(sent.status, 200);
    // Bob is not in the room: the error comes back whole and the connection stays usable.
    let refused = connection
        .request(&bob, "PUT", &path("lean2"), Some(body("no").as_bytes()))
        .await;
    assert_eq!(refused.status, 403);
    let body: complement_tests::Value = serde_json::from_slice(&refused.body).unwrap();
    assert_eq!(body["errcode"], "M_FORBIDDEN");
    assert_eq!(alice.message_bodies(&room).await, vec!["lean".to_owned()]);
}
