#!/usr/bin/env python3
"""Writes the figures of docs/BENCHMARKS.md from the bench results.

    python3 bench/report.py core   # from target/criterion (cargo bench -p retort-core --bench core)
    python3 bench/report.py e2e    # from target/bench/e2e (bench/e2e.sh)

Each replaces the text between its markers, `<!-- retort-bench:NAME -->` and
`<!-- /retort-bench:NAME -->`, and leaves the rest of the file alone.
"""

import glob
import json
import math
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = os.path.join(ROOT, "docs", "BENCHMARKS.md")
E2E = os.environ.get("BENCH_OUT", os.path.join(ROOT, "target", "bench", "e2e"))
SIZES = [1000, 10000, 100000]
OPS = ["load", "heads", "head-500", "prefix+3", "rev-3", "upgrade-base-heads", "downgrade-heads-base", "history"]


def fmt_time(seconds: float) -> str:
    if seconds < 1e-6:
        return f"{seconds * 1e9:.0f} ns"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def machine() -> str:
    path = os.path.join(E2E, "machine.txt")
    facts = {}
    if os.path.exists(path):
        for line in open(path, encoding="utf-8"):
            key, _, value = line.strip().partition("=")
            facts[key] = value
    nproc = facts.get("nproc") or str(os.cpu_count())
    memory = facts.get("memory") or "?"
    return f"{nproc} CPUs ({facts.get('cpu', 'unknown CPU')}), {memory} memory"


def core() -> str:
    results = {}
    for path in glob.glob(os.path.join(ROOT, "target", "criterion", "*", "*", "new", "benchmark.json")):
        bench = json.load(open(path, encoding="utf-8"))
        estimates = json.load(open(os.path.join(os.path.dirname(path), "estimates.json"), encoding="utf-8"))
        shape, _, op = bench["group_id"].partition("/")
        results[(shape, op, int(bench["value_str"]))] = estimates["median"]["point_estimate"] / 1e9
    lines = [
        f"Machine: {os.cpu_count()} CPUs, {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB memory.",
        "Median of criterion's samples; the exponent is fitted over 1k → 100k (log(t100k / t1k) / log(100): 1.0 is linear).",
        "",
        "| graph | operation | 1k | 10k | 100k | exponent | 100k under 100 ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for shape in ["linear", "branchy"]:
        for op in OPS:
            times = [results.get((shape, op, size)) for size in SIZES]
            if all(time is None for time in times):
                continue
            cells = [fmt_time(time) if time is not None else "–" for time in times]
            exponent = "–"
            if times[0] and times[2]:
                exponent = f"{math.log(times[2] / times[0]) / math.log(100):.2f}"
            met = "–" if times[2] is None else ("yes" if times[2] < 0.1 else "**no**")
            lines.append(f"| {shape} | {op} | {' | '.join(cells)} | {exponent} | {met} |")
    return "\n".join(lines)


def hyperfine(name: str):
    path = os.path.join(E2E, f"{name}.json")
    if not os.path.exists(path):
        return None
    data = json.load(open(path, encoding="utf-8"))
    return {result["command"]: result for result in data["results"]}


def ms(result) -> str:
    return f"{result['median'] * 1e3:.0f} ms" if result else "–"


def ratio(numerator, denominator) -> str:
    if not numerator or not denominator:
        return "–"
    return f"{numerator['median'] / denominator['median']:.2f}"


def e2e() -> str:
    out = [f"Machine: {machine()}."]
    path = os.path.join(E2E, "machine.txt")
    if os.path.exists(path):
        facts = dict(line.strip().partition("=")[::2] for line in open(path, encoding="utf-8"))
        out.append(
            f"SQLite {facts.get('sqlite3')}, PostgreSQL {facts.get('postgres')}, MariaDB {facts.get('mariadb')}, "
            f"{facts.get('sqlx')}, {facts.get('refinery')}, {facts.get('hyperfine')}; run {facts.get('date')}."
        )
    titles = (
        (
            "off",
            "Durability off (the overhead figures): PostgreSQL `fsync = off`, MariaDB "
            "`innodb_flush_log_at_trx_commit = 0`, SQLite on tmpfs with `synchronous = OFF` for retort "
            "(`?synchronous=off`) and the sqlite3 floor (`-cmd`); sqlx-cli and refinery cannot set it "
            "and keep SQLite's default, whose fsyncs cost next to nothing on tmpfs",
        ),
        ("durable", "Durable (fsync on; SQLite on the disk, SQLite's default `synchronous`)"),
    )
    for mode, title in titles:
        out += [
            "",
            f"**{title}.** Median wall time of the whole process; the tools run in rounds, one run "
            "of each per round (`bench/interleave.py`), so a server that drifts weighs on all alike; "
            "ratios from the same rounds.",
            "",
        ]
        out += [
            "| backend | N | floor (own client) | retort | sqlx-cli | refinery | retort / floor | sqlx / retort | refinery / retort |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for backend in ("sqlite", "postgres", "mysql"):
            for n in (100, 1000):
                results = hyperfine(f"upgrade-{mode}-{backend}-{n}")
                if not results:
                    continue
                floor, retort = results.get("floor"), results.get("retort")
                sqlx, refinery = results.get("sqlx"), results.get("refinery")
                name = {"mysql": "MariaDB", "postgres": "PostgreSQL", "sqlite": "SQLite"}[backend]
                out.append(
                    f"| {name} | {n} | {ms(floor)} | {ms(retort)} | {ms(sqlx)} | {ms(refinery)} | "
                    f"{ratio(retort, floor)} | {ratio(sqlx, retort)} | {ratio(refinery, retort)} |"
                )
    out += ["", "**`retort downgrade base`, N = 1000, durability off**, against the floor's `DROP TABLE` script:", ""]
    out += ["| backend | floor | retort | retort / floor |", "|---|---|---|---|"]
    for backend in ("sqlite", "postgres", "mysql"):
        results = hyperfine(f"downgrade-off-{backend}-1000")
        if results:
            out.append(f"| {backend} | {ms(results.get('floor'))} | {ms(results.get('retort'))} | {ratio(results.get('retort'), results.get('floor'))} |")
    out += ["", "**`retort current` on an up-to-date database (N = 1000), whole process** (target under 20 ms):", ""]
    out += ["| backend | median | mean ± σ |", "|---|---|---|"]
    for backend in ("sqlite", "postgres", "mysql"):
        results = hyperfine(f"current-{backend}-1000")
        if results:
            result = results["retort-current"]
            out.append(f"| {backend} | {ms(result)} | {result['mean'] * 1e3:.1f} ± {result['stddev'] * 1e3:.1f} ms |")
    results = hyperfine("offline-10000")
    if results:
        out += ["", "**Offline SQL for 10k revisions** (no connection; target under 200 ms), whole process:", ""]
        out += ["| command | median | mean ± σ |", "|---|---|---|"]
        for name, result in results.items():
            out.append(f"| `retort {name}` | {ms(result)} | {result['mean'] * 1e3:.1f} ± {result['stddev'] * 1e3:.1f} ms |")
    path = os.path.join(E2E, "memory-100000.txt")
    if os.path.exists(path):
        out += ["", "**100k revisions, one run each** (GNU time; target: peak memory under 100 MB):", ""]
        out += ["| command | max RSS | wall time |", "|---|---|---|"]
        for line in open(path, encoding="utf-8"):
            parts = line.split()
            if len(parts) < 3:
                continue
            name, rss_kb, seconds = " ".join(parts[:-2]), int(parts[-2]), float(parts[-1])
            out.append(f"| `retort {name}` | {rss_kb / 1024:.0f} MB | {seconds:.2f} s |")
    return "\n".join(out)


def replace_section(name: str, body: str) -> None:
    text = open(DOC, encoding="utf-8").read() if os.path.exists(DOC) else "# Benchmarks\n"
    begin, end = f"<!-- retort-bench:{name} -->", f"<!-- /retort-bench:{name} -->"
    block = f"{begin}\n{body}\n{end}"
    if begin in text and end in text:
        text = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    open(DOC, "w", encoding="utf-8").write(text)


if __name__ == "__main__":
    which = sys.argv[1] if len(sys.argv) > 1 else "all"
    if which in ("core", "all"):
        replace_section("core", core())
    if which in ("e2e", "all"):
        replace_section("e2e", e2e())
