"""Pass codes, derived instead of stored: the server keeps no table of live codes.

    rotating (app):    R1.<member id>.<mac>          mac over (member, secret, time step)
    printed card:      C1.<member id>.<serial>.<mac> mac over (member, secret, serial)

The MAC key is Django's SECRET_KEY salted with the gym's schema, and the message carries
the member's own random secret: a code made in another gym (or for another member, or
before a pass reset) never validates here.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.utils.crypto import salted_hmac

STEP_SECONDS = 30
# Steps a rotating code is accepted after its own: scan delay and clock skew.
GRACE_STEPS = 1
# Older codes than that (up to this many steps) are reported as expired, not unknown.
EXPIRED_LOOKBACK_STEPS = 120

_ROTATING = re.compile(r"^R1\.([1-9][0-9]{0,11})\.([0-9a-f]{24})$")
_CARD = re.compile(r"^C1\.([1-9][0-9]{0,11})\.([1-9][0-9]{0,5})\.([0-9a-f]{24})$")


def _mac(schema: str, message: str) -> str:
    return salted_hmac(f"attendance.pass.{schema}", message, algorithm="sha256").hexdigest()[:24]


def step_of(moment: datetime) -> int:
    return int(moment.timestamp()) // STEP_SECONDS


def rotating_code(*, member_id: int, secret: str, step: int, schema: str | None = None) -> str:
    schema = schema or connection.schema_name
    return f"R1.{member_id}.{_mac(schema, f'r:{member_id}:{secret}:{step}')}"


def card_code(*, member_id: int, secret: str, serial: int, schema: str | None = None) -> str:
    schema = schema or connection.schema_name
    return f"C1.{member_id}.{serial}.{_mac(schema, f'c:{member_id}:{secret}:{serial}')}"


@dataclass(frozen=True)
class ParsedCode:
    kind: str  # "rotating" | "card"
    member_id: int
    mac: str
    serial: int = 0


def parse(code: str) -> ParsedCode | None:
    """The code's parts, or None for anything that is not a pass code of ours."""
    if not isinstance(code, str) or len(code) > 64:
        return None
    code = code.strip()
    if match := _ROTATING.match(code):
        return ParsedCode("rotating", int(match[1]), match[2])
    if match := _CARD.match(code):
        return ParsedCode("card", int(match[1]), match[3], int(match[2]))
    return None


def rotating_age(*, parsed: ParsedCode, secret: str, at: datetime) -> int | None:
    """How many steps old the code is at `at` (0 = current), or None if it is not one of
    this member's codes within the look-back window. A code one step in the future
    (kiosk clock behind) counts as current."""
    step = step_of(at)
    for age in range(-1, EXPIRED_LOOKBACK_STEPS + 1):
        expected = rotating_code(member_id=parsed.member_id, secret=secret, step=step - age)
        if hmac.compare_digest(expected.rsplit(".", 1)[1], parsed.mac):
            return max(age, 0)
    return None


def card_matches(*, parsed: ParsedCode, secret: str) -> bool:
    expected = card_code(member_id=parsed.member_id, secret=secret, serial=parsed.serial)
    return hmac.compare_digest(expected.rsplit(".", 1)[1], parsed.mac)
