"""What every `seed_demo_<app>` command shares: the `--gym` option and finding that gym."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from apps.tenants.models import Gym


class DemoSeedCommand(BaseCommand):
    """Base of the seed commands that add an app's demo data to a gym `seed_demo` made."""

    def add_arguments(self, parser):
        parser.add_argument("--gym", default="demo", help="gym slug (default: demo)")

    def demo_gym(self, options) -> Gym:
        gym = Gym.objects.filter(slug=options["gym"]).first()
        if gym is None:
            raise CommandError(f"No gym {options['gym']!r}: run manage.py seed_demo first.")
        return gym
