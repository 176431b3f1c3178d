-- Notifications: the push actions each event got for each local user it notifies, written
-- with the event. Kept column-for-column alike with migrations/sqlite/0006_push.sql.
CREATE TABLE event_push_actions (
    user_id         TEXT   NOT NULL,
    room_id         TEXT   NOT NULL,
    event_id        TEXT   NOT NULL,
    stream_ordering BIGINT NOT NULL,
    -- '' for the main timeline, else the thread root.
    thread_id       TEXT   NOT NULL,
    actions         TEXT   NOT NULL,
    highlight       BIGINT NOT NULL,
    ts              BIGINT NOT NULL,
    PRIMARY KEY (user_id, event_id)
);
CREATE INDEX event_push_actions_room ON event_push_actions (user_id, room_id, stream_ordering);
CREATE INDEX event_push_actions_user ON event_push_actions (user_id, stream_ordering);
