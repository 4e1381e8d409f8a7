"""A small local stand-in for an OpenAI-compatible embeddings endpoint, for tests and
`make run` offline.

The real `openai` SDK talks to it (`OPENAI_BASE_URL=http://127.0.0.1:PORT/v1`). It
implements POST /v1/embeddings with OpenAI's request and response shapes: a JSON body with
`model` and `input` (a string or a list of strings), answered by
`{"object": "list", "data": [{"object": "embedding", "index": i, "embedding": [...]}],
"model": ..., "usage": {"prompt_tokens": n, "total_tokens": n}}`, and OpenAI's error JSON
(`{"error": {"message", "type", "param", "code"}}`): 401 without a bearer key, 400 for a
missing or malformed `model`/`input`, 404 for other paths.

Embeddings are deterministic bags of words: each lower-cased word (with a crude plural
strip) adds 1 to one of DIMENSIONS hashed slots, then the vector is normalised. Texts that
share words therefore have a higher cosine similarity, which is all tests need.

Tests steer failures with `mode` ("ok", "error" -> 500, "slow" -> answers after `delay`
seconds) and read `requests` (how many embedding calls arrived, and their inputs).

    python -m devtools.openai_standin --port 12112
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DIMENSIONS = 64
WORD = re.compile(r"[a-z0-9]+")


def embedding(text: str) -> list[float]:
    vector = [0.0] * DIMENSIONS
    for word in WORD.findall(text.lower()):
        if len(word) > 3 and word.endswith("s"):
            word = word[:-1]
        slot = int.from_bytes(hashlib.sha256(word.encode()).digest()[:4], "big") % DIMENSIONS
        vector[slot] += 1.0
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [v / norm for v in vector]


def _error(status: int, message: str, *, kind="invalid_request_error", param=None, code=None):
    return status, {"error": {"message": message, "type": kind, "param": param, "code": code}}


class OpenAIStandin:
    def __init__(self):
        self.mode = "ok"
        self.delay = 2.0
        self.requests: list[dict] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # --- server ---
    def start(self, port: int = 0) -> str:
        standin = self

        class Handler(_Handler):
            pass

        Handler.standin = standin
        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # --- API ---
    def handle(self, method: str, path: str, headers, raw: bytes) -> tuple[int, dict]:
        if method != "POST" or path.rstrip("/") != "/v1/embeddings":
            return _error(404, f"Unknown request URL: {method} {path}.", code="unknown_url")
        auth = headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or not auth[7:].strip():
            return _error(
                401,
                "You didn't provide an API key. You need to provide your API key in an "
                "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            )
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            return _error(400, "We could not parse the JSON body of your request.")
        if not isinstance(body, dict):
            return _error(400, "We could not parse the JSON body of your request.")
        model, texts = body.get("model"), body.get("input")
        if not isinstance(model, str) or not model:
            return _error(400, "you must provide a model parameter", param="model")
        if isinstance(texts, str):
            texts = [texts]
        if (
            not isinstance(texts, list)
            or not texts
            or not all(isinstance(t, str) and t for t in texts)
        ):
            return _error(400, "'input' is a required property (non-empty strings).", param="input")
        with self._lock:
            self.requests.append({"model": model, "input": list(texts)})
        if self.mode == "error":
            return _error(
                500, "The server had an error while processing your request.", kind="server_error"
            )
        if self.mode == "slow":
            time.sleep(self.delay)
        tokens = sum(len(t.split()) for t in texts)
        return 200, {
            "object": "list",
            "data": [
                {"object": "embedding", "index": i, "embedding": embedding(t)}
                for i, t in enumerate(texts)
            ],
            "model": model,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }


class _Handler(BaseHTTPRequestHandler):
    standin: OpenAIStandin

    def _reply(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        status, body = self.standin.handle(self.command, self.path, self.headers, raw)
        data = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
            pass

    do_GET = do_POST = do_DELETE = _reply

    def log_message(self, *args):  # quiet
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=12112)
    port = parser.parse_args().port
    url = OpenAIStandin().start(port)
    print(f"OpenAI-compatible stand-in on {url} (any bearer key)", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
