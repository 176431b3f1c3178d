//! Secrets: argon2id password hashes (computed off the async runtime) and random tokens,
//! which are handed out once and stored only as SHA-256 digests.

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::{Rng, distr::Alphanumeric};
use sha2::{Digest, Sha256};

use crate::http::error::{Error, Result};

/// Each hash holds 19 MiB while it runs: at most one per core at a time, so a burst of
/// logins queues instead of multiplying memory.
static HASHING: std::sync::LazyLock<tokio::sync::Semaphore> = std::sync::LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    tokio::sync::Semaphore::new(cores)
});

/// Runs an argon2 computation on the blocking pool, one per core at a time.
async fn with_hasher<T: Send + 'static>(
    work: impl FnOnce(Argon2<'static>) -> T + Send + 'static,
) -> Option<T> {
    let _permit = HASHING.acquire().await.ok()?;
    tokio::task::spawn_blocking(move || work(argon2()))
        .await
        .ok()
}

/// OWASP's minimum for argon2id: 19 MiB of memory, 2 passes, 1 lane.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password into a PHC string.
pub async fn hash_password(password: &str) -> Result<String> {
    let password = password.to_owned();
    with_hasher(move |argon2| {
        argon2
            .hash_password(password.as_bytes())
            .map(|hash| hash.to_string())
    })
    .await
    .and_then(|result| {
        result
            .map_err(|e| tracing::error!(error = %e, "password hashing failed"))
            .ok()
    })
    .ok_or_else(Error::internal)
}

/// Checks a password against a stored PHC string; `None` (no stored hash) still costs
/// one hash so that unknown accounts answer as slowly as known ones.
pub async fn verify_password(password: &str, stored: Option<&str>) -> bool {
    let password = password.to_owned();
    let stored = stored.map(str::to_owned);
    tokio::task::spawn_blocking(move || match stored {
        Some(stored) => argon2()
            .verify_password(password.as_bytes(), stored.as_str())
            .is_ok(),
        None => {
            let _ = argon2().hash_password(password.as_bytes());
            false
        }
    })
    .await
    .unwrap_or(false)
}

/// A fresh bearer token: 256 random bits, URL-safe, with a recognisable prefix.
pub fn new_token() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    format!("hth_{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// The form in which tokens are stored and looked up.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A random ID of `len` upper-case letters and digits (device IDs, UIA sessions, localparts).
pub fn random_id(len: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(|c| char::from(c).to_ascii_uppercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn password_round_trip() {
        let hash = hash_password("correct horse").await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify_password("correct horse", Some(&hash)).await);
        assert!(!verify_password("wrong", Some(&hash)).await);
        assert!(!verify_password("correct horse", None).await);
        assert!(!verify_password("x", Some("not a phc string")).await);
    }

    #[test]
    fn tokens_are_long_random_and_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert!(a.len() >= 4 + 43);
        assert_eq!(token_hash(&a).len(), 64);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_ne!(token_hash(&a), token_hash(&b));
        assert_eq!(random_id(10).len(), 10);
    }
}
