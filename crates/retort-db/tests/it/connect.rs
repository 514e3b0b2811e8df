//! Connecting to the servers: an unreachable server, a silent one, a refused login and a missing
//! database each give one clear error naming the redacted URL, and no error ever shows the
//! password, in its `Display`, its `Debug` or its chain of sources.

use std::error::Error;
use std::time::{Duration, Instant};

use retort_db::{BackendError, BackendOptions, DatabaseUrl};

use crate::engines::{Engine, TestDatabase, with_database};

/// The password every test URL carries; no error may show it.
const PASSWORD: &str = "Pw_must_not_leak_42";

/// Connects and returns the error, after checking that no rendering of it shows [`PASSWORD`].
async fn connect_error(url: &str, connect_timeout: Duration) -> BackendError {
    let url = DatabaseUrl::parse(url).unwrap();
    let options = BackendOptions {
        connect_timeout,
        ..BackendOptions::new(url)
    };
    let Err(error) = retort_db::connect(&options).await else {
        panic!("connected");
    };
    let mut renderings = vec![
        error.to_string(),
        format!("{error:?}"),
        format!("{error:#?}"),
    ];
    let mut source = error.source();
    while let Some(cause) = source {
        renderings.push(cause.to_string());
        renderings.push(format!("{cause:?}"));
        source = cause.source();
    }
    for rendering in renderings {
        assert!(
            !rendering.contains(PASSWORD),
            "the password leaked: {rendering}"
        );
    }
    error
}

#[tokio::test]
async fn unreachable_servers_are_named_without_the_password() {
    for (scheme, engine) in [("postgres", "postgres"), ("mysql", "mysql")] {
        let url = format!("{scheme}://app:{PASSWORD}@127.0.0.1:1/app");
        let error = connect_error(&url, Duration::from_secs(5)).await;
        assert!(
            matches!(error, BackendError::ServerUnreachable { .. }),
            "{engine}: {error:?}"
        );
        assert_eq!(
            error.to_string(),
            format!("could not reach the database server of {scheme}://app:****@127.0.0.1:1/app")
        );
    }
}

#[tokio::test]
async fn unusable_server_urls_are_refused_without_the_password() {
    let error = connect_error(
        &format!("postgres://app:{PASSWORD}@127.0.0.1:99999/app"),
        Duration::from_secs(5),
    )
    .await;
    assert!(
        error
            .to_string()
            .starts_with("could not connect to postgres://app:****@127.0.0.1:99999/app"),
        "{error}"
    );
    let error = connect_error(
        &format!("mysql://app:{PASSWORD}@127.0.0.1:1"),
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(
        error.to_string(),
        "invalid database url mysql://app:****@127.0.0.1:1: the url names no database \
         (mysql://user@host/database)"
    );
}

#[tokio::test]
async fn a_silent_server_times_out_within_the_connect_timeout() {
    // Accepts connections (in the kernel's backlog) but never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    for scheme in ["postgres", "mysql"] {
        let started = Instant::now();
        let url = format!("{scheme}://app:{PASSWORD}@127.0.0.1:{port}/app");
        let error = connect_error(&url, Duration::from_millis(300)).await;
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(
            error.to_string(),
            format!("could not connect to {scheme}://app:****@127.0.0.1:{port}/app within 300ms")
        );
    }
}

#[tokio::test]
async fn postgres_refused_login_and_missing_database() {
    let Some(database) = TestDatabase::create(Engine::Postgres).await else {
        return;
    };
    let server_url = Engine::Postgres.server_url().unwrap();
    let (scheme, rest) = server_url.split_once("://").unwrap();
    let host_and_path = &rest[rest.rfind('@').map_or(0, |at| at + 1)..];

    // The local server trusts every login, so a role that does not exist stands in for a
    // wrong password: both are refused logins.
    let no_such_role = format!("{scheme}://no_such_role_x:{PASSWORD}@{host_and_path}");
    let error = connect_error(&no_such_role, Duration::from_secs(10)).await;
    assert!(
        matches!(error, BackendError::AuthenticationFailed { .. }),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .starts_with("the database server of postgres://no_such_role_x:****@")
            && error
                .to_string()
                .ends_with("refused the login: check the user name and password"),
        "{error}"
    );

    let user = rest[..rest.rfind('@').unwrap_or(0)]
        .split(':')
        .next()
        .unwrap_or("postgres");
    let with_password = format!("{scheme}://{user}:{PASSWORD}@{host_and_path}");
    let missing = with_database(&with_password, &format!("{}_missing", database.name));
    let error = connect_error(&missing, Duration::from_secs(10)).await;
    assert!(
        matches!(error, BackendError::DatabaseMissing { .. }),
        "{error:?}"
    );
    assert!(
        error.to_string().contains(&format!(
            "database `{}_missing` does not exist",
            database.name
        )),
        "{error}"
    );
}

#[tokio::test]
async fn mysql_wrong_password_and_missing_database() {
    let Some(database) = TestDatabase::create(Engine::Mysql).await else {
        return;
    };
    let user = format!("{}_user", database.name);
    let missing_name = format!("{}_missing", database.name);
    let mut admin = database.inspect().await;
    // A grant on the missing database lets the server say it is missing rather than denied.
    admin
        .execute(&format!(
            "CREATE USER '{user}'@'%' IDENTIFIED BY '{PASSWORD}'; \
             CREATE USER '{user}'@'localhost' IDENTIFIED BY '{PASSWORD}'; \
             GRANT ALL ON {missing_name}.* TO '{user}'@'%'; \
             GRANT ALL ON {missing_name}.* TO '{user}'@'localhost'"
        ))
        .await;
    let server_url = Engine::Mysql.server_url().unwrap();
    let rest = server_url.split_once("://").unwrap().1;
    let host_and_path = &rest[rest.rfind('@').map_or(0, |at| at + 1)..];
    let wrong_password = format!("mysql://{user}:Wrong_{PASSWORD}@{host_and_path}");
    let refused = connect_error(
        &with_database(&wrong_password, &missing_name),
        Duration::from_secs(10),
    )
    .await;
    let right_password = format!("mysql://{user}:{PASSWORD}@{host_and_path}");
    let missing = connect_error(
        &with_database(&right_password, &missing_name),
        Duration::from_secs(10),
    )
    .await;
    admin
        .execute(&format!(
            "DROP USER '{user}'@'%'; DROP USER '{user}'@'localhost'"
        ))
        .await;

    assert!(
        matches!(refused, BackendError::AuthenticationFailed { .. }),
        "{refused:?}"
    );
    assert!(
        refused
            .to_string()
            .starts_with(&format!("the database server of mysql://{user}:****@")),
        "{refused}"
    );
    assert!(
        matches!(missing, BackendError::DatabaseMissing { .. }),
        "{missing:?}"
    );
    assert!(
        missing.to_string().starts_with(&format!(
            "database `{missing_name}` does not exist on the server of mysql://{user}:****@"
        )),
        "{missing}"
    );
}
