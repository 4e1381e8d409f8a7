"""What the browser tests share: Debian's chromium for Playwright, a CSP watcher, and
uvicorn serving the real ASGI app on the test database (`running_server()`)."""

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from urllib.parse import quote

from django.conf import settings
from django.db import connection

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def watch_csp(page) -> list[str]:
    """Every Content-Security-Policy violation the page reports, from the console
    (Chromium logs each one) and from the DOM's securitypolicyviolation events."""
    seen = []
    page.on(
        "console",
        lambda m: seen.append(m.text) if "Content Security Policy" in m.text else None,
    )
    # Init scripts are injected by the browser itself, outside the page's policy.
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', (e) => console.error("
        "'Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI))"
    )
    return seen


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """uvicorn serving config.asgi on the test database (committed data), on one port
    that survives a restart."""

    def __init__(self):
        db = connection.settings_dict
        self.env = dict(os.environ)
        self.env["DATABASE_URL"] = (
            f"postgres://{db['USER']}@{quote(db['HOST'], safe='')}/{db['NAME']}"
        )
        self.env["DJANGO_SETTINGS_MODULE"] = "tests.attendance.browser_settings"
        self.port = _free_port()
        self.log = tempfile.TemporaryFile()
        self.proc = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1"]
            + ["--port", str(self.port), "--log-level", "warning", "--no-access-log"],
            cwd=settings.BASE_DIR,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while True:
            assert self.proc.poll() is None, "uvicorn exited at start"
            try:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{self.port}/healthz", headers={"Host": "gym-a.localhost"}
                )
                with urllib.request.urlopen(request, timeout=2):
                    return
            except OSError:
                assert time.monotonic() < deadline, "uvicorn did not answer within 60 s"
                time.sleep(0.2)

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def tracebacks(self) -> str:
        self.log.seek(0)
        output = self.log.read().decode(errors="replace")
        return output[-4000:] if "Traceback" in output else ""


@contextmanager
def running_server(**env):
    """A started LiveServer (with these environment variables added), stopped afterwards;
    its tracebacks (if any) are printed, so a failing test shows what the server said."""
    server = LiveServer()
    server.env.update(env)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        print(server.tracebacks())
