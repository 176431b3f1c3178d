//! `GET/POST /login`, `POST /refresh`, `POST /logout`, `POST /logout/all`.

use axum::Router;
use ruma::{
    OwnedServerName,
    api::client::session::{
        get_login_types::v3::{self as login_types, LoginType, PasswordLoginType},
        login::v3::{self as login, DiscoveryInfo, HomeserverInfo},
        logout::v3 as logout,
        logout_all::v3 as logout_all,
        refresh_token::v3 as refresh,
    },
};

use crate::{
    accounts::{Accounts, LoginRequest},
    http::{
        AppState,
        error::Result,
        ruma::{Ruma, RumaRouter},
    },
};

pub fn routes(router: Router<AppState>) -> Router<AppState> {
    router
        .ruma(login_types)
        .ruma(login)
        .ruma(refresh)
        .ruma(logout)
        .ruma(logout_all)
}

async fn login_types(_: AppState, _: Ruma<login_types::Request>) -> Result<login_types::Response> {
    Ok(login_types::Response::new(vec![LoginType::Password(
        PasswordLoginType::new(),
    )]))
}

async fn login(state: AppState, req: Ruma<login::Request>) -> Result<login::Response> {
    let body = &req.body;
    let (user_id, session) = state
        .accounts
        .login(LoginRequest {
            info: &body.login_info,
            device_id: body.device_id.clone(),
            initial_device_display_name: body.initial_device_display_name.as_deref(),
            refresh_token: body.refresh_token,
            ip: req.client_ip,
        })
        .await?;
    let server_name: OwnedServerName = user_id.server_name().to_owned();
    let mut response = login::Response::new(user_id, session.access_token, session.device_id);
    #[allow(deprecated)]
    {
        response.home_server = Some(server_name);
    }
    response.well_known = Some(DiscoveryInfo::new(HomeserverInfo::new(
        state.server.public_baseurl.clone(),
    )));
    response.refresh_token = session.refresh_token;
    response.expires_in = session.expires_in;
    Ok(response)
}

async fn refresh(accounts: Accounts, req: Ruma<refresh::Request>) -> Result<refresh::Response> {
    let session = accounts.refresh(&req.body.refresh_token).await?;
    let mut response = refresh::Response::new(session.access_token);
    response.refresh_token = session.refresh_token;
    response.expires_in_ms = session.expires_in;
    Ok(response)
}

async fn logout(accounts: Accounts, req: Ruma<logout::Request>) -> Result<logout::Response> {
    accounts.logout(req.sender()?).await?;
    Ok(logout::Response::new())
}

async fn logout_all(
    accounts: Accounts,
    req: Ruma<logout_all::Request>,
) -> Result<logout_all::Response> {
    accounts.logout_all(req.sender()?).await?;
    Ok(logout_all::Response::new())
}
