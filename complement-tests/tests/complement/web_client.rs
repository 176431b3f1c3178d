//! Serving the built web client beside the API.

use complement_tests::{Deployment, Homeserver, ServerOptions};

/// A server serving a stand-in client build from its own directory under `path`.
async fn serving(path: &str) -> (Homeserver, tempfile::TempDir) {
    let dist = tempfile::tempdir().unwrap();
    std::fs::write(
        dist.path().join("index.html"),
        "<!doctype html><title>Hearth</title>",
    )
    .unwrap();
    std::fs::create_dir(dist.path().join("assets")).unwrap();
    std::fs::write(dist.path().join("assets/app-1234.js"), "console.log('hi')").unwrap();
    let options = ServerOptions {
        raw_extra: format!(
            "[web]\nenabled = true\npath = {path:?}\ndir = {:?}\n",
            dist.path().display().to_string()
        ),
        ..ServerOptions::default()
    };
    let hs = Deployment::new(vec![options]).await.servers.remove(0);
    (hs, dist)
}

#[tokio::test]
async fn the_client_is_served_at_the_root_and_api_paths_stay_matrix() {
    let (hs, _dist) = serving("/").await;
    let client = hs.client();
    let index = client.get("/").await;
    index.must_status(200);
    assert!(String::from_utf8_lossy(&index.body).contains("<title>Hearth</title>"));
    assert_eq!(index.header("cache-control"), Some("no-cache"));
    assert!(
        index
            .header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    let asset = client.get("/assets/app-1234.js").await;
    asset.must_status(200);
    assert_eq!(asset.body.as_ref(), b"console.log('hi')");
    assert!(asset.header("cache-control").unwrap().contains("immutable"));
    // A client-side route gets the page, which routes itself.
    let route = client.get("/rooms/some-room").await;
    assert!(String::from_utf8_lossy(&route.body).contains("<title>Hearth</title>"));
    // API paths never fall through to the page.
    client
        .get("/_matrix/client/v3/no_such_endpoint")
        .await
        .must_error(404, "M_UNRECOGNIZED");
    client
        .raw("POST", "/", None)
        .await
        .must_error(404, "M_UNRECOGNIZED");
    // Nothing outside the client's directory is reachable.
    let escape = client.get("/..%2f..%2f..%2f..%2fetc%2fpasswd").await;
    assert!(!String::from_utf8_lossy(&escape.body).contains("root:"));
    client.get("/_matrix/client/versions").await.must_ok();
}

#[tokio::test]
async fn the_client_can_live_under_a_path() {
    let (hs, _dist) = serving("/chat").await;
    let client = hs.client();
    let redirect = client.get("/chat").await;
    redirect.must_status(308);
    assert_eq!(redirect.header("location"), Some("/chat/"));
    let index = client.get("/chat/").await;
    assert!(String::from_utf8_lossy(&index.must_status(200).body).contains("Hearth"));
    assert_eq!(
        client.get("/chat/assets/app-1234.js").await.body.as_ref(),
        b"console.log('hi')"
    );
    client.get("/").await.must_error(404, "M_UNRECOGNIZED");
    client
        .get("/chatter")
        .await
        .must_error(404, "M_UNRECOGNIZED");
}
