"""Run the benchmarks, one process each (each sets Django up on a database of its own):

    .venv/bin/python -m config.devstack exec -- .venv/bin/python -m benchmarks
    .venv/bin/python -m config.devstack exec -- .venv/bin/python -m benchmarks kiosk api

A benchmark on its own, with its options (`--help`): `python -m benchmarks.kiosk --help`.
Every named benchmark runs even if an earlier one fails; the exit status is 1 if any did.
"""

from __future__ import annotations

import subprocess
import sys

from benchmarks.common import ROOT

# The order of `make bench`: the quick ones first.
BENCHMARKS = [
    "provision",
    "api",
    "bookings",
    "request_cpu",
    "kiosk",
    "pose",
    "webhooks",
    "notifications",
    "pages",
    "goals",
]


def main(argv: list[str]) -> int:
    names = argv or BENCHMARKS
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        sys.exit(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    failed = []
    for name in names:
        print(f"\n=== benchmarks.{name} ===", flush=True)
        if subprocess.run([sys.executable, "-m", f"benchmarks.{name}"], cwd=ROOT).returncode:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
