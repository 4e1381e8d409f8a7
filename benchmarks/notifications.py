"""The notifications hub's three benchmarks (issue 14), one process each, with one verdict:

    announce   an announcement to 10,000 members: request accepted < 1 s, every in-app row
               and push at the stand-in < 60 s, each member exactly once
    reminders  10,000 reminders due in the same minute across 20 gyms: all sent < 60 s
               after their minute, each once; the tick's own run time
    api        GET /api/v1/notifications/ p95 < 1.5x the DRF no-op's, same run

Each prints its own figures, PASS/FAIL lines, load and steal (see the modules' docstrings
for their options):

    .venv/bin/python -m config.devstack exec -- .venv/bin/python -m benchmarks.notifications
    .venv/bin/python -m config.devstack exec -- .venv/bin/python -m benchmarks.notifications api
"""

from __future__ import annotations

import subprocess
import sys

from benchmarks.common import ROOT

PARTS = {
    "announce": "benchmarks.notifications_announce",
    "reminders": "benchmarks.notifications_reminders",
    "api": "benchmarks.notifications_api",
}


def main(argv: list[str]) -> int:
    names = argv or list(PARTS)
    unknown = sorted(set(names) - set(PARTS))
    if unknown:
        sys.exit(f"unknown part {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    verdicts = {}
    for name in names:
        print(f"\n--- {PARTS[name]} ---", flush=True)
        # --strict: the API benchmark alone exits 0 on a missed ratio (it is also run by
        # hand to compare); here every target counts, as the verdict line says.
        extra = ["--strict"] if name == "api" else []
        command = [sys.executable, "-m", PARTS[name], *extra]
        verdicts[name] = subprocess.run(command, cwd=ROOT).returncode
    print()
    for name, code in verdicts.items():
        print(f"{'PASS' if code == 0 else 'FAIL'}  {name} (every target of {PARTS[name]})")
    return 0 if all(code == 0 for code in verdicts.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
