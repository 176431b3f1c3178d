//! SQLite's WAL checkpoints, run off the write path. A checkpoint copies the pages changed
//! since the last one from the WAL into the database file and syncs it; run by a writer
//! after its commit (SQLite's default), it stalled every send queued behind that commit for
//! tens of milliseconds. Here a thread of its own copies while writers go on (`PASSIVE`
//! checkpoints take no write lock).
//!
//! Copying is not enough: a WAL starts over from its beginning only when a write begins
//! with every page copied back and no reader still on an older snapshot. Under steady
//! writes and reads that moment never comes, and the WAL grew to gigabytes in one benchmark
//! run. So once the WAL is long, the checkpointer takes the write turn for a `RESTART`
//! checkpoint: it copies the few pages written since the last pass, waits briefly for older
//! readers, and makes the next write start the WAL over.

use std::{path::Path, sync::mpsc, time::Duration};

use rusqlite::Connection;

use super::{Result, writer::WriteTurn};

/// How often the WAL is copied back. Shorter keeps the WAL small; longer copies a page
/// that changes often (index tails, FTS segments) fewer times.
const EVERY: Duration = Duration::from_millis(250);

/// Pages that may arrive during a `PASSIVE` pass for the checkpointer to hold writers off
/// next: the `RESTART` copies them while every send waits.
const CATCH_UP: i64 = 64;

/// Most `PASSIVE` passes that catch up before a `RESTART`.
const MAX_PASSES: usize = 8;

/// WAL pages (4 KiB each) at which the checkpointer holds writers off to start the WAL over.
const RESTART_AT: i64 = 8192;

/// Stops the checkpointer thread when the last clone is dropped (with the store).
#[derive(Clone, Debug)]
pub(super) struct Checkpointer {
    _alive: mpsc::Sender<()>,
}

/// Runs one checkpoint of `mode`: `(pages in the WAL, pages copied back)`.
fn run(conn: &Connection, mode: &str) -> rusqlite::Result<(i64, i64)> {
    conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |row| {
        Ok((row.get(1)?, row.get(2)?))
    })
}

/// Copies the WAL back; holds writers off only to start a long WAL over.
fn checkpoint(conn: &Connection, turn: &WriteTurn) -> rusqlite::Result<()> {
    let (mut log, _) = run(conn, "PASSIVE")?;
    if log <= RESTART_AT {
        return Ok(());
    }
    // Writers go on during a pass, and a long pass (~30 ms for 7,000 pages) left hundreds of
    // pages for the `RESTART` to copy with writers held off (~7 ms). Each further pass copies
    // what arrived during the one before, so passes shrink until few pages are left.
    for _ in 0..MAX_PASSES {
        let before = log;
        let copied;
        (log, copied) = run(conn, "PASSIVE")?;
        // Readers still on older snapshots hold the copy back: the `RESTART` waits for them.
        if log - before <= CATCH_UP || copied < log {
            break;
        }
    }
    let _turn = turn.blocking_lock();
    run(conn, "RESTART")?;
    Ok(())
}

/// While the checkpointer holds writers off, it waits only briefly for readers still on an
/// older snapshot: giving up leaves the WAL to grow until the next round.
fn wait_briefly(attempts: i32) -> bool {
    std::thread::sleep(Duration::from_micros(100));
    attempts < 30
}

impl Checkpointer {
    pub(super) fn spawn(path: &Path, turn: WriteTurn) -> Result<Self> {
        let conn = Connection::open(path)?;
        conn.busy_handler(Some(wait_briefly))?;
        let (alive, stopped) = mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || {
                while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(EVERY) {
                    if let Err(err) = checkpoint(&conn, &turn) {
                        tracing::warn!(error = %err, "WAL checkpoint failed");
                    }
                }
            })?;
        Ok(Self { _alive: alive })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn size(path: &Path) -> u64 {
        std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
    }

    #[test]
    fn a_pass_copies_a_long_wal_back_and_the_next_write_starts_it_over() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("wal.db");
        let wal = dir.path().join("wal.db-wal");
        let writer = Connection::open(&path).expect("open");
        writer
            .execute_batch(super::super::writer::WRITER_PRAGMAS)
            .expect("pragmas");
        // A WAL that starts over is cut to this size: here to nothing, to be seen.
        writer
            .execute_batch("PRAGMA journal_size_limit = 0; CREATE TABLE t (b BLOB)")
            .expect("table");
        // Longer than RESTART_AT: 48 rows of 1 MiB each.
        for _ in 0..48 {
            writer
                .execute("INSERT INTO t VALUES (zeroblob(1048576))", [])
                .expect("insert");
        }
        assert!(size(&wal) > 48 << 20);
        assert!(size(&path) < 1 << 20, "writers do not checkpoint");
        let checkpointer = Connection::open(&path).expect("open");
        checkpointer
            .busy_handler(Some(wait_briefly))
            .expect("handler");
        checkpoint(&checkpointer, &WriteTurn::default()).expect("checkpoint");
        assert!(size(&path) > 48 << 20, "the pages were copied back");
        writer
            .execute("INSERT INTO t VALUES (zeroblob(10))", [])
            .expect("insert");
        assert!(size(&wal) < 1 << 20, "the WAL started over");
        let rows: i64 = writer
            .query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
            .expect("count");
        assert_eq!(rows, 49);
    }
}
