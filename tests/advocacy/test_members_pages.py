import pytest
from django.contrib.auth.hashers import make_password
from django.urls import reverse

from advocacy.models import AuditEntry, Invitation, Membership, Organization, Programme, ProgrammeMember, User
from advocacy.roles import Role
from advocacy.tenancy import organization_scope
from tests.conftest import org_url as url
from tests.factories import InvitationFactory, MembershipFactory, ProgrammeFactory, UserFactory

pytestmark = pytest.mark.django_db


def seed_members(organization: Organization, count: int, prefix: str) -> list[Programme]:
    """``count`` members in ``organization``, spread over three programmes, created in bulk for speed."""
    password = make_password("unused")
    users = User.objects.bulk_create(
        User(email=f"{prefix}{n}@example.test", full_name=f"{prefix.title()} {n:03d}", password=password)
        for n in range(count)
    )
    with organization_scope(organization):
        programmes = [
            ProgrammeFactory(organization=organization, name=f"{prefix} programme {n}", slug=f"{prefix}-p{n}")
            for n in range(3)
        ]
        memberships = Membership.objects.bulk_create(
            Membership(organization=organization, user=user, role=Role.AMBASSADOR) for user in users
        )
        ProgrammeMember.objects.bulk_create(
            ProgrammeMember(organization=organization, programme=programmes[n % 3], membership=membership)
            for n, membership in enumerate(memberships)
        )
        ProgrammeMember.objects.bulk_create(
            ProgrammeMember(organization=organization, programme=programmes[(n + 1) % 3], membership=membership)
            for n, membership in enumerate(memberships)
            if n % 2 == 0
        )
    return programmes


@pytest.fixture
def target(personas):
    """An ambassador the admin acts on."""
    with organization_scope(personas.organization):
        return MembershipFactory(
            organization=personas.organization, user=UserFactory(email="target@acme.test", full_name="Tess Target")
        )


@pytest.fixture
def invitation(personas):
    with organization_scope(personas.organization):
        return InvitationFactory(organization=personas.organization, email="pending@acme.test")


def member_urls(personas, target, invitation):
    return [
        ("get", url("members", personas)),
        ("get", url("member_invite", personas)),
        ("post", url("member_invite", personas)),
        ("get", url("member_detail", personas, target.pk)),
        ("post", url("member_change_role", personas, target.pk)),
        ("post", url("member_suspend", personas, target.pk)),
        ("post", url("member_reactivate", personas, target.pk)),
        ("get", url("member_remove", personas, target.pk)),
        ("post", url("member_remove", personas, target.pk)),
        ("get", url("invitation_revoke", personas, invitation.pk)),
        ("post", url("invitation_revoke", personas, invitation.pk)),
    ]


def test_outsider_gets_404_on_every_members_page_and_action(client, personas, target, invitation):
    client.force_login(personas.outsider)
    for method, address in member_urls(personas, target, invitation):
        response = getattr(client, method)(address, {"role": "admin", "emails": "x@example.test"})
        assert response.status_code == 404, (method, address)
    with organization_scope(personas.organization):
        assert Membership.objects.get(pk=target.pk).role == Role.AMBASSADOR
        assert Invitation.objects.get(pk=invitation.pk).revoked_at is None


def test_anonymous_visitor_is_sent_to_sign_in(client, personas, target, invitation):
    for method, address in member_urls(personas, target, invitation):
        response = getattr(client, method)(address)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_outsider_cannot_see_another_organisations_member_by_id(client, personas):
    with organization_scope(personas.other_organization):
        foreign = Membership.objects.get(user=personas.outsider)
    client.force_login(personas.admin)
    assert client.get(url("member_detail", personas, foreign.pk)).status_code == 404
    assert client.post(url("member_suspend", personas, foreign.pk)).status_code == 404
    with organization_scope(personas.other_organization):
        assert Membership.objects.get(pk=foreign.pk).status == Membership.Status.ACTIVE


# List


def test_members_list_shows_each_member_with_programmes_and_pending_invitations(admin_client, personas, invitation):
    with organization_scope(personas.organization):
        programme = ProgrammeFactory(organization=personas.organization, name="Sales voices")
        ProgrammeMember.objects.create(
            organization=personas.organization, programme=programme, membership=personas.membership(personas.editor)
        )
    response = admin_client.get(url("members", personas))
    assert response.status_code == 200
    body = response.content.decode()
    for role in Role:
        assert f"{role.value}@acme.test" in body
    assert "Sales voices" in body
    assert "pending@acme.test" in body
    assert url("invitation_revoke", personas, invitation.pk) in body
    assert "outsider@globex.test" not in body


def test_members_list_search_matches_name_or_email(admin_client, personas, target):
    by_name = admin_client.get(url("members", personas), {"q": "tess"})
    assert [m.pk for m in by_name.context["members"]] == [target.pk]
    by_email = admin_client.get(url("members", personas), {"q": "approver@"})
    assert [m.user.email for m in by_email.context["members"]] == ["approver@acme.test"]


def test_members_list_filters_by_role_status_and_programme(admin_client, personas, target):
    with organization_scope(personas.organization):
        Membership.objects.filter(pk=target.pk).update(status=Membership.Status.SUSPENDED)
        programme = ProgrammeFactory(organization=personas.organization)
        ProgrammeMember.objects.create(
            organization=personas.organization, programme=programme, membership=personas.membership(personas.manager)
        )
    page = admin_client.get(url("members", personas), {"role": "editor"})
    assert [m.user.email for m in page.context["members"]] == ["editor@acme.test"]
    page = admin_client.get(url("members", personas), {"status": "suspended"})
    assert [m.pk for m in page.context["members"]] == [target.pk]
    page = admin_client.get(url("members", personas), {"programme": programme.pk})
    assert [m.user.email for m in page.context["members"]] == ["manager@acme.test"]


def test_members_list_sorts_by_joined_date(admin_client, personas, target):
    newest_first = admin_client.get(url("members", personas), {"sort": "-joined"}).context["members"]
    assert newest_first[0].pk == target.pk
    oldest_first = admin_client.get(url("members", personas), {"sort": "joined"}).context["members"]
    assert oldest_first[len(oldest_first) - 1].pk == target.pk


def test_members_list_ignores_an_invalid_filter_with_a_message(admin_client, personas):
    response = admin_client.get(url("members", personas), {"role": "emperor", "programme": "abc", "page": "zz"})
    assert response.status_code == 200
    assert response.context["filter_form"].errors.keys() == {"role", "programme"}
    assert len(response.context["members"]) == len(Role)


def test_members_list_paginates_by_50_and_keeps_filters_in_page_links(admin_client, personas):
    seed_members(personas.organization, 60, "bulk")
    response = admin_client.get(url("members", personas), {"q": "bulk", "sort": "name"})
    assert len(response.context["members"]) == 50
    assert "?q=bulk&amp;sort=name&amp;page=2" in response.content.decode()
    second = admin_client.get(url("members", personas), {"q": "bulk", "sort": "name", "page": 2})
    assert len(second.context["members"]) == 10
    beyond = admin_client.get(url("members", personas), {"q": "bulk", "page": 99})
    assert beyond.status_code == 200
    assert beyond.context["page_obj"].number == 2


def test_members_list_query_count_does_not_grow_with_members(admin_client, personas, django_assert_max_num_queries):
    seed_members(personas.organization, 200, "acme")
    seed_members(personas.other_organization, 200, "globex")
    with organization_scope(personas.organization):
        InvitationFactory.create_batch(5, organization=personas.organization)
    with django_assert_max_num_queries(11):  # with the top bar's bell
        response = admin_client.get(url("members", personas))
    assert response.status_code == 200
    assert response.context["paginator"].count == 200 + len(Role)
    assert "globex" not in response.content.decode()


# Invitations


def test_invite_reports_invited_members_pending_and_invalid_addresses(admin_client, personas, invitation):
    pasted = (
        "Jane Doe <jane@new.test>, bob@new.test\n"
        "editor@acme.test; pending@acme.test\n"
        "not-an-address@, also@bad\n"
        "JANE@new.test"
    )
    response = admin_client.post(url("member_invite", personas), {"emails": pasted, "role": "editor"})
    assert response.status_code == 200
    result = response.context["result"]
    assert result.invited == ["jane@new.test", "bob@new.test"]
    assert result.already_members == ["editor@acme.test"]
    assert result.already_invited == ["pending@acme.test"]
    assert result.invalid == ["not-an-address@", "also@bad"]
    # the invalid addresses come back in the form, to be corrected
    assert "not-an-address@\nalso@bad" in response.content.decode()
    with organization_scope(personas.organization):
        created = Invitation.objects.filter(email__in=["jane@new.test", "bob@new.test"])
        assert {i.role for i in created} == {Role.EDITOR}
        assert AuditEntry.objects.filter(action="invitation.sent").count() == 2


def test_invite_with_a_programme_attaches_it(admin_client, personas):
    with organization_scope(personas.organization):
        programme = ProgrammeFactory(organization=personas.organization)
    admin_client.post(
        url("member_invite", personas), {"emails": "p@new.test", "role": "ambassador", "programme": programme.pk}
    )
    with organization_scope(personas.organization):
        assert Invitation.objects.get(email="p@new.test").programme == programme


def test_invite_with_a_wrong_role_is_a_field_error_and_keeps_the_text(admin_client, personas):
    response = admin_client.post(url("member_invite", personas), {"emails": "a@new.test, b@new.test", "role": "king"})
    assert response.status_code == 400
    assert "role" in response.context["form"].errors
    assert "a@new.test, b@new.test" in response.content.decode()
    with organization_scope(personas.organization):
        assert not Invitation.objects.exists()


def test_invite_with_only_invalid_addresses_lists_them(admin_client, personas):
    response = admin_client.post(url("member_invite", personas), {"emails": "nope@, @nothing", "role": "ambassador"})
    assert response.status_code == 400
    error = response.context["form"].errors["emails"][0]
    assert "nope@" in error and "@nothing" in error


def test_invite_with_an_empty_list_asks_for_addresses(admin_client, personas):
    response = admin_client.post(url("member_invite", personas), {"emails": "   ", "role": "ambassador"})
    assert response.status_code == 400
    assert "emails" in response.context["form"].errors


def test_invite_refuses_another_organisations_programme(admin_client, personas):
    with organization_scope(personas.other_organization):
        foreign = ProgrammeFactory(organization=personas.other_organization)
    response = admin_client.post(
        url("member_invite", personas), {"emails": "p@new.test", "role": "ambassador", "programme": foreign.pk}
    )
    assert response.status_code == 400
    assert "programme" in response.context["form"].errors
    with organization_scope(personas.organization):
        assert not Invitation.objects.exists()


def test_revoking_an_invitation_asks_first_then_revokes(admin_client, personas, invitation):
    confirm = admin_client.get(url("invitation_revoke", personas, invitation.pk))
    assert confirm.status_code == 200
    assert "pending@acme.test" in confirm.content.decode()
    response = admin_client.post(url("invitation_revoke", personas, invitation.pk))
    assert response.status_code == 302
    with organization_scope(personas.organization):
        assert Invitation.objects.get(pk=invitation.pk).revoked_at is not None
        assert AuditEntry.objects.filter(action="invitation.revoked").exists()
    # a revoked invitation is no longer pending: nothing to revoke twice
    assert admin_client.post(url("invitation_revoke", personas, invitation.pk)).status_code == 404


# Member detail and actions


def test_member_detail_shows_the_member_and_the_admin_actions(admin_client, personas, target):
    response = admin_client.get(url("member_detail", personas, target.pk))
    assert response.status_code == 200
    body = response.content.decode()
    assert "target@acme.test" in body
    assert url("member_change_role", personas, target.pk) in body
    # Removal is confirmed in a dialog that posts to the confirmation page, itself the fallback without a script.
    remove_url = url("member_remove", personas, target.pk)
    assert f'<form class="modal-content" method="post" action="{remove_url}">' in body
    assert f'href="{remove_url}" data-bs-toggle="modal"' in body


def test_manager_reads_member_detail_without_actions(client, personas, target):
    client.force_login(personas.manager)
    response = client.get(url("member_detail", personas, target.pk))
    assert response.status_code == 200
    assert url("member_change_role", personas, target.pk) not in response.content.decode()


def test_changing_a_role_saves_audits_and_says_so(admin_client, personas, target):
    response = admin_client.post(url("member_change_role", personas, target.pk), {"role": "editor"}, follow=True)
    assert "Tess Target now has the role “Editor”." in response.content.decode()
    with organization_scope(personas.organization):
        assert Membership.objects.get(pk=target.pk).role == Role.EDITOR
        entry = AuditEntry.objects.get(action="member.role_changed")
        assert entry.data == {"from": "ambassador", "to": "editor"}
        assert entry.actor == personas.admin


def test_changing_a_role_with_htmx_answers_the_form_fragment(admin_client, personas, target):
    response = admin_client.post(
        url("member_change_role", personas, target.pk), {"role": "manager"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith("<form")
    assert "<html" not in body
    assert "Tess Target now has the role “Manager”." in body


def test_a_wrong_role_name_is_a_field_error(admin_client, personas, target):
    response = admin_client.post(url("member_change_role", personas, target.pk), {"role": "overlord"})
    assert response.status_code == 400
    assert "role" in response.context["role_form"].errors
    with organization_scope(personas.organization):
        assert Membership.objects.get(pk=target.pk).role == Role.AMBASSADOR


def test_the_last_admin_cannot_be_demoted(admin_client, personas):
    admin = personas.membership(personas.admin)
    response = admin_client.post(url("member_change_role", personas, admin.pk), {"role": "editor"})
    assert response.status_code == 400
    assert "last administrator" in response.content.decode()
    htmx = admin_client.post(
        url("member_change_role", personas, admin.pk), {"role": "editor"}, headers={"HX-Request": "true"}
    )
    assert htmx.status_code == 200
    assert "last administrator" in htmx.content.decode()
    with organization_scope(personas.organization):
        assert Membership.objects.get(pk=admin.pk).role == Role.ADMIN


def test_the_last_admin_cannot_be_suspended_or_removed(admin_client, personas):
    admin = personas.membership(personas.admin)
    suspended = admin_client.post(url("member_suspend", personas, admin.pk), follow=True)
    assert "last administrator" in suspended.content.decode()
    removed = admin_client.post(url("member_remove", personas, admin.pk), follow=True)
    assert removed.status_code == 200
    assert "last administrator" in removed.content.decode()
    with organization_scope(personas.organization):
        assert Membership.objects.get(pk=admin.pk).status == Membership.Status.ACTIVE


def test_suspend_then_reactivate(admin_client, personas, target):
    response = admin_client.post(url("member_suspend", personas, target.pk), follow=True)
    assert "Tess Target is suspended." in response.content.decode()
    with organization_scope(personas.organization):
        assert Membership.objects.get(pk=target.pk).status == Membership.Status.SUSPENDED
    response = admin_client.post(url("member_reactivate", personas, target.pk), follow=True)
    assert "Tess Target is active again." in response.content.decode()
    with organization_scope(personas.organization):
        assert Membership.objects.get(pk=target.pk).status == Membership.Status.ACTIVE
        assert list(
            AuditEntry.objects.filter(object_id=str(target.pk)).order_by("created_at").values_list("action", flat=True)
        ) == ["member.suspended", "member.reactivated"]


def test_removing_a_member_asks_first_then_removes(admin_client, personas, target):
    confirm = admin_client.get(url("member_remove", personas, target.pk))
    assert confirm.status_code == 200
    assert "Tess Target" in confirm.content.decode()
    with organization_scope(personas.organization):
        assert Membership.objects.filter(pk=target.pk).exists()
    response = admin_client.post(url("member_remove", personas, target.pk), follow=True)
    assert "Tess Target was removed from the organisation." in response.content.decode()
    with organization_scope(personas.organization):
        assert not Membership.objects.filter(pk=target.pk).exists()
        assert AuditEntry.objects.get(action="member.removed").data["email"] == "target@acme.test"
    assert User.objects.filter(email="target@acme.test").exists()


def test_the_invite_form_shows_its_example_address_as_text(admin_client, personas):
    body = admin_client.get(url("member_invite", personas)).content.decode()
    assert "Name &lt;name@example.com&gt;" in body


def test_pending_invitations_lead_to_their_revocation_and_only_admins_are_offered_to_invite(client, personas):
    with organization_scope(personas.organization):
        invitation = InvitationFactory(organization=personas.organization, email="newcomer@acme.test")
    client.force_login(personas.admin)
    body = client.get(url("members", personas)).content.decode()
    revoke = reverse("invitation_revoke", args=[personas.organization.slug, invitation.pk])
    assert f'href="{revoke}">Revoke…<span class="visually-hidden"> newcomer@acme.test</span>' in body
    assert "<td>" not in body  # every cell names its column for the stacked phone layout

    with organization_scope(personas.organization):
        Invitation.objects.filter(pk=invitation.pk).delete()
    client.force_login(personas.manager)
    body = client.get(url("members", personas)).content.decode()
    assert "No pending invitation." in body
    assert reverse("member_invite", args=[personas.organization.slug]) not in body
