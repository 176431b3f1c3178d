-- Full-text index of message bodies, room names and topics, keyed by the event's stream
-- position. CJK text is indexed one character per token (see storage/search.rs).
CREATE TABLE event_search (
    stream_ordering BIGINT NOT NULL PRIMARY KEY,
    key             TEXT   NOT NULL,
    vector          tsvector NOT NULL
);
CREATE INDEX event_search_vector ON event_search USING GIN (vector);
