//! Benchmark: register and login latency (p50/p95) and the server's idle RSS.
//!
//! Build and run in release mode so the figures mean something:
//!   cargo build --release --bins -p hearth -p complement-tests
//!   ./target/release/bench_accounts [N]
//! It prints figures; it asserts nothing.

use std::time::{Duration, Instant};

use complement_tests::{Homeserver, PASSWORD, ServerOptions, json};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    println!(
        "{name:<10} n={:<4} p50={:>7.1} ms  p95={:>7.1} ms  max={:>7.1} ms",
        samples.len(),
        percentile(&samples, 0.50).as_secs_f64() * 1000.0,
        percentile(&samples, 0.95).as_secs_f64() * 1000.0,
        samples.last().unwrap().as_secs_f64() * 1000.0,
    );
}

fn mib(bytes: Option<u64>) -> String {
    bytes.map_or("n/a".into(), |b| {
        format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0))
    })
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(50);
    let hs = Homeserver::start(ServerOptions::benchmark()).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_start = hs.rss_bytes();
    let client = hs.client();

    let mut register = Vec::with_capacity(n);
    for i in 0..n {
        let body = json!({ "username": format!("bench{i}"), "password": PASSWORD, "auth": { "type": "m.login.dummy" } });
        let start = Instant::now();
        client
            .post("/_matrix/client/v3/register", body)
            .await
            .must_ok();
        register.push(start.elapsed());
    }
    let mut login = Vec::with_capacity(n);
    for i in 0..n {
        let body = json!({
            "type": "m.login.password",
            "identifier": { "type": "m.id.user", "user": format!("bench{i}") },
            "password": PASSWORD,
        });
        let start = Instant::now();
        client
            .post("/_matrix/client/v3/login", body)
            .await
            .must_ok();
        login.push(start.elapsed());
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_after = hs.rss_bytes();

    println!("hearth accounts benchmark ({n} users, SQLite, sequential requests on loopback)");
    report("register", register);
    report("login", login);
    println!(
        "idle RSS   at start: {}   after the run: {}",
        mib(rss_start),
        mib(rss_after)
    );
}
