//! Events in the client format, kept in memory: every member's sync hands out the same new
//! event, and parsing the signed PDU once per member cost more than the rest of the timeline.
//!
//! Only plain events are kept: not redacted, not replacing state (their `unsigned` depends
//! on another event that may change). A PDU never changes, so an entry never goes stale; a
//! redaction is seen on the stored event, which then bypasses the cache.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use serde_json::Value as JsonValue;

/// Entries per generation; the older generation is dropped when the newer one fills.
const GENERATION: usize = 4096;

type Generation = HashMap<String, Arc<JsonValue>>;

#[derive(Default)]
pub struct ClientEvents {
    /// `(newer, older)`: a hit in the older generation moves the entry to the newer one.
    generations: Mutex<(Generation, Generation)>,
}

impl ClientEvents {
    pub fn get(&self, event_id: &str) -> Option<Arc<JsonValue>> {
        let mut g = self.generations.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(hit) = g.0.get(event_id) {
            return Some(hit.clone());
        }
        let (key, hit) = g.1.remove_entry(event_id)?;
        Self::insert(&mut g, key, hit.clone());
        Some(hit)
    }

    pub fn put(&self, event_id: String, event: Arc<JsonValue>) {
        let mut g = self.generations.lock().unwrap_or_else(|e| e.into_inner());
        Self::insert(&mut g, event_id, event);
    }

    fn insert(g: &mut (Generation, Generation), event_id: String, event: Arc<JsonValue>) {
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
        let value = Arc::new(JsonValue::Null);
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
}
