//! SQLite's event writer: a thread of its own with its own connection. Statements are
//! prepared once and kept, and each step is a plain function call, not a hand-off to
//! sqlx's worker thread. The events waiting at the same moment (from different rooms,
//! since a room has one writer) go in one transaction: one commit for the lot. If a batch
//! fails, each of its events is retried alone, so one bad event fails no other, except the
//! events queued on top of it (naming it in `prev_events`), which cannot be written without it.
//!
//! Frequent small writes that are not events run on the same thread, each in a transaction
//! of its own, in the order queued ([`EventWriter::transact`]).
//!
//! The thread and the store's sqlx write connection take turns through [`WriteTurn`], so
//! SQLite keeps one writer at a time without either side sleeping on a busy lock.
//!
//! Group commit: a message send announces its event before it waits for its room, and
//! withdraws once the event is queued ([`EventComing`]). While events are announced, the
//! writer waits for them a little (at most [`GATHER_MAX`]) before it commits, since a
//! commit's cost is mostly pages every event of a batch shares. A lone send has withdrawn by
//! the time its event is queued, so it never waits.

use std::{
    collections::{HashSet, VecDeque},
    path::Path,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
        mpsc,
    },
    time::{Duration, Instant},
};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use tokio::sync::oneshot;

use super::{
    NewEvent, Persisted, Result, StorageError,
    events::{
        INSERT_EVENT, INSERT_EXTREMITY, INSERT_STATE_ENTRY, INSERT_TXN, MARK_REDACTED,
        UPSERT_CURRENT_STATE,
    },
    search::{
        SQLITE_STAGE, SQLITE_UNINDEX, SQLITE_UNSTAGE, STAGED_SEARCH_EVERY, index_staged, split_cjk,
    },
};

/// Most events written in one transaction.
const MAX_BATCH: usize = 64;
/// Longest a batch waits for events still being built.
const GATHER_MAX: Duration = Duration::from_millis(1);
/// How often a waiting batch looks whether events are still being built.
const GATHER_SLICE: Duration = Duration::from_micros(100);

/// The right to write to the SQLite database, shared by the event writer thread and the
/// store's sqlx write connection. Waiters are served in order.
pub(super) type WriteTurn = Arc<tokio::sync::Mutex<()>>;

/// Pragmas of every connection that writes. Neither checkpoints: the checkpointer thread
/// does, off the write path (`checkpointer.rs`). The page cache keeps SQLite's default
/// (2 MB). When a B-tree split swaps two new pages' numbers, SQLite parks one under the
/// page number of the 1 GiB lock page; the page cache then believes it holds a page far
/// past the end of a database smaller than 1 GiB, and the next commit walks the whole
/// cache to drop it (`pcache1TruncateUnsafe`, in ~20 % of commits). With a 64 MB cache that
/// walk was 16 % of server CPU under `bench_rooms` (100k-event history), more than the
/// index pages the big cache saved reading back from the OS (~1 %).
pub(super) const WRITER_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
     PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = 67108864; \
     PRAGMA busy_timeout = 10000; PRAGMA case_sensitive_like = ON;";

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

/// Writes one event's rows; the caller holds the transaction.
fn write_one(tx: &rusqlite::Transaction<'_>, e: &OwnedEvent) -> rusqlite::Result<Persisted> {
    let (state_group, chain_len) = match e.delta {
        Some((prev_group, prev_chain_len)) => {
            let chain_len = prev_chain_len + 1;
            tx.prepare_cached(
                "INSERT INTO state_groups (room_id, prev_group, chain_len) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![e.room_id, prev_group, chain_len])?;
            let group = tx.last_insert_rowid();
            tx.prepare_cached(INSERT_STATE_ENTRY)?.execute(params![
                group,
                e.kind,
                e.state_key,
                e.event_id
            ])?;
            (group, Some(chain_len))
        }
        None => (e.current_group, None),
    };
    tx.prepare_cached(INSERT_EVENT)?.execute(params![
        e.event_id,
        e.room_id,
        e.kind,
        e.state_key,
        e.sender,
        e.origin_server_ts,
        e.depth,
        state_group,
        e.json,
        e.rel_type,
        e.relates_to,
        i64::from(e.contains_url),
        e.stream_ordering,
        e.replaces_state,
        e.txn.as_ref().map(|t| &t.1),
        e.txn.as_ref().map(|t| &t.3),
    ])?;
    let mut unlink =
        tx.prepare_cached("DELETE FROM forward_extremities WHERE room_id = ?1 AND event_id = ?2")?;
    for prev in &e.prev_events {
        unlink.execute(params![e.room_id, prev])?;
    }
    tx.prepare_cached(INSERT_EXTREMITY)?
        .execute(params![e.room_id, e.event_id])?;
    if e.delta.is_some() {
        tx.prepare_cached(UPSERT_CURRENT_STATE)?.execute(params![
            e.room_id,
            e.kind,
            e.state_key,
            e.event_id,
            e.membership
        ])?;
    }
    if let Some((user_id, device_id, scope, txn_id)) = &e.txn {
        tx.prepare_cached(INSERT_TXN)?
            .execute(params![user_id, device_id, scope, txn_id, e.event_id])?;
    }
    if let Some((key, text)) = &e.search {
        tx.prepare_cached(SQLITE_STAGE)?
            .execute(params![e.stream_ordering, key, text])?;
    }
    if let Some(redacts) = &e.redacts {
        tx.prepare_cached(SQLITE_UNSTAGE)?
            .execute(params![redacts])?;
        tx.prepare_cached(SQLITE_UNINDEX)?
            .execute(params![redacts])?;
        tx.prepare_cached(MARK_REDACTED)?
            .execute(params![e.event_id, redacts, e.room_id])?;
    }
    if !e.push.is_empty() {
        let mut insert = tx.prepare_cached(super::push::INSERT_STAGED)?;
        for p in &e.push {
            insert.execute(params![
                p.user_id,
                e.room_id,
                e.event_id,
                e.stream_ordering,
                p.thread_id,
                p.actions,
                i64::from(p.highlight),
                e.origin_server_ts,
            ])?;
        }
    }
    Ok(Persisted {
        stream_ordering: e.stream_ordering,
        state_group,
        chain_len,
    })
}

/// Writes `events` in one transaction, or none of them.
fn write(
    conn: &mut Connection,
    turn: &WriteTurn,
    events: &[&OwnedEvent],
) -> Result<Vec<Persisted>> {
    Ok(in_turn(conn, turn, |tx| {
        events.iter().map(|e| write_one(tx, e)).collect()
    })?)
}

struct EventJob {
    event: OwnedEvent,
    done: oneshot::Sender<Result<Persisted>>,
}

/// A write that is not an event, run in a transaction of its own on the writer thread.
type Task = Box<dyn FnOnce(&mut Connection, &WriteTurn) + Send>;

/// What the writer thread is asked to do, in the order asked.
enum Job<E> {
    Event(E),
    Task(Task),
}

/// Handle to the writer thread of one SQLite database.
#[derive(Clone, Debug)]
pub(super) struct EventWriter {
    jobs: mpsc::Sender<Job<EventJob>>,
    /// Events being built, soon to be queued.
    coming: Arc<AtomicUsize>,
}

/// An event being built for the writer; dropping it says it is queued (or abandoned).
pub struct EventComing(Arc<AtomicUsize>);

impl Drop for EventComing {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl EventWriter {
    /// Opens the writer's connection to the (already migrated) database at `path` and
    /// starts its thread.
    pub(super) fn spawn(path: &Path, turn: WriteTurn) -> Result<Self> {
        let conn = Connection::open(path)?;
        conn.execute_batch(WRITER_PRAGMAS)?;
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.set_prepared_statement_cache_capacity(32);
        let (jobs, queue) = mpsc::channel();
        let coming = Arc::new(AtomicUsize::new(0));
        let building = coming.clone();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || {
                crate::sched::ask_for_short_slices();
                run(conn, turn, queue, building)
            })?;
        Ok(Self { jobs, coming })
    }

    /// Announces an event about to be built and queued.
    pub(super) fn coming(&self) -> EventComing {
        self.coming.fetch_add(1, Ordering::AcqRel);
        EventComing(self.coming.clone())
    }

    /// Queues an event; the receiver answers once its batch committed (or failed).
    pub(super) fn queue(
        &self,
        event: &NewEvent<'_>,
    ) -> Result<oneshot::Receiver<Result<Persisted>>> {
        let (done, result) = oneshot::channel();
        let job = EventJob {
            event: OwnedEvent::new(event),
            done,
        };
        self.jobs.send(Job::Event(job)).map_err(|_| stopped())?;
        Ok(result)
    }

    /// Runs `write` in a transaction of its own on the writer thread, after what is queued
    /// before it. Frequent small writes go this way rather than through sqlx: holding the
    /// write turn across sqlx's hand-offs to its worker thread (milliseconds when the
    /// runtime is busy) held every queued message up as long.
    pub(super) async fn transact<T: Send + 'static>(
        &self,
        write: impl FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T> {
        let (done, result) = oneshot::channel();
        let task: Task = Box::new(move |conn, turn| {
            let _ = done.send(in_turn(conn, turn, write).map_err(StorageError::from));
        });
        self.jobs.send(Job::Task(task)).map_err(|_| stopped())?;
        result.await.map_err(|_| stopped())?
    }
}

/// Runs `write` in a transaction of its own, in the write turn.
fn in_turn<T>(
    conn: &mut Connection,
    turn: &WriteTurn,
    write: impl FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    let _turn = turn.blocking_lock();
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let value = write(&tx)?;
    tx.commit()?;
    Ok(value)
}

fn stopped() -> StorageError {
    StorageError::Corrupt("the event writer has stopped".into())
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
    fn answer(&mut self, conn: &Connection, job: EventJob, result: Result<Persisted>) {
        match &result {
            Ok(_) => {}
            Err(StorageError::Aborted) => self.add(&job.event.event_id),
            Err(_) => {
                let stored = conn
                    .prepare_cached("SELECT 1 FROM events WHERE event_id = ?1")
                    .and_then(|mut s| s.query_row([&job.event.event_id], |_| Ok(())).optional());
                if !matches!(stored, Ok(Some(()))) {
                    self.add(&job.event.event_id);
                }
            }
        }
        let _ = job.done.send(result);
    }
}

/// The events queued after `first`, and those that arrive while events are being built (see
/// the module doc) for at most `max`, up to [`MAX_BATCH`]; a task queued meanwhile ends the
/// batch and runs after it.
fn gather<E>(
    first: E,
    queue: &mpsc::Receiver<Job<E>>,
    coming: &AtomicUsize,
    max: Duration,
) -> (Vec<E>, Option<Task>) {
    let mut batch = vec![first];
    let deadline = Instant::now() + max;
    while batch.len() < MAX_BATCH {
        let job = match queue.try_recv() {
            Ok(job) => job,
            Err(mpsc::TryRecvError::Disconnected) => break,
            Err(mpsc::TryRecvError::Empty) => {
                let now = Instant::now();
                if coming.load(Ordering::Acquire) == 0 || now >= deadline {
                    break;
                }
                match queue.recv_timeout(GATHER_SLICE.min(deadline - now)) {
                    Ok(job) => job,
                    Err(mpsc::RecvTimeoutError::Timeout) => continue,
                    Err(mpsc::RecvTimeoutError::Disconnected) => break,
                }
            }
        };
        match job {
            Job::Event(event) => batch.push(event),
            Job::Task(task) => return (batch, Some(task)),
        }
    }
    (batch, None)
}

fn run(
    mut conn: Connection,
    turn: WriteTurn,
    queue: mpsc::Receiver<Job<EventJob>>,
    coming: Arc<AtomicUsize>,
) {
    let mut failed = Failed::default();
    // When staged search text is due in the index; at start, whatever a stop left staged.
    let mut staged_due = Some(Instant::now());
    loop {
        let received = match staged_due {
            None => queue
                .recv()
                .map_err(|_| mpsc::RecvTimeoutError::Disconnected),
            Some(due) => queue.recv_timeout(due.saturating_duration_since(Instant::now())),
        };
        match received {
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Ok(Job::Task(task)) => task(&mut conn, &turn),
            Ok(Job::Event(first)) => {
                let (batch, task) = gather(first, &queue, &coming, GATHER_MAX);
                if staged_due.is_none() && batch.iter().any(|job| job.event.search.is_some()) {
                    staged_due = Some(Instant::now() + STAGED_SEARCH_EVERY);
                }
                write_batch(&mut conn, &turn, &mut failed, batch);
                if let Some(task) = task {
                    task(&mut conn, &turn);
                }
            }
        }
        // Due after a timeout, and under steady load, when the queue never stays empty long
        // enough to time out.
        if staged_due.is_some_and(|due| due <= Instant::now()) {
            staged_due = move_staged(&mut conn, &turn);
        }
    }
    move_staged(&mut conn, &turn);
}

/// Moves staged search text into the index in one transaction; when to try again if that
/// failed.
fn move_staged(conn: &mut Connection, turn: &WriteTurn) -> Option<Instant> {
    match in_turn(conn, turn, index_staged) {
        Ok(()) => None,
        Err(err) => {
            tracing::warn!(%err, "indexing staged search text failed; will retry");
            Some(Instant::now() + STAGED_SEARCH_EVERY)
        }
    }
}

/// Writes a batch of events in one transaction, or, if that fails, each alone.
fn write_batch(conn: &mut Connection, turn: &WriteTurn, failed: &mut Failed, batch: Vec<EventJob>) {
    let mut writable = Vec::with_capacity(batch.len());
    for job in batch {
        if failed.builds_on_one(&job.event) {
            failed.answer(conn, job, Err(StorageError::Aborted));
        } else {
            writable.push(job);
        }
    }
    if writable.is_empty() {
        return;
    }
    let events: Vec<&OwnedEvent> = writable.iter().map(|job| &job.event).collect();
    match write(conn, turn, &events) {
        Ok(persisted) => {
            tracing::debug!(events = persisted.len(), "batch committed");
            for (job, persisted) in writable.into_iter().zip(persisted) {
                let _ = job.done.send(Ok(persisted));
            }
        }
        Err(err) if writable.len() == 1 => {
            let job = writable.pop().expect("one job");
            failed.answer(conn, job, Err(err));
        }
        Err(_) => {
            // Isolate the failure: each event alone.
            for job in writable {
                let result = if failed.builds_on_one(&job.event) {
                    Err(StorageError::Aborted)
                } else {
                    write(conn, turn, &[&job.event]).map(|mut p| p.remove(0))
                };
                failed.answer(conn, job, result);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The events of a batch, and whether a task ended it.
    fn batch(
        first: u32,
        queue: &mpsc::Receiver<Job<u32>>,
        coming: &AtomicUsize,
        max: Duration,
    ) -> (Vec<u32>, bool) {
        let (events, task) = gather(first, queue, coming, max);
        (events, task.is_some())
    }

    #[test]
    fn a_batch_waits_for_announced_events_and_only_for_them() {
        let (jobs, queue) = mpsc::channel();
        let coming = Arc::new(AtomicUsize::new(0));
        // Nothing announced: the batch is what is queued.
        jobs.send(Job::Event(2)).unwrap();
        assert_eq!(batch(1, &queue, &coming, GATHER_MAX), (vec![1, 2], false));

        // One announced: the batch waits for it (here as long as it takes: no timing).
        coming.store(1, Ordering::Release);
        let (late, announced) = (jobs.clone(), coming.clone());
        let builder = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_micros(300));
            late.send(Job::Event(4)).unwrap();
            announced.fetch_sub(1, Ordering::AcqRel);
        });
        let forever = Duration::from_secs(60);
        assert_eq!(batch(3, &queue, &coming, forever), (vec![3, 4], false));
        builder.join().unwrap();

        // Announced but never queued (its build failed, say): the wait is bounded.
        coming.store(1, Ordering::Release);
        let start = Instant::now();
        assert_eq!(batch(5, &queue, &coming, GATHER_MAX), (vec![5], false));
        assert!(start.elapsed() >= GATHER_MAX);
    }

    #[test]
    fn a_task_ends_the_batch_and_what_follows_it_waits() {
        let (jobs, queue) = mpsc::channel();
        let coming = AtomicUsize::new(0);
        jobs.send(Job::Event(2)).unwrap();
        jobs.send(Job::Task(Box::new(|_, _| {}))).unwrap();
        jobs.send(Job::Event(3)).unwrap();
        assert_eq!(batch(1, &queue, &coming, GATHER_MAX), (vec![1, 2], true));
        assert!(matches!(queue.try_recv(), Ok(Job::Event(3))));
    }
}
