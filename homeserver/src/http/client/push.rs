//! Push rules (`/pushrules/…`) and `GET /notifications`. Do-not-disturb is made of these:
//! a room rule with no actions mutes a room, the `.m.rule.master` override mutes everything,
//! keyword content rules and mention rules pick what still notifies.

use axum::Router;
use ruma::{
    MilliSecondsSinceUnixEpoch, OwnedRoomId, UInt,
    api::client::push::{
        delete_pushrule::v3 as delete_rule, get_notifications::v3 as notifications,
        get_pushrule::v3 as get_rule, get_pushrule_actions::v3 as get_actions,
        get_pushrule_enabled::v3 as get_enabled, get_pushrules_all::v3 as all_rules,
        get_pushrules_global_scope::v3 as global_rules, set_pushrule::v3 as set_rule,
        set_pushrule_actions::v3 as set_actions, set_pushrule_enabled::v3 as set_enabled,
    },
    push::RuleKind,
};

use super::rooms::raw;
use crate::{
    http::{
        AppState,
        error::{Error, Result},
        ruma::{Ruma, RumaRouter},
    },
    rooms::parse_token,
    sync::SyncEngine,
};

pub fn routes(router: Router<AppState>) -> Router<AppState> {
    router
        .ruma(all)
        .ruma(global)
        .ruma(rule)
        .ruma(put_rule)
        .ruma(remove_rule)
        .ruma(enabled)
        .ruma(put_enabled)
        .ruma(actions)
        .ruma(put_actions)
        .ruma(list_notifications)
}

fn not_found() -> Error {
    Error::not_found("Push rule not found")
}

/// Only the spec's five kinds name rules.
fn kind_ok(kind: &RuleKind) -> Result<()> {
    match kind {
        RuleKind::Override
        | RuleKind::Content
        | RuleKind::Room
        | RuleKind::Sender
        | RuleKind::Underride => Ok(()),
        _ => Err(Error::invalid_param(format!("Unknown rule kind {kind}"))),
    }
}

async fn all(engine: SyncEngine, req: Ruma<all_rules::Request>) -> Result<all_rules::Response> {
    let rules = engine.ruleset(&req.sender()?.user_id).await?;
    Ok(all_rules::Response::new((*rules).clone()))
}

async fn global(
    engine: SyncEngine,
    req: Ruma<global_rules::Request>,
) -> Result<global_rules::Response> {
    let rules = engine.ruleset(&req.sender()?.user_id).await?;
    Ok(global_rules::Response::new((*rules).clone()))
}

async fn rule(engine: SyncEngine, req: Ruma<get_rule::Request>) -> Result<get_rule::Response> {
    kind_ok(&req.body.kind)?;
    let rules = engine.ruleset(&req.sender()?.user_id).await?;
    let found = rules
        .get(req.body.kind.clone(), &req.body.rule_id)
        .ok_or_else(not_found)?;
    Ok(get_rule::Response::new(found.to_owned().into()))
}

async fn put_rule(engine: SyncEngine, req: Ruma<set_rule::Request>) -> Result<set_rule::Response> {
    let body = &req.body;
    engine
        .put_rule(
            &req.sender()?.user_id,
            body.rule.clone(),
            body.before.as_deref(),
            body.after.as_deref(),
        )
        .await?;
    Ok(set_rule::Response::new())
}

async fn remove_rule(
    engine: SyncEngine,
    req: Ruma<delete_rule::Request>,
) -> Result<delete_rule::Response> {
    kind_ok(&req.body.kind)?;
    engine
        .delete_rule(
            &req.sender()?.user_id,
            req.body.kind.clone(),
            &req.body.rule_id,
        )
        .await?;
    Ok(delete_rule::Response::new())
}

async fn enabled(
    engine: SyncEngine,
    req: Ruma<get_enabled::Request>,
) -> Result<get_enabled::Response> {
    kind_ok(&req.body.kind)?;
    let rules = engine.ruleset(&req.sender()?.user_id).await?;
    let found = rules
        .get(req.body.kind.clone(), &req.body.rule_id)
        .ok_or_else(not_found)?;
    Ok(get_enabled::Response::new(found.enabled()))
}

async fn put_enabled(
    engine: SyncEngine,
    req: Ruma<set_enabled::Request>,
) -> Result<set_enabled::Response> {
    kind_ok(&req.body.kind)?;
    engine
        .set_rule_enabled(
            &req.sender()?.user_id,
            req.body.kind.clone(),
            &req.body.rule_id,
            req.body.enabled,
        )
        .await?;
    Ok(set_enabled::Response::new())
}

async fn actions(
    engine: SyncEngine,
    req: Ruma<get_actions::Request>,
) -> Result<get_actions::Response> {
    kind_ok(&req.body.kind)?;
    let rules = engine.ruleset(&req.sender()?.user_id).await?;
    let found = rules
        .get(req.body.kind.clone(), &req.body.rule_id)
        .ok_or_else(not_found)?;
    Ok(get_actions::Response::new(found.actions().to_vec()))
}

async fn put_actions(
    engine: SyncEngine,
    req: Ruma<set_actions::Request>,
) -> Result<set_actions::Response> {
    kind_ok(&req.body.kind)?;
    engine
        .set_rule_actions(
            &req.sender()?.user_id,
            req.body.kind.clone(),
            &req.body.rule_id,
            req.body.actions.clone(),
        )
        .await?;
    Ok(set_actions::Response::new())
}

async fn list_notifications(
    engine: SyncEngine,
    req: Ruma<notifications::Request>,
) -> Result<notifications::Response> {
    let body = &req.body;
    let from = body.from.as_deref().map(parse_token).transpose()?;
    let limit = body
        .limit
        .map_or(20, |l| u32::try_from(l).unwrap_or(u32::MAX))
        .clamp(1, 100);
    let only_highlight = body.only.as_deref() == Some("highlight");
    let user_id = &req.sender()?.user_id;
    let found = engine
        .notifications(user_id, from, limit, only_highlight)
        .await?;
    let next = (found.len() as u32 == limit)
        .then(|| {
            found
                .last()
                .map(|(n, _)| crate::rooms::token(n.event.stream_ordering))
        })
        .flatten();
    let mut list = Vec::with_capacity(found.len());
    for (n, read) in found {
        let room_id =
            OwnedRoomId::try_from(n.event.room_id.clone()).map_err(|_| Error::internal())?;
        let event = engine
            .rooms()
            .client_event(&room_id, n.event, user_id)
            .await?;
        let actions = serde_json::from_str(&n.actions).unwrap_or_default();
        let ts = MilliSecondsSinceUnixEpoch(UInt::new_saturating(n.ts.max(0) as u64));
        list.push(notifications::Notification::new(
            actions,
            raw(&event)?,
            read,
            room_id,
            ts,
        ));
    }
    let mut response = notifications::Response::new(list);
    response.next_token = next;
    Ok(response)
}
