//! Users, profiles, sessions, devices and user-interactive auth.

use super::*;

#[tokio::test]
async fn reopening_keeps_data_and_migrations_are_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/hearth.db", dir.path().display());
    let store = Store::open(&url, 2).await.unwrap();
    assert!(store.create_user(&alice(1)).await.unwrap());
    store.close().await;
    let store = Store::open(&url, 2).await.unwrap();
    assert!(store.user("@alice:test").await.unwrap().is_some());
}

#[tokio::test]
async fn create_user_then_read_it() {
    on_every_backend(|store| async move {
        assert!(store.user("@alice:test").await.unwrap().is_none());
        assert!(store.create_user(&alice(42)).await.unwrap());
        let user = store.user("@alice:test").await.unwrap().unwrap();
        assert_eq!(user.password_hash.as_deref(), Some("hash-a"));
        assert!(!user.is_admin);
        assert!(!user.deactivated);
        assert_eq!(user.created_ts, 42);
        let admin = NewUser {
            user_id: "@root:test",
            password_hash: None,
            is_admin: true,
            created_ts: 1,
        };
        assert!(store.create_user(&admin).await.unwrap());
        let root = store.user("@root:test").await.unwrap().unwrap();
        assert!(root.is_admin);
        assert_eq!(root.password_hash, None);
    })
    .await;
}

#[tokio::test]
async fn create_user_refuses_a_taken_id_and_changes_nothing() {
    on_every_backend(|store| async move {
        assert!(store.create_user(&alice(1)).await.unwrap());
        let again = NewUser {
            password_hash: Some("other"),
            ..alice(2)
        };
        assert!(!store.create_user(&again).await.unwrap());
        let user = store.user("@alice:test").await.unwrap().unwrap();
        assert_eq!(user.password_hash.as_deref(), Some("hash-a"));
        assert_eq!(user.created_ts, 1);
    })
    .await;
}

#[tokio::test]
async fn set_password_hash_replaces_it() {
    on_every_backend(|store| async move {
        store.create_user(&alice(1)).await.unwrap();
        store
            .set_password_hash("@alice:test", "hash-b")
            .await
            .unwrap();
        let user = store.user("@alice:test").await.unwrap().unwrap();
        assert_eq!(user.password_hash.as_deref(), Some("hash-b"));
    })
    .await;
}

#[tokio::test]
async fn deactivate_user_removes_credentials_but_keeps_the_id() {
    on_every_backend(|store| async move {
        store.create_user(&alice(1)).await.unwrap();
        store
            .start_session(&session("D1", "tok1", Some("ref1")))
            .await
            .unwrap();
        store
            .set_profile_field("@alice:test", "displayname", &json!("Alice"))
            .await
            .unwrap();
        store.deactivate_user("@alice:test").await.unwrap();
        let user = store.user("@alice:test").await.unwrap().unwrap();
        assert!(user.deactivated);
        assert_eq!(user.password_hash, None);
        assert!(store.access_token("tok1").await.unwrap().is_none());
        assert!(store.devices("@alice:test").await.unwrap().is_empty());
        assert!(store.profile("@alice:test").await.unwrap().is_empty());
        assert!(
            !store.create_user(&alice(2)).await.unwrap(),
            "IDs are never reused"
        );
        assert!(store.search_users("alice", 10).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn search_users_matches_id_and_display_name() {
    on_every_backend(|store| async move {
        for (id, name) in [
            ("@alice:test", Some("Alice Liddell")),
            ("@bob:test", Some("Bobby")),
            ("@carol:test", None),
            ("@a_b:test", None),
        ] {
            let user = NewUser {
                user_id: id,
                password_hash: None,
                is_admin: false,
                created_ts: 1,
            };
            store.create_user(&user).await.unwrap();
            if let Some(name) = name {
                store
                    .set_profile_field(id, "displayname", &json!(name))
                    .await
                    .unwrap();
            }
        }
        store
            .set_profile_field("@bob:test", "avatar_url", &json!("mxc://test/b"))
            .await
            .unwrap();
        let ids = |v: Vec<DirectoryEntry>| v.into_iter().map(|e| e.user_id).collect::<Vec<_>>();
        assert_eq!(
            ids(store.search_users("LIDDELL", 10).await.unwrap()),
            ["@alice:test"]
        );
        assert_eq!(
            ids(store.search_users("bob", 10).await.unwrap()),
            ["@bob:test"]
        );
        assert_eq!(
            ids(store.search_users("test", 2).await.unwrap()),
            ["@a_b:test", "@alice:test"]
        );
        // `_` is matched literally, not as a wildcard.
        assert_eq!(
            ids(store.search_users("a_b", 10).await.unwrap()),
            ["@a_b:test"]
        );
        assert!(store.search_users("%", 10).await.unwrap().is_empty());
        let bob = store.search_users("bobby", 10).await.unwrap().remove(0);
        assert_eq!(bob.displayname.as_deref(), Some("\"Bobby\""));
        assert_eq!(bob.avatar_url.as_deref(), Some("\"mxc://test/b\""));
    })
    .await;
}

#[tokio::test]
async fn profile_fields_round_trip() {
    on_every_backend(|store| async move {
        let user = "@alice:test";
        assert_eq!(
            store.profile_field(user, "displayname").await.unwrap(),
            None
        );
        store
            .set_profile_field(user, "displayname", &json!("Alice 🐇"))
            .await
            .unwrap();
        store
            .set_profile_field(user, "m.tz", &json!("Europe/London"))
            .await
            .unwrap();
        store
            .set_profile_field(user, "displayname", &json!("Alice"))
            .await
            .unwrap();
        assert_eq!(
            store.profile_field(user, "displayname").await.unwrap(),
            Some(json!("Alice"))
        );
        let profile = store.profile(user).await.unwrap();
        assert_eq!(profile.len(), 2);
        assert_eq!(profile["m.tz"], json!("Europe/London"));
        assert!(store.delete_profile_field(user, "m.tz").await.unwrap());
        assert!(!store.delete_profile_field(user, "m.tz").await.unwrap());
        assert_eq!(store.profile(user).await.unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn start_session_creates_device_and_token() {
    on_every_backend(|store| async move {
        store
            .start_session(&session("D1", "tok1", None))
            .await
            .unwrap();
        let info = store.access_token("tok1").await.unwrap().unwrap();
        assert_eq!(
            info,
            TokenInfo {
                user_id: "@alice:test".into(),
                device_id: "D1".into(),
                expires_ts: None
            }
        );
        let device = store.device("@alice:test", "D1").await.unwrap().unwrap();
        assert_eq!(device.display_name.as_deref(), Some("Phone"));
        assert_eq!(device.last_seen_ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(device.last_seen_ts, Some(1000));
        assert!(store.device("@alice:test", "D2").await.unwrap().is_none());
        assert!(store.device("@bob:test", "D1").await.unwrap().is_none());
    })
    .await;
}

#[tokio::test]
async fn reusing_a_device_replaces_its_tokens_and_keeps_its_name() {
    on_every_backend(|store| async move {
        store
            .start_session(&session("D1", "tok1", Some("ref1")))
            .await
            .unwrap();
        let again = NewSession {
            display_name: Some("Renamed?"),
            ..session("D1", "tok2", None)
        };
        store.start_session(&again).await.unwrap();
        assert!(store.access_token("tok1").await.unwrap().is_none());
        assert!(store.access_token("tok2").await.unwrap().is_some());
        let refreshed = store
            .refresh_session("ref1", "tok3", None, "ref2", 5)
            .await
            .unwrap();
        assert!(
            refreshed.is_none(),
            "old refresh token died with the old session"
        );
        let devices = store.devices("@alice:test").await.unwrap();
        assert_eq!(devices.len(), 1);
        assert_eq!(devices[0].display_name.as_deref(), Some("Phone"));
    })
    .await;
}

#[tokio::test]
async fn refresh_session_rotates_tokens_once() {
    on_every_backend(|store| async move {
        let first = NewSession {
            access_expires_ts: Some(2000),
            ..session("D1", "tok1", Some("ref1"))
        };
        store.start_session(&first).await.unwrap();
        assert_eq!(
            store
                .access_token("tok1")
                .await
                .unwrap()
                .unwrap()
                .expires_ts,
            Some(2000)
        );
        let info = store
            .refresh_session("ref1", "tok2", Some(9000), "ref2", 3000)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(info.device_id, "D1");
        assert_eq!(info.expires_ts, Some(9000));
        assert!(store.access_token("tok1").await.unwrap().is_none());
        assert_eq!(
            store
                .access_token("tok2")
                .await
                .unwrap()
                .unwrap()
                .expires_ts,
            Some(9000)
        );
        assert!(
            store
                .refresh_session("ref1", "tok3", None, "ref3", 4000)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            store.access_token("tok3").await.unwrap().is_none(),
            "a failed refresh writes nothing"
        );
        assert!(
            store
                .refresh_session("ref2", "tok4", None, "ref4", 4000)
                .await
                .unwrap()
                .is_some()
        );
    })
    .await;
}

#[tokio::test]
async fn devices_are_listed_renamed_and_touched() {
    on_every_backend(|store| async move {
        store
            .start_session(&session("B", "tokb", None))
            .await
            .unwrap();
        store
            .start_session(&NewSession {
                display_name: None,
                ..session("A", "toka", None)
            })
            .await
            .unwrap();
        let list = store.devices("@alice:test").await.unwrap();
        assert_eq!(
            list.iter()
                .map(|d| d.device_id.as_str())
                .collect::<Vec<_>>(),
            ["A", "B"]
        );
        assert_eq!(list[0].display_name, None);
        assert!(
            store
                .set_device_display_name("@alice:test", "A", Some("Laptop"))
                .await
                .unwrap()
        );
        assert!(
            !store
                .set_device_display_name("@alice:test", "Z", Some("x"))
                .await
                .unwrap()
        );
        store
            .touch_device("@alice:test", "A", "10.0.0.1", 7777)
            .await
            .unwrap();
        let a = store.device("@alice:test", "A").await.unwrap().unwrap();
        assert_eq!(a.display_name.as_deref(), Some("Laptop"));
        assert_eq!(a.last_seen_ip.as_deref(), Some("10.0.0.1"));
        assert_eq!(a.last_seen_ts, Some(7777));
        assert!(
            store
                .set_device_display_name("@alice:test", "A", None)
                .await
                .unwrap()
        );
        assert_eq!(
            store
                .device("@alice:test", "A")
                .await
                .unwrap()
                .unwrap()
                .display_name,
            None
        );
    })
    .await;
}

#[tokio::test]
async fn delete_devices_takes_their_tokens() {
    on_every_backend(|store| async move {
        for (d, t, r) in [("A", "ta", "ra"), ("B", "tb", "rb"), ("C", "tc", "rc")] {
            store.start_session(&session(d, t, Some(r))).await.unwrap();
        }
        store
            .delete_devices("@alice:test", &["A".into(), "missing".into()])
            .await
            .unwrap();
        assert!(store.access_token("ta").await.unwrap().is_none());
        assert!(
            store
                .refresh_session("ra", "x", None, "y", 1)
                .await
                .unwrap()
                .is_none()
        );
        assert!(store.access_token("tb").await.unwrap().is_some());
        store
            .delete_devices_except("@alice:test", Some("C"))
            .await
            .unwrap();
        assert!(store.access_token("tb").await.unwrap().is_none());
        assert!(store.access_token("tc").await.unwrap().is_some());
        assert_eq!(store.devices("@alice:test").await.unwrap().len(), 1);
        store
            .delete_devices_except("@alice:test", None)
            .await
            .unwrap();
        assert!(store.access_token("tc").await.unwrap().is_none());
        assert!(store.devices("@alice:test").await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn uia_sessions_track_completed_stages() {
    on_every_backend(|store| async move {
        let s = UiaSession {
            session_id: "S1".into(),
            kind: "register".into(),
            user_id: None,
            completed: vec![],
            created_ts: 100,
        };
        store.create_uia_session(&s).await.unwrap();
        let old = UiaSession {
            session_id: "S0".into(),
            user_id: Some("@a:test".into()),
            created_ts: 10,
            ..s.clone()
        };
        store.create_uia_session(&old).await.unwrap();
        assert_eq!(store.uia_session("S1").await.unwrap(), Some(s.clone()));
        assert_eq!(
            store
                .uia_session("S0")
                .await
                .unwrap()
                .unwrap()
                .user_id
                .as_deref(),
            Some("@a:test")
        );
        store
            .set_uia_completed("S1", &["m.login.dummy".into()])
            .await
            .unwrap();
        assert_eq!(
            store.uia_session("S1").await.unwrap().unwrap().completed,
            ["m.login.dummy"]
        );
        assert_eq!(store.delete_uia_sessions_before(50).await.unwrap(), 1);
        assert!(store.uia_session("S0").await.unwrap().is_none());
        store.delete_uia_session("S1").await.unwrap();
        assert!(store.uia_session("S1").await.unwrap().is_none());
    })
    .await;
}
