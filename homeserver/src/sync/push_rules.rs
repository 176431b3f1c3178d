//! Push rule management (`/pushrules/…`) and notifications (`GET /notifications`, unread
//! counts in sync). Rules are stored as the user's `m.push_rules` account data, so clients
//! also receive them through sync as the spec expects.

use std::sync::Arc;

use ruma::{
    UserId,
    push::{Action, InsertPushRuleError, NewPushRule, RemovePushRuleError, RuleKind, Ruleset},
};
use serde_json::json;

use super::SyncEngine;
use crate::{
    http::error::{Error, Result},
    rooms::push::PUSH_RULES,
    storage::{Notification, PushStore, ReceiptStore},
};

fn not_found() -> Error {
    Error::not_found("Push rule not found")
}

impl SyncEngine {
    pub async fn ruleset(&self, user_id: &UserId) -> Result<Arc<Ruleset>> {
        self.rooms.ruleset(user_id).await
    }

    /// Applies `change` to a copy of the user's rules, stores and caches the result.
    async fn change_rules(
        &self,
        user_id: &UserId,
        change: impl FnOnce(&mut Ruleset) -> Result<()>,
    ) -> Result<()> {
        let mut ruleset = (*self.ruleset(user_id).await?).clone();
        change(&mut ruleset)?;
        let content = json!({ "global": ruleset });
        self.set_account_data(user_id, None, PUSH_RULES, &content)
            .await?;
        self.rooms.remember_ruleset(user_id, Arc::new(ruleset));
        Ok(())
    }

    /// `PUT /pushrules/global/{kind}/{ruleId}` (with `before`/`after`).
    pub async fn put_rule(
        &self,
        user_id: &UserId,
        rule: NewPushRule,
        before: Option<&str>,
        after: Option<&str>,
    ) -> Result<()> {
        self.change_rules(user_id, |rules| {
            rules.insert(rule, after, before).map_err(|e| match e {
                InsertPushRuleError::UnknownRuleId => {
                    Error::not_found("The rule named in before/after does not exist")
                }
                other => Error::invalid_param(other.to_string()),
            })
        })
        .await
    }

    /// `DELETE /pushrules/global/{kind}/{ruleId}`.
    pub async fn delete_rule(&self, user_id: &UserId, kind: RuleKind, rule_id: &str) -> Result<()> {
        self.change_rules(user_id, |rules| {
            rules.remove(kind, rule_id).map_err(|e| match e {
                RemovePushRuleError::ServerDefault => {
                    Error::invalid_param("Server-default rules cannot be deleted")
                }
                _ => not_found(),
            })
        })
        .await
    }

    /// `PUT /pushrules/global/{kind}/{ruleId}/enabled`.
    pub async fn set_rule_enabled(
        &self,
        user_id: &UserId,
        kind: RuleKind,
        rule_id: &str,
        enabled: bool,
    ) -> Result<()> {
        self.change_rules(user_id, |rules| {
            rules
                .set_enabled(kind, rule_id, enabled)
                .map_err(|_| not_found())
        })
        .await
    }

    /// `PUT /pushrules/global/{kind}/{ruleId}/actions`.
    pub async fn set_rule_actions(
        &self,
        user_id: &UserId,
        kind: RuleKind,
        rule_id: &str,
        actions: Vec<Action>,
    ) -> Result<()> {
        self.change_rules(user_id, |rules| {
            rules
                .set_actions(kind, rule_id, actions)
                .map_err(|_| not_found())
        })
        .await
    }

    /// The stream position of the user's latest read receipt (public or private) in a room.
    async fn read_up_to(&self, user_id: &UserId, room_id: &str) -> Result<i64> {
        let mut read = 0;
        for kind in ["m.read", "m.read.private"] {
            if let Some(r) = self.store.receipt(room_id, kind, user_id.as_str()).await? {
                read = read.max(r.event_pos);
            }
        }
        Ok(read)
    }

    /// `GET /notifications`: newest first below `from`, with whether each was read.
    pub async fn notifications(
        &self,
        user_id: &UserId,
        from: Option<i64>,
        limit: u32,
        only_highlight: bool,
    ) -> Result<Vec<(Notification, bool)>> {
        let found = self
            .store
            .notifications(
                user_id.as_str(),
                from.unwrap_or(i64::MAX),
                limit,
                only_highlight,
            )
            .await?;
        let mut out = Vec::with_capacity(found.len());
        for n in found {
            let read = self.read_up_to(user_id, &n.event.room_id).await?;
            let is_read = n.event.stream_ordering <= read;
            out.push((n, is_read));
        }
        Ok(out)
    }
}
