"""Email through Django's backend: django-anymail's ESP backend in production, SMTP or
the console in development, locmem in tests.

Optional messages carry RFC 8058 one-click unsubscribe headers. Anymail's `metadata`
names the gym and the delivery, so the ESP's tracking webhook (bounces, complaints) finds
its way back to the right schema."""

from __future__ import annotations

import smtplib

from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection as db

from apps.notifications.channels import FAILED, RETRY, SENT, Outcome


def message_for(delivery, connection=None) -> EmailMultiAlternatives:
    payload = delivery.payload
    headers = {}
    if payload.get("unsubscribe"):
        headers["List-Unsubscribe"] = f"<{payload['unsubscribe']}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = EmailMultiAlternatives(
        payload["subject"],
        payload["text"],
        to=[payload["to"]],
        headers=headers,
        connection=connection,
    )
    if payload.get("html"):
        message.attach_alternative(payload["html"], "text/html")
    message.metadata = {"schema": db.schema_name, "delivery": str(delivery.pk)}
    message.tags = [delivery.notification.kind]
    return message


def send_batch(deliveries) -> list[Outcome]:
    outcomes = []
    with get_connection() as connection:
        for delivery in deliveries:
            outcomes.append(_send(message_for(delivery, connection)))
    return outcomes


def _send(message) -> Outcome:
    try:
        message.send()
    except AnymailRecipientsRefused as exc:
        return Outcome(FAILED, f"recipient refused: {exc}"[:300])
    except AnymailAPIError as exc:
        status = getattr(exc, "status_code", None)
        temporary = status is None or status >= 500 or status == 429
        return Outcome(RETRY if temporary else FAILED, f"ESP {status}: {exc}"[:300])
    except smtplib.SMTPRecipientsRefused as exc:
        return Outcome(FAILED, f"recipient refused: {exc}"[:300])
    except (TimeoutError, smtplib.SMTPException, OSError) as exc:
        return Outcome(RETRY, f"{type(exc).__name__}: {exc}"[:300])
    return Outcome(SENT)
