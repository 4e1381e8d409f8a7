"""Endpoints that act for the member behind the request answer an account without a member
profile (staff) the same way: 404, `no_member_profile`, before doing anything else."""

import pytest

from apps.accounts.roles import Role
from apps.assessments.catalogue import TESTS

A_TEST = min(TESTS)

OWN_MEMBER_ENDPOINTS = [
    ("get", "/api/v1/me/"),
    ("patch", "/api/v1/me/"),
    ("get", "/api/v1/me/pass/"),
    ("get", "/api/v1/me/visits/"),
    ("get", "/api/v1/bookings/"),
    ("post", "/api/v1/bookings/1/cancel/"),
    ("post", "/api/v1/classes/sessions/1/book/"),
    ("post", "/api/v1/classes/sessions/1/waitlist/"),
    ("get", "/api/v1/pt-bookings/"),
    ("post", "/api/v1/pt-bookings/"),
    ("get", "/api/v1/assessments/catalogue/"),
    ("get", "/api/v1/assessments/attempts/"),
    ("post", "/api/v1/assessments/attempts/"),
    ("get", f"/api/v1/assessments/history/{A_TEST}/"),
    ("get", "/api/v1/assessments/report/"),
    ("post", "/api/v1/billing/checkout/"),
    ("post", "/api/v1/billing/portal/"),
    ("get", "/api/v1/billing/subscription/"),
    ("post", "/api/v1/billing/subscription/cancel/"),
    ("post", "/api/v1/billing/subscription/resume/"),
    ("post", "/api/v1/billing/subscription/freeze/"),
    ("post", "/api/v1/billing/subscription/unfreeze/"),
    ("post", "/api/v1/billing/subscription/change-plan/"),
    ("get", "/api/v1/billing/invoices/"),
    ("get", "/api/v1/billing/charges/"),
]


@pytest.mark.parametrize(("method", "path"), OWN_MEMBER_ENDPOINTS)
def test_account_without_member_profile_gets_404_no_member_profile(
    gym_a, make_user, api, method, path
):
    client = api(gym_a, make_user(gym_a, Role.MANAGER))
    response = getattr(client, method)(path, {}, format="json")
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "no_member_profile"
    assert error["message"] == "This account has no member profile."
    assert error["details"] == {}
