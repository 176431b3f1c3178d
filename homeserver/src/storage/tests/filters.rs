//! Event filters, alone and as `room_events` applies them.

use super::*;

#[test]
fn event_filter_matches() {
    let filter =
        |f: EventFilter| move |kind: &str, sender: &str, url: bool| f.matches(kind, sender, url);
    let list = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();

    let any = filter(EventFilter::default());
    assert!(any("m.room.message", "@a:test", false));
    assert!(any("x", "@b:test", true));

    let types = filter(EventFilter {
        types: Some(list(&["m.room.*", "m.reaction"])),
        ..Default::default()
    });
    assert!(types("m.room.message", "@a:test", false));
    assert!(types("m.reaction", "@a:test", false));
    assert!(!types("m.reactions", "@a:test", false));
    assert!(!types("M.ROOM.MESSAGE", "@a:test", false), "case-sensitive");
    assert!(!types("M.REACTION", "@a:test", false), "case-sensitive");
    assert!(!types("m.call.invite", "@a:test", false));

    let nothing = filter(EventFilter {
        types: Some(vec![]),
        ..Default::default()
    });
    assert!(!nothing("m.room.message", "@a:test", false));

    let not_members = filter(EventFilter {
        types: Some(list(&["m.room.*"])),
        not_types: list(&["m.room.member"]),
        ..Default::default()
    });
    assert!(not_members("m.room.message", "@a:test", false));
    assert!(!not_members("m.room.member", "@a:test", false), "not wins");

    let literal = filter(EventFilter {
        types: Some(list(&["m.room_*", "m%"])),
        ..Default::default()
    });
    assert!(!literal("m.room.message", "@a:test", false));
    assert!(literal("m.room_x", "@a:test", false));
    assert!(!literal("m.room", "@a:test", false));
    assert!(literal("m%", "@a:test", false));

    let senders = filter(EventFilter {
        senders: Some(list(&["@a:test", "@*:friends"])),
        not_senders: list(&["@spam:*"]),
        ..Default::default()
    });
    assert!(senders("m.room.message", "@a:test", false));
    assert!(senders("m.room.message", "@x:friends", false));
    assert!(!senders("m.room.message", "@spam:friends", false));
    assert!(!senders("m.room.message", "@b:test", false));

    let nobody = filter(EventFilter {
        senders: Some(vec![]),
        ..Default::default()
    });
    assert!(!nobody("m.room.message", "@a:test", false));

    let not_senders = filter(EventFilter {
        not_senders: list(&["*:evil"]),
        ..Default::default()
    });
    assert!(!not_senders("m.room.message", "@x:evil", false));
    assert!(not_senders("m.room.message", "@x:evil.org", false));

    let with_url = filter(EventFilter {
        contains_url: Some(true),
        ..Default::default()
    });
    assert!(with_url("m.room.message", "@a:test", true));
    assert!(!with_url("m.room.message", "@a:test", false));
    let without_url = filter(EventFilter {
        contains_url: Some(false),
        ..Default::default()
    });
    assert!(!without_url("m.room.message", "@a:test", true));
    assert!(without_url("m.room.message", "@a:test", false));
}

#[tokio::test]
async fn event_filter_matches_what_room_events_returns() {
    on_every_backend(|store| async move {
        let room = "!r:test";
        let mut head = new_room(&store, room).await;
        let mut events = vec![("$create", "m.room.create", "@a:test", false)];
        for (id, kind, sender, url) in [
            ("$1", "m.room.message", "@a:test", true),
            ("$2", "m.room.message", "@b:test", false),
            ("$3", "m.reaction", "@b:evil", false),
            ("$4", "m.room_x", "@c:test", true),
            ("$5", "m%", "@a:test", false),
            ("$6", "M.ROOM.MESSAGE", "@b:test", false),
        ] {
            put_event(&store, room, id, kind, None, sender, &mut head, |e| {
                e.contains_url = url
            })
            .await;
            events.push((id, kind, sender, url));
        }
        let list = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let filters = [
            EventFilter::default(),
            EventFilter {
                types: Some(list(&["m.room.*"])),
                ..Default::default()
            },
            EventFilter {
                types: Some(list(&["m.room_*", "m%"])),
                ..Default::default()
            },
            EventFilter {
                types: Some(list(&["m.room.message", "m.reaction"])),
                ..Default::default()
            },
            EventFilter {
                types: Some(vec![]),
                ..Default::default()
            },
            EventFilter {
                not_types: list(&["*.message", "m.reaction"]),
                ..Default::default()
            },
            EventFilter {
                senders: Some(list(&["@b:*"])),
                not_senders: list(&["*:evil"]),
                ..Default::default()
            },
            EventFilter {
                not_senders: list(&["@a:test"]),
                contains_url: Some(true),
                ..Default::default()
            },
            EventFilter {
                contains_url: Some(false),
                types: Some(list(&["m.*"])),
                ..Default::default()
            },
        ];
        for filter in &filters {
            let stored: Vec<String> = store
                .room_events(room, 0, None, true, 100, filter)
                .await
                .unwrap()
                .into_iter()
                .map(|e| e.event_id)
                .collect();
            let matched: Vec<String> = events
                .iter()
                .filter(|(_, kind, sender, url)| filter.matches(kind, sender, *url))
                .map(|(id, ..)| id.to_string())
                .collect();
            assert_eq!(stored, matched, "{filter:?}");
        }
    })
    .await;
}
