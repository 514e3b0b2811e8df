//! The SQLite backend: one `SqliteConnection`, the version, history and lock tables, one
//! `BEGIN IMMEDIATE` transaction per step.
//!
//! **Locking.** SQLite has a single writer per database file. A lock held as a long write
//! transaction on a second connection would therefore block the migration connection itself, so
//! the lock is a *lease row* instead: table `retort_lock` holds at most one row (`id = 1`) naming
//! the holder's host, pid and run id and when it took the lock. [`crate::Backend::lock`] polls a
//! short `BEGIN IMMEDIATE` transaction that inserts the row when absent; `unlock` deletes it when
//! it is ours, and `close` unlocks. While it waits, the busy timeout is lowered to the poll
//! interval so that a long migration of another runner (which holds the write lock) cannot make
//! one attempt overshoot the lock timeout.
//!
//! **Stale leases.** A runner killed with SIGKILL cannot delete its row. On Linux, a row whose
//! host is this host and whose pid has no `/proc/<pid>` is taken over, so a dead runner never
//! blocks the next one. Elsewhere (and when `/proc` is not mounted) a row is never judged stale;
//! the lock-timeout error names the holder and says how to delete the row. Two containers that
//! share a host name but not a pid namespace would see each other's pids as dead: give them
//! different host names.
//!
//! **Transactions.** DDL is transactional in SQLite, so a step's SQL, its version-row changes and
//! its history row commit together; on failure everything is rolled back and a `failed` history
//! row is written in its own statement. `transaction: false` steps run their SQL in autocommit
//! mode, then the version changes and history in one transaction.
//!
//! **Connection settings.** The file and its directory are created when missing. The busy
//! timeout is 30 s, so a migration waits for the application's own short write transactions.
//! Foreign-key enforcement stays at SQLite's default (off), as under Alembic/SQLAlchemy: with it
//! on, the table rebuilds SQLite needs for most `ALTER`s would cascade deletes. The journal mode
//! is left as the database has it. The URL's `synchronous` parameter (`?synchronous=off`, `normal`,
//! `full` or `extra`) sets `PRAGMA synchronous` on the connection; without it SQLite's default
//! (`FULL`) applies. `off` trades durability against power loss for speed (a crash of retort
//! itself loses nothing): for throwaway databases and benchmarks.
//!
//! **Commands to the connection's thread.** sqlx runs each SQLite connection on a thread of its
//! own, and each command and each statement's result is a hop between that thread and the
//! runtime's, which costs more than the statements of a small migration. A step is therefore
//! sent as three commands: `BEGIN IMMEDIATE` with the migration's SQL; the version changes, the
//! first one conditional on the version rows being those the plan expects (the check costs no
//! command of its own); the history row with `COMMIT`.

mod connection;
mod lease;
mod step;

pub(crate) use connection::SqliteBackend;
