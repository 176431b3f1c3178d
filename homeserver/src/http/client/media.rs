//! The media repository's endpoints: uploads (streamed, never buffered whole), the
//! authenticated downloads and thumbnails of `/_matrix/client/v1/media`, their legacy
//! unauthenticated twins under `/_matrix/media/v3`, and the media config.

#![allow(deprecated)] // The legacy endpoints are deprecated in ruma, and still served.

use std::time::Duration;

use axum::{
    Router,
    body::Body,
    extract::Query,
    response::{IntoResponse, Response},
};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use ruma::{
    MilliSecondsSinceUnixEpoch, OwnedMxcUri, ServerName, UInt,
    api::client::{
        authenticated_media as authed,
        media::{
            create_content::v3 as upload, create_content_async::v3 as upload_async,
            create_mxc_uri::v1 as create, get_content::v3 as legacy_download,
            get_content_as_filename::v3 as legacy_download_named,
            get_content_thumbnail::v3 as legacy_thumbnail, get_media_config::v3 as legacy_config,
        },
    },
    http_headers::{ContentDisposition, ContentDispositionType},
    media::Method as RumaMethod,
};
use serde::Deserialize;
use tokio::io::AsyncReadExt;
use tokio_util::io::ReaderStream;

use crate::{
    accounts::Sender,
    http::{
        AppState,
        error::{Error, Result},
        ruma::{RawRequest, Ruma, RumaRouter, respond},
    },
    media::{Media, Upload, thumbnail::Method},
    storage::MediaRecord,
};

pub fn routes(router: Router<AppState>) -> Router<AppState> {
    router
        .ruma_raw::<upload::Request, _, _, _>(upload_new)
        .ruma_raw::<upload_async::Request, _, _, _>(upload_created)
        .ruma(create_id)
        .ruma(config)
        .ruma(legacy_config_handler)
        .ruma_http(download::<authed::get_content::v1::Request>)
        .ruma_http(download::<authed::get_content_as_filename::v1::Request>)
        .ruma_http(download::<legacy_download::Request>)
        .ruma_http(download::<legacy_download_named::Request>)
        .ruma_http(thumbnail)
        .ruma_http(legacy_thumbnail_handler)
}

/// `Content-Type`s served `inline`: images, audio and video a browser cannot run as code.
/// Anything else is sent as an attachment.
const INLINE_TYPES: &[&str] = &[
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "image/apng",
    "image/avif",
    "image/bmp",
    "audio/aac",
    "audio/flac",
    "audio/mp4",
    "audio/mpeg",
    "audio/ogg",
    "audio/opus",
    "audio/wav",
    "audio/wave",
    "audio/webm",
    "audio/x-flac",
    "audio/x-wav",
    "video/mp4",
    "video/ogg",
    "video/quicktime",
    "video/webm",
];

/// Bytes read from the store per body chunk: big enough that a download is not thousands
/// of tiny blocking reads.
const STREAM_CHUNK: usize = 256 * 1024;

/// The spec's recommended policy: even an HTML file opened directly runs nothing.
const CSP: &str = "sandbox; default-src 'none'; script-src 'none'; plugin-types application/pdf; \
                   style-src 'unsafe-inline'; media-src 'self'; object-src 'self';";

#[derive(Deserialize)]
struct UploadQuery {
    filename: Option<String>,
}

fn upload_details<'a>(parts: &http::request::Parts, sender: &'a Sender) -> Result<Upload<'a>> {
    let query = Query::<UploadQuery>::try_from_uri(&parts.uri)
        .map_err(|e| Error::invalid_param(e.body_text()))?;
    let content_type = match parts.headers.get(header::CONTENT_TYPE) {
        None => None,
        Some(value) => Some(
            value
                .to_str()
                .map_err(|_| Error::invalid_param("Content-Type is not ASCII"))?
                .to_owned(),
        ),
    };
    let declared_len = match parts.headers.get(header::CONTENT_LENGTH) {
        None => None,
        Some(value) => Some(
            value
                .to_str()
                .ok()
                .and_then(|v| v.parse::<u64>().ok())
                .ok_or_else(|| Error::invalid_param("Content-Length is not a number"))?,
        ),
    };
    Ok(Upload {
        user_id: sender.user_id.as_str(),
        content_type,
        filename: query.0.filename,
        declared_len,
    })
}

async fn upload_new(media: Media, req: RawRequest) -> Result<Response> {
    let sender = req.sender()?.clone();
    let details = upload_details(&req.parts, &sender)?;
    let media_id = media
        .upload(details, None, req.body.into_data_stream())
        .await?;
    let uri = OwnedMxcUri::from(format!("mxc://{}/{media_id}", media.server_name()));
    Ok(respond(Ok(upload::Response::new(uri))))
}

async fn upload_created(media: Media, req: RawRequest) -> Result<Response> {
    let [server_name, media_id] = req.path_args.as_slice() else {
        return Err(Error::internal());
    };
    let server_name = <&ServerName>::try_from(server_name.as_str())
        .map_err(|_| Error::invalid_param("Invalid server name"))?;
    let sender = req.sender()?.clone();
    let details = upload_details(&req.parts, &sender)?;
    media
        .check_pending(server_name, media_id, details.user_id)
        .await?;
    media
        .upload(details, Some(media_id), req.body.into_data_stream())
        .await?;
    // ruma's response type for this endpoint cannot be built outside ruma: it is `{}`.
    Ok(axum::Json(serde_json::json!({})).into_response())
}

async fn create_id(media: Media, req: Ruma<create::Request>) -> Result<create::Response> {
    let (media_id, expires) = media.create(req.sender()?.user_id.as_str()).await?;
    let uri = OwnedMxcUri::from(format!("mxc://{}/{media_id}", media.server_name()));
    let mut response = create::Response::new(uri);
    response.unused_expires_at =
        UInt::new(u64::try_from(expires).unwrap_or(0)).map(MilliSecondsSinceUnixEpoch);
    Ok(response)
}

fn upload_size(media: &Media) -> UInt {
    UInt::new(media.max_upload_size()).unwrap_or(UInt::MAX)
}

async fn config(
    media: Media,
    _req: Ruma<authed::get_media_config::v1::Request>,
) -> Result<authed::get_media_config::v1::Response> {
    Ok(authed::get_media_config::v1::Response::new(upload_size(
        &media,
    )))
}

async fn legacy_config_handler(
    media: Media,
    _req: Ruma<legacy_config::Request>,
) -> Result<legacy_config::Response> {
    Ok(legacy_config::Response::new(upload_size(&media)))
}

/// What every download names: the media, how long to wait for a pending upload, whether it
/// came unauthenticated, and a file name to give instead of the stored one.
struct Download<'a> {
    server_name: &'a ServerName,
    media_id: &'a str,
    timeout: Duration,
    via_legacy: bool,
    filename: Option<&'a str>,
}

async fn serve_download(media: &Media, d: Download<'_>, headers: &HeaderMap) -> Result<Response> {
    let record = media
        .fetch(d.server_name, d.media_id, d.timeout, d.via_legacy)
        .await?;
    let content_type = record
        .content_type
        .clone()
        .unwrap_or_else(|| "application/octet-stream".to_owned());
    let filename = d.filename.map(str::to_owned).or(record.filename.clone());
    serve_blob(media, &record, &content_type, filename, headers).await
}

/// The four download endpoints (authenticated or legacy, with or without a file name) and
/// the two thumbnail ones differ only in their ruma type: each says what it asks for.
trait AsDownload {
    fn as_download(&self) -> Download<'_>;
}

macro_rules! as_download {
    ($($request:ty => legacy: $legacy:literal $(, filename: $filename:ident)?;)*) => {$(
        impl AsDownload for $request {
            fn as_download(&self) -> Download<'_> {
                Download {
                    server_name: &self.server_name,
                    media_id: &self.media_id,
                    timeout: self.timeout_ms,
                    via_legacy: $legacy,
                    filename: None$(.or(Some(self.$filename.as_str())))?,
                }
            }
        }
    )*};
}

as_download! {
    authed::get_content::v1::Request => legacy: false;
    authed::get_content_as_filename::v1::Request => legacy: false, filename: filename;
    authed::get_content_thumbnail::v1::Request => legacy: false;
    legacy_download::Request => legacy: true;
    legacy_download_named::Request => legacy: true, filename: filename;
    legacy_thumbnail::Request => legacy: true;
}

async fn download<T: AsDownload>(media: Media, req: Ruma<T>) -> Result<Response> {
    serve_download(&media, req.body.as_download(), &req.headers).await
}

/// A thumbnail request: the download it thumbnails plus the asked-for size.
struct ThumbnailAsk<'a> {
    download: Download<'a>,
    width: UInt,
    height: UInt,
    method: Option<&'a RumaMethod>,
    animated: Option<bool>,
}

async fn serve_thumbnail(
    media: &Media,
    t: ThumbnailAsk<'_>,
    headers: &HeaderMap,
) -> Result<Response> {
    let dimension = |v: UInt, name: &str| {
        u32::try_from(u64::from(v))
            .ok()
            .filter(|v| *v > 0)
            .ok_or_else(|| Error::invalid_param(format!("{name} must be a positive integer")))
    };
    let width = dimension(t.width, "width")?;
    let height = dimension(t.height, "height")?;
    let method = match t.method {
        None | Some(RumaMethod::Scale) => Method::Scale,
        Some(RumaMethod::Crop) => Method::Crop,
        Some(other) => {
            return Err(Error::invalid_param(format!(
                "Unknown thumbnail method `{}`: use crop or scale",
                other.as_str()
            )));
        }
    };
    let d = t.download;
    let record = media
        .fetch(d.server_name, d.media_id, d.timeout, d.via_legacy)
        .await?;
    let thumb = media
        .thumbnail(&record, width, height, method, t.animated.unwrap_or(false))
        .await?;
    let extension = thumb.content_type.trim_start_matches("image/");
    let as_record = MediaRecord {
        sha256: Some(thumb.sha256.clone()),
        size: Some(thumb.size),
        ..record
    };
    serve_blob(
        media,
        &as_record,
        &thumb.content_type,
        Some(format!("thumbnail.{extension}")),
        headers,
    )
    .await
}

macro_rules! thumbnail_handler {
    ($name:ident, $request:ty) => {
        async fn $name(media: Media, req: Ruma<$request>) -> Result<Response> {
            let b = &req.body;
            let t = ThumbnailAsk {
                download: b.as_download(),
                width: b.width,
                height: b.height,
                method: b.method.as_ref(),
                animated: b.animated,
            };
            serve_thumbnail(&media, t, &req.headers).await
        }
    };
}

thumbnail_handler!(thumbnail, authed::get_content_thumbnail::v1::Request);
thumbnail_handler!(legacy_thumbnail_handler, legacy_thumbnail::Request);

/// A single byte range `start..=end` asked for by `Range: bytes=…`, `Err` when it cannot
/// be satisfied. `Ok(None)`: serve the whole blob (no header, or one we do not handle,
/// such as several ranges, which a server may ignore).
fn byte_range(headers: &HeaderMap, size: u64) -> Result<Option<(u64, u64)>, ()> {
    let Some(spec) = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().strip_prefix("bytes="))
    else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((first, last)) = spec.split_once('-') else {
        return Ok(None);
    };
    let (first, last) = (first.trim(), last.trim());
    let range = if first.is_empty() {
        // A suffix: the last N bytes.
        let n: u64 = last.parse().map_err(|_| ())?;
        if n == 0 || size == 0 {
            return Err(());
        }
        (size.saturating_sub(n), size - 1)
    } else {
        let start: u64 = first.parse().map_err(|_| ())?;
        let end = if last.is_empty() {
            size.saturating_sub(1)
        } else {
            last.parse::<u64>()
                .map_err(|_| ())?
                .min(size.saturating_sub(1))
        };
        if start >= size || end < start {
            return Err(());
        }
        (start, end)
    };
    Ok(Some(range))
}

/// Streams a stored blob with the headers that keep serving it safe: the stored type, but
/// `attachment` unless the type is a passive one, a sandboxing CSP, `nosniff`, and byte
/// ranges for seeking in audio and video.
async fn serve_blob(
    media: &Media,
    record: &MediaRecord,
    content_type: &str,
    filename: Option<String>,
    headers: &HeaderMap,
) -> Result<Response> {
    let sha256 = record.sha256.as_deref().ok_or_else(Error::internal)?;
    let size = u64::try_from(record.size.unwrap_or(0)).unwrap_or(0);
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let disposition = if INLINE_TYPES.contains(&essence.as_str()) {
        ContentDispositionType::Inline
    } else {
        ContentDispositionType::Attachment
    };
    let disposition = ContentDisposition::new(disposition).with_filename(filename);
    let mut builder = Response::builder()
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CONTENT_DISPOSITION, disposition.to_string())
        .header(header::CONTENT_SECURITY_POLICY, CSP)
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header("Cross-Origin-Resource-Policy", "cross-origin")
        .header(
            header::CACHE_CONTROL,
            "private, max-age=31536000, immutable",
        )
        .header(header::ACCEPT_RANGES, "bytes");
    let (status, start, len) = match byte_range(headers, size) {
        Ok(None) => (StatusCode::OK, 0, size),
        Ok(Some((start, end))) => {
            builder = builder.header(header::CONTENT_RANGE, format!("bytes {start}-{end}/{size}"));
            (StatusCode::PARTIAL_CONTENT, start, end - start + 1)
        }
        Err(()) => {
            return Ok((
                StatusCode::RANGE_NOT_SATISFIABLE,
                [(header::CONTENT_RANGE, format!("bytes */{size}"))],
            )
                .into_response());
        }
    };
    let reader = media.open(sha256, start).await?.take(len);
    builder
        .status(status)
        .header(header::CONTENT_LENGTH, HeaderValue::from(len))
        .body(Body::from_stream(ReaderStream::with_capacity(
            reader,
            STREAM_CHUNK,
        )))
        .map_err(|_| Error::internal())
}
