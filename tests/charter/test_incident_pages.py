"""The incident pages: any member reports and follows their own reports; admins and editors handle them all, change
their status and withdraw the post concerned."""

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from advocacy.tenancy import organization_scope
from charter.models import Incident, IncidentEvent
from content.models import Post
from tests.charter.factories import IncidentFactory
from tests.conftest import org_url
from tests.content.factories import PostFactory, eager_celery

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _incident(personas, reporter, **fields) -> Incident:
    with organization_scope(personas.organization):
        return IncidentFactory(organization=personas.organization, reported_by=reporter, **fields)


def _approved_post(personas, title="Quarterly figures") -> Post:
    with organization_scope(personas.organization):
        return PostFactory(
            organization=personas.organization, author=personas.editor, title=title, status=Post.Status.APPROVED
        )


# --- Access ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["incidents", "incident_report"])
def test_the_outsider_gets_404_and_anonymous_visitors_sign_in(personas, name):
    url = org_url(name, personas)
    assert _client(personas.outsider).get(url).status_code == 404
    response = Client().get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


def test_the_outsider_cannot_open_an_incident_of_ours(personas):
    incident = _incident(personas, personas.ambassador)
    for name in ("incident_detail", "incident_withdraw"):
        assert _client(personas.outsider).get(org_url(name, personas, incident.pk)).status_code == 404


def test_an_ambassador_sees_their_own_incidents_only(personas):
    own = _incident(personas, personas.ambassador, description="My own report about a troll")
    other = _incident(personas, personas.editor, description="The editor's report about a leak")
    client = _client(personas.ambassador)

    body = client.get(org_url("incidents", personas)).content.decode()
    assert "My own report about a troll" in body and "The editor&#x27;s report" not in body
    assert client.get(org_url("incident_detail", personas, own.pk)).status_code == 200
    assert client.get(org_url("incident_detail", personas, other.pk)).status_code == 403
    assert client.post(org_url("incident_detail", personas, other.pk), {"text": "me too"}).status_code == 403


@pytest.mark.parametrize("role", ["admin", "editor"])
def test_admins_and_editors_see_every_incident_and_filter_by_status(personas, role):
    _incident(personas, personas.ambassador, description="Open one about a troll")
    _incident(personas, personas.manager, description="Resolved one about a leak", status=Incident.Status.RESOLVED)
    client = _client(getattr(personas, role))

    body = client.get(org_url("incidents", personas)).content.decode()
    assert "Open one about a troll" in body and "Resolved one about a leak" in body
    filtered = client.get(org_url("incidents", personas), {"status": "resolved"}).content.decode()
    assert "Resolved one about a leak" in filtered and "Open one about a troll" not in filtered
    assert client.get(org_url("incidents", personas), {"status": "lost"}).status_code == 400


@pytest.mark.parametrize("role", ["ambassador", "manager", "approver"])
def test_members_who_do_not_manage_incidents_cannot_change_a_status_or_withdraw(personas, role):
    post = _approved_post(personas)
    incident = _incident(personas, getattr(personas, role), post=post)
    client = _client(getattr(personas, role))

    detail = client.get(org_url("incident_detail", personas, incident.pk)).content.decode()
    assert "Change the status" not in detail and "Withdraw the post" not in detail
    response = client.post(
        org_url("incident_detail", personas, incident.pk), {"action": "status", "status": "resolved"}
    )
    assert response.status_code == 403
    assert client.post(org_url("incident_withdraw", personas, incident.pk)).status_code == 403
    incident.refresh_from_db()
    post.refresh_from_db()
    assert incident.status == Incident.Status.OPEN and post.status == Post.Status.APPROVED


# --- Reporting ---------------------------------------------------------------------------------------------------


def test_an_ambassador_reports_and_the_referent_and_admins_are_told_after_commit(
    personas, django_capture_on_commit_callbacks
):
    personas.organization.referent = personas.editor
    personas.organization.save()
    post = _approved_post(personas)
    data = {
        "kind": "abuse",
        "link": "https://social.example.test/reply/42",
        "description": "Insults under my share.",
        "post": str(post.pk),
    }
    with eager_celery(), django_capture_on_commit_callbacks(execute=True):
        response = _client(personas.ambassador).post(org_url("incident_report", personas), data)

    with organization_scope(personas.organization):
        incident = Incident.objects.get(organization=personas.organization)
    assert response.status_code == 302 and response["Location"] == org_url("incident_detail", personas, incident.pk)
    assert incident.reported_by == personas.ambassador and incident.post == post and incident.kind == "abuse"
    assert sorted(message.to[0] for message in mail.outbox) == sorted([personas.admin.email, personas.editor.email])
    page = _client(personas.ambassador).get(response["Location"]).content.decode()
    assert "Reported" in page and "Insults under my share." in page


def test_a_report_without_description_is_refused_and_what_was_typed_is_kept(personas):
    data = {"kind": "leak", "link": "https://social.example.test/leak", "description": "   "}
    response = _client(personas.ambassador).post(org_url("incident_report", personas), data)

    assert response.status_code == 400
    assert response.context["form"].errors["description"]
    assert "https://social.example.test/leak" in response.content.decode()
    with organization_scope(personas.organization):
        assert not Incident.objects.filter(organization=personas.organization).exists()


def test_a_post_of_another_organisation_cannot_be_named(personas):
    with organization_scope(personas.other_organization):
        foreign = PostFactory(organization=personas.other_organization, status=Post.Status.APPROVED)
    data = {"kind": "leak", "description": "Look", "post": str(foreign.pk)}
    response = _client(personas.ambassador).post(org_url("incident_report", personas), data)
    assert response.status_code == 400 and response.context["form"].errors["post"]


# --- Handling ----------------------------------------------------------------------------------------------------


def test_a_manager_changes_the_status_with_a_note_on_the_timeline(personas):
    incident = _incident(personas, personas.ambassador)
    client = _client(personas.editor)
    url = org_url("incident_detail", personas, incident.pk)

    response = client.post(url, {"action": "status", "status": "in_progress", "note": "Looking into it"})
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == Incident.Status.IN_PROGRESS
    body = client.get(url).content.decode()
    assert "Status changed to “In progress”" in body and "Looking into it" in body

    same = client.post(url, {"action": "status", "status": "in_progress"})
    assert same.status_code == 400 and "already has this status" in same.content.decode()


def test_the_reporter_adds_a_note_and_an_empty_note_is_refused(personas):
    incident = _incident(personas, personas.ambassador)
    client = _client(personas.ambassador)
    url = org_url("incident_detail", personas, incident.pk)

    assert client.post(url, {"action": "note", "text": "It got worse overnight"}).status_code == 302
    assert "It got worse overnight" in client.get(url).content.decode()
    empty = client.post(url, {"action": "note", "text": ""})
    assert empty.status_code == 400 and "Write the note first." in empty.content.decode()


def test_withdrawing_the_post_asks_for_confirmation_then_leaves_it_withdrawn_with_a_timeline_entry(
    personas, django_capture_on_commit_callbacks
):
    post = _approved_post(personas, title="Leaked roadmap")
    incident = _incident(personas, personas.ambassador, post=post)
    client = _client(personas.admin)
    detail = org_url("incident_detail", personas, incident.pk)
    url = org_url("incident_withdraw", personas, incident.pk)

    page = client.get(detail).content.decode()
    assert f'<form class="modal-content" method="post" action="{url}">' in page  # asked in a dialog on the page
    assert "Withdraw the post “Leaked roadmap”" in page
    confirm = client.get(url)
    assert confirm.status_code == 200 and "Withdraw the post “Leaked roadmap”" in confirm.content.decode()
    with eager_celery(), django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)

    assert response.status_code == 302 and response["Location"] == detail
    post.refresh_from_db()
    assert post.status == Post.Status.WITHDRAWN
    with organization_scope(personas.organization):
        assert IncidentEvent.objects.filter(incident=incident, kind="post_withdrawn").exists()
    page = client.get(detail).content.decode()
    assert "Post withdrawn from the feeds" in page and url not in page
    assert personas.editor.email in [message.to[0] for message in mail.outbox]  # the post's author is told


def test_an_incident_without_an_approved_post_has_nothing_to_withdraw(personas):
    incident = _incident(personas, personas.ambassador)
    client = _client(personas.admin)
    response = client.get(org_url("incident_withdraw", personas, incident.pk))
    assert response.status_code == 302 and response["Location"] == org_url("incident_detail", personas, incident.pk)
    refused = client.post(org_url("incident_withdraw", personas, incident.pk))
    assert refused.status_code == 302
    assert "not about a post" in client.get(refused["Location"]).content.decode()


# --- Query counts ------------------------------------------------------------------------------------------------


def _seed(organization, reporter, post, count):
    with organization_scope(organization):
        Incident.objects.bulk_create(
            Incident(
                organization=organization,
                kind=Incident.Kind.OTHER,
                description=f"Report {n}",
                reported_by=reporter,
                post=post,
            )
            for n in range(count)
        )


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_incident_list_runs_the_same_queries_whatever_the_number_of_incidents(personas):
    post = _approved_post(personas)
    url = org_url("incidents", personas)
    _seed(personas.organization, personas.ambassador, post, 3)
    admin, ambassador = _client(personas.admin), _client(personas.ambassador)
    few_admin, few_ambassador = _queries(admin, url), _queries(ambassador, url)

    _seed(personas.organization, personas.ambassador, post, 497)
    with organization_scope(personas.other_organization):
        foreign = PostFactory(organization=personas.other_organization, status=Post.Status.APPROVED)
    _seed(personas.other_organization, personas.outsider, foreign, 500)

    assert _queries(admin, url) == few_admin
    assert _queries(ambassador, url) == few_ambassador
    assert few_admin <= 12
