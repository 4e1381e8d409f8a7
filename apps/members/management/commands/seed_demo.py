"""Create the demo gym with staff and 30 members, every one of them with a login, and
every demo login with the demo password. Idempotent: a second run reuses the gym (and
puts the demo password back on any demo login whose password was changed)."""

import random
from datetime import date, timedelta

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django_tenants.utils import tenant_context

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.accounts.services import user_create
from apps.billing.tiers import Tier
from apps.members.models import Member, MemberStatus
from apps.members.services import member_create, member_grant_app_access
from apps.tenants.models import Gym
from apps.tenants.services import gym_create

PASSWORD = "demo-pass-123"
PLATFORM_OPERATOR = "admin@platform.localhost"
STAFF = [
    ("trainer@demo.localhost", "Tom Trainer", Role.TRAINER),
    ("desk@demo.localhost", "Dana Desk", Role.FRONT_DESK),
    ("manager@demo.localhost", "Max Manager", Role.MANAGER),
]
OWNER = "owner@demo.localhost"
MEMBERS = 30


def demo_logins() -> list[str]:
    """Every login of the demo gym (staff, then member1..member30)."""
    return [
        OWNER,
        *(email for email, _name, _role in STAFF),
        *(f"member{i}@demo.localhost" for i in range(1, MEMBERS + 1)),
    ]


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
        # One hash for every demo login, with a fixed salt: hashing the password once per
        # account (34 of them, PBKDF2) took ~0.4 s each on this machine, and a stored hash
        # equal to this one says the login still has the demo password without hashing.
        # Demo accounts only: real accounts each get their own salt.
        demo_hash = make_password(PASSWORD, salt="demologins")
        if User.objects.filter(is_superuser=True).count() == 0:
            User.objects.create_superuser(PLATFORM_OPERATOR, None, full_name="Platform operator")
        User.objects.filter(email=PLATFORM_OPERATOR).exclude(password=demo_hash).update(
            password=demo_hash
        )
        gym = Gym.objects.filter(slug="demo").first()
        if gym is None:
            gym = gym_create(
                name="Demo Fitness",
                slug="demo",
                owner_email=OWNER,
                owner_password=None,
                owner_name="Olivia Owner",
                time_zone="Europe/Berlin",
                currency="EUR",
            )
        with tenant_context(gym):
            for email, name, role in STAFF:
                if not User.objects.filter(email=email).exists():
                    user_create(email=email, password=None, full_name=name, role=role)
            self._members()
            # Members of an older demo (only member1-3 had logins) get theirs now.
            for member in Member.objects.filter(
                user__isnull=True, email__in=demo_logins()
            ).order_by("number"):
                member_grant_app_access(member=member, password=None)
            User.objects.filter(email__in=demo_logins()).exclude(password=demo_hash).update(
                password=demo_hash, is_active=True
            )

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
        for i in range(1, MEMBERS + 1):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            email = f"member{i}@demo.localhost"
            # Every member can log into the app (the demo password is set in handle()).
            user = user_create(
                email=email, password=None, full_name=f"{first} {last}", role=Role.MEMBER
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
