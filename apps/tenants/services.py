"""Writes on gyms: the public tenant, the template schema, and provisioning new gyms."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils.translation import gettext as _
from django_tenants.utils import schema_exists, tenant_context

from apps.accounts.roles import Role
from apps.accounts.services import user_create
from apps.common.errors import ApplicationError
from apps.tenants.middleware import gym_cache_clear
from apps.tenants.models import Domain, Gym
from apps.tenants.selectors import gym_slug_taken
from apps.tenants.template_schema import template_schema_missing_migrations
from apps.tenants.validators import schema_name_for, validate_gym_slug

logger = logging.getLogger(__name__)


def public_tenant_ensure() -> Gym:
    """The platform itself is the tenant of the public schema, reached on PLATFORM_DOMAIN."""
    gym, _created = Gym.objects.get_or_create(
        schema_name="public", defaults={"name": "Platform", "slug": "public"}
    )
    Domain.objects.get_or_create(
        domain=settings.PLATFORM_DOMAIN, defaults={"tenant": gym, "is_primary": True}
    )
    return gym


def gym_domain_for(slug: str) -> str:
    return f"{slug}.{settings.PLATFORM_DOMAIN}"


@transaction.atomic
def gym_create(
    *,
    name: str,
    slug: str,
    owner_email: str,
    owner_password: str | None,
    owner_name: str = "",
    time_zone: str = "UTC",
    currency: str = "EUR",
    default_language: str = "en",
) -> Gym:
    """Create a gym with its schema (cloned from the template), domain and owner.

    All or nothing: the schema is created inside this transaction, so a failure at any
    step rolls back the schema, the rows and the owner together.
    """
    slug = (slug or "").strip().lower()
    try:
        validate_gym_slug(slug)
    except ValidationError as exc:
        raise ApplicationError(
            exc.messages[0], code="invalid_slug", details={"slug": exc.messages}
        ) from exc
    # Serialise provisioning: clone_schema re-creates its SQL function on each call.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('gym_provisioning'))")
    schema_name = schema_name_for(slug)
    if gym_slug_taken(slug=slug) or schema_exists(schema_name):
        raise ApplicationError(
            _("This address is already taken."),
            code="slug_taken",
            details={"slug": [_("This address is already taken.")]},
        )
    # Without a current template, a clone would be incomplete (or, with none, every gym
    # would run every migration): refuse, and say what fixes it.
    if not schema_exists(settings.TENANT_BASE_SCHEMA) or template_schema_missing_migrations():
        logger.error(
            "Template schema %s is missing or behind: run migrate_schemas",
            settings.TENANT_BASE_SCHEMA,
        )
        raise ApplicationError(
            _("New gyms cannot be created right now. Please try again in a few minutes."),
            code="platform_not_ready",
            status_code=503,
        )

    try:
        gym = Gym(
            name=name.strip(),
            slug=slug,
            schema_name=schema_name,
            time_zone=time_zone,
            currency=currency,
            default_language=default_language,
            contact_email=owner_email,
        )
        try:
            gym.full_clean(exclude=["schema_name"])
        except ValidationError as exc:
            raise ApplicationError(
                _("Some fields are not valid."), code="validation_error", details=exc.message_dict
            ) from exc
        gym.save(verbosity=0)
        Domain.objects.create(domain=gym_domain_for(slug), tenant=gym, is_primary=True)
        with tenant_context(gym):
            user_create(
                email=owner_email, password=owner_password, full_name=owner_name, role=Role.OWNER
            )
    except (DatabaseError, OSError) as exc:
        logger.exception("Provisioning gym %s failed", slug)
        raise ApplicationError(
            _("The gym could not be created. Nothing was saved; please try again."),
            code="provisioning_failed",
            status_code=503,
        ) from exc
    finally:
        connection.set_schema_to_public()
    return gym


@transaction.atomic
def gym_update_settings(*, gym: Gym, fields: list[str] | None = None) -> Gym:
    """Save changed gym settings. `fields` limits the write to what the caller edited, so
    a copy of the gym that is a few seconds old (the per-process host cache) never writes
    back columns someone else changed meanwhile (e.g. `is_active`)."""
    gym.full_clean(exclude=["schema_name"])
    gym.save(update_fields=fields)
    transaction.on_commit(gym_cache_clear)
    return gym
