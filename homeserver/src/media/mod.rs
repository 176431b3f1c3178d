//! The media repository: uploads streamed to the blob store, downloads (waiting for pending
//! async uploads), thumbnails made off the async runtime and cached.

pub mod blobs;
pub mod thumbnail;

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use http::StatusCode;
use ruma::{ServerName, api::error::ErrorKind};

use self::{
    blobs::{BlobReader, BlobStore, LocalBlobs},
    thumbnail::{Method, ThumbnailError},
};
use crate::{
    accounts::credentials::random_id,
    config::MediaConfig,
    http::error::{Error, Result},
    storage::{MediaContent, MediaRecord, MediaStore, Store, ThumbnailRecord, now_ms},
};

/// Longest a download waits for a pending upload, whatever `timeout_ms` asks.
const MAX_WAIT: Duration = Duration::from_secs(120);
/// How often a waiting download looks again (another process may have taken the upload).
const WAIT_POLL: Duration = Duration::from_millis(500);
/// How often lapsed unused media IDs are forgotten.
const SWEEP_EVERY: Duration = Duration::from_secs(600);

#[derive(Clone)]
pub struct Media {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    blobs: Arc<dyn BlobStore>,
    config: MediaConfig,
    server_name: ruma::OwnedServerName,
    /// Downloads waiting for a pending upload, woken when it completes.
    waiting: Mutex<HashMap<String, Arc<tokio::sync::Notify>>>,
    /// Thumbnailing holds whole decoded images: at most one per core at a time.
    thumbnailing: tokio::sync::Semaphore,
}

/// What an upload declares besides its bytes.
pub struct Upload<'a> {
    pub user_id: &'a str,
    pub content_type: Option<String>,
    pub filename: Option<String>,
    /// The `Content-Length` header, when sent.
    pub declared_len: Option<u64>,
}

impl Media {
    pub fn new(
        store: Store,
        config: &MediaConfig,
        server_name: &ServerName,
    ) -> Result<Self, std::io::Error> {
        let blobs = LocalBlobs::open(&config.path)?;
        let media = Self {
            inner: Arc::new(Inner {
                store,
                blobs: Arc::new(blobs),
                config: config.clone(),
                server_name: server_name.to_owned(),
                waiting: Mutex::new(HashMap::new()),
                thumbnailing: tokio::sync::Semaphore::new(
                    std::thread::available_parallelism().map_or(2, |n| n.get()),
                ),
            }),
        };
        let sweeper = Arc::downgrade(&media.inner);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(SWEEP_EVERY);
            loop {
                tick.tick().await;
                let Some(inner) = sweeper.upgrade() else {
                    return;
                };
                if let Err(err) = inner.store.delete_lapsed_media(now_ms()).await {
                    tracing::warn!(error = %err, "cannot forget lapsed media IDs");
                }
            }
        });
        Ok(media)
    }

    pub fn server_name(&self) -> &ServerName {
        &self.inner.server_name
    }

    pub fn max_upload_size(&self) -> u64 {
        self.inner.config.max_upload_size
    }

    fn mxc_parts_ours(&self, server_name: &ServerName) -> bool {
        server_name == &*self.inner.server_name
    }

    /// Reserves a media ID for a later `PUT /upload/{serverName}/{mediaId}`; returns it with
    /// the time (ms) it lapses unused.
    pub async fn create(&self, user_id: &str) -> Result<(String, i64)> {
        let now = now_ms();
        let pending = self.inner.store.pending_media_count(user_id, now).await?;
        if pending >= i64::from(self.inner.config.max_pending_uploads) {
            return Err(Error::limit_exceeded(Duration::from_secs(60)));
        }
        let expires = now.saturating_add(
            i64::try_from(self.inner.config.unused_expiry_secs.saturating_mul(1000))
                .unwrap_or(i64::MAX),
        );
        let media_id = random_id(24);
        self.inner
            .store
            .insert_media(&MediaRecord {
                media_id: media_id.clone(),
                user_id: user_id.to_owned(),
                content_type: None,
                filename: None,
                sha256: None,
                size: None,
                created_ts: now,
                unused_expires_ts: Some(expires),
                authenticated_only: false,
            })
            .await?;
        Ok((media_id, expires))
    }

    /// Checks that `user_id` may upload to a created ID before its bytes are read.
    pub async fn check_pending(
        &self,
        server_name: &ServerName,
        media_id: &str,
        user_id: &str,
    ) -> Result<()> {
        if !self.mxc_parts_ours(server_name) {
            return Err(Error::forbidden(
                "Cannot upload to another server's media ID",
            ));
        }
        let record = self.inner.store.media(media_id).await?;
        let Some(record) = record else {
            return Err(Error::not_found("Unknown media ID"));
        };
        if record.user_id != user_id {
            return Err(Error::forbidden(
                "This media ID was created by another user",
            ));
        }
        if record.sha256.is_some() {
            return Err(Error::new(
                StatusCode::CONFLICT,
                ErrorKind::CannotOverwriteMedia,
                "Media has already been uploaded to this ID",
            ));
        }
        if record.unused_expires_ts.is_some_and(|t| t <= now_ms()) {
            return Err(Error::not_found("This media ID has expired"));
        }
        Ok(())
    }

    /// Streams an upload into the blob store and records it under `media_id` (a created ID)
    /// or a new ID. Nothing stays on disk when the upload is refused or breaks off.
    pub async fn upload<S, E>(
        &self,
        upload: Upload<'_>,
        media_id: Option<&str>,
        body: S,
    ) -> Result<String>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let config = &self.inner.config;
        let too_large = || {
            Error::too_large(format!(
                "Uploads are limited to {} bytes",
                config.max_upload_size
            ))
        };
        if upload
            .declared_len
            .is_some_and(|len| len > config.max_upload_size)
        {
            return Err(too_large());
        }
        let used = if config.user_quota_bytes > 0 {
            let used = u64::try_from(self.inner.store.user_media_bytes(upload.user_id).await?)
                .unwrap_or(0);
            if used.saturating_add(upload.declared_len.unwrap_or(0)) > config.user_quota_bytes {
                return Err(quota_exceeded());
            }
            used
        } else {
            0
        };
        let blob = self
            .write_blob(body, config.max_upload_size)
            .await?
            .ok_or_else(too_large)?;
        if config.user_quota_bytes > 0 && used.saturating_add(blob.size) > config.user_quota_bytes {
            return Err(quota_exceeded());
        }
        let content = MediaContent {
            content_type: upload.content_type,
            filename: upload.filename,
            sha256: blob.sha256,
            size: i64::try_from(blob.size).unwrap_or(i64::MAX),
            authenticated_only: config.legacy_download == crate::config::LegacyDownload::Frozen,
        };
        let media_id = match media_id {
            Some(media_id) => {
                let now = now_ms();
                if !self
                    .inner
                    .store
                    .complete_media(media_id, upload.user_id, &content, now)
                    .await?
                {
                    // Someone else's upload won, or the ID lapsed while the bytes streamed in.
                    self.check_pending(&self.inner.server_name, media_id, upload.user_id)
                        .await?;
                    return Err(Error::internal());
                }
                self.wake(media_id);
                media_id.to_owned()
            }
            None => {
                let media_id = random_id(24);
                self.inner
                    .store
                    .insert_media(&MediaRecord {
                        media_id: media_id.clone(),
                        user_id: upload.user_id.to_owned(),
                        content_type: content.content_type,
                        filename: content.filename,
                        sha256: Some(content.sha256),
                        size: Some(content.size),
                        created_ts: now_ms(),
                        unused_expires_ts: None,
                        authenticated_only: content.authenticated_only,
                    })
                    .await?;
                media_id
            }
        };
        Ok(media_id)
    }

    /// Copies `body` into a new blob; `None` when it grows past `limit` (the partial blob
    /// is dropped, and with it its temporary file).
    async fn write_blob<S, E>(&self, mut body: S, limit: u64) -> Result<Option<blobs::BlobId>>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let mut sink = self.inner.blobs.create().await.map_err(write_failed)?;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| Error::bad_json(format!("Upload broke off: {e}")))?;
            if sink.written() + chunk.len() as u64 > limit {
                return Ok(None);
            }
            sink.write(&chunk).await.map_err(write_failed)?;
        }
        Ok(Some(sink.finish().await.map_err(write_failed)?))
    }

    fn wake(&self, media_id: &str) {
        let notify = self
            .inner
            .waiting
            .lock()
            .expect("not poisoned")
            .remove(media_id);
        if let Some(notify) = notify {
            notify.notify_waiters();
        }
    }

    /// The uploaded media `server_name/media_id`, waiting up to `timeout` for a pending
    /// upload. `via_legacy`: asked on an unauthenticated legacy endpoint.
    pub async fn fetch(
        &self,
        server_name: &ServerName,
        media_id: &str,
        timeout: Duration,
        via_legacy: bool,
    ) -> Result<MediaRecord> {
        if !self.mxc_parts_ours(server_name) {
            // Federation's media fetch goes here; until then remote media is unknown.
            return Err(Error::not_found(
                "Remote media is not available on this server",
            ));
        }
        let deadline = tokio::time::Instant::now() + timeout.min(MAX_WAIT);
        loop {
            let notify = self
                .inner
                .waiting
                .lock()
                .expect("not poisoned")
                .entry(media_id.to_owned())
                .or_default()
                .clone();
            // Subscribe before reading, so an upload finishing in between is not missed.
            let notified = notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let record = self.inner.store.media(media_id).await?;
            let record = match record {
                Some(record) if record.unused_expires_ts.is_some_and(|t| t <= now_ms()) => None,
                other => other,
            };
            let Some(record) = record else {
                self.inner
                    .waiting
                    .lock()
                    .expect("not poisoned")
                    .remove(media_id);
                return Err(Error::not_found("Media not found"));
            };
            if record.sha256.is_some() {
                if via_legacy && record.authenticated_only {
                    return Err(Error::not_found("Media not found"));
                }
                return Ok(record);
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Err(Error::new(
                    StatusCode::GATEWAY_TIMEOUT,
                    ErrorKind::NotYetUploaded,
                    "The media has not been uploaded yet",
                ));
            }
            let _ = tokio::time::timeout((deadline - now).min(WAIT_POLL), notified).await;
        }
    }

    /// Reads a blob from byte `start` on.
    pub async fn open(&self, sha256: &str, start: u64) -> Result<BlobReader> {
        self.inner
            .blobs
            .open(sha256, start)
            .await
            .map_err(|err| missing(err, sha256))
    }

    /// A thumbnail of `record` in the stored size that serves `width`×`height`, made (off
    /// the runtime) on first request and cached.
    pub async fn thumbnail(
        &self,
        record: &MediaRecord,
        width: u32,
        height: u32,
        method: Method,
        animated: bool,
    ) -> Result<ThumbnailRecord> {
        let (width, height) = thumbnail::pick_size(width, height, method);
        let could_animate = record
            .content_type
            .as_deref()
            .is_some_and(|t| matches!(t, "image/gif" | "image/webp"));
        let animated = animated && could_animate;
        let store = &self.inner.store;
        let (w, h) = (i64::from(width), i64::from(height));
        if let Some(cached) = store
            .thumbnail(&record.media_id, w, h, method.as_str(), animated)
            .await?
        {
            return Ok(cached);
        }
        let sha256 = record.sha256.as_deref().ok_or_else(Error::internal)?;
        let _permit = self
            .inner
            .thumbnailing
            .acquire()
            .await
            .map_err(|_| Error::internal())?;
        let bytes = self
            .inner
            .blobs
            .read_all(sha256)
            .await
            .map_err(|err| missing(err, sha256))?;
        let max_pixels = self.inner.config.max_thumbnail_pixels;
        let made = tokio::task::spawn_blocking(move || {
            thumbnail::generate(&bytes, width, height, method, animated, max_pixels)
        })
        .await
        .map_err(|_| Error::internal())?;
        let made = made.map_err(|err| match err {
            ThumbnailError::TooLarge => Error::too_large("Content is too large to thumbnail"),
            ThumbnailError::NotAnImage => Error::new(
                StatusCode::BAD_REQUEST,
                ErrorKind::Unknown,
                "Cannot generate thumbnails for the requested content",
            ),
        })?;
        let blob = self
            .inner
            .blobs
            .put(&made.bytes)
            .await
            .map_err(write_failed)?;
        let thumbnail = ThumbnailRecord {
            media_id: record.media_id.clone(),
            width: w,
            height: h,
            method: method.as_str().to_owned(),
            animated,
            content_type: made.content_type.to_owned(),
            sha256: blob.sha256,
            size: i64::try_from(blob.size).unwrap_or(i64::MAX),
        };
        store.insert_thumbnail(&thumbnail).await?;
        Ok(thumbnail)
    }
}

/// A blob store write failed: logged, and a 500 for the client.
fn write_failed(err: std::io::Error) -> Error {
    tracing::error!(error = %err, "cannot write to the media store");
    Error::internal()
}

/// A blob the metadata names cannot be read: logged, and a 500 for the client.
fn missing(err: std::io::Error, sha256: &str) -> Error {
    tracing::error!(error = %err, sha256, "stored media is missing");
    Error::internal()
}

fn quota_exceeded() -> Error {
    Error::too_large("This upload would exceed your media storage quota")
}
