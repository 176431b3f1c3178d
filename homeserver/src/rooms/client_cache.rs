//! Events in the client format, kept in memory: every member's sync hands out the same new
//! event, and parsing the signed PDU once per member cost more than the rest of the timeline.
//!
//! Only plain events are kept: not redacted, not replacing state (their `unsigned` depends
//! on another event that may change). A PDU never changes, so an entry never goes stale; a
//! redaction is seen on the stored event, which then bypasses the cache.
//!
//! Each entry also keeps the event as sync timelines carry it (without `room_id`), already
//! serialized: copying that text into each member's response costs less than copying the
//! JSON tree and serializing it again per member. `unsigned.age` is the one field that
//! changes with time: both forms are handed out with it as of the moment they are read.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, OnceLock},
};

use serde_json::{Value as JsonValue, value::RawValue};

/// Entries per generation; the older generation is dropped when the newer one fills.
const GENERATION: usize = 4096;

type Generation = HashMap<String, Arc<ClientEvent>>;

/// Whether the event's client format depends on nothing but its PDU, so it may be cached.
pub fn is_plain(event: &crate::storage::StoredEvent) -> bool {
    event.redacted_by.is_none() && event.replaces_state.is_none()
}

/// A plain event in the client format.
#[derive(Debug)]
pub struct ClientEvent {
    value: JsonValue,
    origin_server_ts: i64,
    /// `value` without `room_id`, serialized on first use: the text before and after the
    /// number of `unsigned.age`.
    sync: OnceLock<(String, String)>,
}

impl ClientEvent {
    pub fn new(value: JsonValue) -> Self {
        Self {
            origin_server_ts: value["origin_server_ts"].as_i64().unwrap_or_default(),
            value,
            sync: OnceLock::new(),
        }
    }

    fn age(&self) -> i64 {
        (crate::storage::now_ms() - self.origin_server_ts).max(0)
    }

    /// The event in the client format.
    pub fn client_form(&self) -> JsonValue {
        let mut event = self.value.clone();
        event["unsigned"]["age"] = self.age().into();
        event
    }

    /// The event as a sync timeline carries it, with `unsigned.transaction_id` when it goes
    /// to the device that sent it.
    pub fn sync_form(&self, transaction_id: Option<&str>) -> Box<RawValue> {
        let (head, tail) = self.sync.get_or_init(|| {
            let mut event = self.value.clone();
            super::sync::strip_room_id(&mut event);
            let mut unsigned = match event.as_object_mut().and_then(|o| o.remove("unsigned")) {
                Some(JsonValue::Object(unsigned)) => unsigned,
                _ => serde_json::Map::new(),
            };
            unsigned.remove("age");
            let rest = event.to_string();
            let head = format!(
                "{}{}\"unsigned\":{{\"age\":",
                &rest[..rest.len() - 1],
                if rest.len() > 2 { "," } else { "" }
            );
            let tail = if unsigned.is_empty() {
                "}}".to_owned()
            } else {
                format!(",{}}}", &JsonValue::Object(unsigned).to_string()[1..])
            };
            (head, tail)
        });
        let txn = transaction_id.map_or(String::new(), |id| {
            format!(",\"transaction_id\":{}", JsonValue::from(id))
        });
        RawValue::from_string(format!("{head}{}{txn}{tail}", self.age()))
            .expect("an object with a number and a string spliced in is JSON")
    }
}

#[derive(Default)]
pub struct ClientEvents {
    /// `(newer, older)`: a hit in the older generation moves the entry to the newer one.
    generations: Mutex<(Generation, Generation)>,
}

impl ClientEvents {
    pub fn get(&self, event_id: &str) -> Option<Arc<ClientEvent>> {
        let mut g = self.generations.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(hit) = g.0.get(event_id) {
            return Some(hit.clone());
        }
        let (key, hit) = g.1.remove_entry(event_id)?;
        Self::insert(&mut g, key, hit.clone());
        Some(hit)
    }

    pub fn put(&self, event_id: String, event: Arc<ClientEvent>) {
        let mut g = self.generations.lock().unwrap_or_else(|e| e.into_inner());
        Self::insert(&mut g, event_id, event);
    }

    fn insert(g: &mut (Generation, Generation), event_id: String, event: Arc<ClientEvent>) {
        if g.0.len() >= GENERATION {
            g.1 = std::mem::take(&mut g.0);
        }
        g.0.insert(event_id, event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_two_generations_and_promotes_what_is_read() {
        let cache = ClientEvents::default();
        let value = Arc::new(ClientEvent::new(JsonValue::Null));
        cache.put("$first".into(), value.clone());
        for i in 1..GENERATION {
            cache.put(format!("${i}"), value.clone());
        }
        // The newer generation is full: the next entry starts another, "$first" is older.
        cache.put("$next".into(), value.clone());
        assert!(
            cache.get("$first").is_some(),
            "still in the older generation"
        );
        for i in 0..GENERATION {
            cache.put(format!("$again{i}"), value.clone());
        }
        // "$first" was promoted by the read, so one more generation did not drop it...
        assert!(cache.get("$first").is_some());
        // ...but "$1", never read, is gone.
        assert!(cache.get("$1").is_none());
    }

    #[test]
    fn both_forms_carry_the_age_as_of_now_and_sync_has_no_room_id() {
        let sent = crate::storage::now_ms() - 60_000;
        for unsigned in [
            serde_json::json!({ "age": 5 }),
            serde_json::json!({ "age": 5, "x": [1] }),
        ] {
            let event = ClientEvent::new(serde_json::json!({
                "event_id": "$e", "room_id": "!r:x", "type": "m.room.message",
                "origin_server_ts": sent, "content": { "body": "hi" }, "unsigned": unsigned
            }));
            let client = event.client_form();
            let sync: JsonValue = serde_json::from_str(event.sync_form(None).get()).unwrap();
            for form in [&client, &sync] {
                let age = form["unsigned"]["age"].as_i64().unwrap();
                assert!((60_000..120_000).contains(&age), "{form}");
            }
            let mut expected = client.clone();
            expected.as_object_mut().unwrap().remove("room_id");
            expected["unsigned"]["age"] = sync["unsigned"]["age"].clone();
            assert_eq!(sync, expected);
            assert_eq!(client["room_id"], "!r:x", "the client form keeps it");
            let own = event.sync_form(Some("t\"1"));
            let own: JsonValue = serde_json::from_str(own.get()).unwrap();
            assert_eq!(own["unsigned"]["transaction_id"], "t\"1");
            assert_eq!(own["content"], sync["content"]);
        }
    }
}
