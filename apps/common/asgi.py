"""ASGI middleware for the HTTP side: a body-size cap enforced before Django reads a byte.

Django's ASGI handler spools the whole body to memory or disk before any view (or
permission check) runs, so under uvicorn a declared 1 GiB body was read in full before its
403. gunicorn and nginx cap bodies in production; this does the same wherever the ASGI
app serves HTTP (`make run`, the `/ws/` server).
"""

from __future__ import annotations

import json

from django.conf import settings


async def _refuse(send, limit: int) -> None:
    body = json.dumps(
        {
            "error": {
                "code": "request_too_large",
                "message": "The request body is too large.",
                "details": {"max_bytes": limit},
                "request_id": None,
            }
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    """413 at once for a Content-Length over MAX_REQUEST_BODY_BYTES; a body sent without
    one (chunked) is counted as it arrives and cut off at the same limit."""

    def __init__(self, app, limit: int | None = None):
        self.app = app
        self.limit = limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.limit or settings.MAX_REQUEST_BODY_BYTES
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None:
            try:
                too_large = int(declared) > limit
            except ValueError:
                too_large = False  # Django answers a malformed length itself
            if too_large:
                return await _refuse(send, limit)
        received = 0
        refused = False

        async def counted_receive():
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Answer now; the app sees the client leave and stops reading.
                    refused = True
                    await _refuse(send, limit)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message):
            if not refused:
                await send(message)

        return await self.app(scope, counted_receive, guarded_send)
