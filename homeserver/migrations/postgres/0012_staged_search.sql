-- Nothing to do: only SQLite stages text for its full-text index (see
-- migrations/sqlite/0012_staged_search.sql). Kept so both backends number alike.
SELECT 1;
