"""Problem areas from rules that combine tests, progress trends and the Pro report."""

from datetime import timedelta

from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.assessments.catalogue import TESTS
from apps.assessments.interpretation import ADJUST, GOOD, STOP, problem_areas, trend
from apps.assessments.models import AttemptStatus
from apps.assessments.services import attempt_finish, retest_reminders_set
from apps.billing.tiers import Tier
from apps.notifications.models import Reminder
from apps.notifications.services import reminders_send_due
from tests.assessments.factories import AttemptFactory


def _result(bucket, **metrics):
    return {
        "bucket": bucket,
        "metrics": [{"metric": k, "value": v[0], "bucket": v[1]} for k, v in metrics.items()],
    }


def test_valgus_with_a_stiff_ankle_and_poor_hip_control_ranks_root_causes_first():
    results = {
        4: _result("significant", knee_valgus_deg=(15.0, "significant"), depth_pct=(50, "pass")),
        6: _result("limited", dorsiflexion_deg=(32.0, "limited")),
        15: _result("significant", opening_deg=(12.0, "significant")),
    }
    areas = problem_areas(results)
    assert {a["area"] for a in areas["p1"]} == {"ankle_mobility", "hip_abduction_control"}
    assert [a["area"] for a in areas["p2"]] == ["knee_valgus"]
    evidence = {(e["test_id"], e["metric"]) for a in areas["p1"] for e in a["evidence"]}
    assert (4, "knee_valgus_deg") in evidence and (6, None) in evidence


def test_good_results_and_untaken_tests_raise_no_problem():
    assert problem_areas({4: _result("pass", knee_valgus_deg=(2.0, "pass"))}) == {
        "p1": [],
        "p2": [],
    }
    assert problem_areas({}) == {"p1": [], "p2": []}


def test_trend_verdicts_follow_the_retest_rules():
    plank = TESTS[2].thresholds  # aligned_seconds, higher is better
    assert trend({"aligned_seconds": 20}, {"aligned_seconds": 26}, plank)["verdict"] == GOOD
    assert trend({"aligned_seconds": 20}, {"aligned_seconds": 21}, plank)["verdict"] == ADJUST
    assert trend({"aligned_seconds": 20}, {"aligned_seconds": 15}, plank)["verdict"] == STOP
    valgus = TESTS[4].thresholds  # knee_valgus_deg, lower is better
    assert (
        trend({"knee_valgus_deg": 15}, {"knee_valgus_deg": 10}, valgus)["changes"][
            "knee_valgus_deg"
        ]
        > 20
    )


def test_pro_member_gets_a_report_and_free_member_does_not(
    gym_a, api, member_user, make_member, make_user, staff
):
    member, user = member_user
    now = timezone.now()
    with tenant_context(gym_a):
        for days, seconds in ((15, 20.0), (1, 28.0)):
            AttemptFactory(
                member=member, test_id=2, status=AttemptStatus.VALID,
                bucket="limited", created_at=now - timedelta(days=days),
                result=_result("limited", aligned_seconds=(seconds, "limited")),
            )  # fmt: skip
    report = api(gym_a, user).get("/api/v1/assessments/report/")
    assert report.status_code == 200
    body = report.json()
    assert body["problem_areas"]["p1"][0]["area"] == "core_stability"
    assert body["phases"][0]["areas"] == ["core_stability"]
    progress = body["progress"][0]
    assert progress["test_id"] == 2 and progress["trend"]["verdict"] == GOOD
    assert body["retest"]["quick_due"]
    free_user = make_user(gym_a, "member")
    make_member(gym_a, user=free_user, tier=Tier.FREE)
    refused = api(gym_a, free_user).get("/api/v1/assessments/report/")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "not_in_plan"
    by_trainer = api(gym_a, staff()).get(f"/api/v1/assessments/report/?member={member.pk}")
    assert by_trainer.status_code == 200 and by_trainer.json()["member"] == member.pk


def test_only_staff_ask_for_another_members_report(gym_a, api, member_user, staff):
    member, user = member_user
    asked = api(gym_a, user).get(f"/api/v1/assessments/report/?member={member.pk + 1000}")
    assert asked.status_code == 403 and asked.json()["error"]["code"] == "forbidden"
    bad = api(gym_a, staff()).get("/api/v1/assessments/report/?member=abc")
    assert bad.status_code == 404


def test_staff_open_a_clients_report_page_and_pdf(gym_a, web, member_user, staff):
    member, _user = member_user
    with tenant_context(gym_a):
        AttemptFactory(
            member=member, test_id=11, status=AttemptStatus.VALID,
            bucket="significant",
            result=_result("significant", trunk_angle_range_deg=(20.0, "significant")),
        )  # fmt: skip
        AttemptFactory(
            member=member, test_id=2, status=AttemptStatus.VALID,
            bucket="limited", result=_result("limited", aligned_seconds=(18.0, "limited")),
        )  # fmt: skip
    client = web(gym_a, staff())
    page = client.get(f"/dashboard/assessments/members/{member.pk}/report/")
    assert page.status_code == 200
    assert b"Core stability" in page.content and b"Lower-back control" in page.content
    pdf = client.get(f"/dashboard/assessments/members/{member.pk}/report/?format=pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and len(pdf.content) > 1000


def test_retest_reminders_go_out_once_at_two_and_four_weeks(
    gym_a, member_user, mailoutbox, django_capture_on_commit_callbacks
):
    member, _user = member_user
    now = timezone.now()
    with tenant_context(gym_a):
        attempt = AttemptFactory(
            member=member, test_id=4, status=AttemptStatus.PROCESSING,
            created_at=now - timedelta(days=15),
        )  # fmt: skip
        # Scoring the attempt sets the reminders (quick: 2 weeks, full: 4 weeks later).
        attempt_finish(
            attempt_id=attempt.pk,
            fields={"status": AttemptStatus.VALID, "bucket": "pass", "result": _result("pass")},
        )
        assert Reminder.objects.filter(kind="assessment_retest", active=True).count() == 2
        with django_capture_on_commit_callbacks(execute=True):
            assert reminders_send_due(now=now) == 1
            assert reminders_send_due(now=now) == 0  # once
            assert reminders_send_due(now=now + timedelta(days=14)) == 1  # the full one
            assert reminders_send_due(now=now + timedelta(days=20)) == 0
    assert len(mailoutbox) == 2
    assert "quick" in mailoutbox[0].subject and "full" in mailoutbox[1].subject
    assert mailoutbox[0].to == [member.email] and "Overhead squat" in mailoutbox[0].body


def test_no_reminder_after_a_recent_retest(
    gym_a, member_user, mailoutbox, django_capture_on_commit_callbacks
):
    member, _user = member_user
    now = timezone.now()
    with tenant_context(gym_a):

        def scored(days):
            return AttemptFactory(
                member=member, test_id=4, status=AttemptStatus.VALID,
                bucket="pass", created_at=now - timedelta(days=days), result=_result("pass"),
            )  # fmt: skip

        older = scored(20)
        assert retest_reminders_set(attempt=older) == 2
        newer = scored(3)
        assert retest_reminders_set(attempt=newer) == 2  # the clock restarts
        assert retest_reminders_set(attempt=older) == 0  # scored out of order: ignored
        with django_capture_on_commit_callbacks(execute=True):
            assert reminders_send_due(now=now) == 0
        # A reminder left over from the older attempt (data from before) is skipped too.
        Reminder.objects.filter(kind="assessment_retest").update(
            context={"attempt": older.pk, "kind": "quick"}, next_at=now - timedelta(hours=1)
        )
        with django_capture_on_commit_callbacks(execute=True):
            assert reminders_send_due(now=now) == 0
    assert mailoutbox == []
