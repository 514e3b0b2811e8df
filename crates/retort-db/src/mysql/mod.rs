//! The MySQL and MariaDB backend: statement-by-statement steps with recorded progress, resumable
//! after a failure, and a `GET_LOCK` lock on a connection of its own.
//!
//! **Why statement by statement.** MySQL commits every DDL statement implicitly, so a migration
//! cannot be rolled back as a whole. retort therefore splits it (`crate::statements`) and runs
//! one statement at a time, and the history row of the step (written as `running` before the
//! first statement) counts the statements completed (`statements_done` of `statements_total`)
//! and stores a checksum of each (`statement_checksums`). The version-row changes and the final
//! history update commit together in one transaction at the end, so the version table only ever
//! names fully applied revisions.
//!
//! **Failure and resume.** When a statement fails, the error names the migration, the statement
//! (number and text) and how many statements before it stay applied, and says what to do: fix the
//! failing statement and run again. The rerun finds the failed (or, after a SIGKILL, `running`)
//! history row of the same revision and direction, compares the checksums of the statements it
//! applied with those of the file now, and when they match skips them and continues with the
//! first one not applied. When an applied statement has changed, the rerun refuses
//! ([`crate::BackendError::ResumeRefused`]) rather than guess: those statements are in the
//! database as they were. Setting that row's outcome to `abandoned` (after undoing its statements
//! by hand) makes the next run start from the first statement. Each statement is sent in one
//! query with the progress update after it, so the server records a completed statement without
//! waiting for retort; only a server that dies between the two leaves a statement applied but
//! uncounted, and the rerun then fails on it, and the error shows which.
//!
//! **Round trips.** A one-statement migration takes four, as many as the `mysql` client needs
//! for the same work: the previous attempt's row; the `running` row, inserted only if the
//! version rows are those the plan expects (the check costs no round trip of its own); the
//! statement with its progress update, `START TRANSACTION` and the version changes; the history
//! row marked `applied` with `COMMIT`. Values that cannot be written as plain literals (see
//! `crate::sql_text::text_literal`) are bound instead, at the cost of a round trip each.
//!
//! **Outcomes.** The `outcome` column of a step's history row ends as one of:
//!
//! - `applied`: every statement ran, and the version rows changed in the same transaction as
//!   this update;
//! - `failed`: a statement (or the closing transaction) failed; `statements_done` of them stay
//!   applied and `error` says why, and the next run of the step resumes after them;
//! - `running`: the step is under way, or its runner died mid-step (the next run resumes after
//!   `statements_done`);
//! - `resumed`: the runner died mid-step (the row was `running`) and a later attempt of the same
//!   revision and direction has since completed the step, in the transaction that marked its
//!   own row `applied`;
//! - `abandoned`: set by hand, never by retort, after undoing a failed run's statements, so that
//!   the next run starts from the first statement.
//!
//! A `failed` row stays `failed` after a later attempt completes the step: it records that
//! attempt's error.
//!
//! **Locking.** `GET_LOCK(name, 0)` is polled on a connection of its own until the lock timeout:
//! a named lock belongs to its session, so it is released with `RELEASE_LOCK` on every path and by
//! the server when the connection ends (a runner killed with SIGKILL leaves no stale lock). The
//! lock connection's `wait_timeout` is raised so that the server does not close it, idle, during
//! a long migration. The holder writes its host, pid, run id and start time to a `retort_lock`
//! row keyed by the lock name and stamped with its connection id; a waiter trusts the row only
//! when `IS_USED_LOCK` names that same connection (so a row left by a killed runner never
//! misleads), and otherwise describes the holding connection from the process list.
//!
//! **Connection settings.** sqlx's defaults that change SQL semantics (`PIPES_AS_CONCAT`, a UTC
//! `time_zone`) are turned off, so that migrations behave as they do in the `mysql` client. The
//! version and history tables are named with the database (`app`.`retort_version`), so a
//! migration that runs `USE other` cannot redirect them.

mod connection;
mod named_lock;
mod resume;
mod step;

pub(crate) use connection::MysqlBackend;
