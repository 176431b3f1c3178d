//! Configuration: one TOML file, one struct per section, validated once at start-up.
//!
//! Every option is documented in `config.example.toml`; the defaults here are the
//! values written there, so `hearth` with no `--config` behaves like the example file.

use std::{net::SocketAddr, path::Path};

use ruma::{OwnedServerName, ServerName};
use serde::Deserialize;

/// Environment variables that override the file (for containers and tests).
pub const ENV_DATABASE_URL: &str = "HEARTH_DATABASE_URL";
pub const ENV_SERVER_NAME: &str = "HEARTH_SERVER_NAME";
pub const ENV_LISTEN: &str = "HEARTH_LISTEN";
pub const ENV_PUBLIC_BASEURL: &str = "HEARTH_PUBLIC_BASEURL";

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub server: ServerConfig,
    pub listeners: ListenersConfig,
    pub database: DatabaseConfig,
    pub registration: RegistrationConfig,
    pub logging: LoggingConfig,
    pub limits: LimitsConfig,
    pub rooms: RoomsConfig,
    pub sync: SyncConfig,
    pub media: MediaConfig,
    pub web: WebConfig,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RoomsConfig {
    /// Version of rooms created without an explicit `room_version`.
    pub default_room_version: String,
    /// How long after sending users may still redact their own messages, in seconds;
    /// 0 means no limit. Moderators with redact power are not limited.
    pub self_redaction_window_secs: u64,
}

impl Default for RoomsConfig {
    fn default() -> Self {
        Self {
            default_room_version: "12".to_owned(),
            self_redaction_window_secs: 0,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MediaConfig {
    /// Directory of the media store (created at start).
    pub path: std::path::PathBuf,
    /// Largest upload in bytes; larger ones get 413 M_TOO_LARGE.
    pub max_upload_size: u64,
    /// Bytes each user may have uploaded in total; 0 means no quota.
    pub user_quota_bytes: u64,
    /// How long an ID from `POST /media/v1/create` may wait for its upload, in seconds.
    pub unused_expiry_secs: u64,
    /// Created IDs a user may have waiting at once.
    pub max_pending_uploads: u32,
    /// What the legacy unauthenticated download endpoints serve.
    pub legacy_download: LegacyDownload,
    /// Largest image, in pixels (width × height), that gets thumbnails.
    pub max_thumbnail_pixels: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebConfig {
    /// Whether to serve the web client.
    pub enabled: bool,
    /// The URL path it is served under.
    pub path: String,
    /// The built client (`npm run build` in `web/`).
    pub dir: std::path::PathBuf,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            path: "/".to_owned(),
            dir: "./web/dist".into(),
        }
    }
}

/// The legacy `/_matrix/media/v3/download|thumbnail` endpoints, which need no access token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LegacyDownload {
    /// Serve all media there, for clients older than authenticated media.
    Open,
    /// Serve there only media uploaded before the freeze (as Synapse's
    /// `enable_authenticated_media`); newer media needs the authenticated endpoints.
    Frozen,
}

impl Default for MediaConfig {
    fn default() -> Self {
        Self {
            path: "./data/media".into(),
            max_upload_size: 50 * 1024 * 1024,
            user_quota_bytes: 0,
            unused_expiry_secs: 24 * 3600,
            max_pending_uploads: 5,
            legacy_download: LegacyDownload::Open,
            max_thumbnail_pixels: 40_000_000,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SyncConfig {
    /// How often the server pings a WebSocket client, in seconds.
    pub websocket_ping_secs: u64,
    /// A WebSocket client silent for this long (no frame, no pong) is dropped, in seconds.
    pub websocket_timeout_secs: u64,
}

impl Default for SyncConfig {
    fn default() -> Self {
        Self {
            websocket_ping_secs: 15,
            websocket_timeout_secs: 45,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// The domain part of every user ID (`@alice:<server_name>`).
    pub server_name: String,
    /// Base URL clients use to reach the Client-Server API; advertised in `.well-known`.
    pub public_baseurl: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ListenersConfig {
    /// Address of the Client-Server API listener.
    pub client: SocketAddr,
    /// Address of the Prometheus `/metrics` listener; off when absent.
    pub metrics: Option<SocketAddr>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `sqlite://PATH` or `postgres://USER:PASSWORD@HOST/DB`.
    pub url: String,
    /// Largest number of pooled connections (readers, for SQLite).
    pub max_connections: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RegistrationConfig {
    /// Whether `POST /register` accepts new accounts at all.
    pub enabled: bool,
    /// Whether new accounts must present one of `tokens` (`m.login.registration_token`).
    pub require_token: bool,
    /// The registration tokens that are accepted when `require_token` is on.
    pub tokens: Vec<String>,
    /// Lifetime of access tokens issued together with a refresh token, in seconds.
    pub refreshable_token_lifetime_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoggingConfig {
    /// A `tracing` filter, e.g. `info` or `hearth=debug,sqlx=warn`. `RUST_LOG` wins when set.
    pub level: String,
    /// `text` or `json`.
    pub format: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Largest accepted request body, in bytes (media uploads have their own limit).
    pub max_request_bytes: usize,
    /// Rate limit for `POST /register`, per client IP address.
    pub registration_per_ip: RateLimit,
    /// Rate limit for `POST /login`, per client IP address.
    pub login_per_ip: RateLimit,
    /// Rate limit for `POST /login`, per account being logged into.
    pub login_per_account: RateLimit,
}

/// A token bucket: `burst` requests at once, refilled at `per_second`.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    pub per_second: f64,
    pub burst: u32,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            server_name: "localhost".to_owned(),
            public_baseurl: "http://127.0.0.1:8008".to_owned(),
        }
    }
}

impl Default for ListenersConfig {
    fn default() -> Self {
        Self {
            client: SocketAddr::from(([127, 0, 0, 1], 8008)),
            metrics: None,
        }
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: "sqlite://./data/hearth.db".to_owned(),
            max_connections: 8,
        }
    }
}

impl Default for RegistrationConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            require_token: false,
            tokens: Vec::new(),
            refreshable_token_lifetime_secs: 3600,
        }
    }
}

impl Default for LoggingConfig {
    fn default() -> Self {
        Self {
            level: "info".to_owned(),
            format: "text".to_owned(),
        }
    }
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            max_request_bytes: 1024 * 1024,
            registration_per_ip: RateLimit {
                per_second: 0.5,
                burst: 10,
            },
            login_per_ip: RateLimit {
                per_second: 1.0,
                burst: 10,
            },
            login_per_account: RateLimit {
                per_second: 0.2,
                burst: 5,
            },
        }
    }
}

/// A configuration problem, naming the key at fault.
#[derive(Debug, thiserror::Error)]
#[error("configuration error at `{key}`: {problem}")]
pub struct ConfigError {
    pub key: String,
    pub problem: String,
}

fn bad(key: &str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        key: key.to_owned(),
        problem: problem.into(),
    }
}

impl Config {
    /// Reads `path` (or the defaults when `None`), applies environment overrides, validates.
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        let mut config = match path {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| bad("--config", format!("cannot read {}: {e}", path.display())))?;
                Self::parse(&text)?
            }
            None => Self::default(),
        };
        config.apply_env(|name| std::env::var(name).ok())?;
        config.validate()?;
        Ok(config)
    }

    /// Parses TOML text; an unknown key or a wrong type is reported with its dotted path.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|e| {
            let key = e
                .span()
                .and_then(|span| key_at(text, span.start))
                .unwrap_or_else(|| "(file)".to_owned());
            bad(&key, e.message().to_owned())
        })
    }

    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        if let Some(url) = get(ENV_DATABASE_URL) {
            self.database.url = url;
        }
        if let Some(name) = get(ENV_SERVER_NAME) {
            self.server.server_name = name;
        }
        if let Some(listen) = get(ENV_LISTEN) {
            self.listeners.client = listen
                .parse()
                .map_err(|_| bad(ENV_LISTEN, format!("not a socket address: {listen}")))?;
        }
        if let Some(base) = get(ENV_PUBLIC_BASEURL) {
            self.server.public_baseurl = base;
        }
        Ok(())
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        if <&ServerName>::try_from(self.server.server_name.as_str()).is_err() {
            return Err(bad(
                "server.server_name",
                format!(
                    "`{}` is not a valid Matrix server name",
                    self.server.server_name
                ),
            ));
        }
        let base = &self.server.public_baseurl;
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(bad(
                "server.public_baseurl",
                "must start with http:// or https://",
            ));
        }
        let url = &self.database.url;
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            return Err(bad(
                "database.url",
                "must start with sqlite:// or postgres://",
            ));
        }
        if self.database.max_connections == 0 {
            return Err(bad("database.max_connections", "must be at least 1"));
        }
        if self.sync.websocket_ping_secs == 0
            || self.sync.websocket_timeout_secs <= self.sync.websocket_ping_secs
        {
            return Err(bad(
                "sync.websocket_timeout_secs",
                "must be longer than sync.websocket_ping_secs, which must be at least 1",
            ));
        }
        let web = &self.web.path;
        if !web.starts_with('/') || web.starts_with("/_matrix") || web.starts_with("/.well-known") {
            return Err(bad(
                "web.path",
                "must start with / and not be under /_matrix or /.well-known",
            ));
        }
        if self.media.max_upload_size == 0 {
            return Err(bad("media.max_upload_size", "must be at least 1"));
        }
        if self.media.unused_expiry_secs == 0 {
            return Err(bad("media.unused_expiry_secs", "must be at least 1"));
        }
        if self.registration.require_token && self.registration.tokens.is_empty() {
            return Err(bad(
                "registration.tokens",
                "require_token is on but no tokens are listed",
            ));
        }
        if self
            .registration
            .tokens
            .iter()
            .any(|t| !valid_registration_token(t))
        {
            return Err(bad(
                "registration.tokens",
                "tokens are 1-64 characters of [A-Za-z0-9._~-]",
            ));
        }
        if self.registration.refreshable_token_lifetime_secs == 0 {
            return Err(bad(
                "registration.refreshable_token_lifetime_secs",
                "must be at least 1",
            ));
        }
        if !matches!(self.logging.format.as_str(), "text" | "json") {
            return Err(bad("logging.format", "must be `text` or `json`"));
        }
        if tracing_subscriber::EnvFilter::try_new(&self.logging.level).is_err() {
            return Err(bad("logging.level", "not a valid tracing filter"));
        }
        let version = ruma::RoomVersionId::try_from(self.rooms.default_room_version.as_str());
        if !version.is_ok_and(|v| crate::rooms::CREATABLE_VERSIONS.contains(&v)) {
            return Err(bad(
                "rooms.default_room_version",
                "must be one of \"10\", \"11\", \"12\"",
            ));
        }
        if self.limits.max_request_bytes < 1024 {
            return Err(bad("limits.max_request_bytes", "must be at least 1024"));
        }
        for (key, limit) in [
            (
                "limits.registration_per_ip",
                self.limits.registration_per_ip,
            ),
            ("limits.login_per_ip", self.limits.login_per_ip),
            ("limits.login_per_account", self.limits.login_per_account),
        ] {
            if !(limit.per_second > 0.0 && limit.per_second.is_finite()) || limit.burst == 0 {
                return Err(bad(key, "per_second must be > 0 and burst >= 1"));
            }
        }
        Ok(())
    }

    pub fn default_room_version(&self) -> ruma::RoomVersionId {
        // Checked in `validate`.
        self.rooms
            .default_room_version
            .as_str()
            .try_into()
            .expect("validated room version")
    }

    pub fn server_name(&self) -> OwnedServerName {
        // Checked in `validate`.
        self.server
            .server_name
            .as_str()
            .try_into()
            .expect("validated server name")
    }
}

/// The spec's grammar for registration tokens.
pub fn valid_registration_token(token: &str) -> bool {
    (1..=64).contains(&token.len())
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._~-".contains(&b))
}

/// Finds the dotted key (`section.key`) whose line contains byte `offset`.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let mut section = String::new();
    let mut consumed = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        if trimmed.starts_with('[') && trimmed.ends_with(']') {
            section = trimmed
                .trim_matches(|c| c == '[' || c == ']')
                .trim()
                .to_owned();
        }
        if offset < consumed + line.len() {
            let key = trimmed.split('=').next()?.trim();
            if key.starts_with('[') {
                return Some(section);
            }
            return Some(if section.is_empty() {
                key.to_owned()
            } else {
                format!("{section}.{key}")
            });
        }
        consumed += line.len();
    }
    (!section.is_empty()).then_some(section)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_file_is_the_defaults() {
        let example = include_str!("../../config.example.toml");
        let parsed = Config::parse(example).expect("example parses");
        parsed.validate().expect("example validates");
        let defaults = Config::default();
        assert_eq!(
            parsed.sync.websocket_ping_secs,
            defaults.sync.websocket_ping_secs
        );
        assert_eq!(
            parsed.sync.websocket_timeout_secs,
            defaults.sync.websocket_timeout_secs
        );
        assert_eq!(parsed.server.server_name, defaults.server.server_name);
        assert_eq!(parsed.server.public_baseurl, defaults.server.public_baseurl);
        assert_eq!(parsed.listeners.client, defaults.listeners.client);
        assert_eq!(parsed.listeners.metrics, defaults.listeners.metrics);
        assert_eq!(parsed.database.url, defaults.database.url);
        assert_eq!(
            parsed.database.max_connections,
            defaults.database.max_connections
        );
        assert_eq!(parsed.registration.enabled, defaults.registration.enabled);
        assert_eq!(
            parsed.registration.require_token,
            defaults.registration.require_token
        );
        assert_eq!(parsed.logging.level, defaults.logging.level);
        assert_eq!(
            parsed.limits.max_request_bytes,
            defaults.limits.max_request_bytes
        );
        assert_eq!(parsed.limits.login_per_ip, defaults.limits.login_per_ip);
        assert_eq!(
            parsed.limits.registration_per_ip,
            defaults.limits.registration_per_ip
        );
        assert_eq!(
            parsed.limits.login_per_account,
            defaults.limits.login_per_account
        );
    }

    #[test]
    fn unknown_key_is_named() {
        let err = Config::parse("[server]\nserver_nam = \"x\"\n").unwrap_err();
        assert_eq!(err.key, "server.server_nam");
        assert!(err.problem.contains("unknown field"), "{}", err.problem);
    }

    #[test]
    fn wrong_type_is_named() {
        let err = Config::parse("[listeners]\nclient = 5\n").unwrap_err();
        assert_eq!(err.key, "listeners.client");
    }

    #[test]
    fn invalid_values_are_named() {
        let mut c = Config::default();
        c.server.server_name = "not a name!".into();
        assert_eq!(c.validate().unwrap_err().key, "server.server_name");
        let mut c = Config::default();
        c.database.url = "mysql://x".into();
        assert_eq!(c.validate().unwrap_err().key, "database.url");
        let mut c = Config::default();
        c.registration.require_token = true;
        assert_eq!(c.validate().unwrap_err().key, "registration.tokens");
    }

    #[test]
    fn environment_overrides_file() {
        let mut c = Config::default();
        c.apply_env(|name| match name {
            ENV_DATABASE_URL => Some("postgres://u@h/db".into()),
            ENV_SERVER_NAME => Some("example.org".into()),
            ENV_LISTEN => Some("0.0.0.0:9999".into()),
            _ => None,
        })
        .unwrap();
        c.validate().unwrap();
        assert_eq!(c.database.url, "postgres://u@h/db");
        assert_eq!(c.server.server_name, "example.org");
        assert_eq!(c.listeners.client.port(), 9999);

        let mut c = Config::default();
        let err = c.apply_env(|name| (name == ENV_LISTEN).then(|| "nonsense".to_owned()));
        assert_eq!(err.unwrap_err().key, ENV_LISTEN);
    }
}
