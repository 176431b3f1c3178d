//! A client of Hearth's WebSocket push extension (docs/websocket.md), for tests and the
//! load program.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream, connect_async_with_config,
    tungstenite::{Message, Utf8Bytes, client::IntoClientRequest, protocol::CloseFrame},
};

use crate::Client;

pub const WS_PATH: &str = "/_matrix/client/unstable/org.hearth.ws/sync";

/// Opens the socket with Nagle's algorithm off, as the server does: small command frames
/// would otherwise wait for the peer's delayed ACK (~40 ms).
async fn connect(
    request: impl IntoClientRequest + Unpin,
) -> Result<
    (
        WebSocketStream<MaybeTlsStream<TcpStream>>,
        tokio_tungstenite::tungstenite::handshake::client::Response,
    ),
    tokio_tungstenite::tungstenite::Error,
> {
    connect_async_with_config(request, None, true).await
}

pub struct WsClient {
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// How a connection ended, when it did.
#[derive(Debug)]
pub enum WsEnd {
    Closed(Option<CloseFrame>),
    Gone,
}

impl WsClient {
    /// Connects with `query` (`since=…&filter=…`), authenticating with the client's token
    /// in the `Authorization` header.
    pub async fn connect(client: &Client, query: &str) -> Self {
        let url = ws_url(client, query);
        let mut request = url.into_client_request().expect("request");
        let token = client.access_token.as_deref().expect("logged in");
        request.headers_mut().insert(
            "authorization",
            format!("Bearer {token}").parse().expect("header"),
        );
        let (stream, _) = connect(request).await.expect("websocket connects");
        Self { stream }
    }

    /// Connects without a header; the caller sends the auth frame (as browsers do).
    pub async fn connect_unauthenticated(client: &Client, query: &str) -> Self {
        let (stream, _) = connect(ws_url(client, query))
            .await
            .expect("websocket connects");
        Self { stream }
    }

    /// What the server answers an upgrade with a header token, when it refuses it.
    pub async fn refused_status(client: &Client, query: &str) -> u16 {
        let url = ws_url(client, query);
        let mut request = url.into_client_request().expect("request");
        let token = client.access_token.as_deref().unwrap_or("nope");
        request.headers_mut().insert(
            "authorization",
            format!("Bearer {token}").parse().expect("header"),
        );
        match connect(request).await {
            Ok(_) => 101,
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                response.status().as_u16()
            }
            Err(e) => panic!("unexpected websocket error: {e}"),
        }
    }

    pub async fn send(&mut self, frame: Value) {
        self.send_text(&frame.to_string()).await;
    }

    pub async fn send_text(&mut self, text: &str) {
        self.stream
            .send(Message::Text(text.into()))
            .await
            .expect("send frame");
    }

    /// The next JSON frame, or how the connection ended. Fails after 20 s.
    pub async fn next(&mut self) -> Result<Value, WsEnd> {
        let text = self.next_text().await?;
        Ok(serde_json::from_str(&text).expect("frames are JSON"))
    }

    /// The next text frame, unparsed (load programs parse only what they need).
    pub async fn next_text(&mut self) -> Result<Utf8Bytes, WsEnd> {
        loop {
            let message = tokio::time::timeout(Duration::from_secs(20), self.stream.next())
                .await
                .expect("a frame within 20 s");
            match message {
                Some(Ok(Message::Text(text))) => return Ok(text),
                Some(Ok(Message::Close(frame))) => return Err(WsEnd::Closed(frame)),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return Err(WsEnd::Gone),
            }
        }
    }

    /// Reads (answering nothing of our own) until the connection ends, and says how.
    pub async fn next_raw_until_end(&mut self) -> WsEnd {
        loop {
            if let Err(end) = self.next().await {
                return end;
            }
        }
    }

    /// The next frame, which must exist.
    pub async fn must_next(&mut self) -> Value {
        self.next().await.expect("the connection is open")
    }

    /// Reads `sync` frames until `check` finds what it wants; returns it and the last
    /// frame's `next_batch`.
    pub async fn sync_until<T>(
        &mut self,
        mut check: impl FnMut(&Value) -> Option<T>,
    ) -> (T, String) {
        loop {
            let frame = self.must_next().await;
            if frame["type"] != "sync" {
                continue;
            }
            let next_batch = frame["next_batch"].as_str().expect("next_batch").to_owned();
            if let Some(found) = check(&frame["body"]) {
                return (found, next_batch);
            }
        }
    }

    /// Sends a command with `id` and waits for its answer: a `result` frame, or the
    /// `pong` of a ping (sync frames pass by).
    pub async fn command(&mut self, mut command: Value, id: &str) -> Value {
        command["id"] = json!(id);
        self.send(command).await;
        loop {
            let frame = self.must_next().await;
            if (frame["type"] == "result" || frame["type"] == "pong") && frame["id"] == id {
                return frame;
            }
        }
    }

    /// Closes from our side.
    pub async fn close(mut self) {
        let _ = self.stream.close(None).await;
    }

    /// Stops answering: drops the connection without a close frame.
    pub fn drop_abruptly(self) {
        drop(self);
    }
}

fn ws_url(client: &Client, query: &str) -> String {
    let base = client.base_url.replacen("http://", "ws://", 1);
    format!("{base}{WS_PATH}?{query}")
}
