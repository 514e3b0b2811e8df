#!/usr/bin/env python3
"""Writes one workload for bench/e2e.sh: N migrations that each create a small table.

    bench/gen_migrations.py N OUT_DIR [--retort-only]

OUT_DIR gets the same N migrations in each tool's own layout:

  retort/databases/bench/versions/   retort files (a linear chain, 12-hex ids as retort makes)
  sqlx/                              sqlx-cli files, <version>_<name>.sql
  refinery/                          refinery files, V<version>__<name>.sql
  floor/{sqlite,postgres,mysql}.{up,down}.sql
                                     the floor: the same DDL for the database's own client, one
                                     transaction and one version-row change per migration

The retort project's config (config/retort.toml) is written by e2e.sh, per backend.
"""

import hashlib
import os
import sys


def revision_id(index: int) -> str:
    return hashlib.sha256(f"retort-bench-{index}".encode()).hexdigest()[:12]


def upgrade_sql(index: int) -> str:
    return f"CREATE TABLE t{index} (id INTEGER PRIMARY KEY, name VARCHAR(64) NOT NULL);"


def downgrade_sql(index: int) -> str:
    return f"DROP TABLE t{index};"


def write(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as file:
        file.write(text)


def main() -> None:
    count = int(sys.argv[1])
    out = sys.argv[2]
    retort_only = "--retort-only" in sys.argv[3:]
    ids = [revision_id(index) for index in range(count)]

    versions = os.path.join(out, "retort", "databases", "bench", "versions")
    os.makedirs(versions, exist_ok=True)
    for index, rev in enumerate(ids):
        down = ids[index - 1] if index else ""
        write(
            os.path.join(versions, f"{index:06d}_{rev}_create_t{index}.sql"),
            f"-- revision: {rev}\n-- down_revision: {down}\n-- message: create table t{index}\n"
            f"-- created: 2026-01-01T00:00:00Z\n\n-- upgrade\n{upgrade_sql(index)}\n\n"
            f"-- downgrade\n{downgrade_sql(index)}\n",
        )
    if retort_only:
        return

    for tool, name in (("sqlx", "{v:06d}_create_t{i}.sql"), ("refinery", "V{v}__create_t{i}.sql")):
        directory = os.path.join(out, tool)
        os.makedirs(directory, exist_ok=True)
        for index in range(count):
            write(os.path.join(directory, name.format(v=index + 1, i=index)), upgrade_sql(index) + "\n")

    floor = os.path.join(out, "floor")
    os.makedirs(floor, exist_ok=True)
    table = "CREATE TABLE floor_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY);\n"
    for dialect, begin in (("sqlite", "BEGIN;"), ("postgres", "BEGIN;"), ("mysql", "START TRANSACTION;")):
        up = [table]
        for index, rev in enumerate(ids):
            if index == 0:
                change = f"INSERT INTO floor_version (version_num) VALUES ('{rev}');"
            else:
                change = f"UPDATE floor_version SET version_num = '{rev}' WHERE version_num = '{ids[index - 1]}';"
            up.append(f"{begin}\n{upgrade_sql(index)}\n{change}\nCOMMIT;\n")
        write(os.path.join(floor, f"{dialect}.up.sql"), "".join(up))
        down = []
        for index in reversed(range(count)):
            if index == 0:
                change = f"DELETE FROM floor_version WHERE version_num = '{ids[0]}';"
            else:
                change = f"UPDATE floor_version SET version_num = '{ids[index - 1]}' WHERE version_num = '{ids[index]}';"
            down.append(f"{begin}\n{downgrade_sql(index)}\n{change}\nCOMMIT;\n")
        write(os.path.join(floor, f"{dialect}.down.sql"), "".join(down))


if __name__ == "__main__":
    main()
