//! The WebSocket push extension (docs/websocket.md): the same data as `/sync`, pushed;
//! resuming from a token loses and duplicates nothing; commands get correlated results;
//! bad frames get error frames and the connection stays usable.

use complement_tests::{
    Deployment, ServerOptions, WsClient, WsEnd, bodies, json, sync_ephemeral, sync_timeline,
};

#[tokio::test]
async fn pushes_messages_and_resumes_without_loss_or_duplicates() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let bob = hs.register("bob").await;
    let room = alice.create_room(json!({ "preset": "public_chat" })).await;
    bob.join(&room).await.must_ok();
    let initial = bob.sync(None, "").await;
    let since = initial.must_ok()["next_batch"].as_str().unwrap().to_owned();

    let mut ws = WsClient::connect(&bob, &format!("since={since}")).await;
    // The first frame answers at once (nothing new yet).
    let first = ws.must_next().await;
    assert_eq!(first["type"], "sync");
    let mut seen: Vec<String> = Vec::new();
    for i in 0..3 {
        alice.send_text(&room, &format!("m{i}")).await;
    }
    let (_, mut last_token) = ws
        .sync_until(|body| {
            seen.extend(bodies(&sync_timeline(body, &room)));
            (seen.len() >= 3).then_some(())
        })
        .await;
    // Bob's connection dies; Alice carries on.
    ws.drop_abruptly();
    for i in 3..6 {
        alice.send_text(&room, &format!("m{i}")).await;
    }
    let mut ws = WsClient::connect(&bob, &format!("since={last_token}")).await;
    let (_, token) = ws
        .sync_until(|body| {
            seen.extend(bodies(&sync_timeline(body, &room)));
            (seen.len() >= 6).then_some(())
        })
        .await;
    last_token = token;
    assert_eq!(seen, (0..6).map(|i| format!("m{i}")).collect::<Vec<_>>());
    // The same token over /sync gives nothing more: both paths agree.
    let rest = bob.sync(Some(&last_token), "timeout=0").await;
    assert!(sync_timeline(rest.must_ok(), &room).is_empty());
    ws.close().await;
}

#[tokio::test]
async fn commands_are_answered_by_correlated_results() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let bob = hs.register("bob").await;
    let room = alice.create_room(json!({ "preset": "public_chat" })).await;
    bob.join(&room).await.must_ok();
    let mut bob_since = bob.sync(None, "").await.must_ok()["next_batch"]
        .as_str()
        .map(str::to_owned);
    let mut ws = WsClient::connect(&alice, "").await;
    ws.must_next().await;

    let sent = ws
        .command(
            json!({
                "type": "send", "room_id": room, "event_type": "m.room.message",
                "txn_id": "ws1", "content": { "msgtype": "m.text", "body": "over the socket" }
            }),
            "req-1",
        )
        .await;
    assert_eq!(sent["ok"], true, "{sent}");
    let event_id = sent["body"]["event_id"].as_str().unwrap().to_owned();
    // The same transaction again is the same event.
    let again = ws
        .command(
            json!({
                "type": "send", "room_id": room, "event_type": "m.room.message",
                "txn_id": "ws1", "content": { "msgtype": "m.text", "body": "over the socket" }
            }),
            "req-2",
        )
        .await;
    assert_eq!(again["body"]["event_id"], event_id.as_str());
    let typing = ws
        .command(
            json!({ "type": "typing", "room_id": room, "typing": true, "timeout": 10000 }),
            "req-3",
        )
        .await;
    assert_eq!(typing["ok"], true);
    let receipt = ws
        .command(
            json!({ "type": "receipt", "room_id": room, "receipt_type": "m.read", "event_id": event_id }),
            "req-4",
        )
        .await;
    assert_eq!(receipt["ok"], true);
    bob.must_sync_until(&mut bob_since, "message, typing and receipt", |s| {
        let has_message = bodies(&sync_timeline(s, &room)).contains(&"over the socket".to_owned());
        let typing = sync_ephemeral(s, &room, "m.typing");
        let receipts = sync_ephemeral(s, &room, "m.receipt");
        (has_message && !typing.is_empty() && !receipts.is_empty()).then_some(())
    })
    .await;
    let pong = ws.command(json!({ "type": "ping" }), "req-5").await;
    assert_eq!(pong["type"], "pong");
    ws.close().await;
}

#[tokio::test]
async fn pipelined_commands_are_answered_in_order() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let bob = hs.register("bob").await;
    let room = alice.create_room(json!({ "preset": "public_chat" })).await;
    bob.join(&room).await.must_ok();
    let mut ws = WsClient::connect(&alice, "").await;
    ws.must_next().await;
    // More commands than the server reads ahead of the running one (64), all written
    // before any answer is read; every tenth is a ping, answered in its turn too.
    const COMMANDS: u64 = 100;
    for i in 0..COMMANDS {
        let command = if i % 10 == 9 {
            json!({ "type": "ping", "id": i })
        } else {
            json!({
                "type": "send", "id": i, "room_id": room, "event_type": "m.room.message",
                "txn_id": format!("p{i}"), "content": { "msgtype": "m.text", "body": format!("p{i}") }
            })
        };
        ws.send(command).await;
    }
    let mut answered = Vec::new();
    let mut event_ids = std::collections::HashSet::new();
    while answered.len() < COMMANDS as usize {
        let frame = ws.must_next().await;
        match frame["type"].as_str() {
            Some("result") => {
                assert_eq!(frame["ok"], true, "{frame}");
                assert!(event_ids.insert(frame["body"]["event_id"].to_string()));
                answered.push(frame["id"].as_u64().expect("the command's id"));
            }
            Some("pong") => answered.push(frame["id"].as_u64().expect("the ping's id")),
            _ => {}
        }
    }
    assert_eq!(answered, (0..COMMANDS).collect::<Vec<_>>());
    // Bob reads them in the order they were sent.
    let mut expected: Vec<String> = (0..COMMANDS)
        .filter(|i| i % 10 != 9)
        .map(|i| format!("p{i}"))
        .collect();
    expected.reverse();
    assert_eq!(bob.message_bodies(&room).await, expected);
    ws.close().await;
}

#[tokio::test]
async fn bad_frames_get_error_frames_and_the_connection_stays_usable() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    let bob = hs.register("bob").await;
    let bobs_room = bob.create_room(json!({})).await;
    let mut ws = WsClient::connect(&alice, "").await;
    ws.must_next().await;

    ws.send_text("this is not json").await;
    let frame = ws.must_next().await;
    assert_eq!(frame["ok"], false);
    assert_eq!(frame["error"]["errcode"], "M_NOT_JSON");

    let frame = ws.command(json!({ "type": "teleport" }), "x1").await;
    assert_eq!(frame["error"]["errcode"], "M_BAD_JSON");
    let frame = ws
        .command(json!({ "type": "send", "room_id": "not a room" }), "x2")
        .await;
    assert_eq!(frame["error"]["errcode"], "M_BAD_JSON");
    let frame = ws
        .command(
            json!({
                "type": "send", "room_id": bobs_room, "event_type": "m.room.message",
                "txn_id": "t", "content": { "body": "intruder" }
            }),
            "x3",
        )
        .await;
    assert_eq!(frame["error"]["errcode"], "M_FORBIDDEN");
    assert!(
        bob.message_bodies(&bobs_room)
            .await
            .iter()
            .all(|b| b != "intruder")
    );
    let frame = ws
        .command(json!({ "type": "ack", "next_batch": "garbage" }), "x4")
        .await;
    assert_eq!(frame["error"]["errcode"], "M_INVALID_PARAM");
    // Still usable.
    let pong = ws.command(json!({ "type": "ping" }), "7").await;
    assert_eq!(pong, json!({ "type": "pong", "id": "7" }));
    ws.close().await;
}

#[tokio::test]
async fn authentication_by_header_or_first_frame() {
    let hs = Deployment::one().await;
    let alice = hs.register("alice").await;
    // A bad header token is refused before the upgrade, like any request.
    let stranger = alice.with_token(Some("not-a-token"));
    assert_eq!(WsClient::refused_status(&stranger, "").await, 401);
    // Browsers authenticate in the first frame.
    let mut ws = WsClient::connect_unauthenticated(&alice, "").await;
    ws.send(json!({ "type": "auth", "access_token": alice.access_token.clone().unwrap() }))
        .await;
    assert_eq!(ws.must_next().await["type"], "sync");
    ws.close().await;
    // A wrong token there closes the connection with 4001.
    let mut ws = WsClient::connect_unauthenticated(&alice, "").await;
    ws.send(json!({ "type": "auth", "access_token": "wrong" }))
        .await;
    match ws.next().await {
        Err(WsEnd::Closed(Some(frame))) => assert_eq!(u16::from(frame.code), 4001),
        other => panic!("expected a 4001 close, got {other:?}"),
    }
    // A bad since closes with 4003.
    let mut ws = WsClient::connect(&alice, "since=nonsense").await;
    match ws.next().await {
        Err(WsEnd::Closed(Some(frame))) => assert_eq!(u16::from(frame.code), 4003),
        other => panic!("expected a 4003 close, got {other:?}"),
    }
}

#[tokio::test]
async fn a_silent_peer_is_dropped_after_the_timeout() {
    let options = ServerOptions {
        raw_extra: "\n[sync]\nwebsocket_ping_secs = 1\nwebsocket_timeout_secs = 2\n".into(),
        ..ServerOptions::default()
    };
    let hs = Deployment::new(vec![options]).await.servers.remove(0);
    let alice = hs.register("alice").await;
    let mut ws = WsClient::connect(&alice, "").await;
    ws.must_next().await;
    // Not reading means not answering pings (the client library answers while it reads):
    // this peer looks dead to the server, which gives up after its 2 s timeout.
    let started = std::time::Instant::now();
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    let end = ws.next_raw_until_end().await;
    assert!(started.elapsed() < std::time::Duration::from_secs(15));
    // The close frame (4008) may be lost when our late pong meets the closed socket.
    match end {
        WsEnd::Closed(Some(frame)) => assert_eq!(u16::from(frame.code), 4008),
        WsEnd::Gone => {}
        other => panic!("expected a 4008 close, got {other:?}"),
    }
}

#[tokio::test]
async fn a_frame_over_the_request_size_limit_closes_with_1009_and_stores_nothing() {
    let hs = complement_tests::Homeserver::start(ServerOptions {
        max_request_bytes: 16 * 1024,
        ..Default::default()
    })
    .await;
    let alice = hs.register("alice").await;
    let room = alice.create_room(json!({})).await;
    let send = |txn: &str, body: String| {
        json!({
            "type": "send", "room_id": room, "event_type": "m.room.message",
            "txn_id": txn, "content": { "msgtype": "m.text", "body": body }
        })
    };
    let mut ws = WsClient::connect(&alice, "").await;
    ws.must_next().await;
    // Longer than one socket read (8 KiB) but within the limit: read whole and sent.
    let result = ws.command(send("t1", "a".repeat(12 * 1024)), "1").await;
    assert_eq!(result["ok"], true, "{result}");
    // Over the limit: the connection is closed as RFC 6455 says, and nothing is sent.
    ws.send(send("t2", "b".repeat(20 * 1024))).await;
    let end = ws.next_raw_until_end().await;
    match end {
        WsEnd::Closed(Some(frame)) => assert_eq!(u16::from(frame.code), 1009),
        other => panic!("expected a 1009 close, got {other:?}"),
    }
    let stored = alice.message_bodies(&room).await;
    assert_eq!(stored.len(), 1);
    assert!(stored[0].starts_with('a'));
    // The server goes on serving new connections.
    let mut ws = WsClient::connect(&alice, "").await;
    assert_eq!(ws.must_next().await["type"], "sync");
    ws.close().await;
}
