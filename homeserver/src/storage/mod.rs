//! Persistent storage: one trait per domain, implemented once over sqlx's `Any` driver.
//!
//! SQL text shared by SQLite and PostgreSQL is written once in the domain files (both accept
//! `$N` placeholders, `ON CONFLICT`, `RETURNING`); real dialect differences, when a domain needs
//! them, go through [`Backend`]. Schemas are migrated per backend from `migrations/{sqlite,postgres}`
//! with the same numbering. SQLite runs in WAL mode; its events are written by a thread of
//! their own on `rusqlite` (`writer.rs`), as are frequent small writes (receipts, staged push
//! actions), every other write by one sqlx connection, taking turns (`Store::writing`), and
//! WAL checkpoints run off the write path (`checkpointer.rs`).

// The traits are implemented on the concrete `Store` and called through it, so the
// compiler sees every future's real type (and its `Send`-ness).
#![allow(async_fn_in_trait)]

mod account_data;
mod checkpointer;
mod devices;
mod events;
mod media;
#[cfg(test)]
mod media_tests;
mod presence;
mod profiles;
mod push;
mod receipts;
mod rooms;
pub mod search;
pub mod test_support;
#[cfg(test)]
mod tests;
mod to_device;
mod uia;
mod users;
mod writer;

use std::{path::Path, str::FromStr, time::Duration};

use sqlx::{
    AnyPool, Executor,
    any::{AnyConnectOptions, AnyPoolOptions},
    migrate::Migrator,
};

pub use self::{
    account_data::{AccountDataEntry, AccountDataStore},
    devices::{DeviceRecord, DeviceStore, NewSession, TokenInfo},
    events::{
        EventFilter, EventStore, Membership, NewEvent, NewRoom, Persisted, QueuedEvent,
        SNAPSHOT_EVERY, StateEntries, StateUpdate, StoredEvent, TxnKey, glob_match,
    },
    media::{MediaContent, MediaRecord, MediaStore, ThumbnailRecord},
    presence::{PresenceRecord, PresenceStore, StreamMaxima},
    profiles::ProfileStore,
    push::{Counts, Notification, PushActions, PushStore},
    receipts::{Receipt, ReceiptStore},
    rooms::{RoomRecord, RoomStore},
    search::{SearchQuery, SearchStore},
    to_device::{ToDeviceMessage, ToDeviceStore},
    uia::{UiaSession, UiaStore},
    users::{DirectoryEntry, NewUser, UserRecord, UserStore},
    writer::EventComing,
};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    /// From SQLite's event writer, which does not go through sqlx.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("cannot prepare database location: {0}")]
    Io(#[from] std::io::Error),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// A queued event was not written because an event it builds on failed to be.
    #[error("not written: an earlier event it builds on failed to be written")]
    Aborted,
}

impl StorageError {
    /// Whether the write broke a uniqueness constraint: expected when a client retries.
    pub fn is_conflict(&self) -> bool {
        match self {
            Self::Sqlx(e) => e
                .as_database_error()
                .is_some_and(|d| d.is_unique_violation()),
            Self::Sqlite(e) => matches!(
                e.sqlite_error_code(),
                Some(rusqlite::ErrorCode::ConstraintViolation)
            ),
            _ => false,
        }
    }
}

pub type Result<T, E = StorageError> = std::result::Result<T, E>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Handle to the database. Cheap to clone (the pools are reference-counted).
#[derive(Clone, Debug)]
pub struct Store {
    backend: Backend,
    /// Read queries. On PostgreSQL the same pool as `write`.
    read: AnyPool,
    /// Write queries. On SQLite a single connection, so writers queue instead of failing busy.
    write: AnyPool,
    /// SQLite's threads that write beside `write` (`None` on PostgreSQL).
    sqlite: Option<SqliteWriters>,
}

/// What SQLite writes with beside the `write` pool, all started once the schema is migrated.
#[derive(Clone, Debug)]
struct SqliteWriters {
    /// The batching event writer.
    events: writer::EventWriter,
    /// The turn the event writer, the checkpointer and `write` take.
    turn: writer::WriteTurn,
    _checkpointer: checkpointer::Checkpointer,
}

/// The write connection, holding SQLite's write turn while it is used.
pub(crate) struct Writing {
    conn: sqlx::pool::PoolConnection<sqlx::Any>,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl std::ops::Deref for Writing {
    type Target = sqlx::AnyConnection;
    fn deref(&self) -> &Self::Target {
        &self.conn
    }
}

impl std::ops::DerefMut for Writing {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.conn
    }
}

impl Store {
    /// Opens (creating if needed) the database at `url` and runs pending migrations.
    pub async fn open(url: &str, max_connections: u32) -> Result<Self> {
        sqlx::any::install_default_drivers();
        if let Some(path) = url.strip_prefix("sqlite:") {
            let path = path.trim_start_matches("//");
            return Self::open_sqlite(path.split('?').next().unwrap_or(path), max_connections)
                .await;
        }
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(30))
            .connect(url)
            .await?;
        let store = Self {
            backend: Backend::Postgres,
            read: pool.clone(),
            write: pool,
            sqlite: None,
        };
        store.migrate().await?;
        store.spawn_push_mover();
        Ok(store)
    }

    /// Opens the sqlx pools, migrates, then starts the event writer and the checkpointer.
    async fn open_sqlite(path: &str, max_connections: u32) -> Result<Self> {
        if let Some(dir) = Path::new(path).parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir)?;
        }
        let url = format!("sqlite://{path}?mode=rwc");
        let options = AnyConnectOptions::from_str(&url)?;
        let write = AnyPoolOptions::new()
            .max_connections(1)
            .after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute(writer::WRITER_PRAGMAS).await?;
                    Ok(())
                })
            })
            .connect_with(options.clone())
            .await?;
        let read = AnyPoolOptions::new()
            .max_connections(max_connections)
            .after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute("PRAGMA busy_timeout = 10000; PRAGMA query_only = 1; PRAGMA case_sensitive_like = ON;")
                        .await?;
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        let mut store = Self {
            backend: Backend::Sqlite,
            read,
            write,
            sqlite: None,
        };
        store.migrate().await?;
        let turn = writer::WriteTurn::default();
        store.sqlite = Some(SqliteWriters {
            events: writer::EventWriter::spawn(Path::new(path), turn.clone())?,
            _checkpointer: checkpointer::Checkpointer::spawn(Path::new(path), turn.clone())?,
            turn,
        });
        store.spawn_push_mover();
        Ok(store)
    }

    async fn migrate(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&self.write).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&self.write).await?,
        }
        Ok(())
    }

    /// Announces an event about to be built and queued, so that SQLite's event writer waits
    /// for it before committing what it has (group commit); `None` on PostgreSQL. Drop it
    /// right before queueing the event.
    pub fn event_coming(&self) -> Option<writer::EventComing> {
        self.sqlite.as_ref().map(|s| s.events.coming())
    }

    /// SQLite's writer thread, for small frequent writes ([`writer::EventWriter::transact`]);
    /// `None` on PostgreSQL.
    fn sqlite_writer(&self) -> Option<&writer::EventWriter> {
        self.sqlite.as_ref().map(|s| &s.events)
    }

    /// The connection to write with: on SQLite it waits for its turn with the event writer.
    async fn writing(&self) -> Result<Writing> {
        let turn = match &self.sqlite {
            Some(sqlite) => Some(sqlite.turn.clone().lock_owned().await),
            None => None,
        };
        Ok(Writing {
            conn: self.write.acquire().await?,
            _turn: turn,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }
}

/// Milliseconds since the Unix epoch, the unit of every stored timestamp.
pub fn now_ms() -> i64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}

/// Appends ` AND [NOT] ({column} IN ($n, …) OR {column} LIKE $m …)` to `sql`, binding
/// `values` through `args`. A `*` in a value is the spec's wildcard for any sequence of
/// characters (`m.room.*`). `None` adds nothing; an empty allow-list can match nothing,
/// which `false` reports (the caller then skips the query); an empty deny-list excludes
/// nothing. LIKE is case-sensitive on both engines (SQLite: `case_sensitive_like`).
fn filter_in(
    sql: &mut String,
    args: &mut Vec<String>,
    column: &str,
    values: Option<&[String]>,
    negate: bool,
) -> bool {
    let values = match values {
        Some([]) => return negate,
        None => return true,
        Some(values) => values,
    };
    let mut bind = |value: String| {
        args.push(value);
        format!("${}", args.len())
    };
    let (patterns, exact): (Vec<&String>, Vec<&String>) =
        values.iter().partition(|v| v.contains('*'));
    let mut alternatives = Vec::new();
    if !exact.is_empty() {
        let params: Vec<String> = exact.into_iter().map(|v| bind(v.clone())).collect();
        alternatives.push(format!("{column} IN ({})", params.join(", ")));
    }
    for pattern in patterns {
        let mut like = String::with_capacity(pattern.len());
        for c in pattern.chars() {
            match c {
                '*' => like.push('%'),
                '%' | '_' | '\\' => {
                    like.push('\\');
                    like.push(c);
                }
                c => like.push(c),
            }
        }
        alternatives.push(format!("{column} LIKE {} ESCAPE '\\'", bind(like)));
    }
    let not = if negate { "NOT " } else { "" };
    sql.push_str(&format!(" AND {not}({})", alternatives.join(" OR ")));
    true
}

/// Escapes `%`, `_` and `\` so user text is matched literally by `LIKE … ESCAPE '\'`.
fn like_pattern(term: &str) -> String {
    let mut pattern = String::with_capacity(term.len() + 2);
    pattern.push('%');
    for c in term.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}
