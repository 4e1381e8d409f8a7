"""Checks of untrusted input shared by the goals app's services: one error shape
(`details={field: [message]}`, as DRF's) and one text rule (no NUL, trimmed, bounded)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from apps.common.errors import ApplicationError


def refuse(message: str, field: str | None = None, code: str = "invalid") -> ApplicationError:
    return ApplicationError(message, code=code, details={field: [message]} if field else None)


def text(value, field: str, max_length: int, *, required: bool = False) -> str:
    cleaned = str(value or "").strip()
    if "\x00" in cleaned:
        raise refuse(_("Text may not contain NUL characters."), field)
    if required and not cleaned:
        raise refuse(_("This field is required."), field)
    if len(cleaned) > max_length:
        raise refuse(_("At most %(n)s characters.") % {"n": max_length}, field, code="too_long")
    return cleaned
