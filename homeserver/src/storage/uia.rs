//! User-Interactive Authentication sessions. Kept in the database so any Hearth process
//! sharing it can continue a session another one started.

use sqlx::Row;

use super::{Result, StorageError, Store};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UiaSession {
    pub session_id: String,
    /// The endpoint the session authenticates (a session cannot be replayed elsewhere).
    pub kind: String,
    /// The user being authenticated, for endpoints that act on an existing account.
    pub user_id: Option<String>,
    /// Stage types completed so far.
    pub completed: Vec<String>,
    pub created_ts: i64,
}

pub trait UiaStore {
    async fn create_uia_session(&self, session: &UiaSession) -> Result<()>;
    async fn uia_session(&self, session_id: &str) -> Result<Option<UiaSession>>;
    async fn set_uia_completed(&self, session_id: &str, completed: &[String]) -> Result<()>;
    async fn delete_uia_session(&self, session_id: &str) -> Result<()>;
    /// Deletes sessions created before `before_ts`; returns how many.
    async fn delete_uia_sessions_before(&self, before_ts: i64) -> Result<u64>;
}

impl UiaStore for Store {
    async fn create_uia_session(&self, session: &UiaSession) -> Result<()> {
        sqlx::query(
            "INSERT INTO uia_sessions (session_id, kind, user_id, completed, created_ts) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&session.session_id)
        .bind(&session.kind)
        .bind(session.user_id.as_deref())
        .bind(serde_json::to_string(&session.completed).expect("strings serialize"))
        .bind(session.created_ts)
        .execute(&mut *self.writing().await?)
        .await?;
        Ok(())
    }

    async fn uia_session(&self, session_id: &str) -> Result<Option<UiaSession>> {
        let row = sqlx::query(
            "SELECT session_id, kind, user_id, completed, created_ts FROM uia_sessions \
             WHERE session_id = $1",
        )
        .bind(session_id)
        .fetch_optional(&self.read)
        .await?;
        row.map(|row| {
            let completed: String = row.get(3);
            Ok(UiaSession {
                session_id: row.get(0),
                kind: row.get(1),
                user_id: row.get(2),
                completed: serde_json::from_str(&completed)
                    .map_err(|e| StorageError::Corrupt(format!("uia session: {e}")))?,
                created_ts: row.get(4),
            })
        })
        .transpose()
    }

    async fn set_uia_completed(&self, session_id: &str, completed: &[String]) -> Result<()> {
        sqlx::query("UPDATE uia_sessions SET completed = $2 WHERE session_id = $1")
            .bind(session_id)
            .bind(serde_json::to_string(completed).expect("strings serialize"))
            .execute(&mut *self.writing().await?)
            .await?;
        Ok(())
    }

    async fn delete_uia_session(&self, session_id: &str) -> Result<()> {
        sqlx::query("DELETE FROM uia_sessions WHERE session_id = $1")
            .bind(session_id)
            .execute(&mut *self.writing().await?)
            .await?;
        Ok(())
    }

    async fn delete_uia_sessions_before(&self, before_ts: i64) -> Result<u64> {
        let done = sqlx::query("DELETE FROM uia_sessions WHERE created_ts < $1")
            .bind(before_ts)
            .execute(&mut *self.writing().await?)
            .await?;
        Ok(done.rows_affected())
    }
}
