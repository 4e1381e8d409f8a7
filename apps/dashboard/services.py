from django.utils.translation import gettext as _

from apps.common.errors import ApplicationError
from apps.dashboard import checklist
from apps.dashboard.models import SetupSkip


def setup_step_skip(*, key: str, by, skip: bool = True) -> None:
    """Skip a set-up step that does not apply, or bring it back (skip=False)."""
    if checklist.get(key) is None:
        raise ApplicationError(_("No such set-up step."), code="not_found", status_code=404)
    if skip:
        SetupSkip.objects.get_or_create(key=key, defaults={"skipped_by": by})
    else:
        SetupSkip.objects.filter(key=key).delete()
