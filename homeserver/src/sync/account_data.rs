//! Account data (global and per room), room tags (the room's `m.tag`), the ignore list
//! (`m.ignored_user_list`) and sync filters.

use std::{
    collections::HashSet,
    sync::{Arc, atomic::Ordering},
};

use http::StatusCode;
use ruma::{RoomId, UserId, api::client::filter::FilterDefinition, api::error::ErrorKind};
use serde_json::{Map, Value as JsonValue, json};

use super::SyncEngine;

/// The account data type listing the users whose events and invites a user ignores.
const IGNORED_USERS: &str = "m.ignored_user_list";
use crate::{
    http::error::{Error, Result},
    storage::AccountDataStore,
};

/// Account data the server maintains itself; clients change it through other endpoints.
const SERVER_MANAGED: &[&str] = &["m.fully_read", "m.push_rules"];

impl SyncEngine {
    /// `PUT /user/{userId}/[rooms/{roomId}/]account_data/{type}` (by the user, checked by
    /// the caller).
    pub async fn put_account_data(
        &self,
        user_id: &UserId,
        room_id: Option<&RoomId>,
        kind: &str,
        content: &JsonValue,
    ) -> Result<()> {
        if SERVER_MANAGED.contains(&kind) {
            return Err(Error::new(
                StatusCode::METHOD_NOT_ALLOWED,
                ErrorKind::BadJson,
                format!("{kind} is managed by the server and cannot be set through this API"),
            ));
        }
        if !content.is_object() {
            return Err(Error::bad_json(
                "Account data content must be a JSON object",
            ));
        }
        self.set_account_data(user_id, room_id, kind, content).await
    }

    /// Stores account data and wakes the user's syncs.
    pub(super) async fn set_account_data(
        &self,
        user_id: &UserId,
        room_id: Option<&RoomId>,
        kind: &str,
        content: &JsonValue,
    ) -> Result<()> {
        let position = self.streams.account_data.allocate(1);
        self.store
            .set_account_data(
                user_id.as_str(),
                room_id.map_or("", |r| r.as_str()),
                kind,
                &content.to_string(),
                position.first(),
            )
            .await?;
        if room_id.is_none() && kind == IGNORED_USERS {
            self.cache.ignored_generation.fetch_add(1, Ordering::AcqRel);
            self.cache
                .ignored
                .lock()
                .expect("not poisoned")
                .remove(user_id);
        }
        position.finish(vec![user_id.to_owned()]);
        Ok(())
    }

    /// `GET /user/{userId}/[rooms/{roomId}/]account_data/{type}`: `M_NOT_FOUND` when unset.
    pub async fn account_data(
        &self,
        user_id: &UserId,
        room_id: Option<&RoomId>,
        kind: &str,
    ) -> Result<JsonValue> {
        self.stored_account_data(user_id, room_id, kind)
            .await?
            .filter(|c| c.as_object().is_some_and(|o| !o.is_empty()))
            .ok_or_else(|| Error::not_found("Account data not found"))
    }

    async fn stored_account_data(
        &self,
        user_id: &UserId,
        room_id: Option<&RoomId>,
        kind: &str,
    ) -> Result<Option<JsonValue>> {
        let stored = self
            .store
            .account_data(user_id.as_str(), room_id.map_or("", |r| r.as_str()), kind)
            .await?;
        Ok(stored.and_then(|text| serde_json::from_str(&text).ok()))
    }

    /// The `tags` of a room's `m.tag` account data.
    pub async fn tags(&self, user_id: &UserId, room_id: &RoomId) -> Result<Map<String, JsonValue>> {
        let content = self
            .stored_account_data(user_id, Some(room_id), "m.tag")
            .await?;
        Ok(content
            .and_then(|mut c| c.get_mut("tags").map(JsonValue::take))
            .and_then(|t| match t {
                JsonValue::Object(tags) => Some(tags),
                _ => None,
            })
            .unwrap_or_default())
    }

    /// `PUT` (with its `order` and other fields) or `DELETE` (`None`) of one room tag.
    pub async fn set_tag(
        &self,
        user_id: &UserId,
        room_id: &RoomId,
        tag: &str,
        info: Option<JsonValue>,
    ) -> Result<()> {
        let mut tags = self.tags(user_id, room_id).await?;
        match info {
            Some(info) => {
                tags.insert(tag.to_owned(), info);
            }
            None => {
                tags.remove(tag);
            }
        }
        self.set_account_data(user_id, Some(room_id), "m.tag", &json!({ "tags": tags }))
            .await
    }

    /// Users on the user's `m.ignored_user_list`.
    pub async fn ignored_users(&self, user_id: &UserId) -> Result<Arc<HashSet<String>>> {
        if let Some(users) = self
            .cache
            .ignored
            .lock()
            .expect("not poisoned")
            .get(user_id)
        {
            return Ok(users.clone());
        }
        let generation = self.cache.ignored_generation.load(Ordering::Acquire);
        let content = self
            .stored_account_data(user_id, None, IGNORED_USERS)
            .await?;
        let users: Arc<HashSet<String>> = Arc::new(
            content
                .as_ref()
                .and_then(|c| c["ignored_users"].as_object())
                .map(|users| users.keys().cloned().collect())
                .unwrap_or_default(),
        );
        let mut cache = self.cache.ignored.lock().expect("not poisoned");
        if self.cache.ignored_generation.load(Ordering::Acquire) == generation {
            cache.insert(user_id.to_owned(), users.clone());
        }
        Ok(users)
    }

    /// `POST /user/{userId}/filter`: the new filter's ID.
    pub async fn create_filter(
        &self,
        user_id: &UserId,
        filter: &FilterDefinition,
    ) -> Result<String> {
        let json = serde_json::to_string(filter).map_err(|_| Error::internal())?;
        Ok(self
            .store
            .create_filter(user_id.as_str(), &json)
            .await?
            .to_string())
    }

    /// `GET /user/{userId}/filter/{filterId}`, and sync's `filter=<id>`.
    pub async fn filter(&self, user_id: &UserId, filter_id: &str) -> Result<Arc<FilterDefinition>> {
        let not_found = || Error::not_found("No such filter");
        let id: i64 = filter_id.parse().map_err(|_| not_found())?;
        // Keyed by owner first, so a hit looks up with the borrowed user ID.
        let cached = (self.cache.filters.lock().expect("not poisoned"))
            .get(user_id)
            .and_then(|own| own.get(&id).cloned());
        if let Some(filter) = cached {
            return Ok(filter);
        }
        let json = self
            .store
            .filter(user_id.as_str(), id)
            .await?
            .ok_or_else(not_found)?;
        let filter: Arc<FilterDefinition> =
            Arc::new(serde_json::from_str(&json).map_err(|_| Error::internal())?);
        let mut filters = self.cache.filters.lock().expect("not poisoned");
        if filters.len() >= super::FILTERS_KEPT {
            filters.clear();
        }
        let own = filters.entry(user_id.to_owned()).or_default();
        if own.len() >= super::FILTERS_KEPT_PER_USER {
            own.clear();
        }
        own.insert(id, filter.clone());
        Ok(filter)
    }
}
