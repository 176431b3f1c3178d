//! SQLite's event writer. sqlx runs each SQLite connection on its own worker thread, so
//! every statement is a thread hand-off; profiling showed those hand-offs dominating sends.
//! Here an event is one script (all its statements, numbered parameters shared), and the
//! events waiting at the same moment — from different rooms, since a room has one writer —
//! go in one transaction: one hand-off and one commit for the lot. If a batch fails, each of
//! its events is retried alone, so one bad event fails no other — except the events queued
//! on top of it (naming it in `prev_events`), which cannot be written without it.

use std::collections::{HashSet, VecDeque};

use sqlx::{AnyPool, Row};
use tokio::sync::{mpsc, oneshot};

use super::{NewEvent, Persisted, Result, StorageError, search::split_cjk};

/// Most events written in one transaction.
const MAX_BATCH: usize = 64;

/// A [`NewEvent`] that can cross to the writer task.
#[derive(Debug)]
struct OwnedEvent {
    stream_ordering: i64,
    event_id: String,
    room_id: String,
    kind: String,
    state_key: Option<String>,
    sender: String,
    origin_server_ts: i64,
    depth: i64,
    json: String,
    rel_type: Option<String>,
    replaces_state: Option<String>,
    relates_to: Option<String>,
    contains_url: bool,
    prev_events: Vec<String>,
    /// `(prev_group, prev_chain_len)` of a state delta.
    delta: Option<(Option<i64>, i64)>,
    current_group: i64,
    membership: Option<String>,
    /// `(user_id, device_id, scope, txn_id)`.
    txn: Option<(String, String, String, String)>,
    redacts: Option<String>,
    search: Option<(String, String)>,
    push: Vec<super::PushActions>,
}

impl OwnedEvent {
    fn new(e: &NewEvent<'_>) -> Self {
        Self {
            stream_ordering: e.stream_ordering,
            event_id: e.event_id.to_owned(),
            room_id: e.room_id.to_owned(),
            kind: e.kind.to_owned(),
            state_key: e.state_key.map(str::to_owned),
            sender: e.sender.to_owned(),
            origin_server_ts: e.origin_server_ts,
            depth: e.depth,
            json: e.json.to_owned(),
            rel_type: e.rel_type.map(str::to_owned),
            replaces_state: e.replaces_state.map(str::to_owned),
            relates_to: e.relates_to.map(str::to_owned),
            contains_url: e.contains_url,
            prev_events: e.prev_events.to_vec(),
            delta: e.state.as_ref().map(|u| (u.prev_group, u.prev_chain_len)),
            current_group: e.current_group,
            membership: e.membership.map(str::to_owned),
            txn: e.txn.map(|t| {
                (
                    t.user_id.to_owned(),
                    t.device_id.to_owned(),
                    t.scope.to_owned(),
                    t.txn_id.to_owned(),
                )
            }),
            redacts: e.redacts.map(str::to_owned),
            search: e
                .search
                .map(|(key, text)| (key.to_owned(), split_cjk(text))),
            push: e.push.to_vec(),
        }
    }
}

/// A bind value of a script.
enum Arg<'a> {
    Text(Option<&'a str>),
    Int(Option<i64>),
}

/// Numbered parameters shared by every statement of a script.
#[derive(Default)]
struct Args<'a>(Vec<Arg<'a>>);

impl<'a> Args<'a> {
    fn text(&mut self, value: Option<&'a str>) -> String {
        self.0.push(Arg::Text(value));
        format!("${}", self.0.len())
    }
    fn int(&mut self, value: Option<i64>) -> String {
        self.0.push(Arg::Int(value));
        format!("${}", self.0.len())
    }
}

/// Appends one event's statements, a state event's ending with the `SELECT` of its new
/// state group. Returns the new delta chain length of a state event.
fn append_script<'a>(e: &'a OwnedEvent, a: &mut Args<'a>, sql: &mut String) -> Option<i64> {
    let event_id = a.text(Some(&e.event_id));
    let room_id = a.text(Some(&e.room_id));
    let kind = a.text(Some(&e.kind));
    let state_key = a.text(e.state_key.as_deref());
    let mut chain_len = None;
    let state_group = match e.delta {
        Some((prev_group, prev_chain_len)) => {
            chain_len = Some(prev_chain_len + 1);
            let (prev, len) = (a.int(prev_group), a.int(chain_len));
            sql.push_str(&format!(
                "INSERT INTO state_groups (room_id, prev_group, chain_len) VALUES ({room_id}, {prev}, {len});\n\
                 INSERT INTO state_group_entries (group_id, type, state_key, event_id) \
                 VALUES ((SELECT MAX(id) FROM state_groups), {kind}, {state_key}, {event_id});\n"
            ));
            "(SELECT MAX(id) FROM state_groups)".to_owned()
        }
        None => a.int(Some(e.current_group)),
    };
    sql.push_str(&format!(
        "INSERT INTO events (event_id, room_id, type, state_key, sender, origin_server_ts, depth, state_group, json, \
         rel_type, relates_to, contains_url, stream_ordering, replaces_state) \
         VALUES ({event_id}, {room_id}, {kind}, {state_key}, {}, {}, {}, {state_group}, {}, {}, {}, {}, {}, {});\n",
        a.text(Some(&e.sender)),
        a.int(Some(e.origin_server_ts)),
        a.int(Some(e.depth)),
        a.text(Some(&e.json)),
        a.text(e.rel_type.as_deref()),
        a.text(e.relates_to.as_deref()),
        a.int(Some(i64::from(e.contains_url))),
        a.int(Some(e.stream_ordering)),
        a.text(e.replaces_state.as_deref()),
    ));
    if !e.prev_events.is_empty() {
        let prev: Vec<String> = e.prev_events.iter().map(|p| a.text(Some(p))).collect();
        sql.push_str(&format!(
            "DELETE FROM forward_extremities WHERE room_id = {room_id} AND event_id IN ({});\n",
            prev.join(", ")
        ));
    }
    sql.push_str(&format!(
        "INSERT INTO forward_extremities (room_id, event_id) VALUES ({room_id}, {event_id});\n"
    ));
    if e.delta.is_some() {
        let membership = a.text(e.membership.as_deref());
        sql.push_str(&format!(
            "INSERT INTO current_state (room_id, type, state_key, event_id, membership) \
             VALUES ({room_id}, {kind}, {state_key}, {event_id}, {membership}) ON CONFLICT (room_id, type, state_key) \
             DO UPDATE SET event_id = excluded.event_id, membership = excluded.membership;\n"
        ));
    }
    if let Some((user_id, device_id, scope, txn_id)) = &e.txn {
        sql.push_str(&format!(
            "INSERT INTO event_txns (user_id, device_id, scope, txn_id, event_id) VALUES ({}, {}, {}, {}, {event_id});\n",
            a.text(Some(user_id)),
            a.text(Some(device_id)),
            a.text(Some(scope)),
            a.text(Some(txn_id)),
        ));
    }
    if let Some((key, text)) = &e.search {
        sql.push_str(&format!(
            "INSERT INTO event_search (rowid, key, body) \
             VALUES ((SELECT stream_ordering FROM events WHERE event_id = {event_id}), {}, {});\n",
            a.text(Some(key)),
            a.text(Some(text)),
        ));
    }
    if let Some(redacts) = &e.redacts {
        let target = a.text(Some(redacts));
        sql.push_str(&format!(
            "DELETE FROM event_search WHERE rowid = (SELECT stream_ordering FROM events WHERE event_id = {target});\n\
             UPDATE events SET redacted_by = {event_id} \
             WHERE event_id = {target} AND room_id = {room_id} AND redacted_by IS NULL;\n"
        ));
    }
    if !e.push.is_empty() {
        let (position, ts) = (
            a.int(Some(e.stream_ordering)),
            a.int(Some(e.origin_server_ts)),
        );
        for p in &e.push {
            sql.push_str(&format!(
                "INSERT INTO event_push_actions (user_id, room_id, event_id, stream_ordering, \
                 thread_id, actions, highlight, ts) VALUES ({}, {room_id}, {event_id}, {position}, \
                 {}, {}, {}, {ts});\n",
                a.text(Some(&p.user_id)),
                a.text(Some(&p.thread_id)),
                a.text(Some(&p.actions)),
                a.int(Some(i64::from(p.highlight))),
            ));
        }
    }
    if e.delta.is_some() {
        // Only a new state group's ID is not known before the write. Every row read back
        // is a hand-off between threads, so messages read nothing.
        sql.push_str(&format!(
            "SELECT state_group FROM events WHERE event_id = {event_id};\n"
        ));
    }
    chain_len
}

/// Writes `events` in one transaction, or none of them.
async fn write(pool: &AnyPool, events: &[&OwnedEvent]) -> Result<Vec<Persisted>> {
    let mut args = Args::default();
    let mut sql = String::from("BEGIN IMMEDIATE;\n");
    let chain_lens: Vec<Option<i64>> = events
        .iter()
        .map(|e| append_script(e, &mut args, &mut sql))
        .collect();
    sql.push_str("COMMIT;");
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for arg in args.0 {
        query = match arg {
            Arg::Text(value) => query.bind(value),
            Arg::Int(value) => query.bind(value),
        };
    }
    let mut conn = pool.acquire().await?;
    let rows = match query.fetch_all(&mut *conn).await {
        Ok(rows) => rows,
        Err(err) => {
            // Leave the writer connection clean for the next batch.
            let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
            return Err(err.into());
        }
    };
    let mut groups = rows.iter().map(|row| row.get::<i64, _>(0));
    let persisted = events
        .iter()
        .zip(chain_lens)
        .map(|(e, chain_len)| {
            let state_group = match chain_len {
                Some(_) => groups.next(),
                None => Some(e.current_group),
            };
            Some(Persisted {
                stream_ordering: e.stream_ordering,
                state_group: state_group?,
                chain_len,
            })
        })
        .collect::<Option<Vec<_>>>();
    match persisted {
        Some(persisted) if groups.next().is_none() => Ok(persisted),
        _ => Err(StorageError::Corrupt(format!(
            "wrote {} events, read back {} state groups",
            events.len(),
            rows.len()
        ))),
    }
}

struct Job {
    event: OwnedEvent,
    done: oneshot::Sender<Result<Persisted>>,
}

/// Handle to the writer task of one SQLite database.
#[derive(Clone, Debug)]
pub(super) struct EventWriter {
    jobs: mpsc::UnboundedSender<Job>,
}

impl EventWriter {
    pub(super) fn spawn(pool: AnyPool) -> Self {
        let (jobs, queue) = mpsc::unbounded_channel();
        tokio::spawn(run(pool, queue));
        Self { jobs }
    }

    /// Queues an event; the receiver answers once its batch committed (or failed).
    pub(super) fn queue(
        &self,
        event: &NewEvent<'_>,
    ) -> Result<oneshot::Receiver<Result<Persisted>>> {
        let (done, result) = oneshot::channel();
        let job = Job {
            event: OwnedEvent::new(event),
            done,
        };
        self.jobs
            .send(job)
            .map_err(|_| StorageError::Corrupt("the event writer has stopped".into()))?;
        Ok(result)
    }
}

/// Events whose write failed, remembered so that events queued on top of them (whose
/// `prev_events` name them) fail too instead of referring to an event that does not exist.
/// Their rooms reload from storage before building again, so a short memory is enough.
#[derive(Default)]
struct Failed {
    ids: HashSet<String>,
    order: VecDeque<String>,
}

/// Failed event IDs remembered.
const FAILED_KEPT: usize = 1024;

impl Failed {
    fn builds_on_one(&self, event: &OwnedEvent) -> bool {
        !self.ids.is_empty() && event.prev_events.iter().any(|p| self.ids.contains(p))
    }

    fn add(&mut self, event_id: &str) {
        if self.ids.insert(event_id.to_owned()) {
            self.order.push_back(event_id.to_owned());
        }
        while self.order.len() > FAILED_KEPT {
            if let Some(old) = self.order.pop_front() {
                self.ids.remove(&old);
            }
        }
    }

    /// Answers `job` with `result`, remembering the event if it failed and no event of
    /// that ID was stored before (events built on that one are fine). An aborted event
    /// was never tried, so it needs no look.
    async fn answer(&mut self, pool: &AnyPool, job: Job, result: Result<Persisted>) {
        match &result {
            Ok(_) => {}
            Err(StorageError::Aborted) => self.add(&job.event.event_id),
            Err(_) => {
                let stored = sqlx::query("SELECT 1 FROM events WHERE event_id = $1")
                    .bind(&job.event.event_id)
                    .fetch_optional(pool)
                    .await;
                if !matches!(stored, Ok(Some(_))) {
                    self.add(&job.event.event_id);
                }
            }
        }
        let _ = job.done.send(result);
    }
}

async fn run(pool: AnyPool, mut queue: mpsc::UnboundedReceiver<Job>) {
    let mut failed = Failed::default();
    while let Some(first) = queue.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let mut writable = Vec::with_capacity(batch.len());
        for job in batch {
            if failed.builds_on_one(&job.event) {
                failed.answer(&pool, job, Err(StorageError::Aborted)).await;
            } else {
                writable.push(job);
            }
        }
        if writable.is_empty() {
            continue;
        }
        let events: Vec<&OwnedEvent> = writable.iter().map(|job| &job.event).collect();
        match write(&pool, &events).await {
            Ok(persisted) => {
                for (job, persisted) in writable.into_iter().zip(persisted) {
                    let _ = job.done.send(Ok(persisted));
                }
            }
            Err(err) if writable.len() == 1 => {
                let job = writable.pop().expect("one job");
                failed.answer(&pool, job, Err(err)).await;
            }
            Err(_) => {
                // Isolate the failure: each event alone.
                for job in writable {
                    let result = if failed.builds_on_one(&job.event) {
                        Err(StorageError::Aborted)
                    } else {
                        write(&pool, &[&job.event]).await.map(|mut p| p.remove(0))
                    };
                    failed.answer(&pool, job, result).await;
                }
            }
        }
    }
}
