//! Each user's last presence (kept in memory while running; stored so status messages and
//! stream positions survive restarts), and the highest position of every stream.

use sqlx::Row;

use super::{Result, Store};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresenceRecord {
    pub user_id: String,
    pub state: String,
    pub status_msg: Option<String>,
    pub last_active_ts: i64,
    pub stream_id: i64,
}

/// The highest stored position of each persisted stream (0 when empty).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamMaxima {
    pub events: i64,
    pub receipts: i64,
    pub account_data: i64,
    pub to_device: i64,
    pub presence: i64,
    pub device_lists: i64,
}

pub trait PresenceStore {
    async fn set_presence(&self, record: &PresenceRecord) -> Result<()>;
    async fn all_presence(&self) -> Result<Vec<PresenceRecord>>;
    async fn stream_maxima(&self) -> Result<StreamMaxima>;
}

impl PresenceStore for Store {
    async fn set_presence(&self, p: &PresenceRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO presence (user_id, state, status_msg, last_active_ts, stream_id) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id) DO UPDATE SET \
             state = excluded.state, status_msg = excluded.status_msg, \
             last_active_ts = excluded.last_active_ts, stream_id = excluded.stream_id",
        )
        .bind(&p.user_id)
        .bind(&p.state)
        .bind(p.status_msg.as_deref())
        .bind(p.last_active_ts)
        .bind(p.stream_id)
        .execute(&mut *self.writing().await?)
        .await?;
        Ok(())
    }

    async fn all_presence(&self) -> Result<Vec<PresenceRecord>> {
        let rows = sqlx::query(
            "SELECT user_id, state, status_msg, last_active_ts, stream_id FROM presence",
        )
        .fetch_all(&self.read)
        .await?;
        Ok(rows
            .iter()
            .map(|r| PresenceRecord {
                user_id: r.get(0),
                state: r.get(1),
                status_msg: r.get(2),
                last_active_ts: r.get(3),
                stream_id: r.get(4),
            })
            .collect())
    }

    async fn stream_maxima(&self) -> Result<StreamMaxima> {
        let row = sqlx::query(
            "SELECT (SELECT COALESCE(MAX(stream_ordering), 0) FROM events), \
             (SELECT COALESCE(MAX(stream_id), 0) FROM receipts), \
             (SELECT COALESCE(MAX(stream_id), 0) FROM account_data), \
             (SELECT MAX(p) FROM (SELECT COALESCE(MAX(stream_id), 0) AS p FROM to_device \
              UNION ALL SELECT position FROM stream_marks WHERE stream = 'to_device') AS t), \
             (SELECT COALESCE(MAX(stream_id), 0) FROM presence), \
             (SELECT COALESCE(MAX(stream_id), 0) FROM device_list_changes)",
        )
        .fetch_one(&self.read)
        .await?;
        Ok(StreamMaxima {
            events: row.get(0),
            receipts: row.get(1),
            account_data: row.get(2),
            to_device: row.get(3),
            presence: row.get(4),
            device_lists: row.get(5),
        })
    }
}
