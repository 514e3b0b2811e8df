#!/usr/bin/env bash
# Benchmark of retort's concurrent scheduler on PostgreSQL (not a test: it prints figures).
#
#   bench/run.sh [--fsync-off] [--repeat N] [--migrations N] [--sleep SECONDS]
#
# Two scenarios, on 4 databases of N migrations each (default 50), every migration running
# `SELECT pg_sleep(S)` (default 0.02) and a CREATE TABLE:
#
#   1. independent databases: the wall time of one run over all 4 against the slowest database
#      run alone; the ratio should stay at or below 1.15;
#   2. cross-database dependencies with a known critical path: d2's first migration depends on
#      d1's migration N/2, d3's on d2's N/2, d4's on d3's N/2, so the critical path is
#      3 * N/2 + N steps; the wall time is compared with that path: the cost of a run with
#      nothing to do over the 4 databases, plus that many steps at the time of one step
#      (the slowest database alone, less a run with nothing to do over one database, over N).
#
# Each figure is the median of --repeat runs (default 3); every run starts from freshly created
# databases (created outside the timed part). --fsync-off sets `fsync = off` on the server for
# the duration of the script (ALTER SYSTEM, reset on exit): a disk's fsync latency can swing
# 5-10x between runs and would drown what is measured. The server is reached as
# postgres@127.0.0.1:5432 unless BENCH_PG_HOST, BENCH_PG_PORT or BENCH_PG_USER say otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

fsync_off=false
repeat=3
n_migrations=50
sleep_seconds=0.02
while [ $# -gt 0 ]; do
    case "$1" in
        --fsync-off) fsync_off=true ;;
        --repeat) repeat="$2"; shift ;;
        --migrations) n_migrations="$2"; shift ;;
        --sleep) sleep_seconds="$2"; shift ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
host="${BENCH_PG_HOST:-127.0.0.1}"
port="${BENCH_PG_PORT:-5432}"
user="${BENCH_PG_USER:-postgres}"
databases=(d1 d2 d3 d4)
half=$((n_migrations / 2))

psql_admin() { psql -h "$host" -p "$port" -U "$user" -d postgres -qAtX -c "$1"; }

if $fsync_off; then
    psql_admin "ALTER SYSTEM SET fsync = off" && psql_admin "SELECT pg_reload_conf()" >/dev/null
    trap 'psql_admin "ALTER SYSTEM RESET fsync" && psql_admin "SELECT pg_reload_conf()" >/dev/null' EXIT
fi

echo "building retort (release)..." >&2
cargo build --quiet --release -p retort-cli
retort="$PWD/target/release/retort"
work=$(mktemp -d)
trap_cleanup() { rm -rf "$work"; }
trap 'trap_cleanup; if $fsync_off; then psql_admin "ALTER SYSTEM RESET fsync"; psql_admin "SELECT pg_reload_conf()" >/dev/null; fi' EXIT

# write_project DIR WITH_DEPENDENCIES: the config and the migration files.
write_project() {
    local dir="$1" with_dependencies="$2" previous_db=""
    mkdir -p "$dir/config"
    : > "$dir/config/retort.toml"
    for db in "${databases[@]}"; do
        printf '[databases.%s]\nurl = "postgres://%s@%s:%s/retort_bench_%s"\n\n' "$db" "$user" "$host" "$port" "$db" >> "$dir/config/retort.toml"
        mkdir -p "$dir/databases/$db/versions"
        local down=""
        for i in $(seq -w 1 "$n_migrations"); do
            local id="${db}_m${i}" depends=""
            if [ "$with_dependencies" = yes ] && [ "$((10#$i))" -eq 1 ] && [ -n "$previous_db" ]; then
                depends="-- depends_on: ${previous_db}:${previous_db}_m$(printf "%0${#n_migrations}d" "$half")"$'\n'
            fi
            printf -- '-- revision: %s\n-- down_revision: %s\n%s-- message: step %s\n\n-- upgrade\nSELECT pg_sleep(%s);\nCREATE TABLE t_%s (id integer);\n\n-- downgrade\nDROP TABLE t_%s;\n' \
                "$id" "$down" "$depends" "$i" "$sleep_seconds" "$i" "$i" > "$dir/databases/$db/versions/${i}_${id}.sql"
            down="$id"
        done
        previous_db="$db"
    done
}

reset_databases() {
    for db in "${databases[@]}"; do
        psql_admin "DROP DATABASE IF EXISTS retort_bench_$db WITH (FORCE)"
        psql_admin "CREATE DATABASE retort_bench_$db"
    done
}

# time_run DIR ARGS...: resets the databases, then prints the wall time of `retort ARGS` in ms.
time_run() {
    reset_databases
    time_as_is "$@"
}

# time_as_is DIR ARGS...: the wall time of `retort ARGS` in ms, on the databases as they are.
time_as_is() {
    local dir="$1"; shift
    local start end
    start=$(date +%s%N)
    (cd "$dir" && "$retort" --quiet "$@" >/dev/null)
    end=$(date +%s%N)
    echo $(((end - start) / 1000000))
}

# median_of DIR ARGS...: the median wall time of --repeat runs, in ms.
median_of() {
    local times=()
    for _ in $(seq 1 "$repeat"); do times+=("$(time_run "$@")"); done
    printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}

independent="$work/independent"
dependent="$work/dependent"
write_project "$independent" no
write_project "$dependent" yes

echo "scenario 1: ${#databases[@]} independent databases x $n_migrations migrations" >&2
concurrent=$(median_of "$independent" upgrade)
slowest=0
for db in "${databases[@]}"; do
    alone=$(median_of "$independent" upgrade --db "$db")
    echo "  $db alone: ${alone} ms" >&2
    [ "$alone" -gt "$slowest" ] && slowest=$alone
done
sequential=$(median_of "$independent" upgrade --jobs 1)
# What a run costs besides its steps (connect, read, check, lock, unlock): a run with nothing
# to do, over one database and over all of them.
(cd "$independent" && "$retort" --quiet upgrade >/dev/null)
startup_one=$(time_as_is "$independent" upgrade --db d1)
startup_all=$(time_as_is "$independent" upgrade)

echo "scenario 2: cross-database dependencies" >&2
critical_steps=$((3 * half + n_migrations))
planned_waves=$(reset_databases; cd "$dependent" && "$retort" plan --format json | sed -n 's/^  "waves": \([0-9]*\).*/\1/p')
with_dependencies=$(median_of "$dependent" upgrade)

per_step=$(awk -v s="$slowest" -v o="$startup_one" -v n="$n_migrations" 'BEGIN { printf "%.2f", (s - o) / n }')
critical_ms=$(awk -v p="$per_step" -v c="$critical_steps" -v o="$startup_all" 'BEGIN { printf "%.0f", o + p * c }')
fsync=$(psql_admin "SHOW fsync")
cat <<EOF

## retort scheduler benchmark
PostgreSQL $(psql_admin "SHOW server_version"), fsync=$fsync, $(nproc) CPUs, median of $repeat runs
${#databases[@]} databases x $n_migrations migrations, each \`SELECT pg_sleep($sleep_seconds)\` and a CREATE TABLE

| scenario | wall time | compared with | ratio |
|---|---|---|---|
| independent, all at once | ${concurrent} ms | slowest database alone: ${slowest} ms | $(awk -v a="$concurrent" -v b="$slowest" 'BEGIN { printf "%.3f", a / b }') |
| independent, --jobs 1 | ${sequential} ms | slowest database alone: ${slowest} ms | $(awk -v a="$sequential" -v b="$slowest" 'BEGIN { printf "%.3f", a / b }') |
| with dependencies (critical path ${critical_steps} steps; plan says ${planned_waves} waves) | ${with_dependencies} ms | critical path: ${startup_all} + ${critical_steps} x ${per_step} ms = ${critical_ms} ms | $(awk -v a="$with_dependencies" -v b="$critical_ms" 'BEGIN { printf "%.3f", a / b }') |

A run with nothing to do takes ${startup_one} ms over one database and ${startup_all} ms over all ${#databases[@]};
one step takes (${slowest} - ${startup_one}) / ${n_migrations} = ${per_step} ms.
EOF
