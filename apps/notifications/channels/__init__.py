"""Senders, one module per delivery channel. Each has `send_batch(deliveries)` returning
one `Outcome` per delivery, in order; it never raises for a delivery's own failure."""

from __future__ import annotations

from dataclasses import dataclass

SENT, RETRY, FAILED, GONE = "sent", "retry", "failed", "gone"


@dataclass(frozen=True)
class Outcome:
    status: str  # SENT, RETRY (temporary: 5xx, 429, timeout), FAILED (permanent), GONE
    error: str = ""
    # Seconds the other side asked us to wait (429 Retry-After), if it said.
    retry_after: float | None = None
