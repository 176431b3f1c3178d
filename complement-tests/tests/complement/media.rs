//! The media repository: uploads, authenticated and legacy downloads, thumbnails, safe
//! serving, byte ranges, async uploads, limits and quotas.

use std::{io::Cursor, time::Duration};

use complement_tests::{Client, Deployment, Homeserver, RawResponse, ServerOptions, json};
use image::{AnimationDecoder, DynamicImage, ImageFormat, RgbaImage};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const AUTHED: &str = "/_matrix/client/v1/media";
const LEGACY: &str = "/_matrix/media/v3";

fn media_id(mxc: &str) -> &str {
    mxc.strip_prefix("mxc://hs1/").expect("an mxc URI of hs1")
}

fn random_bytes(len: usize) -> Vec<u8> {
    (0..len).map(|_| rand::random::<u8>()).collect()
}

fn encode(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Vec::new();
    let image = match format {
        ImageFormat::Jpeg => DynamicImage::ImageRgb8(image.to_rgb8()),
        _ => image.clone(),
    };
    image.write_to(&mut Cursor::new(&mut out), format).unwrap();
    out
}

/// A 640×480 picture with some structure (a gradient), so encoders do real work.
fn picture() -> DynamicImage {
    DynamicImage::ImageRgba8(RgbaImage::from_fn(640, 480, |x, y| {
        image::Rgba([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8, 255])
    }))
}

async fn with_media(media_extra: &str) -> Homeserver {
    let options = ServerOptions {
        media_extra: media_extra.to_owned(),
        ..ServerOptions::default()
    };
    Deployment::new(vec![options]).await.servers.remove(0)
}

/// Files in the media store, not counting uploads in progress.
fn stored_files(hs: &Homeserver) -> Vec<std::path::PathBuf> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(&hs.media_path(), &mut files);
    files
}

/// The `Content-Disposition` header as `(type, filename)`, read the way RFC 6266 allows it
/// to be written (quoted or not).
fn disposition(response: &RawResponse) -> (String, Option<String>) {
    let header = response
        .header("content-disposition")
        .expect("Content-Disposition");
    let parsed: ruma::http_headers::ContentDisposition = header.parse().expect("valid header");
    (parsed.disposition_type.to_string(), parsed.filename)
}

fn is(kind: &str, filename: Option<&str>) -> (String, Option<String>) {
    (kind.to_owned(), filename.map(str::to_owned))
}

async fn get_with(client: &Client, path: &str, headers: &[(&str, &str)]) -> RawResponse {
    client.raw_bytes("GET", path, Vec::new(), headers).await
}

#[tokio::test]
async fn uploads_download_byte_identical_on_both_endpoint_families() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let bob = hs.register("bob").await;
    for len in [1024, 10 * 1024 * 1024] {
        let bytes = random_bytes(len);
        let mxc = alice
            .upload(bytes.clone(), "application/octet-stream", "blob.bin")
            .await;
        let id = media_id(&mxc);
        for (client, path) in [
            (&bob, format!("{AUTHED}/download/hs1/{id}")),
            (&hs.client(), format!("{LEGACY}/download/hs1/{id}")),
        ] {
            let got = client.get(&path).await;
            got.must_status(200);
            assert_eq!(got.body.len(), len, "{path}");
            assert!(
                got.body.as_ref() == bytes.as_slice(),
                "{path}: bytes differ"
            );
            assert_eq!(got.header("content-length"), Some(len.to_string().as_str()));
            assert_eq!(got.header("content-type"), Some("application/octet-stream"));
            assert_eq!(disposition(&got), is("attachment", Some("blob.bin")));
            assert_eq!(got.header("x-content-type-options"), Some("nosniff"));
            assert!(
                got.header("content-security-policy")
                    .unwrap()
                    .contains("sandbox")
            );
        }
    }
    // The same bytes uploaded twice are two media IDs and one stored file.
    let bytes = random_bytes(2048);
    let before = stored_files(&hs).len();
    let one = alice.upload(bytes.clone(), "text/plain", "a.txt").await;
    let two = bob.upload(bytes, "text/plain", "b.txt").await;
    assert_ne!(one, two);
    assert_eq!(stored_files(&hs).len(), before + 1);
    // A file name in the path replaces the stored one.
    let named = bob
        .get(&format!(
            "{AUTHED}/download/hs1/{}/other%20name.txt",
            media_id(&two)
        ))
        .await;
    named.must_status(200);
    assert_eq!(
        disposition(&named),
        is("attachment", Some("other name.txt"))
    );
}

#[tokio::test]
async fn authenticated_endpoints_need_a_valid_token() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let mxc = alice
        .upload(b"secret".to_vec(), "text/plain", "s.txt")
        .await;
    let id = media_id(&mxc);
    let anonymous = hs.client();
    for path in [
        format!("{AUTHED}/download/hs1/{id}"),
        format!("{AUTHED}/download/hs1/{id}/x.txt"),
        format!("{AUTHED}/thumbnail/hs1/{id}?width=32&height=32"),
        format!("{AUTHED}/config"),
        format!("{LEGACY}/config"),
    ] {
        anonymous
            .get(&path)
            .await
            .must_error(401, "M_MISSING_TOKEN");
        anonymous
            .with_token(Some("nonsense"))
            .get(&path)
            .await
            .must_error(401, "M_UNKNOWN_TOKEN");
    }
    anonymous
        .raw_bytes("POST", &format!("{LEGACY}/upload"), b"x".to_vec(), &[])
        .await
        .must_error(401, "M_MISSING_TOKEN");
    anonymous
        .post("/_matrix/media/v1/create", json!({}))
        .await
        .must_error(401, "M_MISSING_TOKEN");
}

#[tokio::test]
async fn config_reports_the_upload_limit_and_unknown_media_is_not_found() {
    let hs = with_media("max_upload_size = 123456").await;
    let alice = hs.register("alice").await;
    for path in [format!("{AUTHED}/config"), format!("{LEGACY}/config")] {
        assert_eq!(alice.get(&path).await.must_ok()["m.upload.size"], 123456);
    }
    alice
        .get(&format!("{AUTHED}/download/hs1/doesnotexist"))
        .await
        .must_error(404, "M_NOT_FOUND");
    // Remote media stays unknown until federation fetches it.
    alice
        .get(&format!("{AUTHED}/download/elsewhere.example/abc"))
        .await
        .must_error(404, "M_NOT_FOUND");
    alice
        .get(&format!(
            "{LEGACY}/thumbnail/hs1/doesnotexist?width=32&height=32"
        ))
        .await
        .must_error(404, "M_NOT_FOUND");
}

#[tokio::test]
async fn oversized_uploads_are_refused_and_leave_nothing_on_disk() {
    let hs = with_media("max_upload_size = 1000").await;
    let alice = hs.register("alice").await;
    alice
        .raw_bytes(
            "POST",
            &format!("{LEGACY}/upload"),
            random_bytes(2000),
            &[("content-type", "application/octet-stream")],
        )
        .await
        .must_error(413, "M_TOO_LARGE");
    // Without a Content-Length the server finds out while streaming, and still cleans up.
    let token = alice.access_token.clone().unwrap();
    let address = hs.base_url.trim_start_matches("http://").to_owned();
    let mut socket = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST {LEGACY}/upload HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    for _ in 0..4 {
        let chunk = random_bytes(600);
        let framed = [
            format!("{:x}\r\n", chunk.len()).into_bytes(),
            chunk,
            b"\r\n".to_vec(),
        ]
        .concat();
        if socket.write_all(&framed).await.is_err() {
            break; // The server may answer and close before the body ends.
        }
    }
    let _ = socket.write_all(b"0\r\n\r\n").await;
    let mut answer = String::new();
    let _ = socket.read_to_string(&mut answer).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("M_TOO_LARGE"), "{answer}");
    assert_eq!(stored_files(&hs), Vec::<std::path::PathBuf>::new());
    // An upload within the limit still works.
    let mxc = alice
        .upload(random_bytes(1000), "application/octet-stream", "ok")
        .await;
    alice
        .get(&format!("{AUTHED}/download/hs1/{}", media_id(&mxc)))
        .await
        .must_status(200);
}

#[tokio::test]
async fn a_user_quota_limits_total_uploads() {
    let hs = with_media("user_quota_bytes = 1500").await;
    let alice = hs.register("alice").await;
    let bob = hs.register("bob").await;
    alice
        .upload(random_bytes(1000), "application/octet-stream", "a")
        .await;
    alice
        .raw_bytes("POST", &format!("{LEGACY}/upload"), random_bytes(1000), &[])
        .await
        .must_error(413, "M_TOO_LARGE");
    // Quotas are per user.
    bob.upload(random_bytes(1000), "application/octet-stream", "b")
        .await;
}

#[tokio::test]
async fn active_content_is_served_as_an_attachment_and_media_inline() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let html = alice
        .upload(
            b"<script>alert(1)</script>".to_vec(),
            "text/html",
            "page.html",
        )
        .await;
    let got = alice
        .get(&format!("{AUTHED}/download/hs1/{}", media_id(&html)))
        .await;
    got.must_status(200);
    assert_eq!(got.header("content-type"), Some("text/html"));
    assert_eq!(disposition(&got), is("attachment", Some("page.html")));
    assert!(
        got.header("content-security-policy")
            .unwrap()
            .contains("script-src 'none'")
    );
    let svg = alice
        .upload(
            b"<svg xmlns='http://www.w3.org/2000/svg'/>".to_vec(),
            "image/svg+xml",
            "x.svg",
        )
        .await;
    let got = alice
        .get(&format!("{AUTHED}/download/hs1/{}", media_id(&svg)))
        .await;
    assert_eq!(disposition(&got).0, "attachment");
    let png = alice
        .upload(encode(&picture(), ImageFormat::Png), "image/png", "pic.png")
        .await;
    let got = alice
        .get(&format!("{AUTHED}/download/hs1/{}", media_id(&png)))
        .await;
    assert_eq!(got.header("content-type"), Some("image/png"));
    assert_eq!(disposition(&got), is("inline", Some("pic.png")));
    // Without a file name at upload, the header names none.
    let bare = alice
        .raw_bytes(
            "POST",
            &format!("{LEGACY}/upload"),
            b"voice".to_vec(),
            &[("content-type", "audio/ogg")],
        )
        .await;
    let mxc = bare.must_ok()["content_uri"].as_str().unwrap().to_owned();
    let got = alice
        .get(&format!("{AUTHED}/download/hs1/{}", media_id(&mxc)))
        .await;
    assert_eq!(disposition(&got), is("inline", None));
}

#[tokio::test]
async fn range_requests_return_the_right_bytes() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let bytes = random_bytes(1000);
    let mxc = alice.upload(bytes.clone(), "video/mp4", "clip.mp4").await;
    let path = format!("{AUTHED}/download/hs1/{}", media_id(&mxc));
    let got = get_with(&alice, &path, &[("range", "bytes=100-199")]).await;
    got.must_status(206);
    assert_eq!(got.body.as_ref(), &bytes[100..200]);
    assert_eq!(got.header("content-range"), Some("bytes 100-199/1000"));
    assert_eq!(got.header("content-length"), Some("100"));
    let tail = get_with(&alice, &path, &[("range", "bytes=-10")]).await;
    tail.must_status(206);
    assert_eq!(tail.body.as_ref(), &bytes[990..]);
    let open = get_with(&alice, &path, &[("range", "bytes=900-")]).await;
    assert_eq!(open.body.as_ref(), &bytes[900..]);
    let clamped = get_with(&alice, &path, &[("range", "bytes=950-5000")]).await;
    assert_eq!(clamped.header("content-range"), Some("bytes 950-999/1000"));
    let beyond = get_with(&alice, &path, &[("range", "bytes=2000-")]).await;
    beyond.must_status(416);
    assert_eq!(beyond.header("content-range"), Some("bytes */1000"));
    let whole = alice.get(&path).await;
    whole.must_status(200);
    assert_eq!(whole.header("accept-ranges"), Some("bytes"));
}

#[tokio::test]
async fn thumbnails_of_each_image_type_have_the_asked_for_size() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let source = picture();
    for (format, mime, out_mime) in [
        (ImageFormat::Jpeg, "image/jpeg", "image/jpeg"),
        (ImageFormat::Png, "image/png", "image/png"),
        (ImageFormat::Gif, "image/gif", "image/png"),
        (ImageFormat::WebP, "image/webp", "image/png"),
    ] {
        let mxc = alice.upload(encode(&source, format), mime, "pic").await;
        let id = media_id(&mxc);
        for (query, want) in [
            ("width=96&height=96&method=crop", (96, 96)),
            ("width=32&height=32&method=crop", (32, 32)),
            ("width=320&height=240&method=scale", (320, 240)),
            ("width=640&height=480", (640, 480)),
        ] {
            for base in [AUTHED, LEGACY] {
                let client = if base == AUTHED {
                    alice.clone()
                } else {
                    hs.client()
                };
                let got = client
                    .get(&format!("{base}/thumbnail/hs1/{id}?{query}"))
                    .await;
                got.must_status(200);
                assert_eq!(got.header("content-type"), Some(out_mime), "{mime} {query}");
                assert_eq!(disposition(&got).0, "inline");
                let thumb = image::load_from_memory(&got.body).unwrap();
                assert_eq!((thumb.width(), thumb.height()), want, "{mime} {query}");
            }
        }
        // Cached: asking again gives the very same bytes.
        let path = format!("{AUTHED}/thumbnail/hs1/{id}?width=96&height=96&method=crop");
        assert_eq!(alice.get(&path).await.body, alice.get(&path).await.body);
    }
}

#[tokio::test]
async fn animated_thumbnails_when_asked_and_bad_thumbnail_requests() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    // A two-frame GIF.
    let mut gif = Vec::new();
    {
        let mut encoder = image::codecs::gif::GifEncoder::new(&mut gif);
        for shade in [0u8, 255] {
            let frame = RgbaImage::from_pixel(200, 200, image::Rgba([shade, 0, 0, 255]));
            encoder.encode_frame(image::Frame::new(frame)).unwrap();
        }
    }
    let id = media_id(&alice.upload(gif, "image/gif", "anim.gif").await).to_owned();
    let base = format!("{AUTHED}/thumbnail/hs1/{id}?width=96&height=96&method=crop");
    let animated = alice.get(&format!("{base}&animated=true")).await;
    assert_eq!(
        animated.must_status(200).header("content-type"),
        Some("image/gif")
    );
    let frames = image::codecs::gif::GifDecoder::new(Cursor::new(animated.body.to_vec()))
        .unwrap()
        .into_frames()
        .collect_frames()
        .unwrap();
    assert_eq!(frames.len(), 2);
    assert_eq!(frames[0].buffer().dimensions(), (96, 96));
    let still = alice.get(&format!("{base}&animated=false")).await;
    assert_eq!(
        still.must_status(200).header("content-type"),
        Some("image/png")
    );

    // What cannot be thumbnailed, and requests that make no sense.
    let text = alice
        .upload(b"just text".to_vec(), "text/plain", "t.txt")
        .await;
    alice
        .get(&format!(
            "{AUTHED}/thumbnail/hs1/{}?width=32&height=32",
            media_id(&text)
        ))
        .await
        .must_error(400, "M_UNKNOWN");
    for query in [
        "width=0&height=32",
        "width=32",
        "width=-5&height=32",
        "width=32&height=32&method=stretch",
        "width=abc&height=32",
    ] {
        let got = alice
            .get(&format!("{AUTHED}/thumbnail/hs1/{id}?{query}"))
            .await;
        got.must_status(400);
        assert!(
            matches!(got.errcode(), Some("M_INVALID_PARAM" | "M_MISSING_PARAM")),
            "{query}: {got:?}"
        );
    }
}

/// A PNG whose header claims 100000×100000 pixels: decoding it would need 40 GB.
fn png_bomb() -> Vec<u8> {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &byte in bytes {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    let mut png = encode(&DynamicImage::new_rgb8(1, 1), ImageFormat::Png);
    // IHDR's data starts after the 8-byte signature, 4-byte length and 4-byte type.
    png[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    png[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    let crc = crc32(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    png
}

#[tokio::test]
async fn decoding_bombs_are_refused_without_decoding() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let mxc = alice.upload(png_bomb(), "image/png", "bomb.png").await;
    alice
        .get(&format!(
            "{AUTHED}/thumbnail/hs1/{}?width=32&height=32",
            media_id(&mxc)
        ))
        .await
        .must_error(413, "M_TOO_LARGE");
    // The server is still well.
    alice.whoami().await.must_ok();
}

#[tokio::test]
async fn async_upload_lifecycle() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let bob = hs.register("bob").await;
    let created = alice.post("/_matrix/media/v1/create", json!({})).await;
    let mxc = created.must_ok()["content_uri"]
        .as_str()
        .unwrap()
        .to_owned();
    let expires = created.json["unused_expires_at"].as_u64().unwrap();
    assert!(expires > 1_700_000_000_000, "{created:?}");
    let id = media_id(&mxc).to_owned();
    let download = format!("{AUTHED}/download/hs1/{id}");

    // Not uploaded yet: a short wait times out.
    bob.get(&format!("{download}?timeout_ms=100"))
        .await
        .must_error(504, "M_NOT_YET_UPLOADED");
    // A longer wait is answered as soon as the bytes arrive.
    let waiter = {
        let bob = bob.clone();
        let download = download.clone();
        tokio::spawn(async move { bob.get(&format!("{download}?timeout_ms=30000")).await })
    };
    let upload = format!("{LEGACY}/upload/hs1/{id}?filename=late.txt");
    // Only the creator may upload to the ID.
    bob.raw_bytes(
        "PUT",
        &upload,
        b"not yours".to_vec(),
        &[("content-type", "text/plain")],
    )
    .await
    .must_error(403, "M_FORBIDDEN");
    alice
        .raw_bytes(
            "PUT",
            &upload,
            b"finally".to_vec(),
            &[("content-type", "text/plain")],
        )
        .await
        .must_ok();
    let got = waiter.await.unwrap();
    got.must_status(200);
    assert_eq!(got.body.as_ref(), b"finally");
    assert_eq!(disposition(&got), is("attachment", Some("late.txt")));
    // Once uploaded, the ID cannot be overwritten.
    alice
        .raw_bytes("PUT", &upload, b"again".to_vec(), &[])
        .await
        .must_error(409, "M_CANNOT_OVERWRITE_MEDIA");
    alice
        .raw_bytes(
            "PUT",
            &format!("{LEGACY}/upload/hs1/neverissued"),
            b"x".to_vec(),
            &[],
        )
        .await
        .must_error(404, "M_NOT_FOUND");
    assert_eq!(alice.get(&download).await.body.as_ref(), b"finally");

    // Reserved IDs are limited per user (5 by default; one is used above).
    for _ in 0..5 {
        alice
            .post("/_matrix/media/v1/create", json!({}))
            .await
            .must_ok();
    }
    alice
        .post("/_matrix/media/v1/create", json!({}))
        .await
        .must_error(429, "M_LIMIT_EXCEEDED");
    bob.post("/_matrix/media/v1/create", json!({}))
        .await
        .must_ok();
}

#[tokio::test]
async fn unused_media_ids_lapse() {
    let hs = with_media("unused_expiry_secs = 1").await;
    let alice = hs.register("alice").await;
    let created = alice.post("/_matrix/media/v1/create", json!({})).await;
    let mxc = created.must_ok()["content_uri"]
        .as_str()
        .unwrap()
        .to_owned();
    // The expiry is the point of this test: let it pass.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    alice
        .raw_bytes(
            "PUT",
            &format!("{LEGACY}/upload/hs1/{}", media_id(&mxc)),
            b"x".to_vec(),
            &[],
        )
        .await
        .must_error(404, "M_NOT_FOUND");
    alice
        .get(&format!("{AUTHED}/download/hs1/{}", media_id(&mxc)))
        .await
        .must_error(404, "M_NOT_FOUND");
}

#[tokio::test]
async fn frozen_legacy_endpoints_serve_only_older_media() {
    let mut hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let picture = encode(&picture(), ImageFormat::Png);
    let old = alice.upload(picture.clone(), "image/png", "old.png").await;
    hs.terminate().await;
    hs.options.media_extra = "legacy_download = \"frozen\"".to_owned();
    hs.restart().await;
    let alice = hs.client().with_token(alice.access_token.as_deref());
    let new = alice.upload(picture, "image/png", "new.png").await;
    let anonymous = hs.client();
    for (mxc, legacy_status) in [(&old, 200), (&new, 404)] {
        let id = media_id(mxc);
        for path in [
            format!("{LEGACY}/download/hs1/{id}"),
            format!("{LEGACY}/thumbnail/hs1/{id}?width=32&height=32"),
        ] {
            let got = anonymous.get(&path).await;
            got.must_status(legacy_status);
            if legacy_status == 404 {
                got.must_error(404, "M_NOT_FOUND");
            }
        }
        alice
            .get(&format!("{AUTHED}/download/hs1/{id}"))
            .await
            .must_status(200);
    }
}
