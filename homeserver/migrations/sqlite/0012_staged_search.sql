-- Text waiting to enter the full-text index. FTS5 writes a segment and its structure record
-- in every transaction that adds to it (~5 pages, ~20 % of a message commit's WAL pages), so
-- SQLite's event writer stages each event's text here (rows appended in stream order share
-- one page) and moves the staged rows into `event_search` in bulk (storage/search.rs).
CREATE TABLE event_search_staging (
    stream_ordering INTEGER PRIMARY KEY,
    key             TEXT NOT NULL,
    body            TEXT NOT NULL
);
