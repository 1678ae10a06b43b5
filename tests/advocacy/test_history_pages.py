"""The audit log and a post's history as sentences: both languages, links only to what the reader may open, names
that survive a rename or a deletion, filters, the raw data for admins only, and a bounded number of queries."""

from __future__ import annotations

import re
import zoneinfo
from datetime import timedelta

import pytest
from django.utils import timezone

from advocacy import history, services
from advocacy.models import AuditEntry, Membership, User
from advocacy.tenancy import organization_scope
from content import services as content_services
from tests.api.test_auth_api import make_token, token_client
from tests.conftest import org_url as url
from tests.factories import ProgrammeFactory

pytestmark = pytest.mark.django_db


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html)).strip()


def _named(user: User, name: str) -> None:
    user.full_name = name
    user.save(update_fields=["full_name"])


@pytest.fixture
def staffed(personas):
    """Camille Martin (admin) adds Jules Michel (the ambassador) to the programme "Marque employeur"."""
    _named(personas.admin, "Camille Martin")
    _named(personas.ambassador, "Jules Michel")
    with organization_scope(personas.organization):
        programme = ProgrammeFactory(organization=personas.organization, name="Marque employeur")
        jules = Membership.objects.get(user=personas.ambassador)
        link = services.programme_set_member(programme=programme, membership=jules, is_admin=False, by=personas.admin)
    return personas, programme, jules, link


def _sentences(response) -> list[str]:
    return [_text(str(line.sentence)) for line in response.context["lines"]]


def test_a_programme_member_added_reads_as_a_sentence_in_english_with_links(client, staffed):
    personas, programme, jules, _link = staffed
    client.force_login(personas.admin)
    response = client.get(url("audit_log", personas), {"kind": "programme.member_added"})
    assert _sentences(response) == ["Camille Martin added Jules Michel to the programme Marque employeur as a member"]
    body = response.content.decode()
    assert f'<a href="{url("member_detail", personas, jules.pk)}">Jules Michel</a>' in body
    assert f'<a href="{url("programme_detail", personas, programme.pk)}">Marque employeur</a>' in body
    assert "programme.member_added</code>" in body  # in the admin's details, not in the sentence
    assert re.search(r'<time [^>]*datetime="\d{4}-\d\d-\d\dT', body)


def test_the_same_sentence_in_french(client, staffed):
    personas = staffed[0]
    personas.admin.language = "fr"
    personas.admin.save(update_fields=["language"])
    client.force_login(personas.admin)
    response = client.get(url("audit_log", personas), {"kind": "programme.member_added"})
    assert _sentences(response) == ["Camille Martin a ajouté Jules Michel au programme Marque employeur comme membre"]


def test_role_changes_name_both_roles_in_the_readers_language(client, personas):
    _named(personas.admin, "Camille Martin")
    _named(personas.editor, "Léa Roux")
    with organization_scope(personas.organization):
        editor = personas.membership(personas.editor)
        services.membership_change_role(membership=editor, role="approver", by=personas.admin)
    client.force_login(personas.admin)
    english = _sentences(client.get(url("audit_log", personas), {"kind": "member.role_changed"}))
    assert english == ["Camille Martin changed the role of Léa Roux from Editor to Approver"]
    personas.admin.language = "fr"
    personas.admin.save(update_fields=["language"])
    french = _sentences(client.get(url("audit_log", personas), {"kind": "member.role_changed"}))
    assert french == ["Camille Martin a changé le rôle de Léa Roux de Éditeur à Approbateur"]


def test_names_stored_at_the_time_survive_a_deletion_and_no_actor_reads_as_relais(client, personas):
    with organization_scope(personas.organization):
        programme = ProgrammeFactory(organization=personas.organization, name="Ventes")
        services.programme_delete(programme=programme, by=None)
    client.force_login(personas.admin)
    sentences = _sentences(client.get(url("audit_log", personas), {"kind": "programme.deleted"}))
    assert sentences == ["Relais deleted the programme Ventes"]


def test_a_deleted_account_is_still_named_and_an_api_token_is_named(client, personas):
    _named(personas.editor, "Léa Bernard")
    with organization_scope(personas.organization):
        programme = ProgrammeFactory(organization=personas.organization, name="Ventes")
        services.programme_delete(programme=programme, by=personas.editor)
    personas.editor.delete()
    raw = make_token(personas.organization)

    created = token_client(raw).post("/api/v1/o/acme/programmes/", {"name": "Export", "slug": "export"}, format="json")

    assert created.status_code == 201
    client.force_login(personas.admin)
    sentences = _sentences(client.get(url("audit_log", personas), {"kind": "programme.deleted"}))
    assert sentences == ["Léa Bernard (account deleted) deleted the programme Ventes"]
    sentences = _sentences(client.get(url("audit_log", personas), {"kind": "programme.created"}))
    assert sentences[0].startswith("The API token “integration” ")


def test_a_programme_member_removed_names_the_member_from_the_data(client, staffed):
    personas, programme, jules, _link = staffed
    with organization_scope(personas.organization):
        services.programme_remove_member(programme=programme, membership=jules, by=personas.admin)
    client.force_login(personas.admin)
    sentences = _sentences(client.get(url("audit_log", personas), {"kind": "programme.member_removed"}))
    assert sentences == ["Camille Martin removed Jules Michel from the programme Marque employeur"]


def test_names_are_escaped(client, personas):
    with organization_scope(personas.organization):
        services.programme_create(
            organization=personas.organization, name="<b>Bold</b>", slug="bold", description="", by=personas.admin
        )
    client.force_login(personas.admin)
    body = client.get(url("audit_log", personas)).content.decode()
    assert "&lt;b&gt;Bold&lt;/b&gt;" in body
    assert "<b>Bold</b>" not in body


def test_a_post_is_linked_only_for_a_reader_who_may_see_it(personas):
    with organization_scope(personas.organization):
        post = content_services.post_create(organization=personas.organization, author=personas.editor, title="Plant")
        entries = list(AuditEntry.objects.filter(action="post.created").select_related("actor"))
        editor = history.lines(entries, membership=personas.membership(personas.editor))
        ambassador = history.lines(entries, membership=personas.membership(personas.ambassador))
    assert f'href="{url("post_detail", personas, post.pk)}"' in editor[0].sentence
    assert "href" not in ambassador[0].sentence
    assert _text(ambassador[0].sentence).endswith("created the post Plant")


# Filters


@pytest.fixture
def mixed_log(personas):
    """Three entries: by the admin yesterday, by the editor today, by no one today."""
    now = timezone.now()
    with organization_scope(personas.organization):
        rows = [
            services.audit_log(organization=personas.organization, actor=personas.admin, action="member.suspended"),
            services.audit_log(organization=personas.organization, actor=personas.editor, action="topic.created"),
            services.audit_log(organization=personas.organization, actor=None, action="organization.created"),
        ]
        AuditEntry.objects.filter(pk=rows[0].pk).update(created_at=now - timedelta(days=1))
    return rows


def _actions(response) -> list[str]:
    return sorted(line.entry.action for line in response.context["lines"])


def test_filters_by_actor_kind_and_dates(client, personas, mixed_log):
    client.force_login(personas.admin)
    audit = url("audit_log", personas)
    with organization_scope(personas.organization):
        editor = personas.membership(personas.editor)
    assert _actions(client.get(audit, {"actor": editor.pk})) == ["topic.created"]
    assert _actions(client.get(audit, {"kind": "member.suspended"})) == ["member.suspended"]
    today = timezone.localdate(timezone=zoneinfo.ZoneInfo(personas.organization.time_zone))
    assert "member.suspended" not in _actions(client.get(audit, {"since": today.isoformat()}))
    yesterday = (today - timedelta(days=1)).isoformat()
    assert _actions(client.get(audit, {"since": yesterday, "until": yesterday})) == ["member.suspended"]


def test_the_kind_filter_offers_human_labels(client, personas, mixed_log):
    client.force_login(personas.admin)
    body = client.get(url("audit_log", personas)).content.decode()
    assert '<option value="programme.member_added">Member added to a programme</option>' in body


def test_a_bad_filter_value_is_a_field_error_not_a_failure(client, personas, mixed_log):
    client.force_login(personas.admin)
    response = client.get(url("audit_log", personas), {"since": "not a date", "actor": "99999999", "kind": "nope"})
    assert response.status_code == 200
    assert _actions(response) == ["member.suspended", "organization.created", "topic.created"]
    assert response.context["filter_form"].errors


def test_an_outsider_gets_404_on_the_audit_log_with_or_without_filters(client, personas, mixed_log):
    client.force_login(personas.outsider)
    assert client.get(url("audit_log", personas)).status_code == 404
    assert client.get(url("audit_log", personas), {"kind": "topic.created"}).status_code == 404


# Details


def test_post_history_shows_sentences_to_all_and_raw_details_only_to_admins(client, personas):
    _named(personas.editor, "Léa Roux")
    with organization_scope(personas.organization):
        post = content_services.post_create(organization=personas.organization, author=personas.editor, title="Plant")
    page = url("post_detail", personas, post.pk)
    client.force_login(personas.editor)
    editor_body = client.get(page).content.decode()
    assert "Léa Roux created the post" in _text(editor_body)
    assert "history-details" not in editor_body
    assert "post.created" not in editor_body
    personas.editor.language = "fr"
    personas.editor.save(update_fields=["language"])
    assert "Léa Roux a créé la publication Plant" in _text(client.get(page).content.decode())
    client.force_login(personas.admin)
    admin_body = client.get(page).content.decode()
    assert '<details class="small mt-1 history-details">' in admin_body
    assert "<code>post.created</code>" in admin_body


# Queries


def test_the_audit_page_reads_fifty_entries_of_mixed_kinds_in_bounded_queries(
    client, staffed, django_assert_max_num_queries
):
    personas, programme, jules, link = staffed
    with organization_scope(personas.organization):
        for n in range(10):
            post = content_services.post_create(
                organization=personas.organization, author=personas.editor, title=f"Post {n}"
            )
            services.programme_set_member(programme=programme, membership=jules, is_admin=n % 2 == 0, by=personas.admin)
            services.audit_log(
                organization=personas.organization,
                actor=personas.admin,
                action="programme.member_removed",
                target=programme,
                data={"membership": jules.pk},
            )
            services.audit_log(
                organization=personas.organization, actor=personas.admin, action="post.approved", target=post
            )
            services.audit_log(organization=personas.organization, actor=None, action="member.suspended", target=jules)
        assert AuditEntry.objects.count() >= 50
    with organization_scope(personas.other_organization):
        for _n in range(20):
            services.audit_log(
                organization=personas.other_organization, actor=personas.outsider, action="organization.updated"
            )
    client.force_login(personas.admin)
    with django_assert_max_num_queries(14):
        response = client.get(url("audit_log", personas))
    assert len(response.context["lines"]) == 50
    assert "organization.updated" not in {line.entry.action for line in response.context["lines"]}
