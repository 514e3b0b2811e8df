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

# The global plan of an upgrade, without running it: just plan [TARGET] [--format dot]
plan *args:
    cargo run --quiet -- plan "$@"

# Every database: current revision, heads, pending migrations, edited files.
status:
    cargo run --quiet -- status

# Fails while anything is pending, a database has unexpected heads, or an applied file was edited.
check:
    cargo run --quiet -- check

# The whole test suite (the README's second command).
test:
    cargo test --workspace

# Every figure of docs/BENCHMARKS.md: the core's criterion benches and the end-to-end
# comparison (bench-core, bench-e2e), then the scheduler benchmark on PostgreSQL: just bench --fsync-off
bench *args: bench-core bench-e2e
    bench/run.sh "$@"

# criterion benches of retort-core on generated graphs of 1k, 10k and 100k revisions.
bench-core:
    cargo bench -p retort-core --bench core
    python3 bench/report.py core

# retort against the databases' own clients, sqlx-cli and refinery on SQLite, PostgreSQL, MariaDB.
bench-e2e:
    bench/e2e.sh
    python3 bench/report.py e2e
