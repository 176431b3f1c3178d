//! Rooms, the server's signing keys, room aliases, and membership lookups over the
//! current state.

use sqlx::Row;

use super::{Result, Store};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomRecord {
    pub room_id: String,
    pub room_version: String,
    pub creator: String,
    pub published: bool,
}

pub trait RoomStore {
    /// The newest signing key as `(key_id, pkcs8)`.
    async fn signing_key(&self) -> Result<Option<(String, Vec<u8>)>>;
    /// Stores a key unless one with that ID exists; returns the key now in use.
    async fn store_signing_key(
        &self,
        key_id: &str,
        pkcs8: &[u8],
        now: i64,
    ) -> Result<(String, Vec<u8>)>;
    async fn room(&self, room_id: &str) -> Result<Option<RoomRecord>>;
    async fn set_room_published(&self, room_id: &str, published: bool) -> Result<()>;
    /// Rooms listed in the public directory, by room ID.
    async fn published_rooms(&self) -> Result<Vec<String>>;
    /// Rooms where the user's current membership is `membership`.
    async fn rooms_with_membership(&self, user_id: &str, membership: &str) -> Result<Vec<String>>;
    /// `(user_id, membership, event_id)` for every member event in the room's current state.
    async fn members(&self, room_id: &str) -> Result<Vec<(String, String, String)>>;
    /// Users joined to any room `user_id` is joined to (including `user_id`).
    async fn co_members(&self, user_id: &str) -> Result<Vec<String>>;
    /// Those of `users` joined to any of `rooms`.
    async fn joined_among(&self, rooms: &[String], users: &[String]) -> Result<Vec<String>>;
    /// The user's current membership in the room, if any.
    async fn membership(&self, room_id: &str, user_id: &str) -> Result<Option<String>>;
    async fn forget_room(&self, user_id: &str, room_id: &str) -> Result<()>;
    async fn unforget_room(&self, user_id: &str, room_id: &str) -> Result<()>;
    async fn is_forgotten(&self, user_id: &str, room_id: &str) -> Result<bool>;
    /// `false` when the alias is taken.
    async fn create_alias(&self, alias: &str, room_id: &str, creator: &str) -> Result<bool>;
    /// `(room_id, creator)` of an alias.
    async fn alias(&self, alias: &str) -> Result<Option<(String, String)>>;
    async fn delete_alias(&self, alias: &str) -> Result<bool>;
    async fn room_aliases(&self, room_id: &str) -> Result<Vec<String>>;
}

impl RoomStore for Store {
    async fn signing_key(&self) -> Result<Option<(String, Vec<u8>)>> {
        let row = sqlx::query(
            "SELECT key_id, pkcs8 FROM server_signing_keys ORDER BY created_ts DESC, key_id LIMIT 1",
        )
        .fetch_optional(&self.read)
        .await?;
        Ok(row.map(|r| (r.get(0), r.get(1))))
    }

    async fn store_signing_key(
        &self,
        key_id: &str,
        pkcs8: &[u8],
        now: i64,
    ) -> Result<(String, Vec<u8>)> {
        sqlx::query(
            "INSERT INTO server_signing_keys (key_id, pkcs8, created_ts) VALUES ($1, $2, $3) \
             ON CONFLICT (key_id) DO NOTHING",
        )
        .bind(key_id)
        .bind(pkcs8)
        .bind(now)
        .execute(&mut *self.writing().await?)
        .await?;
        // Another process may have generated one first: use whichever is stored.
        let row = sqlx::query(
            "SELECT key_id, pkcs8 FROM server_signing_keys ORDER BY created_ts, key_id LIMIT 1",
        )
        .fetch_one(&mut *self.writing().await?)
        .await?;
        Ok((row.get(0), row.get(1)))
    }

    async fn room(&self, room_id: &str) -> Result<Option<RoomRecord>> {
        let row = sqlx::query(
            "SELECT room_id, room_version, creator, published FROM rooms WHERE room_id = $1",
        )
        .bind(room_id)
        .fetch_optional(&self.read)
        .await?;
        Ok(row.map(|r| RoomRecord {
            room_id: r.get(0),
            room_version: r.get(1),
            creator: r.get(2),
            published: r.get::<i64, _>(3) != 0,
        }))
    }

    async fn set_room_published(&self, room_id: &str, published: bool) -> Result<()> {
        sqlx::query("UPDATE rooms SET published = $2 WHERE room_id = $1")
            .bind(room_id)
            .bind(i64::from(published))
            .execute(&mut *self.writing().await?)
            .await?;
        Ok(())
    }

    async fn published_rooms(&self) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT room_id FROM rooms WHERE published = 1 ORDER BY room_id")
            .fetch_all(&self.read)
            .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    async fn rooms_with_membership(&self, user_id: &str, membership: &str) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT room_id FROM current_state \
             WHERE state_key = $1 AND type = 'm.room.member' AND membership = $2 ORDER BY room_id",
        )
        .bind(user_id)
        .bind(membership)
        .fetch_all(&self.read)
        .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    async fn members(&self, room_id: &str) -> Result<Vec<(String, String, String)>> {
        let rows = sqlx::query(
            "SELECT state_key, membership, event_id FROM current_state \
             WHERE room_id = $1 AND type = 'm.room.member' ORDER BY state_key",
        )
        .bind(room_id)
        .fetch_all(&self.read)
        .await?;
        Ok(rows
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect())
    }

    async fn co_members(&self, user_id: &str) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT DISTINCT b.state_key FROM current_state a JOIN current_state b \
             ON b.room_id = a.room_id AND b.type = 'm.room.member' AND b.membership = 'join' \
             WHERE a.state_key = $1 AND a.type = 'm.room.member' AND a.membership = 'join'",
        )
        .bind(user_id)
        .fetch_all(&self.read)
        .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    async fn joined_among(&self, rooms: &[String], users: &[String]) -> Result<Vec<String>> {
        let mut found = Vec::new();
        if rooms.is_empty() {
            return Ok(found);
        }
        // Few users change at once; the rooms list is chunked to stay within limits.
        for user_chunk in users.chunks(100) {
            for room_chunk in rooms.chunks(400) {
                let users_in: Vec<String> =
                    (1..=user_chunk.len()).map(|i| format!("${i}")).collect();
                let rooms_in: Vec<String> = (user_chunk.len() + 1
                    ..=user_chunk.len() + room_chunk.len())
                    .map(|i| format!("${i}"))
                    .collect();
                let sql = format!(
                    "SELECT DISTINCT state_key FROM current_state WHERE type = 'm.room.member' \
                     AND membership = 'join' AND state_key IN ({}) AND room_id IN ({})",
                    users_in.join(", "),
                    rooms_in.join(", ")
                );
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                for arg in user_chunk.iter().chain(room_chunk) {
                    query = query.bind(arg);
                }
                for row in query.fetch_all(&self.read).await? {
                    let user: String = row.get(0);
                    if !found.contains(&user) {
                        found.push(user);
                    }
                }
            }
        }
        Ok(found)
    }

    async fn membership(&self, room_id: &str, user_id: &str) -> Result<Option<String>> {
        let row = sqlx::query(
            "SELECT membership FROM current_state \
             WHERE room_id = $1 AND type = 'm.room.member' AND state_key = $2",
        )
        .bind(room_id)
        .bind(user_id)
        .fetch_optional(&self.read)
        .await?;
        Ok(row.and_then(|r| r.get(0)))
    }

    async fn forget_room(&self, user_id: &str, room_id: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO forgotten_rooms (user_id, room_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(user_id)
        .bind(room_id)
        .execute(&mut *self.writing().await?)
        .await?;
        Ok(())
    }

    async fn unforget_room(&self, user_id: &str, room_id: &str) -> Result<()> {
        sqlx::query("DELETE FROM forgotten_rooms WHERE user_id = $1 AND room_id = $2")
            .bind(user_id)
            .bind(room_id)
            .execute(&mut *self.writing().await?)
            .await?;
        Ok(())
    }

    async fn is_forgotten(&self, user_id: &str, room_id: &str) -> Result<bool> {
        let row = sqlx::query("SELECT 1 FROM forgotten_rooms WHERE user_id = $1 AND room_id = $2")
            .bind(user_id)
            .bind(room_id)
            .fetch_optional(&self.read)
            .await?;
        Ok(row.is_some())
    }

    async fn create_alias(&self, alias: &str, room_id: &str, creator: &str) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO room_aliases (alias, room_id, creator) VALUES ($1, $2, $3) \
             ON CONFLICT (alias) DO NOTHING",
        )
        .bind(alias)
        .bind(room_id)
        .bind(creator)
        .execute(&mut *self.writing().await?)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn alias(&self, alias: &str) -> Result<Option<(String, String)>> {
        let row = sqlx::query("SELECT room_id, creator FROM room_aliases WHERE alias = $1")
            .bind(alias)
            .fetch_optional(&self.read)
            .await?;
        Ok(row.map(|r| (r.get(0), r.get(1))))
    }

    async fn delete_alias(&self, alias: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM room_aliases WHERE alias = $1")
            .bind(alias)
            .execute(&mut *self.writing().await?)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn room_aliases(&self, room_id: &str) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT alias FROM room_aliases WHERE room_id = $1 ORDER BY alias")
            .bind(room_id)
            .fetch_all(&self.read)
            .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }
}
