"""Scripts that print measured figures (not tests). Run them through config.devstack:

    .venv/bin/python -m config.devstack exec -- .venv/bin/python benchmarks/provision.py
    .venv/bin/python -m config.devstack exec -- .venv/bin/python benchmarks/api.py

Each works in a database of its own (bench_provision, bench_api) on the same server, made
afresh for the run and dropped at its end, so the dev and test databases are never touched.
"""
