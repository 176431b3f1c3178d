//! Full-text search over events: SQLite FTS5 and PostgreSQL `tsvector` behind one trait.
//! The two engines differ only in how a row is indexed and matched; filters, ordering and
//! paging are the same SQL.

use sqlx::{Any, Row, Transaction};

use super::{
    Backend, Result, Store, StoredEvent,
    events::{EVENT_COLUMN_COUNT, stored_event, stored_event_columns},
};

/// What to look for, where, and how to order it.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    pub term: String,
    /// `content.body`, `content.name`, `content.topic`; empty means all.
    pub keys: Vec<String>,
    pub rooms: Vec<String>,
    pub senders: Option<Vec<String>>,
    pub not_senders: Vec<String>,
    pub types: Option<Vec<String>>,
    pub not_types: Vec<String>,
    pub from_ts: Option<i64>,
    pub to_ts: Option<i64>,
    pub order_by_recent: bool,
    pub limit: u32,
    pub offset: u32,
}

/// Matches are counted up to this many (`count` in the answer is approximate).
pub const COUNT_LIMIT: u32 = 1_000;

pub trait SearchStore {
    /// Matching events with their rank (higher is better), and the number of matches (exact
    /// up to [`COUNT_LIMIT`]).
    async fn search_events(&self, query: &SearchQuery) -> Result<(Vec<(StoredEvent, f64)>, u64)>;
}

/// Spaces out CJK characters so that each is a token: the tokenizers of both engines treat
/// a run of CJK as one word, which would make words inside a sentence unsearchable.
pub fn split_cjk(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for c in text.chars() {
        if is_cjk(c) {
            out.push(' ');
            out.push(c);
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// The words of a search term; a CJK run becomes one phrase of single characters.
pub fn search_words(term: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut current_cjk = false;
    let flush = |current: &mut String, words: &mut Vec<String>| {
        let word = current.trim().to_owned();
        if !word.is_empty() {
            words.push(word);
        }
        current.clear();
    };
    for c in term.chars() {
        let cjk = is_cjk(c);
        if !(c.is_alphanumeric() || cjk) {
            flush(&mut current, &mut words);
            continue;
        }
        if cjk != current_cjk {
            flush(&mut current, &mut words);
            current_cjk = cjk;
        }
        current.push(c);
    }
    flush(&mut current, &mut words);
    words
}

/// A query both FTS5 `MATCH` and `websearch_to_tsquery` read the same way: every word must
/// occur; a CJK word's characters must be adjacent.
fn match_expression(term: &str) -> Option<String> {
    let phrases: Vec<String> = search_words(term)
        .iter()
        .map(|word| {
            format!(
                "\"{}\"",
                split_cjk(word)
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
                    .replace('"', "")
            )
        })
        .collect();
    (!phrases.is_empty()).then(|| phrases.join(" "))
}

/// SQLite's statements to index an event's text and to remove a redacted event from the
/// index (also run by SQLite's event writer, writer.rs, which stages text instead of
/// indexing it: see [`SQLITE_STAGE`]).
const SQLITE_INDEX: &str = "INSERT INTO event_search (rowid, key, body) VALUES ($1, $2, $3)";
pub(super) const SQLITE_UNINDEX: &str = "DELETE FROM event_search WHERE rowid = (SELECT stream_ordering FROM events WHERE event_id = $1)";

/// SQLite's event writer stages an event's text: FTS5 writes a segment in every transaction
/// that adds to it, so rows enter the index in bulk, every [`STAGED_SEARCH_EVERY`] and
/// before every search ([`index_staged`]).
pub(super) const SQLITE_STAGE: &str =
    "INSERT INTO event_search_staging (stream_ordering, key, body) VALUES ($1, $2, $3)";
/// Removes a redacted event's text that is still staged.
pub(super) const SQLITE_UNSTAGE: &str = "DELETE FROM event_search_staging WHERE stream_ordering = (SELECT stream_ordering FROM events WHERE event_id = $1)";
/// Longest that staged text waits to enter the index while nobody searches.
pub(super) const STAGED_SEARCH_EVERY: std::time::Duration = std::time::Duration::from_millis(100);

/// Moves every staged text into the index (SQLite, in the writer's transaction).
pub(super) fn index_staged(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO event_search (rowid, key, body) \
         SELECT stream_ordering, key, body FROM event_search_staging ORDER BY stream_ordering",
    )?
    .execute([])?;
    tx.prepare_cached("DELETE FROM event_search_staging")?
        .execute([])?;
    Ok(())
}

/// Adds an event's searchable text to the index (inside the event's transaction).
pub async fn index(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    stream_ordering: i64,
    key: &str,
    text: &str,
) -> Result<()> {
    let text = split_cjk(text);
    let sql = match backend {
        Backend::Sqlite => SQLITE_INDEX,
        Backend::Postgres => {
            "INSERT INTO event_search (stream_ordering, key, vector) VALUES ($1, $2, to_tsvector('simple', $3))"
        }
    };
    sqlx::query(sql)
        .bind(stream_ordering)
        .bind(key)
        .bind(text)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Removes a redacted event from the index.
pub async fn unindex(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    event_id: &str,
) -> Result<()> {
    let sql = match backend {
        Backend::Sqlite => {
            sqlx::query(SQLITE_UNSTAGE)
                .bind(event_id)
                .execute(&mut **tx)
                .await?;
            SQLITE_UNINDEX
        }
        Backend::Postgres => {
            "DELETE FROM event_search WHERE stream_ordering = (SELECT stream_ordering FROM events WHERE event_id = $1)"
        }
    };
    sqlx::query(sql).bind(event_id).execute(&mut **tx).await?;
    Ok(())
}

impl SearchStore for Store {
    async fn search_events(&self, q: &SearchQuery) -> Result<(Vec<(StoredEvent, f64)>, u64)> {
        let Some(expression) = match_expression(&q.term) else {
            return Ok((vec![], 0));
        };
        // Every event stored before the search is found by it.
        if let Some(writer) = self.sqlite_writer() {
            writer.transact(index_staged).await?;
        }
        let mut args: Vec<String> = vec![expression];
        let (from, matches, rank) = match self.backend {
            Backend::Sqlite => (
                "event_search s JOIN events e ON e.stream_ordering = s.rowid",
                "event_search MATCH $1",
                "-s.rank",
            ),
            Backend::Postgres => (
                "event_search s JOIN events e ON e.stream_ordering = s.stream_ordering",
                "s.vector @@ websearch_to_tsquery('simple', $1)",
                "ts_rank(s.vector, websearch_to_tsquery('simple', $1))",
            ),
        };
        let mut filter = String::new();
        let keys = (!q.keys.is_empty()).then_some(q.keys.as_slice());
        for (column, values, negate) in [
            ("e.room_id", Some(q.rooms.as_slice()), false),
            ("s.key", keys, false),
            ("e.sender", q.senders.as_deref(), false),
            ("e.sender", Some(q.not_senders.as_slice()), true),
            ("e.type", q.types.as_deref(), false),
            ("e.type", Some(q.not_types.as_slice()), true),
        ] {
            if !super::filter_in(&mut filter, &mut args, column, values, negate) {
                return Ok((vec![], 0));
            }
        }
        if let Some(from_ts) = q.from_ts {
            filter.push_str(&format!(" AND e.origin_server_ts >= {from_ts}"));
        }
        if let Some(to_ts) = q.to_ts {
            filter.push_str(&format!(" AND e.origin_server_ts <= {to_ts}"));
        }
        filter.push_str(" AND e.redacted_by IS NULL");
        let order = if q.order_by_recent {
            "e.stream_ordering DESC"
        } else {
            "rank DESC, e.stream_ordering DESC"
        };
        let columns = stored_event_columns("e");
        let sql = format!(
            "SELECT {columns}, {rank} AS rank FROM {from} WHERE {matches}{filter} ORDER BY {order} LIMIT {} OFFSET {}",
            q.limit, q.offset
        );
        // The spec's count is approximate: counting stops at COUNT_LIMIT matches.
        let count_sql = format!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM {from} WHERE {matches}{filter} LIMIT {COUNT_LIMIT}) AS hits"
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        let mut count = sqlx::query(sqlx::AssertSqlSafe(count_sql));
        for arg in &args {
            query = query.bind(arg);
            count = count.bind(arg);
        }
        let rows = query.fetch_all(&self.read).await?;
        let total: i64 = count.fetch_one(&self.read).await?.get(0);
        let found = rows
            .iter()
            .map(|row| {
                (
                    stored_event(row),
                    row.try_get::<f64, _>(EVENT_COLUMN_COUNT)
                        .unwrap_or_default(),
                )
            })
            .collect();
        Ok((found, u64::try_from(total).unwrap_or_default()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_cjk_phrases() {
        assert_eq!(search_words("Hello, world!"), ["Hello", "world"]);
        assert_eq!(
            search_words("我爱饺子 dumplings"),
            ["我爱饺子", "dumplings"]
        );
        assert_eq!(
            match_expression("饺子 \"quoted\"").unwrap(),
            r#""饺 子" "quoted""#
        );
        assert_eq!(match_expression("  !!! "), None);
        assert_eq!(split_cjk("a饺b"), "a 饺 b");
    }
}
