"""The one way untrusted JSON is read: request bodies (middleware), Stripe webhooks and
socket frames all go through `loads`, which refuses nesting deeper than MAX_DEPTH.

Python's json module recurses once per level: a body of 1,000 nested arrays (a few KB)
raises RecursionError, which surfaced as a 500 or a dropped socket. The depth is measured
on the raw text first, so a hostile payload is refused before anything recurses.
"""

from __future__ import annotations

import json
import re

# Deep enough for any payload we accept (Stripe's events nest about 8 levels).
MAX_DEPTH = 64

# A JSON string (escapes skipped whole), so that brackets inside strings do not count.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))
# Objects count as arrays here; a mismatched pair ("[}") is json.loads' to refuse.
_AS_ARRAYS = bytes.maketrans(b"{}", b"[]")


class JsonTooDeep(ValueError):
    """The document nests containers deeper than allowed."""

    def __init__(self, limit: int):
        super().__init__(f"JSON nested more than {limit} levels deep")
        self.limit = limit


def nesting_exceeds(data: str | bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether `data` opens more than `limit` arrays/objects inside each other."""
    if (
        data.count("[" if isinstance(data, str) else b"[")
        + data.count("{" if isinstance(data, str) else b"{")
        <= limit
    ):
        return False  # the common case: too few containers to be too deep
    raw = data.encode() if isinstance(data, str) else bytes(data)
    brackets = _STRING.sub(b"", raw).translate(_AS_ARRAYS, _NOT_BRACKETS)
    if b"[" * (limit + 1) in brackets:
        return True  # the usual attack: one long run of openers
    # Each pass removes the innermost level everywhere at C speed; what is left after
    # `limit` passes sits deeper than `limit` (a Python loop per bracket took 0.2 s on 1 MB).
    for _ in range(limit):
        brackets = brackets.replace(b"[]", b"")
        if not brackets:
            return False
    return True


def loads(data: str | bytes, *, limit: int = MAX_DEPTH):
    """json.loads that raises JsonTooDeep (a ValueError) instead of recursing too far."""
    if nesting_exceeds(data, limit):
        raise JsonTooDeep(limit)
    return json.loads(data)
