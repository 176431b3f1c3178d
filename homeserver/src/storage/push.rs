//! Notifications: the push actions an event got for each user it notifies (written with
//! the event, see [`super::NewEvent::push`]), counted for unread badges and listed by
//! `GET /notifications`.

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

/// Writes an event's push actions inside its transaction.
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
            "INSERT INTO event_push_actions (user_id, room_id, event_id, stream_ordering, thread_id, \
             actions, highlight, ts) VALUES {}",
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
        // read receipts) and the counts after it.
        let rows = sqlx::query(
            "SELECT thread_id, COUNT(*), CAST(COALESCE(SUM(highlight), 0) AS BIGINT) FROM event_push_actions \
             WHERE user_id = $1 AND room_id = $2 AND stream_ordering > COALESCE(( \
                 SELECT MAX(event_pos) FROM receipts WHERE room_id = $2 AND user_id = $1 \
                 AND thread_id = '' AND receipt_type IN ('m.read', 'm.read.private')), 0) \
             GROUP BY thread_id",
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
            " AND p.highlight = 1"
        } else {
            ""
        };
        let sql = format!(
            "SELECT {}, p.actions, p.highlight, p.ts FROM event_push_actions p \
             JOIN events e ON e.event_id = p.event_id \
             WHERE p.user_id = $1 AND p.stream_ordering < $2{highlight} \
             ORDER BY p.stream_ordering DESC LIMIT $3",
            stored_event_columns("e")
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
