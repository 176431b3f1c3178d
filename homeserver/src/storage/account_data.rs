//! Account data (global when `room_id` is `""`, else per room; room tags are the room's
//! `m.tag`) and the sync filters users upload.

use sqlx::Row;

use super::{Result, Store};

/// `(room_id, type, content)`; `room_id` is `""` for global account data.
pub type AccountDataEntry = (String, String, String);

pub trait AccountDataStore {
    async fn set_account_data(
        &self,
        user_id: &str,
        room_id: &str,
        kind: &str,
        content: &str,
        stream_id: i64,
    ) -> Result<()>;
    async fn account_data(
        &self,
        user_id: &str,
        room_id: &str,
        kind: &str,
    ) -> Result<Option<String>>;
    /// A user's account data with `after < stream_id <= upto`.
    async fn account_data_between(
        &self,
        user_id: &str,
        after: i64,
        upto: i64,
    ) -> Result<Vec<AccountDataEntry>>;
    /// Stores a filter and returns its ID (per user, counting from 0).
    async fn create_filter(&self, user_id: &str, json: &str) -> Result<i64>;
    async fn filter(&self, user_id: &str, filter_id: i64) -> Result<Option<String>>;
}

impl AccountDataStore for Store {
    async fn set_account_data(
        &self,
        user_id: &str,
        room_id: &str,
        kind: &str,
        content: &str,
        stream_id: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO account_data (user_id, room_id, type, content, stream_id) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, room_id, type) \
             DO UPDATE SET content = excluded.content, stream_id = excluded.stream_id",
        )
        .bind(user_id)
        .bind(room_id)
        .bind(kind)
        .bind(content)
        .bind(stream_id)
        .execute(&mut *self.writing().await?)
        .await?;
        Ok(())
    }

    async fn account_data(
        &self,
        user_id: &str,
        room_id: &str,
        kind: &str,
    ) -> Result<Option<String>> {
        let row = sqlx::query(
            "SELECT content FROM account_data WHERE user_id = $1 AND room_id = $2 AND type = $3",
        )
        .bind(user_id)
        .bind(room_id)
        .bind(kind)
        .fetch_optional(&self.read)
        .await?;
        Ok(row.map(|r| r.get(0)))
    }

    async fn account_data_between(
        &self,
        user_id: &str,
        after: i64,
        upto: i64,
    ) -> Result<Vec<AccountDataEntry>> {
        let rows = sqlx::query(
            "SELECT room_id, type, content FROM account_data \
             WHERE user_id = $1 AND stream_id > $2 AND stream_id <= $3 ORDER BY stream_id",
        )
        .bind(user_id)
        .bind(after)
        .bind(upto)
        .fetch_all(&self.read)
        .await?;
        Ok(rows
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect())
    }

    async fn create_filter(&self, user_id: &str, json: &str) -> Result<i64> {
        // Uploads racing for the same next ID (PostgreSQL runs them at once): the loser
        // inserts nothing and tries again, now seeing the winner's row.
        loop {
            let row = sqlx::query(
                "INSERT INTO filters (user_id, filter_id, json) VALUES ($1, \
                 (SELECT COALESCE(MAX(filter_id) + 1, 0) FROM filters WHERE user_id = $1), $2) \
                 ON CONFLICT (user_id, filter_id) DO NOTHING RETURNING filter_id",
            )
            .bind(user_id)
            .bind(json)
            .fetch_optional(&mut *self.writing().await?)
            .await?;
            if let Some(row) = row {
                return Ok(row.get(0));
            }
        }
    }

    async fn filter(&self, user_id: &str, filter_id: i64) -> Result<Option<String>> {
        let row = sqlx::query("SELECT json FROM filters WHERE user_id = $1 AND filter_id = $2")
            .bind(user_id)
            .bind(filter_id)
            .fetch_optional(&self.read)
            .await?;
        Ok(row.map(|r| r.get(0)))
    }
}
