"""`notify()`: the in-app row first, then each allowed channel after commit, once per
dedupe key, in the recipient's language; a dead channel loses nothing."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.notifications import kinds
from apps.notifications.models import (
    Delivery,
    DeliveryStatus,
    EmailSuppression,
    Notification,
    Preference,
    SuppressionReason,
)
from apps.notifications.services import (
    deliveries_release_due,
    notify,
    notify_each,
    preference_update,
)
from tests.notifications.texts import templates_with

MESSAGES = {
    "notifications/hello_subject.txt": "{% load i18n %}\n{% translate 'Members' %}\n",
    "notifications/hello_message.txt": (
        "{% autoescape off %}Hi {{ recipient.first_name }} at {{ gym.name }}{% endautoescape %}"
    ),
    "notifications/hello_short.txt": "Short hello",
    "notifications/hello_tx_subject.txt": "Receipt",
    "notifications/hello_tx_message.txt": "Your receipt",
}
# The test kinds' texts first, then the project's templates (pages still render).
TEMPLATES = templates_with(MESSAGES)


@pytest.fixture(autouse=True)
def hello_kinds(monkeypatch):
    """An optional and a transactional test kind, both rendered from MESSAGES."""
    monkeypatch.setitem(kinds.KINDS, "hello", kinds.Kind("hello", "community"))
    monkeypatch.setitem(
        kinds.KINDS, "hello_tx", kinds.Kind("hello_tx", "billing", transactional=True)
    )
    with override_settings(TEMPLATES=TEMPLATES):
        yield


def test_in_app_row_then_email_on_commit_in_the_members_language(
    gym_a, make_member, django_capture_on_commit_callbacks
):
    member = make_member(gym_a, first_name="Ana", email="ana@example.com", language="es")
    with tenant_context(gym_a), django_capture_on_commit_callbacks(execute=True):
        notification = notify(member, "hello", dedupe_key="hello:1")
        assert mail.outbox == []  # not before commit
        assert Notification.objects.get().title == "Miembros"
    assert notification.body == "Short hello"
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["ana@example.com"]
    assert sent.subject == f"[{gym_a.name}] Miembros"
    assert sent.body == f"Hi Ana at {gym_a.name}\n"
    with tenant_context(gym_a):
        assert Delivery.objects.get().status == DeliveryStatus.SENT


def test_the_gyms_language_when_the_member_has_none(
    gym_a, make_member, django_capture_on_commit_callbacks
):
    gym_a.default_language = "de"
    member = make_member(gym_a, email="bo@example.com")
    with tenant_context(gym_a), django_capture_on_commit_callbacks(execute=True):
        notify(member, "hello")
    assert mail.outbox[0].subject == f"[{gym_a.name}] Mitglieder"


def test_names_are_not_html_escaped_in_plain_text(
    gym_a, make_member, django_capture_on_commit_callbacks
):
    member = make_member(gym_a, first_name="Seán O'Brien & Co", email="sean@example.com")
    with tenant_context(gym_a), django_capture_on_commit_callbacks(execute=True):
        notify(member, "hello")
    assert "Seán O'Brien & Co" in mail.outbox[0].body


def test_rolled_back_change_notifies_nobody(gym_a, make_member, django_capture_on_commit_callbacks):
    member = make_member(gym_a, email="bo@example.com")
    with tenant_context(gym_a), django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            notify(member, "hello")
            raise RuntimeError
        assert not Notification.objects.exists()
    assert mail.outbox == []


def test_recipient_without_email_still_gets_the_in_app_row(
    gym_a, make_member, django_capture_on_commit_callbacks
):
    member = make_member(gym_a, email="")
    with tenant_context(gym_a), django_capture_on_commit_callbacks(execute=True):
        assert notify(member, "hello") is not None
        assert not Delivery.objects.exists()
    assert mail.outbox == []


def test_a_dedupe_key_makes_the_second_call_a_no_op(
    gym_a, make_member, django_capture_on_commit_callbacks
):
    member = make_member(gym_a, email="bo@example.com")
    other = make_member(gym_a, email="cy@example.com")
    with tenant_context(gym_a), django_capture_on_commit_callbacks(execute=True):
        assert notify(member, "hello", dedupe_key="k:1") is not None
        assert notify(member, "hello", dedupe_key="k:1") is None
        # Same key, other person: their own notification.
        assert notify(other, "hello", dedupe_key="k:1") is not None
        assert Notification.objects.count() == 2
    assert len(mail.outbox) == 2


def test_unknown_kind_is_refused(gym_a, make_member):
    member = make_member(gym_a)
    with tenant_context(gym_a), pytest.raises(ValueError, match="Unknown notification kind"):
        notify(member, "no_such_kind")


def test_email_switched_off_stops_optional_but_not_transactional_email(
    gym_a, make_member, django_capture_on_commit_callbacks
):
    member = make_member(gym_a, email="bo@example.com")
    with tenant_context(gym_a), django_capture_on_commit_callbacks(execute=True):
        preference_update(
            member=member, channels={"community": {"email": False}, "billing": {"email": False}}
        )
        notify(member, "hello")
        notify(member, "hello_tx")
        assert Notification.objects.count() == 2  # the inbox always has both
    assert len(mail.outbox) == 1


def test_suppressed_address_gets_only_transactional_email(
    gym_a, make_member, django_capture_on_commit_callbacks
):
    member = make_member(gym_a, email="Bounce@Example.com")
    with tenant_context(gym_a), django_capture_on_commit_callbacks(execute=True):
        EmailSuppression.objects.create(
            address="bounce@example.com", reason=SuppressionReason.BOUNCED
        )
        notify(member, "hello")
        notify(member, "hello_tx")
        skipped = Delivery.objects.get(notification__kind="hello")
        assert skipped.status == DeliveryStatus.SKIPPED
    assert len(mail.outbox) == 1


def test_optional_email_has_one_click_unsubscribe(
    gym_a, make_member, web, django_capture_on_commit_callbacks
):
    member = make_member(gym_a, email="bo@example.com")
    with tenant_context(gym_a), django_capture_on_commit_callbacks(execute=True):
        notify(member, "hello")
        notify(member, "hello_tx")
    optional, transactional = mail.outbox
    assert "List-Unsubscribe" not in transactional.extra_headers
    assert optional.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = optional.extra_headers["List-Unsubscribe"].strip("<>")
    assert link.startswith(f"http://{gym_a.slug}.localhost")
    path = link.split("localhost", 1)[1]
    client = web(gym_a)
    assert client.get(path).status_code == 200  # a link scanner changes nothing
    with tenant_context(gym_a):
        assert not Preference.objects.exists()
    # The mail client's one-click POST: no cookie, no CSRF token.
    response = client.post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    mail.outbox.clear()
    with tenant_context(gym_a), django_capture_on_commit_callbacks(execute=True):
        notify(member, "hello")
    assert mail.outbox == []
    # A damaged link is refused and changes nothing.
    assert client.post(path[:-3] + "xyz/").status_code == 404


class DeadBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise ConnectionRefusedError("ESP down")


@override_settings(EMAIL_BACKEND="tests.notifications.test_hub.DeadBackend")
def test_a_dead_esp_keeps_the_notification_and_retries_later(
    gym_a, make_member, django_capture_on_commit_callbacks
):
    member = make_member(gym_a, email="bo@example.com")
    with tenant_context(gym_a), django_capture_on_commit_callbacks(execute=True):
        notify(member, "hello")
    with tenant_context(gym_a):
        assert Notification.objects.count() == 1
        delivery = Delivery.objects.get()
        assert delivery.status == DeliveryStatus.QUEUED
        assert delivery.attempts == 1
        assert "ESP down" in delivery.error
        assert delivery.not_before is not None
        # Not due yet; once due, released again (and with a live ESP it is sent).
        assert deliveries_release_due() == 0
        with (
            override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"),
            django_capture_on_commit_callbacks(execute=True),
        ):
            Delivery.objects.update(not_before=timezone.now() - timedelta(seconds=1))
            assert deliveries_release_due() == 1
        delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert len(mail.outbox) == 1


def test_the_tick_queues_a_waiting_delivery_once_and_leaves_a_backlog_alone(
    gym_a, make_member, django_capture_on_commit_callbacks
):
    """A queue busy for minutes holds deliveries that already have a task: queuing them
    again each minute only floods the workers with duplicates. Queued again: a wait that
    ended, a task that looks lost (15 min), a claim whose worker died."""
    member = make_member(gym_a, email="backlog@example.com")
    with tenant_context(gym_a):
        with django_capture_on_commit_callbacks(execute=False):  # the task never runs
            notify(member, "hello")
        delivery = Delivery.objects.get()
        now = timezone.now()
        for minutes in (1, 5, 14):  # a backlog: its task is still in the queue
            assert deliveries_release_due(now=now + timedelta(minutes=minutes)) == 0
        with django_capture_on_commit_callbacks() as queued:
            assert deliveries_release_due(now=now + timedelta(minutes=16)) == 1  # lost
        assert len(queued) == 1
        assert deliveries_release_due(now=now + timedelta(minutes=17)) == 0  # once
        # A retry delay that ends: queued once when due, not again the next minute.
        Delivery.objects.filter(pk=delivery.pk).update(
            not_before=now + timedelta(minutes=20), queued_at=None
        )
        assert deliveries_release_due(now=now + timedelta(minutes=19)) == 0
        assert deliveries_release_due(now=now + timedelta(minutes=20)) == 1
        assert deliveries_release_due(now=now + timedelta(minutes=21)) == 0
        # A claim whose worker died is queued again at once.
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.SENDING, claimed_at=now + timedelta(minutes=21)
        )
        assert deliveries_release_due(now=now + timedelta(minutes=25)) == 0  # still working
        assert deliveries_release_due(now=now + timedelta(minutes=27)) == 1
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.QUEUED


def test_notify_each_with_nothing_to_send_writes_nothing(gym_a):
    with tenant_context(gym_a):
        assert notify_each("hello", []) == []
        assert not Notification.objects.exists()


def test_notify_each_answers_in_order_and_tells_each_recipient_once_per_key(
    gym_a, make_member, django_capture_on_commit_callbacks
):
    """The same recipient and key twice in one batch (a replayed batch, a resolver that
    returned a reminder twice) is one notification; an earlier one with the key counts."""
    ana = make_member(gym_a, first_name="Ana", email="ana@example.com")
    ben = make_member(gym_a, first_name="Ben", email="ben@example.com")
    with tenant_context(gym_a), django_capture_on_commit_callbacks(execute=True):
        notify(ben, "hello", dedupe_key="k:ben")
        created = notify_each(
            "hello",
            [(ana, {}, "k:ana"), (ana, {}, "k:ana"), (ben, {}, "k:ben"), (ben, {}, "")],
        )
        assert [n is not None for n in created] == [True, False, False, True]
        assert created[0].member == ana and created[3].member == ben
        assert Notification.objects.filter(member=ana).count() == 1
        assert Notification.objects.filter(member=ben).count() == 2


def test_notify_each_refuses_an_unknown_kind_and_stores_nothing(gym_a, make_member):
    member = make_member(gym_a)
    with tenant_context(gym_a):
        with pytest.raises(ValueError, match="Unknown notification kind"):
            notify_each("no-such-kind", [(member, {}, "k")])
        assert not Notification.objects.exists()
