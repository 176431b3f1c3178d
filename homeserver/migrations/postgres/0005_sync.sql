-- What /sync delivers besides the timeline. Kept column-for-column alike with
-- migrations/sqlite/0005_sync.sql. Every `stream_id` is a position in that table's own
-- stream; positions are allocated by the server, so they are plain columns.

-- The latest receipt of each type per user, room and thread ('' = unthreaded).
-- `event_pos` is the receipted event's stream position, so receipts never move back.
CREATE TABLE receipts (
    room_id      TEXT   NOT NULL,
    receipt_type TEXT   NOT NULL,
    user_id      TEXT   NOT NULL,
    thread_id    TEXT   NOT NULL,
    event_id     TEXT   NOT NULL,
    event_pos    BIGINT NOT NULL,
    ts           BIGINT NOT NULL,
    stream_id    BIGINT NOT NULL,
    PRIMARY KEY (room_id, receipt_type, user_id, thread_id)
);
CREATE INDEX receipts_stream ON receipts (stream_id);

-- Global (room_id = '') and per-room account data, including room tags (`m.tag`).
CREATE TABLE account_data (
    user_id   TEXT   NOT NULL,
    room_id   TEXT   NOT NULL,
    type      TEXT   NOT NULL,
    content   TEXT   NOT NULL,
    stream_id BIGINT NOT NULL,
    PRIMARY KEY (user_id, room_id, type)
);
CREATE INDEX account_data_stream ON account_data (user_id, stream_id);

-- To-device messages waiting for their device's next sync.
CREATE TABLE to_device (
    stream_id BIGINT NOT NULL PRIMARY KEY,
    user_id   TEXT   NOT NULL,
    device_id TEXT   NOT NULL,
    sender    TEXT   NOT NULL,
    type      TEXT   NOT NULL,
    content   TEXT   NOT NULL
);
CREATE INDEX to_device_target ON to_device (user_id, device_id, stream_id);

-- Client transaction IDs of /sendToDevice, so a retry sends nothing twice.
CREATE TABLE to_device_txns (
    user_id   TEXT NOT NULL,
    device_id TEXT NOT NULL,
    txn_id    TEXT NOT NULL,
    PRIMARY KEY (user_id, device_id, txn_id)
);

-- Sync filters uploaded with POST /user/{userId}/filter.
CREATE TABLE filters (
    user_id   TEXT   NOT NULL,
    filter_id BIGINT NOT NULL,
    json      TEXT   NOT NULL,
    PRIMARY KEY (user_id, filter_id)
);

-- Each user's last presence, so status messages survive restarts.
CREATE TABLE presence (
    user_id        TEXT   NOT NULL PRIMARY KEY,
    state          TEXT   NOT NULL,
    status_msg     TEXT,
    last_active_ts BIGINT NOT NULL,
    stream_id      BIGINT NOT NULL
);

-- Users whose devices changed (a device added or removed), for `device_lists.changed`.
CREATE TABLE device_list_changes (
    stream_id BIGINT NOT NULL PRIMARY KEY,
    user_id   TEXT   NOT NULL
);

-- High-water marks of streams whose rows are deleted (to-device), so positions are never
-- reused after a restart.
CREATE TABLE stream_marks (
    stream   TEXT   NOT NULL PRIMARY KEY,
    position BIGINT NOT NULL
);

-- Sync marks the sender's own events with their transaction ID.
CREATE INDEX event_txns_event ON event_txns (event_id);
