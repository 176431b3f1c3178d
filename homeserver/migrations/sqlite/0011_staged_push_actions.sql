-- Fewer pages per event write (measured in a WAL of `bench_sync`: push actions were 41 % of
-- the pages commits wrote, transaction IDs 19 %).
--
-- Push actions are written with their event to a staging table keyed by stream position, so
-- a commit appends them to one or two pages instead of one page per notified user; a
-- background task moves them to `event_push_actions` in bulk (storage/push.rs). Readers
-- read both tables; a move is one transaction, so each row is in exactly one of them.
-- Kept column-for-column alike with migrations/postgres/0011_staged_push_actions.sql.
CREATE TABLE event_push_actions_staging (
    user_id         TEXT    NOT NULL,
    room_id         TEXT    NOT NULL,
    event_id        TEXT    NOT NULL,
    stream_ordering INTEGER NOT NULL,
    thread_id       TEXT    NOT NULL,
    actions         TEXT    NOT NULL,
    highlight       INTEGER NOT NULL,
    ts              INTEGER NOT NULL,
    PRIMARY KEY (stream_ordering, user_id)
) WITHOUT ROWID;

-- The sending device's transaction ID lives on the event row, which is written anyway, so
-- `unsigned.transaction_id` needs no index of event IDs on `event_txns`.
ALTER TABLE events ADD COLUMN txn_device_id TEXT;
ALTER TABLE events ADD COLUMN txn_id TEXT;
UPDATE events SET (txn_device_id, txn_id) = (
    SELECT device_id, txn_id FROM event_txns t
    WHERE t.event_id = events.event_id AND t.user_id = events.sender
) WHERE event_id IN (SELECT event_id FROM event_txns);
DROP INDEX event_txns_event;

-- `event_txns` is only looked up by its key now: keep the rows in the key's b-tree.
CREATE TABLE event_txns_new (
    user_id   TEXT NOT NULL,
    device_id TEXT NOT NULL,
    scope     TEXT NOT NULL,
    txn_id    TEXT NOT NULL,
    event_id  TEXT NOT NULL,
    PRIMARY KEY (user_id, device_id, scope, txn_id)
) WITHOUT ROWID;
INSERT INTO event_txns_new SELECT user_id, device_id, scope, txn_id, event_id FROM event_txns;
DROP TABLE event_txns;
ALTER TABLE event_txns_new RENAME TO event_txns;
