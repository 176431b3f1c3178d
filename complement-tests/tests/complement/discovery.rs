//! `GET /versions`, `/.well-known/matrix/client`, `/capabilities`, `GET /login`.

use complement_tests::{Deployment, json, must};
use ruma::api::client::discovery::get_supported_versions;

#[tokio::test]
async fn versions_lists_only_what_is_served() {
    let hs = Deployment::one().await;
    let response = must(
        hs.client()
            .send(get_supported_versions::Request::new())
            .await,
    );
    // Hearth advertises a spec version only once every area that version requires is
    // served (see docs/architecture.md); the typed parse above checks the shape.
    for version in &response.versions {
        assert!(version.starts_with("v1."), "{version}");
    }
    let raw = hs.client().get("/_matrix/client/versions").await;
    assert!(raw.must_ok()["versions"].is_array());
}

#[tokio::test]
async fn well_known_names_the_public_base_url() {
    let hs = Deployment::one().await;
    let raw = hs.client().get("/.well-known/matrix/client").await;
    assert_eq!(
        raw.must_ok()["m.homeserver"]["base_url"],
        "https://hs1.example"
    );
}

#[tokio::test]
async fn capabilities_need_a_token_and_tell_the_truth() {
    let hs = Deployment::one().await;
    hs.client()
        .get("/_matrix/client/v3/capabilities")
        .await
        .must_error(401, "M_MISSING_TOKEN");
    let alice = hs.register("alice").await;
    let caps = alice.get("/_matrix/client/v3/capabilities").await;
    let caps = &caps.must_ok()["capabilities"];
    // An absent m.change_password means "enabled" to clients; m.3pid_changes must say no.
    assert_ne!(caps["m.change_password"]["enabled"], false, "{caps}");
    assert_eq!(caps["m.3pid_changes"]["enabled"], false, "{caps}");
    assert_eq!(caps["m.room_versions"]["default"], "12", "{caps}");
    let available = &caps["m.room_versions"]["available"];
    assert_eq!(
        available,
        &json!({ "10": "stable", "11": "stable", "12": "stable" }),
        "{caps}"
    );
}

#[tokio::test]
async fn login_flows_offer_password() {
    let hs = Deployment::one().await;
    let raw = hs.client().get("/_matrix/client/v3/login").await;
    let flows = raw.must_ok()["flows"].as_array().unwrap().clone();
    assert!(
        flows.iter().any(|f| f["type"] == "m.login.password"),
        "{flows:?}"
    );
}
