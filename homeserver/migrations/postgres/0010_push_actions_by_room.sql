-- Push actions keyed by (user, room, stream position), with no second index, as in
-- migrations/sqlite/0010_push_actions_by_room.sql: each row goes to one index instead of two.
ALTER TABLE event_push_actions DROP CONSTRAINT event_push_actions_pkey;
ALTER TABLE event_push_actions ADD PRIMARY KEY (user_id, room_id, stream_ordering);
DROP INDEX event_push_actions_room;
