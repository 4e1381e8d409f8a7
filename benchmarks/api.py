"""API latency under load, served the way production serves it.

Sets up a gym (`bench.localhost`) with 5,000 members, an owner and a member with a login,
in a database of its own (bench_api, made afresh and dropped at the end). Serves the app
with gunicorn (2 sync workers, persistent database connections; the production HTTP
topology) and, for comparison, uvicorn (config.asgi, 2 workers, a new database connection
per request as Django advises for ASGI; psycopg_pool is not installed). Logs in through
allauth.headless (POST /_allauth/app/v1/auth/login -> meta.session_token, sent as
X-Session-Token) and drives 20 concurrent HTTP/1.1 clients (asyncio, stdlib; connections
kept open where the server allows) against:

    bare     a plain Django view (JsonResponse): middleware + tenant lookup only
    drf      a DRF view with the API's auth, permission and throttles, no query of its own
    me       GET /api/v1/me/        (member token)
    members  GET /api/v1/members/   (staff token, default page of 20 out of 5,000)

Each endpoint: a warm-up, then a fixed duration at 20 clients, then a short run with one
client (latency without queueing). Every response must be 200; anything else is counted.
Besides latency it prints the CPU each request costs (server processes, PostgreSQL), the
least mean latency that cost allows at 20 clients on 2 CPUs, and how much CPU processes
outside the benchmark (and the hypervisor) took meanwhile: the machine may be shared.

    .venv/bin/python -m config.devstack exec -- .venv/bin/python -m benchmarks.api

Targets (gunicorn): members p95 < 100 ms at 20 clients; me p95 within 2x of bare p95.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.common import (
    ROOT,
    SETTINGS,
    OtherCpu,
    load_note,
    percentile,
    run_in_fresh_database,
    server_cpu,
    table,
)

DB_NAME = "bench_api"
SLUG = "bench"
HOST = f"{SLUG}.localhost"
PASSWORD = "Bench-pass-4-the-api"
OWNER_EMAIL = f"owner@{HOST}"
MEMBER_EMAIL = f"member@{HOST}"
TARGET_MEMBERS_P95_MS = 100.0
TARGET_ME_OVER_BARE = 2.0
NOTES = """\
p50/p95/p99: per request as the client sees it, connection set-up included (gunicorn's sync
  workers close every connection; uvicorn keeps them open). c=1 p50: one client, no queueing.
app / DB ms: CPU time per request of the server's processes / of PostgreSQL (backends of
  persistent connections only, so not for uvicorn). floor ms: the least mean latency the
  clients could see if this machine's CPUs did nothing else (clients x CPU per request /
  CPUs, load generator included). queries: SQL per warm request (in-process).
client / others / steal: CPU of the load generator / of processes outside the benchmark /
  taken by the hypervisor, in % of one CPU (the machine has 2). runs: an endpoint is run
  again while others + steal exceed --busy; the quietest run is kept."""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per endpoint")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before each run")
    parser.add_argument(
        "--single", type=float, default=2.0, help="seconds of the one-client run (0: skip)"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--busy",
        type=float,
        default=25.0,
        help="re-run an endpoint when other processes + the hypervisor took more than this "
        "%% of one CPU during its run (default 25)",
    )
    parser.add_argument(
        "--retries", type=int, default=2, help="re-runs per endpoint at most (default 2)"
    )
    parser.add_argument(
        "--servers",
        default="gunicorn,uvicorn",
        help="comma-separated: gunicorn (production topology), uvicorn (default: both)",
    )
    parser.add_argument(
        "--endpoints", default="bare,drf,me,members", help="comma-separated subset to run"
    )
    parser.add_argument("--no-throttle", action="store_true", help="serve without DRF's throttles")
    parser.add_argument("--show-sql", action="store_true", help="print each endpoint's queries")
    parser.add_argument(
        "--order-index",
        action="store_true",
        help="what-if: first add an index matching Member's default ordering (last_name, "
        "first_name, number) to the benchmark gym's schema (this database only)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the bench_api database")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed, too")
    return parser.parse_args()


# --- Data ---------------------------------------------------------------------------


FIRST = "Ana Ben Carla David Elena Farid Greta Hugo Ines Jon Kira Luis Mara Nils Olga Pau".split()
LAST = "Alves Berg Costa Diaz Evans Fischer Garcia Huber Ito Jansen Klein Lopez Meyer Novak".split()


def setup_gym(member_count: int, order_index: bool = False):
    from django.core.management import call_command
    from django.db import connection
    from django_tenants.utils import tenant_context

    from apps.members.models import Member, MemberStatus
    from apps.members.services import member_grant_app_access
    from apps.tenants.services import gym_create

    call_command("migrate_schemas", interactive=False, verbosity=0)
    gym = gym_create(
        name="Bench Gym",
        slug=SLUG,
        owner_email=OWNER_EMAIL,
        owner_password=PASSWORD,
        owner_name="Bench Owner",
    )
    rng = random.Random(42)
    statuses = list(MemberStatus.values)
    with tenant_context(gym):
        Member.objects.bulk_create(
            [
                Member(
                    number=n,
                    first_name=rng.choice(FIRST),
                    last_name=rng.choice(LAST),
                    email=MEMBER_EMAIL if n == 1 else f"m{n}@example.test",
                    phone=f"+34 600 {n:06d}",
                    status=rng.choice(statuses),
                    tier=rng.choice(["free", "basic", "pro", "pro_plus"]),
                    tags=rng.sample(["am", "pm", "student", "senior", "family"], 2),
                )
                for n in range(1, member_count + 1)
            ],
            batch_size=1000,
        )
        member_grant_app_access(member=Member.objects.get(number=1), password=PASSWORD)
        if order_index:
            with connection.cursor() as cursor:
                cursor.execute(
                    "CREATE INDEX bench_member_order ON members_member "
                    "(last_name, first_name, number)"
                )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE members_member")
    return gym


def queries_per_request(paths: dict[str, tuple[str, dict]], show_sql: bool) -> dict[str, int]:
    """Run each endpoint in-process twice and count the second (warm) request's queries."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for name, (path, headers) in paths.items():
        client = Client(
            HTTP_HOST=HOST, **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
        )
        client.get(path)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{name}: in-process GET {path} answered {response.status_code}")
        counts[name] = len(captured.captured_queries)
        if show_sql:
            print(f"-- {name} {path}: {counts[name]} queries")
            for query in captured.captured_queries:
                print(f"   {query['sql'][:300]}")
    connection.set_schema_to_public()
    return counts


# --- Servers ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    kind: str
    port: int
    proc: subprocess.Popen
    log: Path

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                pass
        # The server ran in a session of its own: make sure no worker of it outlives us.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def start_server(kind: str, workers: int, db_url: str, throttle: bool, logdir: Path) -> Server:
    port = free_port()
    env = dict(os.environ)
    env.update(
        DATABASE_URL=db_url,
        DJANGO_SETTINGS_MODULE=SETTINGS,
        BENCH_THROTTLE="1" if throttle else "0",
        LOG_LEVEL="WARNING",
    )
    if kind == "gunicorn":
        env["BENCH_CONN_MAX_AGE"] = "600"
        args = [
            "gunicorn",
            "config.wsgi:application",
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{port}",
            "--backlog",
            "2048",
            "--timeout",
            "60",
            "--log-level",
            "warning",
        ]
    elif kind == "uvicorn":
        env["BENCH_CONN_MAX_AGE"] = "0"
        args = [
            "uvicorn",
            "config.asgi:application",
            "--workers",
            str(workers),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--backlog",
            "2048",
            "--log-level",
            "warning",
            "--no-access-log",
        ]
    else:
        raise SystemExit(f"unknown server {kind!r}")
    log = logdir / f"{kind}.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = Server(kind, port, proc, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{kind} exited at start:\n{server.log_tail()}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            if http_call(port, "GET", "/bench/bare/")[0] == 200:
                return server
        time.sleep(0.2)
    server.stop()
    raise SystemExit(f"{kind} did not answer within 60 s:\n{server.log_tail()}")


def http_call(port: int, method: str, path: str, body=None, headers=None) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        conn.request(
            method,
            path,
            body=payload,
            headers={"Host": HOST, "Content-Type": "application/json", **(headers or {})},
        )
        response = conn.getresponse()
        raw = response.read()
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            data = {"raw": raw[:200]}
        return response.status, data
    finally:
        conn.close()


def login(port: int, email: str) -> str:
    status, data = http_call(
        port, "POST", "/_allauth/app/v1/auth/login", {"email": email, "password": PASSWORD}
    )
    token = data.get("meta", {}).get("session_token") if status == 200 else None
    if not token:
        raise SystemExit(f"login {email} failed: {status} {data}")
    return token


# --- Load ---------------------------------------------------------------------------


class Connection:
    """One HTTP/1.1 client connection: reused while the server keeps it open."""

    def __init__(self, port: int):
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        reused = self.writer is not None
        try:
            return await self._request(raw)
        except (asyncio.IncompleteReadError, ConnectionError):
            self.close()
            if not reused:
                raise
            return await self._request(raw)  # the server closed an idle connection

    async def _request(self, raw: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        headers = {}
        for line in head.split(b"\r\n")[1:]:
            name, _sep, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip().lower()
        if b"content-length" in headers:
            body = await self.reader.readexactly(int(headers[b"content-length"]))
        elif headers.get(b"transfer-encoding") == b"chunked":
            chunks = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
                chunks.append(await self.reader.readexactly(size + 2))
                if size == 0:
                    break
            body = b"".join(chunks)
        else:
            body = await self.reader.read()
            headers[b"connection"] = b"close"
        if headers.get(b"connection") == b"close":
            self.close()
        return status, body


@dataclass
class Result:
    seconds: float
    latencies: list[float] = field(default_factory=list)  # of 200 responses, seconds
    errors: collections.Counter = field(default_factory=collections.Counter)
    samples: dict = field(default_factory=dict)
    client_cpu: float = 0.0
    other_cpu: float = 0.0  # % of one CPU used by processes outside the benchmark
    steal: float = 0.0  # % of one CPU taken by the hypervisor
    attempts: int = 1  # runs made; the one with the least other load is kept
    app_cpu: float = 0.0  # server processes' CPU seconds during the run
    db_cpu: float = 0.0  # the benchmark database's backends' CPU seconds (persistent ones)

    def per_request_ms(self, seconds: float) -> float:
        return 1000 * seconds / len(self.latencies) if self.latencies else float("nan")

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds

    def ms(self, p: float) -> float:
        return percentile(self.latencies, p) * 1000 if self.latencies else float("nan")


async def _load(port: int, raw: bytes, clients: int, seconds: float) -> Result:
    connections = [Connection(port) for _ in range(clients)]
    start = time.perf_counter()
    deadline = start + seconds
    result = Result(seconds)

    async def client(conn: Connection) -> None:
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            try:
                status, body = await conn.request(raw)
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                conn.close()
                result.errors[type(exc).__name__] += 1
                result.samples.setdefault(type(exc).__name__, str(exc)[:200])
                continue
            if status == 200:
                result.latencies.append(time.perf_counter() - began)
            else:
                result.errors[status] += 1
                result.samples.setdefault(status, body[:200])

    cpu = time.process_time()
    await asyncio.gather(*(client(c) for c in connections))
    result.seconds = time.perf_counter() - start
    result.client_cpu = (time.process_time() - cpu) / result.seconds
    for conn in connections:
        conn.close()
    return result


def load(server: Server, raw: bytes, clients: int, seconds: float) -> Result:
    port = server.port
    others = OtherCpu(DB_NAME)
    app_before, db_before = server_cpu(server.proc.pid, DB_NAME)
    try:
        import uvloop

        result = uvloop.run(_load(port, raw, clients, seconds))
    except ImportError:
        result = asyncio.run(_load(port, raw, clients, seconds))
    app_after, db_after = server_cpu(server.proc.pid, DB_NAME)
    result.app_cpu, result.db_cpu = app_after - app_before, db_after - db_before
    result.steal = others.steal_percent()
    result.other_cpu = others.percent()
    return result


def raw_get(path: str, headers: dict) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: {HOST}", "Accept: application/json"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


# --- Main ---------------------------------------------------------------------------


def main() -> int:
    args = parse_args()
    print(f"API benchmark: database {DB_NAME}, host {HOST}; {load_note()}", flush=True)
    return run_in_fresh_database(DB_NAME, args, run)


def run(args: argparse.Namespace, db_url: str) -> int:
    others = OtherCpu(DB_NAME)
    start = time.perf_counter()
    setup_gym(args.members, order_index=args.order_index)
    print(
        f"set-up (migrate, gym, {args.members} members): {time.perf_counter() - start:.1f} s",
        flush=True,
    )
    names = [n.strip() for n in args.endpoints.split(",") if n.strip()]
    servers = [s.strip() for s in args.servers.split(",") if s.strip()]
    results: dict[tuple[str, str], tuple[Result, Result | None]] = {}
    queries = None
    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        for kind in servers:
            server = start_server(kind, args.workers, db_url, not args.no_throttle, Path(tmp))
            try:
                member_token = login(server.port, MEMBER_EMAIL)
                staff_token = login(server.port, OWNER_EMAIL)
                endpoints = {
                    "bare": ("/bench/bare/", {}),
                    "drf": ("/bench/drf/", {"X-Session-Token": member_token}),
                    "me": ("/api/v1/me/", {"X-Session-Token": member_token}),
                    "members": ("/api/v1/members/", {"X-Session-Token": staff_token}),
                }
                endpoints = {n: endpoints[n] for n in names}
                check(server.port, endpoints, args.members)
                if queries is None:
                    queries = queries_per_request(endpoints, args.show_sql)
                for name, (path, headers) in endpoints.items():
                    raw = raw_get(path, headers)
                    for attempt in range(args.retries + 1):
                        warm = load(server, raw, args.clients, args.warmup)
                        loaded = load(server, raw, args.clients, args.duration)
                        loaded.errors.update(warm.errors)
                        for key, sample in warm.samples.items():
                            loaded.samples.setdefault(key, sample)
                        busy = loaded.other_cpu + loaded.steal
                        kept = results.get((kind, name), (None, None))[0]
                        if kept is None or busy < kept.other_cpu + kept.steal:
                            results[(kind, name)] = (loaded, None)
                        print(
                            f"  {kind:8} {name:8} {loaded.rps:7.0f} req/s  "
                            f"p95 {loaded.ms(95):6.1f} ms  errors {sum(loaded.errors.values())}  "
                            f"other CPU {loaded.other_cpu:.0f}%  steal {loaded.steal:.0f}%"
                            + (
                                "  (machine busy: run again)"
                                if busy > args.busy and attempt < args.retries
                                else ""
                            ),
                            flush=True,
                        )
                        if busy <= args.busy:
                            break
                    loaded = results[(kind, name)][0]
                    loaded.attempts = attempt + 1
                    single = load(server, raw, 1, args.single) if args.single else None
                    results[(kind, name)] = (loaded, single)
            finally:
                server.stop()
                if server.proc.returncode not in (0, -signal.SIGTERM, -signal.SIGKILL):
                    print(f"{kind} exited with {server.proc.returncode}:\n{server.log_tail()}")
    code = report(args, servers, names, results, queries or {})
    print(
        f"CPU of other processes over the whole run (of one CPU): {others.top()}; "
        f"hypervisor steal {others.steal_percent():.0f}%"
    )
    return code


def check(port: int, endpoints: dict, member_count: int) -> None:
    """One request each before the load: right status and the expected content."""
    for name, (path, headers) in endpoints.items():
        status, data = http_call(port, "GET", path, headers=headers)
        ok = status == 200
        if ok and name == "members":
            ok = data.get("count") == member_count and len(data.get("results", [])) == 20
        if ok and name == "me":
            ok = data.get("number") == 1 and "entitlements" in data
        if not ok:
            raise SystemExit(f"{name}: GET {path} answered {status}: {str(data)[:300]}")


def cpu_ms(result: Result) -> float:
    """CPU per request: server, database and load generator."""
    cpu = (result.app_cpu + result.db_cpu) / max(len(result.latencies), 1)
    return 1000 * (cpu + result.client_cpu / max(result.rps, 1e-9))


def floor_ms(result: Result, clients: int) -> float:
    """Little's law: `clients` requests always in flight, each needing cpu_ms of this
    machine's CPUs, cannot take less than this on average."""
    return clients * cpu_ms(result) / (os.cpu_count() or 1)


def report(args, servers, names, results, queries) -> int:
    print()
    print(
        f"{args.clients} concurrent clients, {args.duration:g} s per endpoint after "
        f"{args.warmup:g} s warm-up; {args.workers} workers per server; throttles "
        f"{'off' if args.no_throttle else 'on'}; {args.members} members"
        + ("; what-if: with an index matching the members' ordering" if args.order_index else "")
    )
    rows = []
    for kind in servers:
        for name in names:
            loaded, single = results[(kind, name)]
            rows.append(
                [
                    kind,
                    name,
                    f"{loaded.rps:.0f}",
                    f"{loaded.ms(50):.1f}",
                    f"{loaded.ms(95):.1f}",
                    f"{loaded.ms(99):.1f}",
                    f"{single.ms(50):.1f}" if single else "-",
                    f"{loaded.per_request_ms(loaded.app_cpu):.1f}",
                    f"{loaded.per_request_ms(loaded.db_cpu):.1f}" if kind == "gunicorn" else "-",
                    f"{floor_ms(loaded, args.clients):.0f}" if kind == "gunicorn" else "-",
                    str(queries.get(name, "-")),
                    f"{loaded.client_cpu * 100:.0f}%",
                    f"{loaded.other_cpu:.0f}%",
                    f"{loaded.steal:.0f}%",
                    str(loaded.attempts),
                    str(
                        sum(loaded.errors.values()) + (sum(single.errors.values()) if single else 0)
                    ),
                ]
            )
    print(
        table(
            [
                "server",
                "endpoint",
                "req/s",
                "p50 ms",
                "p95 ms",
                "p99 ms",
                "c=1 p50",
                "app ms",
                "DB ms",
                "floor ms",
                "queries",
                "client",
                "others",
                "steal",
                "runs",
                "non-200",
            ],
            rows,
        )
    )
    print(NOTES)
    all_ok = True
    for (kind, name), (loaded, single) in results.items():
        for run_result in (loaded, single):
            if run_result and run_result.errors:
                all_ok = False
                print(f"non-200 on {kind} {name}: {dict(run_result.errors)}")
                for key, sample in run_result.samples.items():
                    print(f"  {key}: {sample!r}")
    verdicts = []
    for kind in servers:
        got = {name: results[(kind, name)][0] for name in names if (kind, name) in results}
        bare = got.get("bare")
        for name in ("drf", "me", "members"):
            if bare is None or name not in got:
                continue
            line = f"{kind}: {name} / bare: p95 {got[name].ms(95) / bare.ms(95):.2f}x"
            if kind == "gunicorn":
                line += (
                    f"; CPU per request (server + DB + client) {cpu_ms(got[name]):.1f} ms / "
                    f"{cpu_ms(bare):.1f} ms = {cpu_ms(got[name]) / cpu_ms(bare):.2f}x"
                )
            print(line)
        if kind != "gunicorn":
            continue
        if "me" in got and bare is not None:
            ratio = got["me"].ms(95) / bare.ms(95)
            verdicts.append(
                (
                    f"me p95 within {TARGET_ME_OVER_BARE:.0f}x of bare p95 ({ratio:.2f}x)",
                    ratio <= TARGET_ME_OVER_BARE,
                )
            )
        if "members" in got:
            p95 = got["members"].ms(95)
            verdicts.append(
                (
                    f"members p95 < {TARGET_MEMBERS_P95_MS:.0f} ms at {args.clients} clients "
                    f"({p95:.1f} ms; floor {floor_ms(got['members'], args.clients):.0f} ms)",
                    p95 < TARGET_MEMBERS_P95_MS,
                )
            )
    verdicts.append(("every request answered 200", all_ok))
    for label, ok in verdicts:
        print(f"{'PASS' if ok else 'FAIL'}  {label}")
    print(load_note())
    # Exit 1 when something broke; a missed target only with --strict (so `make bench`
    # runs both benchmarks).
    if not all_ok or (args.strict and not all(ok for _label, ok in verdicts)):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
