-- Reports of events and rooms, kept for the server's administrators.
CREATE TABLE reports (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    room_id    TEXT    NOT NULL,
    event_id   TEXT,
    reporter   TEXT    NOT NULL,
    reason     TEXT,
    created_ts INTEGER NOT NULL
);
