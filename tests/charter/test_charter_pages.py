"""The charter pages: reading, joining (accepting) and leaving, writing and publishing, the acceptance report."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from advocacy.models import Membership, User
from advocacy.roles import Role
from advocacy.tenancy import organization_scope
from charter import selectors, services
from charter.models import CharterAcceptance, CharterVersion
from tests.charter.factories import CharterAcceptanceFactory, CharterVersionFactory
from tests.conftest import org_url
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


def publish(personas, title="Our charter", body="## Respect\n\nBe kind.", summary="", requires=True):
    with organization_scope(personas.organization):
        draft = services.charter_draft_save(
            organization=personas.organization,
            by=personas.admin,
            title=title,
            body=body,
            summary_of_changes=summary,
            requires_reacceptance=requires,
        )
        return services.charter_publish(version=draft, by=personas.admin)


def accept(personas, user, version):
    with organization_scope(personas.organization):
        return services.charter_accept(
            membership=personas.membership(user), version=version, ip="127.0.0.1", user_agent="test"
        )


def state_of(personas, user) -> str:
    with organization_scope(personas.organization):
        return selectors.charter_status(membership=personas.membership(user)).state


# --- Access --------------------------------------------------------------------------------------------------------

MEMBER_PAGES = ["charter", "charter_join", "charter_leave", "training"]


@pytest.mark.parametrize("name", [*MEMBER_PAGES, "charter_edit", "charter_report", "charter_report_csv"])
def test_an_outsider_gets_404_and_an_anonymous_visitor_is_sent_to_sign_in(client, personas, name):
    url = org_url(name, personas)
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(personas.outsider)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    ("role", "name", "expected"),
    [
        (Role.AMBASSADOR, "charter", 200),
        (Role.AMBASSADOR, "charter_join", 200),
        (Role.AMBASSADOR, "training", 200),
        (Role.AMBASSADOR, "charter_edit", 403),
        (Role.AMBASSADOR, "charter_report", 403),
        (Role.AMBASSADOR, "charter_report_csv", 403),
        (Role.EDITOR, "charter_edit", 403),
        (Role.EDITOR, "charter_report", 403),
        (Role.MANAGER, "charter_report", 200),
        (Role.MANAGER, "charter_report_csv", 200),
        (Role.MANAGER, "charter_edit", 403),
        (Role.ADMIN, "charter_edit", 200),
        (Role.ADMIN, "charter_report", 200),
    ],
)
def test_each_role_reaches_only_its_pages(client, personas, role, name, expected):
    publish(personas)
    client.force_login(getattr(personas, role.value))
    assert client.get(org_url(name, personas)).status_code == expected


def test_a_manager_cannot_send_reminders_nor_publish(client, personas):
    client.force_login(personas.manager)
    assert client.post(org_url("charter_remind", personas)).status_code == 403
    response = client.post(org_url("charter_edit", personas), {"title": "x", "body": "y", "action": "publish"})
    assert response.status_code == 403


# --- Reading and joining -------------------------------------------------------------------------------------------


def test_the_charter_page_renders_the_markdown_safely_and_links_old_versions(client, personas):
    v1 = publish(personas, body="# One\n\n<script>alert(1)</script>")
    publish(personas, title="Second", body="## Two", summary="Shorter.")
    client.force_login(personas.ambassador)
    body = client.get(org_url("charter", personas)).content.decode()
    assert "<h2>Two</h2>" in body
    assert org_url("charter_version", personas, v1.pk) in body
    old = client.get(org_url("charter_version", personas, v1.pk)).content.decode()
    assert "<h1>One</h1>" in old and "<script>alert" not in old


def test_a_draft_is_not_readable_as_a_version(client, personas):
    with organization_scope(personas.organization):
        draft = CharterVersionFactory(organization=personas.organization)
    client.force_login(personas.ambassador)
    assert client.get(org_url("charter_version", personas, draft.pk)).status_code == 404


def test_the_join_page_says_what_will_never_happen(client, personas):
    publish(personas)
    client.force_login(personas.ambassador)
    body = client.get(org_url("charter_join", personas)).content.decode()
    assert "Nothing is ever posted on your accounts without your own action on that post." in body
    assert 'name="agree"' in body


def test_the_join_page_without_a_charter_explains_and_offers_no_form(client, personas):
    client.force_login(personas.ambassador)
    body = client.get(org_url("charter_join", personas)).content.decode()
    assert "has not published its charter yet" in body and 'name="agree"' not in body


def test_accepting_records_the_acceptance_and_follows_a_safe_next(client, personas):
    version = publish(personas)
    client.force_login(personas.ambassador)
    response = client.post(org_url("charter_join", personas), {"agree": "on", "next": "/o/acme/training/"})
    assert response.status_code == 302 and response["Location"] == "/o/acme/training/"
    with organization_scope(personas.organization):
        acceptance = CharterAcceptance.objects.get(membership__user=personas.ambassador)
    assert acceptance.version == version and len(acceptance.client_digest) == 64
    assert state_of(personas, personas.ambassador) == selectors.ACCEPTED


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"])
def test_accepting_never_follows_a_next_to_another_site(client, personas, target):
    publish(personas)
    client.force_login(personas.ambassador)
    response = client.post(org_url("charter_join", personas), {"agree": "on", "next": target})
    assert response.status_code == 302 and response["Location"] == org_url("charter", personas)


def test_the_next_of_the_join_link_is_kept_in_the_form(client, personas):
    publish(personas)
    client.force_login(personas.ambassador)
    body = client.get(org_url("charter_join", personas) + "?next=/o/acme/training/").content.decode()
    assert 'value="/o/acme/training/"' in body
    body = client.get(org_url("charter_join", personas) + "?next=https://evil.example/").content.decode()
    assert 'name="next" value="https://evil.example/"' not in body and 'name="next" id="id_next"' in body


def test_accepting_without_ticking_the_box_is_a_field_error(client, personas):
    publish(personas)
    client.force_login(personas.ambassador)
    response = client.post(org_url("charter_join", personas), {"next": "/o/acme/training/"})
    assert response.status_code == 400
    assert "Tick the box to accept the charter." in response.content.decode()
    assert 'value="/o/acme/training/"' in response.content.decode()
    assert state_of(personas, personas.ambassador) == selectors.NOT_JOINED


def test_reaccepting_shows_the_summary_of_changes_first(client, personas):
    v1 = publish(personas)
    accept(personas, personas.ambassador, v1)
    publish(personas, title="v2", body="## New rule", summary="Members must now disclose their employer.")
    assert state_of(personas, personas.ambassador) == selectors.MUST_REACCEPT
    client.force_login(personas.ambassador)
    body = client.get(org_url("charter_join", personas)).content.decode()
    assert "What changed in version 2" in body
    assert body.index("Members must now disclose their employer.") < body.index("New rule")
    client.post(org_url("charter_join", personas), {"agree": "on"})
    assert state_of(personas, personas.ambassador) == selectors.ACCEPTED


def test_a_first_acceptance_shows_no_change_summary(client, personas):
    publish(personas, summary="Internal note about v1.")
    client.force_login(personas.ambassador)
    assert "Internal note about v1." not in client.get(org_url("charter_join", personas)).content.decode()


def test_leaving_asks_first_then_ends_the_acceptance(client, personas):
    accept(personas, personas.ambassador, publish(personas))
    client.force_login(personas.ambassador)
    page = client.get(org_url("charter_leave", personas)).content.decode()
    assert "scheduled shares will be cancelled" in page
    response = client.post(org_url("charter_leave", personas))
    assert response.status_code == 302
    assert state_of(personas, personas.ambassador) == selectors.LEFT


def test_the_charter_page_asks_before_leaving_in_a_dialog_that_posts_to_the_leave_page(client, personas):
    accept(personas, personas.ambassador, publish(personas))
    client.force_login(personas.ambassador)
    page = client.get(org_url("charter", personas)).content.decode()
    leave_url = org_url("charter_leave", personas)
    assert f'<form class="modal-content" method="post" action="{leave_url}">' in page
    assert f'href="{leave_url}" data-bs-toggle="modal"' in page  # without a script, the link opens the page
    assert "scheduled shares will be cancelled" in page


def test_leaving_without_having_joined_is_told_not_a_500(client, personas):
    publish(personas)
    client.force_login(personas.ambassador)
    response = client.post(org_url("charter_leave", personas), follow=True)
    assert response.status_code == 200 and "You are not in the programme." in response.content.decode()


# --- Writing and publishing ----------------------------------------------------------------------------------------


def test_an_admin_saves_a_draft_previews_and_publishes_after_confirming(admin_client, personas):
    url = org_url("charter_edit", personas)
    data = {
        "title": "Our charter",
        "body": "## Be **kind**",
        "summary_of_changes": "First.",
        "requires_reacceptance": "on",
    }
    assert admin_client.post(url, {**data, "action": "save"}).status_code == 302
    preview = admin_client.post(url, {**data, "action": "preview"}, headers={"HX-Request": "true"})
    assert "<strong>kind</strong>" in preview.content.decode()
    confirm = admin_client.post(url, {**data, "action": "publish"})
    assert confirm.status_code == 200 and "Publish this version" in confirm.content.decode()
    with organization_scope(personas.organization):
        assert selectors.charter_current(organization=personas.organization) is None  # not before confirming
    response = admin_client.post(url, {**data, "action": "publish", "confirm": "1"})
    assert response.status_code == 302
    with organization_scope(personas.organization):
        current = selectors.charter_current(organization=personas.organization)
        assert current.number == 1 and current.requires_reacceptance
        assert CharterVersion.objects.filter(organization=personas.organization).count() == 1


def test_publishing_an_empty_charter_is_a_field_error_that_keeps_what_was_typed(admin_client, personas):
    url = org_url("charter_edit", personas)
    data = {"title": "Kept title", "body": "   ", "summary_of_changes": "Kept summary", "action": "publish"}
    for extra in ({}, {"confirm": "1"}):
        response = admin_client.post(url, {**data, **extra})
        assert response.status_code == 400
        body = response.content.decode()
        assert "Kept title" in body and "Kept summary" in body and "is-invalid" in body
    with organization_scope(personas.organization):
        assert selectors.charter_current(organization=personas.organization) is None


def test_a_minor_edit_keeps_earlier_acceptances(admin_client, personas):
    accept(personas, personas.ambassador, publish(personas))
    data = {"title": "Typo fixed", "body": "## Respect", "action": "publish", "confirm": "1"}
    assert admin_client.post(org_url("charter_edit", personas), data).status_code == 302
    assert state_of(personas, personas.ambassador) == selectors.ACCEPTED


def test_start_from_the_template_fills_the_draft(admin_client, personas):
    response = admin_client.post(org_url("charter_edit", personas), {"action": "seed"})
    assert response.status_code == 302
    page = admin_client.get(org_url("charter_edit", personas)).content.decode()
    assert "You are editing a draft." in page
    with organization_scope(personas.organization):
        draft = CharterVersion.objects.get(organization=personas.organization)
    assert draft.body and draft.body[:40] in page.replace("&#x27;", "'")


# --- Report --------------------------------------------------------------------------------------------------------


def test_the_report_lists_who_accepted_and_who_has_not(client, personas):
    accept(personas, personas.ambassador, publish(personas))
    client.force_login(personas.manager)
    page = client.get(org_url("charter_report", personas)).content.decode()
    assert "ambassador@acme.test" in page and "editor@acme.test" in page
    assert "outsider@globex.test" not in page
    filtered = client.get(org_url("charter_report", personas), {"state": "not_joined"}).content.decode()
    assert "ambassador@acme.test" not in filtered and "editor@acme.test" in filtered
    assert "Send them a reminder" not in page  # managers read; admins remind


def test_the_report_labels_every_cell_for_the_phone_layout(client, personas):
    publish(personas)
    client.force_login(personas.manager)
    page = client.get(org_url("charter_report", personas)).content.decode()
    cells = re.findall(r"<td[^>]*>", page)
    assert cells and all("data-label=" in cell for cell in cells)
    empty = client.get(org_url("charter_report", personas), {"q": "nobody-by-that-name"}).content.decode()
    assert "No member matches these filters." in empty and "<table" not in empty


def test_a_bad_filter_shows_everyone_not_an_error(client, personas):
    publish(personas)
    client.force_login(personas.admin)
    response = client.get(org_url("charter_report", personas), {"state": "nonsense", "version": "x", "page": "99"})
    assert response.status_code == 200 and "ambassador@acme.test" in response.content.decode()


def test_an_admin_sends_reminders_in_one_action(client, personas, mailoutbox):
    accept(personas, personas.ambassador, publish(personas))
    client.force_login(personas.admin)
    response = client.post(org_url("charter_remind", personas), follow=True)
    assert response.status_code == 200 and "Reminders sent: 4." in response.content.decode()


def test_the_csv_lists_the_organisation_members_only(client, personas):
    accept(personas, personas.ambassador, publish(personas))
    client.force_login(personas.manager)
    response = client.get(org_url("charter_report_csv", personas))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = response.content.decode()
    assert text.splitlines()[0].startswith("Name,E-mail")
    assert "ambassador@acme.test" in text and "outsider@globex.test" not in text


def _populate(organization, count):
    """``count`` ambassadors, every other one having accepted version 1 (bulk inserts: the test is about reads)."""
    users = User.objects.bulk_create(
        User(email=f"m{n}@{organization.slug}.test", full_name=f"Member {n}") for n in range(count)
    )
    with organization_scope(organization):
        version = CharterVersionFactory(organization=organization, published=True, number=1)
        memberships = Membership.objects.bulk_create(
            Membership(organization=organization, user=user, role=Role.AMBASSADOR) for user in users
        )
        CharterAcceptance.objects.bulk_create(
            CharterAcceptanceFactory.build(organization=organization, membership=membership, version=version)
            for membership in memberships[::2]
        )


def test_the_report_query_count_does_not_grow_with_members(client, personas):
    """2 organisations × 2,000 members: the page costs the same handful of queries as with a few members."""
    other = OrganizationFactory(slug="initech")
    _populate(personas.organization, 2000)
    _populate(other, 2000)
    client.force_login(personas.admin)
    url = org_url("charter_report", personas)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    assert len(queries) <= 20, [q["sql"] for q in queries]
    with organization_scope(personas.organization):
        assert Membership.objects.filter(organization=personas.organization).count() == 2005
    with CaptureQueriesContext(connection) as csv_queries:
        csv = client.get(org_url("charter_report_csv", personas))
    assert len(csv.content.decode().splitlines()) == 2006
    assert len(csv_queries) <= 15


def test_an_admin_may_read_a_draft_at_its_version_address(admin_client, personas):
    with organization_scope(personas.organization):
        draft = CharterVersionFactory(organization=personas.organization, title="Next draft")
    page = admin_client.get(org_url("charter_version", personas, draft.pk)).content.decode()
    assert "Next draft" in page and "Draft: members cannot see it." in page
