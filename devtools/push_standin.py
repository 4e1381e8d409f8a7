"""A local stand-in for a web push service (RFC 8030 + RFC 8291 + RFC 8292) and for FCM
HTTP v1 with its OAuth token endpoint, for tests, benchmarks and `make run` offline.

Web push: `subscription()` makes a subscription as a browser would (its own P-256 key pair
and auth secret) and returns the JSON a browser gives a site: `{"endpoint", "keys":
{"p256dh", "auth"}}`. `POST /push/<name>` checks what a real push service checks: a VAPID
`Authorization: vapid t=<JWT>,k=<key>` whose ES256 signature, `aud` (this origin), `exp`
(future, at most 24 h away) and `sub` are valid, `Content-Encoding: aes128gcm`, a `TTL`
header and a body of at most 4096 bytes (else 413). It records each body per subscription
(`received[name]`; `decrypt(name)` opens it with the subscription's own keys) and answers
201. Tests steer a subscription with `steer(name, status, times=..., retry_after=...)`:
404/410 (gone), 413, 429 with Retry-After, 500.

FCM: `fcm_credentials(path)` writes a service-account file whose `token_uri` is this
server's `/token`; `POST /token` runs the OAuth 2.0 JWT-bearer grant (RS256 assertion
checked against that account's key) and `POST /v1/projects/<p>/messages:send` needs its
bearer token. Tokens in `fcm_unregistered` answer 404 UNREGISTERED, `fcm_invalid` 400
INVALID_ARGUMENT; `fcm_steer` queues 429/500 answers. Sent messages land in `fcm_messages`.

    python -m devtools.push_standin --port 12114
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from py_vapid import Vapid02

# RFC 8030 section 7.2 / what push services accept: the encrypted body, at most 4 KB.
MAX_BODY = 4096
FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class PushStandin:
    def __init__(self):
        self.base_url = ""
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        # --- web push ---
        self._keys: dict[str, tuple[ec.EllipticCurvePrivateKey, bytes]] = {}
        self.received: dict[str, list[dict]] = defaultdict(list)
        self._steer: dict[str, list[tuple[int, dict]]] = defaultdict(list)
        self.gone: set[str] = set()
        self.refused: list[tuple[int, str]] = []  # (status, reason) of rejected pushes
        self.vapid_tokens: set[str] = set()  # distinct JWTs seen (header caching)
        self.connections: set[tuple] = set()  # distinct client sockets (keep-alive)
        # --- FCM ---
        self._fcm_key: rsa.RSAPrivateKey | None = None
        self._fcm_email = ""
        self._access_tokens: set[str] = set()
        self.token_requests = 0
        self.fcm_messages: list[dict] = []
        self.fcm_unregistered: set[str] = set()
        self.fcm_invalid: set[str] = set()
        self._fcm_steer: list[tuple[int, dict]] = []

    # --- server ---
    def start(self, port: int = 0) -> str:
        class Handler(_Handler):
            pass

        Handler.standin = self
        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        return self.base_url

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # --- web push: what tests use ---
    def subscription(self, name: str | None = None) -> dict:
        """A new browser subscription: its private key and auth secret stay here."""
        name = name or secrets.token_urlsafe(12)
        private = ec.generate_private_key(ec.SECP256R1())
        auth = os.urandom(16)
        with self._lock:
            self._keys[name] = (private, auth)
        public = private.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": f"{self.base_url}/push/{name}",
            "keys": {"p256dh": b64url(public), "auth": b64url(auth)},
        }

    def steer(self, name: str, status: int, *, times: int = 1, retry_after=None) -> None:
        """The next `times` pushes to `name` get `status` (404/410 also mark it gone)."""
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        with self._lock:
            self._steer[name].extend([(status, headers)] * times)

    def decrypt(self, name: str, index: int = -1) -> bytes:
        private, auth = self._keys[name]
        body = self.received[name][index]["body"]
        return http_ece.decrypt(body, private_key=private, auth_secret=auth, version="aes128gcm")

    def push_count(self) -> int:
        return sum(len(v) for v in self.received.values())

    # --- FCM: what tests use ---
    def fcm_credentials(self, path, project_id: str = "demo-project", *, reuse=False) -> str:
        """Write a service-account JSON file pointing at this server; returns the path.
        With `reuse`, an existing file's key is kept (`make run` restarts)."""
        if reuse and os.path.exists(path):
            with open(path) as fh:
                info = json.load(fh)
            self._fcm_key = serialization.load_pem_private_key(
                info["private_key"].encode(), password=None
            )
            self._fcm_email = info["client_email"]
            info["token_uri"] = f"{self.base_url}/token"
            with open(path, "w") as fh:
                json.dump(info, fh)
            return str(path)
        self._fcm_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._fcm_email = f"push@{project_id}.iam.gserviceaccount.com"
        pem = self._fcm_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        info = {
            "type": "service_account",
            "project_id": project_id,
            "private_key_id": secrets.token_hex(8),
            "private_key": pem,
            "client_email": self._fcm_email,
            "client_id": "1",
            "token_uri": f"{self.base_url}/token",
        }
        with open(path, "w") as fh:
            json.dump(info, fh)
        os.chmod(path, 0o600)
        return str(path)

    def fcm_steer(self, status: int, *, times: int = 1, retry_after=None) -> None:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        with self._lock:
            self._fcm_steer.extend([(status, headers)] * times)

    # --- HTTP ---
    def handle(self, method, path, headers, raw, client) -> tuple[int, dict, bytes]:
        with self._lock:
            self.connections.add(client)
        route = urlsplit(path).path
        if method == "POST" and route.startswith("/push/"):
            return self._push(route[len("/push/") :], headers, raw)
        if method == "POST" and route == "/token":
            return self._token(raw)
        if (
            method == "POST"
            and route.startswith("/v1/projects/")
            and route.endswith("/messages:send")
        ):
            return self._fcm_send(route, headers, raw)
        return 404, {}, b""

    def _refuse(self, status: int, reason: str):
        with self._lock:
            self.refused.append((status, reason))
        return status, {"Content-Type": "text/plain"}, reason.encode()

    def _vapid_error(self, header: str) -> str:
        scheme, _, params = header.partition(" ")
        if scheme.lower() != "vapid":
            return "Authorization is not 'vapid t=...,k=...'"
        parts = dict(p.strip().split("=", 1) for p in params.split(",") if "=" in p)
        token, key = parts.get("t", ""), parts.get("k", "")
        if not token or not key:
            return "VAPID t or k missing"
        try:
            valid = Vapid02.verify(header)
            claims = json.loads(b64url_decode(token.split(".")[1]))
        except (ValueError, AssertionError, IndexError, InvalidSignature):
            return "VAPID token malformed"
        if not valid:
            return "VAPID signature invalid"
        if claims.get("aud") != self.base_url:
            return f"VAPID aud {claims.get('aud')!r} is not this origin"
        exp = int(claims.get("exp", 0))
        if not time.time() < exp <= time.time() + 24 * 3600:
            return "VAPID exp not within 24 hours"
        if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
            return "VAPID sub missing"
        with self._lock:
            self.vapid_tokens.add(token)
        return ""

    def _push(self, name: str, headers, raw: bytes):
        error = self._vapid_error(headers.get("Authorization", ""))
        if error:
            return self._refuse(401, error)
        if headers.get("Content-Encoding", "").lower() != "aes128gcm":
            return self._refuse(400, "Content-Encoding must be aes128gcm")
        if not (headers.get("TTL") or "").isdigit():
            return self._refuse(400, "TTL header missing")
        with self._lock:
            steered = self._steer[name].pop(0) if self._steer[name] else None
            if steered and steered[0] in (404, 410):
                self.gone.add(name)
        if steered:
            return steered[0], steered[1], b""
        if name in self.gone:
            return 410, {}, b""
        if len(raw) > MAX_BODY:
            return self._refuse(413, f"payload of {len(raw)} bytes is over {MAX_BODY}")
        with self._lock:
            self.received[name].append(
                {
                    "body": raw,
                    "ttl": int(headers["TTL"]),
                    "urgency": headers.get("Urgency", ""),
                    "at": time.time(),
                }
            )
        return 201, {"Location": f"{self.base_url}/message/{secrets.token_hex(8)}"}, b""

    def _token(self, raw: bytes):
        form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return _json(400, {"error": "unsupported_grant_type"})
        try:
            head, body, sig = form.get("assertion", "").split(".")
            claims = json.loads(b64url_decode(body))
            self._fcm_key.public_key().verify(
                b64url_decode(sig),
                f"{head}.{body}".encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except (ValueError, AttributeError, InvalidSignature):
            return _json(400, {"error": "invalid_grant", "error_description": "Invalid JWT"})
        if claims.get("iss") != self._fcm_email or FCM_SCOPE not in claims.get("scope", ""):
            return _json(400, {"error": "invalid_scope"})
        if not claims.get("exp", 0) > time.time():
            return _json(400, {"error": "invalid_grant", "error_description": "expired"})
        access = secrets.token_urlsafe(24)
        with self._lock:
            self._access_tokens.add(access)
            self.token_requests += 1
        return _json(200, {"access_token": access, "expires_in": 3599, "token_type": "Bearer"})

    def _fcm_send(self, route: str, headers, raw: bytes):
        auth = headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self._access_tokens:
            return _fcm_error(401, "UNAUTHENTICATED", "Request had invalid credentials.")
        try:
            message = json.loads(raw)["message"]
            token = message["token"]
        except (ValueError, KeyError, TypeError):
            return _fcm_error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
        with self._lock:
            steered = self._fcm_steer.pop(0) if self._fcm_steer else None
        if steered:
            status, extra = steered
            code = "QUOTA_EXCEEDED" if status == 429 else "INTERNAL"
            result = _fcm_error(status, "RESOURCE_EXHAUSTED" if status == 429 else code, code)
            return result[0], {**result[1], **extra}, result[2]
        if token in self.fcm_unregistered:
            return _fcm_error(
                404, "NOT_FOUND", "Requested entity was not found.", error_code="UNREGISTERED"
            )
        if token in self.fcm_invalid:
            return _fcm_error(
                400,
                "INVALID_ARGUMENT",
                "The registration token is not a valid FCM registration token",
                error_code="INVALID_ARGUMENT",
            )
        project = route.split("/")[3]
        with self._lock:
            self.fcm_messages.append(message)
        return _json(200, {"name": f"projects/{project}/messages/{secrets.token_hex(8)}"})


def _json(status: int, body: dict):
    return status, {"Content-Type": "application/json"}, json.dumps(body).encode()


def _fcm_error(status: int, state: str, message: str, *, error_code: str | None = None):
    error = {"code": status, "message": message, "status": state}
    if error_code:
        error["details"] = [
            {
                "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                "errorCode": error_code,
            }
        ]
    return _json(status, {"error": error})


class _Handler(BaseHTTPRequestHandler):
    standin: PushStandin
    protocol_version = "HTTP/1.1"  # keep-alive, as real push services

    def _reply(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        status, headers, body = self.standin.handle(
            self.command, self.path, self.headers, raw, self.client_address
        )
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
            pass

    do_GET = do_POST = do_DELETE = _reply

    def log_message(self, *args):  # quiet
        pass


def vapid_keys(path) -> dict:
    """Development VAPID keys, made once into `path` (JSON: public_key, private_key as
    base64url raw point and scalar, the form browsers and pywebpush take)."""
    if os.path.exists(path):
        with open(path) as fh:
            return json.load(fh)
    key = Vapid02()
    key.generate_keys()
    public = key.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    private = key.private_key.private_numbers().private_value.to_bytes(32, "big")
    keys = {"public_key": b64url(public), "private_key": b64url(private)}
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as fh:
        json.dump(keys, fh)
    os.chmod(path, 0o600)
    return keys


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=12114)
    parser.add_argument(
        "--vapid-keys",
        metavar="PATH",
        help="make dev VAPID keys into PATH (once), write --fcm-credentials for --port, exit",
    )
    parser.add_argument(
        "--fcm-credentials", metavar="PATH", help="write (or reuse) a service-account file"
    )
    args = parser.parse_args()
    standin = PushStandin()
    if args.vapid_keys:  # prepare the files the stack reads, before anything starts
        vapid_keys(args.vapid_keys)
        if args.fcm_credentials:
            standin.base_url = f"http://127.0.0.1:{args.port}"
            standin.fcm_credentials(args.fcm_credentials, reuse=True)
        return
    url = standin.start(args.port)
    if args.fcm_credentials:
        standin.fcm_credentials(args.fcm_credentials, reuse=True)
    print(f"push stand-in on {url} (web push: {url}/push/<name>, FCM: {url}/v1/...)", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        standin.stop()


if __name__ == "__main__":
    main()
