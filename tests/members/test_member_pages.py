"""Member web app: the member's own profile (/app/profile/). They change what the members
service lets them (phone, emergency contact, language, time zone, photo); name and date of
birth are shown; bad input is refused with a message and changes nothing."""

import datetime as dt
import io

import pytest
from django.conf import settings
from django_tenants.utils import tenant_context
from PIL import Image

from apps.accounts.roles import Role
from tests.factories import MemberWithLoginFactory

pytestmark = pytest.mark.django_db

PROFILE = "/app/profile/"


@pytest.fixture
def member(gym_a):
    with tenant_context(gym_a):
        return MemberWithLoginFactory(
            first_name="Ines",
            last_name="Ortega",
            phone="+49 30 1111",
            date_of_birth=dt.date(1990, 4, 2),
        )


def _png(name="me.png", size=(40, 40)) -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, "PNG")
    buffer.seek(0)
    buffer.name = name
    return buffer


def _form(member, **changes) -> dict:
    data = {
        "phone": member.phone,
        "emergency_contact_name": member.emergency_contact_name,
        "emergency_contact_phone": member.emergency_contact_phone,
        "language": member.language,
        "time_zone": member.time_zone,
    }
    data.update(changes)
    return data


def _stored(gym, member):
    with tenant_context(gym):
        member.refresh_from_db()
    return member


def test_profile_shows_the_member_and_links_to_settings_password_and_logout(gym_a, web, member):
    response = web(gym_a, member.user).get(PROFILE)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ines Ortega" in html and "+49 30 1111" in html
    assert "1990" in html  # date of birth, shown (staff change it)
    assert 'href="/app/inbox/preferences/"' in html
    assert 'href="/accounts/password/change/"' in html
    assert 'action="/accounts/logout/"' in html
    assert 'enctype="multipart/form-data"' in html
    # Reached through "More".
    assert 'href="/app/profile/"' in web(gym_a, member.user).get("/app/more/").content.decode()


def test_saving_the_profile_changes_the_members_own_details(gym_a, web, member):
    client = web(gym_a, member.user)
    data = _form(
        member,
        phone="+49 30 2222",
        emergency_contact_name="Pablo Ortega",
        emergency_contact_phone="+49 30 3333",
        time_zone="Pacific/Auckland",
    )
    response = client.post(PROFILE, data)
    assert response.status_code == 302 and response.url == PROFILE
    member = _stored(gym_a, member)
    assert member.phone == "+49 30 2222"
    assert member.emergency_contact_name == "Pablo Ortega"
    assert member.emergency_contact_phone == "+49 30 3333"
    assert member.time_zone == "Pacific/Auckland"
    assert "Profile saved." in client.get(PROFILE).content.decode()


def test_choosing_a_language_switches_the_app_to_it_and_blank_goes_back_to_the_gyms(
    gym_a, web, member
):
    client = web(gym_a, member.user)
    response = client.post(PROFILE, _form(member, language="es"))
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    assert _stored(gym_a, member).language == "es"
    page = client.get(PROFILE).content.decode()
    assert '<html lang="es">' in page
    back = client.post(PROFILE, _form(member, language=""))
    assert back.cookies[settings.LANGUAGE_COOKIE_NAME].value == ""  # deleted
    assert _stored(gym_a, member).language == ""
    assert f'<html lang="{gym_a.default_language}">' in client.get(PROFILE).content.decode()


def test_a_photo_upload_is_stored(gym_a, web, member):
    client = web(gym_a, member.user)
    response = client.post(PROFILE, {**_form(member), "photo": _png()})
    assert response.status_code == 302
    member = _stored(gym_a, member)
    assert member.photo.name.startswith(f"{gym_a.schema_name}/members/photos/")
    assert member.photo.url in client.get(PROFILE).content.decode()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"time_zone": "Mars/Olympus_Mons"}, "Select a valid choice"),
        ({"language": "xx"}, "Select a valid choice"),
        ({"phone": "1" * 100_000}, "at most 32 characters"),
        ({"emergency_contact_name": "x" * 121}, "at most 120 characters"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_changes_nothing(
    gym_a, web, member, changes, message
):
    def stored():
        m = _stored(gym_a, member)
        return (m.phone, m.time_zone, m.language, m.emergency_contact_name)

    user = member.user
    before = stored()
    response = web(gym_a, user).post(PROFILE, _form(member, **changes))
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html and 'role="alert"' in html
    assert stored() == before


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (io.BytesIO(b"this is not an image"), "Upload a valid image"),
        (_png(name="me.gif"), "File extension"),
    ],
)
def test_a_photo_that_is_not_an_accepted_image_is_refused(gym_a, web, member, upload, message):
    if not getattr(upload, "name", None):
        upload.name = "photo.png"
    response = web(gym_a, member.user).post(
        PROFILE, {**_form(member, phone="+49 30 9999"), "photo": upload}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    member = _stored(gym_a, member)
    assert not member.photo and member.phone == "+49 30 1111"


def test_a_photo_over_5_mb_is_refused(gym_a, web, member):
    buffer = io.BytesIO()
    Image.effect_noise((1400, 1400), 100).convert("RGB").save(buffer, "PNG", compress_level=0)
    assert buffer.tell() > settings.MAX_IMAGE_UPLOAD_BYTES
    buffer.seek(0)
    buffer.name = "big.png"
    response = web(gym_a, member.user).post(PROFILE, {**_form(member), "photo": buffer})
    assert response.status_code == 400
    assert "larger than 5 MB" in response.content.decode()
    assert not _stored(gym_a, member).photo


def test_fields_the_member_may_not_change_are_ignored(gym_a, web, member):
    data = _form(member, first_name="Mallory", status="cancelled", tier="premium", notes="x")
    assert web(gym_a, member.user).post(PROFILE, data).status_code == 302
    member = _stored(gym_a, member)
    assert member.first_name == "Ines" and member.status != "cancelled" and member.notes == ""


def test_anonymous_goes_to_login_and_staff_to_the_dashboard(gym_a, web, make_user):
    response = web(gym_a).get(PROFILE)
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    staff = web(gym_a, make_user(gym_a, Role.OWNER))
    assert staff.get(PROFILE).url == "/dashboard/"
    assert staff.post(PROFILE, {"phone": "1"}).url == "/dashboard/"
