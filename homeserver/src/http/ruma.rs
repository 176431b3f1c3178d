//! The `Ruma<T>` extractor and route mounting from ruma's endpoint metadata, so no path,
//! method or historic version is typed by hand.

use std::{
    future::Future,
    net::{IpAddr, Ipv4Addr, SocketAddr},
};

use axum::{
    Router,
    extract::{ConnectInfo, FromRef, FromRequestParts, RawPathParams, Request, State},
    response::{IntoResponse, Response},
    routing::{MethodFilter, on},
};
use http::{StatusCode, header::CONTENT_LENGTH};
use ruma::api::{
    IncomingRequest, IncomingRequestExt, Metadata, OutgoingResponseExt,
    auth_scheme::{
        AccessToken, AccessTokenOptional, AppserviceTokenOptional, NoAccessToken, NoAuthentication,
        extract_bearer_or_query_token,
    },
    path_builder::PathBuilder,
};

use super::{
    AppState, RouteName,
    error::{Error, Result},
};
use crate::accounts::Sender;

/// A parsed, authenticated Client-Server request.
pub struct Ruma<T> {
    pub body: T,
    pub sender: Option<Sender>,
    pub client_ip: IpAddr,
    /// The request body as received, for the rare extension field ruma's types drop.
    pub raw_body: bytes::Bytes,
    /// The request headers, for endpoints that answer with more than ruma's response
    /// (`Range` on media downloads).
    pub headers: http::HeaderMap,
}

impl<T> Ruma<T> {
    /// The authenticated sender; always present on endpoints that require a token.
    pub fn sender(&self) -> Result<&Sender> {
        self.sender.as_ref().ok_or_else(Error::missing_token)
    }
}

/// How an endpoint's ruma authentication scheme treats the access token.
pub trait AuthRequirement {
    /// `None`: ignored; `Some(true)`: required; `Some(false)`: used when present.
    const TOKEN: Option<bool>;
}
impl AuthRequirement for NoAuthentication {
    const TOKEN: Option<bool> = None;
}
impl AuthRequirement for NoAccessToken {
    const TOKEN: Option<bool> = None;
}
impl AuthRequirement for AccessToken {
    const TOKEN: Option<bool> = Some(true);
}
impl AuthRequirement for AccessTokenOptional {
    const TOKEN: Option<bool> = Some(false);
}
/// `/register` and `/login` take an application service's token; until application
/// services land, a token there is ignored as on any unauthenticated endpoint.
impl AuthRequirement for AppserviceTokenOptional {
    const TOKEN: Option<bool> = None;
}

/// Authenticates a request per its endpoint's scheme.
async fn authenticate<A: AuthRequirement>(
    parts: &http::request::Parts,
    state: &AppState,
) -> Result<Option<Sender>> {
    let Some(required) = A::TOKEN else {
        return Ok(None);
    };
    // ruma reads the token from a request; only the URI and this header matter to it.
    let mut probe = http::Request::new(());
    *probe.uri_mut() = parts.uri.clone();
    if let Some(value) = parts.headers.get(http::header::AUTHORIZATION) {
        probe
            .headers_mut()
            .insert(http::header::AUTHORIZATION, value.clone());
    }
    let token = extract_bearer_or_query_token(&probe).map_err(|_| Error::unknown_token(false))?;
    let sender = match token {
        Some(token) => state.accounts.authenticate(&token).await?,
        None if required => return Err(Error::missing_token()),
        None => return Ok(None),
    };
    if let Some(user) = parts.extensions.get::<super::RequestUser>() {
        user.set(&sender.user_id);
    }
    Ok(Some(sender))
}

/// The values of a matched route's path parameters, in order.
async fn path_args(parts: &mut http::request::Parts, state: &AppState) -> Result<Vec<String>> {
    RawPathParams::from_request_parts(parts, state)
        .await
        .map(|params| params.iter().map(|(_, v)| v.to_owned()).collect())
        .map_err(|e| Error::invalid_param(e.to_string()))
}

impl<T> Ruma<T>
where
    T: IncomingRequest,
    T::Authentication: AuthRequirement,
{
    async fn extract(req: Request, state: &AppState) -> Result<Self> {
        let (mut parts, body) = req.into_parts();
        let path_args = path_args(&mut parts, state).await?;
        let client_ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::LOCALHOST), |c| c.0.ip());
        let sender = authenticate::<T::Authentication>(&parts, state).await?;

        let limit = state.max_request_bytes;
        let declared = parts
            .headers
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
        if declared.is_some_and(|len| len > limit) {
            return Err(Error::too_large("Request body is too large"));
        }
        let bytes = axum::body::to_bytes(body, limit)
            .await
            .map_err(|_| Error::too_large("Request body is too large"))?;
        let headers = parts.headers.clone();
        let path_refs: Vec<&str> = path_args.iter().map(String::as_str).collect();
        let request = http::Request::from_parts(parts, bytes.as_ref());
        let body =
            T::try_from_http_request(request, &path_refs).map_err(Error::from_request_error)?;
        Ok(Self {
            body,
            sender,
            client_ip,
            raw_body: bytes,
            headers,
        })
    }
}

/// A request on a ruma endpoint whose body the handler reads itself, as a stream (uploads).
pub struct RawRequest {
    pub sender: Option<Sender>,
    /// Path parameter values, in order.
    pub path_args: Vec<String>,
    pub parts: http::request::Parts,
    pub body: axum::body::Body,
}

impl RawRequest {
    async fn extract<T: Metadata>(req: Request, state: &AppState) -> Result<Self>
    where
        T::Authentication: AuthRequirement,
    {
        let (mut parts, body) = req.into_parts();
        let path_args = path_args(&mut parts, state).await?;
        let sender = authenticate::<T::Authentication>(&parts, state).await?;
        Ok(Self {
            sender,
            path_args,
            parts,
            body,
        })
    }

    pub fn sender(&self) -> Result<&Sender> {
        self.sender.as_ref().ok_or_else(Error::missing_token)
    }
}

/// Serializes a ruma response (or maps the error).
pub fn respond<R: OutgoingResponseExt>(result: Result<R>) -> Response {
    match result.and_then(|r| {
        r.try_into_http_response::<Vec<u8>>().map_err(|e| {
            tracing::error!(error = %e, "cannot serialize response");
            Error::internal()
        })
    }) {
        Ok(response) => response.map(axum::body::Body::from).into_response(),
        Err(err) => err.into_response(),
    }
}

/// Extension methods that mount ruma endpoints on a router.
pub trait RumaRouter {
    /// Mounts `handler` on every path (stable, historic and unstable) of endpoint `T`.
    /// The handler receives the narrow service `S` it needs and the parsed request.
    fn ruma<T, S, F, Fut>(self, handler: F) -> Self
    where
        T: IncomingRequest + Send + 'static,
        T::Authentication: AuthRequirement,
        T::OutgoingResponse: Send,
        S: FromRef<AppState> + Send + 'static,
        F: Fn(S, Ruma<T>) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = Result<T::OutgoingResponse>> + Send + 'static;

    /// As [`RumaRouter::ruma`], for an endpoint a client calls again as soon as it has its
    /// answer (the `/sync` long-poll): its successes are logged at DEBUG, since a
    /// long-polling client makes one such request per message it receives.
    fn ruma_polled<T, S, F, Fut>(self, handler: F) -> Self
    where
        T: IncomingRequest + Send + 'static,
        T::Authentication: AuthRequirement,
        T::OutgoingResponse: Send,
        S: FromRef<AppState> + Send + 'static,
        F: Fn(S, Ruma<T>) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = Result<T::OutgoingResponse>> + Send + 'static;

    /// As [`RumaRouter::ruma`], for a handler that builds the HTTP response itself
    /// (streamed file downloads with their headers).
    fn ruma_http<T, S, F, Fut>(self, handler: F) -> Self
    where
        T: IncomingRequest + Send + 'static,
        T::Authentication: AuthRequirement,
        S: FromRef<AppState> + Send + 'static,
        F: Fn(S, Ruma<T>) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = Result<Response>> + Send + 'static;

    /// Mounts a handler that authenticates like `T` but reads the body itself as a stream
    /// (uploads larger than any request body limit).
    fn ruma_raw<T, S, F, Fut>(self, handler: F) -> Self
    where
        T: Metadata + 'static,
        T::Authentication: AuthRequirement,
        S: FromRef<AppState> + Send + 'static,
        F: Fn(S, RawRequest) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = Result<Response>> + Send + 'static;
}

/// Every path of endpoint `T`. A trailing `{state_key}` may be empty: `/state/{type}` and
/// `/state/{type}/` are mounted too.
fn paths_of<T: Metadata>() -> Vec<&'static str> {
    T::PATH_BUILDER
        .all_paths()
        .flat_map(|path| {
            let bare = path.strip_suffix("/{state_key}");
            let extra = bare.map(|bare| [bare, &path[..bare.len() + 1]]);
            std::iter::once(path).chain(extra.into_iter().flatten())
        })
        .collect()
}

/// Mounts `route` on every path of `T`, tagging responses with the route for metrics and
/// the access log.
fn mount<T, R, Fut>(mut router: Router<AppState>, route: R, polled: bool) -> Router<AppState>
where
    T: Metadata,
    R: Fn(AppState, Request) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Response> + Send + 'static,
{
    let filter = MethodFilter::try_from(T::METHOD).expect("ruma endpoints use standard methods");
    for path in paths_of::<T>() {
        let route = route.clone();
        let tagged = move |State(state): State<AppState>, req: Request| {
            let route = route.clone();
            async move {
                let mut response = route(state, req).await;
                response.extensions_mut().insert(RouteName { path, polled });
                response
            }
        };
        router = router.route(path, on(filter, tagged));
    }
    router
}

/// Mounts a handler that answers with a ruma response.
fn mount_ruma<T, S, F, Fut>(router: Router<AppState>, handler: F, polled: bool) -> Router<AppState>
where
    T: IncomingRequest + Send + 'static,
    T::Authentication: AuthRequirement,
    T::OutgoingResponse: Send,
    S: FromRef<AppState> + Send + 'static,
    F: Fn(S, Ruma<T>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<T::OutgoingResponse>> + Send + 'static,
{
    // A ruma response is one more way of building the HTTP response.
    let handler = move |service: S, req: Ruma<T>| {
        let handler = handler.clone();
        async move { Ok(respond(handler(service, req).await)) }
    };
    mount_http::<T, S, _, _>(router, handler, polled)
}

/// Mounts a handler that builds the HTTP response itself.
fn mount_http<T, S, F, Fut>(router: Router<AppState>, handler: F, polled: bool) -> Router<AppState>
where
    T: IncomingRequest + Send + 'static,
    T::Authentication: AuthRequirement,
    S: FromRef<AppState> + Send + 'static,
    F: Fn(S, Ruma<T>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<Response>> + Send + 'static,
{
    let route = move |state: AppState, req: Request| {
        let handler = handler.clone();
        async move {
            match Ruma::<T>::extract(req, &state).await {
                Ok(ruma) => handler(S::from_ref(&state), ruma).await,
                Err(err) => Err(err),
            }
            .unwrap_or_else(IntoResponse::into_response)
        }
    };
    mount::<T, _, _>(router, route, polled)
}

impl RumaRouter for Router<AppState> {
    fn ruma<T, S, F, Fut>(self, handler: F) -> Self
    where
        T: IncomingRequest + Send + 'static,
        T::Authentication: AuthRequirement,
        T::OutgoingResponse: Send,
        S: FromRef<AppState> + Send + 'static,
        F: Fn(S, Ruma<T>) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = Result<T::OutgoingResponse>> + Send + 'static,
    {
        mount_ruma::<T, S, F, Fut>(self, handler, false)
    }

    fn ruma_polled<T, S, F, Fut>(self, handler: F) -> Self
    where
        T: IncomingRequest + Send + 'static,
        T::Authentication: AuthRequirement,
        T::OutgoingResponse: Send,
        S: FromRef<AppState> + Send + 'static,
        F: Fn(S, Ruma<T>) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = Result<T::OutgoingResponse>> + Send + 'static,
    {
        mount_ruma::<T, S, F, Fut>(self, handler, true)
    }

    fn ruma_http<T, S, F, Fut>(self, handler: F) -> Self
    where
        T: IncomingRequest + Send + 'static,
        T::Authentication: AuthRequirement,
        S: FromRef<AppState> + Send + 'static,
        F: Fn(S, Ruma<T>) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = Result<Response>> + Send + 'static,
    {
        mount_http::<T, S, F, Fut>(self, handler, false)
    }

    fn ruma_raw<T, S, F, Fut>(self, handler: F) -> Self
    where
        T: Metadata + 'static,
        T::Authentication: AuthRequirement,
        S: FromRef<AppState> + Send + 'static,
        F: Fn(S, RawRequest) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = Result<Response>> + Send + 'static,
    {
        let route = move |state: AppState, req: Request| {
            let handler = handler.clone();
            async move {
                match RawRequest::extract::<T>(req, &state).await {
                    Ok(raw) => handler(S::from_ref(&state), raw).await,
                    Err(err) => Err(err),
                }
                .unwrap_or_else(IntoResponse::into_response)
            }
        };
        mount::<T, _, _>(self, route, false)
    }
}

/// 404 or 405 `M_UNRECOGNIZED` for what no route answers.
pub async fn unrecognized_path() -> Error {
    Error::unrecognized(StatusCode::NOT_FOUND, "Unrecognized request")
}

pub async fn unrecognized_method() -> Error {
    Error::unrecognized(
        StatusCode::METHOD_NOT_ALLOWED,
        "Method not allowed on this endpoint",
    )
}
