//! Prometheus metrics in the text exposition format, served on their own listener.

use std::{
    collections::HashMap,
    fmt::Write,
    sync::Mutex,
    time::{Duration, Instant},
};

use axum::{Router, extract::State, routing::get};
use std::sync::Arc;

/// Upper bounds (seconds) of the request-latency histogram buckets.
const BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

#[derive(Debug)]
pub struct Metrics {
    started: Instant,
    requests: Mutex<HashMap<(String, &'static str, u16), Series>>,
}

#[derive(Debug, Default)]
struct Series {
    count: u64,
    sum_secs: f64,
    buckets: [u64; BUCKETS.len()],
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            started: Instant::now(),
            requests: Mutex::new(HashMap::new()),
        }
    }
}

impl Metrics {
    pub fn observe(&self, method: &str, route: &'static str, status: u16, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        let mut requests = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        let series = requests
            .entry((method.to_owned(), route, status))
            .or_default();
        series.count += 1;
        series.sum_secs += secs;
        for (bucket, bound) in series.buckets.iter_mut().zip(BUCKETS) {
            if secs <= bound {
                *bucket += 1;
            }
        }
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        let requests = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        let mut keys: Vec<_> = requests.keys().collect();
        keys.sort();
        out.push_str("# HELP hearth_http_requests_total HTTP requests handled.\n");
        out.push_str("# TYPE hearth_http_requests_total counter\n");
        for key @ (method, route, status) in &keys {
            let n = requests[*key].count;
            let _ = writeln!(
                out,
                "hearth_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}"
            );
        }
        out.push_str("# HELP hearth_http_request_duration_seconds Time to answer HTTP requests.\n");
        out.push_str("# TYPE hearth_http_request_duration_seconds histogram\n");
        let mut by_route: HashMap<(&str, &str), Series> = HashMap::new();
        for ((method, route, _), series) in requests.iter() {
            let agg = by_route.entry((method.as_str(), route)).or_default();
            agg.count += series.count;
            agg.sum_secs += series.sum_secs;
            for (a, b) in agg.buckets.iter_mut().zip(series.buckets) {
                *a += b;
            }
        }
        let mut routes: Vec<_> = by_route.into_iter().collect();
        routes.sort_by(|a, b| a.0.cmp(&b.0));
        for ((method, route), s) in routes {
            let labels = format!("method=\"{method}\",route=\"{route}\"");
            for (bound, n) in BUCKETS.iter().zip(s.buckets) {
                let _ = writeln!(
                    out,
                    "hearth_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "hearth_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                s.count
            );
            let _ = writeln!(
                out,
                "hearth_http_request_duration_seconds_sum{{{labels}}} {}",
                s.sum_secs
            );
            let _ = writeln!(
                out,
                "hearth_http_request_duration_seconds_count{{{labels}}} {}",
                s.count
            );
        }
        drop(requests);
        out.push_str("# HELP hearth_uptime_seconds Seconds since the process started.\n");
        out.push_str("# TYPE hearth_uptime_seconds gauge\n");
        let _ = writeln!(
            out,
            "hearth_uptime_seconds {}",
            self.started.elapsed().as_secs_f64()
        );
        if let Some(rss) = resident_memory_bytes() {
            out.push_str("# HELP process_resident_memory_bytes Resident memory size in bytes.\n");
            out.push_str("# TYPE process_resident_memory_bytes gauge\n");
            let _ = writeln!(out, "process_resident_memory_bytes {rss}");
        }
        out
    }
}

/// Resident set size from `/proc/self/statm` (Linux); `None` elsewhere.
pub fn resident_memory_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

pub fn metrics_app(metrics: Arc<Metrics>) -> Router {
    Router::new()
        .route(
            "/metrics",
            get(|State(m): State<Arc<Metrics>>| async move {
                (
                    [(http::header::CONTENT_TYPE, "text/plain; version=0.0.4")],
                    m.render(),
                )
            }),
        )
        .with_state(metrics)
}
