-- Rooms and events. Kept column-for-column alike with migrations/postgres/0002_rooms.sql.

-- The server's ed25519 signing keys (PKCS#8 DER). The newest is the one in use.
CREATE TABLE server_signing_keys (
    key_id     TEXT    NOT NULL PRIMARY KEY,
    pkcs8      BLOB    NOT NULL,
    created_ts INTEGER NOT NULL
);

CREATE TABLE rooms (
    room_id      TEXT    NOT NULL PRIMARY KEY,
    room_version TEXT    NOT NULL,
    creator      TEXT    NOT NULL,
    -- Listed in the public room directory.
    published    INTEGER NOT NULL DEFAULT 0,
    created_ts   INTEGER NOT NULL
);

-- Every event we hold, as its full PDU. `stream_ordering` is its position in the timeline
-- stream; `state_group` is the room state after the event.
CREATE TABLE events (
    stream_ordering  INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id         TEXT    NOT NULL UNIQUE,
    room_id          TEXT    NOT NULL,
    type             TEXT    NOT NULL,
    state_key        TEXT,
    sender           TEXT    NOT NULL,
    origin_server_ts INTEGER NOT NULL,
    depth            INTEGER NOT NULL,
    state_group      INTEGER NOT NULL,
    json             TEXT    NOT NULL,
    redacted_by      TEXT,
    rel_type         TEXT,
    relates_to       TEXT,
    contains_url     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX events_room_order ON events (room_id, stream_ordering);
CREATE INDEX events_relations ON events (relates_to, rel_type);

-- Client transaction IDs, so a retried send returns the same event. A transaction is
-- scoped to a device and an endpoint path (`scope`: room, event type or redacted event).
CREATE TABLE event_txns (
    user_id   TEXT NOT NULL,
    device_id TEXT NOT NULL,
    scope     TEXT NOT NULL,
    txn_id    TEXT NOT NULL,
    event_id  TEXT NOT NULL,
    PRIMARY KEY (user_id, device_id, scope, txn_id)
);

-- Events with no children yet: the `prev_events` of the room's next event.
CREATE TABLE forward_extremities (
    room_id  TEXT NOT NULL,
    event_id TEXT NOT NULL,
    PRIMARY KEY (room_id, event_id)
);

-- State sets stored as chains of deltas, with a full snapshot every so often.
CREATE TABLE state_groups (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    room_id     TEXT    NOT NULL,
    prev_group  INTEGER,
    chain_len   INTEGER NOT NULL
);
CREATE TABLE state_group_entries (
    group_id  INTEGER NOT NULL,
    type      TEXT    NOT NULL,
    state_key TEXT    NOT NULL,
    event_id  TEXT    NOT NULL,
    PRIMARY KEY (group_id, type, state_key)
);

-- The room's current state, for cheap membership and state queries.
CREATE TABLE current_state (
    room_id    TEXT NOT NULL,
    type       TEXT NOT NULL,
    state_key  TEXT NOT NULL,
    event_id   TEXT NOT NULL,
    membership TEXT,
    PRIMARY KEY (room_id, type, state_key)
);
CREATE INDEX current_state_by_member ON current_state (state_key, type, membership);

-- Rooms a user has forgotten (after leaving).
CREATE TABLE forgotten_rooms (
    user_id TEXT NOT NULL,
    room_id TEXT NOT NULL,
    PRIMARY KEY (user_id, room_id)
);

CREATE TABLE room_aliases (
    alias   TEXT NOT NULL PRIMARY KEY,
    room_id TEXT NOT NULL,
    creator TEXT NOT NULL
);
CREATE INDEX room_aliases_room ON room_aliases (room_id);
