"""Notifications to members and staff: the one function every feature calls to tell someone.

Email is the only channel today. The message is rendered from
`templates/notifications/<template>_subject.txt` and `<template>_message.txt` (plus an
optional `<template>_message.html`) in the gym's language, and sent after the current
transaction commits, so a rolled-back booking or payment never sends a message.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import translation

logger = logging.getLogger(__name__)


def in_gym_language():
    """Translations in the current gym's language (its `default_language`): for what the
    gym says to people whoever caused it, e.g. emails, door messages, invoice lines."""
    gym = getattr(connection, "tenant", None)
    return translation.override(getattr(gym, "default_language", None) or settings.LANGUAGE_CODE)


def notify(recipient, template: str, context: dict | None = None) -> None:
    """Email `recipient` (anything with `.email`: a Member or a User) about `template`.

    A recipient without an email address is skipped (logged), and a failed send is logged
    rather than raised: the change that caused the message is already saved.
    """
    email = getattr(recipient, "email", "")
    if not email:
        logger.info("Notification %s skipped: %r has no email address", template, recipient)
        return
    gym = connection.tenant
    context = {"gym": gym, "recipient": recipient, **(context or {})}
    with in_gym_language():
        subject = render_to_string(f"notifications/{template}_subject.txt", context)
        body = render_to_string(f"notifications/{template}_message.txt", context)
        try:
            html = render_to_string(f"notifications/{template}_message.html", context)
        except TemplateDoesNotExist:
            html = None
    subject = " ".join(subject.split())  # one line, whatever the template's whitespace
    if getattr(gym, "name", None) and not getattr(gym, "is_public", False):
        subject = f"[{gym.name}] {subject}"
    message = EmailMultiAlternatives(subject, body.strip() + "\n", to=[email])
    if html:
        message.attach_alternative(html, "text/html")

    def send() -> None:
        try:
            message.send()
        except Exception:  # see docstring
            logger.warning("Notification %s to %s was not sent", template, email, exc_info=True)

    transaction.on_commit(send)
