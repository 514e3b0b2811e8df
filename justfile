# Everyday commands for retort's development. `cargo install just` to use them;
# every recipe is a plain cargo command, so the README's quick start works without just.

set positional-arguments

# Migrate every configured database to its heads (the README's first command).
migrate-all:
    cargo run --quiet -- upgrade

# New revision: just revision app "add users table" [extra retort revision options]
revision db message *args:
    cargo run --quiet -- revision --db "$1" -m "$2" "${@:3}"

# Upgrade (default heads): just upgrade [TARGET] [--db NAME] [--sql]
upgrade *args:
    cargo run --quiet -- upgrade "$@"

# Downgrade: just downgrade -1 --db app
downgrade target *args:
    cargo run --quiet -- downgrade "$@"

# Where every database is and what its graph's heads are.
status:
    cargo run --quiet -- current --verbose
    cargo run --quiet -- heads

# The whole test suite (the README's second command).
test:
    cargo test --workspace
