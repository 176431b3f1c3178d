-- The media repository's metadata; the bytes live in the blob store, named by their SHA-256,
-- so identical uploads share one blob.
CREATE TABLE media (
    media_id           TEXT    PRIMARY KEY,
    user_id            TEXT    NOT NULL,
    content_type       TEXT,
    filename           TEXT,
    -- NULL until the bytes arrive (an ID from POST /media/v1/create).
    sha256             TEXT,
    size               BIGINT,
    created_ts         BIGINT NOT NULL,
    -- When a created-but-unused ID lapses; NULL once uploaded.
    unused_expires_ts  BIGINT,
    -- 1: uploaded while the legacy unauthenticated endpoints were frozen.
    authenticated_only BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX media_user ON media (user_id);
CREATE INDEX media_unused ON media (unused_expires_ts);

-- Generated thumbnails, one per media, size, method and animation.
CREATE TABLE media_thumbnails (
    media_id     TEXT    NOT NULL,
    width        BIGINT NOT NULL,
    height       BIGINT NOT NULL,
    method       TEXT    NOT NULL,
    animated     BIGINT NOT NULL,
    content_type TEXT    NOT NULL,
    sha256       TEXT    NOT NULL,
    size         BIGINT NOT NULL,
    PRIMARY KEY (media_id, width, height, method, animated)
);
