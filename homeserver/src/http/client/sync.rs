//! `GET /sync` and the filters it uses (`POST/GET /user/{userId}/filter`).

use std::time::Duration;

use axum::Router;
use ruma::{
    UserId,
    api::client::{
        filter::{
            FilterDefinition, create_filter::v3 as create_filter, get_filter::v3 as get_filter,
        },
        sync::sync_events::v3::{self as sync_events, Filter},
    },
};

use crate::{
    accounts::Sender,
    http::{
        AppState,
        error::{Error, Result},
        ruma::{Ruma, RumaRouter},
    },
    sync::{SyncEngine, SyncParams, SyncToken},
};

/// Longest a long-poll waits, whatever the client asks.
const MAX_TIMEOUT: Duration = Duration::from_secs(120);

pub fn routes(router: Router<AppState>) -> Router<AppState> {
    router.ruma_polled(sync).ruma(new_filter).ruma(filter)
}

/// Requests about a user's own data are made by that user.
pub fn own(sender: &Sender, user_id: &UserId) -> Result<()> {
    if sender.user_id != user_id {
        return Err(Error::forbidden("You cannot act for another user"));
    }
    Ok(())
}

/// A sync filter given inline or by ID.
pub async fn resolve_filter(
    engine: &SyncEngine,
    user_id: &UserId,
    filter: Option<&Filter>,
) -> Result<FilterDefinition> {
    match filter {
        None => Ok(FilterDefinition::default()),
        Some(Filter::FilterDefinition(definition)) => Ok(definition.clone()),
        Some(Filter::FilterId(id)) => engine
            .filter(user_id, id)
            .await
            .map(|filter| FilterDefinition::clone(&filter))
            .map_err(|_| Error::invalid_param(format!("Unknown filter {id}"))),
        Some(_) => Err(Error::invalid_param("Unsupported filter")),
    }
}

/// Parses a sync token a client sent back.
pub fn parse_since(since: Option<&str>) -> Result<Option<SyncToken>> {
    since
        .map(|s| SyncToken::parse(s).ok_or_else(|| Error::invalid_param("Invalid since token")))
        .transpose()
}

async fn sync(
    engine: SyncEngine,
    req: Ruma<sync_events::Request>,
) -> Result<sync_events::Response> {
    let sender = req.sender()?;
    let body = &req.body;
    super::ephemeral::check_presence(&body.set_presence)?;
    let params = SyncParams {
        user_id: sender.user_id.clone(),
        device_id: sender.device_id.to_string(),
        since: parse_since(body.since.as_deref())?,
        full_state: body.full_state,
        filter: resolve_filter(&engine, &sender.user_id, body.filter.as_ref()).await?,
        use_state_after: body.use_state_after,
    };
    let timeout = body.timeout.unwrap_or_default().min(MAX_TIMEOUT);
    engine.sync(&params, timeout, &body.set_presence).await
}

async fn new_filter(
    engine: SyncEngine,
    req: Ruma<create_filter::Request>,
) -> Result<create_filter::Response> {
    own(req.sender()?, &req.body.user_id)?;
    let id = engine
        .create_filter(&req.body.user_id, &req.body.filter)
        .await?;
    Ok(create_filter::Response::new(id))
}

async fn filter(
    engine: SyncEngine,
    req: Ruma<get_filter::Request>,
) -> Result<get_filter::Response> {
    own(req.sender()?, &req.body.user_id)?;
    let filter = engine
        .filter(&req.body.user_id, &req.body.filter_id)
        .await?;
    Ok(get_filter::Response::new(FilterDefinition::clone(&filter)))
}
