"""Scripts that print measured figures (not tests). Run them all, or some, through
config.devstack with the one runner (benchmarks/__main__.py), or one on its own:

    .venv/bin/python -m config.devstack exec -- .venv/bin/python -m benchmarks
    .venv/bin/python -m config.devstack exec -- .venv/bin/python -m benchmarks kiosk
    .venv/bin/python -m config.devstack exec -- .venv/bin/python -m benchmarks.kiosk --help

Each works in a database of its own (bench_provision, bench_api) on the same server, made
afresh for the run and dropped at its end, so the dev and test databases are never touched.
"""
