//! User-Interactive Authentication: offers flows, validates one stage per request,
//! remembers completed stages in the database, and lets the request through once a
//! whole flow is complete.

use http::StatusCode;
use ruma::api::{
    client::uiaa::{AuthData, AuthFlow, AuthType, UiaaInfo, UserIdentifier},
    error::{ErrorKind, StandardErrorBody},
};
use serde_json::{json, value::to_raw_value};

use super::{Accounts, credentials};
use crate::{
    http::error::{Error, Result},
    storage::{UiaSession, UiaStore, UserStore, now_ms},
};

/// Sessions older than this are forgotten.
const SESSION_LIFETIME_MS: i64 = 30 * 60 * 1000;

/// What an endpoint protected by User-Interactive Auth asks for.
pub struct UiaRequest<'a> {
    /// Names the endpoint; a session started for one endpoint is refused by another.
    pub kind: &'static str,
    /// The account the request acts on, when there is one (password stages must match it).
    pub user_id: Option<&'a str>,
    pub flows: Vec<Vec<AuthType>>,
    pub auth: Option<&'a AuthData>,
}

impl Accounts {
    /// Succeeds once `req.auth` completes one of `req.flows`; otherwise fails with the
    /// 401 challenge (or the error of the stage just attempted).
    pub async fn user_interactive_auth(&self, req: UiaRequest<'_>) -> Result<()> {
        let now = now_ms();
        self.store
            .delete_uia_sessions_before(now - SESSION_LIFETIME_MS)
            .await?;

        let Some(auth) = req.auth else {
            let session = self.new_uia_session(&req, now).await?;
            return Err(Error::uiaa(challenge(&req, &session, &[], None)));
        };
        let session = match auth.session() {
            Some(id) => {
                let session = self.store.uia_session(id).await?;
                match session {
                    Some(s) if s.kind == req.kind && s.user_id.as_deref() == req.user_id => s,
                    _ => {
                        return Err(Error::new(
                            StatusCode::BAD_REQUEST,
                            ErrorKind::Unknown,
                            "Unknown or mismatched UIA session",
                        ));
                    }
                }
            }
            None => self.new_uia_session(&req, now).await?,
        };

        let stage = auth.auth_type();
        let offered = req
            .flows
            .iter()
            .flatten()
            .any(|t| Some(t) == stage.as_ref());
        let stage = match (stage, offered) {
            (Some(stage), true) => stage,
            _ => {
                let error = stage_error(ErrorKind::Unrecognized, "This stage is not offered here");
                return Err(Error::uiaa(challenge(
                    &req,
                    &session,
                    &session.completed,
                    Some(error),
                )));
            }
        };
        if let Err(error) = self.check_stage(&req, auth).await? {
            return Err(Error::uiaa(challenge(
                &req,
                &session,
                &session.completed,
                Some(error),
            )));
        }

        let mut completed = session.completed.clone();
        if !completed.iter().any(|c| c == stage.as_str()) {
            completed.push(stage.as_str().to_owned());
        }
        let done = req.flows.iter().any(|flow| {
            flow.iter()
                .all(|t| completed.iter().any(|c| c == t.as_str()))
        });
        if done {
            self.store.delete_uia_session(&session.session_id).await?;
            Ok(())
        } else {
            self.store
                .set_uia_completed(&session.session_id, &completed)
                .await?;
            Err(Error::uiaa(challenge(&req, &session, &completed, None)))
        }
    }

    async fn new_uia_session(&self, req: &UiaRequest<'_>, now: i64) -> Result<UiaSession> {
        let session = UiaSession {
            session_id: credentials::random_id(24),
            kind: req.kind.to_owned(),
            user_id: req.user_id.map(str::to_owned),
            completed: vec![],
            created_ts: now,
        };
        self.store.create_uia_session(&session).await?;
        Ok(session)
    }

    /// `Ok(Err(body))` when the stage itself was attempted and failed.
    async fn check_stage(
        &self,
        req: &UiaRequest<'_>,
        auth: &AuthData,
    ) -> Result<Result<(), StandardErrorBody>> {
        Ok(match auth {
            AuthData::Dummy(_) => Ok(()),
            AuthData::RegistrationToken(t) => {
                if self.registration_token_valid(&t.token) {
                    Ok(())
                } else {
                    Err(stage_error(
                        ErrorKind::Unauthorized,
                        "Invalid registration token",
                    ))
                }
            }
            AuthData::Password(p) => {
                let claimed = match &p.identifier {
                    UserIdentifier::Matrix(id) => self.resolve_user_id(&id.user).ok(),
                    _ => None,
                };
                let expected = req.user_id;
                let user = match (&claimed, expected) {
                    (Some(claimed), Some(expected)) if claimed.as_str() == expected => {
                        self.store.user(expected).await?
                    }
                    _ => None,
                };
                let hash = user.as_ref().and_then(|u| u.password_hash.as_deref());
                if credentials::verify_password(&p.password, hash).await {
                    Ok(())
                } else {
                    Err(stage_error(ErrorKind::Forbidden, "Invalid password"))
                }
            }
            _ => Err(stage_error(
                ErrorKind::Unrecognized,
                "Unsupported authentication stage",
            )),
        })
    }
}

fn challenge(
    req: &UiaRequest<'_>,
    session: &UiaSession,
    completed: &[String],
    error: Option<StandardErrorBody>,
) -> UiaaInfo {
    let flows = req
        .flows
        .iter()
        .map(|stages| AuthFlow::new(stages.clone()))
        .collect();
    let mut info = UiaaInfo::new(flows);
    info.session = Some(session.session_id.clone());
    info.completed = completed
        .iter()
        .map(|c| AuthType::from(c.as_str()))
        .collect();
    info.params = to_raw_value(&json!({})).ok();
    info.auth_error = error.map(Box::new);
    info
}

fn stage_error(kind: ErrorKind, message: &str) -> StandardErrorBody {
    StandardErrorBody::new(kind, message.to_owned())
}
