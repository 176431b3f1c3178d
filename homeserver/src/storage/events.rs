//! Events (full PDUs), their stream positions, state groups, forward extremities and
//! client transaction IDs. An event, its state and its position are written in one
//! transaction.

use std::collections::BTreeMap;

use sqlx::{Any, Row, Transaction, any::AnyRow};

use super::{Result, StorageError, Store};

/// `(type, state_key) -> event_id`.
pub type StateEntries = BTreeMap<(String, String), String>;

/// Take a full snapshot instead of a delta once a chain is this long: reading a state set
/// then costs at most this many small delta reads.
pub const SNAPSHOT_EVERY: i64 = 64;

/// How the state changes with a new state event.
pub struct StateUpdate<'a> {
    /// The room's state group before the event (`None` for the create event).
    pub prev_group: Option<i64>,
    /// Length of the delta chain ending at `prev_group`.
    pub prev_chain_len: i64,
    /// The single entry the event sets.
    pub entry: (&'a str, &'a str),
    /// The whole new state, used when a snapshot is due.
    pub full_state: &'a StateEntries,
}

/// A client transaction: a device's `txn_id` on one endpoint path (`scope`).
#[derive(Debug, Clone, Copy)]
pub struct TxnKey<'a> {
    pub user_id: &'a str,
    pub device_id: &'a str,
    pub scope: &'a str,
    pub txn_id: &'a str,
}

pub struct NewRoom<'a> {
    pub room_version: &'a str,
    pub creator: &'a str,
}

pub struct NewEvent<'a> {
    /// Its position in the timeline stream, allocated by the caller.
    pub stream_ordering: i64,
    pub event_id: &'a str,
    pub room_id: &'a str,
    pub kind: &'a str,
    pub state_key: Option<&'a str>,
    pub sender: &'a str,
    pub origin_server_ts: i64,
    pub depth: i64,
    pub json: &'a str,
    pub rel_type: Option<&'a str>,
    /// For a state event, the event it replaces in the room's state.
    pub replaces_state: Option<&'a str>,
    pub relates_to: Option<&'a str>,
    pub contains_url: bool,
    pub prev_events: &'a [String],
    /// For state events; `None` keeps the room's current group.
    pub state: Option<StateUpdate<'a>>,
    /// The room's current group, for events that do not change state.
    pub current_group: i64,
    /// `m.room.member` membership, kept in `current_state` for cheap lookups.
    pub membership: Option<&'a str>,
    /// The client transaction of a send.
    pub txn: Option<TxnKey<'a>>,
    /// The event this one redacts (it leaves the search index).
    pub redacts: Option<&'a str>,
    /// `(key, text)` to index for full-text search, e.g. `("content.body", body)`.
    pub search: Option<(&'a str, &'a str)>,
    pub new_room: Option<NewRoom<'a>>,
    /// Push actions for the users the event notifies.
    pub push: &'a [super::PushActions],
}

/// An event handed to the database: already written, or queued behind the writes before it.
#[derive(Debug)]
pub enum QueuedEvent {
    Written(Result<Persisted>),
    Queued(tokio::sync::oneshot::Receiver<Result<Persisted>>),
}

impl QueuedEvent {
    /// Waits for the write to commit (or fail).
    pub async fn written(self) -> Result<Persisted> {
        match self {
            Self::Written(result) => result,
            Self::Queued(done) => done
                .await
                .map_err(|_| StorageError::Corrupt("the event writer has stopped".into()))?,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Persisted {
    pub stream_ordering: i64,
    pub state_group: i64,
    /// Length of the new group's delta chain; `None` when the state did not change.
    pub chain_len: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    pub stream_ordering: i64,
    pub event_id: String,
    pub room_id: String,
    pub json: String,
    pub redacted_by: Option<String>,
    pub state_group: i64,
    /// For a state event, the event it replaced in the room's state.
    pub replaces_state: Option<String>,
}

/// Which events of a room `/messages` (and friends) want.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub types: Option<Vec<String>>,
    pub not_types: Vec<String>,
    pub senders: Option<Vec<String>>,
    pub not_senders: Vec<String>,
    pub contains_url: Option<bool>,
}

impl EventFilter {
    /// The same test as the SQL the filter becomes, for events already in memory.
    pub fn matches(&self, kind: &str, sender: &str, has_url: bool) -> bool {
        let any = |list: &[String], value: &str| list.iter().any(|p| glob_match(p, value));
        self.types.as_deref().is_none_or(|t| any(t, kind))
            && !any(&self.not_types, kind)
            && self.senders.as_deref().is_none_or(|s| any(s, sender))
            && !any(&self.not_senders, sender)
            && self.contains_url.is_none_or(|want| want == has_url)
    }
}

/// The spec's filter wildcard: `*` matches any run of characters, everything else itself.
pub fn glob_match(pattern: &str, value: &str) -> bool {
    let Some((head, rest)) = pattern.split_once('*') else {
        return pattern == value;
    };
    let Some(mut remaining) = value.strip_prefix(head) else {
        return false;
    };
    let mut parts: Vec<&str> = rest.split('*').collect();
    let last = parts.pop().unwrap_or_default();
    for part in parts {
        match remaining.find(part) {
            Some(at) => remaining = &remaining[at + part.len()..],
            None => return false,
        }
    }
    remaining.len() >= last.len() && remaining.ends_with(last)
}

pub trait EventStore {
    async fn persist_event(&self, event: &NewEvent<'_>) -> Result<Persisted> {
        self.queue_event(event).await?.written().await
    }
    /// Hands an event to the database. Events of a room queued one after another commit in
    /// that order, and one whose `prev_events` failed to be written fails too. SQLite
    /// queues messages to its batching writer; everything else is written before this
    /// returns.
    async fn queue_event(&self, event: &NewEvent<'_>) -> Result<QueuedEvent>;
    async fn event(&self, event_id: &str) -> Result<Option<StoredEvent>>;
    /// Events by ID, in the order asked; unknown IDs are skipped.
    async fn events(&self, event_ids: &[String]) -> Result<Vec<StoredEvent>>;
    async fn txn_event(&self, txn: &TxnKey<'_>) -> Result<Option<String>>;
    async fn forward_extremities(&self, room_id: &str) -> Result<Vec<String>>;
    /// `(state_group, chain_len, max_depth)` after the room's latest event.
    async fn room_head(&self, room_id: &str) -> Result<Option<(i64, i64, i64)>>;
    async fn current_state(&self, room_id: &str) -> Result<StateEntries>;
    /// The full state set of a group.
    async fn state_group(&self, group: i64) -> Result<StateEntries>;
    /// Only the given `(type, state_key)` entries of a group's state set (all when `None`).
    async fn state_at(&self, group: i64, keys: Option<&[(String, String)]>)
    -> Result<StateEntries>;
    /// The state group after the room's last event at or before stream position `at`.
    async fn state_group_at(&self, room_id: &str, at: i64) -> Result<Option<i64>>;
    /// Up to `limit` events of a room strictly after (`forward`) or before `from`, stopping at
    /// `to` (exclusive), matching `filter`, in the order walked.
    async fn room_events(
        &self,
        room_id: &str,
        from: i64,
        to: Option<i64>,
        forward: bool,
        limit: u32,
        filter: &EventFilter,
    ) -> Result<Vec<StoredEvent>>;
    /// The first event at or after (`forward`) / at or before `ts`, as `(event_id, ts)`.
    async fn event_at_timestamp(
        &self,
        room_id: &str,
        ts: i64,
        forward: bool,
    ) -> Result<Option<(String, i64)>>;
    /// Events relating to any of `parents` (optionally of one `rel_type` and event `kind`),
    /// paged by stream position like [`EventStore::room_events`].
    #[allow(clippy::too_many_arguments)]
    async fn relations(
        &self,
        room_id: &str,
        parents: &[String],
        rel_type: Option<&str>,
        kind: Option<&str>,
        from: i64,
        to: Option<i64>,
        forward: bool,
        limit: u32,
    ) -> Result<Vec<StoredEvent>>;
    /// `(relates_to, rel_type, event_id, sender)` of the replace, thread and reference
    /// relations to the given events, oldest first.
    async fn relation_summaries(
        &self,
        parents: &[String],
    ) -> Result<Vec<(String, String, String, String)>>;
    /// Thread roots of a room with the stream position of their latest reply, newest first,
    /// below `before`.
    async fn thread_roots(
        &self,
        room_id: &str,
        before: i64,
        limit: u32,
    ) -> Result<Vec<(String, i64)>>;
    async fn add_report(
        &self,
        room_id: &str,
        event_id: Option<&str>,
        reporter: &str,
        reason: Option<&str>,
        now: i64,
    ) -> Result<()>;
    /// The highest stream position of any event (0 when there are none).
    async fn max_stream_ordering(&self) -> Result<i64>;
    /// A user's memberships in current state: `(room_id, membership, event_id,
    /// stream_ordering of the member event)`.
    async fn memberships_of(&self, user_id: &str) -> Result<Vec<Membership>>;
    /// `event_id -> txn_id` of the given events sent from one device.
    async fn txn_ids(
        &self,
        user_id: &str,
        device_id: &str,
        event_ids: &[String],
    ) -> Result<Vec<(String, String)>>;
    /// Rooms with events at `after < stream_ordering <= upto`.
    async fn rooms_with_events_between(&self, after: i64, upto: i64) -> Result<Vec<String>>;
}

/// A user's membership of one room, with the member event's stream position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub room_id: String,
    pub membership: String,
    pub event_id: String,
    pub stream_ordering: i64,
}

const EVENT_COLUMNS: &str =
    "stream_ordering, event_id, room_id, json, redacted_by, state_group, replaces_state";

/// How many columns [`EVENT_COLUMNS`] has: a join's own columns come after them.
pub(super) const EVENT_COLUMN_COUNT: usize = 7;

/// [`EVENT_COLUMNS`] of a table alias, for joins.
pub(super) fn stored_event_columns(alias: &str) -> String {
    EVENT_COLUMNS
        .split(", ")
        .map(|c| format!("{alias}.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[test]
fn event_column_count_matches_the_list() {
    assert_eq!(EVENT_COLUMNS.split(", ").count(), EVENT_COLUMN_COUNT);
}

impl Store {
    /// Runs a `SELECT {EVENT_COLUMNS} …` built with `$N` placeholders for `args`.
    async fn fetch_events(&self, sql: String, args: &[String]) -> Result<Vec<StoredEvent>> {
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for arg in args {
            query = query.bind(arg);
        }
        Ok(query
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(stored_event)
            .collect())
    }
}

/// A row of [`EVENT_COLUMNS`] (first in the select list).
pub(super) fn stored_event(row: &AnyRow) -> StoredEvent {
    StoredEvent {
        stream_ordering: row.get(0),
        event_id: row.get(1),
        room_id: row.get(2),
        json: row.get(3),
        redacted_by: row.get(4),
        state_group: row.get(5),
        replaces_state: row.get(6),
    }
}

/// Statements both event writers run: sqlx in `write_event` below, rusqlite in writer.rs.
/// Their `$N` parameters first appear in order, which is how SQLite numbers named
/// parameters, so rusqlite binds them by position as sqlx does.
pub(super) const INSERT_EVENT: &str = "INSERT INTO events (event_id, room_id, type, state_key, \
     sender, origin_server_ts, depth, state_group, json, rel_type, relates_to, contains_url, \
     stream_ordering, replaces_state, txn_device_id, txn_id) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)";
pub(super) const INSERT_STATE_ENTRY: &str =
    "INSERT INTO state_group_entries (group_id, type, state_key, event_id) VALUES ($1, $2, $3, $4)";
pub(super) const INSERT_EXTREMITY: &str =
    "INSERT INTO forward_extremities (room_id, event_id) VALUES ($1, $2)";
pub(super) const UPSERT_CURRENT_STATE: &str = "INSERT INTO current_state \
     (room_id, type, state_key, event_id, membership) VALUES ($1, $2, $3, $4, $5) \
     ON CONFLICT (room_id, type, state_key) \
     DO UPDATE SET event_id = excluded.event_id, membership = excluded.membership";
pub(super) const INSERT_TXN: &str = "INSERT INTO event_txns \
     (user_id, device_id, scope, txn_id, event_id) VALUES ($1, $2, $3, $4, $5)";
pub(super) const MARK_REDACTED: &str = "UPDATE events SET redacted_by = $1 \
     WHERE event_id = $2 AND room_id = $3 AND redacted_by IS NULL";

async fn insert_state_group(
    tx: &mut Transaction<'_, Any>,
    room_id: &str,
    update: &StateUpdate<'_>,
) -> Result<(i64, i64)> {
    let snapshot = update.prev_group.is_none() || update.prev_chain_len + 1 >= SNAPSHOT_EVERY;
    let (prev_group, chain_len) = if snapshot {
        (None, 0)
    } else {
        (update.prev_group, update.prev_chain_len + 1)
    };
    let row = sqlx::query("INSERT INTO state_groups (room_id, prev_group, chain_len) VALUES ($1, $2, $3) RETURNING id")
        .bind(room_id)
        .bind(prev_group)
        .bind(chain_len)
        .fetch_one(&mut **tx)
        .await?;
    let group: i64 = row.get(0);
    let entries: Vec<(&(String, String), &String)> = if snapshot {
        update.full_state.iter().collect()
    } else {
        let key = (update.entry.0.to_owned(), update.entry.1.to_owned());
        let entry = update.full_state.get_key_value(&key).ok_or_else(|| {
            StorageError::Corrupt("state delta missing from the full state".into())
        })?;
        vec![entry]
    };
    for ((kind, state_key), event_id) in entries {
        sqlx::query(INSERT_STATE_ENTRY)
            .bind(group)
            .bind(kind)
            .bind(state_key)
            .bind(event_id)
            .execute(&mut **tx)
            .await?;
    }
    Ok((group, chain_len))
}

impl EventStore for Store {
    async fn queue_event(&self, e: &NewEvent<'_>) -> Result<QueuedEvent> {
        let snapshot_due = e
            .state
            .as_ref()
            .is_some_and(|u| u.prev_group.is_none() || u.prev_chain_len + 1 >= SNAPSHOT_EVERY);
        // SQLite's batching writer (see writer.rs); new rooms and snapshots take the path below.
        if e.new_room.is_none()
            && !snapshot_due
            && let Some(sqlite) = &self.sqlite
        {
            return sqlite.events.queue(e).map(QueuedEvent::Queued);
        }
        Ok(QueuedEvent::Written(self.write_event(e).await))
    }

    async fn event(&self, event_id: &str) -> Result<Option<StoredEvent>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE event_id = $1"
        )))
        .bind(event_id)
        .fetch_optional(&self.read)
        .await?;
        Ok(row.as_ref().map(stored_event))
    }

    async fn events(&self, event_ids: &[String]) -> Result<Vec<StoredEvent>> {
        let mut found = Vec::with_capacity(event_ids.len());
        // Chunks keep the statement within both engines' parameter limits.
        for chunk in event_ids.chunks(500) {
            let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT {EVENT_COLUMNS} FROM events WHERE event_id IN ({})",
                placeholders.join(", ")
            );
            found.extend(self.fetch_events(sql, chunk).await?);
        }
        let position: std::collections::HashMap<&str, usize> = event_ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id.as_str(), i))
            .collect();
        found.sort_by_key(|e| position.get(e.event_id.as_str()).copied());
        Ok(found)
    }

    async fn txn_event(&self, txn: &TxnKey<'_>) -> Result<Option<String>> {
        let row = sqlx::query(
            "SELECT event_id FROM event_txns \
             WHERE user_id = $1 AND device_id = $2 AND scope = $3 AND txn_id = $4",
        )
        .bind(txn.user_id)
        .bind(txn.device_id)
        .bind(txn.scope)
        .bind(txn.txn_id)
        .fetch_optional(&self.read)
        .await?;
        Ok(row.map(|r| r.get(0)))
    }

    async fn forward_extremities(&self, room_id: &str) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT event_id FROM forward_extremities WHERE room_id = $1 ORDER BY event_id",
        )
        .bind(room_id)
        .fetch_all(&self.read)
        .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    async fn room_head(&self, room_id: &str) -> Result<Option<(i64, i64, i64)>> {
        let row = sqlx::query(
            "SELECT e.state_group, g.chain_len, (SELECT MAX(depth) FROM events WHERE room_id = $1) \
             FROM events e JOIN state_groups g ON g.id = e.state_group \
             WHERE e.room_id = $1 ORDER BY e.stream_ordering DESC LIMIT 1",
        )
        .bind(room_id)
        .fetch_optional(&self.read)
        .await?;
        Ok(row.map(|r| (r.get(0), r.get(1), r.get(2))))
    }

    async fn current_state(&self, room_id: &str) -> Result<StateEntries> {
        let rows =
            sqlx::query("SELECT type, state_key, event_id FROM current_state WHERE room_id = $1")
                .bind(room_id)
                .fetch_all(&self.read)
                .await?;
        Ok(rows
            .iter()
            .map(|r| ((r.get(0), r.get(1)), r.get(2)))
            .collect())
    }

    async fn state_group(&self, group: i64) -> Result<StateEntries> {
        self.state_at(group, None).await
    }

    async fn state_at(
        &self,
        group: i64,
        keys: Option<&[(String, String)]>,
    ) -> Result<StateEntries> {
        // One query walks the delta chain back to its snapshot; the nearest entry wins.
        let mut sql = String::from(
            "WITH RECURSIVE chain(id, prev, n) AS ( \
               SELECT id, prev_group, 0 FROM state_groups WHERE id = $1 \
               UNION ALL SELECT g.id, g.prev_group, c.n + 1 FROM state_groups g JOIN chain c ON g.id = c.prev) \
             SELECT e.type, e.state_key, e.event_id FROM state_group_entries e JOIN chain c ON e.group_id = c.id",
        );
        let mut args = Vec::new();
        if let Some(keys) = keys {
            if keys.is_empty() {
                return Ok(StateEntries::new());
            }
            let clauses: Vec<String> = keys
                .iter()
                .map(|(kind, key)| {
                    args.push(kind.clone());
                    args.push(key.clone());
                    format!(
                        "(e.type = ${} AND e.state_key = ${})",
                        args.len(),
                        args.len() + 1
                    )
                })
                .collect();
            sql.push_str(&format!(" WHERE {}", clauses.join(" OR ")));
        }
        sql.push_str(" ORDER BY c.n DESC");
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(group);
        for arg in &args {
            query = query.bind(arg);
        }
        let mut state = StateEntries::new();
        // Oldest first, so nearer deltas overwrite the snapshot.
        for r in query.fetch_all(&self.read).await? {
            state.insert((r.get(0), r.get(1)), r.get(2));
        }
        Ok(state)
    }

    async fn room_events(
        &self,
        room_id: &str,
        from: i64,
        to: Option<i64>,
        forward: bool,
        limit: u32,
        filter: &EventFilter,
    ) -> Result<Vec<StoredEvent>> {
        let mut sql = format!("SELECT {EVENT_COLUMNS} FROM events WHERE room_id = $1");
        let mut args: Vec<String> = vec![room_id.to_owned()];
        let (cmp, order, to_cmp) = if forward {
            (">", "ASC", "<")
        } else {
            ("<", "DESC", ">")
        };
        sql.push_str(&format!(" AND stream_ordering {cmp} {from}"));
        if let Some(to) = to {
            sql.push_str(&format!(" AND stream_ordering {to_cmp} {to}"));
        }
        for (column, values, negate) in [
            ("type", filter.types.as_deref(), false),
            ("type", Some(filter.not_types.as_slice()), true),
            ("sender", filter.senders.as_deref(), false),
            ("sender", Some(filter.not_senders.as_slice()), true),
        ] {
            if !super::filter_in(&mut sql, &mut args, column, values, negate) {
                return Ok(vec![]);
            }
        }
        if let Some(contains_url) = filter.contains_url {
            sql.push_str(&format!(" AND contains_url = {}", i64::from(contains_url)));
        }
        sql.push_str(&format!(" ORDER BY stream_ordering {order} LIMIT {limit}"));
        self.fetch_events(sql, &args).await
    }

    async fn state_group_at(&self, room_id: &str, at: i64) -> Result<Option<i64>> {
        let row = sqlx::query(
            "SELECT state_group FROM events WHERE room_id = $1 AND stream_ordering <= $2 \
             ORDER BY stream_ordering DESC LIMIT 1",
        )
        .bind(room_id)
        .bind(at)
        .fetch_optional(&self.read)
        .await?;
        Ok(row.map(|r| r.get(0)))
    }

    async fn event_at_timestamp(
        &self,
        room_id: &str,
        ts: i64,
        forward: bool,
    ) -> Result<Option<(String, i64)>> {
        let sql = if forward {
            "SELECT event_id, origin_server_ts FROM events WHERE room_id = $1 AND origin_server_ts >= $2 \
             ORDER BY origin_server_ts ASC, stream_ordering ASC LIMIT 1"
        } else {
            "SELECT event_id, origin_server_ts FROM events WHERE room_id = $1 AND origin_server_ts <= $2 \
             ORDER BY origin_server_ts DESC, stream_ordering DESC LIMIT 1"
        };
        let row = sqlx::query(sql)
            .bind(room_id)
            .bind(ts)
            .fetch_optional(&self.read)
            .await?;
        Ok(row.map(|r| (r.get(0), r.get(1))))
    }

    async fn relations(
        &self,
        room_id: &str,
        parents: &[String],
        rel_type: Option<&str>,
        kind: Option<&str>,
        from: i64,
        to: Option<i64>,
        forward: bool,
        limit: u32,
    ) -> Result<Vec<StoredEvent>> {
        if parents.is_empty() {
            return Ok(vec![]);
        }
        let mut args: Vec<String> = vec![room_id.to_owned()];
        let mut bind = |value: &str| {
            args.push(value.to_owned());
            format!("${}", args.len())
        };
        let placeholders: Vec<String> = parents.iter().map(|p| bind(p)).collect();
        let (cmp, order, to_cmp) = if forward {
            (">", "ASC", "<")
        } else {
            ("<", "DESC", ">")
        };
        let mut sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE room_id = $1 AND relates_to IN ({}) AND stream_ordering {cmp} {from}",
            placeholders.join(", ")
        );
        if let Some(rel_type) = rel_type {
            sql.push_str(&format!(" AND rel_type = {}", bind(rel_type)));
        }
        if let Some(kind) = kind {
            sql.push_str(&format!(" AND type = {}", bind(kind)));
        }
        if let Some(to) = to {
            sql.push_str(&format!(" AND stream_ordering {to_cmp} {to}"));
        }
        sql.push_str(&format!(" ORDER BY stream_ordering {order} LIMIT {limit}"));
        self.fetch_events(sql, &args).await
    }

    async fn relation_summaries(
        &self,
        parents: &[String],
    ) -> Result<Vec<(String, String, String, String)>> {
        let mut found = Vec::new();
        for chunk in parents.chunks(500) {
            let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT relates_to, rel_type, event_id, sender FROM events WHERE relates_to IN ({}) \
                 AND rel_type IN ('m.replace', 'm.thread', 'm.reference') AND redacted_by IS NULL \
                 ORDER BY stream_ordering",
                placeholders.join(", ")
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for parent in chunk {
                query = query.bind(parent);
            }
            found.extend(
                query
                    .fetch_all(&self.read)
                    .await?
                    .iter()
                    .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3))),
            );
        }
        Ok(found)
    }

    async fn thread_roots(
        &self,
        room_id: &str,
        before: i64,
        limit: u32,
    ) -> Result<Vec<(String, i64)>> {
        let rows = sqlx::query(
            "SELECT relates_to, MAX(stream_ordering) AS latest FROM events \
             WHERE room_id = $1 AND rel_type = 'm.thread' GROUP BY relates_to \
             HAVING MAX(stream_ordering) < $2 ORDER BY latest DESC LIMIT $3",
        )
        .bind(room_id)
        .bind(before)
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    async fn add_report(
        &self,
        room_id: &str,
        event_id: Option<&str>,
        reporter: &str,
        reason: Option<&str>,
        now: i64,
    ) -> Result<()> {
        sqlx::query("INSERT INTO reports (room_id, event_id, reporter, reason, created_ts) VALUES ($1, $2, $3, $4, $5)")
            .bind(room_id)
            .bind(event_id)
            .bind(reporter)
            .bind(reason)
            .bind(now)
            .execute(&mut *self.writing().await?)
            .await?;
        Ok(())
    }

    async fn max_stream_ordering(&self) -> Result<i64> {
        let row = sqlx::query("SELECT COALESCE(MAX(stream_ordering), 0) FROM events")
            .fetch_one(&self.read)
            .await?;
        Ok(row.get(0))
    }

    async fn memberships_of(&self, user_id: &str) -> Result<Vec<Membership>> {
        let rows = sqlx::query(
            "SELECT c.room_id, c.membership, c.event_id, e.stream_ordering \
             FROM current_state c JOIN events e ON e.event_id = c.event_id \
             WHERE c.state_key = $1 AND c.type = 'm.room.member'",
        )
        .bind(user_id)
        .fetch_all(&self.read)
        .await?;
        Ok(rows
            .iter()
            .map(|r| Membership {
                room_id: r.get(0),
                membership: r.get::<Option<String>, _>(1).unwrap_or_default(),
                event_id: r.get(2),
                stream_ordering: r.get(3),
            })
            .collect())
    }

    async fn txn_ids(
        &self,
        user_id: &str,
        device_id: &str,
        event_ids: &[String],
    ) -> Result<Vec<(String, String)>> {
        let mut found = Vec::new();
        for chunk in event_ids.chunks(500) {
            let placeholders: Vec<String> = (3..chunk.len() + 3).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT event_id, txn_id FROM events WHERE sender = $1 AND txn_device_id = $2 \
                 AND event_id IN ({})",
                placeholders.join(", ")
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(user_id)
                .bind(device_id);
            for id in chunk {
                query = query.bind(id);
            }
            found.extend(
                query
                    .fetch_all(&self.read)
                    .await?
                    .iter()
                    .map(|r| (r.get(0), r.get(1))),
            );
        }
        Ok(found)
    }

    async fn rooms_with_events_between(&self, after: i64, upto: i64) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT DISTINCT room_id FROM events WHERE stream_ordering > $1 AND stream_ordering <= $2",
        )
        .bind(after)
        .bind(upto)
        .fetch_all(&self.read)
        .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }
}

impl Store {
    /// Writes one event in a transaction of its own.
    async fn write_event(&self, e: &NewEvent<'_>) -> Result<Persisted> {
        let mut writing = self.writing().await?;
        let mut tx = sqlx::Connection::begin(&mut *writing).await?;
        if let Some(room) = &e.new_room {
            sqlx::query("INSERT INTO rooms (room_id, room_version, creator, published, created_ts) VALUES ($1, $2, $3, 0, $4)")
                .bind(e.room_id)
                .bind(room.room_version)
                .bind(room.creator)
                .bind(e.origin_server_ts)
                .execute(&mut *tx)
                .await?;
        }
        let (state_group, chain_len) = match &e.state {
            Some(update) => {
                let (group, len) = insert_state_group(&mut tx, e.room_id, update).await?;
                (group, Some(len))
            }
            None => (e.current_group, None),
        };
        sqlx::query(INSERT_EVENT)
            .bind(e.event_id)
            .bind(e.room_id)
            .bind(e.kind)
            .bind(e.state_key)
            .bind(e.sender)
            .bind(e.origin_server_ts)
            .bind(e.depth)
            .bind(state_group)
            .bind(e.json)
            .bind(e.rel_type)
            .bind(e.relates_to)
            .bind(i64::from(e.contains_url))
            .bind(e.stream_ordering)
            .bind(e.replaces_state)
            .bind(e.txn.map(|t| t.device_id))
            .bind(e.txn.map(|t| t.txn_id))
            .execute(&mut *tx)
            .await?;
        let stream_ordering = e.stream_ordering;
        if let Some((key, text)) = e.search {
            super::search::index(&mut tx, self.backend, stream_ordering, key, text).await?;
        }
        super::push::insert(
            &mut tx,
            e.room_id,
            e.event_id,
            stream_ordering,
            e.origin_server_ts,
            e.push,
        )
        .await?;
        if !e.prev_events.is_empty() {
            // One statement for all: each is a round trip to PostgreSQL otherwise.
            let params: Vec<String> = (2..e.prev_events.len() + 2)
                .map(|i| format!("${i}"))
                .collect();
            let sql = format!(
                "DELETE FROM forward_extremities WHERE room_id = $1 AND event_id IN ({})",
                params.join(", ")
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(e.room_id);
            for prev in e.prev_events {
                query = query.bind(prev);
            }
            query.execute(&mut *tx).await?;
        }
        sqlx::query(INSERT_EXTREMITY)
            .bind(e.room_id)
            .bind(e.event_id)
            .execute(&mut *tx)
            .await?;
        if let (Some(state_key), Some(_)) = (e.state_key, &e.state) {
            sqlx::query(UPSERT_CURRENT_STATE)
                .bind(e.room_id)
                .bind(e.kind)
                .bind(state_key)
                .bind(e.event_id)
                .bind(e.membership)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(txn) = e.txn {
            sqlx::query(INSERT_TXN)
                .bind(txn.user_id)
                .bind(txn.device_id)
                .bind(txn.scope)
                .bind(txn.txn_id)
                .bind(e.event_id)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(redacts) = e.redacts {
            super::search::unindex(&mut tx, self.backend, redacts).await?;
            sqlx::query(MARK_REDACTED)
                .bind(e.event_id)
                .bind(redacts)
                .bind(e.room_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(Persisted {
            stream_ordering,
            state_group,
            chain_len,
        })
    }
}

#[cfg(test)]
mod glob_tests {
    use super::glob_match;

    #[test]
    fn wildcards_match_like_the_sql_filter() {
        assert!(glob_match("m.room.*", "m.room.message"));
        assert!(glob_match("*", ""));
        assert!(glob_match("m.*.member", "m.room.member"));
        assert!(glob_match("a*b*c", "abc"));
        assert!(!glob_match("a*b*c", "acb"));
        assert!(!glob_match("m.room.*", "m.roo"));
        assert!(!glob_match("ab*ba", "aba"));
        assert!(glob_match("m.room.message", "m.room.message"));
        assert!(!glob_match("m.room.message", "m.room.messages"));
    }
}
