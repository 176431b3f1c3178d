-- Push actions staged by stream position and moved in bulk, and the sending device's
-- transaction ID on the event row: see migrations/sqlite/0011_staged_push_actions.sql.
CREATE TABLE event_push_actions_staging (
    user_id         TEXT   NOT NULL,
    room_id         TEXT   NOT NULL,
    event_id        TEXT   NOT NULL,
    stream_ordering BIGINT NOT NULL,
    thread_id       TEXT   NOT NULL,
    actions         TEXT   NOT NULL,
    highlight       BIGINT NOT NULL,
    ts              BIGINT NOT NULL,
    PRIMARY KEY (stream_ordering, user_id)
);

ALTER TABLE events ADD COLUMN txn_device_id TEXT, ADD COLUMN txn_id TEXT;
UPDATE events e SET txn_device_id = t.device_id, txn_id = t.txn_id
    FROM event_txns t WHERE t.event_id = e.event_id AND t.user_id = e.sender;
DROP INDEX event_txns_event;
