"""Reads on gyms (public schema)."""

from django.db import connection
from django.db.models import Q, QuerySet

from apps.common.text import clean_query_text
from apps.tenants.models import Domain, Gym, default_opening_hours


def gym_directory(*, query: str = "") -> QuerySet[Gym]:
    gyms = Gym.objects.filter(is_active=True).exclude(schema_name="public")
    query = clean_query_text(query)
    if query:
        gyms = gyms.filter(Q(name__icontains=query) | Q(slug__icontains=query))
    return gyms.prefetch_related("domains").order_by("name")


def gym_primary_domain(*, gym: Gym) -> str:
    for domain in gym.domains.all():
        if domain.is_primary:
            return domain.domain
    return ""


def gym_slug_taken(*, slug: str) -> bool:
    return (
        Gym.objects.filter(slug=slug).exists()
        or Domain.objects.filter(domain__istartswith=f"{slug}.").exists()
    )


def setup_hours_done() -> bool:
    """The current gym's opening hours were changed from the sign-up defaults."""
    return connection.tenant.opening_hours != default_opening_hours()
