"""``/api/v1/o/<org>/members/``: list, search, change role or status, remove, invite."""

import pytest
from rest_framework.test import APIClient

from advocacy import services
from advocacy.models import AuditEntry, Invitation, Membership, Organization, ProgrammeMember, User
from advocacy.roles import Role
from advocacy.tenancy import organization_scope
from tests.api.conftest import client_for
from tests.content.factories import eager_celery
from tests.factories import InvitationFactory, MembershipFactory, OrganizationFactory, ProgrammeFactory

MEMBERS = "/api/v1/o/acme/members/"
INVITE = "/api/v1/o/acme/members/invite/"


def member_url(membership):
    return f"{MEMBERS}{membership.pk}/"


def test_list_shows_members_with_their_programmes(personas, admin):
    with organization_scope(personas.organization):
        tech = ProgrammeFactory(organization=personas.organization, name="Tech", slug="tech")
        services.programme_set_member(
            programme=tech, membership=personas.membership(personas.editor), is_admin=True, by=None
        )
    response = admin.get(MEMBERS)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 5
    editor = next(row for row in body["results"] if row["email"] == "editor@acme.test")
    assert set(editor) == {"id", "email", "full_name", "role", "status", "programmes", "created_at"}
    assert editor["role"] == "editor"
    assert editor["status"] == "active"
    assert editor["full_name"] == personas.editor.full_name
    assert editor["programmes"] == [{"id": tech.pk, "name": "Tech"}]


def test_list_never_shows_another_organisations_members(personas, admin):
    emails = {row["email"] for row in admin.get(MEMBERS).json()["results"]}
    assert "outsider@globex.test" not in emails
    assert emails == {f"{role.value}@acme.test" for role in Role}


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [
        (Role.ADMIN, 200, 200),
        (Role.MANAGER, 200, 403),
        (Role.EDITOR, 403, 403),
        (Role.APPROVER, 403, 403),
        (Role.AMBASSADOR, 403, 403),
    ],
)
def test_role_matrix(personas, role, read, write):
    client = client_for(getattr(personas, role.value))
    ambassador = personas.membership(personas.ambassador)
    assert client.get(MEMBERS).status_code == read
    assert client.get(member_url(ambassador)).status_code == read
    assert client.patch(member_url(ambassador), {"role": "editor"}, format="json").status_code == write
    assert client.post(INVITE, {"emails": "new@acme.test"}, format="json").status_code == (
        201 if write == 200 else write
    )
    assert client.delete(member_url(personas.membership(personas.approver))).status_code == (
        204 if write == 200 else write
    )
    if write != 200:
        assert personas.membership(personas.ambassador).role == Role.AMBASSADOR
        with organization_scope(personas.organization):
            assert Membership.objects.filter(user=personas.approver).exists()
            assert not Invitation.objects.exists()


def test_search_by_name_or_email(personas, admin):
    User.objects.filter(pk=personas.editor.pk).update(full_name="Zoé Martin")
    by_name = admin.get(MEMBERS, {"q": "zoé"}).json()["results"]
    assert [row["email"] for row in by_name] == ["editor@acme.test"]
    by_email = admin.get(MEMBERS, {"q": "APPROVER@"}).json()["results"]
    assert [row["email"] for row in by_email] == ["approver@acme.test"]


def test_filter_by_role_and_status(personas, admin):
    with organization_scope(personas.organization):
        Membership.objects.filter(user=personas.editor).update(status=Membership.Status.SUSPENDED)
    assert [row["email"] for row in admin.get(MEMBERS, {"role": "manager"}).json()["results"]] == ["manager@acme.test"]
    assert [row["email"] for row in admin.get(MEMBERS, {"status": "suspended"}).json()["results"]] == [
        "editor@acme.test"
    ]
    assert admin.get(MEMBERS, {"role": "admin", "status": "suspended"}).json()["count"] == 0


def test_unknown_filter_value_is_a_400_field_error(personas, admin):
    response = admin.get(MEMBERS, {"role": "overlord"})
    assert response.status_code == 400
    assert "role" in response.json()["errors"]
    assert "status" in admin.get(MEMBERS, {"status": "gone"}).json()["errors"]


def test_list_is_paginated(personas, admin):
    with organization_scope(personas.organization):
        MembershipFactory.create_batch(60, organization=personas.organization)
    first = admin.get(MEMBERS).json()
    assert first["count"] == 65
    assert len(first["results"]) == 50
    second = admin.get(first["next"]).json()
    assert len(second["results"]) == 15
    assert not {row["id"] for row in first["results"]} & {row["id"] for row in second["results"]}


def test_retrieve_a_member(personas, admin):
    manager = personas.membership(personas.manager)
    response = admin.get(member_url(manager))
    assert response.status_code == 200
    assert response.json()["email"] == "manager@acme.test"


def test_another_organisations_member_is_not_found(personas, admin):
    with organization_scope(personas.other_organization):
        foreign = Membership.objects.get(user=personas.outsider)
    assert admin.get(member_url(foreign)).status_code == 404
    assert admin.patch(member_url(foreign), {"role": "ambassador"}, format="json").status_code == 404
    assert admin.delete(member_url(foreign)).status_code == 404
    with organization_scope(personas.other_organization):
        assert Membership.objects.get(user=personas.outsider).role == Role.ADMIN


def test_outsider_gets_404_everywhere(personas):
    outsider = client_for(personas.outsider)
    ambassador = personas.membership(personas.ambassador)
    assert outsider.get(MEMBERS).status_code == 404
    assert outsider.get(member_url(ambassador)).status_code == 404
    assert outsider.patch(member_url(ambassador), {"role": "admin"}, format="json").status_code == 404
    assert outsider.delete(member_url(ambassador)).status_code == 404
    assert outsider.post(INVITE, {"emails": "x@globex.test"}, format="json").status_code == 404
    assert personas.membership(personas.ambassador).role == Role.AMBASSADOR


def test_change_role_goes_through_the_service_and_is_audited(personas, admin):
    ambassador = personas.membership(personas.ambassador)
    response = admin.patch(member_url(ambassador), {"role": "editor"}, format="json")
    assert response.status_code == 200
    assert response.json()["role"] == "editor"
    assert personas.membership(personas.ambassador).role == Role.EDITOR
    with organization_scope(personas.organization):
        entry = AuditEntry.objects.get(action="member.role_changed")
    assert entry.actor == personas.admin
    assert entry.data == {"from": "ambassador", "to": "editor"}


def test_suspend_and_reactivate(personas, admin):
    editor = personas.membership(personas.editor)
    assert admin.patch(member_url(editor), {"status": "suspended"}, format="json").json()["status"] == "suspended"
    assert personas.membership(personas.editor).status == Membership.Status.SUSPENDED
    assert admin.patch(member_url(editor), {"status": "active"}, format="json").json()["status"] == "active"
    assert personas.membership(personas.editor).status == Membership.Status.ACTIVE


def test_unknown_role_is_a_field_error(personas, admin):
    response = admin.patch(member_url(personas.membership(personas.editor)), {"role": "overlord"}, format="json")
    assert response.status_code == 400
    assert "role" in response.json()["errors"]
    assert personas.membership(personas.editor).role == Role.EDITOR


def test_read_only_fields_are_ignored(personas, admin):
    """T9: ``organization``, ``id``, ``email`` and ``created_at`` cannot be set through the API."""
    editor = personas.membership(personas.editor)
    payload = {
        "organization": personas.other_organization.pk,
        "id": 999999,
        "email": "hijack@evil.test",
        "created_at": "2000-01-01T00:00:00Z",
        "programmes": [{"id": 1, "name": "x"}],
    }
    response = admin.patch(member_url(editor), payload, format="json")
    assert response.status_code == 200
    after = personas.membership(personas.editor)
    assert (after.pk, after.organization_id, after.user.email, after.created_at) == (
        editor.pk,
        personas.organization.pk,
        "editor@acme.test",
        editor.created_at,
    )
    with organization_scope(personas.other_organization):
        assert Membership.objects.count() == 1


def test_ambassador_cannot_promote_or_reactivate_themselves(personas):
    """T9: the role and status of a membership are the admin's to set."""
    with organization_scope(personas.organization):
        Membership.objects.filter(user=personas.approver).update(status=Membership.Status.SUSPENDED)
    client = client_for(personas.ambassador)
    own = personas.membership(personas.ambassador)
    assert client.patch(member_url(own), {"role": "admin"}, format="json").status_code == 403
    approver = personas.membership(personas.approver)
    assert client.patch(member_url(approver), {"status": "active"}, format="json").status_code == 403
    assert personas.membership(personas.ambassador).role == Role.AMBASSADOR
    assert personas.membership(personas.approver).status == Membership.Status.SUSPENDED


@pytest.mark.parametrize(
    ("method", "payload"),
    [("patch", {"role": "editor"}), ("patch", {"status": "suspended"}), ("delete", None)],
)
def test_last_admin_cannot_be_demoted_suspended_or_removed(personas, admin, method, payload):
    own = personas.membership(personas.admin)
    response = getattr(admin, method)(member_url(own), payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "last_admin"
    assert body["message"]
    after = personas.membership(personas.admin)
    assert (after.role, after.status) == (Role.ADMIN, Membership.Status.ACTIVE)


def test_refused_status_change_keeps_the_role_unchanged(personas, admin):
    own = personas.membership(personas.admin)
    response = admin.patch(member_url(own), {"role": "admin", "status": "suspended"}, format="json")
    assert response.status_code == 400
    assert personas.membership(personas.admin).status == Membership.Status.ACTIVE


def test_admin_can_step_down_once_another_admin_exists(personas, admin):
    assert (
        admin.patch(member_url(personas.membership(personas.manager)), {"role": "admin"}, format="json").status_code
        == 200
    )
    own = personas.membership(personas.admin)
    assert admin.patch(member_url(own), {"role": "editor"}, format="json").status_code == 200
    assert personas.membership(personas.admin).role == Role.EDITOR


def test_remove_a_member_keeps_their_account(personas, admin):
    response = admin.delete(member_url(personas.membership(personas.approver)))
    assert response.status_code == 204
    with organization_scope(personas.organization):
        assert not Membership.objects.filter(user=personas.approver).exists()
        assert AuditEntry.objects.filter(action="member.removed").exists()
    assert User.objects.filter(pk=personas.approver.pk).exists()


# --- Invitations ------------------------------------------------------------------------------------------------------


def test_invite_reports_each_address(personas, admin):
    with organization_scope(personas.organization):
        InvitationFactory(organization=personas.organization, email="pending@acme.test")
    payload = {
        "emails": ["New@Acme.test", "editor@acme.test", "pending@acme.test", "not-an-address@", "new@acme.test"],
        "role": "editor",
    }
    response = admin.post(INVITE, payload, format="json")
    assert response.status_code == 201
    assert response.json() == {
        "invited": ["new@acme.test"],
        "already_members": ["editor@acme.test"],
        "already_invited": ["pending@acme.test"],
        "invalid": ["not-an-address@"],
    }
    with organization_scope(personas.organization):
        invitation = Invitation.objects.get(email="new@acme.test")
    assert (invitation.role, invitation.invited_by, invitation.programme) == (Role.EDITOR, personas.admin, None)


def test_invite_accepts_a_pasted_list(personas, admin):
    response = admin.post(INVITE, {"emails": "Ana <ana@acme.test>, bo@acme.test; cy@acme.test"}, format="json")
    assert response.status_code == 201
    assert response.json()["invited"] == ["ana@acme.test", "bo@acme.test", "cy@acme.test"]
    with organization_scope(personas.organization):
        assert set(Invitation.objects.values_list("role", flat=True)) == {Role.AMBASSADOR}


def test_invite_into_a_programme(personas, admin):
    with organization_scope(personas.organization):
        tech = ProgrammeFactory(organization=personas.organization, slug="tech")
    response = admin.post(INVITE, {"emails": ["ana@acme.test"], "programme": tech.pk}, format="json")
    assert response.status_code == 201
    with organization_scope(personas.organization):
        assert Invitation.objects.get(email="ana@acme.test").programme == tech


def test_invite_with_an_unknown_role_is_a_field_error(personas, admin):
    response = admin.post(INVITE, {"emails": ["ana@acme.test"], "role": "overlord"}, format="json")
    assert response.status_code == 400
    assert "role" in response.json()["errors"]
    with organization_scope(personas.organization):
        assert not Invitation.objects.exists()


def test_invite_into_another_organisations_programme_creates_nothing(personas, admin):
    """T6: a programme id of another organisation is unknown here."""
    with organization_scope(personas.other_organization):
        foreign = ProgrammeFactory(organization=personas.other_organization, slug="secret")
    response = admin.post(INVITE, {"emails": ["ana@acme.test"], "programme": foreign.pk}, format="json")
    assert response.status_code == 400
    assert "programme" in response.json()["errors"]
    with organization_scope(personas.organization):
        assert not Invitation.objects.exists()
    with organization_scope(personas.other_organization):
        assert not Invitation.objects.exists()


@pytest.mark.parametrize("emails", ["", "   ", [], None, 42, [1, 2]])
def test_invite_without_addresses_is_a_field_error(personas, admin, emails):
    response = admin.post(INVITE, {"emails": emails}, format="json")
    assert response.status_code == 400
    assert "emails" in response.json()["errors"]


def test_invite_with_a_token_has_no_personal_inviter(personas, django_capture_on_commit_callbacks, mailoutbox):
    with organization_scope(personas.organization):
        _token, raw = services.api_token_create(organization=personas.organization, name="hr", role="admin", by=None)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    with eager_celery(), django_capture_on_commit_callbacks(execute=True):
        assert client.post(INVITE, {"emails": "ana@acme.test"}, format="json").status_code == 201
    with organization_scope(personas.organization):
        assert Invitation.objects.get(email="ana@acme.test").invited_by is None
    assert [message.to for message in mailoutbox] == [["ana@acme.test"]]
    assert "Acme" in mailoutbox[0].subject


def test_invite_is_throttled_with_retry_after(personas, admin):
    """W9. DRF throttles are approximate, so the test asserts bounds around the 30/hour quota."""
    statuses = []
    for _attempt in range(40):
        response = admin.post(INVITE, {"emails": ""}, format="json")
        statuses.append(response.status_code)
        if response.status_code == 429:
            break
    assert statuses[-1] == 429
    assert 25 <= statuses.index(429) <= 35
    assert int(response["Retry-After"]) > 0
    assert response.json()["code"] == "throttled"
    # The quota is per user: another admin of the organisation still invites.
    with organization_scope(personas.organization):
        Membership.objects.filter(user=personas.manager).update(role=Role.ADMIN)
    assert client_for(personas.manager).post(INVITE, {"emails": "ana@acme.test"}, format="json").status_code == 201


def test_reading_members_is_not_throttled_like_invitations(personas, admin):
    for _attempt in range(40):
        assert admin.get(MEMBERS).status_code == 200


# --- Query counts -----------------------------------------------------------------------------------------------------


def _populate(organization: Organization, size: int) -> None:
    users = User.objects.bulk_create(
        [User(email=f"m{n}@{organization.slug}.test", full_name=f"Member {n}") for n in range(size)]
    )
    with organization_scope(organization):
        memberships = Membership.objects.bulk_create(
            [Membership(organization=organization, user=user) for user in users]
        )
        programmes = [ProgrammeFactory(organization=organization, slug=f"{organization.slug}-p{n}") for n in range(3)]
        ProgrammeMember.objects.bulk_create(
            [
                ProgrammeMember(organization=organization, programme=programme, membership=membership)
                for membership in memberships
                for programme in programmes
            ]
        )


def test_members_list_runs_a_bounded_number_of_queries(personas, admin, django_assert_max_num_queries):
    _populate(personas.organization, 200)
    _populate(OrganizationFactory(slug="initech"), 200)
    with django_assert_max_num_queries(7):
        response = admin.get(MEMBERS)
    body = response.json()
    assert body["count"] == 205
    with_programmes = [row for row in body["results"] if row["programmes"]]
    assert with_programmes
    assert all(len(row["programmes"]) == 3 for row in with_programmes)
    with django_assert_max_num_queries(7):
        assert admin.get(MEMBERS, {"q": "member 1", "page": 2}).status_code == 200
