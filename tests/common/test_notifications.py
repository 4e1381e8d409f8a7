"""`notify()`: rendered in the gym's language, named after the gym, sent only after commit."""

import pytest
from django.core import mail
from django.db import transaction
from django.test import override_settings
from django_tenants.utils import tenant_context

from apps.common.notifications import notify

MESSAGES = {
    "notifications/hello_subject.txt": "{% load i18n %}\n{% translate 'Members' %}\n",
    "notifications/hello_message.txt": "Hi {{ recipient.first_name }} at {{ gym.name }}",
}
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "OPTIONS": {"loaders": [("django.template.loaders.locmem.Loader", MESSAGES)]},
    }
]


@pytest.fixture
def spanish_gym(gym_a):
    gym_a.default_language = "es"
    return gym_a


@override_settings(TEMPLATES=TEMPLATES)
def test_sent_on_commit_in_the_gyms_language(
    spanish_gym, make_member, django_capture_on_commit_callbacks
):
    member = make_member(spanish_gym, first_name="Ana", email="ana@example.com")
    with tenant_context(spanish_gym), django_capture_on_commit_callbacks(execute=True):
        notify(member, "hello")
        assert mail.outbox == []  # not before commit
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["ana@example.com"]
    assert sent.subject == f"[{spanish_gym.name}] Miembros"
    assert sent.body == f"Hi Ana at {spanish_gym.name}\n"


@override_settings(TEMPLATES=TEMPLATES)
def test_rolled_back_change_sends_nothing(gym_a, make_member, django_capture_on_commit_callbacks):
    member = make_member(gym_a, email="bo@example.com")
    with tenant_context(gym_a), django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            notify(member, "hello")
            raise RuntimeError
    assert mail.outbox == []


@override_settings(TEMPLATES=TEMPLATES)
def test_recipient_without_email_is_skipped(gym_a, make_member, django_capture_on_commit_callbacks):
    member = make_member(gym_a, email="")
    with tenant_context(gym_a), django_capture_on_commit_callbacks(execute=True):
        notify(member, "hello")
    assert mail.outbox == []
