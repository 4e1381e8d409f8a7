"""The door in the member web app: the pass (/app/pass/: the rotating QR code the kiosk
accepts, refreshed before it expires, kept for offline use with a truthful note) and how
busy the gym is (/app/occupancy/: people inside, polled; the week's opening hours)."""

import re
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.roles import Role
from apps.attendance import codes
from apps.attendance.models import DoorSettings
from apps.attendance.services import check_in, pass_issue_card
from tests.attendance.factories import ALWAYS_OPEN, VisitFactory, set_hours
from tests.attendance.qr import decode_qr
from tests.factories import MemberFactory, MemberWithLoginFactory


@pytest.fixture
def member(gym_a):
    with tenant_context(gym_a):
        return MemberWithLoginFactory(first_name="Tama", last_name="Ruru")


def _pass_svg(html: str) -> str:
    return re.search(r'<div id="pass-code".*?(<svg.*?</svg>)', html, re.S)[1]


def test_the_pass_shows_the_members_rotating_code_and_the_kiosk_lets_them_in(
    open_gyms, web, member
):
    gym_a, _ = open_gyms
    response = web(gym_a, member.user).get("/app/pass/")
    assert response.status_code == 200
    assert response["X-Offline-Copy"] == "1"  # the service worker keeps a copy
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert "Tama Ruru" in html and f"Member no. {member.number}" in html
    assert 'href="/app/pass/" aria-current="page"' in html  # the pass tab
    assert 'src="/static/attendance/member_pass.js"' in html
    code = decode_qr(_pass_svg(html))
    assert re.fullmatch(rf"R1\.{member.pk}\.[0-9a-f]{{24}}", code)  # the app's code format
    with tenant_context(gym_a):
        result = check_in(code=code)
    assert result["granted"] and result["member"]["id"] == member.pk


def test_the_code_part_says_when_to_refresh_and_until_when_the_code_opens_the_door(
    gym_a, web, member
):
    before = timezone.now()
    response = web(gym_a, member.user).get("/app/pass/code/")
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert "X-Offline-Copy" not in response
    html = response.content.decode()
    refresh_at = int(re.search(r'data-refresh-at="(\d+)"', html)[1])
    valid_until = int(re.search(r'data-valid-until="(\d+)"', html)[1])
    expires = (codes.step_of(before) + 1) * codes.STEP_SECONDS
    assert refresh_at in (expires - 3, expires - 3 + codes.STEP_SECONDS)  # before it expires
    assert valid_until - refresh_at == 3 + codes.GRACE_STEPS * codes.STEP_SECONDS
    # The same code the kiosk takes (its own tests cover the step it is refused in).
    code = decode_qr(re.search(r"(<svg.*?</svg>)", html, re.S)[1])
    set_hours(gym_a, ALWAYS_OPEN)
    with tenant_context(gym_a):
        assert check_in(code=code)["granted"]


def test_offline_the_pass_says_the_code_may_be_out_of_date_and_offers_the_card(gym_a, web, member):
    client = web(gym_a, member.user)
    html = client.get("/app/pass/").content.decode()
    assert "You are offline: this code may be out of date." in html
    assert "until 30 seconds after the app has shown the next one" in html
    assert "Connect to the internet to get a fresh code" in html
    assert "data-pass-card" not in html  # no printed card
    with tenant_context(gym_a):
        card = pass_issue_card(member=member)
    html = client.get("/app/pass/").content.decode()
    assert "Show the card code below instead" in html
    card_svg = re.search(r"data-pass-card hidden>.*?(<svg.*?</svg>)", html, re.S)[1]
    assert decode_qr(card_svg) == card


def test_how_busy_shows_people_inside_the_level_and_the_weeks_hours(gym_a, web, member):
    gym_a.time_zone = "Pacific/Auckland"
    gym_a.save(update_fields=["time_zone"])
    hours = {"mon": [["06:00", "22:00"]], "sat": [["08:00", "12:00"], ["15:00", "20:00"]]}
    set_hours(gym_a, hours)
    with tenant_context(gym_a):
        door = DoorSettings.load()
        door.capacity, door.busy_percent, door.very_busy_percent = 4, 50, 90
        door.save()
        for _ in range(3):
            VisitFactory(member=MemberFactory())
    client = web(gym_a, member.user)
    html = client.get("/app/occupancy/").content.decode()
    assert '<span class="occupancy-count">3</span>' in html and "people in the gym" in html
    assert "Busy" in html and "75 % of capacity" in html
    assert "06:00–22:00" in html and "08:00–12:00, 15:00–20:00" in html
    assert html.count("Closed</td>") == 5
    today = timezone.now().astimezone(ZoneInfo("Pacific/Auckland")).strftime("%A")
    assert re.search(rf'<tr class="today"><th scope="row">{today}', html)  # the gym's today
    assert 'data-url="/app/occupancy/now/" data-every="30"' in html
    assert 'src="/static/attendance/member_occupancy.js"' in html
    with tenant_context(gym_a):
        VisitFactory(member=MemberFactory())
    now = client.get("/app/occupancy/now/")
    assert now.status_code == 200 and "no-store" in now["Cache-Control"]
    fragment = now.content.decode()
    assert '<span class="occupancy-count">4</span>' in fragment and "Full" in fragment
    assert "<html" not in fragment


def test_the_nav_and_home_cards_lead_to_the_pass_and_how_busy(open_gyms, web, member):
    gym_a, _ = open_gyms
    with tenant_context(gym_a):
        VisitFactory(member=MemberFactory())
    client = web(gym_a, member.user)
    home = client.get("/app/").content.decode()
    assert "Show my pass at the door" in home and 'href="/app/pass/"' in home
    assert "In the gym now" in home and 'href="/app/occupancy/"' in home
    assert '<p class="big">1</p>' in home
    more = client.get("/app/more/").content.decode()
    assert 'href="/app/occupancy/"' in more  # not in the bar: under More
    page = client.get("/app/occupancy/").content.decode()
    assert 'href="/app/more/" aria-current="page"' in page


@pytest.mark.parametrize(
    "url", ["/app/pass/", "/app/pass/code/", "/app/occupancy/", "/app/occupancy/now/"]
)
def test_anonymous_visitors_log_in_and_staff_go_to_the_dashboard(gym_a, web, make_user, url):
    assert web(gym_a).get(url)["Location"].startswith(f"/accounts/login/?next={url}")
    assert web(gym_a, make_user(gym_a, Role.FRONT_DESK)).get(url)["Location"] == "/dashboard/"


def test_the_service_worker_keeps_the_pass_script_for_offline_use(gym_a, web):
    sw = web(gym_a).get("/app/sw.js").content.decode()
    assert '"/static/attendance/member_pass.js"' in sw
