"""The bookings API's query parameters: each bad value gets the same answer it always had
(400 `invalid_filter`, a sentence saying what to send, the parameter's error in details),
the first bad parameter wins, and datetimes are read as their date."""

import pytest
from django_tenants.utils import tenant_context

from apps.accounts.roles import Role
from apps.bookings.models import PTSessionType, TrainerProfile

NOT_A_DATE = "Use a date like 2026-03-30."
NOT_AN_ID = "Use a whole number."
OUT_OF_RANGE = "Ask for 1 to 31 days at a time."


@pytest.fixture
def booker_a(gym_a, make_booker):
    return make_booker(gym_a)


@pytest.mark.parametrize(
    ("query", "message", "details"),
    [
        ("from=yesterday", NOT_A_DATE, {"from": ["Not a date."]}),
        ("from=2026-02-30", NOT_A_DATE, {"from": ["Not a date."]}),
        ("from=%20", NOT_A_DATE, {"from": ["Not a date."]}),
        ("to=1999-12-31", NOT_A_DATE, {"to": ["Not a date."]}),
        ("to=2101-01-01", NOT_A_DATE, {"to": ["Not a date."]}),
        ("type=abc", NOT_AN_ID, {"type": ["Not an id."]}),
        ("type=1.0", NOT_AN_ID, {"type": ["Not an id."]}),
        ("instructor=-1", NOT_AN_ID, {"instructor": ["Not an id."]}),
        ("instructor=1234567890123456789", NOT_AN_ID, {"instructor": ["Not an id."]}),
        ("from=2026-01-10&to=2026-01-01", OUT_OF_RANGE, {"to": ["Out of range."]}),
        ("from=2026-01-01&to=2026-03-01", OUT_OF_RANGE, {"to": ["Out of range."]}),
        # The first bad parameter is the one reported: from, to (and its range), type,
        # instructor.
        ("type=abc&from=nope", NOT_A_DATE, {"from": ["Not a date."]}),
        ("instructor=x&to=nope", NOT_A_DATE, {"to": ["Not a date."]}),
        ("type=abc&from=2026-01-10&to=2026-01-01", OUT_OF_RANGE, {"to": ["Out of range."]}),
        ("instructor=x&type=y", NOT_AN_ID, {"type": ["Not an id."]}),
    ],
)
def test_timetable_bad_parameter_gets_its_own_message(
    gym_a, api, booker_a, query, message, details
):
    response = api(gym_a, booker_a.user).get(f"/api/v1/classes/sessions/?{query}")
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["message"], error["details"]) == (
        "invalid_filter",
        message,
        details,
    )


@pytest.mark.parametrize(
    "query",
    ["", "from=2026-03-30T10:00:00Z", "from=2026-03-30&to=2026-03-30", "type=&instructor="],
)
def test_timetable_accepts_datetimes_as_dates_and_empty_values_as_unset(
    gym_a, api, booker_a, query
):
    response = api(gym_a, booker_a.user).get(f"/api/v1/classes/sessions/?{query}")
    assert response.status_code == 200
    if "from=2026-03-30" in query:
        assert response.json()["from"] == "2026-03-30"
        assert response.json()["to"] == ("2026-03-30" if "to=" in query else "2026-04-05")


@pytest.fixture
def hour(gym_a, make_user):
    user = make_user(gym_a, Role.TRAINER)
    with tenant_context(gym_a):
        trainer = TrainerProfile.objects.create(user=user, display_name="Tess")
        return PTSessionType.objects.create(trainer=trainer, name="PT hour", price=5000)


@pytest.mark.parametrize(
    ("query", "status", "details"),
    [
        ("session_type=abc", 400, {"session_type": ["Not an id."]}),
        ("session_type=abc&from=nope", 400, {"session_type": ["Not an id."]}),
        ("session_type={hour}&from=nope", 400, {"from": ["Not a date."]}),
        ("session_type={hour}&to=nope", 400, {"to": ["Not a date."]}),
        ("", 404, None),
        ("session_type=999999", 404, None),
    ],
)
def test_trainer_slots_bad_parameters(gym_a, api, booker_a, hour, query, status, details):
    url = f"/api/v1/trainers/{hour.trainer_id}/slots/?{query.format(hour=hour.pk)}"
    response = api(gym_a, booker_a.user).get(url)
    assert response.status_code == status
    if details is not None:
        error = response.json()["error"]
        assert (error["code"], error["details"]) == ("invalid_filter", details)
        assert error["message"] in (NOT_A_DATE, NOT_AN_ID)
        assert error["message"] == (NOT_AN_ID if "session_type" in details else NOT_A_DATE)
