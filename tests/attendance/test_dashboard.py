"""Staff pages: live occupancy + front desk, visits + CSV, kiosks, door settings, passes."""

import csv
import io
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.roles import Role
from apps.attendance.models import DoorSettings, Kiosk, MemberPass, Visit
from apps.attendance.services import check_in, kiosk_authenticate
from apps.attendance.templatetags.attendance import qr_svg
from tests.attendance.factories import VisitFactory
from tests.attendance.qr import decode_qr

pytestmark = pytest.mark.django_db


def test_nav_links_to_check_ins_for_staff(gym_a, make_user, web):
    page = web(gym_a, make_user(gym_a, Role.TRAINER)).get("/dashboard/")
    assert b'href="/dashboard/check-ins/"' in page.content


def test_front_desk_finds_a_member_and_checks_them_in(open_gyms, make_user, make_member, web):
    gym_a, _ = open_gyms
    client = web(gym_a, make_user(gym_a, Role.FRONT_DESK))
    member = make_member(gym_a, first_name="Quentin", last_name="Desk")
    page = client.get("/dashboard/check-ins/?q=Quentin")
    assert page.status_code == 200 and b"Quentin Desk" in page.content
    assert b'id="occupancy-count"' in page.content
    done = client.post("/dashboard/check-ins/check-in/", {"member": member.pk}, follow=True)
    assert b"Quentin Desk checked in." in done.content
    again = client.post("/dashboard/check-ins/check-in/", {"member": member.pk}, follow=True)
    assert b"Already checked in." in again.content
    with tenant_context(gym_a):
        assert Visit.objects.filter(member=member).count() == 1
    feed = client.get("/dashboard/check-ins/")
    assert b"Quentin Desk" in feed.content


def test_desk_check_in_of_unknown_member_is_404(gym_a, make_user, web):
    client = web(gym_a, make_user(gym_a, Role.FRONT_DESK))
    assert client.post("/dashboard/check-ins/check-in/", {"member": 999999}).status_code == 404
    assert client.post("/dashboard/check-ins/check-in/", {"member": "x"}).status_code == 404


def test_trainer_sees_but_cannot_check_in(gym_a, make_user, make_member, web):
    client = web(gym_a, make_user(gym_a, Role.TRAINER))
    member = make_member(gym_a)
    assert client.get("/dashboard/check-ins/").status_code == 200
    assert client.post("/dashboard/check-ins/check-in/", {"member": member.pk}).status_code == 403
    assert client.get("/dashboard/check-ins/kiosks/").status_code == 403


def test_visits_page_and_csv_follow_the_filters(open_gyms, make_user, make_member, web):
    gym_a, _ = open_gyms
    client = web(gym_a, make_user(gym_a, Role.MANAGER))
    ana = make_member(gym_a, first_name="=Ana", last_name="Formula")
    ben = make_member(gym_a, first_name="Ben", last_name="Plain")
    with tenant_context(gym_a):
        check_in(member=ana)
        check_in(member=ben)
    page = client.get(f"/dashboard/check-ins/visits/?member={ana.pk}")
    assert page.status_code == 200 and b"Formula" in page.content and b"Plain" not in page.content
    response = client.get("/dashboard/check-ins/visits.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["visit", "member_number", "member"]
    names = {row[2] for row in rows[1:]}
    assert names == {"'=Ana Formula", "Ben Plain"}  # no formula injection
    bad = client.get("/dashboard/check-ins/visits/?date_from=nope")
    assert bad.status_code == 200  # the form shows the error, the list is unfiltered


def test_register_kiosk_shows_the_token_once_then_revoke(gym_a, make_user, web):
    client = web(gym_a, make_user(gym_a, Role.MANAGER))
    page = client.post("/dashboard/check-ins/kiosks/", {"name": "North door", "mode": "entry"})
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    token = page.content.decode().split('<code class="token">')[1].split("<")[0]
    with tenant_context(gym_a):
        kiosk = Kiosk.objects.get(name="North door")
        assert kiosk_authenticate(token=token) == kiosk
        assert token not in kiosk.token_hash
    listing = client.get("/dashboard/check-ins/kiosks/")
    assert b"North door" in listing.content and token.encode() not in listing.content
    client.post(f"/dashboard/check-ins/kiosks/{kiosk.pk}/revoke/")
    with tenant_context(gym_a):
        assert kiosk_authenticate(token=token) is None


def test_register_kiosk_bad_input_is_a_form_error(gym_a, make_user, web):
    client = web(gym_a, make_user(gym_a, Role.OWNER))
    page = client.post("/dashboard/check-ins/kiosks/", {"name": "", "mode": "sideways"})
    assert page.status_code == 400
    with tenant_context(gym_a):
        assert not Kiosk.objects.exists()


def test_front_desk_cannot_register_kiosks(gym_a, make_user, web):
    client = web(gym_a, make_user(gym_a, Role.FRONT_DESK))
    assert client.get("/dashboard/check-ins/kiosks/").status_code == 200
    response = client.post("/dashboard/check-ins/kiosks/", {"name": "X", "mode": "entry"})
    assert response.status_code == 403


def test_door_settings_are_saved_and_validated(gym_a, make_user, web):
    client = web(gym_a, make_user(gym_a, Role.OWNER))
    assert client.get("/dashboard/check-ins/settings/").status_code == 200
    data = {
        "anti_passback": "",
        "auto_checkout_hours": 6,
        "capacity": 80,
        "busy_percent": 50,
        "very_busy_percent": 80,
        "kiosk_message": "Towels at the desk",
    }
    assert client.post("/dashboard/check-ins/settings/", data).status_code == 302
    with tenant_context(gym_a):
        door = DoorSettings.objects.get()
        assert door.capacity == 80 and door.anti_passback is False
    bad = client.post(
        "/dashboard/check-ins/settings/", {**data, "busy_percent": 90, "very_busy_percent": 10}
    )
    assert bad.status_code == 400
    too_long = client.post("/dashboard/check-ins/settings/", {**data, "auto_checkout_hours": 99})
    assert too_long.status_code == 400


def test_member_page_shows_attendance_and_pass_card_can_be_issued(
    open_gyms, make_user, make_member, web
):
    gym_a, _ = open_gyms
    client = web(gym_a, make_user(gym_a, Role.FRONT_DESK))
    member = make_member(gym_a)
    with tenant_context(gym_a):
        check_in(member=member)
    detail = client.get(f"/dashboard/members/{member.pk}/")
    assert b"1 in all, 1 this month" in detail.content
    client.post(f"/dashboard/check-ins/members/{member.pk}/pass/", {"action": "issue"})
    page = client.get(f"/dashboard/check-ins/members/{member.pk}/pass/")
    assert f"C1.{member.pk}.1.".encode() in page.content
    # The card's QR code, drawn inline for printing.
    assert b'id="card-qr"><svg' in page.content and b'class="segno"' in page.content
    client.post(f"/dashboard/check-ins/members/{member.pk}/pass/", {"action": "revoke"})
    with tenant_context(gym_a):
        assert MemberPass.objects.get(member=member).card_revoked_at is not None
    page = client.get(f"/dashboard/check-ins/members/{member.pk}/pass/")
    assert b"C1." not in page.content and b'id="card-qr"' not in page.content


def test_card_qr_code_reads_back_as_the_card_code():
    """The filter's QR, rasterised from its own SVG path, decodes to the code a kiosk
    expects (OpenCV's reader, as a camera would)."""

    code = "C1.123456.7.0123456789abcdef01234567"
    assert decode_qr(str(qr_svg(code))) == code


def test_csv_with_bad_filters_is_400_not_everything(gym_a, make_user, web):
    client = web(gym_a, make_user(gym_a, Role.MANAGER))
    assert client.get("/dashboard/check-ins/visits.csv?date_from=nope").status_code == 400
    backwards = "/dashboard/check-ins/visits.csv?date_from=2026-02-02&date_to=2026-01-01"
    assert client.get(backwards).status_code == 400


def test_check_out_does_not_redirect_off_site(open_gyms, make_user, make_member, web):
    # Open around the clock: the default hours close the gym at night, when the check-in
    # would be refused and there would be no visit to check out.
    gym_a, _ = open_gyms
    client = web(gym_a, make_user(gym_a, Role.MANAGER))
    member = make_member(gym_a)
    with tenant_context(gym_a):
        visit_id = check_in(member=member)["visit_id"]
    url = f"/dashboard/check-ins/visits/{visit_id}/check-out/"
    response = client.post(url, {"next": "https://evil.example/"})
    assert response.status_code == 302 and "evil.example" not in response["Location"]
    with tenant_context(gym_a):
        assert Visit.objects.get(pk=visit_id).exited_at is not None


def test_occupancy_page_shows_a_typical_week(open_gyms, make_user, make_member, web):
    gym_a, _ = open_gyms
    client = web(gym_a, make_user(gym_a, Role.FRONT_DESK))
    cache.clear()
    empty = client.get("/dashboard/check-ins/")
    assert b"Not enough visits yet" in empty.content and b'id="typical-week"' not in empty.content
    member = make_member(gym_a)
    start = (timezone.now() - timedelta(days=2)).replace(minute=10, second=0, microsecond=0)
    with tenant_context(gym_a):
        VisitFactory(
            member=member, entered_at=start, exited_at=start + timedelta(minutes=30), method="qr"
        )
    cache.clear()
    page = client.get("/dashboard/check-ins/")
    assert b'id="typical-week"' in page.content
    # One visit over four weeks: 0.2 on average (one decimal), the busiest cell, so the
    # darkest shade; the hours nobody came are not drawn.
    assert page.content.count(b'class="s4"') == 1 and b">0.2</td>" in page.content
    assert page.content.count(b"<tr><th") == 1 + 7  # the hours, then a row per day
