"""A validly signed webhook that is hostile JSON gets a 400, never a 500, and stores
nothing: 100,000 levels of nesting, under any Content-Type."""

import pytest
from django_tenants.utils import tenant_context

from apps.billing.models import WebhookEvent
from devtools.stripe_standin import sign
from tests.billing.conftest import SECRETS


@pytest.mark.parametrize("content_type", ["application/json", "text/plain"])
def test_a_signed_webhook_nested_100000_levels_is_refused(billing_a, web, content_type):
    gym_a = billing_a
    body = (
        '{"id": "evt_deep", "type": "invoice.paid", "data": ' + "[" * 100_000 + "]" * 100_000 + "}"
    )
    response = web(gym_a).post(
        "/billing/webhook/",
        data=body,
        content_type=content_type,
        HTTP_STRIPE_SIGNATURE=sign(body, SECRETS[gym_a.slug]),
    )
    assert response.status_code == 400
    error = response.json()["error"]
    # Refused by the JSON middleware (the API's error shape) or, when the Content-Type
    # does not say JSON, by the webhook view itself (its own short shape).
    assert (error["code"] if isinstance(error, dict) else error) in ("parse_error", "bad_payload")
    with tenant_context(gym_a):
        assert not WebhookEvent.objects.filter(event_id="evt_deep").exists()
