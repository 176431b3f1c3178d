//! Serves the built web client (`web/dist`) under a configurable path, so one `hearth`
//! process brings up server and client together.

use std::convert::Infallible;

use axum::{
    extract::Request,
    response::{IntoResponse, Response},
};
use http::{HeaderValue, StatusCode, header};
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

use super::ruma::unrecognized_path;
use crate::config::WebConfig;

/// The web client's files, or `None` when it is off or not built.
#[derive(Clone)]
pub struct WebClient {
    prefix: String,
    files: ServeDir<ServeFile>,
}

impl WebClient {
    pub fn new(config: &WebConfig) -> Option<Self> {
        if !config.enabled {
            return None;
        }
        let index = config.dir.join("index.html");
        if !index.is_file() {
            tracing::warn!(
                dir = %config.dir.display(),
                "the web client is not built; run `npm --prefix web ci && npm --prefix web run build`"
            );
            return None;
        }
        let prefix = config.path.trim_end_matches('/').to_owned();
        // Unknown paths get index.html: the client routes them itself.
        let files = ServeDir::new(&config.dir).fallback(ServeFile::new(index));
        Some(Self { prefix, files })
    }

    /// Answers `req` from the client's files when its path is the client's, else `None`.
    async fn serve(&self, req: Request) -> Option<Response> {
        let path = req.uri().path().to_owned();
        let rest = path.strip_prefix(&self.prefix)?;
        if !(rest.is_empty() || rest.starts_with('/')) {
            return None;
        }
        if rest.is_empty() {
            // `/web` → `/web/`, so the page's relative asset paths resolve.
            let location = format!("{}/", self.prefix);
            return Some(
                (
                    StatusCode::PERMANENT_REDIRECT,
                    [(header::LOCATION, location)],
                )
                    .into_response(),
            );
        }
        let (mut parts, body) = req.into_parts();
        parts.uri = rest.parse().ok()?;
        let req = Request::from_parts(parts, body);
        let result: Result<_, Infallible> = self.files.clone().oneshot(req).await;
        let Ok(response) = result;
        let mut response = response.map(axum::body::Body::new);
        let headers = response.headers_mut();
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        // Built assets carry a content hash in their names; the page itself must be fresh.
        let cache = if rest.starts_with("/assets/") {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
        Some(response)
    }
}

/// What no API route answers: the web client's files, or `M_UNRECOGNIZED`. API paths never
/// fall through to the client, so a typo in an API call is still a Matrix error.
pub async fn fallback(web: Option<WebClient>, req: Request) -> Response {
    let path = req.uri().path();
    let api = path.starts_with("/_matrix/") || path.starts_with("/.well-known/");
    if !api
        && matches!(*req.method(), http::Method::GET | http::Method::HEAD)
        && let Some(web) = web
        && let Some(response) = web.serve(req).await
    {
        return response;
    }
    unrecognized_path().await.into_response()
}
