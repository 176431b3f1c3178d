//! Black-box harness in the spirit of Complement: start real `hearth` processes, drive them
//! over HTTP the way clients do, and check the answers against the spec.

mod client;
mod deployment;
mod lean;
mod ws;

pub use client::{Client, RawResponse};
pub use deployment::{
    CpuMeter, Deployment, Homeserver, ServerOptions, backend_name, cpu_time_of, hearth_binary,
    rss_of,
};
pub use lean::{LeanConnection, LeanResponse};
pub use serde_json::{Value, json};
pub use ws::{WS_PATH, WsClient, WsEnd};

/// The password every `register` helper uses unless told otherwise.
pub const PASSWORD: &str = "correct horse battery staple";

/// Unwraps a result, failing the test with the whole error when it is `Err`.
#[track_caller]
pub fn must<T, E: std::fmt::Debug>(result: Result<T, E>) -> T {
    match result {
        Ok(value) => value,
        Err(err) => panic!("request failed: {err:?}"),
    }
}

/// Retries `probe` until it returns `Some`, failing after `timeout` (no sleep-and-hope:
/// the condition is checked, not assumed).
pub async fn must_eventually<T, F, Fut>(what: &str, timeout: std::time::Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for: {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// The timeline events of a joined room in a sync response (empty when the room is absent).
pub fn sync_timeline(sync: &Value, room_id: &str) -> Vec<Value> {
    sync["rooms"]["join"][room_id]["timeline"]["events"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Ephemeral events of one type in a joined room of a sync response.
pub fn sync_ephemeral(sync: &Value, room_id: &str, kind: &str) -> Vec<Value> {
    sync["rooms"]["join"][room_id]["ephemeral"]["events"]
        .as_array()
        .map(|events| {
            events
                .iter()
                .filter(|e| e["type"] == kind)
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

/// The bodies of the `m.room.message` events in a list of events.
pub fn bodies(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .filter(|e| e["type"] == "m.room.message")
        .filter_map(|e| e["content"]["body"].as_str().map(str::to_owned))
        .collect()
}
