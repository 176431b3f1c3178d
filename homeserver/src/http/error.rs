//! The one error type of the HTTP edge, rendered as the Matrix error JSON
//! (`{"errcode": …, "error": …}`) or as a User-Interactive Auth challenge.

use std::time::Duration;

use axum::response::{IntoResponse, Response};
use http::StatusCode;
use ruma::api::{
    OutgoingResponseExt,
    client::uiaa::{UiaaInfo, UiaaResponse},
    error::{
        DeserializationError, ErrorBody, ErrorKind, FromHttpRequestError, LimitExceededErrorData,
        RetryAfter, StandardErrorBody, UnknownTokenErrorData,
    },
};

use crate::storage::StorageError;

#[derive(Debug)]
pub struct Error(Box<UiaaResponse>);

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(status: StatusCode, kind: ErrorKind, message: impl Into<String>) -> Self {
        let body = ErrorBody::Standard(StandardErrorBody::new(kind, message.into()));
        Self(Box::new(UiaaResponse::MatrixError(
            ruma::api::error::Error::new(status, body),
        )))
    }

    /// A 401 asking the client to complete (more) User-Interactive Auth stages.
    pub fn uiaa(info: UiaaInfo) -> Self {
        Self(Box::new(UiaaResponse::AuthResponse(info)))
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, ErrorKind::Forbidden, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, ErrorKind::NotFound, message)
    }
    pub fn bad_json(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ErrorKind::BadJson, message)
    }
    pub fn not_json(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ErrorKind::NotJson, message)
    }
    pub fn missing_param(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ErrorKind::MissingParam, message)
    }
    pub fn invalid_param(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ErrorKind::InvalidParam, message)
    }
    pub fn unrecognized(status: StatusCode, message: impl Into<String>) -> Self {
        Self::new(status, ErrorKind::Unrecognized, message)
    }
    pub fn missing_token() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            ErrorKind::MissingToken,
            "Missing access token",
        )
    }
    pub fn unknown_token(soft_logout: bool) -> Self {
        let mut data = UnknownTokenErrorData::new();
        data.soft_logout = soft_logout;
        let message = if soft_logout {
            "Access token has expired"
        } else {
            "Unknown access token"
        };
        Self::new(
            StatusCode::UNAUTHORIZED,
            ErrorKind::UnknownToken(data),
            message,
        )
    }
    pub fn limit_exceeded(retry_after: Duration) -> Self {
        let mut data = LimitExceededErrorData::new();
        data.retry_after = Some(RetryAfter::Delay(retry_after));
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorKind::LimitExceeded(data),
            "Too many requests",
        )
    }
    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, ErrorKind::TooLarge, message)
    }
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorKind::Unknown,
            "Internal server error",
        )
    }

    /// Maps ruma's request parsing failure to the errcode the spec asks for.
    pub fn from_request_error(err: FromHttpRequestError) -> Self {
        let FromHttpRequestError::Deserialization(err) = err else {
            return Self::unrecognized(StatusCode::METHOD_NOT_ALLOWED, err.to_string());
        };
        match err {
            DeserializationError::Json(e) if e.is_syntax() || e.is_eof() => {
                Self::not_json(format!("Request body is not valid JSON: {e}"))
            }
            DeserializationError::Json(e) if e.to_string().starts_with("missing field") => {
                Self::missing_param(e.to_string())
            }
            DeserializationError::Json(e) => Self::bad_json(e.to_string()),
            DeserializationError::Query(e) if e.to_string().starts_with("missing field") => {
                Self::missing_param(e.to_string())
            }
            DeserializationError::Utf8(_) => Self::not_json("Request body is not UTF-8"),
            other => Self::invalid_param(other.to_string()),
        }
    }

    pub fn status(&self) -> StatusCode {
        match &*self.0 {
            UiaaResponse::AuthResponse(_) => StatusCode::UNAUTHORIZED,
            UiaaResponse::MatrixError(e) => e.status_code,
        }
    }

    /// The Matrix error kind, `None` for a User-Interactive Auth challenge.
    pub fn kind(&self) -> Option<&ErrorKind> {
        match &*self.0 {
            UiaaResponse::AuthResponse(_) => None,
            UiaaResponse::MatrixError(e) => e.error_kind(),
        }
    }
}

impl Error {
    /// The error as Matrix error JSON, for transports other than an HTTP response.
    pub fn to_json(&self) -> serde_json::Value {
        (*self.0)
            .clone()
            .try_into_http_response::<Vec<u8>>()
            .ok()
            .and_then(|r| serde_json::from_slice(r.body()).ok())
            .unwrap_or_else(
                || serde_json::json!({ "errcode": "M_UNKNOWN", "error": "Internal error" }),
            )
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl From<StorageError> for Error {
    fn from(err: StorageError) -> Self {
        if err.is_conflict() {
            // Expected when a client retries a transaction; the caller resolves it.
            tracing::info!(error = %err, "write conflicted with existing data");
        } else {
            tracing::error!(error = %err, "storage failure");
        }
        Self::internal()
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        match (*self.0).try_into_http_response::<Vec<u8>>() {
            Ok(response) => response.map(axum::body::Body::from),
            Err(err) => {
                tracing::error!(error = %err, "cannot serialize error response");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        }
    }
}
