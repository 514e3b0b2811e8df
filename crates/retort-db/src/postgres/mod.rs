//! The PostgreSQL backend: a migration connection, a lock connection, the version and history
//! tables, one transaction per step.
//!
//! **Transactions.** DDL is transactional in PostgreSQL, so a step's SQL, its version-row changes
//! and its history row commit in one `BEGIN` … `COMMIT`; when anything fails the transaction is
//! rolled back (the catalog and the version table stay exactly at the previous revision) and
//! then a `failed` history row is written on its own. The SQL of a transactional step is sent as
//! one query string, so the server, not retort, decides where its statements end; the failing
//! statement's number comes from the server's count of completed statements. A step takes three
//! round trips: `BEGIN` with the migration's SQL; the version changes, the first one conditional
//! on the version rows being those the plan expects (the check costs no round trip of its own);
//! the history row with `COMMIT`, its values written as `E'…'` literals.
//!
//! **`transaction: false`.** PostgreSQL runs a multi-statement query string as one implicit
//! transaction, which `CREATE INDEX CONCURRENTLY`, `VACUUM` and `ALTER TYPE … ADD VALUE` (before
//! 12) refuse. Such a step is split into statements (`crate::statements`) and each is sent on
//! its own in autocommit mode; the version change and history row then commit together.
//!
//! **Locking.** The migration lock is a session advisory lock, `pg_try_advisory_lock(key)` with a
//! key hashed from the schema and the version table, held on a connection of its own: a session
//! lock lives exactly as long as its connection, so a runner killed with SIGKILL leaves no stale
//! lock behind, and keeping it off the migration connection keeps it out of every migration
//! transaction. It is taken by polling the try-lock: a waiter blocked in `pg_advisory_lock`
//! would sit in an open transaction, and `CREATE INDEX CONCURRENTLY` run by the holder waits for
//! every open transaction to end, so the two would wait for each other forever. The lock
//! connection's `application_name` is `retort <run id> <host> <pid>`; a waiter finds the holder's
//! session through `pg_locks` and `pg_stat_activity` and names it when it gives up.
//!
//! **A killed runner.** The server notices that a client is gone only when it next talks to it,
//! so the transaction of a runner killed in the middle of a long statement (a big `UPDATE`, a
//! `pg_sleep`) would keep its locks, and hold up the rerun, until that statement ends. The
//! migration connection therefore sets `client_connection_check_interval` to one second
//! (PostgreSQL 14 and later, on servers running on Linux, macOS or a BSD), so that the server
//! checks the socket while a statement runs and rolls the transaction back within a second of the
//! runner's death. A value set through the URL's `options` is kept; servers that have no such
//! setting, or cannot honour it (Windows), are left as they are.
//!
//! **Setup.** [`crate::Backend::ensure_tables`] creates the schema, enables the configured
//! extensions and creates the tables, under a transaction-scoped advisory lock so that runners
//! starting together do not race on the catalog (`CREATE TABLE IF NOT EXISTS` is not safe
//! against a concurrent twin). With `create_database`, connecting creates a missing database
//! through the `postgres` maintenance database first; when runners do that together, the one
//! that loses the race (`duplicate_database`, or a unique violation on `pg_database` when both
//! passed the server's existence check) uses the database the other created.
//!
//! **Schema.** With a `schema` option the version and history tables live in that schema, and
//! the migration connection's `search_path` is that schema followed by `public`, so that
//! migrations create their objects there while types of extensions installed in `public` (such
//! as pgvector's) still resolve.

mod advisory_lock;
mod connection;
mod setup;
mod step;

pub(crate) use connection::PostgresBackend;
