import re

import pytest
from django.urls import reverse

from advocacy.models import AuditEntry, Membership, Programme, ProgrammeMember
from advocacy.tenancy import organization_scope
from tests.advocacy.test_members_pages import seed_members
from tests.conftest import org_url as url
from tests.factories import ProgrammeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def programme(personas):
    with organization_scope(personas.organization):
        programme = ProgrammeFactory(organization=personas.organization, name="Engineering", slug="engineering")
        ProgrammeMember.objects.create(
            organization=personas.organization, programme=programme, membership=personas.membership(personas.editor)
        )
        return programme


def links(programme):
    with organization_scope(programme.organization):
        return {
            (link.membership.user.email, link.is_admin)
            for link in ProgrammeMember.objects.filter(programme=programme).select_related("membership__user")
        }


def programme_urls(personas, programme):
    editor = personas.membership(personas.editor)
    return [
        ("get", url("programmes", personas)),
        ("get", url("programme_create", personas)),
        ("post", url("programme_create", personas)),
        ("get", url("programme_detail", personas, programme.pk)),
        ("get", url("programme_edit", personas, programme.pk)),
        ("post", url("programme_edit", personas, programme.pk)),
        ("get", url("programme_delete", personas, programme.pk)),
        ("post", url("programme_delete", personas, programme.pk)),
        ("post", url("programme_member_add", personas, programme.pk)),
        ("post", url("programme_member_admin", personas, programme.pk, editor.pk)),
        ("get", url("programme_member_remove", personas, programme.pk, editor.pk)),
        ("post", url("programme_member_remove", personas, programme.pk, editor.pk)),
    ]


def test_outsider_gets_404_on_every_programme_page_and_action(client, personas, programme):
    client.force_login(personas.outsider)
    for method, address in programme_urls(personas, programme):
        response = getattr(client, method)(address, {"name": "Hijack", "slug": "hijack", "is_admin": "1"})
        assert response.status_code == 404, (method, address)
    with organization_scope(personas.organization):
        assert Programme.objects.get(pk=programme.pk).name == "Engineering"
        assert not Programme.objects.filter(slug="hijack").exists()
    assert links(programme) == {("editor@acme.test", False)}


def test_anonymous_visitor_is_sent_to_sign_in(client, personas, programme):
    for method, address in programme_urls(personas, programme):
        response = getattr(client, method)(address)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_another_organisations_programme_is_not_found(admin_client, personas):
    with organization_scope(personas.other_organization):
        foreign = ProgrammeFactory(organization=personas.other_organization)
    assert admin_client.get(url("programme_detail", personas, foreign.pk)).status_code == 404
    assert admin_client.post(url("programme_delete", personas, foreign.pk)).status_code == 404
    with organization_scope(personas.other_organization):
        assert Programme.objects.filter(pk=foreign.pk).exists()


def test_programme_list_shows_member_counts(admin_client, personas, programme):
    with organization_scope(personas.organization):
        ProgrammeFactory(organization=personas.organization, name="Empty one")
    response = admin_client.get(url("programmes", personas))
    counts = {p.name: p.member_count for p in response.context["programmes"]}
    assert counts == {"Engineering": 1, "Empty one": 0}


def test_programme_list_query_count_is_bounded(admin_client, personas, django_assert_max_num_queries):
    seed_members(personas.organization, 200, "acme")
    seed_members(personas.other_organization, 200, "globex")
    with django_assert_max_num_queries(8):
        response = admin_client.get(url("programmes", personas))
    counts = [p.member_count for p in response.context["programmes"]]
    assert len(counts) == 3
    assert sum(counts) == 300  # 200 members, half of them in two programmes
    assert "globex" not in response.content.decode()


def test_programme_detail_query_count_is_bounded(admin_client, personas, django_assert_max_num_queries):
    programmes = seed_members(personas.organization, 200, "acme")
    seed_members(personas.other_organization, 200, "globex")
    with django_assert_max_num_queries(11):  # with the top bar's bell
        response = admin_client.get(url("programme_detail", personas, programmes[0].pk))
    assert response.status_code == 200
    assert "globex" not in response.content.decode()


def test_creating_a_programme_saves_and_audits(admin_client, personas):
    response = admin_client.post(
        url("programme_create", personas), {"name": "Sales", "slug": "sales", "description": "Our sellers"}
    )
    with organization_scope(personas.organization):
        created = Programme.objects.get(slug="sales")
        assert response["Location"] == url("programme_detail", personas, created.pk)
        assert created.description == "Our sellers"
        assert AuditEntry.objects.filter(action="programme.created", object_id=str(created.pk)).exists()


def test_a_duplicate_slug_is_a_field_error_and_keeps_the_input(admin_client, personas, programme):
    response = admin_client.post(
        url("programme_create", personas), {"name": "Another", "slug": "engineering", "description": "Typed text"}
    )
    assert response.status_code == 400
    assert "already exists" in response.context["form"].errors["slug"][0]
    assert "Typed text" in response.content.decode()
    with organization_scope(personas.organization):
        assert Programme.objects.count() == 1


def test_the_same_slug_is_free_in_another_organisation(admin_client, personas):
    with organization_scope(personas.other_organization):
        ProgrammeFactory(organization=personas.other_organization, slug="shared")
    response = admin_client.post(url("programme_create", personas), {"name": "Shared", "slug": "shared"})
    assert response.status_code == 302


def test_a_malformed_slug_is_a_field_error(admin_client, personas):
    response = admin_client.post(url("programme_create", personas), {"name": "Bad", "slug": "Not A Slug!"})
    assert response.status_code == 400
    assert "slug" in response.context["form"].errors


def test_editing_a_programme(admin_client, personas, programme):
    form = admin_client.get(url("programme_edit", personas, programme.pk))
    assert form.context["form"].initial["slug"] == "engineering"
    response = admin_client.post(
        url("programme_edit", personas, programme.pk),
        {"name": "Engineering team", "slug": "eng", "description": "", "open_to_volunteers": "on"},
    )
    assert response.status_code == 302
    with organization_scope(personas.organization):
        programme.refresh_from_db()
        assert (programme.name, programme.slug, programme.open_to_volunteers) == ("Engineering team", "eng", True)
        assert AuditEntry.objects.get(action="programme.updated").data == {
            "fields": ["description", "name", "open_to_volunteers", "slug"]
        }


def test_editing_to_a_taken_slug_is_a_field_error(admin_client, personas, programme):
    with organization_scope(personas.organization):
        ProgrammeFactory(organization=personas.organization, slug="taken")
    response = admin_client.post(url("programme_edit", personas, programme.pk), {"name": "X", "slug": "taken"})
    assert response.status_code == 400
    assert "slug" in response.context["form"].errors
    with organization_scope(personas.organization):
        assert Programme.objects.get(pk=programme.pk).slug == "engineering"


def test_deleting_a_programme_asks_first_and_keeps_its_members(admin_client, personas, programme):
    assert admin_client.get(url("programme_delete", personas, programme.pk)).status_code == 200
    response = admin_client.post(url("programme_delete", personas, programme.pk), follow=True)
    assert "The programme “Engineering” was deleted." in response.content.decode()
    with organization_scope(personas.organization):
        assert not Programme.objects.filter(pk=programme.pk).exists()
        assert Membership.objects.filter(user=personas.editor).exists()


def test_detail_offers_only_members_not_yet_in_the_programme(admin_client, personas, programme):
    response = admin_client.get(url("programme_detail", personas, programme.pk))
    with organization_scope(personas.organization):
        offered = {m.user.email for m in response.context["add_form"].fields["membership"].queryset}
    assert "editor@acme.test" not in offered
    assert "ambassador@acme.test" in offered
    assert "outsider@globex.test" not in offered


def test_adding_a_member_as_programme_admin(admin_client, personas, programme):
    ambassador = personas.membership(personas.ambassador)
    response = admin_client.post(
        url("programme_member_add", personas, programme.pk), {"membership": ambassador.pk, "is_admin": "on"}
    )
    assert response.status_code == 302
    assert links(programme) == {("editor@acme.test", False), ("ambassador@acme.test", True)}


def test_adding_another_organisations_membership_fails_and_creates_nothing(admin_client, personas, programme):
    with organization_scope(personas.other_organization):
        foreign = Membership.objects.get(user=personas.outsider)
    response = admin_client.post(url("programme_member_add", personas, programme.pk), {"membership": foreign.pk})
    assert response.status_code == 400
    assert "membership" in response.context["add_form"].errors
    assert links(programme) == {("editor@acme.test", False)}
    with organization_scope(personas.other_organization):
        assert not ProgrammeMember.objects.exists()


def test_adding_a_member_already_in_the_programme_is_refused(admin_client, personas, programme):
    editor = personas.membership(personas.editor)
    response = admin_client.post(url("programme_member_add", personas, programme.pk), {"membership": editor.pk})
    assert response.status_code == 400
    response = admin_client.post(url("programme_member_add", personas, programme.pk), {"membership": "nonsense"})
    assert response.status_code == 400


def test_toggling_programme_admin(admin_client, personas, programme):
    editor = personas.membership(personas.editor)
    admin_client.post(url("programme_member_admin", personas, programme.pk, editor.pk), {"is_admin": "1"})
    assert links(programme) == {("editor@acme.test", True)}
    admin_client.post(url("programme_member_admin", personas, programme.pk, editor.pk), {"is_admin": "0"})
    assert links(programme) == {("editor@acme.test", False)}


def test_toggling_a_member_outside_the_programme_is_not_found(admin_client, personas, programme):
    ambassador = personas.membership(personas.ambassador)
    response = admin_client.post(
        url("programme_member_admin", personas, programme.pk, ambassador.pk), {"is_admin": "1"}
    )
    assert response.status_code == 404
    assert links(programme) == {("editor@acme.test", False)}


def test_removing_a_member_from_the_programme_asks_first(admin_client, personas, programme):
    editor = personas.membership(personas.editor)
    assert admin_client.get(url("programme_member_remove", personas, programme.pk, editor.pk)).status_code == 200
    response = admin_client.post(url("programme_member_remove", personas, programme.pk, editor.pk))
    assert response.status_code == 302
    assert links(programme) == set()
    with organization_scope(personas.organization):
        assert Membership.objects.filter(pk=editor.pk).exists()
        assert AuditEntry.objects.filter(action="programme.member_removed").exists()


def test_a_programme_admin_manages_the_members_of_their_programme_only(client, personas, programme):
    ambassador = personas.membership(personas.ambassador)
    approver = personas.membership(personas.approver)
    with organization_scope(personas.organization):
        ProgrammeMember.objects.create(
            organization=personas.organization, programme=programme, membership=ambassador, is_admin=True
        )
        other = ProgrammeFactory(organization=personas.organization)
    client.force_login(personas.ambassador)
    assert client.get(url("programme_detail", personas, programme.pk)).status_code == 200
    response = client.post(url("programme_member_add", personas, programme.pk), {"membership": approver.pk})
    assert response.status_code == 302
    assert ("approver@acme.test", False) in links(programme)
    # ...but not another programme, nor the programme itself, nor the list
    assert client.get(url("programme_detail", personas, other.pk)).status_code == 403
    assert client.post(url("programme_member_add", personas, other.pk), {"membership": approver.pk}).status_code == 403
    assert client.get(url("programme_edit", personas, programme.pk)).status_code == 403
    assert client.post(url("programme_delete", personas, programme.pk)).status_code == 403
    assert client.get(url("programmes", personas)).status_code == 403
    assert links(other) == set()


def test_a_manager_reads_programmes_but_cannot_change_members(client, personas, programme):
    client.force_login(personas.manager)
    detail = client.get(url("programme_detail", personas, programme.pk))
    assert detail.status_code == 200
    assert detail.context["add_form"] is None
    ambassador = personas.membership(personas.ambassador)
    assert (
        client.post(url("programme_member_add", personas, programme.pk), {"membership": ambassador.pk}).status_code
        == 403
    )
    assert links(programme) == {("editor@acme.test", False)}


def _cells(body: str) -> list[str]:
    return re.findall(r"<td\b[^>]*>", body)


def test_the_member_table_labels_every_cell_for_a_phone_and_confirms_removals_in_a_dialog(
    admin_client, personas, programme
):
    body = admin_client.get(url("programme_detail", personas, programme.pk)).content.decode()
    assert 'class="table table-stack' in body
    assert _cells(body) and all("data-label=" in cell for cell in _cells(body))
    editor = personas.membership(personas.editor)
    for confirm_url in (
        url("programme_member_remove", personas, programme.pk, editor.pk),
        url("programme_delete", personas, programme.pk),
    ):
        # The dialog posts where the confirmation page does, and the trigger still leads there without a script.
        assert f'<form class="modal-content" method="post" action="{confirm_url}">' in body
        assert f'href="{confirm_url}" data-bs-toggle="modal"' in body


def test_an_empty_programme_list_offers_to_create_one_only_to_who_may(client, personas):
    client.force_login(personas.admin)
    assert url("programme_create", personas) in client.get(url("programmes", personas)).content.decode()
    client.force_login(personas.manager)
    body = client.get(url("programmes", personas)).content.decode()
    assert "empty-state" in body
    assert url("programme_create", personas) not in body
