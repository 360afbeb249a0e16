"""Benchmark of the check runner: 20 trivial check scripts over one SSH connection.

Run from the repository root, with the local LXD set up:

    . scripts/lib.sh; load_lxd_settings
    DJANGO_SETTINGS_MODULE=labsite.settings_test .venv/bin/python benchmarks/checks.py

It starts one container, then times, `--rounds` times each:
- the platform: containers.checks.run_checks with 20 scripts `true` (one
  SSH connection, the static bash copied in, 20 scripts run, clean-up);
- the same 20 runs each with its own run_checks call, so its own connection;
- the local baseline: 20 `bash -c true` processes on this machine.
It writes the medians between the `checks` markers of docs/benchmarks.md.
Targets: under 10 ms a check, and 20 checks in under 0.3 s.
"""

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labsite.settings_test")
os.environ.setdefault("DATABASE_URL", "sqlite://:memory:")

import django  # noqa: E402

django.setup()

from containers.checks import run_checks  # noqa: E402
from containers.tests.lxd_fixtures import LaunchedInstance  # noqa: E402

SCRIPTS = 20
SECTION_START = "<!-- checks:start -->"
SECTION_END = "<!-- checks:end -->"


def time_call(function):
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def local_baseline():
    for _ in range(SCRIPTS):
        subprocess.run(["bash", "-c", "true"], check=True)


def measure(rounds):
    instance = LaunchedInstance()
    try:
        container = instance.container
        run_checks(container, ["true"])  # warm-up: first connection and copy
        shared, separate, local, per_check = [], [], [], []
        for _ in range(rounds):
            started = time.perf_counter()
            results = run_checks(container, ["true"] * SCRIPTS)
            shared.append(time.perf_counter() - started)
            assert all(result.passed for result in results)
            per_check.append(statistics.median(result.duration for result in results))
            separate.append(
                time_call(lambda: [run_checks(container, ["true"]) for _ in range(SCRIPTS)])
            )
            local.append(time_call(local_baseline))
    finally:
        instance.delete()
    return {
        "shared": statistics.median(shared),
        "separate": statistics.median(separate),
        "local": statistics.median(local),
        "per_check": statistics.median(per_check),
    }


def section(numbers, rounds):
    shared, separate, local = numbers["shared"], numbers["separate"], numbers["local"]
    per_check_ms = numbers["per_check"] * 1000
    verdict_check = "meets" if per_check_ms < 10 else "misses"
    verdict_total = "meets" if shared < 0.3 else "misses"
    return f"""{SECTION_START}
## Check runner

Seconds for {SCRIPTS} check scripts `true` run as root in one container,
median of {rounds} rounds, measured on {date.today().isoformat()} with one run of
the script on this machine ({platform.machine()}, {os.cpu_count()} cores, Linux
{platform.release()}).

    . scripts/lib.sh; load_lxd_settings
    DJANGO_SETTINGS_MODULE=labsite.settings_test .venv/bin/python benchmarks/checks.py

| what | seconds | ratio to local bash |
|---|---|---|
| {SCRIPTS} checks, one SSH connection (run_checks) | {shared:.3f} | {shared / local:.1f} |
| {SCRIPTS} checks, one connection each | {separate:.3f} | {separate / local:.1f} |
| {SCRIPTS} times local `bash -c true` | {local:.3f} | 1.0 |

One check takes {per_check_ms:.1f} ms in the median ({verdict_check} the target
of under 10 ms). {SCRIPTS} checks over one connection, including the connection,
copying the static bash and the clean-up, take {shared:.3f} s ({verdict_total} the
target of under 0.3 s).
{SECTION_END}"""


def write_section(text):
    path = ROOT / "docs" / "benchmarks.md"
    current = path.read_text() if path.exists() else "# Benchmarks\n"
    if SECTION_START in current and SECTION_END in current:
        before, rest = current.split(SECTION_START, 1)
        after = rest.split(SECTION_END, 1)[1]
        current = before + text + after
    else:
        current = current.rstrip("\n") + "\n\n" + text + "\n"
    path.write_text(current)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="Rounds of each measurement.")
    arguments = parser.parse_args()
    numbers = measure(arguments.rounds)
    text = section(numbers, arguments.rounds)
    print(text)
    write_section(text)


if __name__ == "__main__":
    main()
