//! Every stored event verifies: its content hash, our signature with the published key,
//! its reference-hash event ID, and the authorization rules against the state before it.

use std::sync::Arc;

use ruma::{
    OwnedRoomId, RoomVersionId, UserId,
    api::client::room::create_room::v3::RoomPreset,
    signatures::{Verified, reference_hash, verify_event},
};
use serde_json::json;

use super::{CreateRoom, Moderation, Rooms, build::authorize, state::RoomState};
use crate::{
    accounts::Sender,
    config::Config,
    storage::{
        EventFilter, EventStore, Store,
        test_support::{create_postgres_database, drop_postgres_database, test_postgres_url},
    },
};

fn sender(user: &str) -> Sender {
    Sender {
        user_id: UserId::parse(user).unwrap(),
        device_id: "DEV".into(),
    }
}

/// Fills a room with a realistic mix: joins, chatter, state changes, moderation, redactions.
async fn busy_room(rooms: &Rooms, version: RoomVersionId) -> OwnedRoomId {
    let alice = sender("@alice:test");
    let params = CreateRoom {
        preset: Some(RoomPreset::PublicChat),
        room_version: Some(version),
        name: Some("Busy".into()),
        ..Default::default()
    };
    let room_id = rooms.create_room(&alice.user_id, params).await.unwrap();
    let others: Vec<Sender> = (0..5).map(|i| sender(&format!("@user{i}:test"))).collect();
    for user in &others {
        rooms
            .join(&user.user_id, <&ruma::RoomOrAliasId>::from(&*room_id), None)
            .await
            .unwrap();
    }
    let mut sent = Vec::new();
    for i in 0..120 {
        let who = &others[i % others.len()];
        let content = json!({ "msgtype": "m.text", "body": format!("message {i}") });
        sent.push(
            rooms
                .send_message(
                    who,
                    &room_id,
                    "m.room.message".into(),
                    content,
                    &format!("t{i}"),
                )
                .await
                .unwrap(),
        );
        if i % 20 == 0 {
            let name = json!({ "name": format!("Busy {i}") });
            rooms
                .send_state(&alice, &room_id, "m.room.name".into(), "", name)
                .await
                .unwrap();
        }
    }
    // A burst of concurrent sends with replayed transactions among them: a replay's write
    // fails in the queue, sends queued on top of it are built again, and nothing is lost.
    let burst = (0..40).map(|i| {
        let (rooms, room_id) = (rooms.clone(), room_id.clone());
        let who = others[i % others.len()].clone();
        let replay = i % 8 == 0;
        let txn = if replay {
            format!("t{i}")
        } else {
            format!("burst{i}")
        };
        async move {
            let content = json!({ "msgtype": "m.text", "body": format!("burst {i}") });
            let sent = rooms
                .send_message(&who, &room_id, "m.room.message".into(), content, &txn)
                .await;
            (i, replay, sent.unwrap())
        }
    });
    let mut fresh = std::collections::HashSet::new();
    for (i, replay, event_id) in futures_util::future::join_all(burst).await {
        if replay {
            assert_eq!(event_id, sent[i], "a replay answers with the first event");
        } else {
            assert!(fresh.insert(event_id));
        }
    }
    assert_eq!(fresh.len(), 35);
    rooms
        .redact(&others[0], &room_id, &sent[0], Some("oops"), "r1", None)
        .await
        .unwrap();
    rooms
        .redact(&alice, &room_id, &sent[1], None, "r2", None)
        .await
        .unwrap();
    rooms
        .moderate(
            Moderation::Kick,
            &alice.user_id,
            &room_id,
            &others[1].user_id,
            Some("bye"),
        )
        .await
        .unwrap();
    rooms
        .moderate(
            Moderation::Ban,
            &alice.user_id,
            &room_id,
            &others[2].user_id,
            None,
        )
        .await
        .unwrap();
    rooms
        .leave(&others[3].user_id, &room_id, None)
        .await
        .unwrap();
    // Refused events must leave no trace.
    let refused = rooms
        .send_state(
            &others[4],
            &room_id,
            "m.room.name".into(),
            "",
            json!({ "name": "nope" }),
        )
        .await;
    assert!(refused.is_err());
    room_id
}

async fn verify_all(store: &Store, rooms: &Rooms, room_id: &OwnedRoomId, version: &RoomVersionId) {
    let rules = version.rules().unwrap();
    let keys = rooms
        .signing_key()
        .public_key_map(rooms.server_name().as_str());
    let events = store
        .room_events(
            room_id.as_str(),
            0,
            None,
            true,
            10_000,
            &EventFilter::default(),
        )
        .await
        .unwrap();
    let kinds: Vec<String> = events
        .iter()
        .map(|e| serde_json::from_str::<serde_json::Value>(&e.json).unwrap()["type"].to_string())
        .collect();
    assert!(events.len() > 165, "{} events: {kinds:?}", events.len());
    let mut replay = RoomState::empty(room_id.clone(), version.clone(), rules.clone());
    let mut seen = std::collections::HashSet::new();
    for stored in events {
        let object: ruma::CanonicalJsonObject = serde_json::from_str(&stored.json).unwrap();
        // The DAG is whole: each event builds on events stored before it.
        let prev = object["prev_events"].as_array().unwrap();
        assert!(
            prev.iter().all(|p| seen.contains(p.as_str().unwrap())),
            "{} builds on an event not stored before it",
            stored.event_id
        );
        seen.insert(stored.event_id.clone());
        assert!(
            matches!(verify_event(&keys, &object, &rules), Ok(Verified::All)),
            "{} does not verify",
            stored.event_id
        );
        assert_eq!(
            format!("${}", reference_hash(&object, &rules).unwrap()),
            stored.event_id
        );
        assert!(
            !stored.json.contains("\"event_id\""),
            "v3+ PDUs carry no event_id"
        );
        let pdu = super::state::parse_stored(room_id, stored.event_id.clone(), stored.json.clone())
            .unwrap();
        authorize(&replay, &pdu)
            .unwrap_or_else(|e| panic!("{} fails the auth rules: {e}", stored.event_id));
        // State groups agree with replaying the room.
        replay.apply(Arc::new(pdu));
        assert_eq!(
            store.state_group(stored.state_group).await.unwrap(),
            replay.entries,
            "state after {}",
            stored.event_id
        );
    }
}

async fn check(store: Store) {
    let key = super::load_signing_key(&store).await.unwrap();
    let mut config = Config::default();
    config.server.server_name = "test".into();
    let streams = crate::sync::Streams::load(&store).await.unwrap();
    let rooms = Rooms::new(store.clone(), &config, key, streams);
    for version in [RoomVersionId::V10, RoomVersionId::V11, RoomVersionId::V12] {
        let room_id = busy_room(&rooms, version.clone()).await;
        verify_all(&store, &rooms, &room_id, &version).await;
    }
    // The key survives a restart: the same key signs after reloading.
    let again = super::load_signing_key(&store).await.unwrap();
    assert_eq!(
        again.public_key_base64(),
        rooms.signing_key().public_key_base64()
    );
}

#[tokio::test]
async fn every_stored_event_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&format!("sqlite://{}/h.db", dir.path().display()), 4)
        .await
        .unwrap();
    check(store).await;
    if let Some(admin) = test_postgres_url() {
        let url = create_postgres_database(&admin).await.unwrap();
        let store = Store::open(&url, 4).await.unwrap();
        check(store.clone()).await;
        store.close().await;
        drop_postgres_database(&admin, &url).await.unwrap();
    }
}
