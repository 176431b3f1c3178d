//! The WebSocket push extension (`org.hearth.ws`, documented in docs/websocket.md): the
//! same data as `/sync`, from the same builder, pushed as soon as it exists, plus client
//! commands (send, typing, receipts, acknowledgements, ping) answered by correlated results.
//!
//! The connection holds no queue of pushes (only client frames wait, at most `MAX_WAITING`):
//! each frame carries everything between the last pushed token and now, so a slow reader
//! gets fewer, larger frames and server memory stays flat.
//! A reader too slow to take even one frame within the timeout is closed (code 4009) and
//! resumes from its last token.

use std::{collections::VecDeque, time::Duration};

use axum::{
    Router,
    extract::{
        Query, State,
        ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade},
    },
    response::Response,
    routing::get,
};
use http::request::Parts;
use ruma::api::OutgoingResponseExt;
use ruma::{
    OwnedRoomId,
    api::client::{filter::FilterDefinition, sync::sync_events::v3::Filter},
    events::TimelineEventType,
    presence::PresenceState,
};
use serde::Deserialize;
use serde_json::{Value as JsonValue, json};
use tokio::{
    task::JoinHandle,
    time::{Instant, timeout},
};

use super::{
    AppState,
    client::{check_presence, parse_since, resolve_filter},
    error::{Error, Result},
};
use crate::{
    accounts::Sender,
    sync::{SyncEngine, SyncParams, SyncToken},
};

pub const PATH: &str = "/_matrix/client/unstable/org.hearth.ws/sync";

/// Close codes (4000–4999 are the application's).
const CLOSE_UNAUTHORIZED: u16 = 4001;
const CLOSE_BAD_REQUEST: u16 = 4003;
const CLOSE_TIMEOUT: u16 = 4008;
const CLOSE_TOO_SLOW: u16 = 4009;
/// Client frames read ahead of the running command, most; beyond them the connection stops
/// reading until a command is done.
const MAX_WAITING: usize = 64;
/// RFC 6455's "message too big".
const CLOSE_TOO_LARGE: u16 = 1009;
/// Bytes read from the socket at a time (a longer frame takes several reads).
const READ_BUFFER: usize = 8 * 1024;

/// Heartbeat settings, from the `[sync]` configuration.
#[derive(Debug, Clone, Copy)]
pub struct WebSocketSettings {
    pub ping: Duration,
    pub timeout: Duration,
}

pub fn routes(router: Router<AppState>) -> Router<AppState> {
    router.route(PATH, get(upgrade))
}

#[derive(Deserialize)]
struct Params {
    since: Option<String>,
    filter: Option<String>,
    set_presence: Option<String>,
    #[serde(default)]
    use_state_after: bool,
}

async fn upgrade(
    State(state): State<AppState>,
    Query(params): Query<Params>,
    parts: Parts,
    ws: WebSocketUpgrade,
) -> Response {
    // A token in the Authorization header authenticates now; browsers, which cannot set
    // one, send it in their first frame instead.
    let header_sender = match bearer(&parts) {
        Some(token) => match state.accounts.authenticate(&token).await {
            Ok(sender) => Some(sender),
            Err(e) => return axum::response::IntoResponse::into_response(e),
        },
        None => None,
    };
    // Clients send small frames (acknowledgements, commands). tungstenite zero-fills the
    // free part of its read buffer before every read: at its default of 128 KiB that was 7 %
    // of server CPU under `bench_sync --ws`, and 128 KiB of memory per connection. A frame
    // may be no larger than a request body.
    let limit = state.max_request_bytes;
    ws.read_buffer_size(READ_BUFFER)
        .max_message_size(limit)
        .max_frame_size(limit)
        .on_upgrade(move |socket| async move {
            let mut connection = Connection {
                socket,
                state,
                last_heard: Instant::now(),
            };
            if let Err(reason) = connection.run(params, header_sender).await {
                connection.close(reason.0, &reason.1).await;
            }
        })
}

/// Whether a read failed because the frame exceeded the size limit.
fn too_large(error: &axum::Error) -> bool {
    matches!(
        std::error::Error::source(error).and_then(|e| e.downcast_ref::<tungstenite::Error>()),
        Some(tungstenite::Error::Capacity(_))
    )
}

fn bearer(parts: &Parts) -> Option<String> {
    let value = parts
        .headers
        .get(http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    value.strip_prefix("Bearer ").map(str::to_owned)
}

/// Why a connection ends: a close code and reason.
struct Closing(u16, String);

/// A client command frame.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Command {
    Auth {
        access_token: String,
    },
    Ack {
        next_batch: String,
    },
    Ping {
        id: Option<JsonValue>,
    },
    Send {
        id: JsonValue,
        room_id: OwnedRoomId,
        event_type: String,
        txn_id: String,
        content: JsonValue,
    },
    Typing {
        id: JsonValue,
        room_id: OwnedRoomId,
        typing: bool,
        timeout: Option<u64>,
    },
    Receipt {
        id: JsonValue,
        room_id: OwnedRoomId,
        receipt_type: String,
        event_id: String,
        thread_id: Option<String>,
    },
}

struct Connection {
    socket: WebSocket,
    state: AppState,
    last_heard: Instant,
}

impl Connection {
    fn engine(&self) -> &SyncEngine {
        &self.state.sync
    }

    async fn close(&mut self, code: u16, reason: &str) {
        let frame = CloseFrame {
            code,
            reason: Utf8Bytes::from(reason.to_owned()),
        };
        let _ = self.socket.send(Message::Close(Some(frame))).await;
    }

    /// Sends a frame, giving up on a reader that takes longer than the timeout.
    async fn send_text(&mut self, text: String) -> Result<(), Closing> {
        let text = Utf8Bytes::from(text);
        match timeout(
            self.state.websocket.timeout,
            self.socket.send(Message::Text(text)),
        )
        .await
        {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(Closing(1011, "send failed".into())),
            Err(_) => Err(Closing(CLOSE_TOO_SLOW, "client too slow".into())),
        }
    }

    async fn authenticate(&mut self) -> Result<Sender, Closing> {
        let unauthorized = |why: &str| Closing(CLOSE_UNAUTHORIZED, why.to_owned());
        let first = timeout(self.state.websocket.timeout, self.socket.recv())
            .await
            .map_err(|_| unauthorized("no auth frame"))?;
        let Some(Ok(Message::Text(text))) = first else {
            return Err(unauthorized("expected an auth frame"));
        };
        let Ok(Command::Auth { access_token }) = serde_json::from_str(&text) else {
            return Err(unauthorized("expected an auth frame"));
        };
        self.state
            .accounts
            .authenticate(&access_token)
            .await
            .map_err(|_| unauthorized("unknown access token"))
    }

    async fn run(&mut self, params: Params, sender: Option<Sender>) -> Result<(), Closing> {
        let sender = match sender {
            Some(sender) => sender,
            None => self.authenticate().await?,
        };
        let bad = |e: Error| Closing(CLOSE_BAD_REQUEST, e.to_string());
        let set_presence = match params.set_presence.as_deref() {
            None => PresenceState::Online,
            Some(state) => PresenceState::from(state),
        };
        check_presence(&set_presence).map_err(bad)?;
        let filter = match params.filter.as_deref() {
            None => FilterDefinition::default(),
            Some(text) => {
                let filter = if text.starts_with('{') {
                    Filter::FilterDefinition(
                        serde_json::from_str(text)
                            .map_err(|_| bad(Error::bad_json("Invalid filter")))?,
                    )
                } else {
                    Filter::FilterId(text.to_owned())
                };
                resolve_filter(self.engine(), &sender.user_id, Some(&filter))
                    .await
                    .map_err(bad)?
            }
        };
        let mut sync = SyncParams {
            user_id: sender.user_id.clone(),
            device_id: sender.device_id.to_string(),
            since: parse_since(params.since.as_deref()).map_err(bad)?,
            full_state: false,
            filter,
            use_state_after: params.use_state_after,
        };
        let engine = self.engine().clone();
        if let Some(since) = &sync.since {
            engine
                .acknowledge(&sync.user_id, &sync.device_id, since)
                .await
                .map_err(bad)?;
        }
        let _syncing = engine
            .syncing(&sync.user_id, &set_presence)
            .await
            .map_err(bad)?;
        let mut wake = engine.streams().notifier.subscribe(&sync.user_id);
        let mut ping = tokio::time::interval(self.state.websocket.ping);
        ping.tick().await;
        self.last_heard = Instant::now();
        let mut first = true;
        let mut waiting = VecDeque::new();
        let mut running: Option<Running> = None;
        loop {
            let (response, has_data) = engine
                .build(&sync, engine.streams().current())
                .await
                .map_err(|e| Closing(1011, e.to_string()))?;
            // A response carries a bounded number of to-device messages; more follow at once.
            let more_to_device = response.to_device.events.len() >= crate::sync::TO_DEVICE_LIMIT;
            if has_data || first {
                first = false;
                let next_batch = response.next_batch.clone();
                let http = response
                    .try_into_http_response::<Vec<u8>>()
                    .map_err(|_| Closing(1011, "internal".into()))?;
                let body = String::from_utf8_lossy(http.body());
                let token = JsonValue::from(next_batch.as_str());
                self.send_text(format!(
                    r#"{{"type":"sync","next_batch":{token},"body":{body}}}"#
                ))
                .await?;
                sync.since = SyncToken::parse(&next_batch);
            }
            if more_to_device {
                continue;
            }
            // Wait for news, a command's answer, a client frame or the heartbeat. Commands
            // run one at a time beside the pushes: a send waiting for its commit holds up
            // no sync frame.
            loop {
                if running.is_none()
                    && let Some(frame) = waiting.pop_front()
                {
                    // Its own task, so that it keeps going while this one builds or
                    // writes a sync frame: a command suspended there could hold what
                    // the build needs.
                    running = Some(tokio::spawn(answer(
                        self.state.clone(),
                        sender.clone(),
                        frame,
                    )));
                }
                tokio::select! {
                    // A finished command's answer goes out before a sync frame that may
                    // carry what it did.
                    biased;
                    reply = finished(&mut running) => {
                        running = None;
                        if let Some(text) = reply {
                            self.send_text(text).await?;
                        }
                    }
                    changed = wake.changed() => {
                        if changed.is_err() {
                            return Err(Closing(1011, "notifier gone".into()));
                        }
                        break;
                    }
                    frame = self.socket.recv(), if waiting.len() < MAX_WAITING => {
                        self.last_heard = Instant::now();
                        match frame {
                            Some(Ok(Message::Text(text))) => waiting.push_back(ClientFrame::Text(text)),
                            Some(Ok(Message::Binary(_))) => waiting.push_back(ClientFrame::Binary),
                            Some(Err(e)) if too_large(&e) => {
                                return Err(Closing(CLOSE_TOO_LARGE, "frame too large".into()));
                            }
                            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return Ok(()),
                            Some(Ok(_)) => {} // pings and pongs
                        }
                    }
                    _ = ping.tick() => {
                        if self.last_heard.elapsed() > self.state.websocket.timeout {
                            return Err(Closing(CLOSE_TIMEOUT, "heartbeat timeout".into()));
                        }
                        let sent = timeout(
                            self.state.websocket.timeout,
                            self.socket.send(Message::Ping(Default::default())),
                        )
                        .await;
                        if !matches!(sent, Ok(Ok(()))) {
                            return Err(Closing(CLOSE_TOO_SLOW, "client too slow".into()));
                        }
                    }
                }
            }
        }
    }
}

/// A client frame waiting for its turn.
enum ClientFrame {
    Text(Utf8Bytes),
    Binary,
}

/// The command being run, to its answer frame (none for a successful acknowledgement).
type Running = JoinHandle<Option<String>>;

/// The running command's answer; never, while none runs.
async fn finished(running: &mut Option<Running>) -> Option<String> {
    match running {
        Some(command) => match command.await {
            Ok(reply) => reply,
            // A panicked command answers like a failed request.
            Err(_) => Some(error_frame(None, &Error::internal()).to_string()),
        },
        None => std::future::pending().await,
    }
}

/// Runs one client frame's command; a malformed one gets an error frame and changes
/// nothing.
async fn answer(state: AppState, sender: Sender, frame: ClientFrame) -> Option<String> {
    let text = match frame {
        ClientFrame::Text(text) => text,
        ClientFrame::Binary => {
            return Some(error_frame(None, &Error::not_json("Frames are JSON text")).to_string());
        }
    };
    let value: JsonValue = match serde_json::from_str(&text) {
        Ok(value) => value,
        Err(_) => {
            return Some(error_frame(None, &Error::not_json("Frame is not JSON")).to_string());
        }
    };
    let id = value.get("id").cloned();
    let command: Command = match serde_json::from_value(value) {
        Ok(command) => command,
        Err(e) => {
            let error = Error::bad_json(format!("Invalid command: {e}"));
            return Some(error_frame(id, &error).to_string());
        }
    };
    let engine = &state.sync;
    let user = &sender.user_id;
    let (id, result) = match command {
        Command::Auth { .. } => (id, Err(Error::bad_json("Already authenticated"))),
        Command::Ping { id } => return Some(json!({ "type": "pong", "id": id }).to_string()),
        Command::Ack { next_batch } => {
            let result = match SyncToken::parse(&next_batch) {
                Some(token) => {
                    engine
                        .acknowledge(user, sender.device_id.as_str(), &token)
                        .await
                }
                None => Err(Error::invalid_param("Invalid next_batch")),
            };
            match result {
                // Acknowledgements are fire-and-forget unless they fail.
                Ok(()) => return None,
                Err(e) => (id, Err(e)),
            }
        }
        Command::Send {
            id,
            room_id,
            event_type,
            txn_id,
            content,
        } => {
            let result = state
                .rooms
                .send_message(
                    &sender,
                    &room_id,
                    TimelineEventType::from(event_type),
                    content,
                    &txn_id,
                )
                .await
                .map(|event_id| json!({ "event_id": event_id }));
            (Some(id), result)
        }
        Command::Typing {
            id,
            room_id,
            typing,
            timeout,
        } => {
            let timeout = typing.then(|| Duration::from_millis(timeout.unwrap_or(30_000)));
            let result = engine
                .set_typing(user, &room_id, timeout)
                .await
                .map(|()| json!({}));
            (Some(id), result)
        }
        Command::Receipt {
            id,
            room_id,
            receipt_type,
            event_id,
            thread_id,
        } => {
            let result = engine
                .post_receipt(
                    user,
                    &room_id,
                    &receipt_type,
                    &event_id,
                    thread_id.as_deref(),
                )
                .await
                .map(|()| json!({}));
            (Some(id), result)
        }
    };
    let frame = match result {
        Ok(body) => json!({ "type": "result", "id": id, "ok": true, "body": body }),
        Err(e) => error_frame(id, &e),
    };
    Some(frame.to_string())
}

fn error_frame(id: Option<JsonValue>, error: &Error) -> JsonValue {
    json!({ "type": "result", "id": id, "ok": false, "error": error.to_json() })
}
