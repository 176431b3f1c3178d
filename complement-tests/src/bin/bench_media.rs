//! Benchmark: upload and download throughput, thumbnail latency for a 4000×3000 JPEG, and
//! the server's memory while a 500 MB file streams in.
//!
//!   cargo build --release --bins -p hearth -p complement-tests
//!   ./target/release/bench_media [UPLOAD_MB]   (default 500)
//!
//! Uploads and downloads go over raw loopback TCP in 1 MiB pieces, so the load program never
//! holds a whole file either. It prints figures; it asserts nothing.

use std::{
    io::Cursor,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use complement_tests::{Homeserver, ServerOptions, rss_of};
use image::{DynamicImage, ImageFormat, RgbImage};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

const PIECE: usize = 1 << 20;

fn percentile(samples: &mut [Duration], p: f64) -> f64 {
    samples.sort();
    samples[((samples.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1000.0
}

fn address(hs: &Homeserver) -> String {
    hs.base_url.trim_start_matches("http://").to_owned()
}

/// Reads an HTTP/1.1 response head; returns the status and the Content-Length.
async fn read_head(reader: &mut BufReader<tokio::net::TcpStream>) -> (u16, u64) {
    let mut status = 0;
    let mut length = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).await.expect("read head");
        let line = line.trim_end();
        if line.is_empty() {
            return (status, length);
        }
        if let Some(rest) = line.strip_prefix("HTTP/1.1 ") {
            status = rest[..3].parse().expect("status");
        } else if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().expect("length");
        }
    }
}

/// Streams `total` pseudo-random bytes as an upload; returns the elapsed time and the URI.
async fn upload(hs: &Homeserver, token: &str, total: u64) -> (Duration, String) {
    let address = address(hs);
    let stream = tokio::net::TcpStream::connect(&address)
        .await
        .expect("connect");
    let mut reader = BufReader::new(stream);
    let head = format!(
        "POST /_matrix/media/v3/upload?filename=big.bin HTTP/1.1\r\nHost: {address}\r\n\
         Authorization: Bearer {token}\r\nContent-Type: application/octet-stream\r\n\
         Content-Length: {total}\r\nConnection: close\r\n\r\n"
    );
    let start = Instant::now();
    let socket = reader.get_mut();
    socket.write_all(head.as_bytes()).await.expect("write");
    let mut piece: Vec<u8> = (0..PIECE).map(|i| (i * 31 % 251) as u8).collect();
    let mut sent = 0u64;
    let mut n = 0u64;
    while sent < total {
        // Vary each piece so the bytes are not one repeated block.
        n += 1;
        piece[..8].copy_from_slice(&n.to_le_bytes());
        let len = (total - sent).min(PIECE as u64) as usize;
        socket.write_all(&piece[..len]).await.expect("write");
        sent += len as u64;
    }
    let (status, length) = read_head(&mut reader).await;
    let mut body = vec![0; length as usize];
    reader.read_exact(&mut body).await.expect("body");
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let json: serde_json::Value = serde_json::from_slice(&body).expect("json");
    (
        start.elapsed(),
        json["content_uri"].as_str().expect("uri").to_owned(),
    )
}

/// Downloads `mxc` and discards it; returns the elapsed time and the byte count.
async fn download(hs: &Homeserver, token: &str, mxc: &str) -> (Duration, u64) {
    let address = address(hs);
    let id = mxc.rsplit('/').next().expect("media id");
    let stream = tokio::net::TcpStream::connect(&address)
        .await
        .expect("connect");
    let mut reader = BufReader::with_capacity(PIECE, stream);
    let head = format!(
        "GET /_matrix/client/v1/media/download/{}/{id} HTTP/1.1\r\nHost: {address}\r\n\
         Authorization: Bearer {token}\r\nConnection: close\r\n\r\n",
        hs.server_name
    );
    let start = Instant::now();
    reader
        .get_mut()
        .write_all(head.as_bytes())
        .await
        .expect("write");
    let (status, length) = read_head(&mut reader).await;
    assert_eq!(status, 200);
    let mut buf = vec![0; PIECE];
    let mut got = 0u64;
    while got < length {
        let n = reader.read(&mut buf).await.expect("read");
        assert!(n > 0, "download ended early");
        got += n as u64;
    }
    (start.elapsed(), got)
}

fn mb_per_s(bytes: u64, elapsed: Duration) -> f64 {
    bytes as f64 / (1024.0 * 1024.0) / elapsed.as_secs_f64()
}

fn mib(bytes: Option<u64>) -> String {
    bytes.map_or("?".to_owned(), |b| {
        format!("{:.1} MiB", b as f64 / 1048576.0)
    })
}

/// A 4000×3000 photo-like JPEG (smooth gradients plus noise), different per `seed`.
fn photo(seed: u32) -> Vec<u8> {
    let image = RgbImage::from_fn(4000, 3000, |x, y| {
        let noise = (x.wrapping_mul(7919) ^ y.wrapping_mul(104729) ^ seed.wrapping_mul(31)) % 23;
        image::Rgb([
            ((x / 16 + noise) % 256) as u8,
            ((y / 12 + noise) % 256) as u8,
            (((x + y) / 28 + seed) % 256) as u8,
        ])
    });
    let mut out = Vec::new();
    DynamicImage::ImageRgb8(image)
        .write_to(&mut Cursor::new(&mut out), ImageFormat::Jpeg)
        .expect("encode");
    out
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let big_mb: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(500);
    let options = ServerOptions {
        media_extra: format!("max_upload_size = {}", (big_mb + 1) * 1024 * 1024),
        ..ServerOptions::benchmark()
    };
    let hs = Homeserver::start(options).await;
    let alice = hs.register("alice").await;
    let token = alice.access_token.clone().expect("token");

    // Throughput: 100 MiB up and down, three times each.
    let size = 100 * 1024 * 1024;
    let mut last = String::new();
    for round in 1..=3 {
        let (elapsed, mxc) = upload(&hs, &token, size).await;
        println!(
            "upload   100 MiB  round {round}: {:>7.1} MB/s",
            mb_per_s(size, elapsed)
        );
        last = mxc;
    }
    for round in 1..=3 {
        let (elapsed, got) = download(&hs, &token, &last).await;
        println!(
            "download 100 MiB  round {round}: {:>7.1} MB/s",
            mb_per_s(got, elapsed)
        );
    }

    // Thumbnails of a 4000×3000 JPEG: first request (decode + scale + encode) and cached.
    let mut first = Vec::new();
    let mut cached = Vec::new();
    for seed in 0..8 {
        let mxc = alice.upload(photo(seed), "image/jpeg", "photo.jpg").await;
        let id = mxc.rsplit('/').next().expect("id").to_owned();
        let path = format!(
            "/_matrix/client/v1/media/thumbnail/hs1/{id}?width=320&height=240&method=scale"
        );
        let start = Instant::now();
        alice.get(&path).await.must_status(200);
        first.push(start.elapsed());
        let start = Instant::now();
        alice.get(&path).await.must_status(200);
        cached.push(start.elapsed());
    }
    println!(
        "thumbnail 4000x3000 JPEG -> 320x240: first p50 {:.1} ms (max {:.1} ms), cached p50 {:.2} ms",
        percentile(&mut first, 0.5),
        percentile(&mut first, 1.0),
        percentile(&mut cached, 0.5)
    );

    // Memory while a big file streams in: sampled every 50 ms.
    let before = hs.rss_bytes();
    let peak = Arc::new(AtomicU64::new(0));
    let sampler = {
        let peak = peak.clone();
        let pid = hs.pid().expect("server pid");
        tokio::spawn(async move {
            loop {
                if let Some(rss) = rss_of(pid) {
                    peak.fetch_max(rss, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    let big = big_mb * 1024 * 1024;
    let (elapsed, mxc) = upload(&hs, &token, big).await;
    sampler.abort();
    println!(
        "upload {big_mb} MiB: {:.1} MB/s; server RSS before {}, peak during {}, after {}",
        mb_per_s(big, elapsed),
        mib(before),
        mib(Some(peak.load(Ordering::Relaxed))),
        mib(hs.rss_bytes()),
    );
    let (elapsed, got) = download(&hs, &token, &mxc).await;
    println!(
        "download {big_mb} MiB: {:.1} MB/s; server RSS after {}",
        mb_per_s(got, elapsed),
        mib(hs.rss_bytes())
    );
}
