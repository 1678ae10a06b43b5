"""``/api/v1/o/<org>/programmes/`` and ``programmes/<pk>/members/``."""

import pytest

from advocacy import services
from advocacy.models import AuditEntry, Membership, Organization, Programme, ProgrammeMember, User
from advocacy.roles import Role
from advocacy.tenancy import organization_scope
from tests.api.conftest import client_for
from tests.factories import OrganizationFactory, ProgrammeFactory

PROGRAMMES = "/api/v1/o/acme/programmes/"


@pytest.fixture
def tech(personas):
    """Programme "Tech" of acme, with the editor (programme admin) and the ambassador in it."""
    with organization_scope(personas.organization):
        programme = ProgrammeFactory(organization=personas.organization, name="Tech", slug="tech")
        for user, is_admin in [(personas.editor, True), (personas.ambassador, False)]:
            membership = Membership.objects.get(user=user)
            services.programme_set_member(programme=programme, membership=membership, is_admin=is_admin, by=None)
    return programme


@pytest.fixture
def foreign(personas):
    """A programme of globex, with its admin in it."""
    with organization_scope(personas.other_organization):
        programme = ProgrammeFactory(organization=personas.other_organization, name="Secret", slug="secret")
        membership = Membership.objects.get(user=personas.outsider)
        services.programme_set_member(programme=programme, membership=membership, is_admin=True, by=None)
    return programme


def detail(programme):
    return f"{PROGRAMMES}{programme.pk}/"


def members(programme):
    return f"{PROGRAMMES}{programme.pk}/members/"


def test_list_programmes_with_member_count(personas, admin, tech, foreign):
    with organization_scope(personas.organization):
        ProgrammeFactory(organization=personas.organization, name="Alpha", slug="alpha")
    response = admin.get(PROGRAMMES)
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(row["name"], row["member_count"]) for row in rows] == [("Alpha", 0), ("Tech", 2)]
    assert set(rows[1]) == {"id", "name", "slug", "description", "member_count", "created_at"}


def test_create_a_programme(personas, admin):
    response = admin.post(PROGRAMMES, {"name": "Sales", "slug": "sales", "description": "Deals"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert (body["name"], body["slug"], body["description"], body["member_count"]) == ("Sales", "sales", "Deals", 0)
    with organization_scope(personas.organization):
        programme = Programme.objects.get(slug="sales")
        assert AuditEntry.objects.filter(action="programme.created", object_id=str(programme.pk)).exists()
    assert programme.organization == personas.organization


def test_create_ignores_an_organisation_in_the_body(personas, admin):
    """T9: the organisation comes from the URL only."""
    payload = {"name": "Sales", "slug": "sales", "organization": personas.other_organization.pk, "member_count": 9}
    assert admin.post(PROGRAMMES, payload, format="json").status_code == 201
    with organization_scope(personas.organization):
        assert Programme.objects.get(slug="sales").organization_id == personas.organization.pk
    with organization_scope(personas.other_organization):
        assert not Programme.objects.exists()


def test_duplicate_slug_is_a_field_error(personas, admin, tech):
    response = admin.post(PROGRAMMES, {"name": "Tech again", "slug": "tech"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert list(body["errors"]) == ["slug"]
    assert body["message"]
    with organization_scope(personas.organization):
        assert Programme.objects.count() == 1


def test_the_same_slug_is_free_in_another_organisation(personas, admin, foreign):
    assert admin.post(PROGRAMMES, {"name": "Secret", "slug": "secret"}, format="json").status_code == 201


@pytest.mark.parametrize("payload", [{}, {"name": "", "slug": "x"}, {"name": "X", "slug": "Not A Slug"}])
def test_invalid_programme_is_a_400_with_field_errors(personas, admin, payload):
    response = admin.post(PROGRAMMES, payload, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]


def test_retrieve_update_and_delete(personas, admin, tech):
    assert admin.get(detail(tech)).json()["member_count"] == 2
    response = admin.patch(detail(tech), {"name": "Technology", "description": "Engineers"}, format="json")
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["slug"], response.json()["member_count"]) == (
        "Technology",
        "tech",
        2,
    )
    assert admin.delete(detail(tech)).status_code == 204
    with organization_scope(personas.organization):
        assert not Programme.objects.exists()
        assert not ProgrammeMember.objects.exists()
        assert AuditEntry.objects.filter(action="programme.deleted").exists()


def test_renaming_to_a_taken_slug_is_a_field_error(personas, admin, tech):
    with organization_scope(personas.organization):
        alpha = ProgrammeFactory(organization=personas.organization, slug="alpha")
    response = admin.patch(detail(alpha), {"slug": "tech"}, format="json")
    assert response.status_code == 400
    assert "slug" in response.json()["errors"]
    with organization_scope(personas.organization):
        assert Programme.objects.get(pk=alpha.pk).slug == "alpha"


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [
        (Role.ADMIN, 200, True),
        (Role.EDITOR, 200, False),
        (Role.MANAGER, 200, False),
        (Role.APPROVER, 403, False),
        (Role.AMBASSADOR, 403, False),
    ],
)
def test_role_matrix(personas, tech, role, read, write):
    client = client_for(getattr(personas, role.value))
    manager = personas.membership(personas.manager)
    ambassador = personas.membership(personas.ambassador)
    assert client.get(PROGRAMMES).status_code == read
    assert client.get(detail(tech)).status_code == read
    assert client.get(members(tech)).status_code == read
    responses = {
        "create": client.post(PROGRAMMES, {"name": "New", "slug": "new"}, format="json").status_code,
        "update": client.patch(detail(tech), {"name": "Renamed"}, format="json").status_code,
        "add": client.post(members(tech), {"membership": manager.pk}, format="json").status_code,
        "remove": client.delete(f"{members(tech)}{ambassador.pk}/").status_code,
    }
    if write:
        assert responses == {"create": 201, "update": 200, "add": 201, "remove": 204}
    else:
        assert set(responses.values()) == {403}
        with organization_scope(personas.organization):
            assert list(Programme.objects.values_list("name", flat=True)) == ["Tech"]
            assert ProgrammeMember.objects.count() == 2
    assert client.delete(detail(tech)).status_code == (204 if write else 403)


def test_outsider_gets_404_everywhere(personas, tech):
    outsider = client_for(personas.outsider)
    ambassador = personas.membership(personas.ambassador)
    assert outsider.get(PROGRAMMES).status_code == 404
    assert outsider.post(PROGRAMMES, {"name": "X", "slug": "x"}, format="json").status_code == 404
    assert outsider.get(detail(tech)).status_code == 404
    assert outsider.patch(detail(tech), {"name": "Pwned"}, format="json").status_code == 404
    assert outsider.delete(detail(tech)).status_code == 404
    assert outsider.get(members(tech)).status_code == 404
    assert outsider.post(members(tech), {"membership": ambassador.pk}, format="json").status_code == 404
    assert outsider.delete(f"{members(tech)}{ambassador.pk}/").status_code == 404
    with organization_scope(personas.organization):
        assert Programme.objects.get().name == "Tech"
        assert ProgrammeMember.objects.count() == 2


def test_another_organisations_programme_is_not_found(personas, admin, foreign):
    """T6/T7: globex's programme is invisible, unchangeable and its members unlisted through acme's URL."""
    assert foreign.pk not in [row["id"] for row in admin.get(PROGRAMMES).json()["results"]]
    assert admin.get(detail(foreign)).status_code == 404
    assert admin.patch(detail(foreign), {"name": "Pwned"}, format="json").status_code == 404
    assert admin.delete(detail(foreign)).status_code == 404
    assert admin.get(members(foreign)).status_code == 404
    ambassador = personas.membership(personas.ambassador)
    assert admin.post(members(foreign), {"membership": ambassador.pk}, format="json").status_code == 404
    with organization_scope(personas.other_organization):
        assert Programme.objects.get().name == "Secret"
        assert ProgrammeMember.objects.count() == 1


def test_list_programme_members(personas, admin, tech):
    response = admin.get(members(tech))
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(row["email"], row["is_admin"]) for row in rows] == [
        ("ambassador@acme.test", False),
        ("editor@acme.test", True),
    ]
    assert rows[0]["membership"] == personas.membership(personas.ambassador).pk
    assert set(rows[0]) == {"membership", "email", "full_name", "is_admin"}


def test_add_a_member_then_make_them_programme_admin(personas, admin, tech):
    manager = personas.membership(personas.manager)
    response = admin.post(members(tech), {"membership": manager.pk}, format="json")
    assert response.status_code == 201
    assert response.json() == {
        "membership": manager.pk,
        "email": "manager@acme.test",
        "full_name": personas.manager.full_name,
        "is_admin": False,
    }
    assert admin.post(members(tech), {"membership": manager.pk, "is_admin": True}, format="json").status_code == 201
    with organization_scope(personas.organization):
        link = ProgrammeMember.objects.get(programme=tech, membership=manager)
    assert link.is_admin
    assert admin.get(detail(tech)).json()["member_count"] == 3


def test_adding_another_organisations_member_creates_nothing(personas, admin, tech):
    """T6: a membership id of globex is "does not exist" here."""
    with organization_scope(personas.other_organization):
        foreign_member = Membership.objects.get(user=personas.outsider)
    response = admin.post(members(tech), {"membership": foreign_member.pk, "is_admin": True}, format="json")
    assert response.status_code == 400
    assert "membership" in response.json()["errors"]
    with organization_scope(personas.organization):
        assert ProgrammeMember.objects.count() == 2
    with organization_scope(personas.other_organization):
        assert ProgrammeMember.objects.count() == 0


@pytest.mark.parametrize("payload", [{}, {"membership": "abc"}, {"membership": 999999}, {"membership": None}])
def test_adding_a_member_needs_a_valid_membership(personas, admin, tech, payload):
    response = admin.post(members(tech), payload, format="json")
    assert response.status_code == 400
    assert "membership" in response.json()["errors"]


def test_remove_a_member_from_a_programme(personas, admin, tech):
    ambassador = personas.membership(personas.ambassador)
    assert admin.delete(f"{members(tech)}{ambassador.pk}/").status_code == 204
    with organization_scope(personas.organization):
        assert not ProgrammeMember.objects.filter(membership=ambassador).exists()
        assert Membership.objects.filter(pk=ambassador.pk).exists()
    assert admin.delete(f"{members(tech)}{ambassador.pk}/").status_code == 404


def test_removing_a_member_not_in_the_programme_is_404(personas, admin, tech, foreign):
    manager = personas.membership(personas.manager)
    assert admin.delete(f"{members(tech)}{manager.pk}/").status_code == 404
    with organization_scope(personas.other_organization):
        outsider = Membership.objects.get(user=personas.outsider)
    assert admin.delete(f"{members(tech)}{outsider.pk}/").status_code == 404
    with organization_scope(personas.other_organization):
        assert ProgrammeMember.objects.filter(membership=outsider).exists()


# --- Query counts -----------------------------------------------------------------------------------------------------


def _populate(organization: Organization, size: int) -> list[Programme]:
    users = User.objects.bulk_create(
        [User(email=f"m{n}@{organization.slug}.test", full_name=f"Member {n}") for n in range(size)]
    )
    with organization_scope(organization):
        memberships = Membership.objects.bulk_create(
            [Membership(organization=organization, user=user) for user in users]
        )
        # Named so the three programmes with members sort first, on the first page of 50.
        programmes = [
            ProgrammeFactory(organization=organization, name=f"Programme {n:02d}", slug=f"{organization.slug}-p{n}")
            for n in range(60)
        ]
        ProgrammeMember.objects.bulk_create(
            [
                ProgrammeMember(organization=organization, programme=programme, membership=membership)
                for membership in memberships
                for programme in programmes[:3]
            ]
        )
    return programmes


def test_lists_run_a_bounded_number_of_queries(personas, admin, django_assert_max_num_queries):
    programmes = _populate(personas.organization, 200)
    _populate(OrganizationFactory(slug="initech"), 200)
    with django_assert_max_num_queries(6):
        response = admin.get(PROGRAMMES)
    body = response.json()
    assert body["count"] == 60
    assert sorted(row["member_count"] for row in body["results"])[-3:] == [200, 200, 200]
    with django_assert_max_num_queries(7):
        response = admin.get(members(programmes[0]))
    assert response.json()["count"] == 200
    assert len(response.json()["results"]) == 50
