"""Create the demo gym with staff and ~30 members. Idempotent: a second run reuses it."""

import random
from datetime import date, timedelta

from django.core.management.base import BaseCommand
from django_tenants.utils import tenant_context

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.accounts.services import user_create
from apps.billing.tiers import Tier
from apps.members.models import Member, MemberStatus
from apps.members.services import member_create
from apps.tenants.models import Gym
from apps.tenants.services import gym_create

PASSWORD = "demo-pass-123"
FIRST = [
    "Ana",
    "Ben",
    "Chloé",
    "Dmitri",
    "Elif",
    "Farah",
    "Gustav",
    "Hana",
    "Iker",
    "Jonas",
    "Kaito",
    "Lena",
    "Mateo",
    "Nora",
    "Omar",
    "Paula",
    "Quentin",
    "Rosa",
    "Sven",
    "Tara",
]
LAST = [
    "García",
    "Müller",
    "Dubois",
    "Rossi",
    "Kowalski",
    "Nakamura",
    "Silva",
    "Olsen",
    "Novak",
    "Schmidt",
    "Moreau",
    "Fischer",
    "López",
    "Costa",
    "Berg",
]


class Command(BaseCommand):
    help = "Create (or reuse) the demo gym 'demo' with staff and members."

    def handle(self, *args, **options):
        if User.objects.filter(is_superuser=True).count() == 0:
            User.objects.create_superuser(
                "admin@platform.localhost", PASSWORD, full_name="Platform operator"
            )
        gym = Gym.objects.filter(slug="demo").first()
        if gym is None:
            gym = gym_create(
                name="Demo Fitness",
                slug="demo",
                owner_email="owner@demo.localhost",
                owner_password=PASSWORD,
                owner_name="Olivia Owner",
                time_zone="Europe/Berlin",
                currency="EUR",
            )
        with tenant_context(gym):
            for email, name, role in [
                ("trainer@demo.localhost", "Tom Trainer", Role.TRAINER),
                ("desk@demo.localhost", "Dana Desk", Role.FRONT_DESK),
                ("manager@demo.localhost", "Max Manager", Role.MANAGER),
            ]:
                if not User.objects.filter(email=email).exists():
                    user_create(email=email, password=PASSWORD, full_name=name, role=role)
            self._members()

    def _members(self):
        if Member.objects.exists():
            return
        rng = random.Random(42)
        statuses = [MemberStatus.ACTIVE] * 6 + [
            MemberStatus.TRIAL,
            MemberStatus.LEAD,
            MemberStatus.FROZEN,
            MemberStatus.CANCELLED,
        ]
        for i in range(1, 31):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            email = f"member{i}@demo.localhost"
            user = None
            if i <= 3:  # a few members can log into the app
                user = user_create(
                    email=email, password=PASSWORD, full_name=f"{first} {last}", role=Role.MEMBER
                )
            member_create(
                user=user,
                data={
                    "first_name": first,
                    "last_name": last,
                    "email": email,
                    "phone": f"+49 30 {rng.randint(1000000, 9999999)}",
                    "status": MemberStatus.ACTIVE if i <= 3 else rng.choice(statuses),
                    "tier": rng.choice(Tier.values),
                    "joined_on": date.today() - timedelta(days=rng.randint(0, 900)),
                    "date_of_birth": date(
                        rng.randint(1960, 2006), rng.randint(1, 12), rng.randint(1, 28)
                    ),
                    "tags": rng.sample(["morning", "evening", "student", "corporate", "family"], 2),
                },
            )
