-- Push actions keyed by (user, stream position) instead of (user, event ID), as in
-- migrations/sqlite/0009_push_actions_by_position.sql: new rows go to the end of their
-- user's range of the key's index. The (user, position) index is the key now.
ALTER TABLE event_push_actions DROP CONSTRAINT event_push_actions_pkey;
ALTER TABLE event_push_actions ADD PRIMARY KEY (user_id, stream_ordering);
DROP INDEX event_push_actions_user;
