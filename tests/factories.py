"""factory_boy factories that create through the services, in the current schema."""

import factory

from apps.accounts.roles import Role
from apps.accounts.services import user_create
from apps.members.models import Member, MemberStatus
from apps.members.services import member_create

PASSWORD = "Str0ng-pass-for-tests"


class UserFactory(factory.Factory):
    class Meta:
        model = dict

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    full_name = factory.Faker("name")
    role = Role.MEMBER
    password = PASSWORD

    @classmethod
    def _create(cls, model_class, **kwargs):
        return user_create(**kwargs)


class MemberFactory(factory.Factory):
    class Meta:
        model = dict

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"member{n}@example.test")
    status = MemberStatus.ACTIVE

    @classmethod
    def _create(cls, model_class, user=None, **kwargs) -> Member:
        return member_create(data=kwargs, user=user)


class MemberWithLoginFactory(MemberFactory):
    """A member who signs in to the app: a member-role user with the member's email."""

    email = factory.Sequence(lambda n: f"booker{n}@example.test")

    @classmethod
    def _create(cls, model_class, user=None, **kwargs) -> Member:
        user = user or UserFactory(role=Role.MEMBER, email=kwargs["email"])
        return member_create(data=kwargs, user=user)
