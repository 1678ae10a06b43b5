"""Role matrix of the organisation admin pages (T8): each role gets exactly what DESIGN.md's table says.

The expected roles are written out here rather than read from ``advocacy.roles.PERMISSIONS``, so a change to
the table that breaks the design fails this test.
"""

from dataclasses import dataclass

import pytest
from django.urls import reverse

from advocacy.models import Membership, ProgrammeMember
from advocacy.roles import Role
from advocacy.tenancy import organization_scope
from tests.factories import ApiTokenFactory, InvitationFactory, MembershipFactory, ProgrammeFactory, UserFactory

pytestmark = pytest.mark.django_db

ADMIN = {Role.ADMIN}
MEMBER_READERS = {Role.ADMIN, Role.MANAGER}
PROGRAMME_READERS = {Role.ADMIN, Role.EDITOR, Role.MANAGER}


@dataclass
class Objects:
    target: Membership
    programme_pk: int
    invitation_pk: int
    token_pk: int


@pytest.fixture
def objects(personas):
    organization = personas.organization
    with organization_scope(organization):
        target = MembershipFactory(organization=organization, user=UserFactory(email="target@acme.test"))
        programme = ProgrammeFactory(organization=organization, slug="matrix")
        ProgrammeMember.objects.create(organization=organization, programme=programme, membership=target)
        invitation = InvitationFactory(organization=organization)
        token = ApiTokenFactory(organization=organization)
    return Objects(target=target, programme_pk=programme.pk, invitation_pk=invitation.pk, token_pk=token.pk)


# (url name, args from the objects, method, POST data, roles allowed)
MATRIX = [
    ("members", lambda o: [], "get", None, MEMBER_READERS),
    ("member_detail", lambda o: [o.target.pk], "get", None, MEMBER_READERS),
    ("member_invite", lambda o: [], "get", None, ADMIN),
    ("member_invite", lambda o: [], "post", {"emails": "new@new.test", "role": "ambassador"}, ADMIN),
    ("member_change_role", lambda o: [o.target.pk], "post", {"role": "editor"}, ADMIN),
    ("member_suspend", lambda o: [o.target.pk], "post", {}, ADMIN),
    ("member_reactivate", lambda o: [o.target.pk], "post", {}, ADMIN),
    ("member_remove", lambda o: [o.target.pk], "get", None, ADMIN),
    ("member_remove", lambda o: [o.target.pk], "post", {}, ADMIN),
    ("invitation_revoke", lambda o: [o.invitation_pk], "get", None, ADMIN),
    ("invitation_revoke", lambda o: [o.invitation_pk], "post", {}, ADMIN),
    ("programmes", lambda o: [], "get", None, PROGRAMME_READERS),
    ("programme_detail", lambda o: [o.programme_pk], "get", None, PROGRAMME_READERS),
    ("programme_create", lambda o: [], "get", None, ADMIN),
    ("programme_create", lambda o: [], "post", {"name": "New", "slug": "new"}, ADMIN),
    ("programme_edit", lambda o: [o.programme_pk], "get", None, ADMIN),
    ("programme_edit", lambda o: [o.programme_pk], "post", {"name": "Renamed", "slug": "matrix"}, ADMIN),
    ("programme_delete", lambda o: [o.programme_pk], "get", None, ADMIN),
    ("programme_delete", lambda o: [o.programme_pk], "post", {}, ADMIN),
    ("programme_member_add", lambda o: [o.programme_pk], "post", "ambassador", ADMIN),
    ("programme_member_admin", lambda o: [o.programme_pk, o.target.pk], "post", {"is_admin": "1"}, ADMIN),
    ("programme_member_remove", lambda o: [o.programme_pk, o.target.pk], "get", None, ADMIN),
    ("programme_member_remove", lambda o: [o.programme_pk, o.target.pk], "post", {}, ADMIN),
    ("org_settings", lambda o: [], "get", None, ADMIN),
    (
        "org_settings",
        lambda o: [],
        "post",
        {"name": "Acme", "language": "en", "time_zone": "UTC", "brand_colour": "#000000"},
        ADMIN,
    ),
    ("api_tokens", lambda o: [], "get", None, ADMIN),
    ("api_tokens", lambda o: [], "post", {"name": "CI", "role": "manager"}, ADMIN),
    ("api_token_revoke", lambda o: [o.token_pk], "get", None, ADMIN),
    ("api_token_revoke", lambda o: [o.token_pk], "post", {}, ADMIN),
    ("audit_log", lambda o: [], "get", None, ADMIN),
]


def _case_id(case):
    return f"{case[2]}-{case[0]}"


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
@pytest.mark.parametrize("case", MATRIX, ids=[_case_id(c) for c in MATRIX])
def test_each_role_gets_exactly_what_the_permission_table_allows(client, personas, objects, role, case):
    name, args, method, data, allowed = case
    if data == "ambassador":
        data = {"membership": personas.membership(personas.ambassador).pk}
    user = getattr(personas, role.value)
    client.force_login(user)
    address = reverse(name, args=[personas.organization.slug, *args(objects)])
    response = client.get(address) if method == "get" else client.post(address, data)
    if role in allowed:
        expected = {200} if method == "get" else {200, 302}
        assert response.status_code in expected, response.content.decode()[:500]
    else:
        assert response.status_code == 403


def test_a_refused_action_changes_nothing(client, personas, objects):
    client.force_login(personas.manager)
    assert client.post(reverse("member_remove", args=["acme", objects.target.pk])).status_code == 403
    assert (
        client.post(reverse("member_change_role", args=["acme", objects.target.pk]), {"role": "admin"}).status_code
        == 403
    )
    with organization_scope(personas.organization):
        assert Membership.objects.get(pk=objects.target.pk).role == Role.AMBASSADOR


def test_a_suspended_admin_can_no_longer_administer(client, personas, objects):
    with organization_scope(personas.organization):
        MembershipFactory(organization=personas.organization, user=UserFactory(email="admin2@acme.test"), role="admin")
        Membership.objects.filter(user=personas.admin).update(status=Membership.Status.SUSPENDED)
    client.force_login(personas.admin)
    assert client.get(reverse("members", args=["acme"])).status_code == 403
    assert client.post(reverse("member_remove", args=["acme", objects.target.pk])).status_code == 403
    with organization_scope(personas.organization):
        assert Membership.objects.filter(pk=objects.target.pk).exists()


def test_an_unknown_organisation_answers_like_a_foreign_one(client, personas):
    client.force_login(personas.admin)
    assert client.get(reverse("members", args=["no-such-org"])).status_code == 404
    assert client.get(reverse("members", args=["globex"])).status_code == 404
