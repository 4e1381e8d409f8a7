"""Announcements: who may send, the four segments (and another gym's values refused), the
rate limit, preview count = sent count, a retried fan-out sends once, bad input stores
nothing, and delivery counts per announcement."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.roles import Role
from apps.common.errors import ApplicationError
from apps.members.models import MemberStatus
from apps.notifications import selectors
from apps.notifications.models import (
    Announcement,
    AnnouncementStatus,
    Delivery,
    DeliveryStatus,
    Notification,
    Segment,
)
from apps.notifications.services import (
    announcement_fan_out,
    announcement_preview,
    announcement_send,
    announcements_requeue_stale,
)
from apps.notifications.services import announcements as announcements_service
from apps.notifications.tasks import tick
from tests.billing.factories import MembershipPlanFactory, MemberSubscriptionFactory
from tests.bookings.factories import BookingFactory, ClassSessionFactory
from tests.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db


def _send(by, segment=Segment.ALL_ACTIVE, value="", title="Gym closed", body="Closed Monday."):
    return announcement_send(by=by, title=title, body=body, segment=segment, segment_value=value)


@pytest.fixture
def owner(gym_a):
    with tenant_context(gym_a):
        return UserFactory(role=Role.OWNER)


def _announced(announcement) -> set[int]:
    key = selectors.announcement_dedupe_key(announcement.pk)
    return set(Notification.objects.filter(dedupe_key=key).values_list("member_id", flat=True))


# --- Segments -----------------------------------------------------------------------------


def test_all_active_reaches_active_and_trial_members_only(
    gym_a, owner, django_capture_on_commit_callbacks
):
    with tenant_context(gym_a):
        active = MemberFactory(status=MemberStatus.ACTIVE)
        trial = MemberFactory(status=MemberStatus.TRIAL)
        MemberFactory(status=MemberStatus.CANCELLED)
        MemberFactory(status=MemberStatus.LEAD)
        preview = announcement_preview(segment=Segment.ALL_ACTIVE, segment_value="")
        with django_capture_on_commit_callbacks(execute=True):
            announcement = _send(owner)
        announcement.refresh_from_db()
        assert preview["recipient_count"] == 2
        assert _announced(announcement) == {active.pk, trial.pk}
        assert announcement.recipient_count == 2
        assert announcement.status == AnnouncementStatus.SENT and announcement.sent_at
        assert announcement.created_by == owner
        note = Notification.objects.get(member=active)
        assert (note.kind, note.category) == ("announcement", "announcements")
        assert (note.title, note.body) == ("Gym closed", "Closed Monday.")
        assert note.data == {"announcement": announcement.pk}


def test_tag_segment_reaches_the_tagged_members_not_cancelled(
    gym_a, owner, django_capture_on_commit_callbacks
):
    with tenant_context(gym_a):
        vip = MemberFactory(tags=["vip"])
        lead_vip = MemberFactory(tags=["vip", "x"], status=MemberStatus.LEAD)
        MemberFactory(tags=["vip"], status=MemberStatus.CANCELLED)
        MemberFactory(tags=["other"])
        assert announcement_preview(segment="tag", segment_value=" vip ")["recipient_count"] == 2
        with django_capture_on_commit_callbacks(execute=True):
            announcement = _send(owner, Segment.TAG, " vip ")
        assert announcement.segment_value == "vip"
        assert _announced(announcement) == {vip.pk, lead_vip.pk}


def test_session_segment_reaches_booked_and_attended_only(
    gym_a, owner, django_capture_on_commit_callbacks
):
    with tenant_context(gym_a):
        session = ClassSessionFactory()
        booked = BookingFactory(session=session, status="booked")
        attended = BookingFactory(session=session, status="attended")
        for status in ("waitlisted", "cancelled", "late_cancelled", "no_show"):
            BookingFactory(session=session, status=status)
        BookingFactory(status="booked")  # another class
        with django_capture_on_commit_callbacks(execute=True):
            announcement = _send(owner, Segment.SESSION, str(session.pk))
        assert _announced(announcement) == {booked.member_id, attended.member_id}


def test_plan_segment_reaches_live_subscriptions_of_that_plan(
    gym_a, owner, django_capture_on_commit_callbacks
):
    with tenant_context(gym_a):
        plan = MembershipPlanFactory()
        live = [
            MemberSubscriptionFactory(plan=plan, status=s)
            for s in ("active", "past_due", "trialing")
        ]
        MemberSubscriptionFactory(plan=plan, status="canceled")
        MemberSubscriptionFactory(status="active")  # another plan
        with django_capture_on_commit_callbacks(execute=True):
            announcement = _send(owner, Segment.PLAN, str(plan.pk))
        assert _announced(announcement) == {s.member_id for s in live}


@pytest.mark.parametrize(
    ("segment", "value", "code"),
    [
        ("tag", "", "invalid_segment_value"),
        ("tag", "nobody-has-this", "invalid_segment_value"),
        ("tag", "x" * 33, "invalid_segment_value"),
        ("session", "", "invalid_segment_value"),
        ("session", "abc", "invalid_segment_value"),
        ("session", "-1", "invalid_segment_value"),
        ("session", "9" * 40, "invalid_segment_value"),
        ("session", "٣", "invalid_segment_value"),  # a digit, not ASCII
        ("session", "999999", "invalid_segment_value"),
        ("plan", "999999", "invalid_segment_value"),
        ("plan", "1.5", "invalid_segment_value"),
        ("everyone", "", "invalid_segment"),
        ("", "", "invalid_segment"),
    ],
)
def test_bad_segment_values_are_refused_and_nothing_is_stored(gym_a, owner, segment, value, code):
    with tenant_context(gym_a):
        MemberFactory(tags=["vip"])
        with pytest.raises(ApplicationError) as preview_error:
            announcement_preview(segment=segment, segment_value=value)
        with pytest.raises(ApplicationError) as send_error:
            _send(owner, segment, value)
        assert preview_error.value.code == send_error.value.code == code
        assert preview_error.value.message
        assert not Announcement.objects.exists()


@pytest.mark.parametrize("segment", ["tag", "session", "plan"])
def test_another_gyms_tag_class_or_plan_is_refused(gym_a, gym_b, owner, segment):
    with tenant_context(gym_b):
        MemberFactory(tags=["only-in-b"])
        value = {
            "tag": "only-in-b",
            "session": str(ClassSessionFactory().pk),
            "plan": str(MembershipPlanFactory().pk),
        }[segment]
    with tenant_context(gym_a):
        # A has no such tag, class or plan: B's are "not found" here.
        with pytest.raises(ApplicationError) as error:
            _send(owner, segment, value)
        assert error.value.code == "invalid_segment_value"
        assert "segment_value" in error.value.details
        assert not Announcement.objects.exists()
    with tenant_context(gym_b):
        assert not Announcement.objects.exists() and not Notification.objects.exists()


# --- Who may send -------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.OWNER, Role.MANAGER])
def test_owners_and_managers_may_send(gym_a, role):
    with tenant_context(gym_a):
        MemberFactory()
        announcement = _send(UserFactory(role=role))
        assert announcement.pk


@pytest.mark.parametrize("role", [Role.TRAINER, Role.FRONT_DESK, Role.MEMBER])
def test_trainers_desk_and_members_are_refused(gym_a, role):
    with tenant_context(gym_a):
        MemberFactory()
        with pytest.raises(ApplicationError) as error:
            _send(UserFactory(role=role))
        assert error.value.status_code == 403 and error.value.code == "permission_denied"
        assert not Announcement.objects.exists()


def test_a_deactivated_owner_is_refused(gym_a, owner):
    with tenant_context(gym_a):
        owner.is_active = False
        with pytest.raises(ApplicationError) as error:
            _send(owner)
        assert error.value.status_code == 403


# --- Texts ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "body", "field"),
    [
        ("", "text", "title"),
        ("   \n ", "text", "title"),
        ("x" * 121, "text", "title"),
        ("Title", "", "body"),
        ("Title", " \n\t ", "body"),
        ("Title", "y" * 2001, "body"),
        ("Title", "y" * 1_000_000, "body"),
        (None, None, "title"),
    ],
)
def test_empty_or_huge_texts_are_refused(gym_a, owner, title, body, field):
    with tenant_context(gym_a):
        MemberFactory()
        with pytest.raises(ApplicationError) as error:
            _send(owner, title=title, body=body)
        assert field in error.value.details
        assert not Announcement.objects.exists()


def test_texts_at_the_limits_are_kept_whole(gym_a, owner, django_capture_on_commit_callbacks):
    with tenant_context(gym_a):
        member = MemberFactory()
        title, body = "T" * 120, "B" * 1999 + "é"
        with django_capture_on_commit_callbacks(execute=True):
            _send(owner, title=f"  {title}  ", body=f"\n{body}\n")
        note = Notification.objects.get(member=member)
        assert (note.title, note.body) == (title, body)


def test_text_is_not_html_escaped_in_email_or_app(gym_a, owner, django_capture_on_commit_callbacks):
    with tenant_context(gym_a):
        member = MemberFactory()
        with django_capture_on_commit_callbacks(execute=True):
            _send(owner, title="Tom & Jerry's <class>", body="Bring <water> & a towel")
        note = Notification.objects.get(member=member)
        assert note.title == "Tom & Jerry's <class>"
        assert note.body == "Bring <water> & a towel"
        assert "Bring <water> & a towel" in mail.outbox[-1].body


# --- Rate limit -------------------------------------------------------------------------------


def test_rate_limit_per_gym_per_24_hours(gym_a, gym_b, owner):
    with tenant_context(gym_a):
        MemberFactory()
        for _ in range(announcements_service.RATE_LIMIT):
            _send(owner)
        with pytest.raises(ApplicationError) as error:
            _send(owner)
        assert error.value.status_code == 429 and error.value.code == "rate_limited"
        assert Announcement.objects.count() == announcements_service.RATE_LIMIT
        # A day later the window has moved on.
        Announcement.objects.update(created_at=timezone.now() - timedelta(hours=24, seconds=1))
        _send(owner)
    with tenant_context(gym_b):
        # Gym B's limit is its own.
        MemberFactory()
        _send(UserFactory(role=Role.OWNER))


# --- Fan-out: once, in chunks, after commit --------------------------------------------------


def test_request_only_writes_the_row_and_queues_the_fan_out(
    gym_a, owner, django_capture_on_commit_callbacks
):
    with tenant_context(gym_a):
        MemberFactory()
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            announcement = _send(owner)
        assert announcement.status == AnnouncementStatus.SENDING
        assert announcement.recipient_count == 1
        assert not Notification.objects.exists()  # nothing sent before the task runs
        assert len(callbacks) == 1
        callbacks[0]()
        announcement.refresh_from_db()
        assert announcement.status == AnnouncementStatus.SENT
        assert Notification.objects.count() == 1


def test_preview_count_equals_sent_count_across_chunks(
    gym_a, owner, django_capture_on_commit_callbacks
):
    with tenant_context(gym_a):
        members = [MemberFactory(tags=["big"]) for _ in range(7)]
        MemberFactory(tags=["big"], email="")  # no email: still gets the in-app row
        preview = announcement_preview(segment="tag", segment_value="big")
        with django_capture_on_commit_callbacks(execute=False):
            announcement = _send(owner, Segment.TAG, "big")
        result = announcement_fan_out(announcement_id=announcement.pk, chunk=3)
        assert preview["recipient_count"] == result["total"] == result["created"] == 8
        assert _announced(announcement) >= {m.pk for m in members}
        announcement.refresh_from_db()
        assert announcement.recipient_count == 8


def test_a_retried_fan_out_sends_once(gym_a, owner, django_capture_on_commit_callbacks):
    with tenant_context(gym_a):
        for _ in range(5):
            MemberFactory()
        with django_capture_on_commit_callbacks(execute=False):
            announcement = _send(owner)
        # A first run that died after two chunks: some members told, status still sending.
        members = selectors.announcement_recipients(segment=Segment.ALL_ACTIVE)
        first = list(members[:2])
        with django_capture_on_commit_callbacks(execute=True):
            announcements_service.notify_many(
                first,
                "announcement",
                {"title": announcement.title, "body": announcement.body},
                dedupe_key=selectors.announcement_dedupe_key(announcement.pk),
            )
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            result = announcement_fan_out(announcement_id=announcement.pk, chunk=2)
        assert result == {"created": 3, "total": 5}
        assert len(mail.outbox) == 3  # only the ones not told before
        # The task retried once more (the broker redelivered it): nothing new.
        Announcement.objects.filter(pk=announcement.pk).update(status=AnnouncementStatus.SENDING)
        with django_capture_on_commit_callbacks(execute=True):
            again = announcement_fan_out(announcement_id=announcement.pk)
        assert again == {"created": 0, "total": 5}
        assert len(mail.outbox) == 3
        assert Notification.objects.count() == 5
        # Marked sent: a further run is a no-op without even looking at members.
        assert announcement_fan_out(announcement_id=announcement.pk) == {"created": 0}


def test_unknown_announcement_id_is_a_no_op(gym_a):
    with tenant_context(gym_a):
        assert announcement_fan_out(announcement_id=987654) == {"created": 0}


def test_stale_announcements_are_queued_again(gym_a, owner, django_capture_on_commit_callbacks):
    with tenant_context(gym_a):
        MemberFactory()
        with django_capture_on_commit_callbacks(execute=False):
            stale = _send(owner)  # its task was lost
            fresh = _send(owner)
        Announcement.objects.filter(pk=stale.pk).update(
            created_at=timezone.now() - timedelta(minutes=6)
        )
        with django_capture_on_commit_callbacks(execute=True):
            assert announcements_requeue_stale() == 1
        stale.refresh_from_db()
        fresh.refresh_from_db()
        assert stale.status == AnnouncementStatus.SENT
        assert fresh.status == AnnouncementStatus.SENDING
        with django_capture_on_commit_callbacks(execute=True):
            assert announcements_requeue_stale() == 0


def test_the_tick_requeues_stale_announcements(gym_a, owner, django_capture_on_commit_callbacks):
    with tenant_context(gym_a):
        MemberFactory()
        with django_capture_on_commit_callbacks(execute=False):
            stale = _send(owner)
        Announcement.objects.filter(pk=stale.pk).update(
            created_at=timezone.now() - timedelta(minutes=6)
        )
        with django_capture_on_commit_callbacks(execute=True):
            assert tick()["announcements_requeued"] == 1
        stale.refresh_from_db()
        assert stale.status == AnnouncementStatus.SENT


def test_log_line_records_who_sent_what(gym_a, owner, caplog):
    with tenant_context(gym_a):
        MemberFactory()
        with caplog.at_level("INFO", logger="apps.notifications.services.announcements"):
            announcement = _send(owner)
        assert f"announcement {announcement.pk} accepted" in caplog.text
        assert f"by user {owner.pk}" in caplog.text


# --- Delivery counts --------------------------------------------------------------------------


def test_delivery_counts_by_channel_and_status(gym_a, owner, django_capture_on_commit_callbacks):
    with tenant_context(gym_a):
        members = [MemberFactory() for _ in range(3)]
        with django_capture_on_commit_callbacks(execute=True):
            announcement = _send(owner)
            other = _send(owner)
        key = selectors.announcement_dedupe_key(announcement.pk)
        Notification.objects.filter(member=members[0], dedupe_key=key).update(
            read_at=timezone.now()
        )
        Delivery.objects.filter(
            notification__member=members[1], notification__dedupe_key=key
        ).update(status=DeliveryStatus.FAILED)
        counts = selectors.announcement_delivery_counts([announcement.pk, other.pk])
        mine = counts[announcement.pk]
        assert (mine["in_app"], mine["read"]) == (3, 1)
        assert mine["channels"]["email"] == {"sent": 2, "failed": 1}
        assert mine["email"] == {"sent": 2, "failed": 1, "skipped": 0, "waiting": 0}
        assert mine["push"] == {"sent": 0, "failed": 0, "skipped": 0, "waiting": 0}
        assert counts[other.pk]["email"]["sent"] == 3
        assert selectors.announcement_delivery_counts([]) == {}
