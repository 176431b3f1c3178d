-- Push actions keyed by (user, room, stream position), with no second index. Every row was
-- written to two b-trees, the key and the (user, room, position) index, which made push
-- actions half the pages an event's write changed (measured: ~11 of ~22 pages per message in
-- a five-member room). Counts per room read one range of the key; the rarer
-- `/notifications` reads the user's range and sorts it. Kept column-for-column alike with
-- migrations/postgres/0010_push_actions_by_room.sql.
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
    PRIMARY KEY (user_id, room_id, stream_ordering)
) WITHOUT ROWID;
INSERT INTO event_push_actions_new
    SELECT user_id, room_id, event_id, stream_ordering, thread_id, actions, highlight, ts
    FROM event_push_actions;
DROP TABLE event_push_actions;
ALTER TABLE event_push_actions_new RENAME TO event_push_actions;
