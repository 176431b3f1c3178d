//! Media repository metadata: one row per media ID (the bytes are in the blob store, named
//! by SHA-256) and one per generated thumbnail.

use sqlx::{Row, any::AnyRow};

use super::{Result, Store};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaRecord {
    pub media_id: String,
    pub user_id: String,
    pub content_type: Option<String>,
    pub filename: Option<String>,
    /// `None` while an ID from `POST /media/v1/create` waits for its bytes.
    pub sha256: Option<String>,
    pub size: Option<i64>,
    pub created_ts: i64,
    /// When a created-but-unused ID lapses; `None` once uploaded.
    pub unused_expires_ts: Option<i64>,
    /// Uploaded while the legacy unauthenticated download endpoints were frozen.
    pub authenticated_only: bool,
}

/// The bytes an upload brings to a media ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaContent {
    pub content_type: Option<String>,
    pub filename: Option<String>,
    pub sha256: String,
    pub size: i64,
    pub authenticated_only: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThumbnailRecord {
    pub media_id: String,
    pub width: i64,
    pub height: i64,
    /// `crop` or `scale`.
    pub method: String,
    pub animated: bool,
    pub content_type: String,
    pub sha256: String,
    pub size: i64,
}

pub trait MediaStore {
    /// Inserts a new media ID (uploaded at once, or pending with an expiry).
    async fn insert_media(&self, record: &MediaRecord) -> Result<()>;
    async fn media(&self, media_id: &str) -> Result<Option<MediaRecord>>;
    /// Gives a pending ID its bytes. `false` (and nothing changed) unless the ID is pending,
    /// belongs to `user_id` and has not lapsed at `now`.
    async fn complete_media(
        &self,
        media_id: &str,
        user_id: &str,
        content: &MediaContent,
        now: i64,
    ) -> Result<bool>;
    /// How many of the user's created IDs still wait for bytes at `now`.
    async fn pending_media_count(&self, user_id: &str, now: i64) -> Result<i64>;
    /// Bytes the user has uploaded, for the optional quota.
    async fn user_media_bytes(&self, user_id: &str) -> Result<i64>;
    /// Forgets created IDs that lapsed unused before `now`; returns how many.
    async fn delete_lapsed_media(&self, now: i64) -> Result<u64>;
    async fn thumbnail(
        &self,
        media_id: &str,
        width: i64,
        height: i64,
        method: &str,
        animated: bool,
    ) -> Result<Option<ThumbnailRecord>>;
    /// Records a generated thumbnail; a concurrent twin's row wins quietly.
    async fn insert_thumbnail(&self, thumbnail: &ThumbnailRecord) -> Result<()>;
}

fn media_row(row: &AnyRow) -> Result<MediaRecord> {
    Ok(MediaRecord {
        media_id: row.try_get(0)?,
        user_id: row.try_get(1)?,
        content_type: row.try_get(2)?,
        filename: row.try_get(3)?,
        sha256: row.try_get(4)?,
        size: row.try_get(5)?,
        created_ts: row.try_get(6)?,
        unused_expires_ts: row.try_get(7)?,
        authenticated_only: row.try_get::<i64, _>(8)? != 0,
    })
}

impl MediaStore for Store {
    async fn insert_media(&self, r: &MediaRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO media (media_id, user_id, content_type, filename, sha256, size, \
             created_ts, unused_expires_ts, authenticated_only) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&r.media_id)
        .bind(&r.user_id)
        .bind(&r.content_type)
        .bind(&r.filename)
        .bind(&r.sha256)
        .bind(r.size)
        .bind(r.created_ts)
        .bind(r.unused_expires_ts)
        .bind(i64::from(r.authenticated_only))
        .execute(&mut *self.writing().await?)
        .await?;
        Ok(())
    }

    async fn media(&self, media_id: &str) -> Result<Option<MediaRecord>> {
        sqlx::query(
            "SELECT media_id, user_id, content_type, filename, sha256, size, created_ts, \
             unused_expires_ts, authenticated_only FROM media WHERE media_id = $1",
        )
        .bind(media_id)
        .fetch_optional(&self.read)
        .await?
        .as_ref()
        .map(media_row)
        .transpose()
    }

    async fn complete_media(
        &self,
        media_id: &str,
        user_id: &str,
        c: &MediaContent,
        now: i64,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE media SET content_type = $1, filename = $2, sha256 = $3, size = $4, \
             authenticated_only = $5, unused_expires_ts = NULL \
             WHERE media_id = $6 AND user_id = $7 AND sha256 IS NULL AND unused_expires_ts > $8",
        )
        .bind(&c.content_type)
        .bind(&c.filename)
        .bind(&c.sha256)
        .bind(c.size)
        .bind(i64::from(c.authenticated_only))
        .bind(media_id)
        .bind(user_id)
        .bind(now)
        .execute(&mut *self.writing().await?)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn pending_media_count(&self, user_id: &str, now: i64) -> Result<i64> {
        let row = sqlx::query(
            "SELECT COUNT(*) FROM media WHERE user_id = $1 AND sha256 IS NULL \
             AND unused_expires_ts > $2",
        )
        .bind(user_id)
        .bind(now)
        .fetch_one(&self.read)
        .await?;
        Ok(row.try_get(0)?)
    }

    async fn user_media_bytes(&self, user_id: &str) -> Result<i64> {
        // SUM is numeric on PostgreSQL: cast it back for the Any driver.
        let row = sqlx::query(
            "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM media WHERE user_id = $1",
        )
        .bind(user_id)
        .fetch_one(&self.read)
        .await?;
        Ok(row.try_get(0)?)
    }

    async fn delete_lapsed_media(&self, now: i64) -> Result<u64> {
        let done =
            sqlx::query("DELETE FROM media WHERE sha256 IS NULL AND unused_expires_ts <= $1")
                .bind(now)
                .execute(&mut *self.writing().await?)
                .await?;
        Ok(done.rows_affected())
    }

    async fn thumbnail(
        &self,
        media_id: &str,
        width: i64,
        height: i64,
        method: &str,
        animated: bool,
    ) -> Result<Option<ThumbnailRecord>> {
        let row = sqlx::query(
            "SELECT content_type, sha256, size FROM media_thumbnails WHERE media_id = $1 \
             AND width = $2 AND height = $3 AND method = $4 AND animated = $5",
        )
        .bind(media_id)
        .bind(width)
        .bind(height)
        .bind(method)
        .bind(i64::from(animated))
        .fetch_optional(&self.read)
        .await?;
        row.map(|row| {
            Ok(ThumbnailRecord {
                media_id: media_id.to_owned(),
                width,
                height,
                method: method.to_owned(),
                animated,
                content_type: row.try_get(0)?,
                sha256: row.try_get(1)?,
                size: row.try_get(2)?,
            })
        })
        .transpose()
    }

    async fn insert_thumbnail(&self, t: &ThumbnailRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO media_thumbnails \
             (media_id, width, height, method, animated, content_type, sha256, size) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
        )
        .bind(&t.media_id)
        .bind(t.width)
        .bind(t.height)
        .bind(&t.method)
        .bind(i64::from(t.animated))
        .bind(&t.content_type)
        .bind(&t.sha256)
        .bind(t.size)
        .execute(&mut *self.writing().await?)
        .await?;
        Ok(())
    }
}
