"""The whole pipeline: upload -> task (after commit) -> MediaPipe -> gates -> result,
status readable by API; failure clips generated here end invalid with their reason and an
audit event, never with a score."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.roles import Role
from apps.assessments.catalogue import CATALOGUE_VERSION
from apps.assessments.models import Attempt, AttemptStatus, AuditEvent
from apps.assessments.services import attempt_submit
from apps.assessments.tasks import process_attempt, requeue_waiting_attempts
from tests.assessments.conftest import clip, upload
from tests.assessments.factories import AttemptFactory

URL = "/api/v1/assessments/attempts/"


def test_a_real_squat_is_scored_and_its_skeleton_and_video_are_served(
    gym_a, api, web, member_user, staff, django_capture_on_commit_callbacks
):
    member, user = member_user
    client = api(gym_a, user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            URL, {"test": 4, "video": upload(clip("squat_front_1.mp4"))}, format="multipart"
        )
    assert response.status_code == 202
    body = client.get(f"{URL}{response.json()['id']}/").json()
    assert body["status"] == "valid", body
    result = body["result"]
    assert (
        result["bucket"] in {"pass", "limited", "significant"}
        and body["bucket"] == result["bucket"]
    )
    assert result["extra"]["reps"] == 2 and result["view"] == "front"
    assert {m["metric"] for m in result["metrics"]} >= {"depth_pct", "knee_valgus_deg"}
    assert all(m["unit"] for m in result["metrics"])
    assert result["worst_frames"] and body["catalogue_version"] == CATALOGUE_VERSION
    # The owner gets the clip through the signed link, and the skeleton to draw over it.
    video = client.get(body["video_url"].replace("http://gym-a.localhost", ""))
    assert video.status_code == 200
    assert b"ftyp" in b"".join(video.streaming_content)[:16]
    overlay = client.get(f"{URL}{body['id']}/overlay/").json()
    assert len(overlay["frames"]) == len(overlay["t_ms"]) > 50
    assert len(overlay["frames"][10]) == 33
    # A trainer sees the result page with the overlay; history lists the scored attempt.
    page = web(gym_a, staff(Role.TRAINER)).get(f"/dashboard/assessments/attempts/{body['id']}/")
    assert page.status_code == 200 and b"skeleton" in page.content
    history = client.get("/api/v1/assessments/history/4/").json()
    assert [a["id"] for a in history["attempts"]] == [body["id"]]
    with tenant_context(gym_a):
        attempt = Attempt.objects.get(pk=body["id"])
        assert attempt.runs == 1 and attempt.landmarks
        # Idempotent: a redelivered task leaves a finished attempt alone.
        assert process_attempt.apply(args=[attempt.pk]).get() == "skipped"
        attempt.refresh_from_db()
        assert attempt.runs == 1
        # Re-scoring from stored landmarks gives the same result.
        Attempt.objects.filter(pk=attempt.pk).update(catalogue_version="old")
    call_command("rescore_attempts", gym="gym-a")
    with tenant_context(gym_a):
        attempt.refresh_from_db()
        assert attempt.catalogue_version == CATALOGUE_VERSION
        assert attempt.bucket == body["bucket"] and attempt.status == AttemptStatus.VALID
        attempt.video.delete(save=False)


@pytest.mark.parametrize(
    ("name", "test_id", "reason"),
    [
        ("black", 4, "too_dark"),
        ("white", 4, "overexposed"),
        ("no_person", 4, "no_person"),
        ("static", 4, "no_movement"),
        ("two_people", 4, "multiple_people"),
    ],
)
def test_clips_that_cannot_be_measured_are_invalid_with_reason_and_audit_event(
    gym_a, api, member_user, synthetic, name, test_id, reason, django_capture_on_commit_callbacks
):
    member, user = member_user
    with tenant_context(gym_a):
        with django_capture_on_commit_callbacks(execute=True):
            attempt = attempt_submit(
                member=member, test_id=test_id, upload=upload(synthetic[name]), by=user
            )
        attempt.refresh_from_db()
        assert attempt.status == AttemptStatus.INVALID, (attempt.reason_code, attempt.result)
        assert attempt.reason_code == reason
        assert attempt.bucket == "" and "metrics" not in (attempt.result or {})
        event = AuditEvent.objects.get(event=AuditEvent.MEASUREMENT_FAILED, attempt=attempt)
        assert event.data["reason"] == reason
        attempt.video.delete(save=False)
    body = api(gym_a, user).get(f"{URL}{attempt.pk}/").json()
    assert body["status"] == "invalid" and body["result"].get("bucket") is None
    assert body["reason"]["code"] == reason and body["reason"]["hint"]


def test_an_attempt_redelivered_after_repeated_worker_deaths_ends_failed(gym_a, member_user):
    """acks_late redelivers a clip whose worker died; after three starts it is given up
    (and does not count against the member's quotas)."""
    member, _user = member_user
    with tenant_context(gym_a):
        attempt = AttemptFactory(member=member, test_id=4, status=AttemptStatus.PROCESSING, runs=3)
        assert process_attempt.apply(args=[attempt.pk]).get() == "skipped"
        attempt.refresh_from_db()
        assert attempt.status == AttemptStatus.FAILED and attempt.reason_code == "processing_error"


def test_attempts_never_queued_are_picked_up_by_the_periodic_job(
    gym_a, member_user, django_capture_on_commit_callbacks
):
    """The broker was down at upload: the attempt stays `queued`; half an hour later the
    periodic job queues it again (a newer one is left to its own task)."""
    member, _user = member_user
    with tenant_context(gym_a):
        stuck = Attempt.objects.create(
            member=member,
            test_id=4,
            catalogue_version="t",
            created_at=timezone.now() - timedelta(minutes=31),
        )
        recent = Attempt.objects.create(member=member, test_id=4, catalogue_version="t")
        with django_capture_on_commit_callbacks(execute=True):
            assert requeue_waiting_attempts() == 1
        stuck.refresh_from_db()
        recent.refresh_from_db()
        # Its task ran (here on an attempt without a clip, so it ends failed).
        assert stuck.runs == 1 and stuck.status == AttemptStatus.FAILED
        assert recent.runs == 0 and recent.status == AttemptStatus.QUEUED


def test_an_attempt_left_processing_by_a_killed_worker_is_picked_up_again(
    gym_a, member_user, django_capture_on_commit_callbacks
):
    """The worker died mid-clip and its message was lost (make run once left one
    `processing` forever): past the task's time limit the periodic job queues it again; a
    run that is still young is left to its worker."""
    member, _user = member_user
    with tenant_context(gym_a):
        dead = AttemptFactory(
            member=member,
            test_id=4,
            status=AttemptStatus.PROCESSING,
            runs=1,
            claim_task_id="task-of-the-killed-worker",
            started_at=timezone.now() - timedelta(minutes=11),
        )
        alive = AttemptFactory(
            member=member,
            test_id=4,
            status=AttemptStatus.PROCESSING,
            runs=1,
            claim_task_id="task-still-running",
            started_at=timezone.now() - timedelta(minutes=2),
        )
        with django_capture_on_commit_callbacks(execute=True):
            assert requeue_waiting_attempts() == 1
        dead.refresh_from_db()
        alive.refresh_from_db()
        assert dead.runs == 2 and dead.status == AttemptStatus.FAILED  # ran (no clip here)
        assert alive.runs == 1 and alive.status == AttemptStatus.PROCESSING


def test_only_one_message_runs_an_attempt(gym_a, member_user):
    """A second message for an attempt another message is processing does nothing; the
    same message redelivered (its worker died) takes it over."""
    member, _user = member_user
    with tenant_context(gym_a):
        attempt = AttemptFactory(
            member=member,
            test_id=4,
            status=AttemptStatus.PROCESSING,
            runs=1,
            claim_task_id="first",
            started_at=timezone.now(),
        )
        assert process_attempt.apply(args=[attempt.pk], task_id="second").get() == "skipped"
        attempt.refresh_from_db()
        assert attempt.runs == 1 and attempt.status == AttemptStatus.PROCESSING
        process_attempt.apply(args=[attempt.pk], task_id="first").get()
        attempt.refresh_from_db()
        assert attempt.runs == 2 and attempt.claim_task_id == "first"
