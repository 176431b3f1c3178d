//! Accounts: who exists, their password hash, whether they are deactivated, and the
//! local user directory.

use sqlx::{AssertSqlSafe, Row};

use super::{Result, Store, like_pattern};

pub struct NewUser<'a> {
    pub user_id: &'a str,
    pub password_hash: Option<&'a str>,
    pub is_admin: bool,
    pub created_ts: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub user_id: String,
    pub password_hash: Option<String>,
    pub is_admin: bool,
    pub deactivated: bool,
    pub created_ts: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryEntry {
    pub user_id: String,
    /// JSON text of the `displayname` profile field, if set.
    pub displayname: Option<String>,
    /// JSON text of the `avatar_url` profile field, if set.
    pub avatar_url: Option<String>,
}

pub trait UserStore {
    /// Creates the account; `false` when the user ID is taken (deactivated IDs stay taken).
    async fn create_user(&self, user: &NewUser<'_>) -> Result<bool>;
    async fn user(&self, user_id: &str) -> Result<Option<UserRecord>>;
    async fn set_password_hash(&self, user_id: &str, hash: &str) -> Result<()>;
    /// Marks the account deactivated and removes its password, devices, tokens and profile.
    async fn deactivate_user(&self, user_id: &str) -> Result<()>;
    /// Active local users whose ID or display name contains `term` (case-insensitive),
    /// ordered by user ID, at most `limit` of them.
    async fn search_users(&self, term: &str, limit: u32) -> Result<Vec<DirectoryEntry>>;
}

impl UserStore for Store {
    async fn create_user(&self, user: &NewUser<'_>) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO users (user_id, password_hash, is_admin, deactivated, created_ts) \
             VALUES ($1, $2, $3, 0, $4) ON CONFLICT (user_id) DO NOTHING",
        )
        .bind(user.user_id)
        .bind(user.password_hash)
        .bind(i64::from(user.is_admin))
        .bind(user.created_ts)
        .execute(&mut *self.writing().await?)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn user(&self, user_id: &str) -> Result<Option<UserRecord>> {
        let row = sqlx::query(
            "SELECT user_id, password_hash, is_admin, deactivated, created_ts \
             FROM users WHERE user_id = $1",
        )
        .bind(user_id)
        .fetch_optional(&self.read)
        .await?;
        Ok(row.map(|row| UserRecord {
            user_id: row.get(0),
            password_hash: row.get(1),
            is_admin: row.get::<i64, _>(2) != 0,
            deactivated: row.get::<i64, _>(3) != 0,
            created_ts: row.get(4),
        }))
    }

    async fn set_password_hash(&self, user_id: &str, hash: &str) -> Result<()> {
        sqlx::query("UPDATE users SET password_hash = $2 WHERE user_id = $1")
            .bind(user_id)
            .bind(hash)
            .execute(&mut *self.writing().await?)
            .await?;
        Ok(())
    }

    async fn deactivate_user(&self, user_id: &str) -> Result<()> {
        let mut writing = self.writing().await?;
        let mut tx = sqlx::Connection::begin(&mut *writing).await?;
        sqlx::query("UPDATE users SET deactivated = 1, password_hash = NULL WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        for table in [
            "access_tokens",
            "refresh_tokens",
            "devices",
            "profile_fields",
        ] {
            sqlx::query(AssertSqlSafe(format!(
                "DELETE FROM {table} WHERE user_id = $1"
            )))
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn search_users(&self, term: &str, limit: u32) -> Result<Vec<DirectoryEntry>> {
        let rows = sqlx::query(
            "SELECT u.user_id, dn.value, av.value FROM users u \
             LEFT JOIN profile_fields dn ON dn.user_id = u.user_id AND dn.field = 'displayname' \
             LEFT JOIN profile_fields av ON av.user_id = u.user_id AND av.field = 'avatar_url' \
             WHERE u.deactivated = 0 \
               AND (lower(u.user_id) LIKE $1 ESCAPE '\\' OR lower(dn.value) LIKE $1 ESCAPE '\\') \
             ORDER BY u.user_id LIMIT $2",
        )
        .bind(like_pattern(term))
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| DirectoryEntry {
                user_id: row.get(0),
                displayname: row.get(1),
                avatar_url: row.get(2),
            })
            .collect())
    }
}
