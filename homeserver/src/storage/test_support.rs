//! Fresh databases for tests: the storage contract tests here and the black-box
//! `complement-tests` both get theirs from this one place.

use sqlx::{AnyConnection, AssertSqlSafe, Connection, Executor};

/// Environment variable holding an admin connection URL to a test PostgreSQL server.
pub const ENV_TEST_POSTGRES: &str = "HEARTH_TEST_POSTGRES";

/// The test PostgreSQL URL, when the environment provides one.
pub fn test_postgres_url() -> Option<String> {
    std::env::var(ENV_TEST_POSTGRES)
        .ok()
        .filter(|url| !url.is_empty())
}

/// Creates an empty database with a random name on the server of `admin_url` and returns a
/// URL to it. The caller drops it with [`drop_postgres_database`] when done.
pub async fn create_postgres_database(admin_url: &str) -> Result<String, sqlx::Error> {
    sqlx::any::install_default_drivers();
    let name = format!("hearth_test_{:016x}", rand::random::<u64>());
    let mut conn = AnyConnection::connect(admin_url).await?;
    conn.execute(AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await?;
    conn.close().await?;
    Ok(replace_database(admin_url, &name))
}

/// Drops a database made by [`create_postgres_database`], closing any sessions still on it.
pub async fn drop_postgres_database(
    admin_url: &str,
    database_url: &str,
) -> Result<(), sqlx::Error> {
    let name = database_url.rsplit('/').next().unwrap_or_default();
    let name = name.split('?').next().unwrap_or_default();
    if !name.starts_with("hearth_test_") {
        return Ok(());
    }
    let mut conn = AnyConnection::connect(admin_url).await?;
    conn.execute(AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .await?;
    conn.close().await?;
    Ok(())
}

/// `postgres://u:p@host:port/old?opts` with its database path replaced by `name`.
fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let authority_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{name}", &base[..authority_end]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn replaces_database_name() {
        use super::replace_database as r;
        assert_eq!(
            r("postgres://u:p@h:5432/postgres", "x"),
            "postgres://u:p@h:5432/x"
        );
        assert_eq!(r("postgres://u@h", "x"), "postgres://u@h/x");
        assert_eq!(
            r("postgres://u@h/db?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(
            r("postgres:///db?host=/run/postgresql", "x"),
            "postgres:///x?host=/run/postgresql"
        );
    }
}
