-- Push actions keyed by (user, stream position) instead of (user, event ID): a new row then
-- lands at the end of its user's range instead of at a random page, which halves the pages
-- an event's write changes. Nothing looked rows up by event ID. Kept column-for-column
-- alike with migrations/postgres/0009_push_actions_by_position.sql.
CREATE TABLE event_push_actions_new (
    user_id         TEXT    NOT NULL,
    room_id         TEXT    NOT NULL,
    event_id        TEXT    NOT NULL,
    stream_ordering INTEGER NOT NULL,
    -- '' for the main timeline, else the thread root.
    thread_id       TEXT    NOT NULL,
    actions         TEXT    NOT NULL,
    highlight       INTEGER NOT NULL,
    ts              INTEGER NOT NULL,
    PRIMARY KEY (user_id, stream_ordering)
) WITHOUT ROWID;
INSERT INTO event_push_actions_new
    SELECT user_id, room_id, event_id, stream_ordering, thread_id, actions, highlight, ts
    FROM event_push_actions;
DROP TABLE event_push_actions;
ALTER TABLE event_push_actions_new RENAME TO event_push_actions;
CREATE INDEX event_push_actions_room ON event_push_actions (user_id, room_id, stream_ordering);

