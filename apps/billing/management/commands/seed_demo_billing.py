"""Give the demo gym its billing, against the Stripe stand-in of `make run`: the gym
connects Stripe through Stripe Connect, sells three plans, and most members have paid
monthly for up to six months: a few payments failed and were paid on the retry, two are
failing now, two members cancelled (one within the last 30 days), one is frozen. The gym
pays the platform too (Connect needs the platform's key, which also turns platform
billing on: an unpaid demo gym would turn read-only after its trial). Idempotent: members
who have a subscription are left as they are, and periods that ended since the last run
are renewed (paid), so a demo started again weeks later is current.

The history is made the way it happens at Stripe, not written around it. The stand-in's
clock is pinned to each moment in turn (a member joining through Checkout five months
ago, each monthly renewal, a retry three days after a failure), the services make their
calls as they do for a request, and Stripe's events go through the platform's Connect
webhook path (verified, routed by account, stored once) and are processed as the worker
processes them. So subscriptions and invoices (with their paid dates, which the billing
page's chart sums) are the gym's copies of Stripe's objects, and the stand-in holds the
same objects (its state is kept in var/ between runs). Processing is done here, at once,
so the seed can go on from its result; the tasks queued for the same events find them
processed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import heapq
import json
import random
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

from django.conf import settings
from django.core.management.base import CommandError
from django.utils import timezone
from django_tenants.utils import schema_context, tenant_context

from apps.billing.models import Invoice, MembershipPlan, MemberSubscription, SubscriptionStatus
from apps.billing.selectors import billing_settings_get, member_live_subscription
from apps.billing.services import (
    checkout_start,
    connect_refresh,
    connect_start,
    connect_webhook_receive,
    plan_create,
    plan_sync_to_stripe,
    subscription_cancel,
    subscription_freeze,
    webhook_event_process,
)
from apps.billing.services.webhooks import INVOICE_EVENTS, SUBSCRIPTION_EVENTS
from apps.billing.stripe_api import connect_enabled
from apps.billing.tiers import Tier
from apps.common.errors import ApplicationError
from apps.common.links import gym_url
from apps.common.management.demo import DemoSeedCommand
from apps.members.models import Member, MemberStatus
from apps.members.tasks import refresh_gym_stats
from apps.platform_billing import services as platform
from apps.platform_billing.models import GymSubscription, PlatformPlan
from apps.tenants.models import Gym
from devtools.stripe_standin import sign, simulate

PLANS = [
    {
        "name": "Basic",
        "description": "Gym floor and open classes, any time we are open.",
        "price_minor": 2900,
        "interval": "month",
        "tier": Tier.BASIC,
    },
    {
        "name": "Pro",
        "description": "Every class, the assessments and a training plan. Two weeks free.",
        "price_minor": 4900,
        "interval": "month",
        "tier": Tier.PRO,
        "trial_days": 14,
    },
    {
        "name": "Pro+",
        "description": "Pro, plus a monthly form check with a trainer.",
        "price_minor": 7900,
        "interval": "month",
        "tier": Tier.PRO_PLUS,
    },
]
# The platform's own plans (public schema), if the platform has none yet.
PLATFORM_PLANS = [
    {"name": "Studio", "max_active_members": 100, "price_minor": 4900},
    {"name": "Club", "max_active_members": 500, "price_minor": 9900},
    {"name": "Unlimited", "max_active_members": None, "price_minor": 19900},
]
HISTORY_DAYS = 181  # the billing page's chart shows six calendar months
RETRY_AFTER = dt.timedelta(days=3)  # Stripe's first smart retry, as the stand-in has it
DAY = dt.timedelta(days=1)
PROCESSED = {*INVOICE_EVENTS, *SUBSCRIPTION_EVENTS, "checkout.session.completed"}


@dataclass
class Story:
    """One member's billing, as it will have happened."""

    member: Member
    plan: MembershipPlan
    start: dt.datetime
    fails_at_renewal: int = 0  # this renewal fails once and is paid on the retry
    failing_now: bool = False  # the last renewal before now failed and is still open
    cancel_after: dt.datetime | None = None  # asks to cancel in the period ending after this
    freeze: bool = False
    renewals: int = 0
    cancelled: bool = False


@dataclass(order=True)
class Step:
    when: dt.datetime
    order: int
    kind: str = field(compare=False)
    story: Story = field(compare=False)


class Command(DemoSeedCommand):
    help = "Connect the demo gym's Stripe (stand-in), make plans and six months of billing."

    def handle(self, *args, **options):
        gym = self.demo_gym(options)
        self.base = settings.STRIPE_API_BASE
        if not (self.base and connect_enabled() and settings.STRIPE_CONNECT_WEBHOOK_SECRET):
            self.stdout.write(
                "Demo billing skipped: it needs the Stripe stand-in (make run starts it; "
                "STRIPE_API_BASE, PLATFORM_STRIPE_SECRET_KEY, STRIPE_CONNECT_WEBHOOK_SECRET)."
            )
            return
        self.now = timezone.now()
        self.order = 0
        started = time.monotonic()
        try:
            with tenant_context(gym):
                self.account = self._connect()
                plans = self._plans()
                stories = self._stories(plans)
                self._run(stories)
                self._freezes(stories)
                subscriptions = MemberSubscription.objects.count()
                invoices = Invoice.objects.count()
                refresh_gym_stats()  # the platform's plan goes by active members
            self._platform(gym)
        except ApplicationError as exc:
            raise CommandError(
                f"Stripe (the stand-in) refused a demo step: {exc.message}. If "
                "var/stripe-standin.json was removed while the database was kept, the two no "
                "longer match: delete var/ to start the demo afresh."
            ) from exc
        finally:
            with contextlib.suppress(OSError, RuntimeError):
                simulate(self.base, "clock", now=None)
        self.stdout.write(
            f"Demo billing ready in {gym.slug}: {len(stories)} new subscriptions "
            f"({subscriptions} in all, {invoices} invoices) in {time.monotonic() - started:.1f} s."
        )

    # -- the gym's Stripe account and plans ----------------------------------------------
    def _connect(self) -> str:
        """The owner's "Connect Stripe": a connected account, Stripe's onboarding (the
        link followed, as the owner's browser does), the return page's refresh."""
        row = billing_settings_get()
        if not row.connected:
            link = connect_start(
                return_url=gym_url("/dashboard/billing/stripe/return/"),
                refresh_url=gym_url("/dashboard/billing/stripe/connect/"),
            )
            _follow(link)
        try:
            row = connect_refresh()
        except ApplicationError as exc:
            raise CommandError(
                f"The Stripe stand-in does not know the demo gym's account "
                f"{row.stripe_account_id} ({exc.message}): its state (var/stripe-standin.json) "
                "no longer matches the database. Delete var/ to start the demo afresh."
            ) from exc
        if not row.connected:
            raise CommandError("Stripe onboarding did not complete for the demo gym.")
        return row.stripe_account_id

    def _plans(self) -> list[MembershipPlan]:
        plans = []
        for data in PLANS:
            plan = MembershipPlan.objects.filter(name=data["name"]).first()
            if plan is None:
                plan = plan_create(data=data)
            elif not plan.stripe_price_id:
                plan_sync_to_stripe(plan=plan)
            plans.append(plan)
        return plans

    # -- who pays what, and what happened ----------------------------------------------
    def _stories(self, plans: list[MembershipPlan]) -> list[Story]:
        basic, pro, pro_plus = plans
        members = list(
            Member.objects.exclude(status=MemberStatus.LEAD)
            .exclude(email="")
            .filter(subscriptions__isnull=True)
            .order_by("number")
        )
        login = {f"member{i}@demo.localhost": plan for i, plan in ((1, pro), (2, basic), (3, pro))}
        paying = [m for m in members if m.status == MemberStatus.ACTIVE and m.email not in login]
        failing_now = {m.pk for m in paying[-2:]}
        recovered = {m.pk for m in paying[:-2][::3]}
        cancelled = [m for m in members if m.status == MemberStatus.CANCELLED]
        frozen = [m for m in members if m.status == MemberStatus.FROZEN][:1]
        stories = []
        for member in members:
            rng = random.Random(member.number)
            plan = (
                login.get(member.email) or rng.choices([basic, pro, pro_plus], weights=[4, 5, 2])[0]
            )
            story = Story(member=member, plan=plan, start=self._start(member, rng))
            if member.status == MemberStatus.TRIAL:
                # Joined Pro days ago: still in its free trial.
                story.plan = pro
                story.start = self.now - dt.timedelta(days=rng.uniform(2, 10))
            if member.pk in failing_now:
                # Renewals every 30 days from here (no trial): the fifth was days ago.
                story.plan = basic if plan.trial_days else plan
                story.start = self.now - dt.timedelta(days=150 + rng.uniform(1, 4))
                story.failing_now = True
            if member.pk in recovered or member.email == "member2@demo.localhost":
                story.fails_at_renewal = rng.randint(1, 3)
            if member in cancelled:
                # The first left two months ago, the others within the last 30 days.
                back = 80 if member == cancelled[0] else 29
                story.cancel_after = self.now - dt.timedelta(days=back)
            story.freeze = member in frozen  # one freeze is plenty for the demo
            stories.append(story)
        return stories

    def _start(self, member: Member, rng: random.Random) -> dt.datetime:
        """When the member's subscription began: their join date, or for those who joined
        before the six months shown, a day at its start (spread, so renewals are too)."""
        joined = dt.datetime.combine(
            member.joined_on, dt.time(rng.randint(8, 19), rng.randint(0, 59)), tzinfo=dt.UTC
        )
        earliest = self.now - dt.timedelta(days=HISTORY_DAYS - rng.uniform(0, 29))
        return min(max(joined, earliest), self.now - DAY)

    # -- the timeline, through the stand-in ----------------------------------------------
    def _push(self, queue: list, when: dt.datetime, kind: str, story: Story) -> None:
        if when < self.now:
            self.order += 1
            heapq.heappush(queue, Step(when, self.order, kind, story))

    def _run(self, stories: list[Story]) -> None:
        queue: list[Step] = []
        for story in stories:
            self._push(queue, story.start, "join", story)
        # Subscriptions of an earlier run whose period ended since: renewed (paid).
        for sub in MemberSubscription.objects.filter(
            status__in=[SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING],
            current_period_end__lt=self.now,
        ).select_related("member", "plan"):
            story = Story(member=sub.member, plan=sub.plan, start=sub.started_at, renewals=99)
            self._push(queue, sub.current_period_end, "renew", story)
        while queue:
            step = heapq.heappop(queue)
            simulate(self.base, "clock", now=int(step.when.timestamp()))
            getattr(self, f"_{step.kind}")(step, queue)

    def _join(self, step: Step, queue: list) -> None:
        story = step.story
        request = checkout_start(
            member=story.member,
            plan=story.plan,
            success_url=gym_url("/billing/return/"),
            cancel_url=gym_url("/billing/return/?cancelled=1"),
        )
        self._deliver(
            simulate(
                self.base,
                "complete_checkout",
                key=self.account,
                session_id=request.stripe_session_id,
            )
        )
        self._next(step, queue)

    def _renew(self, step: Step, queue: list) -> None:
        story = step.story
        sub = member_live_subscription(story.member)
        if sub is None:
            return
        story.renewals += 1
        last = sub.current_period_end + dt.timedelta(days=30) > self.now
        fails_once = story.renewals == story.fails_at_renewal and not last  # paid by now
        pay = not (story.failing_now and last) and not fails_once
        events = simulate(
            self.base, "renew", key=self.account, sub_id=sub.stripe_subscription_id, pay=pay
        )
        self._deliver(events)
        if not pay and not story.failing_now:
            self._push(queue, step.when + RETRY_AFTER, "retry", story)
        self._next(step, queue)

    def _retry(self, step: Step, queue: list) -> None:
        invoice = (
            Invoice.objects.filter(member=step.story.member, status="open")
            .order_by("-created")
            .first()
        )
        if invoice is not None:
            self._deliver(
                simulate(
                    self.base,
                    "retry_invoice",
                    key=self.account,
                    invoice_id=invoice.stripe_invoice_id,
                    pay=True,
                )
            )

    def _cancel(self, step: Step, queue: list) -> None:
        subscription_cancel(member=step.story.member, now=step.when)

    def _next(self, step: Step, queue: list) -> None:
        """After a join or renewal: the member asks to cancel in this period if it is the
        one, and the period's end renews it (or ends it, when cancelled)."""
        story = step.story
        sub = member_live_subscription(story.member)
        if sub is None or sub.current_period_end is None:
            return
        if (
            story.cancel_after
            and not story.cancelled
            and sub.current_period_end >= story.cancel_after
        ):
            story.cancelled = True
            self._push(queue, step.when + DAY, "cancel", story)
        self._push(queue, sub.current_period_end, "renew", story)

    def _deliver(self, events: list[dict]) -> None:
        """Stripe -> the platform's Connect endpoint -> the gym's stored event -> the
        worker's processing (done here, at once).

        Of one step's events, only those that tell the gym something new are delivered:
        processing never trusts an event's copy but stores the object's current state,
        so of several events about one object the last tells all, and an invoice's
        processing stores its subscription as well (`invoice_store`). A renewal's four
        events (finalized, paid, payment_succeeded, subscription updated) are one
        invoice.paid here: delivering all ~600 of the demo took 65 s of the seed."""
        secret = settings.STRIPE_CONNECT_WEBHOOK_SECRET
        for event in _telling(events):
            payload = json.dumps(event)
            routed = connect_webhook_receive(
                payload=payload.encode(), signature=sign(payload, secret)
            )
            if routed is None:
                raise CommandError(f"Event {event['id']} names no gym's account.")
            _gym, stored, _new = routed
            webhook_event_process(event_id=stored.event_id)

    def _freezes(self, stories: list[Story]) -> None:
        today = timezone.localdate()
        for story in stories:
            sub = member_live_subscription(story.member)
            if story.freeze and sub is not None and sub.status == SubscriptionStatus.ACTIVE:
                subscription_freeze(member=story.member, start=today, days=28, today=today)

    # -- the gym pays the platform -------------------------------------------------------
    def _platform(self, gym: Gym) -> None:
        if not platform.enabled() or not settings.PLATFORM_STRIPE_WEBHOOK_SECRET:
            return
        with schema_context("public"):
            if GymSubscription.objects.filter(gym=gym, status="active").exists():
                return
            if not PlatformPlan.objects.exists():
                for data in PLATFORM_PLANS:
                    PlatformPlan.objects.create(**data)
            gym.refresh_from_db()
            url = platform.platform_checkout_start(
                gym=gym,
                success_url=f"{gym_url('/dashboard/billing/platform/', gym)}?done=1",
                cancel_url=gym_url("/dashboard/billing/platform/", gym),
            )
            events = simulate(
                self.base,
                "complete_checkout",
                key=settings.PLATFORM_STRIPE_SECRET_KEY,
                session_id=url.rsplit("/", 1)[-1],
            )
            for event in events:
                payload = json.dumps(event)
                stored = platform.platform_webhook_receive(
                    payload=payload.encode(),
                    signature=sign(payload, settings.PLATFORM_STRIPE_WEBHOOK_SECRET),
                )
                platform.platform_webhook_event_process(event_id=stored.event_id)


def _telling(events: list[dict]) -> list[dict]:
    """The last event about each object (of the types processing acts on), without the
    subscription events of a subscription whose invoice is among them; in order."""
    last: dict[str, dict] = {}
    for event in events:
        if event["type"] in PROCESSED:
            last[event["data"]["object"]["id"]] = event
    invoiced = {
        ((event["data"]["object"].get("parent") or {}).get("subscription_details") or {}).get(
            "subscription"
        )
        for event in last.values()
        if event["type"] in INVOICE_EVENTS
    }
    return [
        event
        for event in events
        if last.get(event["data"]["object"]["id"]) is event
        and not (event["type"] in SUBSCRIPTION_EVENTS and event["data"]["object"]["id"] in invoiced)
    ]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _follow(url: str) -> None:
    """Open Stripe's onboarding link (the stand-in completes it on sight and sends the
    browser back to the return URL, which is not followed: the server is not up yet)."""
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        opener.open(url, timeout=10)
    except urllib.error.HTTPError as exc:
        if exc.code != 302:
            raise CommandError(f"Stripe onboarding answered {exc.code}.") from exc
