-- Full-text index of message bodies, room names and topics. Its rowid is the event's
-- stream position. CJK text is indexed one character per token (see storage/search.rs).
CREATE VIRTUAL TABLE event_search USING fts5(
    body,
    key UNINDEXED,
    tokenize = 'unicode61 remove_diacritics 2'
);
