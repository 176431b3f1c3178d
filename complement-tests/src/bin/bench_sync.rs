//! Load program for the sync engine: U users in R rooms (each user in one room, U/R per
//! room), every user syncing by long-poll or WebSocket, N messages sent with concurrency C.
//! With `--ws` each user's sends go through its own socket as `send` commands, as a
//! WebSocket client's would. Prints send throughput, delivery latency from send to every
//! other member (from the moment the send request left, and from the moment its answer came
//! back), undelivered count, CPU per message and server RSS; then the initial sync of a
//! user in 500 rooms, and server RSS with many idle long-polls.
//!
//!   cargo build --release --bins -p hearth -p complement-tests
//!   ./target/release/bench_sync [--ws] [--users 50] [--rooms 10] [--messages 2000]
//!       [--concurrency 20] [--rate 0] [--idle 10000] [--big-rooms 500]
//!
//! By default the C senders send back to back, so the server runs flat out: the figures are
//! its most messages/s, and latency is then mostly queueing (C messages in flight over a
//! throughput X wait C/X on average). With `--rate R` the senders offer R messages/s
//! instead (still at most C in flight), which shows latency at a given load. A message is
//! timed from the moment it was due: a sender that falls behind does not hide the wait.
//!
//! With HEARTH_TEST_POSTGRES set, the server runs on a fresh PostgreSQL database.
//! It prints figures; it asserts nothing.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use complement_tests::{
    Client, CpuMeter, Homeserver, LeanConnection, ServerOptions, WsClient, json,
};
use serde::Deserialize;
use tokio::sync::{mpsc, oneshot};

struct Args {
    ws: bool,
    users: usize,
    rooms: usize,
    messages: usize,
    concurrency: usize,
    /// Messages per second offered; 0 sends back to back.
    rate: f64,
    idle: usize,
    big_rooms: usize,
}

fn args() -> Args {
    let mut a = Args {
        ws: false,
        users: 50,
        rooms: 10,
        messages: 2000,
        concurrency: 20,
        rate: 0.0,
        idle: 10_000,
        big_rooms: 500,
    };
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < argv.len() {
        let value = || {
            argv.get(i + 1)
                .and_then(|v| v.parse().ok())
                .expect("a number")
        };
        match argv[i].as_str() {
            "--ws" => {
                a.ws = true;
                i += 1;
                continue;
            }
            "--users" => a.users = value(),
            "--rooms" => a.rooms = value(),
            "--messages" => a.messages = value(),
            "--concurrency" => a.concurrency = value(),
            "--rate" => a.rate = value() as f64,
            "--idle" => a.idle = value(),
            "--big-rooms" => a.big_rooms = value(),
            other => panic!("unknown argument {other}"),
        }
        i += 2;
    }
    a
}

fn percentiles(name: &str, mut samples: Vec<Duration>) {
    if samples.is_empty() {
        println!("{name:<24} no samples");
        return;
    }
    samples.sort();
    let pct = |p: f64| {
        samples[((samples.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1000.0
    };
    println!(
        "{name:<24} n={:<7} p50={:>7.2} ms  p95={:>7.2} ms  p99={:>7.2} ms  max={:>8.2} ms",
        samples.len(),
        pct(0.5),
        pct(0.95),
        pct(0.99),
        samples.last().unwrap().as_secs_f64() * 1000.0
    );
}

fn mib(bytes: Option<u64>) -> String {
    bytes.map_or("?".into(), |b| format!("{:.1} MiB", b as f64 / 1048576.0))
}

/// What the load program reads of a sync response: only what it measures, so that parsing
/// costs it little (the rest is skipped, not built).
#[derive(Deserialize)]
struct SyncBody {
    /// Empty in a `result` frame's body, which shares this struct.
    #[serde(default)]
    next_batch: String,
    #[serde(default)]
    rooms: SyncRooms,
}

#[derive(Deserialize, Default)]
struct SyncRooms {
    #[serde(default)]
    join: HashMap<String, JoinedRoom>,
}

#[derive(Deserialize)]
struct JoinedRoom {
    timeline: Timeline,
}

#[derive(Deserialize)]
struct Timeline {
    #[serde(default)]
    events: Vec<TimelineEvent>,
}

#[derive(Deserialize)]
struct TimelineEvent {
    sender: String,
    #[serde(default)]
    content: MessageContent,
}

#[derive(Deserialize, Default)]
struct MessageContent {
    body: Option<String>,
}

/// A WebSocket frame, as far as the load program reads it: a `sync` frame's body, or a
/// `result` frame's message number and outcome.
#[derive(Deserialize)]
struct Frame {
    #[serde(rename = "type")]
    kind: String,
    body: Option<SyncBody>,
    id: Option<usize>,
    #[serde(default)]
    ok: bool,
}

/// A send command for a user's WebSocket, answered with whether it succeeded.
struct Outgoing {
    id: usize,
    frame: String,
    done: oneshot::Sender<bool>,
}

/// Message `m{id}` bodies from others seen in a sync body's timelines.
fn message_ids(body: &SyncBody, me: &str) -> Vec<usize> {
    body.rooms
        .join
        .values()
        .flat_map(|room| &room.timeline.events)
        .filter(|e| e.sender != me)
        .filter_map(|e| e.content.body.as_deref()?.strip_prefix('m')?.parse().ok())
        .collect()
}

/// When each message's send request left.
type Sent = Arc<Mutex<HashMap<usize, Instant>>>;

/// Receivers take up to 100 new events per room and response, as busy clients do; a gap
/// beyond that (a `limited` timeline) counts as undelivered. Like stock clients, each
/// uploads its filter once and names it by ID in every sync.
const FILTER: &str = r#"{"room":{"timeline":{"limit":100}}}"#;

/// What the receivers saw.
#[derive(Default)]
struct Tally {
    latencies: Mutex<Vec<Duration>>,
    /// Each delivery: message and arrival, to compare with the send's completion afterwards.
    arrivals: Mutex<Vec<(usize, Instant)>>,
    /// Messages delivered.
    received: AtomicUsize,
    /// Sync responses (or frames), and those that carried messages.
    responses: AtomicUsize,
    with_messages: AtomicUsize,
}

/// One member's sync loop; records the latency of every message it receives.
async fn receive(
    client: Client,
    ws: bool,
    mut outbox: mpsc::UnboundedReceiver<Outgoing>,
    since: String,
    sent: Sent,
    tally: Arc<Tally>,
    stop: Arc<AtomicUsize>,
) {
    let me = client.user_id().to_owned();
    let filter = client
        .post(
            &format!("/_matrix/client/v3/user/{me}/filter"),
            serde_json::from_str(FILTER).unwrap(),
        )
        .await
        .must_ok()["filter_id"]
        .as_str()
        .expect("a filter ID")
        .to_owned();
    let record = |body: &SyncBody| {
        let now = Instant::now();
        let ids = message_ids(body, &me);
        tally.responses.fetch_add(1, Ordering::Relaxed);
        if !ids.is_empty() {
            tally.with_messages.fetch_add(1, Ordering::Relaxed);
        }
        let sent = sent.lock().unwrap();
        let mut lat = tally.latencies.lock().unwrap();
        let mut arrivals = tally.arrivals.lock().unwrap();
        for id in ids {
            if let Some(at) = sent.get(&id) {
                lat.push(now.duration_since(*at));
                arrivals.push((id, now));
                tally.received.fetch_add(1, Ordering::Relaxed);
            }
        }
    };
    if ws {
        let mut socket =
            WsClient::connect(&client, &format!("since={since}&filter={filter}")).await;
        // Sends waiting for their `result` frame, by message number.
        let mut pending: HashMap<usize, oneshot::Sender<bool>> = HashMap::new();
        while stop.load(Ordering::Relaxed) == 0 {
            let text = tokio::select! {
                Some(out) = outbox.recv() => {
                    pending.insert(out.id, out.done);
                    socket.send_text(&out.frame).await;
                    continue;
                }
                text = tokio::time::timeout(Duration::from_millis(500), socket.next_text()) => {
                    let Ok(Ok(text)) = text else { continue };
                    text
                }
            };
            let frame: Frame = serde_json::from_str(&text).expect("a frame");
            match (frame.kind.as_str(), frame.body) {
                ("sync", Some(body)) => {
                    record(&body);
                    socket
                        .send_text(&format!(
                            r#"{{"type":"ack","next_batch":"{}"}}"#,
                            body.next_batch
                        ))
                        .await;
                }
                ("result", _) => {
                    if let Some(done) = frame.id.and_then(|id| pending.remove(&id)) {
                        let _ = done.send(frame.ok);
                    }
                }
                _ => {}
            }
        }
    } else {
        let mut connection = LeanConnection::open(&client).await;
        let mut since = since;
        while stop.load(Ordering::Relaxed) == 0 {
            let path =
                format!("/_matrix/client/v3/sync?since={since}&timeout=1000&filter={filter}");
            let response = connection.request(&client, "GET", &path, None).await;
            if response.status != 200 {
                continue;
            }
            let body: SyncBody = serde_json::from_slice(&response.body).expect("a sync body");
            record(&body);
            since = body.next_batch;
        }
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let a = args();
    let hs = Homeserver::start(ServerOptions::benchmark()).await;
    println!(
        "bench_sync: {} users in {} rooms, {} messages, concurrency {}{}, {} ({})",
        a.users,
        a.rooms,
        a.messages,
        a.concurrency,
        if a.rate > 0.0 {
            format!(" at {} msg/s offered", a.rate)
        } else {
            String::new()
        },
        if a.ws {
            "WebSocket, sends on the same sockets"
        } else {
            "long-poll /sync"
        },
        complement_tests::backend_name()
    );
    let mut users = Vec::new();
    for i in 0..a.users {
        users.push(hs.register(&format!("u{i}")).await);
    }
    let mut rooms = Vec::new();
    for creator in users.iter().take(a.rooms) {
        rooms.push(
            creator
                .create_room(json!({ "preset": "public_chat" }))
                .await,
        );
    }
    for (i, user) in users.iter().enumerate() {
        if i >= a.rooms {
            user.join(&rooms[i % a.rooms]).await.must_ok();
        }
    }
    let sent: Sent = Arc::default();
    let tally = Arc::new(Tally::default());
    let stop = Arc::new(AtomicUsize::new(0));
    let mut receivers = Vec::new();
    // Over WebSocket, each user's sends go through its own socket, as a client's would.
    let mut outboxes = Vec::new();
    for user in &users {
        let (outbox, sending) = mpsc::unbounded_channel();
        outboxes.push(outbox);
        let since = user
            .sync(None, "filter={\"room\":{\"timeline\":{\"limit\":1}}}")
            .await
            .json["next_batch"]
            .as_str()
            .unwrap()
            .to_owned();
        receivers.push(tokio::spawn(receive(
            user.clone(),
            a.ws,
            sending,
            since,
            sent.clone(),
            tally.clone(),
            stop.clone(),
        )));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_before = hs.rss_bytes();

    let next = Arc::new(AtomicUsize::new(0));
    let send_latencies: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let done: Sent = Arc::default();
    let cpu = CpuMeter::start(&hs);
    let start = Instant::now();
    let mut senders = Vec::new();
    for _ in 0..a.concurrency {
        let (users, rooms, sent, next) = (users.clone(), rooms.clone(), sent.clone(), next.clone());
        let (outboxes, ws) = (outboxes.clone(), a.ws);
        let (send_latencies, done) = (send_latencies.clone(), done.clone());
        let (n, r, rate) = (a.messages, a.rooms, a.rate);
        let base = users[0].clone();
        senders.push(tokio::spawn(async move {
            let mut connection = LeanConnection::open(&base).await;
            loop {
                let id = next.fetch_add(1, Ordering::Relaxed);
                if id >= n {
                    break;
                }
                let user = &users[id % users.len()];
                let room = &rooms[(id % users.len()) % r];
                let at = if rate > 0.0 {
                    let due = start + Duration::from_secs_f64(id as f64 / rate);
                    if due > Instant::now() {
                        // Timed from the wake-up: the timer's millisecond ticks are ours.
                        tokio::time::sleep_until(due.into()).await;
                        Instant::now()
                    } else {
                        due
                    }
                } else {
                    Instant::now()
                };
                sent.lock().unwrap().insert(id, at);
                let body = format!(r#"{{"msgtype":"m.text","body":"m{id}"}}"#);
                if ws {
                    let frame = format!(
                        r#"{{"type":"send","id":{id},"room_id":"{room}","event_type":"m.room.message","txn_id":"t{id}","content":{body}}}"#
                    );
                    let (done, ok) = oneshot::channel();
                    outboxes[id % users.len()]
                        .send(Outgoing { id, frame, done })
                        .expect("the user's socket is open");
                    assert!(ok.await.expect("an answer"), "send failed");
                } else {
                    let path =
                        format!("/_matrix/client/v3/rooms/{room}/send/m.room.message/t{id}");
                    let response = connection
                        .request(user, "PUT", &path, Some(body.as_bytes()))
                        .await;
                    assert_eq!(response.status, 200, "send failed");
                }
                send_latencies.lock().unwrap().push(at.elapsed());
                done.lock().unwrap().insert(id, Instant::now());
            }
        }));
    }
    for s in senders {
        s.await.unwrap();
    }
    let elapsed = start.elapsed();
    let per_room = a.users / a.rooms;
    let expected = a.messages * per_room.saturating_sub(1);
    let deadline = Instant::now() + Duration::from_secs(10);
    while tally.received.load(Ordering::Relaxed) < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let rss_after = hs.rss_bytes();
    let (server_cpu, client_cpu) = cpu.per_op(&hs, a.messages);
    stop.store(1, Ordering::Relaxed);
    for r in receivers {
        let _ = r.await;
    }
    println!(
        "send throughput          {:.0} msg/s ({} in {:.2} s)",
        a.messages as f64 / elapsed.as_secs_f64(),
        a.messages,
        elapsed.as_secs_f64()
    );
    percentiles("send latency", send_latencies.lock().unwrap().clone());
    percentiles("delivery latency", tally.latencies.lock().unwrap().clone());
    // A member may see a message before its sender has the 200: that counts as zero.
    let after_200 = {
        let done = done.lock().unwrap();
        tally
            .arrivals
            .lock()
            .unwrap()
            .iter()
            .filter_map(|(id, at)| Some(at.saturating_duration_since(*done.get(id)?)))
            .collect()
    };
    percentiles("delivery after the 200", after_200);
    println!(
        "sync responses           {} ({} with messages)",
        tally.responses.load(Ordering::Relaxed),
        tally.with_messages.load(Ordering::Relaxed)
    );
    let got = tally.received.load(Ordering::Relaxed);
    println!(
        "undelivered              {} of {expected}",
        expected.saturating_sub(got)
    );
    println!("CPU per message          server {server_cpu:.0} µs, this program {client_cpu:.0} µs");
    println!(
        "server RSS               {} before, {} after",
        mib(rss_before),
        mib(rss_after)
    );

    // Initial sync of a user in many rooms.
    if a.big_rooms > 0 {
        let busy = hs.register("busy").await;
        for i in 0..a.big_rooms {
            let room = busy
                .create_room(json!({ "name": format!("room {i}") }))
                .await;
            busy.send_text(&room, "hello").await;
        }
        let mut samples = Vec::new();
        for _ in 0..5 {
            let start = Instant::now();
            busy.sync(None, "").await.must_ok();
            samples.push(start.elapsed());
        }
        percentiles(&format!("initial sync {} rooms", a.big_rooms), samples);
    }

    // Idle connected long-polls (tokens shared by the existing users).
    if a.idle > 0 {
        let since = users[0].sync(None, "timeout=0").await.json["next_batch"]
            .as_str()
            .unwrap()
            .to_owned();
        let idle_stop = Arc::new(AtomicUsize::new(0));
        let mut polls = Vec::new();
        let rss_start = hs.rss_bytes();
        for i in 0..a.idle {
            let client = users[i % users.len()].clone();
            let since = since.clone();
            polls.push(tokio::spawn(async move {
                let _ = client.sync(Some(&since), "timeout=60000&filter={\"presence\":{\"types\":[]},\"room\":{\"rooms\":[]}}").await;
            }));
            if i % 500 == 499 {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        tokio::time::sleep(Duration::from_secs(3)).await;
        println!(
            "idle long-polls          {} connected: server RSS {} (was {})",
            a.idle,
            mib(hs.rss_bytes()),
            mib(rss_start)
        );
        idle_stop.store(1, Ordering::Relaxed);
        for p in polls {
            p.abort();
        }
    }
}
