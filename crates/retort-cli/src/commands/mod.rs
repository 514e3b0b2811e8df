//! One file per command verb, as Alembic's `command.py` has one function per command; shared
//! pieces (the context, reading a database's rows, writing a revision file, the online and
//! offline runs) sit beside them.

pub mod autogenerate;
pub mod branches;
pub mod check;
pub mod context;
pub mod current;
pub mod database_state;
pub mod diff;
pub mod downgrade;
pub mod generate;
pub mod heads;
pub mod history;
pub mod init;
pub mod lock;
pub mod merge;
pub mod offline;
pub mod online;
pub mod overview;
pub mod plan;
pub mod rebase;
pub mod revision;
pub mod show;
pub mod stamp;
pub mod status;
pub mod upgrade;
