//! `/register`, `/register/available`, registration token validity, `/account/*`.

use axum::Router;
use ruma::api::client::account::{
    ThirdPartyIdRemovalStatus, change_password::v3 as change_password,
    check_registration_token_validity::v1 as token_validity, deactivate::v3 as deactivate,
    get_username_availability::v3 as availability, register::v3 as register, whoami::v3 as whoami,
};

use crate::{
    accounts::Accounts,
    config::valid_registration_token,
    http::{
        AppState,
        error::{Error, Result},
        ruma::{Ruma, RumaRouter},
    },
};

pub fn routes(router: Router<AppState>) -> Router<AppState> {
    router
        .ruma(register)
        .ruma(username_available)
        .ruma(registration_token_validity)
        .ruma(whoami)
        .ruma(change_password)
        .ruma(deactivate)
}

async fn register(accounts: Accounts, req: Ruma<register::Request>) -> Result<register::Response> {
    let registration = accounts.register(req.body, req.client_ip).await?;
    let mut response = register::Response::new(registration.user_id);
    if let Some(session) = registration.session {
        response.access_token = Some(session.access_token);
        response.device_id = Some(session.device_id);
        response.refresh_token = session.refresh_token;
        response.expires_in = session.expires_in;
    }
    Ok(response)
}

async fn username_available(
    accounts: Accounts,
    req: Ruma<availability::Request>,
) -> Result<availability::Response> {
    accounts
        .check_username_available(&req.body.username, req.client_ip)
        .await?;
    Ok(availability::Response::new(true))
}

async fn registration_token_validity(
    state: AppState,
    req: Ruma<token_validity::Request>,
) -> Result<token_validity::Response> {
    let token = &req.body.token;
    if !valid_registration_token(token) {
        return Err(Error::invalid_param("Malformed registration token"));
    }
    Ok(token_validity::Response::new(
        state.accounts.registration_token_valid(token),
    ))
}

async fn whoami(_: AppState, req: Ruma<whoami::Request>) -> Result<whoami::Response> {
    let sender = req.sender()?;
    let mut response = whoami::Response::new(sender.user_id.clone(), false);
    response.device_id = Some(sender.device_id.clone());
    Ok(response)
}

async fn change_password(
    accounts: Accounts,
    req: Ruma<change_password::Request>,
) -> Result<change_password::Response> {
    let body = &req.body;
    accounts
        .change_password(
            req.sender()?,
            &body.new_password,
            body.logout_devices,
            body.auth.as_ref(),
        )
        .await?;
    Ok(change_password::Response::new())
}

async fn deactivate(
    accounts: Accounts,
    req: Ruma<deactivate::Request>,
) -> Result<deactivate::Response> {
    accounts
        .deactivate(req.sender()?, req.body.auth.as_ref())
        .await?;
    Ok(deactivate::Response::new(
        ThirdPartyIdRemovalStatus::NoSupport,
    ))
}
