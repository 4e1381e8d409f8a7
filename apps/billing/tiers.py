from django.db import models
from django.utils.translation import gettext_lazy as _


class Tier(models.TextChoices):
    FREE = "free", _("Free")
    BASIC = "basic", _("Basic")
    PRO = "pro", _("Pro")
    PRO_PLUS = "pro_plus", _("Pro+")
