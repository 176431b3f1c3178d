//! To-device messages, kept until their device's next sync acknowledges them, and the
//! device-list change stream.

use sqlx::Row;

use super::{Result, Store};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToDeviceMessage {
    pub stream_id: i64,
    pub user_id: String,
    pub device_id: String,
    pub sender: String,
    pub kind: String,
    pub content: String,
}

pub trait ToDeviceStore {
    /// Queues `messages` under the sender's transaction. `false` (and nothing queued) when
    /// the transaction was seen before.
    async fn queue_to_device(
        &self,
        txn: (&str, &str, &str),
        messages: &[ToDeviceMessage],
    ) -> Result<bool>;
    /// Up to `limit` messages for a device with `after < stream_id <= upto`, oldest first.
    async fn to_device_between(
        &self,
        user_id: &str,
        device_id: &str,
        after: i64,
        upto: i64,
        limit: u32,
    ) -> Result<Vec<ToDeviceMessage>>;
    /// Deletes a device's messages up to `upto`: its sync has acknowledged them.
    async fn ack_to_device(&self, user_id: &str, device_id: &str, upto: i64) -> Result<()>;
    /// Every device with queued messages, and the highest position queued for it.
    async fn to_device_pending(&self) -> Result<Vec<(String, String, i64)>>;
    async fn add_device_list_change(&self, user_id: &str, stream_id: i64) -> Result<()>;
    /// Users whose devices changed with `after < stream_id <= upto`.
    async fn device_list_changes_between(&self, after: i64, upto: i64) -> Result<Vec<String>>;
}

impl ToDeviceStore for Store {
    async fn queue_to_device(
        &self,
        (user_id, device_id, txn_id): (&str, &str, &str),
        messages: &[ToDeviceMessage],
    ) -> Result<bool> {
        let mut writing = self.writing().await?;
        let mut tx = sqlx::Connection::begin(&mut *writing).await?;
        let fresh = sqlx::query(
            "INSERT INTO to_device_txns (user_id, device_id, txn_id) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
        )
        .bind(user_id)
        .bind(device_id)
        .bind(txn_id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            > 0;
        if !fresh {
            return Ok(false);
        }
        for m in messages {
            sqlx::query(
                "INSERT INTO to_device (stream_id, user_id, device_id, sender, type, content) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(m.stream_id)
            .bind(&m.user_id)
            .bind(&m.device_id)
            .bind(&m.sender)
            .bind(&m.kind)
            .bind(&m.content)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn to_device_between(
        &self,
        user_id: &str,
        device_id: &str,
        after: i64,
        upto: i64,
        limit: u32,
    ) -> Result<Vec<ToDeviceMessage>> {
        let rows = sqlx::query(
            "SELECT stream_id, user_id, device_id, sender, type, content FROM to_device \
             WHERE user_id = $1 AND device_id = $2 AND stream_id > $3 AND stream_id <= $4 \
             ORDER BY stream_id LIMIT $5",
        )
        .bind(user_id)
        .bind(device_id)
        .bind(after)
        .bind(upto)
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await?;
        Ok(rows
            .iter()
            .map(|r| ToDeviceMessage {
                stream_id: r.get(0),
                user_id: r.get(1),
                device_id: r.get(2),
                sender: r.get(3),
                kind: r.get(4),
                content: r.get(5),
            })
            .collect())
    }

    async fn to_device_pending(&self) -> Result<Vec<(String, String, i64)>> {
        let rows = sqlx::query(
            "SELECT user_id, device_id, MAX(stream_id) FROM to_device GROUP BY user_id, device_id",
        )
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?)))
            .collect()
    }

    async fn ack_to_device(&self, user_id: &str, device_id: &str, upto: i64) -> Result<()> {
        let mut writing = self.writing().await?;
        let mut tx = sqlx::Connection::begin(&mut *writing).await?;
        // Remember how far the stream got before its rows go.
        sqlx::query(
            "INSERT INTO stream_marks (stream, position) \
             SELECT 'to_device', MAX(stream_id) FROM to_device WHERE stream_id <= $1 \
             HAVING MAX(stream_id) IS NOT NULL \
             ON CONFLICT (stream) DO UPDATE SET position = excluded.position \
             WHERE stream_marks.position < excluded.position",
        )
        .bind(upto)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "DELETE FROM to_device WHERE user_id = $1 AND device_id = $2 AND stream_id <= $3",
        )
        .bind(user_id)
        .bind(device_id)
        .bind(upto)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn add_device_list_change(&self, user_id: &str, stream_id: i64) -> Result<()> {
        sqlx::query("INSERT INTO device_list_changes (stream_id, user_id) VALUES ($1, $2)")
            .bind(stream_id)
            .bind(user_id)
            .execute(&mut *self.writing().await?)
            .await?;
        Ok(())
    }

    async fn device_list_changes_between(&self, after: i64, upto: i64) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT DISTINCT user_id FROM device_list_changes WHERE stream_id > $1 AND stream_id <= $2",
        )
        .bind(after)
        .bind(upto)
        .fetch_all(&self.read)
        .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }
}
