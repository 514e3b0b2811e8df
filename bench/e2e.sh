#!/usr/bin/env bash
# End-to-end benches: `retort upgrade` against the floor (the same DDL through the database's
# own client, one transaction and one version-row change per migration) and against the Rust
# peers (sqlx-cli, refinery_cli), on SQLite, PostgreSQL and MariaDB; then downgrade, offline
# SQL at 10k revisions, `current`, and peak memory at 100k revisions.
#
#   bench/e2e.sh            everything (run by `just bench`); results in target/bench/e2e/
#   BENCH_QUICK=1 bench/e2e.sh   fewer runs, for trying the script out
#
# Servers: PostgreSQL at $BENCH_PG (default 127.0.0.1:5432, user postgres, trust) and MariaDB at
# $BENCH_MY (default 127.0.0.1:3306, root, no password). Durability is switched off for the
# overhead figures (PostgreSQL fsync=off, MariaDB innodb_flush_log_at_trx_commit=0; SQLite files
# on tmpfs, and `PRAGMA synchronous = OFF` for retort, through its URL's `?synchronous=off`, and
# for the sqlite3 floor, through `-cmd`; sqlx-cli and refinery have no such setting and keep
# SQLite's default, whose fsyncs cost next to nothing on tmpfs) and restored afterwards; the
# durable figures are taken with it on.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${BENCH_OUT:-$ROOT/target/bench/e2e}
WORK=$OUT/work
TOOLS=$ROOT/bench/.tools/bin
RETORT=$ROOT/target/release/retort
PG_HOST=${BENCH_PG_HOST:-127.0.0.1}; PG_PORT=${BENCH_PG_PORT:-5432}
MY_HOST=${BENCH_MY_HOST:-127.0.0.1}; MY_PORT=${BENCH_MY_PORT:-3306}
DB=retort_bench
SHM=${BENCH_SHM:-/dev/shm/retort-bench}
DISK=$OUT/disk
QUICK=${BENCH_QUICK:-}

log() { printf '%s %s\n' "$(date +%T)" "$*" >&2; }

runs() { # runs N_MIGRATIONS BACKEND
  if [[ -n $QUICK ]]; then echo 2; return; fi
  case "$1:$2" in
    100:mysql) echo 5 ;; 100:*) echo 10 ;;
    1000:mysql) echo 3 ;; *) echo 5 ;;
  esac
}

# --- tools -----------------------------------------------------------------------------------
command -v hyperfine >/dev/null || { log "hyperfine is needed: apt-get install -y hyperfine"; exit 2; }
for client in sqlite3 psql mariadb python3; do
  command -v "$client" >/dev/null || { log "$client is needed"; exit 2; }
done
if [[ ! -x $TOOLS/sqlx ]]; then
  log "installing sqlx-cli into bench/.tools (once)"
  cargo install --quiet --root "$ROOT/bench/.tools" sqlx-cli --no-default-features --features sqlite,postgres,mysql,rustls
fi
if [[ ! -x $TOOLS/refinery ]]; then
  log "installing refinery_cli into bench/.tools (once)"
  cargo install --quiet --root "$ROOT/bench/.tools" refinery_cli
fi
log "building retort (release)"
cargo build --quiet --release -p retort-cli --manifest-path "$ROOT/Cargo.toml"

rm -rf "$OUT"; mkdir -p "$WORK" "$SHM" "$DISK"
{
  echo "nproc=$(nproc)"
  echo "memory=$(free -h | awk '/^Mem:/ {print $2}')"
  echo "cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
  echo "kernel=$(uname -r)"
  echo "sqlite3=$(sqlite3 --version | cut -d' ' -f1)"
  echo "postgres=$(psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -XAtc 'show server_version')"
  echo "mariadb=$(mariadb -h "$MY_HOST" -P "$MY_PORT" -uroot -N -e 'select version()')"
  echo "sqlx=$("$TOOLS/sqlx" --version)"
  echo "refinery=$("$TOOLS/refinery" --version)"
  echo "hyperfine=$(hyperfine --version)"
  echo "date=$(date -u +%FT%TZ)"
} > "$OUT/machine.txt"

# --- durability switches, restored on exit ---------------------------------------------------
psql_admin() { psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -X -q -v ON_ERROR_STOP=1 "$@"; }
my_admin() { mariadb -h "$MY_HOST" -P "$MY_PORT" -uroot "$@"; }
# "on postgresql.auto.conf" when ALTER SYSTEM had set it: then it is set back; else reset.
PG_FSYNC_BEFORE=$(psql_admin -Atc "select setting || ' ' || coalesce(sourcefile, source) from pg_settings where name = 'fsync'")
MY_FLUSH_BEFORE=$(my_admin -N -e 'select @@global.innodb_flush_log_at_trx_commit')
restore_durability() {
  case "$PG_FSYNC_BEFORE" in
    *postgresql.auto.conf) psql_admin -c "ALTER SYSTEM SET fsync = ${PG_FSYNC_BEFORE%% *}" ;;
    *) psql_admin -c 'ALTER SYSTEM RESET fsync' ;;
  esac
  psql_admin -c 'select pg_reload_conf()' >/dev/null
  my_admin -e "SET GLOBAL innodb_flush_log_at_trx_commit = $MY_FLUSH_BEFORE"
}
durability() { # durability off|on
  local pg=$1 my=$([[ $1 == on ]] && echo 1 || echo 0)
  psql_admin -c "ALTER SYSTEM SET fsync = $pg" -c 'select pg_reload_conf()' >/dev/null
  my_admin -e "SET GLOBAL innodb_flush_log_at_trx_commit = $my"
  sleep 1
  log "durability $1: postgres fsync=$(psql_admin -Atc 'show fsync'), mariadb innodb_flush_log_at_trx_commit=$(my_admin -N -e 'select @@global.innodb_flush_log_at_trx_commit')"
}
cleanup() {
  restore_durability || log "could not restore durability settings: check fsync and innodb_flush_log_at_trx_commit"
  psql_admin -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  my_admin -e "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true
  rm -rf "$SHM"
}
trap cleanup EXIT

# --- workloads -------------------------------------------------------------------------------
for n in 100 1000; do python3 "$ROOT/bench/gen_migrations.py" "$n" "$WORK/n$n"; done
python3 "$ROOT/bench/gen_migrations.py" 10000 "$WORK/n10000" --retort-only
python3 "$ROOT/bench/gen_migrations.py" 100000 "$WORK/n100000" --retort-only

# url BACKEND DIR: the database URL for retort and the peers; the SQLite file lives in DIR.
url() {
  case $1 in
    sqlite) echo "sqlite://$2/$DB.db" ;;
    postgres) echo "postgres://postgres@$PG_HOST:$PG_PORT/$DB" ;;
    mysql) echo "mysql://root@$MY_HOST:$MY_PORT/$DB" ;;
  esac
}
# retort_config WORKLOAD BACKEND DIR [durable]: writes the config and prints its path. Without
# `durable`, a SQLite database is opened with `synchronous = OFF`.
retort_config() {
  local path=$1/retort/config/$2.toml database_url
  database_url=$(url "$2" "$3")
  if [[ $2 == sqlite && ${4:-} != durable ]]; then database_url="$database_url?synchronous=off"; fi
  mkdir -p "$1/retort/config"
  printf '[databases.bench]\nurl = "%s"\n' "$database_url" > "$path"
  echo "$path"
}
# The commands, as strings for sh -c.
reset_cmd() { # BACKEND DIR
  case $1 in
    sqlite) echo "rm -f $2/$DB.db $2/$DB.db-* && touch $2/$DB.db" ;;
    # The CHECKPOINT writes out what the previous run left, so each run starts alike.
    postgres) echo "psql -h $PG_HOST -p $PG_PORT -U postgres -X -q -c 'DROP DATABASE IF EXISTS $DB WITH (FORCE)' -c 'CREATE DATABASE $DB' -c 'CHECKPOINT'" ;;
    mysql) echo "mariadb -h $MY_HOST -P $MY_PORT -uroot -e 'DROP DATABASE IF EXISTS $DB; CREATE DATABASE $DB'" ;;
  esac
}
floor_cmd() { # BACKEND DIR WORKLOAD up|down [durable]
  case $1 in
    sqlite)
      if [[ ${5:-} == durable ]]; then echo "sqlite3 $2/$DB.db < $3/floor/sqlite.$4.sql"
      else echo "sqlite3 -cmd 'PRAGMA synchronous = OFF' $2/$DB.db < $3/floor/sqlite.$4.sql"; fi ;;
    postgres) echo "psql -h $PG_HOST -p $PG_PORT -U postgres -X -q -v ON_ERROR_STOP=1 -d $DB -f $3/floor/postgres.$4.sql" ;;
    mysql) echo "mariadb -h $MY_HOST -P $MY_PORT -uroot $DB < $3/floor/mysql.$4.sql" ;;
  esac
}

# upgrade_vs_peers MODE BACKEND N DIR: floor, retort, sqlx and refinery on the same work, in
# rounds (bench/interleave.py says why).
upgrade_vs_peers() {
  local mode=$1 backend=$2 n=$3 dir=$4 work=$WORK/n$3 config reset database_url
  config=$(retort_config "$work" "$backend" "$dir" "$mode")
  reset=$(reset_cmd "$backend" "$dir")
  database_url=$(url "$backend" "$dir")
  log "upgrade $mode $backend N=$n"
  python3 "$ROOT/bench/interleave.py" "$OUT/upgrade-$mode-$backend-$n.json" "$(runs "$n" "$backend")" \
    floor "$reset" "$(floor_cmd "$backend" "$dir" "$work" up "$mode")" \
    retort "$reset" "$RETORT --config $config -q upgrade" \
    sqlx "$reset" "$TOOLS/sqlx migrate run --no-dotenv --source $work/sqlx -D $database_url" \
    refinery "$reset" "DATABASE_URL=$database_url $TOOLS/refinery migrate -e DATABASE_URL -p $work/refinery"
}

# downgrade BACKEND N DIR: `retort downgrade base` against the floor's DROP TABLE script.
downgrade() {
  local backend=$1 n=$2 dir=$3 work=$WORK/n$2 config reset
  config=$(retort_config "$work" "$backend" "$dir")
  reset=$(reset_cmd "$backend" "$dir")
  log "downgrade $backend N=$n"
  python3 "$ROOT/bench/interleave.py" "$OUT/downgrade-off-$backend-$n.json" "$(runs "$n" "$backend")" \
    floor "$reset && $(floor_cmd "$backend" "$dir" "$work" up off)" "$(floor_cmd "$backend" "$dir" "$work" down off)" \
    retort "$reset && $RETORT --config $config -q upgrade" "$RETORT --config $config -q downgrade base"
}

# current BACKEND N DIR: `retort current` on an up-to-date database, whole process.
current() {
  local backend=$1 n=$2 dir=$3 work=$WORK/n$2 config
  config=$(retort_config "$work" "$backend" "$dir")
  eval "$(reset_cmd "$backend" "$dir")"
  "$RETORT" --config "$config" -q upgrade
  log "current $backend N=$n"
  hyperfine --style basic --warmup 3 --runs "$([[ -n $QUICK ]] && echo 5 || echo 30)" \
    --export-json "$OUT/current-$backend-$n.json" -n retort-current "$RETORT --config $config current" >&2
}

durability off
for backend in sqlite postgres mysql; do
  for n in 100 1000; do upgrade_vs_peers off "$backend" "$n" "$SHM"; done
  downgrade "$backend" 1000 "$SHM"
  current "$backend" 1000 "$SHM"
done

# Offline SQL for 10k revisions: no connection, so the backend does not matter.
config=$(retort_config "$WORK/n10000" sqlite "$SHM")
log "upgrade --sql N=10000"
hyperfine --style basic --warmup 2 --runs "$([[ -n $QUICK ]] && echo 3 || echo 20)" \
  --export-json "$OUT/offline-10000.json" \
  -n "upgrade --sql" "$RETORT --config $config upgrade --sql" \
  -n "downgrade --sql" "$RETORT --config $config downgrade --sql heads:base" >&2

# Peak memory and time at 100k revisions (max RSS from GNU time).
config=$(retort_config "$WORK/n100000" sqlite "$SHM")
rm -f "$SHM/$DB.db"*
measure() { # NAME COMMAND...
  local name=$1; shift
  /usr/bin/time -f "%M %e" -o "$OUT/time.tmp" "$@" > /dev/null
  echo "$name $(cat "$OUT/time.tmp")" >> "$OUT/memory-100000.txt"
}
log "memory at 100k revisions"
: > "$OUT/memory-100000.txt"
measure "upgrade --sql" "$RETORT" --config "$config" upgrade --sql
measure "stamp heads" "$RETORT" --config "$config" -q stamp heads
measure "current" "$RETORT" --config "$config" current
measure "heads" "$RETORT" --config "$config" heads
measure "history" "$RETORT" --config "$config" history

# Durable figures: the same comparison with durability on, SQLite on the disk.
durability on
for backend in sqlite postgres mysql; do
  upgrade_vs_peers durable "$backend" 100 "$DISK"
done
upgrade_vs_peers durable sqlite 1000 "$DISK"
upgrade_vs_peers durable postgres 1000 "$DISK"

log "done: $OUT"
