"""Compile every django.po in the project's `locale/` to .mo without GNU gettext (pure
Python).

The .mo files are committed so a bare machine serves translations; this keeps them in step
with the .po files (a test checks that they are).
"""

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand


def po_files() -> list[Path]:
    # One catalogue per language for the whole project, as templates live in one tree:
    # per-app catalogues ranked below third-party apps' ones at run time, and their
    # Plural-Forms headers disagreed (Spanish plurals fell back to English).
    return sorted(Path(settings.BASE_DIR).glob("locale/*/LC_MESSAGES/django.po"))


class Command(BaseCommand):
    help = "Compile .po translation files to .mo (no gettext needed)."

    def handle(self, *args, **options):
        for po_path in po_files():
            polib.pofile(str(po_path)).save_as_mofile(str(po_path.with_suffix(".mo")))
            self.stdout.write(f"compiled {po_path.relative_to(settings.BASE_DIR)}")
