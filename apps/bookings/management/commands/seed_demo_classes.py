"""Give the demo gym a timetable: rooms, class types, a trainer profile for the demo
trainer, weekly schedules and the sessions of the coming weeks. Idempotent."""

from datetime import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.models import User
from apps.bookings.models import (
    ClassType,
    PTSessionType,
    Room,
    Schedule,
    TrainerAvailability,
    TrainerProfile,
)
from apps.bookings.policy import gym_zone
from apps.bookings.services import schedule_create, sessions_generate
from apps.tenants.models import Gym

CLASSES = [
    # name, minutes, capacity, level, tier, weekdays, start
    ("Morning HIIT", 45, 14, "all", "free", [0, 2, 4], time(7, 0)),
    ("Yoga flow", 60, 18, "beginner", "free", [1, 3], time(18, 30)),
    ("Strength lab", 60, 10, "intermediate", "pro", [0, 3], time(19, 0)),
    ("Spin", 45, 20, "all", "basic", [1, 4, 5], time(12, 15)),
]


class Command(BaseCommand):
    help = "Add a class timetable to the demo gym (run seed_demo first)."

    def add_arguments(self, parser):
        parser.add_argument("--gym", default="demo", help="gym slug (default: demo)")

    def handle(self, *args, **options):
        gym = Gym.objects.filter(slug=options["gym"]).first()
        if gym is None:
            raise CommandError(f"No gym {options['gym']!r}: run manage.py seed_demo first.")
        with tenant_context(gym):
            studio, _ = Room.objects.get_or_create(name="Studio", defaults={"capacity": 20})
            box, _ = Room.objects.get_or_create(name="Box", defaults={"capacity": 12})
            user = User.objects.filter(role="trainer").order_by("pk").first()
            trainer = None
            if user is not None:
                trainer, created = TrainerProfile.objects.get_or_create(
                    user=user,
                    defaults={
                        "display_name": user.full_name or user.email,
                        "bio": "Strength and mobility coach.",
                        "specialties": ["strength", "mobility", "weight loss"],
                        "languages": ["en", "de"],
                        "hourly_price": 6000,
                        "rating": 4.7,
                    },
                )
                if created:
                    for weekday in range(5):
                        TrainerAvailability.objects.create(
                            trainer=trainer, weekday=weekday, start_time=time(9), end_time=time(13)
                        )
                    PTSessionType.objects.create(
                        trainer=trainer, name="Personal training", price=6000
                    )
                    PTSessionType.objects.create(
                        trainer=trainer,
                        name="Form check",
                        duration_minutes=30,
                        price=2500,
                        auto_confirm=True,
                    )
            for name, minutes, capacity, level, tier, weekdays, start in CLASSES:
                class_type, created = ClassType.objects.get_or_create(
                    name=name,
                    defaults={
                        "duration_minutes": minutes,
                        "capacity": capacity,
                        "level": level,
                        "required_tier": tier,
                        "room": box if capacity <= 12 else studio,
                    },
                )
                if not Schedule.objects.filter(class_type=class_type).exists():
                    # Through the dashboard's service: the rule is stored as the form
                    # stores it, and the sessions are published at once.
                    schedule_create(
                        data={
                            "class_type": class_type,
                            "instructor": trainer,
                            "weekdays": weekdays,
                            "start_time": start,
                            "starts_on": timezone.now().astimezone(gym_zone(gym)).date(),
                        }
                    )
            created = sessions_generate()
        self.stdout.write(f"Demo classes ready in {gym.slug}: {created} new sessions.")
