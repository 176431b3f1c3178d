//! Devices and the access/refresh tokens that belong to them. A token is only ever
//! stored as its SHA-256 digest; deleting a device deletes its tokens in the same transaction.

use sqlx::{Any, AssertSqlSafe, Row, Transaction};

use super::{Result, Store};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRecord {
    pub user_id: String,
    pub device_id: String,
    pub display_name: Option<String>,
    pub last_seen_ts: Option<i64>,
    pub last_seen_ip: Option<String>,
}

/// What a login, registration or token refresh writes.
pub struct NewSession<'a> {
    pub user_id: &'a str,
    pub device_id: &'a str,
    /// Used only when the device is new; an existing device keeps its name.
    pub display_name: Option<&'a str>,
    pub access_token_hash: &'a str,
    pub access_expires_ts: Option<i64>,
    pub refresh_token_hash: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub now: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    pub user_id: String,
    pub device_id: String,
    pub expires_ts: Option<i64>,
}

pub trait DeviceStore {
    /// Creates the device if it does not exist and makes the given tokens its only ones
    /// (logging in again with a known `device_id` invalidates that device's old tokens).
    async fn start_session(&self, session: &NewSession<'_>) -> Result<()>;
    /// Swaps a refresh token for a new access (and refresh) token, atomically; `None`
    /// when the refresh token is unknown (already used, or its device is gone).
    async fn refresh_session(
        &self,
        old_refresh_hash: &str,
        access_token_hash: &str,
        access_expires_ts: Option<i64>,
        new_refresh_hash: &str,
        now: i64,
    ) -> Result<Option<TokenInfo>>;
    async fn access_token(&self, token_hash: &str) -> Result<Option<TokenInfo>>;
    async fn device(&self, user_id: &str, device_id: &str) -> Result<Option<DeviceRecord>>;
    /// A user's devices, ordered by device ID.
    async fn devices(&self, user_id: &str) -> Result<Vec<DeviceRecord>>;
    /// `false` when the device does not exist.
    async fn set_device_display_name(
        &self,
        user_id: &str,
        device_id: &str,
        display_name: Option<&str>,
    ) -> Result<bool>;
    async fn touch_device(&self, user_id: &str, device_id: &str, ip: &str, now: i64) -> Result<()>;
    async fn delete_devices(&self, user_id: &str, device_ids: &[String]) -> Result<()>;
    /// Deletes every device of the user except `keep`.
    async fn delete_devices_except(&self, user_id: &str, keep: Option<&str>) -> Result<()>;
}

const DEVICE_COLUMNS: &str = "user_id, device_id, display_name, last_seen_ts, last_seen_ip";

fn device_from_row(row: &sqlx::any::AnyRow) -> DeviceRecord {
    DeviceRecord {
        user_id: row.get(0),
        device_id: row.get(1),
        display_name: row.get(2),
        last_seen_ts: row.get(3),
        last_seen_ip: row.get(4),
    }
}

/// Removes every token of one device.
async fn delete_tokens(
    tx: &mut Transaction<'_, Any>,
    user_id: &str,
    device_id: &str,
) -> Result<()> {
    for table in ["access_tokens", "refresh_tokens"] {
        sqlx::query(AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE user_id = $1 AND device_id = $2"
        )))
        .bind(user_id)
        .bind(device_id)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

async fn insert_tokens(
    tx: &mut Transaction<'_, Any>,
    user_id: &str,
    device_id: &str,
    access_hash: &str,
    access_expires_ts: Option<i64>,
    refresh_hash: Option<&str>,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO access_tokens (token_hash, user_id, device_id, created_ts, expires_ts) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(access_hash)
    .bind(user_id)
    .bind(device_id)
    .bind(now)
    .bind(access_expires_ts)
    .execute(&mut **tx)
    .await?;
    if let Some(refresh_hash) = refresh_hash {
        sqlx::query(
            "INSERT INTO refresh_tokens (token_hash, user_id, device_id, created_ts) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(refresh_hash)
        .bind(user_id)
        .bind(device_id)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

impl DeviceStore for Store {
    async fn start_session(&self, s: &NewSession<'_>) -> Result<()> {
        let mut writing = self.writing().await?;
        let mut tx = sqlx::Connection::begin(&mut *writing).await?;
        sqlx::query(
            "INSERT INTO devices (user_id, device_id, display_name, last_seen_ts, last_seen_ip, \
             created_ts) VALUES ($1, $2, $3, $4, $5, $4) \
             ON CONFLICT (user_id, device_id) DO UPDATE \
             SET last_seen_ts = excluded.last_seen_ts, last_seen_ip = excluded.last_seen_ip",
        )
        .bind(s.user_id)
        .bind(s.device_id)
        .bind(s.display_name)
        .bind(s.now)
        .bind(s.ip)
        .execute(&mut *tx)
        .await?;
        delete_tokens(&mut tx, s.user_id, s.device_id).await?;
        insert_tokens(
            &mut tx,
            s.user_id,
            s.device_id,
            s.access_token_hash,
            s.access_expires_ts,
            s.refresh_token_hash,
            s.now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn refresh_session(
        &self,
        old_refresh_hash: &str,
        access_token_hash: &str,
        access_expires_ts: Option<i64>,
        new_refresh_hash: &str,
        now: i64,
    ) -> Result<Option<TokenInfo>> {
        let mut writing = self.writing().await?;
        let mut tx = sqlx::Connection::begin(&mut *writing).await?;
        let row = sqlx::query(
            "DELETE FROM refresh_tokens WHERE token_hash = $1 RETURNING user_id, device_id",
        )
        .bind(old_refresh_hash)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let (user_id, device_id): (String, String) = (row.get(0), row.get(1));
        // The access token issued alongside the old refresh token stops working too.
        delete_tokens(&mut tx, &user_id, &device_id).await?;
        insert_tokens(
            &mut tx,
            &user_id,
            &device_id,
            access_token_hash,
            access_expires_ts,
            Some(new_refresh_hash),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(Some(TokenInfo {
            user_id,
            device_id,
            expires_ts: access_expires_ts,
        }))
    }

    async fn access_token(&self, token_hash: &str) -> Result<Option<TokenInfo>> {
        let row = sqlx::query(
            "SELECT user_id, device_id, expires_ts FROM access_tokens WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.read)
        .await?;
        Ok(row.map(|row| TokenInfo {
            user_id: row.get(0),
            device_id: row.get(1),
            expires_ts: row.get(2),
        }))
    }

    async fn device(&self, user_id: &str, device_id: &str) -> Result<Option<DeviceRecord>> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {DEVICE_COLUMNS} FROM devices WHERE user_id = $1 AND device_id = $2"
        )))
        .bind(user_id)
        .bind(device_id)
        .fetch_optional(&self.read)
        .await?;
        Ok(row.as_ref().map(device_from_row))
    }

    async fn devices(&self, user_id: &str) -> Result<Vec<DeviceRecord>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {DEVICE_COLUMNS} FROM devices WHERE user_id = $1 ORDER BY device_id"
        )))
        .bind(user_id)
        .fetch_all(&self.read)
        .await?;
        Ok(rows.iter().map(device_from_row).collect())
    }

    async fn set_device_display_name(
        &self,
        user_id: &str,
        device_id: &str,
        display_name: Option<&str>,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE devices SET display_name = $3 WHERE user_id = $1 AND device_id = $2",
        )
        .bind(user_id)
        .bind(device_id)
        .bind(display_name)
        .execute(&mut *self.writing().await?)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn touch_device(&self, user_id: &str, device_id: &str, ip: &str, now: i64) -> Result<()> {
        sqlx::query(
            "UPDATE devices SET last_seen_ts = $3, last_seen_ip = $4 \
             WHERE user_id = $1 AND device_id = $2",
        )
        .bind(user_id)
        .bind(device_id)
        .bind(now)
        .bind(ip)
        .execute(&mut *self.writing().await?)
        .await?;
        Ok(())
    }

    async fn delete_devices(&self, user_id: &str, device_ids: &[String]) -> Result<()> {
        let mut writing = self.writing().await?;
        let mut tx = sqlx::Connection::begin(&mut *writing).await?;
        for device_id in device_ids {
            delete_tokens(&mut tx, user_id, device_id).await?;
            sqlx::query("DELETE FROM devices WHERE user_id = $1 AND device_id = $2")
                .bind(user_id)
                .bind(device_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn delete_devices_except(&self, user_id: &str, keep: Option<&str>) -> Result<()> {
        let mut writing = self.writing().await?;
        let mut tx = sqlx::Connection::begin(&mut *writing).await?;
        // `$2` is NULL when nothing is kept; `device_id <> NULL` would match nothing.
        for table in ["access_tokens", "refresh_tokens", "devices"] {
            sqlx::query(AssertSqlSafe(format!(
                "DELETE FROM {table} WHERE user_id = $1 AND ($2 IS NULL OR device_id <> $2)"
            )))
            .bind(user_id)
            .bind(keep)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
