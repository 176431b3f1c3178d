//! Receipts: the latest of each type per user, room and thread, each with its position in
//! the receipts stream.

use sqlx::Row;

use super::{Result, Store};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub room_id: String,
    pub receipt_type: String,
    pub user_id: String,
    /// `""` for an unthreaded receipt.
    pub thread_id: String,
    pub event_id: String,
    /// The receipted event's stream position.
    pub event_pos: i64,
    pub ts: i64,
    pub stream_id: i64,
}

pub trait ReceiptStore {
    /// Stores a receipt unless the user already has one of the type and thread at a later
    /// (or the same) event. `false` when nothing changed.
    async fn put_receipt(&self, receipt: &Receipt) -> Result<bool> {
        Ok(self.put_receipts(std::slice::from_ref(receipt)).await?[0])
    }
    /// [`ReceiptStore::put_receipt`] for many receipts (at most one per user, room, type and
    /// thread, each with a stream position of its own) in one statement; whether each
    /// changed anything, in order.
    async fn put_receipts(&self, receipts: &[Receipt]) -> Result<Vec<bool>>;
    /// Receipts of `rooms` with `after < stream_id <= upto`.
    async fn receipts_between(
        &self,
        rooms: &[String],
        after: i64,
        upto: i64,
    ) -> Result<Vec<Receipt>>;
    /// One user's receipt of a type in a room (unthreaded).
    async fn receipt(
        &self,
        room_id: &str,
        receipt_type: &str,
        user_id: &str,
    ) -> Result<Option<Receipt>>;
}

const COLUMNS: &str =
    "room_id, receipt_type, user_id, thread_id, event_id, event_pos, ts, stream_id";

fn receipt(row: &sqlx::any::AnyRow) -> Receipt {
    Receipt {
        room_id: row.get(0),
        receipt_type: row.get(1),
        user_id: row.get(2),
        thread_id: row.get(3),
        event_id: row.get(4),
        event_pos: row.get(5),
        ts: row.get(6),
        stream_id: row.get(7),
    }
}

impl ReceiptStore for Store {
    async fn put_receipts(&self, receipts: &[Receipt]) -> Result<Vec<bool>> {
        let mut changed = std::collections::HashSet::new();
        // 8 parameters a row: well under either database's limit per statement.
        for chunk in receipts.chunks(500) {
            let rows: Vec<String> = (0..chunk.len())
                .map(|i| {
                    let p: Vec<String> = (1..=8).map(|c| format!("${}", i * 8 + c)).collect();
                    format!("({})", p.join(", "))
                })
                .collect();
            let sql = format!(
                "INSERT INTO receipts ({COLUMNS}) VALUES {} \
                 ON CONFLICT (room_id, receipt_type, user_id, thread_id) DO UPDATE SET \
                 event_id = excluded.event_id, event_pos = excluded.event_pos, ts = excluded.ts, \
                 stream_id = excluded.stream_id WHERE receipts.event_pos < excluded.event_pos \
                 RETURNING stream_id",
                rows.join(", ")
            );
            if let Some(writer) = self.sqlite_writer() {
                use rusqlite::types::Value;
                let values: Vec<Value> = chunk
                    .iter()
                    .flat_map(|r| {
                        [
                            Value::Text(r.room_id.clone()),
                            Value::Text(r.receipt_type.clone()),
                            Value::Text(r.user_id.clone()),
                            Value::Text(r.thread_id.clone()),
                            Value::Text(r.event_id.clone()),
                            Value::Integer(r.event_pos),
                            Value::Integer(r.ts),
                            Value::Integer(r.stream_id),
                        ]
                    })
                    .collect();
                let written = writer
                    .transact(move |tx| {
                        let mut statement = tx.prepare_cached(&sql)?;
                        let ids = statement
                            .query_map(rusqlite::params_from_iter(values), |row| row.get(0))?;
                        ids.collect::<rusqlite::Result<Vec<i64>>>()
                    })
                    .await?;
                changed.extend(written);
                continue;
            }
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for r in chunk {
                query = query
                    .bind(&r.room_id)
                    .bind(&r.receipt_type)
                    .bind(&r.user_id)
                    .bind(&r.thread_id)
                    .bind(&r.event_id)
                    .bind(r.event_pos)
                    .bind(r.ts)
                    .bind(r.stream_id);
            }
            for row in query.fetch_all(&mut *self.writing().await?).await? {
                changed.insert(row.get::<i64, _>(0));
            }
        }
        // Each receipt has a stream position of its own, so the positions written say which.
        Ok(receipts
            .iter()
            .map(|r| changed.contains(&r.stream_id))
            .collect())
    }

    async fn receipts_between(
        &self,
        rooms: &[String],
        after: i64,
        upto: i64,
    ) -> Result<Vec<Receipt>> {
        let mut found = Vec::new();
        for chunk in rooms.chunks(500) {
            let placeholders: Vec<String> = (3..chunk.len() + 3).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT {COLUMNS} FROM receipts WHERE stream_id > $1 AND stream_id <= $2 \
                 AND room_id IN ({}) ORDER BY stream_id",
                placeholders.join(", ")
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(after).bind(upto);
            for room in chunk {
                query = query.bind(room);
            }
            found.extend(query.fetch_all(&self.read).await?.iter().map(receipt));
        }
        Ok(found)
    }

    async fn receipt(
        &self,
        room_id: &str,
        receipt_type: &str,
        user_id: &str,
    ) -> Result<Option<Receipt>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM receipts WHERE room_id = $1 AND receipt_type = $2 \
             AND user_id = $3 AND thread_id = ''"
        )))
        .bind(room_id)
        .bind(receipt_type)
        .bind(user_id)
        .fetch_optional(&self.read)
        .await?;
        Ok(row.as_ref().map(receipt))
    }
}
