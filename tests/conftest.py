"""Personas (healthchecks' alice/bob/charlie, our way): one organisation with a member of each role, and an
outsider who administers another organisation and must get a 404 everywhere in the first one."""

from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation

from advocacy.models import Membership, Organization, User
from advocacy.roles import Role
from advocacy.tenancy import organization_scope
from tests.factories import DEFAULT_PASSWORD, MembershipFactory, OrganizationFactory, UserFactory


@dataclass
class Personas:
    organization: Organization
    other_organization: Organization
    admin: User
    editor: User
    approver: User
    manager: User
    ambassador: User
    outsider: User

    def membership(self, user: User) -> Membership:
        with organization_scope(self.organization):
            return Membership.objects.get(user=user)


@pytest.fixture(autouse=True)
def _english_outside_requests():
    """Messages built outside a request (services, tasks) speak English in tests, whatever an earlier test in
    the same process activated; a test about French asks for it with ``translation.override("fr")``."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _clear_cache():
    """Rate limits and cached fragments live in the (real) cache: each test starts from an empty one."""
    cache.clear()
    yield


@pytest.fixture
def password() -> str:
    return DEFAULT_PASSWORD


@pytest.fixture
def personas(db) -> Personas:
    organization = OrganizationFactory(slug="acme", name="Acme")
    other = OrganizationFactory(slug="globex", name="Globex")
    users = {role: UserFactory(email=f"{role.value}@acme.test") for role in Role}
    outsider = UserFactory(email="outsider@globex.test")
    with organization_scope(organization):
        for role, user in users.items():
            MembershipFactory(organization=organization, user=user, role=role)
    with organization_scope(other):
        MembershipFactory(organization=other, user=outsider, role=Role.ADMIN)
    return Personas(
        organization=organization,
        other_organization=other,
        admin=users[Role.ADMIN],
        editor=users[Role.EDITOR],
        approver=users[Role.APPROVER],
        manager=users[Role.MANAGER],
        ambassador=users[Role.AMBASSADOR],
        outsider=outsider,
    )


@pytest.fixture
def scoped(personas):
    """Run the test body inside the first organisation's scope."""
    with organization_scope(personas.organization):
        yield personas


def org_url(name: str, personas: Personas, *args) -> str:
    """The URL of an ``/o/<org>/`` page of the personas' organisation."""
    return reverse(name, args=[personas.organization.slug, *args])


@pytest.fixture
def admin_client(client, personas):
    client.force_login(personas.admin)
    return client
