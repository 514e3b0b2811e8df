//! Database URLs, which never show their password.
//!
//! [`DatabaseUrl`] knows the engine a URL names and, for SQLite, the file it points at. Its
//! `Display` and `Debug` mask the password (`postgres://app:****@db/app`), as Alembic's
//! `obfuscate_url_pw` does, and mask the whole user info of a malformed URL
//! (`postgres:/****@db/app`), which errors show; the raw text is only reachable inside this
//! crate, to connect.

use std::fmt;
use std::path::Path;

use retort_core::Dialect;

use crate::error::BackendError;

/// The URL schemes retort accepts, for messages.
pub(crate) const SUPPORTED_SCHEMES: &str =
    "sqlite:, postgres://, postgresql://, mysql://, mariadb://";

/// What replaces a password in displayed URLs.
const PASSWORD_MASK: &str = "****";

/// A database URL. `Display` and `Debug` mask the password.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    raw: String,
    dialect: Dialect,
}

impl DatabaseUrl {
    /// Parses `sqlite:` (`sqlite:data/app.db`, `sqlite://data/app.db`, `sqlite:///abs/app.db`,
    /// `sqlite::memory:`), `postgres://`/`postgresql://` and `mysql://`/`mariadb://` URLs.
    ///
    /// The error never contains the password.
    pub fn parse(text: &str) -> Result<DatabaseUrl, BackendError> {
        let trimmed = text.trim();
        let Some((scheme, rest)) = trimmed.split_once(':') else {
            return Err(BackendError::UnsupportedUrlScheme {
                scheme: String::new(),
            });
        };
        let scheme_lower = scheme.to_ascii_lowercase();
        let dialect = match scheme_lower.as_str() {
            "sqlite" => Dialect::Sqlite,
            "postgres" | "postgresql" => Dialect::Postgres,
            "mysql" | "mariadb" => Dialect::Mysql,
            "mssql" | "sqlserver" => {
                return Err(BackendError::SqlServerNotSupported {
                    scheme: scheme.to_owned(),
                });
            }
            _ => {
                return Err(BackendError::UnsupportedUrlScheme {
                    scheme: scheme.to_owned(),
                });
            }
        };
        let url = DatabaseUrl {
            raw: trimmed.to_owned(),
            dialect,
        };
        match dialect {
            Dialect::Sqlite => {
                if url.sqlite_location().is_none() {
                    return Err(BackendError::InvalidUrl {
                        url: url.to_string(),
                        problem: "the sqlite url names no file (use sqlite:path/to/file.db or \
                                  sqlite::memory:)",
                    });
                }
            }
            Dialect::Postgres | Dialect::Mysql => {
                let Some(after_slashes) = rest.strip_prefix("//") else {
                    return Err(BackendError::InvalidUrl {
                        url: url.to_string(),
                        problem: "expected `//` after the scheme",
                    });
                };
                if server_host(after_slashes).is_empty() {
                    return Err(BackendError::InvalidUrl {
                        url: url.to_string(),
                        problem: "the url names no host",
                    });
                }
            }
        }
        Ok(url)
    }

    /// The dialect the URL's scheme names.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// For a SQLite file URL, the path as written (relative or absolute, percent-encoding kept);
    /// `None` for an in-memory database and for other engines.
    pub fn sqlite_path(&self) -> Option<&str> {
        match self.sqlite_location()? {
            SqliteLocation::Memory => None,
            SqliteLocation::File { path, .. } => Some(path),
        }
    }

    /// Whether this is an in-memory SQLite database (`sqlite::memory:`).
    pub fn is_sqlite_memory(&self) -> bool {
        matches!(self.sqlite_location(), Some(SqliteLocation::Memory))
    }

    /// For a SQLite file URL with a relative path, the same URL with the path made absolute
    /// against `base` (the directory of the config file, say); any other URL unchanged.
    pub fn resolve_relative(&self, base: &Path) -> DatabaseUrl {
        let Some(SqliteLocation::File { path, query }) = self.sqlite_location() else {
            return self.clone();
        };
        if is_absolute_sqlite_path(path) {
            return self.clone();
        }
        let relative = path.strip_prefix("./").unwrap_or(path);
        let base_text = encode_path_for_url(&base.to_string_lossy());
        let separator = if base_text.ends_with('/') || base_text.ends_with('\\') {
            ""
        } else {
            "/"
        };
        let mut raw = format!("sqlite://{base_text}{separator}{relative}");
        if let Some(query) = query {
            raw.push('?');
            raw.push_str(query);
        }
        DatabaseUrl {
            raw,
            dialect: Dialect::Sqlite,
        }
    }

    /// The URL as given, password included: only for handing to the driver.
    pub(crate) fn raw(&self) -> &str {
        &self.raw
    }

    fn sqlite_location(&self) -> Option<SqliteLocation<'_>> {
        if self.dialect != Dialect::Sqlite {
            return None;
        }
        let (_scheme, rest) = self.raw.split_once(':')?;
        let rest = rest.strip_prefix("//").unwrap_or(rest);
        let (path, query) = match rest.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (rest, None),
        };
        let memory_mode =
            query.is_some_and(|query| query.split('&').any(|pair| pair == "mode=memory"));
        if path == ":memory:" || (path.is_empty() && memory_mode) {
            return Some(SqliteLocation::Memory);
        }
        if path.is_empty() {
            return None;
        }
        Some(SqliteLocation::File { path, query })
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact(&self.raw))
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

enum SqliteLocation<'a> {
    Memory,
    File {
        path: &'a str,
        query: Option<&'a str>,
    },
}

/// The host part of `user:password@host:port/db?query` (without `//`).
fn server_host(after_slashes: &str) -> &str {
    let before_query = after_slashes.split(['?', '#']).next().unwrap_or_default();
    let after_user = match before_query.rfind('@') {
        Some(at) => &before_query[at + 1..],
        None => before_query,
    };
    after_user.split('/').next().unwrap_or_default()
}

/// The URL with every password replaced by [`PASSWORD_MASK`]: the one in the user info and any
/// query parameter whose name contains `password`.
///
/// It relies on nothing of the URL's shape but the text before its first `:`, so that a
/// malformed URL shown in an error is masked too. The user info starts after `scheme:` and any
/// slashes, and ends at the *last* `@` of the text, so a password holding an unencoded `/`, `?`
/// or `@` is still masked. Only a well-formed `scheme://user:password@host` keeps its user name
/// (`postgres://app:****@db/app`); any other shape has its whole user info masked
/// (`postgres:/****@db/app`). When in doubt more is masked, never less.
fn redact(raw: &str) -> String {
    mask_query_passwords(&mask_user_password(raw))
}

/// `user:password@` before the last `@` becomes `user:****@`, whatever comes before it.
fn mask_user_password(raw: &str) -> String {
    let Some(at) = raw.rfind('@') else {
        return raw.to_owned();
    };
    let Some((scheme, after_scheme)) = raw[..at].split_once(':') else {
        // No `:` before the `@`: a user name at most, never a password.
        return raw.to_owned();
    };
    let user_info = after_scheme.trim_start_matches('/');
    let user_info_start = at - user_info.len();
    let well_formed = is_known_scheme(scheme)
        && after_scheme.starts_with("//")
        && !after_scheme.starts_with("///");
    // In any other shape than `scheme://user:password@host`, which `:` ends the user name is
    // a guess (in `app:Secret@db` the one taken for the scheme's did), so the whole user info is
    // masked.
    let shown_until = match user_info.find(':') {
        Some(colon) if well_formed => user_info_start + colon + 1,
        None if well_formed => return raw.to_owned(),
        _ => user_info_start,
    };
    format!("{}{PASSWORD_MASK}{}", &raw[..shown_until], &raw[at..])
}

/// Every `…password…=value` between `?`, `&` and the ends of the text gets its value masked.
fn mask_query_passwords(text: &str) -> String {
    let mut masked = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let pair_end = rest.find(['?', '&']).unwrap_or(rest.len());
        let (pair, after) = rest.split_at(pair_end);
        match pair.split_once('=') {
            Some((key, _value)) if key.to_ascii_lowercase().contains("password") => {
                masked.push_str(key);
                masked.push('=');
                masked.push_str(PASSWORD_MASK);
            }
            _ => masked.push_str(pair),
        }
        let Some(delimiter) = after.chars().next() else {
            return masked;
        };
        masked.push(delimiter);
        rest = &after[delimiter.len_utf8()..];
    }
}

/// Whether `scheme` is one [`DatabaseUrl::parse`] knows, supported or not.
fn is_known_scheme(scheme: &str) -> bool {
    [
        "sqlite",
        "postgres",
        "postgresql",
        "mysql",
        "mariadb",
        "mssql",
        "sqlserver",
    ]
    .iter()
    .any(|known| scheme.eq_ignore_ascii_case(known))
}

/// An absolute path as the SQLite driver reads it: `/…`, or a Windows drive or UNC path.
fn is_absolute_sqlite_path(path: &str) -> bool {
    let bytes = path.as_bytes();
    let windows_drive = bytes.len() >= 3
        && bytes[0].is_ascii_alphabetic()
        && bytes[1] == b':'
        && (bytes[2] == b'/' || bytes[2] == b'\\');
    path.starts_with('/') || path.starts_with('\\') || windows_drive
}

/// Percent-encodes the characters the SQLite URL parser would otherwise read as syntax.
fn encode_path_for_url(path: &str) -> String {
    path.replace('%', "%25")
        .replace('?', "%3F")
        .replace('#', "%23")
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a test fails loudly on a bad fixture")]
mod tests {
    use super::*;

    fn parse(text: &str) -> DatabaseUrl {
        DatabaseUrl::parse(text).unwrap()
    }

    fn parse_error(text: &str) -> String {
        DatabaseUrl::parse(text).unwrap_err().to_string()
    }

    #[test]
    fn sqlite_forms() {
        assert_eq!(
            parse("sqlite:data/app.db").sqlite_path(),
            Some("data/app.db")
        );
        assert_eq!(
            parse("sqlite://data/app.db").sqlite_path(),
            Some("data/app.db")
        );
        assert_eq!(
            parse("sqlite:///abs/path.db").sqlite_path(),
            Some("/abs/path.db")
        );
        assert_eq!(
            parse("sqlite:data/app.db?mode=rwc").sqlite_path(),
            Some("data/app.db")
        );
        let memory = parse("sqlite::memory:");
        assert_eq!(memory.sqlite_path(), None);
        assert!(memory.is_sqlite_memory());
        assert!(parse("sqlite://?mode=memory").is_sqlite_memory());
        for url in ["sqlite:data/app.db", "sqlite::memory:"] {
            assert_eq!(parse(url).dialect(), Dialect::Sqlite);
        }
    }

    #[test]
    fn server_schemes_name_their_dialect() {
        assert_eq!(
            parse("postgres://app@localhost/app").dialect(),
            Dialect::Postgres
        );
        assert_eq!(
            parse("postgresql://localhost:5432/app").dialect(),
            Dialect::Postgres
        );
        assert_eq!(
            parse("mysql://root@127.0.0.1/app").dialect(),
            Dialect::Mysql
        );
        assert_eq!(
            parse("mariadb://root@127.0.0.1:3306/app").dialect(),
            Dialect::Mysql
        );
        assert_eq!(
            parse("POSTGRES://localhost/app").dialect(),
            Dialect::Postgres
        );
        assert_eq!(parse("postgres://localhost/app").sqlite_path(), None);
    }

    #[test]
    fn sql_server_is_refused_with_the_reason() {
        let message = parse_error("mssql://sa:Secret1@localhost/app");
        assert!(message.contains("sql server is not supported"), "{message}");
        assert!(message.contains("sqlx has no driver"), "{message}");
        assert!(!message.contains("Secret1"), "{message}");
        assert!(parse_error("sqlserver://localhost").contains("sql server"));
    }

    #[test]
    fn unknown_scheme_lists_supported_ones() {
        let message = parse_error("oracle://scott:tiger@db/orcl");
        assert!(message.contains("`oracle`"), "{message}");
        assert!(message.contains(SUPPORTED_SCHEMES), "{message}");
        assert!(!message.contains("tiger"), "{message}");
        assert!(parse_error("data/app.db").contains(SUPPORTED_SCHEMES));
    }

    #[test]
    fn malformed_urls_are_refused_without_the_password() {
        assert!(parse_error("sqlite:").contains("names no file"));
        assert!(parse_error("sqlite://").contains("names no file"));
        let message = parse_error("postgres:app:Secret1@db/app");
        assert!(message.contains("expected `//`"), "{message}");
        let message = parse_error("postgres://app:Secret1@/app");
        assert!(message.contains("names no host"), "{message}");
        assert!(!message.contains("Secret1"), "{message}");
    }

    #[test]
    fn password_never_shown() {
        let url = parse("postgres://app:S3cr%40t@db.example.com:5432/app?sslmode=require");
        assert_eq!(
            url.to_string(),
            "postgres://app:****@db.example.com:5432/app?sslmode=require"
        );
        assert_eq!(
            format!("{url:?}"),
            "DatabaseUrl(postgres://app:****@db.example.com:5432/app?sslmode=require)"
        );
        assert_eq!(
            url.raw(),
            "postgres://app:S3cr%40t@db.example.com:5432/app?sslmode=require"
        );

        let tricky = parse("mysql://root:pa/ss@word@127.0.0.1/app");
        assert!(!tricky.to_string().contains("pa/ss"), "{tricky}");
        assert!(!tricky.to_string().contains("word"), "{tricky}");

        let in_query = parse("postgres://db/app?user=app&password=Secret1&sslpassword=Other2");
        assert_eq!(
            in_query.to_string(),
            "postgres://db/app?user=app&password=****&sslpassword=****"
        );

        let no_password = parse("postgres://app@db/app");
        assert_eq!(no_password.to_string(), "postgres://app@db/app");
    }

    #[test]
    fn malformed_urls_are_masked_too() {
        // Regression: `redact` used to return a URL without `://` unchanged.
        let message = parse_error("postgres:/u:Secret1@host/db");
        assert_eq!(
            message,
            "invalid database url postgres:/****@host/db: expected `//` after the scheme"
        );
        for (raw, shown) in [
            ("postgres:u:Secret1@host/db", "postgres:****@host/db"),
            ("postgres:Secret1@host/db", "postgres:****@host/db"),
            ("postgres:///u:Secret1@host/db", "postgres:///****@host/db"),
            ("app:Secret1@host/db", "app:****@host/db"),
            ("oracle://scott:tiger@db/orcl", "oracle://****@db/orcl"),
            ("postgres://u:pa?ss@host/db", "postgres://u:****@host/db"),
            (
                "postgres://u:Secret1@db/app?x=a@b&password=Secret2",
                "postgres://u:****@b&password=****",
            ),
            (
                "mysql://root@db/app?user=a@b",
                "mysql://root@db/app?user=a@b",
            ),
        ] {
            assert_eq!(redact(raw), shown, "{raw}");
        }
    }

    /// Shapes of URL, well-formed and not, around a user name and password.
    const SHAPES: &[&str] = &[
        "{scheme}://{user}:{password}@{host}/app",
        "{scheme}://{user}:{password}@{host}/app?sslmode=require",
        "{scheme}:/{user}:{password}@{host}/app",
        "{scheme}:{user}:{password}@{host}/app",
        "{scheme}:///{user}:{password}@{host}/app",
        "{scheme}://{user}:{password}@/app",
        "{scheme}:{password}@{host}/app",
        "{scheme}://{host}/app?user={user}&password={password}",
        "{scheme}://{host}/app?sslmode=require&sslpassword={password}",
        "  {scheme}://{user}:{password}@{host}  ",
        "{user}:{password}@{host}/app",
    ];

    fn url_from_shape(shape: &str, scheme: &str, user: &str, password: &str, host: &str) -> String {
        shape
            .replace("{scheme}", scheme)
            .replace("{user}", user)
            .replace("{password}", password)
            .replace("{host}", host)
    }

    /// Everything a URL can be shown through: the parse error, or the URL and the errors that
    /// carry it, each in `Display` (with its sources) and `Debug`.
    fn every_showing(raw: &str) -> Vec<String> {
        let url = match DatabaseUrl::parse(raw) {
            Err(error) => {
                return vec![crate::error::error_chain_text(&error), format!("{error:?}")];
            }
            Ok(url) => url,
        };
        let mut shown = vec![url.to_string(), format!("{url:?}")];
        let driver_error = match url.dialect() {
            Dialect::Postgres => {
                <sqlx::postgres::PgConnectOptions as std::str::FromStr>::from_str(url.raw()).err()
            }
            Dialect::Mysql => {
                <sqlx::mysql::MySqlConnectOptions as std::str::FromStr>::from_str(url.raw()).err()
            }
            Dialect::Sqlite => None,
        };
        let errors = [
            BackendError::ConnectFailed {
                url: url.clone(),
                source: driver_error.unwrap_or(sqlx::Error::PoolTimedOut),
            },
            BackendError::DatabaseMissing {
                url: url.clone(),
                database: "app".to_owned(),
            },
        ];
        for error in errors {
            shown.push(crate::error::error_chain_text(&error));
            shown.push(format!("{error:?}"));
        }
        shown
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            failure_persistence: None,
            ..proptest::prelude::ProptestConfig::default()
        })]

        #[test]
        fn no_url_error_or_display_shows_the_password(
            shape in proptest::sample::select(SHAPES),
            scheme in proptest::sample::select(&[
                "postgres", "postgresql", "POSTGRES", "mysql", "mariadb", "sqlite", "mssql",
                "oracle", "",
            ][..]),
            user in "[a-z][a-z0-9_]{0,7}",
            password in "Pw[A-Za-z0-9/@?#:%!=+._~-]{6,16}",
            host in proptest::sample::select(&[
                "db", "127.0.0.1:5432", "[::1]", "db.example.com", "",
            ][..]),
        ) {
            let raw = url_from_shape(shape, scheme, &user, &password, host);
            for shown in every_showing(&raw) {
                proptest::prop_assert!(!shown.contains(&password), "{raw} shown as {shown}");
            }
        }
    }

    #[test]
    fn relative_sqlite_paths_resolve_against_base() {
        let base = Path::new("/srv/project");
        assert_eq!(
            parse("sqlite:data/app.db")
                .resolve_relative(base)
                .sqlite_path(),
            Some("/srv/project/data/app.db")
        );
        assert_eq!(
            parse("sqlite:./data/app.db")
                .resolve_relative(base)
                .sqlite_path(),
            Some("/srv/project/data/app.db")
        );
        let with_query = parse("sqlite:data/app.db?mode=rwc").resolve_relative(base);
        assert_eq!(
            with_query.to_string(),
            "sqlite:///srv/project/data/app.db?mode=rwc"
        );
        assert_eq!(
            parse("sqlite:///abs/app.db").resolve_relative(base),
            parse("sqlite:///abs/app.db")
        );
        assert_eq!(
            parse("sqlite::memory:").resolve_relative(base),
            parse("sqlite::memory:")
        );
        let server = parse("postgres://app:pw@db/app");
        assert_eq!(server.resolve_relative(base), server);
        let odd_base = parse("sqlite:app.db").resolve_relative(Path::new("/tmp/50%?"));
        assert_eq!(odd_base.sqlite_path(), Some("/tmp/50%25%3F/app.db"));
    }
}
