"""A small local stand-in for an OpenAI-compatible server (embeddings and chat
completions), for tests, benchmarks and `make run` offline.

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

POST /v1/chat/completions takes OpenAI's body (`model`, `messages`, optional
`response_format` of type `json_schema` or `json_object`, `max_tokens` or
`max_completion_tokens`) and answers a `chat.completion` object. The reply is built
deterministically from the prompt: the prompt's `language: xx` line (en, es, fr or de)
picks the language, its `tone: ...` line the tone, a hash of the whole prompt the
sentence. With a JSON schema the content is a JSON object with exactly the schema's
properties (`message`, `tone`, `language` filled in; any other string property empty).
`usage` counts words (prompt: every message's content; completion: the content), and a
content longer than `max_tokens` words is cut there with `finish_reason: "length"`, as
the real API does (the cut JSON is then invalid).

Tests steer failures with `mode`: "ok"; "error" -> 500; "slow" -> answers after `delay`
seconds. Chat completions only: "refusal" (`message.refusal` set, no content),
"invalid_json" (content that is not JSON), and outputs the caller's guardrails must
reject: "long" (a 400-character message), "wrong_language" (the message in another
language while `language` claims the asked one), "medical" (a diet claim in the asked
language). Tests in the same process set `mode` and read `requests` (embedding calls)
and `chat_requests` (chat bodies); another process (a benchmark, `make run`) uses the
control endpoint: `POST /_standin/mode {"mode": ..., "delay": s}` answers the mode now
in force, `GET /_standin/mode` reads it with the request counts. The control endpoint
needs no key: the stand-in listens on loopback only and is never deployed.

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
MODES = ("ok", "error", "slow", "refusal", "invalid_json", "long", "wrong_language", "medical")
LANGUAGE_LINE = re.compile(r"\blanguage:\s*([a-z]{2})\b", re.IGNORECASE)
TONE_LINE = re.compile(r"\btone:\s*([a-z_]+)", re.IGNORECASE)
NAME_LINE = re.compile(r"\bname:\s*([^\n,.;]{1,40})", re.IGNORECASE)
# Short, plain sentences per language ({name}: the prompt's `name:` line, else the
# placeholder itself, for callers that fill the name in later): enough
# variety for tests to tell prompts apart, nothing a guardrail should reject.
REPLIES = {
    "en": (
        "Nice work today, {name}. Keep the rhythm going and come back tomorrow.",
        "You showed up, {name}, and that is what counts. See you at the next one.",
        "One more day in the bag, {name}. Your streak is growing with every visit.",
        "Good job, {name}! Small steps every day add up to a big change.",
    ),
    "es": (
        "Buen trabajo hoy, {name}. Sigue con el ritmo y vuelve mañana.",
        "Has venido, {name}, y eso es lo que cuenta. Nos vemos en la próxima.",
        "Un día más, {name}. Tu racha crece con cada visita.",
        "¡Muy bien, {name}! Los pasos pequeños de cada día suman un gran cambio.",
    ),
    "fr": (
        "Beau travail aujourd'hui, {name}. Garde le rythme et reviens demain.",
        "Tu es venu, {name}, et c'est ce qui compte. On se voit à la prochaine.",
        "Encore une journée de plus, {name}. Ta série grandit avec chaque visite.",
        "Bravo, {name} ! Les petits pas de chaque jour font un grand changement.",
    ),
    "de": (
        "Gute Arbeit heute, {name}. Bleib im Rhythmus und komm morgen wieder.",
        "Du warst da, {name}, und das ist es, was zählt. Bis zum nächsten Mal.",
        "Noch ein Tag geschafft, {name}. Deine Serie wächst mit jedem Besuch.",
        "Gut gemacht, {name}! Kleine Schritte jeden Tag ergeben eine große Veränderung.",
    ),
}
MEDICAL = {
    "en": "Great session, {name}! Cut your calories and follow a strict diet to lose weight.",
    "es": "¡Gran sesión, {name}! Sigue una dieta estricta y cuenta las calorías para adelgazar.",
    "fr": "Belle séance, {name} ! Suis un régime strict et compte les calories pour maigrir.",
    "de": "Tolles Training, {name}! Mach eine strenge Diät und zähl die Kalorien zum Abnehmen.",
}
REFUSAL = "I'm sorry, but I can't help with that request."


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
        self.chat_requests: list[dict] = []
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
        route = path.split("?", 1)[0].rstrip("/")
        if route == "/_standin/mode":
            return self._control(method, raw)
        if method != "POST" or route not in ("/v1/embeddings", "/v1/chat/completions"):
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
        if route == "/v1/chat/completions":
            return self._chat(body)
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

    def _control(self, method: str, raw: bytes) -> tuple[int, dict]:
        if method == "POST":
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                return _error(400, 'The body must be JSON: {"mode": ..., "delay": s}.')
            mode = body.get("mode", self.mode) if isinstance(body, dict) else None
            delay = body.get("delay", self.delay) if isinstance(body, dict) else None
            if mode not in MODES or not isinstance(delay, int | float) or not 0 <= delay <= 60:
                return _error(400, f"mode is one of {', '.join(MODES)}; delay 0-60 s.")
            self.mode, self.delay = mode, float(delay)
        elif method != "GET":
            return _error(404, f"Unknown request URL: {method} /_standin/mode.")
        return 200, {
            "mode": self.mode,
            "delay": self.delay,
            "embedding_requests": len(self.requests),
            "chat_requests": len(self.chat_requests),
        }

    def _chat(self, body: dict) -> tuple[int, dict]:
        model, messages = body.get("model"), body.get("messages")
        if not isinstance(model, str) or not model:
            return _error(400, "you must provide a model parameter", param="model")
        if (
            not isinstance(messages, list)
            or not messages
            or not all(
                isinstance(m, dict) and isinstance(m.get("role"), str) and "content" in m
                for m in messages
            )
        ):
            return _error(
                400, "'messages' is a required property (role and content).", param="messages"
            )
        limit = body.get("max_completion_tokens", body.get("max_tokens"))
        if limit is not None and (
            not isinstance(limit, int) or isinstance(limit, bool) or limit < 1
        ):
            return _error(400, "max_tokens must be a positive integer.", param="max_tokens")
        response_format = body.get("response_format") or {"type": "text"}
        schema = None
        if not isinstance(response_format, dict) or response_format.get("type") not in (
            "text",
            "json_object",
            "json_schema",
        ):
            return _error(400, "Invalid response_format.", param="response_format")
        if response_format["type"] == "json_schema":
            spec = response_format.get("json_schema")
            schema = spec.get("schema") if isinstance(spec, dict) else None
            if not isinstance(spec, dict) or not spec.get("name") or not isinstance(schema, dict):
                return _error(
                    400,
                    "response_format.json_schema needs a name and a schema.",
                    param="response_format",
                )
        with self._lock:
            self.chat_requests.append(body)
        if self.mode == "error":
            return _error(
                500, "The server had an error while processing your request.", kind="server_error"
            )
        if self.mode == "slow":
            time.sleep(self.delay)
        prompt = "\n".join(_text(m.get("content")) for m in messages)
        content, refusal = self._content(prompt, response_format["type"], schema), None
        if self.mode == "refusal":
            content, refusal = None, REFUSAL
        finish = "stop"
        words = (content or refusal or "").split(" ")
        if limit is not None and len(words) > limit:
            content, words, finish = " ".join(words[:limit]), words[:limit], "length"
        prompt_tokens = len(prompt.split())
        return 200, {
            "id": f"chatcmpl-standin-{hashlib.sha256(prompt.encode()).hexdigest()[:12]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content, "refusal": refusal},
                    "logprobs": None,
                    "finish_reason": finish,
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": len(words),
                "total_tokens": prompt_tokens + len(words),
            },
        }

    def _content(self, prompt: str, kind: str, schema: dict | None) -> str:
        if self.mode == "invalid_json":
            return '{"message": "Keep going", "tone": '
        found = LANGUAGE_LINE.search(prompt)
        language = found.group(1).lower() if found else "en"
        language = language if language in REPLIES else "en"
        tone = TONE_LINE.search(prompt)
        name = NAME_LINE.search(prompt)
        name = name.group(1).strip() if name else "{name}"
        pick = int(hashlib.sha256(prompt.encode()).hexdigest(), 16)
        written = language
        if self.mode == "wrong_language":
            written = "es" if language == "en" else "en"
        replies = REPLIES[written]
        message = replies[pick % len(replies)].format(name=name)
        if self.mode == "medical":
            message = MEDICAL[language].format(name=name)
        elif self.mode == "long":
            message = " ".join([message] * 8)[:400]
        if kind == "text":
            return message
        answer = {"message": message, "tone": tone.group(1) if tone else "", "language": language}
        if schema is not None:
            # Exactly the schema's properties, as strict structured outputs promise.
            properties = schema.get("properties") or {}
            answer = {key: answer.get(key, "") for key in properties}
        return json.dumps(answer, ensure_ascii=False)


def _text(content) -> str:
    """A message's content: a string, or OpenAI's list of parts ({"type": "text", ...})."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


class _Handler(BaseHTTPRequestHandler):
    standin: OpenAIStandin

    def _reply(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        status, body = self.standin.handle(self.command, self.path, self.headers, raw)
        data = json.dumps(body, ensure_ascii=False).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
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
