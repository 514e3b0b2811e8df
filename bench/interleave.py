#!/usr/bin/env python3
"""Times commands that are compared with each other in rounds, one run of each per round.

    bench/interleave.py OUT.json RUNS NAME PREPARE COMMAND [NAME PREPARE COMMAND ...]

hyperfine runs every run of one command before the next command: a server whose speed drifts
during the benchmark (PostgreSQL and MariaDB do, as the files a thousand CREATE TABLEs leave
behind are written back) then favours the commands measured first. Here each round runs every
command once, starting with a different command each round, so that drift weighs on all of them
alike. PREPARE runs before each run, untimed (an empty string for none).

Times are wall times of `sh -c COMMAND`, less the median time of `sh -c true` (as hyperfine
subtracts its shell's start). OUT.json has hyperfine's shape (`results`: `command`, `times`,
`median`, `mean`, `stddev`), so bench/report.py reads either.
"""

import json
import statistics
import subprocess
import sys
import time


def timed(command: str) -> float:
    start = time.perf_counter()
    completed = subprocess.run(["sh", "-c", command], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if completed.returncode != 0:
        sys.exit(f"command failed ({completed.returncode}): {command}\n{completed.stderr.decode(errors='replace')}")
    return elapsed


def main() -> None:
    out, runs = sys.argv[1], int(sys.argv[2])
    triples = sys.argv[3:]
    if not triples or len(triples) % 3:
        sys.exit(__doc__)
    commands = [tuple(triples[index : index + 3]) for index in range(0, len(triples), 3)]
    shell = statistics.median(timed("true") for _ in range(10))
    times: dict[str, list[float]] = {name: [] for name, _, _ in commands}
    for round_index in range(runs):
        shift = round_index % len(commands)
        for name, prepare, command in commands[shift:] + commands[:shift]:
            if prepare:
                timed(prepare)
            times[name].append(max(timed(command) - shell, 0.0))
    results = []
    for name, _, command in commands:
        samples = times[name]
        results.append(
            {
                "command": name,
                "text": command,
                "times": samples,
                "median": statistics.median(samples),
                "mean": statistics.mean(samples),
                "stddev": statistics.stdev(samples) if len(samples) > 1 else 0.0,
            }
        )
        print(f"  {name:>10}: median {statistics.median(samples) * 1e3:8.1f} ms  "
              f"({', '.join(f'{sample * 1e3:.0f}' for sample in samples)})", file=sys.stderr)
    with open(out, "w", encoding="utf-8") as file:
        json.dump({"results": results}, file, indent=1)


if __name__ == "__main__":
    main()
