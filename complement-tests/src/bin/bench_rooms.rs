//! Benchmark: createRoom latency, send latency and sustained throughput with concurrent
//! senders, `/messages` latency and `/search` latency over a large history.
//!
//!   cargo build --release --bins -p hearth -p complement-tests
//!   ./target/release/bench_rooms [SEARCH_CORPUS]   (default 100000 events)
//!
//! It prints figures; it asserts nothing.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use complement_tests::{Client, CpuMeter, Homeserver, LeanConnection, ServerOptions, Value, json};

const SENDERS: usize = 20;
const ROOMS: usize = 10;
const SENDS_PER_SENDER: usize = 250;
/// Events per second, all senders together, in the paced phase.
const PACED_RATE: u64 = 2000;

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let pct = |p: f64| {
        samples[((samples.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1000.0
    };
    println!(
        "{name:<22} n={:<6} p50={:>7.2} ms  p95={:>7.2} ms  p99={:>7.2} ms",
        samples.len(),
        pct(0.5),
        pct(0.95),
        pct(0.99)
    );
}

/// One send over the load program's own connection (see `LeanConnection`), which must
/// succeed.
async fn must_send(connection: &mut LeanConnection, client: &Client, path: &str, body: &Value) {
    let body = serde_json::to_vec(body).expect("json");
    let response = connection.request(client, "PUT", path, Some(&body)).await;
    assert_eq!(response.status, 200, "send failed");
}

/// Sends `count` messages from `client` to `room`, returning each send's latency.
async fn send_many(
    client: Client,
    room: String,
    count: usize,
    tag: usize,
    words: Arc<Vec<&'static str>>,
) -> Vec<Duration> {
    let mut connection = LeanConnection::open(&client).await;
    let mut latencies = Vec::with_capacity(count);
    for i in 0..count {
        let word = words[(i * 7 + tag * 13) % words.len()];
        let body = json!({ "msgtype": "m.text", "body": format!("message {i} from sender {tag} about {word}") });
        let path = format!("/_matrix/client/v3/rooms/{room}/send/m.room.message/b{tag}-{i}");
        let start = Instant::now();
        must_send(&mut connection, &client, &path, &body).await;
        latencies.push(start.elapsed());
    }
    latencies
}

/// Like [`send_many`] but paced: one message every `interval` from `first`, each latency
/// counted from when it was due, so a slow answer delays nothing it should not (no
/// coordinated omission).
async fn send_paced(
    client: Client,
    room: String,
    count: usize,
    tag: usize,
    first: tokio::time::Instant,
    interval: Duration,
) -> Vec<Duration> {
    let mut connection = LeanConnection::open(&client).await;
    let mut latencies = Vec::with_capacity(count);
    let mut ticker = tokio::time::interval_at(first, interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    for i in 0..count {
        let due = ticker.tick().await;
        let body =
            json!({ "msgtype": "m.text", "body": format!("paced message {i} from sender {tag}") });
        let path = format!("/_matrix/client/v3/rooms/{room}/send/m.room.message/p{tag}-{i}");
        must_send(&mut connection, &client, &path, &body).await;
        latencies.push(due.elapsed());
    }
    latencies
}

/// `GET /account/whoami` from `client`, `count` times: the cost of an authenticated request
/// that does nothing, the floor under every other figure.
async fn whoami_many(client: Client, count: usize) -> Vec<Duration> {
    let mut connection = LeanConnection::open(&client).await;
    let mut latencies = Vec::with_capacity(count);
    for _ in 0..count {
        let start = Instant::now();
        let response = connection
            .request(&client, "GET", "/_matrix/client/v3/account/whoami", None)
            .await;
        assert_eq!(response.status, 200, "whoami failed");
        latencies.push(start.elapsed());
    }
    latencies
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let corpus: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let hs = Homeserver::start(ServerOptions::benchmark()).await;
    let words: Arc<Vec<&'static str>> = Arc::new(vec![
        "dumplings",
        "hiking",
        "weather",
        "release",
        "deploy",
        "lunch",
        "coffee",
        "meeting",
        "budget",
        "holiday",
        "garden",
        "football",
        "concert",
        "invoice",
        "printer",
        "server",
        "kitten",
        "bicycle",
        "recipe",
        "museum",
    ]);

    let mut users = Vec::new();
    for i in 0..SENDERS {
        users.push(hs.register(&format!("sender{i}")).await);
    }
    let owner = &users[0];

    let mut create = Vec::new();
    let mut rooms = Vec::new();
    for i in 0..ROOMS + 20 {
        let start = Instant::now();
        let room = owner
            .create_room(json!({ "preset": "public_chat", "name": format!("Bench {i}") }))
            .await;
        create.push(start.elapsed());
        rooms.push(room);
    }
    rooms.truncate(ROOMS);
    for (i, user) in users.iter().enumerate().skip(1) {
        user.join(&rooms[i % ROOMS]).await.must_ok();
    }

    // Unloaded send latency: one sender, one request at a time.
    let single = send_many(owner.clone(), rooms[0].clone(), 300, 999, words.clone()).await;

    // The floor: an authenticated request that does nothing, 20 at a time.
    let start = Instant::now();
    let cpu = CpuMeter::start(&hs);
    let mut tasks = Vec::new();
    for user in &users {
        tasks.push(tokio::spawn(whoami_many(user.clone(), SENDS_PER_SENDER)));
    }
    let mut whoami = Vec::new();
    for task in tasks {
        whoami.extend(task.await.unwrap());
    }
    let whoami_rate = whoami.len() as f64 / start.elapsed().as_secs_f64();
    let whoami_cpu = cpu.per_op(&hs, whoami.len());

    // Sustained sends: 20 concurrent senders, two per room.
    let start = Instant::now();
    let cpu = CpuMeter::start(&hs);
    let mut tasks = Vec::new();
    for (i, user) in users.iter().enumerate() {
        let room = rooms[i % ROOMS].clone();
        tasks.push(tokio::spawn(send_many(
            user.clone(),
            room,
            SENDS_PER_SENDER,
            i,
            words.clone(),
        )));
    }
    let mut sends = Vec::new();
    for task in tasks {
        sends.extend(task.await.unwrap());
    }
    let elapsed = start.elapsed();
    let sent = sends.len();
    let send_cpu = cpu.per_op(&hs, sent);

    // Latency under the target load: the same 20 senders paced to 2,000 events/s in all.
    // Senders start spread over one interval, as independent clients would be: started
    // together, all 20 would send at the same instant every 10 ms, a burst that measures
    // queueing behind each other rather than the load.
    let mut tasks = Vec::new();
    let interval = Duration::from_micros(1_000_000 * SENDERS as u64 / PACED_RATE);
    let start = tokio::time::Instant::now();
    for (i, user) in users.iter().enumerate() {
        let room = rooms[i % ROOMS].clone();
        let first = start + interval * i as u32 / SENDERS as u32;
        tasks.push(tokio::spawn(send_paced(
            user.clone(),
            room,
            SENDS_PER_SENDER,
            i,
            first,
            interval,
        )));
    }
    let mut paced = Vec::new();
    for task in tasks {
        paced.extend(task.await.unwrap());
    }

    // /messages of 50 events.
    let mut messages = Vec::new();
    for i in 0..200 {
        let start = Instant::now();
        owner
            .room_get(&rooms[i % ROOMS], "messages?dir=b&limit=50")
            .await
            .must_ok();
        messages.push(start.elapsed());
    }

    // Grow the history to the search corpus size, then search it.
    let have = sent + paced.len() + ROOMS * 8;
    if corpus > have {
        let per_sender = (corpus - have).div_ceil(SENDERS);
        let mut tasks = Vec::new();
        for (i, user) in users.iter().enumerate() {
            let room = rooms[i % ROOMS].clone();
            tasks.push(tokio::spawn(send_many(
                user.clone(),
                room,
                per_sender,
                i + 1000,
                words.clone(),
            )));
        }
        for task in tasks {
            task.await.unwrap();
        }
    }
    let mut search = Vec::new();
    for i in 0..100 {
        let word = words[i % words.len()];
        let start = Instant::now();
        let found = owner
            .post("/_matrix/client/v3/search", json!({ "search_categories": { "room_events": { "search_term": word, "order_by": "rank" } } }))
            .await;
        found.must_ok();
        search.push(start.elapsed());
    }

    println!(
        "hearth rooms benchmark ({}, loopback, 2 worker threads in the client)",
        complement_tests::backend_name()
    );
    report("createRoom", create);
    report("send (one at a time)", single);
    report("whoami (20 concurrent)", whoami);
    println!(
        "{:<22} {whoami_rate:.0} requests/s; CPU per request: server {:.0} µs, client {:.0} µs",
        "whoami throughput", whoami_cpu.0, whoami_cpu.1
    );
    report("send (20 concurrent)", sends);
    println!(
        "{:<22} {:.0} events/s ({sent} events in {:.2} s); CPU per event: server {:.0} µs, client {:.0} µs",
        "sustained send",
        sent as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64(),
        send_cpu.0,
        send_cpu.1
    );
    report(&format!("send (paced {PACED_RATE}/s)"), paced);
    report("/messages (50)", messages);
    report(&format!("/search ({}k events)", corpus / 1000), search);
    println!(
        "server RSS after the run: {:.1} MiB",
        hs.rss_bytes().unwrap_or_default() as f64 / 1048576.0
    );
}
