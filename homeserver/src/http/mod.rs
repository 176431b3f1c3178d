//! The HTTP edge: routing, request parsing, errors, CORS, tracing and metrics.

pub mod client;
pub mod error;
pub mod metrics;
pub mod ruma;
pub mod web;
pub mod ws;

use std::{sync::Arc, time::Instant};

use ::ruma::{OwnedUserId, UserId};
use axum::{
    Router,
    extract::{FromRef, Request, State},
    middleware::{self, Next},
    response::{IntoResponse, Response},
};
use http::{HeaderValue, Method, StatusCode, header};
use tracing::Instrument;

use self::metrics::Metrics;
use crate::{
    accounts::Accounts,
    config::Config,
    media::Media,
    profiles::Profiles,
    rooms::Rooms,
    storage::{StorageError, Store},
    sync::{Streams, SyncEngine},
};

/// Shared state; handlers take only the parts they use through `FromRef`. One `Arc`, as
/// axum clones the state for every request and middleware.
#[derive(Clone)]
pub struct AppState(Arc<Services>);

impl std::ops::Deref for AppState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0
    }
}

/// What the handlers serve requests with.
pub struct Services {
    pub accounts: Accounts,
    pub profiles: Profiles,
    pub rooms: Rooms,
    pub sync: SyncEngine,
    pub media: Media,
    /// The web client's files, when served.
    pub web: Option<web::WebClient>,
    pub server: Arc<ServerInfo>,
    pub max_request_bytes: usize,
    pub websocket: ws::WebSocketSettings,
}

/// Facts about this server that discovery endpoints report.
#[derive(Debug)]
pub struct ServerInfo {
    pub public_baseurl: String,
}

impl AppState {
    pub async fn new(
        store: Store,
        config: &Config,
        signing_key: hearth_federation::keys::SigningKey,
    ) -> Result<Self, StorageError> {
        let streams = Streams::load(&store).await?;
        let accounts = Accounts::new(store.clone(), config).with_streams(streams.clone());
        let rooms = Rooms::new(store.clone(), config, signing_key, streams);
        let sync = SyncEngine::new(store.clone(), rooms.clone())
            .await
            .map_err(|e| StorageError::Corrupt(format!("cannot start the sync engine: {e:?}")))?;
        let media =
            Media::new(store.clone(), &config.media, &config.server_name()).map_err(|e| {
                StorageError::Corrupt(format!(
                    "cannot open the media store at {}: {e}",
                    config.media.path.display()
                ))
            })?;
        Ok(Self(Arc::new(Services {
            web: web::WebClient::new(&config.web),
            media,
            accounts,
            profiles: Profiles::new(store, config.server_name()),
            rooms,
            sync,
            server: Arc::new(ServerInfo {
                public_baseurl: config.server.public_baseurl.clone(),
            }),
            max_request_bytes: config.limits.max_request_bytes,
            websocket: ws::WebSocketSettings {
                ping: std::time::Duration::from_secs(config.sync.websocket_ping_secs),
                timeout: std::time::Duration::from_secs(config.sync.websocket_timeout_secs),
            },
        })))
    }
}

impl FromRef<AppState> for Accounts {
    fn from_ref(state: &AppState) -> Self {
        state.accounts.clone()
    }
}
impl FromRef<AppState> for Profiles {
    fn from_ref(state: &AppState) -> Self {
        state.profiles.clone()
    }
}
impl FromRef<AppState> for Media {
    fn from_ref(state: &AppState) -> Self {
        state.media.clone()
    }
}
impl FromRef<AppState> for Rooms {
    fn from_ref(state: &AppState) -> Self {
        state.rooms.clone()
    }
}
impl FromRef<AppState> for SyncEngine {
    fn from_ref(state: &AppState) -> Self {
        state.sync.clone()
    }
}
impl FromRef<AppState> for Arc<ServerInfo> {
    fn from_ref(state: &AppState) -> Self {
        state.server.clone()
    }
}

/// The route template that answered, left in the response for metrics and the access log.
#[derive(Clone, Copy, Debug)]
pub struct RouteName {
    pub path: &'static str,
    /// Mounted with [`ruma::RumaRouter::ruma_polled`]: successes log at DEBUG.
    pub polled: bool,
}

/// The Client-Server API application.
pub fn client_app(state: AppState, metrics: Arc<Metrics>) -> Router {
    ws::routes(client::routes(Router::new()))
        .fallback(|State(state): State<AppState>, req: Request| {
            web::fallback(state.web.clone(), req)
        })
        .method_not_allowed_fallback(ruma::unrecognized_method)
        .with_state(state)
        .layer(middleware::from_fn(cors))
        .layer(middleware::from_fn_with_state(metrics, observe))
}

/// CORS as the spec asks, so browser clients on any origin work; preflights end here.
async fn cors(req: Request, next: Next) -> Response {
    let mut response = if req.method() == Method::OPTIONS {
        StatusCode::NO_CONTENT.into_response()
    } else {
        next.run(req).await
    };
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, PUT, DELETE, OPTIONS"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("X-Requested-With, Content-Type, Authorization"),
    );
    response
}

/// Who made a request, once authenticated: filled in when the request authenticates, read by
/// [`observe`] for the request's log line.
#[derive(Clone, Default)]
pub struct RequestUser(Arc<std::sync::OnceLock<OwnedUserId>>);

impl RequestUser {
    pub fn set(&self, user_id: &UserId) {
        let _ = self.0.set(user_id.to_owned());
    }
}

/// One log line per request (method, path, user, status, latency) and its metrics. Logs
/// written while the request runs carry a `request` span at DEBUG level only: at INFO, a span
/// whose fields are filled in later costs more than the line itself.
async fn observe(State(metrics): State<Arc<Metrics>>, mut req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let uri = req.uri().clone();
    let user = RequestUser::default();
    req.extensions_mut().insert(user.clone());
    let span = tracing::debug_span!("request", method = %method, path = %uri.path());
    let start = Instant::now();
    let response = next.run(req).instrument(span).await;
    let elapsed = start.elapsed();
    let status = response.status();
    let (route, polled) = response
        .extensions()
        .get::<RouteName>()
        .map_or(("unmatched", false), |r| (r.path, r.polled));
    macro_rules! handled {
        ($level:expr) => {
            tracing::event!(
                $level,
                method = %method,
                path = %uri.path(),
                user = user.0.get().map(tracing::field::display),
                status = status.as_u16(),
                latency_ms = %format_args!("{:.3}", elapsed.as_secs_f64() * 1000.0),
                "handled"
            )
        };
    }
    // Polled routes are most requests under load: at INFO their lines were most of the
    // log and their formatting ~5 % of server CPU.
    if status.is_success() && polled {
        handled!(tracing::Level::DEBUG);
    } else {
        handled!(tracing::Level::INFO);
    }
    metrics.observe(method.as_str(), route, status.as_u16(), elapsed);
    response
}
