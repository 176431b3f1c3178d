-- Accounts, profiles, devices, tokens and User-Interactive Auth sessions.
-- Kept column-for-column alike with migrations/sqlite/0001_accounts.sql.

CREATE TABLE users (
    user_id       TEXT    NOT NULL PRIMARY KEY,
    password_hash TEXT,
    is_admin      BIGINT  NOT NULL DEFAULT 0,
    deactivated   BIGINT  NOT NULL DEFAULT 0,
    created_ts    BIGINT  NOT NULL
);

-- One row per profile field; `value` is the field's JSON value.
CREATE TABLE profile_fields (
    user_id TEXT NOT NULL,
    field   TEXT NOT NULL,
    value   TEXT NOT NULL,
    PRIMARY KEY (user_id, field)
);

CREATE TABLE devices (
    user_id      TEXT    NOT NULL,
    device_id    TEXT    NOT NULL,
    display_name TEXT,
    last_seen_ts BIGINT,
    last_seen_ip TEXT,
    created_ts   BIGINT  NOT NULL,
    PRIMARY KEY (user_id, device_id)
);

-- Tokens are stored as SHA-256 hex digests, never in clear.
CREATE TABLE access_tokens (
    token_hash   TEXT    NOT NULL PRIMARY KEY,
    user_id      TEXT    NOT NULL,
    device_id    TEXT    NOT NULL,
    created_ts   BIGINT  NOT NULL,
    expires_ts   BIGINT
);
CREATE INDEX access_tokens_device ON access_tokens (user_id, device_id);

CREATE TABLE refresh_tokens (
    token_hash   TEXT    NOT NULL PRIMARY KEY,
    user_id      TEXT    NOT NULL,
    device_id    TEXT    NOT NULL,
    created_ts   BIGINT  NOT NULL
);
CREATE INDEX refresh_tokens_device ON refresh_tokens (user_id, device_id);

-- `completed` is a JSON array of stage types; `kind` names the endpoint the session is for.
CREATE TABLE uia_sessions (
    session_id TEXT    NOT NULL PRIMARY KEY,
    kind       TEXT    NOT NULL,
    user_id    TEXT,
    completed  TEXT    NOT NULL,
    created_ts BIGINT  NOT NULL
);
