//! Integration tests of retort-core.

mod parser_props;
