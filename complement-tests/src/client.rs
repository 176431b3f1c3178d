//! A test client: typed requests built from ruma's request types, plus raw requests for
//! malformed input. Failures carry the full response.

use std::{borrow::Cow, fmt};

use bytes::Bytes;
use ruma::api::{
    IncomingResponseExt, MatrixVersion, OutgoingRequest, OutgoingRequestExt, SupportedVersions,
    auth_scheme::{
        AccessToken, AccessTokenOptional, AppserviceToken, AppserviceTokenOptional, AuthScheme,
        NoAccessToken, NoAuthentication, SendAccessToken,
    },
    error::FromHttpResponseError,
    path_builder::{PathBuilder, SinglePath, VersionHistory},
};
use serde_json::{Value, json};

/// An HTTP answer, kept whole so a failing assertion can print it.
pub struct RawResponse {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Bytes,
    /// The body as JSON, or `Null` when it is not JSON.
    pub json: Value,
}

impl fmt::Debug for RawResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "HTTP {} {}",
            self.status,
            String::from_utf8_lossy(&self.body)
        )
    }
}

impl RawResponse {
    pub fn errcode(&self) -> Option<&str> {
        self.json.get("errcode").and_then(Value::as_str)
    }

    /// Asserts the status code, printing the whole response otherwise.
    #[track_caller]
    pub fn must_status(&self, status: u16) -> &Self {
        assert_eq!(self.status, status, "unexpected status; response: {self:?}");
        self
    }

    /// Asserts a 2xx answer and returns its JSON.
    #[track_caller]
    pub fn must_ok(&self) -> &Value {
        assert!(
            (200..300).contains(&self.status),
            "expected success; response: {self:?}"
        );
        &self.json
    }

    /// Asserts a Matrix error with this status and `errcode`.
    #[track_caller]
    pub fn must_error(&self, status: u16, errcode: &str) -> &Self {
        assert_eq!(
            (self.status, self.errcode()),
            (status, Some(errcode)),
            "unexpected error; response: {self:?}"
        );
        assert!(
            self.json.get("error").is_some_and(Value::is_string),
            "no `error` text: {self:?}"
        );
        self
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// How a ruma authentication scheme takes our (optional) token.
pub trait TokenInput: AuthScheme {
    fn input(token: Option<&str>) -> Self::Input<'_>;
}

impl TokenInput for NoAuthentication {
    fn input(_: Option<&str>) {}
}

macro_rules! send_access_token {
    ($($scheme:ty),*) => {$(
        impl TokenInput for $scheme {
            fn input(token: Option<&str>) -> SendAccessToken<'_> {
                token.map_or(SendAccessToken::None, SendAccessToken::IfRequired)
            }
        }
    )*};
}
send_access_token!(
    NoAccessToken,
    AccessToken,
    AccessTokenOptional,
    AppserviceToken,
    AppserviceTokenOptional
);

/// How a ruma path builder picks its path: the stable paths of the versions we claim.
pub trait PathInput: PathBuilder {
    fn input(versions: &SupportedVersions) -> Self::Input<'_>;
}

impl PathInput for VersionHistory {
    fn input(versions: &SupportedVersions) -> Cow<'_, SupportedVersions> {
        Cow::Borrowed(versions)
    }
}

impl PathInput for SinglePath {
    fn input(_: &SupportedVersions) {}
}

#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    pub base_url: String,
    pub server_name: String,
    pub access_token: Option<String>,
    pub user_id: Option<String>,
    pub device_id: Option<String>,
    versions: SupportedVersions,
}

impl Client {
    pub fn new(base_url: &str, server_name: &str) -> Self {
        let versions = SupportedVersions {
            versions: [MatrixVersion::V1_1, MatrixVersion::V1_16]
                .into_iter()
                .collect(),
            features: Default::default(),
        };
        Self {
            // Redirects are part of what tests check: never follow them silently.
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("http client"),
            base_url: base_url.trim_end_matches('/').to_owned(),
            server_name: server_name.to_owned(),
            access_token: None,
            user_id: None,
            device_id: None,
            versions,
        }
    }

    /// A copy of this client that sends `token` (or none).
    pub fn with_token(&self, token: Option<&str>) -> Self {
        Self {
            access_token: token.map(str::to_owned),
            ..self.clone()
        }
    }

    pub fn user_id(&self) -> &str {
        self.user_id.as_deref().expect("client is logged in")
    }

    /// Sends a typed ruma request and parses the typed response.
    pub async fn send<R>(
        &self,
        request: R,
    ) -> Result<R::IncomingResponse, FromHttpResponseError<R::EndpointError>>
    where
        R: OutgoingRequest,
        R::Authentication: TokenInput,
        R::PathBuilder: PathInput,
    {
        let token = self.access_token.as_deref();
        let http_request = request
            .try_into_http_request::<Vec<u8>>(
                &self.base_url,
                <R::Authentication as TokenInput>::input(token),
                <R::PathBuilder as PathInput>::input(&self.versions),
            )
            .expect("build request");
        let (parts, body) = http_request.into_parts();
        let mut builder = self
            .http
            .request(parts.method, parts.uri.to_string())
            .body(body);
        for (name, value) in &parts.headers {
            builder = builder.header(name, value);
        }
        let response = builder.send().await.expect("send request");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.expect("read body");
        let mut http_response = http::Response::builder().status(status.as_u16());
        for (name, value) in &headers {
            http_response = http_response.header(name, value);
        }
        R::IncomingResponse::try_from_http_response(
            http_response.body(body.as_ref()).expect("response"),
        )
    }

    /// Sends raw bytes with the given headers; the access token is added when set.
    pub async fn raw_bytes(
        &self,
        method: &str,
        path: &str,
        body: Vec<u8>,
        headers: &[(&str, &str)],
    ) -> RawResponse {
        let method = http::Method::from_bytes(method.as_bytes()).expect("method");
        let mut builder = self
            .http
            .request(method, format!("{}{path}", self.base_url))
            .body(body);
        if let Some(token) = &self.access_token {
            builder = builder.bearer_auth(token);
        }
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let response = builder.send().await.expect("send request");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await.expect("read body");
        let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
        RawResponse {
            status,
            headers,
            body,
            json,
        }
    }

    /// Sends `body` as JSON (or nothing) with the access token when set.
    pub async fn raw(&self, method: &str, path: &str, body: Option<Value>) -> RawResponse {
        match body {
            Some(body) => {
                let bytes = serde_json::to_vec(&body).expect("json");
                self.raw_bytes(method, path, bytes, &[("content-type", "application/json")])
                    .await
            }
            None => self.raw_bytes(method, path, Vec::new(), &[]).await,
        }
    }

    pub async fn get(&self, path: &str) -> RawResponse {
        self.raw("GET", path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> RawResponse {
        self.raw("POST", path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> RawResponse {
        self.raw("PUT", path, Some(body)).await
    }

    /// `POST /_matrix/media/v3/upload`: uploads `bytes` and returns the `mxc://` URI.
    pub async fn upload(&self, bytes: Vec<u8>, content_type: &str, filename: &str) -> String {
        let response = self
            .raw_bytes(
                "POST",
                &format!("/_matrix/media/v3/upload?filename={filename}"),
                bytes,
                &[("content-type", content_type)],
            )
            .await;
        response.must_ok()["content_uri"]
            .as_str()
            .expect("content_uri")
            .to_owned()
    }

    /// `GET /account/whoami`: the quickest check that this client's token works.
    pub async fn whoami(&self) -> RawResponse {
        self.get("/_matrix/client/v3/account/whoami").await
    }

    /// `POST /login` with a password for `user` (a localpart or user ID), answer unchecked.
    pub async fn try_login(&self, user: &str, password: &str) -> RawResponse {
        self.post(
            "/_matrix/client/v3/login",
            json!({
                "type": "m.login.password",
                "identifier": { "type": "m.id.user", "user": user },
                "password": password,
            }),
        )
        .await
    }

    /// `POST /createRoom` with `body`; returns the room ID.
    pub async fn create_room(&self, body: Value) -> String {
        let response = self.post("/_matrix/client/v3/createRoom", body).await;
        response.must_ok()["room_id"]
            .as_str()
            .expect("room_id")
            .to_owned()
    }

    /// `PUT /rooms/{roomId}/send/m.room.message/{txn}` with a text body; returns the event ID.
    pub async fn send_text(&self, room_id: &str, body: &str) -> String {
        let txn = format!("t{}", rand::random::<u64>());
        let path = format!("/_matrix/client/v3/rooms/{room_id}/send/m.room.message/{txn}");
        let response = self
            .put(&path, json!({ "msgtype": "m.text", "body": body }))
            .await;
        response.must_ok()["event_id"]
            .as_str()
            .expect("event_id")
            .to_owned()
    }

    /// `GET /sync` with `since` (when given) and extra query parameters (`timeout=0&…`).
    pub async fn sync(&self, since: Option<&str>, query: &str) -> RawResponse {
        let mut path = format!("/_matrix/client/v3/sync?{query}");
        if let Some(since) = since {
            path.push_str(&format!("&since={since}"));
        }
        self.get(&path).await
    }

    /// Long-polls `/sync` from `since` until `check` finds what it wants in a response, and
    /// leaves `since` at that response's `next_batch`. Fails after 20 s. Never sleeps: each
    /// round waits on the server for news.
    pub async fn must_sync_until<T>(
        &self,
        since: &mut Option<String>,
        what: &str,
        mut check: impl FnMut(&Value) -> Option<T>,
    ) -> T {
        self.must_sync_until_with(since, "", what, &mut check).await
    }

    /// [`Client::must_sync_until`] with extra query parameters (a filter, say).
    pub async fn must_sync_until_with<T>(
        &self,
        since: &mut Option<String>,
        query: &str,
        what: &str,
        check: &mut impl FnMut(&Value) -> Option<T>,
    ) -> T {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let response = self
                .sync(since.as_deref(), &format!("timeout=5000&{query}"))
                .await;
            let body = response.must_ok().clone();
            *since = Some(body["next_batch"].as_str().expect("next_batch").to_owned());
            if let Some(found) = check(&body) {
                return found;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out syncing until: {what}; last response: {body:#}"
            );
        }
    }

    /// `POST /join/{roomIdOrAlias}`, answer unchecked.
    pub async fn join(&self, room: &str) -> RawResponse {
        let room = room.replace('#', "%23");
        self.post(&format!("/_matrix/client/v3/join/{room}"), json!({}))
            .await
    }

    /// `GET` a room sub-path such as `messages?dir=b` or `state`.
    pub async fn room_get(&self, room_id: &str, rest: &str) -> RawResponse {
        self.get(&format!("/_matrix/client/v3/rooms/{room_id}/{rest}"))
            .await
    }

    /// `POST` a room sub-path such as `invite` or `kick`.
    pub async fn room_post(&self, room_id: &str, rest: &str, body: Value) -> RawResponse {
        self.post(&format!("/_matrix/client/v3/rooms/{room_id}/{rest}"), body)
            .await
    }

    /// `PUT /rooms/{roomId}/state/{type}/{stateKey}`, answer unchecked.
    pub async fn put_state(
        &self,
        room_id: &str,
        kind: &str,
        state_key: &str,
        content: Value,
    ) -> RawResponse {
        self.put(
            &format!("/_matrix/client/v3/rooms/{room_id}/state/{kind}/{state_key}"),
            content,
        )
        .await
    }

    /// Bodies of the room's `m.room.message` events, newest first (via `/messages`).
    pub async fn message_bodies(&self, room_id: &str) -> Vec<String> {
        let response = self.room_get(room_id, "messages?dir=b&limit=100").await;
        response.must_ok()["chunk"]
            .as_array()
            .expect("chunk")
            .iter()
            .filter(|e| e["type"] == "m.room.message")
            .filter_map(|e| e["content"]["body"].as_str().map(str::to_owned))
            .collect()
    }

    /// Registers `localpart` with the dummy stage and returns a client logged in as it.
    pub async fn register(&self, localpart: &str, password: &str) -> Client {
        let response = self
            .post(
                "/_matrix/client/v3/register",
                json!({ "username": localpart, "password": password, "auth": { "type": "m.login.dummy" } }),
            )
            .await;
        self.logged_in(response.must_ok())
    }

    /// Logs in as `localpart` on a new device and returns a client for it.
    pub async fn login(&self, localpart: &str, password: &str) -> Client {
        let response = self.try_login(localpart, password).await;
        self.logged_in(response.must_ok())
    }

    /// A client holding the session in a register or login answer.
    pub fn logged_in(&self, body: &Value) -> Client {
        let text = |key: &str| body[key].as_str().map(str::to_owned);
        Self {
            access_token: Some(text("access_token").expect("access_token in response")),
            user_id: text("user_id"),
            device_id: text("device_id"),
            ..self.clone()
        }
    }
}
