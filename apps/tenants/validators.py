"""Rules for gym slugs: they become a DNS label (<slug>.<platform>) and a schema name."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,28}[a-z0-9])$")
RESERVED_SLUGS = frozenset(
    """
    admin administrator api app apps assets auth billing blog cdn dashboard demo-template
    dev docs email ftp help imap info kiosk localhost mail media mx ns ns1 ns2 platform pop
    public root security smtp static staging status stripe support system template test
    webhooks webmail ws www
    """.split()
)


def validate_gym_slug(value: str) -> None:
    if not SLUG_RE.match(value or ""):
        raise ValidationError(
            _(
                "Use 3-30 lowercase letters, digits or hyphens, starting and ending with a "
                "letter or digit."
            ),
            code="invalid_slug",
        )
    if "--" in value:
        raise ValidationError(_("Hyphens may not be doubled."), code="invalid_slug")
    if value in RESERVED_SLUGS:
        raise ValidationError(
            _("This address is reserved. Please choose another."), code="reserved_slug"
        )


def schema_name_for(slug: str) -> str:
    # Schema names may not hold hyphens; slugs hold no underscores, so this is one-to-one.
    return "gym_" + slug.replace("-", "_")
