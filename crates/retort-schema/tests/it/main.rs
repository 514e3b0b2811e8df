//! Integration tests of retort-schema: schemas built by hand (`build`), compared (`compare`)
//! and planned into DDL per dialect (`plan`), all in memory. The same code runs against real
//! databases in retort-db's `introspect*` tests.

mod build;
mod compare;
mod never_panics;
mod plan;
