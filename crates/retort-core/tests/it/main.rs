//! Integration tests of retort-core.

mod parser_props;
mod graph_props;
mod alembic_revision;
mod alembic_traversal;
mod alembic_oracle;
