""" "Let in anyway": the front desk overrides a door refusal with a reason, recorded on the
visit and in the audit trail, counted in occupancy, once per refusal."""

import pytest
from django_tenants.utils import tenant_context

from apps.accounts.roles import Role
from apps.attendance.models import DeniedAttempt, DenyReason, Visit
from apps.attendance.selectors import occupancy_count
from apps.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def refusal(gym_a, make_member):
    member = make_member(gym_a, first_name="Late", last_name="Comer")
    with tenant_context(gym_a):
        return DeniedAttempt.objects.create(reason=DenyReason.CLOSED, member=member)


def _url(attempt):
    return f"/dashboard/check-ins/refusals/{attempt.pk}/override/"


def test_front_desk_lets_a_refused_member_in_with_a_reason(gym_a, refusal, make_user, web):
    desk = make_user(gym_a, Role.FRONT_DESK)
    client = web(gym_a, desk)
    page = client.get("/dashboard/check-ins/")
    assert b"Let in anyway" in page.content
    done = client.post(_url(refusal), {"reason": "  Staff party  "}, follow=True)
    assert b"Late Comer was let in anyway." in done.content
    assert b"Let in: Staff party" in done.content
    with tenant_context(gym_a):
        visit = Visit.objects.get(override_of=refusal)
        assert visit.override_reason == "Staff party" and visit.checked_in_by_id == desk.pk
        assert visit.exited_at is None and occupancy_count() == 1
        entry = AuditEntry.objects.get(action="attendance.refusal_overridden")
        assert entry.actor_id == desk.pk and entry.reason == "Staff party"
        assert entry.target_id == str(visit.pk) and entry.changes["refusal_reason"] == "closed"
        assert entry.request_id


def test_an_empty_reason_is_refused_and_nothing_is_stored(gym_a, refusal, make_user, web):
    client = web(gym_a, make_user(gym_a, Role.FRONT_DESK))
    page = client.post(_url(refusal), {"reason": "   "}, follow=True)
    assert b"Say why you let them in." in page.content
    long = client.post(_url(refusal), {"reason": "x" * 301}, follow=True)
    assert b"under 300 characters" in long.content
    with tenant_context(gym_a):
        assert not Visit.objects.exists() and not AuditEntry.objects.exists()


def test_a_double_submit_makes_one_visit(gym_a, refusal, make_user, web):
    client = web(gym_a, make_user(gym_a, Role.MANAGER))
    for _ in range(2):
        client.post(_url(refusal), {"reason": "Forgot card"})
    with tenant_context(gym_a):
        assert Visit.objects.filter(override_of=refusal).count() == 1
        assert Visit.objects.count() == 1 and AuditEntry.objects.count() == 1


@pytest.mark.parametrize("role", [Role.TRAINER])
def test_roles_without_the_permission_cannot_override(gym_a, refusal, make_user, web, role):
    client = web(gym_a, make_user(gym_a, role))
    assert client.post(_url(refusal), {"reason": "please"}).status_code == 403
    with tenant_context(gym_a):
        assert not Visit.objects.exists()


@pytest.mark.parametrize("role", [Role.OWNER, Role.MANAGER, Role.FRONT_DESK])
def test_owner_manager_and_front_desk_hold_the_permission(gym_a, make_user, role):
    user = make_user(gym_a, role)
    with tenant_context(gym_a):
        assert user.has_perm("attendance.override_refusal")


def test_another_gyms_refusal_is_not_found(gym_a, gym_b, refusal, make_user, web):
    client = web(gym_b, make_user(gym_b, Role.OWNER))
    assert client.post(_url(refusal), {"reason": "sneaky"}).status_code == 404
    with tenant_context(gym_a):
        assert not Visit.objects.exists()
