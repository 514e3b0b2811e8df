//! Integration tests of the `retort` binary: each test builds a project in a temporary
//! directory (a `config/retort.toml`, `databases/<db>/versions/*.sql`, SQLite files under it),
//! runs the binary there, and checks its exit code, stdout and stderr, and the databases.

mod autogenerate;
mod bad_input;
mod common;
mod config;
mod display;
mod exit_codes;
mod flow;
mod generate;
mod init;
mod lock;
mod offline;
mod orchestrate;
mod overview;
mod read_only;
mod release;
mod rollback;
mod run;
mod servers;
