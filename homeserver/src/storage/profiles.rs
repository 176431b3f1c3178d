//! Profile fields (`displayname`, `avatar_url` and the extended fields of spec v1.16),
//! each stored as its JSON value.

use std::collections::BTreeMap;

use serde_json::Value as JsonValue;
use sqlx::Row;

use super::{Result, StorageError, Store};

pub trait ProfileStore {
    async fn profile(&self, user_id: &str) -> Result<BTreeMap<String, JsonValue>>;
    async fn profile_field(&self, user_id: &str, field: &str) -> Result<Option<JsonValue>>;
    async fn set_profile_field(&self, user_id: &str, field: &str, value: &JsonValue) -> Result<()>;
    /// `false` when the field was not set.
    async fn delete_profile_field(&self, user_id: &str, field: &str) -> Result<bool>;
}

fn parse(text: &str) -> Result<JsonValue> {
    serde_json::from_str(text).map_err(|e| StorageError::Corrupt(format!("profile field: {e}")))
}

impl ProfileStore for Store {
    async fn profile(&self, user_id: &str) -> Result<BTreeMap<String, JsonValue>> {
        let rows = sqlx::query("SELECT field, value FROM profile_fields WHERE user_id = $1")
            .bind(user_id)
            .fetch_all(&self.read)
            .await?;
        rows.iter()
            .map(|row| Ok((row.get(0), parse(row.get(1))?)))
            .collect()
    }

    async fn profile_field(&self, user_id: &str, field: &str) -> Result<Option<JsonValue>> {
        let row = sqlx::query("SELECT value FROM profile_fields WHERE user_id = $1 AND field = $2")
            .bind(user_id)
            .bind(field)
            .fetch_optional(&self.read)
            .await?;
        row.map(|row| parse(row.get(0))).transpose()
    }

    async fn set_profile_field(&self, user_id: &str, field: &str, value: &JsonValue) -> Result<()> {
        sqlx::query(
            "INSERT INTO profile_fields (user_id, field, value) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id, field) DO UPDATE SET value = excluded.value",
        )
        .bind(user_id)
        .bind(field)
        .bind(value.to_string())
        .execute(&mut *self.writing().await?)
        .await?;
        Ok(())
    }

    async fn delete_profile_field(&self, user_id: &str, field: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM profile_fields WHERE user_id = $1 AND field = $2")
            .bind(user_id)
            .bind(field)
            .execute(&mut *self.writing().await?)
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
