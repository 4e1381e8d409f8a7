"""The one error type for domain rules; the API turns it into the JSON error shape."""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    """A rule was broken. `code` is stable for clients, `message` is for people."""

    status_code = 400

    def __init__(
        self,
        message: str,
        *,
        code: str = "invalid",
        details: Any = None,
        status_code: int | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.code = code
        self.details = details or {}
        if status_code is not None:
            self.status_code = status_code
