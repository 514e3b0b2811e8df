//! Connecting fails in the few ways a user can act on, each as one clear line with exit 2,
//! within the connect timeout and without the password: a server that is not there, a refused
//! login, a missing database, a server that never answers. And SQL Server URLs are refused with
//! the message the README quotes.

use std::net::TcpListener;
use std::time::Duration;

use super::{
    Engine, EngineProject, Run, ServerUser, redacted, with_credentials, with_database,
    with_host_and_port,
};

/// `connect_timeout_secs` of these tests.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// Runs `upgrade` and `current` on a project whose URL is `url`; each must fail with exit 2
/// and one line on stderr holding `fragment`, quickly, without `secrets`.
fn check_one_line_error(url: &str, fragment: &str, secrets: &[String]) -> Vec<Run> {
    check_one_line_error_of(&[&["upgrade"], &["current"]], url, fragment, secrets)
}

/// [`check_one_line_error`] for the commands `commands`.
fn check_one_line_error_of(
    commands: &[&[&str]],
    url: &str,
    fragment: &str,
    secrets: &[String],
) -> Vec<Run> {
    let project = EngineProject::unconnected(url);
    project.configure(&format!(
        "connect_timeout_secs = {}",
        CONNECT_TIMEOUT.as_secs()
    ));
    let runs: Vec<Run> = commands.iter().map(|args| project.retort(args)).collect();
    for run in &runs {
        run.fails_with(2, &[&format!("error: database 'app': {fragment}")]);
        assert_eq!(run.stdout, "", "{run}");
        assert_eq!(run.stderr.lines().count(), 1, "one line:\n{run}");
        assert!(
            run.elapsed < 2 * CONNECT_TIMEOUT,
            "took longer than twice the connect timeout:\n{run}"
        );
        run.assert_hides(secrets);
    }
    runs
}

fn connection_errors_are_one_clear_line(engine: Engine) {
    let Some(server_url) = engine.reachable_server_url() else {
        return;
    };
    let user = ServerUser::random();
    let password = user.encoded_password();
    let secrets = vec![
        user.password.clone(),
        password.clone(),
        user.password_core().to_owned(),
    ];
    let admin_user = server_url
        .split_once("://")
        .and_then(|(_, rest)| rest.rsplit_once('@'))
        .map_or("", |(credentials, _)| {
            credentials.split(':').next().unwrap_or(credentials)
        })
        .to_owned();

    // Nothing listens on port 1.
    let unreachable = with_host_and_port(
        &with_credentials(&server_url, &user.name, &password),
        "127.0.0.1:1",
    );
    check_one_line_error(
        &unreachable,
        &format!(
            "could not reach the database server of {}: ",
            redacted(&unreachable)
        ),
        &secrets,
    );

    // A wrong password; PostgreSQL's test server trusts local connections whatever their
    // password, so there it is a role that does not exist, which every server refuses.
    let login_user = match engine {
        Engine::Postgres => &user.name,
        _ => &admin_user,
    };
    let refused = with_credentials(&server_url, login_user, &password);
    check_one_line_error(
        &refused,
        &format!(
            "the database server of {} refused the login: check the user name and password",
            redacted(&refused)
        ),
        &secrets,
    );

    let missing_name = format!("retort_missing_{}", &user.name[12..]);
    let missing = with_database(&server_url, &missing_name);
    check_one_line_error(
        &missing,
        &format!(
            "database `{missing_name}` does not exist on the server of {}: create it, or enable \
             create_database for it",
            redacted(&missing)
        ),
        &secrets,
    );

    // A server that accepts the connection and never answers: the connect timeout ends it.
    let silent = TcpListener::bind("127.0.0.1:0").expect("a local port");
    let silent_address = silent.local_addr().expect("its address");
    let silent_url = with_host_and_port(
        &with_credentials(&server_url, &user.name, &password),
        &silent_address.to_string(),
    );
    for run in check_one_line_error_of(
        &[&["upgrade"]],
        &silent_url,
        &format!("could not connect to {} within 2s", redacted(&silent_url)),
        &secrets,
    ) {
        assert!(run.elapsed >= CONNECT_TIMEOUT, "{run}");
    }
}

#[test]
fn postgres_connection_errors_are_one_clear_line() {
    connection_errors_are_one_clear_line(Engine::Postgres);
}

#[test]
fn mysql_connection_errors_are_one_clear_line() {
    connection_errors_are_one_clear_line(Engine::Mysql);
}

/// SQL Server has no sqlx driver; its URLs are refused before anything else, with the message
/// the README quotes.
#[test]
fn sql_server_urls_are_refused() {
    for (scheme, url) in [
        ("mssql", "mssql://sa:Secret1@127.0.0.1:1433/app"),
        ("sqlserver", "sqlserver://sa:Secret1@127.0.0.1:1433/app"),
    ] {
        let project = EngineProject::unconnected("sqlite:data/app.db");
        project.write(
            "config/retort.toml",
            &format!("[databases.app]\nurl = \"{url}\"\n"),
        );
        let run = project.retort(&["upgrade"]);
        assert_eq!(run.code, 2, "{run}");
        assert_eq!(
            run.stderr,
            format!(
                "error: invalid url for database 'app' (from config/retort.toml:2): sql server is \
                 not supported (`{scheme}://`): sqlx has no driver for it; supported: sqlite:, \
                 postgres://, postgresql://, mysql://, mariadb://\n"
            ),
            "{run}"
        );
        run.assert_hides(&["Secret1".to_owned()]);
    }
}
