-- Notifications: the push actions each event got for each local user it notifies, written
-- with the event. Kept column-for-column alike with migrations/postgres/0006_push.sql.
CREATE TABLE event_push_actions (
    user_id         TEXT   NOT NULL,
    room_id         TEXT   NOT NULL,
    event_id        TEXT   NOT NULL,
    stream_ordering INTEGER NOT NULL,
    -- '' for the main timeline, else the thread root.
    thread_id       TEXT   NOT NULL,
    actions         TEXT   NOT NULL,
    highlight       INTEGER NOT NULL,
    ts              INTEGER NOT NULL,
    PRIMARY KEY (user_id, event_id)
);
CREATE INDEX event_push_actions_room ON event_push_actions (user_id, room_id, stream_ordering);
CREATE INDEX event_push_actions_user ON event_push_actions (user_id, stream_ordering);
