"""Billing rows as stored, in the current schema (no Stripe: `plan_create` and the checkout
flow in the tests cover that)."""

import factory
from factory.django import DjangoModelFactory

from apps.billing.models import MembershipPlan, MemberSubscription
from tests.factories import MemberWithLoginFactory


class MembershipPlanFactory(DjangoModelFactory):
    class Meta:
        model = MembershipPlan

    name = factory.Sequence(lambda n: f"Plan {n}")
    price_minor = 3000
    currency = "EUR"
    interval = "month"
    tier = "basic"


class MemberSubscriptionFactory(DjangoModelFactory):
    class Meta:
        model = MemberSubscription

    member = factory.SubFactory(MemberWithLoginFactory)
    plan = factory.SubFactory(MembershipPlanFactory)
    stripe_subscription_id = factory.Sequence(lambda n: f"sub_t{n}")
    status = "active"
    currency = factory.SelfAttribute("plan.currency")
