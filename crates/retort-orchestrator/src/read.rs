//! Reading a database without changing it: for `plan`, `status`, `check` and `current`, and for
//! the databases outside a run whose rows a run only checks.
//!
//! Nothing is created. A SQLite file that does not exist reads as empty (no rows, no checksums),
//! as does a server database that does not exist when the config lets retort create it (the
//! first run will); a server database that does not exist otherwise is the connection error it
//! is. A database without retort's tables reads as empty too.

use std::collections::BTreeMap;
use std::path::PathBuf;

use retort_db::{Backend, BackendError, BackendOptions};

/// What a database says about itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DatabaseState {
    /// The version rows, in the order the database returns them.
    pub rows: Vec<String>,
    /// The checksum recorded when each revision was applied.
    pub checksums: BTreeMap<String, String>,
}

/// Reads a database's version rows and recorded checksums, creating nothing.
pub async fn read_database(options: &BackendOptions) -> Result<DatabaseState, BackendError> {
    let Some(mut backend) = connect_read_only(options).await? else {
        return Ok(DatabaseState::default());
    };
    let state = read_state(backend.as_mut()).await;
    let closed = backend.close().await;
    let state = state?;
    closed?;
    Ok(state)
}

/// Connects without creating anything: `None` when the database does not exist yet and a run
/// would create it.
pub(crate) async fn connect_read_only(options: &BackendOptions) -> Result<Option<Box<dyn Backend>>, BackendError> {
    if let Some(path) = options.url.sqlite_path()
        && !sqlite_file(path).exists()
    {
        return Ok(None);
    }
    let would_create = options.create_database;
    let options = BackendOptions { create_database: false, ..options.clone() };
    match retort_db::connect(&options).await {
        Ok(backend) => Ok(Some(backend)),
        Err(BackendError::DatabaseMissing { .. }) if would_create => Ok(None),
        Err(error) => Err(error),
    }
}

/// The rows and checksums of a connected database.
pub(crate) async fn read_state(backend: &mut dyn Backend) -> Result<DatabaseState, BackendError> {
    let rows = backend.read_rows().await?;
    let checksums = backend.applied_checksums().await?;
    Ok(DatabaseState { rows, checksums })
}

/// The file a SQLite URL's path names: percent-escapes decoded, as sqlx decodes them.
fn sqlite_file(url_path: &str) -> PathBuf {
    let bytes = url_path.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut position = 0;
    while position < bytes.len() {
        let escaped = (bytes[position] == b'%')
            .then(|| bytes.get(position + 1..position + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                decoded.push(byte);
                position += 3;
            }
            None => {
                decoded.push(bytes[position]);
                position += 1;
            }
        }
    }
    PathBuf::from(String::from_utf8_lossy(&decoded).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_paths_are_percent_decoded() {
        assert_eq!(sqlite_file("/srv/my%20data/app.db"), PathBuf::from("/srv/my data/app.db"));
        assert_eq!(sqlite_file("/a%25b%3Fc"), PathBuf::from("/a%b?c"));
        assert_eq!(sqlite_file("data/app.db%"), PathBuf::from("data/app.db%"));
    }
}
