//! Notifications: the push actions an event got for each user it notifies, counted for
//! unread badges and listed by `GET /notifications`.
//!
//! They are written with the event (see [`super::NewEvent::push`]) to a staging table keyed
//! by stream position, where one commit's rows share a page or two, and moved to
//! `event_push_actions` (keyed by user and room, where each notified user's rows are a page
//! of their own) in bulk, every [`MOVE_EVERY`]. A move is one transaction and readers read
//! both tables in one statement, so every row is counted exactly once.

use std::time::Duration;

use sqlx::{Any, Row, Transaction};

use super::{
    Result, Store, StoredEvent,
    events::{EVENT_COLUMN_COUNT, stored_event, stored_event_columns},
};

/// One user's push actions for a new event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushActions {
    pub user_id: String,
    /// `""` for the main timeline, else the thread root.
    pub thread_id: String,
    /// The actions as JSON.
    pub actions: String,
    pub highlight: bool,
}

/// Unread notification and highlight counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub notifications: u64,
    pub highlights: u64,
}

/// A notification with its event.
#[derive(Debug, Clone)]
pub struct Notification {
    pub event: StoredEvent,
    pub actions: String,
    pub highlight: bool,
    pub ts: i64,
}

pub trait PushStore {
    /// Counts per thread (`""` = main timeline) of a user's notifications in a room after
    /// their read position: the later of their unthreaded `m.read` and `m.read.private`.
    async fn notification_counts(
        &self,
        user_id: &str,
        room_id: &str,
    ) -> Result<Vec<(String, Counts)>>;
    /// A user's notifications below position `before`, newest first.
    async fn notifications(
        &self,
        user_id: &str,
        before: i64,
        limit: u32,
        only_highlight: bool,
    ) -> Result<Vec<Notification>>;
}

/// How often staged push actions move to `event_push_actions`: rows of this long share the
/// pages of their users in one commit.
const MOVE_EVERY: Duration = Duration::from_millis(250);

/// The columns of both push action tables, in the order every insert binds them.
macro_rules! columns {
    () => {
        "user_id, room_id, event_id, stream_ordering, thread_id, actions, highlight, ts"
    };
}
const COLUMNS: &str = columns!();

/// SQLite's move of staged rows up to a position, in the order readers scan them.
const MOVE_STAGED: &str = concat!(
    "INSERT INTO event_push_actions (",
    columns!(),
    ") SELECT ",
    columns!(),
    " FROM event_push_actions_staging WHERE stream_ordering <= $1 \
     ORDER BY user_id, room_id, stream_ordering"
);
const DELETE_STAGED: &str = "DELETE FROM event_push_actions_staging WHERE stream_ordering <= $1";

/// Stages one row (SQLite's event writer; [`insert`] stages several per statement).
pub(super) const INSERT_STAGED: &str = concat!(
    "INSERT INTO event_push_actions_staging (",
    columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
);

/// Writes an event's push actions (to the staging table) inside its transaction.
pub(super) async fn insert(
    tx: &mut Transaction<'_, Any>,
    room_id: &str,
    event_id: &str,
    stream_ordering: i64,
    ts: i64,
    actions: &[PushActions],
) -> Result<()> {
    // One statement for all the users: each is a round trip to PostgreSQL otherwise.
    // Chunks keep it within both engines' parameter limits.
    for chunk in actions.chunks(100) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| {
                let n = 4 + i * 4;
                format!(
                    "(${}, $1, $2, $3, ${}, ${}, ${}, $4)",
                    n + 1,
                    n + 2,
                    n + 3,
                    n + 4
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO event_push_actions_staging ({COLUMNS}) VALUES {}",
            rows.join(", ")
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(room_id)
            .bind(event_id)
            .bind(stream_ordering)
            .bind(ts);
        for a in chunk {
            query = query
                .bind(&a.user_id)
                .bind(&a.thread_id)
                .bind(&a.actions)
                .bind(i64::from(a.highlight));
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

impl PushStore for Store {
    async fn notification_counts(
        &self,
        user_id: &str,
        room_id: &str,
    ) -> Result<Vec<(String, Counts)>> {
        // One statement: the read position (the later of the public and private unthreaded
        // read receipts) and the counts after it, in both tables.
        let rows = sqlx::query(
            "WITH seen AS (SELECT COALESCE(MAX(event_pos), 0) AS pos FROM receipts \
                 WHERE room_id = $2 AND user_id = $1 AND thread_id = '' \
                 AND receipt_type IN ('m.read', 'm.read.private')) \
             SELECT thread_id, COUNT(*), CAST(COALESCE(SUM(highlight), 0) AS BIGINT) FROM ( \
                 SELECT thread_id, highlight FROM event_push_actions \
                 WHERE user_id = $1 AND room_id = $2 AND stream_ordering > (SELECT pos FROM seen) \
                 UNION ALL \
                 SELECT thread_id, highlight FROM event_push_actions_staging \
                 WHERE user_id = $1 AND room_id = $2 AND stream_ordering > (SELECT pos FROM seen) \
             ) AS p GROUP BY thread_id",
        )
        .bind(user_id)
        .bind(room_id)
        .fetch_all(&self.read)
        .await?;
        Ok(rows
            .iter()
            .map(|r| {
                let count: i64 = r.get(1);
                let highlights: i64 = r.get(2);
                (
                    r.get(0),
                    Counts {
                        notifications: count.max(0) as u64,
                        highlights: highlights.max(0) as u64,
                    },
                )
            })
            .collect())
    }

    async fn notifications(
        &self,
        user_id: &str,
        before: i64,
        limit: u32,
        only_highlight: bool,
    ) -> Result<Vec<Notification>> {
        let highlight = if only_highlight {
            " AND highlight = 1"
        } else {
            ""
        };
        let mine = |table: &str| {
            format!(
                "SELECT event_id, stream_ordering, actions, highlight, ts FROM {table} \
                 WHERE user_id = $1 AND stream_ordering < $2{highlight}"
            )
        };
        let sql = format!(
            "SELECT {}, p.actions, p.highlight, p.ts FROM ({} UNION ALL {}) AS p \
             JOIN events e ON e.event_id = p.event_id \
             ORDER BY p.stream_ordering DESC LIMIT $3",
            stored_event_columns("e"),
            mine("event_push_actions"),
            mine("event_push_actions_staging"),
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .bind(before)
            .bind(i64::from(limit))
            .fetch_all(&self.read)
            .await?;
        Ok(rows
            .iter()
            .map(|r| Notification {
                event: stored_event(r),
                actions: r.get(EVENT_COLUMN_COUNT),
                highlight: r.get::<i64, _>(EVENT_COLUMN_COUNT + 1) != 0,
                ts: r.get(EVENT_COLUMN_COUNT + 2),
            })
            .collect())
    }
}

impl Store {
    /// Moves the staged push actions to `event_push_actions` in one transaction; returns how
    /// many rows moved.
    pub async fn move_staged_push_actions(&self) -> Result<u64> {
        let upto: Option<i64> =
            sqlx::query_scalar("SELECT MAX(stream_ordering) FROM event_push_actions_staging")
                .fetch_one(&self.read)
                .await?;
        let Some(upto) = upto else {
            return Ok(0);
        };
        // SQLite: one writer at a time, so nothing is staged between the copy and the delete.
        if let Some(writer) = self.sqlite_writer() {
            return writer
                .transact(move |tx| {
                    let moved = tx.prepare_cached(MOVE_STAGED)?.execute([upto])?;
                    tx.prepare_cached(DELETE_STAGED)?.execute([upto])?;
                    Ok(moved as u64)
                })
                .await;
        }
        // PostgreSQL: rows may be staged concurrently, so move exactly the rows deleted.
        let sql = format!(
            "WITH moved AS (DELETE FROM event_push_actions_staging \
                 WHERE stream_ordering <= $1 RETURNING {COLUMNS}) \
             INSERT INTO event_push_actions ({COLUMNS}) SELECT {COLUMNS} FROM moved"
        );
        Ok(sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(upto)
            .execute(&mut *self.writing().await?)
            .await?
            .rows_affected())
    }

    /// Moves staged push actions every [`MOVE_EVERY`] until the store closes.
    pub(super) fn spawn_push_mover(&self) {
        let store = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(MOVE_EVERY).await;
                if store.write.is_closed() {
                    break;
                }
                if let Err(err) = store.move_staged_push_actions().await {
                    tracing::warn!(%err, "moving staged push actions failed; will retry");
                }
            }
        });
    }
}
