"""Uploads: the file is opened and checked (never trusted by name); a refused clip stores
nothing and says why."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django_tenants.utils import tenant_context

from apps.assessments.models import Attempt, AttemptStatus
from apps.billing.tiers import Tier
from tests.assessments.conftest import upload

URL = "/api/v1/assessments/attempts/"


def _post(client, test, file):
    return client.post(URL, {"test": test, "video": file}, format="multipart")


def test_a_valid_clip_is_stored_under_the_gym_and_queued(gym_a, api, member_user, synthetic):
    member, user = member_user
    response = _post(api(gym_a, user), 4, upload(synthetic["noise"], "holiday.MOV"))
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["status"] == "queued" and body["test_id"] == 4
    assert body["video_info"]["container"] == "mp4" and body["video_info"]["codec"] in {
        "mp4v",
        "fmp4",
    }
    with tenant_context(gym_a):
        attempt = Attempt.objects.get(pk=body["id"])
        # Path: schema first, our own random name, the detected container's extension.
        assert attempt.video.name.startswith(f"{gym_a.schema_name}/assessments/{member.pk}/")
        assert attempt.video.name.endswith(".mp4") and "holiday" not in attempt.video.name
        assert attempt.video.storage.exists(attempt.video.name)
        attempt.video.delete(save=False)


@pytest.mark.parametrize(
    ("clip", "codes"),
    [
        ("text", {"not_a_video"}),
        ("tiny", {"unreadable"}),
        ("truncated", {"truncated", "unreadable"}),
        ("too_long", {"too_long"}),
        ("short", {"too_short"}),
    ],
)
def test_bad_files_are_refused_with_a_reason_and_nothing_is_stored(
    gym_a, api, member_user, synthetic, clip, codes
):
    member, user = member_user
    response = _post(api(gym_a, user), 4, upload(synthetic[clip], "clip.mp4"))
    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert error["code"] in codes
    assert error["message"] and error["details"]["hint"]
    with tenant_context(gym_a):
        assert not Attempt.objects.filter(member=member).exists()


def test_empty_and_missing_files_are_refused(gym_a, api, member_user):
    client = api(gym_a, member_user[1])
    empty = SimpleUploadedFile("a.mp4", b"", content_type="video/mp4")
    assert _post(client, 4, empty).status_code == 400
    assert client.post(URL, {"test": 4}, format="multipart").status_code == 400


def test_a_malformed_content_length_is_a_bad_request_not_a_crash(gym_a, api, member_user):
    client = api(gym_a, member_user[1])
    response = client.post(URL, {"test": 4}, format="multipart", CONTENT_LENGTH="lots")
    assert response.status_code == 400


@override_settings(ASSESSMENT_MAX_UPLOAD_BYTES=10_000)
def test_a_file_over_the_size_limit_is_refused(gym_a, api, member_user, synthetic):
    response = _post(api(gym_a, member_user[1]), 4, upload(synthetic["two_people"]))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_tests_outside_the_plan_and_unknown_tests_are_refused(
    gym_a, api, make_member, make_user, synthetic
):
    user = make_user(gym_a, "member")
    make_member(gym_a, user=user, tier=Tier.FREE)
    client = api(gym_a, user)
    refused = _post(client, 2, upload(synthetic["noise"]))  # plank: Pro and up
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "test_not_in_plan"
    assert _post(client, 99, upload(synthetic["noise"])).status_code == 400


def test_staff_without_a_member_profile_cannot_upload(gym_a, api, staff, synthetic):
    response = _post(api(gym_a, staff()), 4, upload(synthetic["noise"]))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "no_member_profile"


def test_member_reads_own_attempts_and_not_others(
    gym_a, api, member_user, make_member, make_user, synthetic
):
    member, user = member_user
    client = api(gym_a, user)
    attempt_id = _post(client, 4, upload(synthetic["noise"])).json()["id"]
    other_user = make_user(gym_a, "member")
    make_member(gym_a, user=other_user, tier=Tier.PRO)
    other = api(gym_a, other_user)
    assert other.get(f"{URL}{attempt_id}/").status_code == 404
    assert other.get(URL).json()["count"] == 0
    mine = client.get(f"{URL}{attempt_id}/")
    assert mine.status_code == 200 and mine.json()["status"] == AttemptStatus.QUEUED
    # Other members' lists are for staff only.
    assert other.get(f"{URL}?member={member.pk}").status_code == 403


def test_member_uploads_on_the_web_and_sees_why_a_file_is_refused(
    gym_a, web, member_user, synthetic
):
    member, user = member_user
    client = web(gym_a, user)
    page = client.get("/app/assessments/")
    assert page.status_code == 200 and b"Overhead squat" in page.content
    assert b"Chin tuck" not in page.content  # not in the Pro plan
    refused = client.post(
        "/app/assessments/", {"test": 4, "video": upload(synthetic["text"], "x.mp4")}
    )
    assert refused.status_code == 400
    assert b"The file is not a video." in refused.content and b"phone" in refused.content
    ok = client.post("/app/assessments/", {"test": 4, "video": upload(synthetic["noise"])})
    assert ok.status_code == 302
    with tenant_context(gym_a):
        attempt = Attempt.objects.get(member=member)
        attempt.video.delete(save=False)
    assert b"Overhead squat" in client.get("/app/assessments/").content


def test_the_web_page_needs_a_member_profile(gym_a, web, staff):
    assert web(gym_a).get("/app/assessments/").url.startswith("/accounts/login/")
    # Staff without a member profile belong in the dashboard.
    assert web(gym_a, staff()).get("/app/assessments/").url == "/dashboard/"
    # The old address (links in emails already sent) moved for good.
    old = web(gym_a).get("/assessments/")
    assert old.status_code == 301 and old.url == "/app/assessments/"
