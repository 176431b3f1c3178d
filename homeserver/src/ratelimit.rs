//! Token-bucket rate limiting, keyed by client IP address or account.
//!
//! Buckets live in this process's memory. With several Hearth processes behind one load
//! balancer each enforces its own share; a shared limiter can replace this behind the same API.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use crate::config::RateLimit;

#[derive(Debug)]
pub struct RateLimiter {
    limit: RateLimit,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// Above this many tracked keys, buckets that have refilled completely are forgotten.
const PRUNE_ABOVE: usize = 10_000;

impl RateLimiter {
    pub fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `key`, or says how long until one is available.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        self.check_at(key, Instant::now())
    }

    fn check_at(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let burst = f64::from(self.limit.burst);
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() > PRUNE_ABOVE {
            let per_second = self.limit.per_second;
            buckets.retain(|_, b| {
                b.tokens + now.duration_since(b.updated).as_secs_f64() * per_second < burst
            });
        }
        let bucket = buckets.entry(key.to_owned()).or_insert(Bucket {
            tokens: burst,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.limit.per_second).min(burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - bucket.tokens) / self.limit.per_second;
            Err(Duration::from_secs_f64(wait).max(Duration::from_millis(1)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_a_burst_then_refills() {
        let limiter = RateLimiter::new(RateLimit {
            per_second: 2.0,
            burst: 3,
        });
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check_at("ip", t0).is_ok());
        }
        let wait = limiter.check_at("ip", t0).unwrap_err();
        assert_eq!(wait, Duration::from_millis(500));
        assert!(
            limiter.check_at("other", t0).is_ok(),
            "keys are independent"
        );
        assert!(
            limiter
                .check_at("ip", t0 + Duration::from_millis(500))
                .is_ok()
        );
        assert!(
            limiter
                .check_at("ip", t0 + Duration::from_millis(500))
                .is_err()
        );
    }
}
