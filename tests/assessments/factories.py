"""Assessment attempts as stored, in the current schema (uploads go through the API in
the tests that need a clip)."""

import factory
from factory.django import DjangoModelFactory

from apps.assessments.models import Attempt, AttemptStatus
from tests.factories import MemberFactory


class AttemptFactory(DjangoModelFactory):
    class Meta:
        model = Attempt

    member = factory.SubFactory(MemberFactory)
    test_id = 4
    catalogue_version = "t"
    status = AttemptStatus.VALID
