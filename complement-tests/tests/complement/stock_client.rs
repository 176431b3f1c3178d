//! The acceptance walk-through, driven with ruma's typed client requests (the
//! request types matrix-rust-sdk itself sends).

use complement_tests::{Deployment, PASSWORD, must};
use ruma::{
    UserId,
    api::client::{
        account::register::v3 as register,
        account::whoami::v3 as whoami,
        device::get_devices::v3 as get_devices,
        profile::{get_profile::v3 as get_profile, set_profile_field::v3 as set_profile_field},
        session::{login::v3 as login, logout::v3 as logout},
        uiaa::{AuthData, Dummy, MatrixUserIdentifier, UserIdentifier},
    },
    profile::ProfileFieldValue,
};

#[tokio::test]
async fn two_users_register_log_in_set_profiles_and_log_out() {
    let hs = Deployment::one().await;
    let anonymous = hs.client();
    let mut sessions = Vec::new();
    for name in ["alice", "bob"] {
        let mut req = register::Request::new();
        req.username = Some(name.to_owned());
        req.password = Some(PASSWORD.to_owned());
        req.auth = Some(AuthData::Dummy(Dummy::new()));
        let registered = must(anonymous.send(req).await);
        let token = registered.access_token.expect("token");
        sessions.push(anonymous.with_token(Some(&token)));
    }

    let login_req = login::Request::new(login::LoginInfo::Password(login::Password::new(
        UserIdentifier::Matrix(MatrixUserIdentifier::new("alice".to_owned())),
        PASSWORD.to_owned(),
    )));
    let second = must(anonymous.send(login_req).await);
    let alice_laptop = anonymous.with_token(Some(&second.access_token));

    let alice_id = UserId::parse("@alice:hs1").unwrap();
    let set = set_profile_field::Request::new(
        alice_id.clone(),
        ProfileFieldValue::DisplayName("Alice".to_owned()),
    );
    must(sessions[0].send(set).await);
    let profile = must(
        sessions[1]
            .send(get_profile::Request::new(alice_id.clone()))
            .await,
    );
    assert_eq!(
        profile.get("displayname"),
        Some(&serde_json::json!("Alice"))
    );

    let devices = must(alice_laptop.send(get_devices::Request::new()).await);
    assert_eq!(devices.devices.len(), 2);

    must(sessions[0].send(logout::Request::new()).await);
    let err = sessions[0].send(whoami::Request::new()).await.unwrap_err();
    assert!(err.to_string().contains("M_UNKNOWN_TOKEN"), "{err}");
    let me = must(alice_laptop.send(whoami::Request::new()).await);
    assert_eq!(me.user_id, alice_id);
    must(sessions[1].send(whoami::Request::new()).await);
}
