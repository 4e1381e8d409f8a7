"""Compile every django.po (project `locale/` and each app's `apps/<app>/locale/`) to .mo
without GNU gettext (pure Python).

The .mo files are committed so a bare machine serves translations; this keeps them in step
with the .po files (a test checks that they are).
"""

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand


def po_files() -> list[Path]:
    # Apps with their own `locale/` keep their strings there (makemessages puts them there),
    # so work on different apps never edits the same catalogue.
    base = Path(settings.BASE_DIR)
    return sorted(
        [
            *base.glob("locale/*/LC_MESSAGES/django.po"),
            *base.glob("apps/*/locale/*/LC_MESSAGES/django.po"),
        ]
    )


class Command(BaseCommand):
    help = "Compile .po translation files to .mo (no gettext needed)."

    def handle(self, *args, **options):
        for po_path in po_files():
            polib.pofile(str(po_path)).save_as_mofile(str(po_path.with_suffix(".mo")))
            self.stdout.write(f"compiled {po_path.relative_to(settings.BASE_DIR)}")
