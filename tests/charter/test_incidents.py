"""Incidents: reporting tells the referent and the admins after commit; statuses and notes fill a timeline; the
post of an incident is withdrawn in one action and can never be shared again."""

import pytest
from django.core import mail
from django.db import transaction

from advocacy.errors import ServiceError
from advocacy.models import AuditEntry, Membership
from advocacy.tenancy import organization_scope
from charter import tasks
from charter.compliance import ShareDraft, compliance_check
from charter.incidents import (
    incident_add_note,
    incident_event_label,
    incident_list,
    incident_report,
    incident_set_status,
    incident_withdraw_post,
)
from charter.models import Incident, IncidentEvent
from content.models import Post
from tests.content.factories import PostFactory, eager_celery


@pytest.fixture
def referent(scoped):
    """The editor is the organisation's referent."""
    scoped.organization.referent = scoped.editor
    scoped.organization.save()
    return scoped.editor


def _report(personas, **kwargs):
    values = {"kind": Incident.Kind.LEAK, "description": "Our roadmap is on a public forum.", **kwargs}
    return incident_report(organization=personas.organization, by=personas.ambassador, **values)


def test_a_report_tells_the_referent_and_the_admins_after_commit_only(
    scoped, referent, django_capture_on_commit_callbacks
):
    with eager_celery(), django_capture_on_commit_callbacks(execute=False) as callbacks:
        incident = _report(scoped, link="https://forum.example.test/thread/1")
        assert mail.outbox == []

    assert len(callbacks) == 1
    with eager_celery():
        callbacks[0]()

    assert sorted(message.to[0] for message in mail.outbox) == [scoped.admin.email, referent.email]
    assert "Confidential information shared" in mail.outbox[0].subject
    assert "https://forum.example.test/thread/1" in mail.outbox[0].body
    assert f"/o/acme/incidents/{incident.pk}/" in mail.outbox[0].body
    assert incident.status == Incident.Status.OPEN
    assert list(IncidentEvent.objects.values_list("kind", "actor")) == [("reported", scoped.ambassador.pk)]
    assert AuditEntry.objects.filter(action="incident.reported", object_id=str(incident.pk)).exists()


def test_a_rolled_back_report_sends_nothing(scoped, referent, django_capture_on_commit_callbacks):
    with eager_celery(), django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            _report(scoped)
            raise RuntimeError("the page failed after the service")

    assert mail.outbox == []
    assert not Incident.objects.exists()


def test_each_recipient_is_written_to_once_in_their_language(scoped, referent, django_capture_on_commit_callbacks):
    scoped.admin.language = "fr"
    scoped.admin.save()
    with eager_celery(), django_capture_on_commit_callbacks(execute=True):
        incident = _report(scoped)
    with eager_celery():
        again = tasks.notify_incident_reported.delay(organization_id=scoped.organization.pk, incident_id=incident.pk)

    assert again.get() == 0
    french = next(message for message in mail.outbox if message.to == [scoped.admin.email])
    english = next(message for message in mail.outbox if message.to == [referent.email])
    assert len(mail.outbox) == 2
    assert english.body.startswith("Hello ")
    assert french.body.startswith("Bonjour ")


def test_an_admin_reporting_is_not_mailed_about_their_own_report(scoped, django_capture_on_commit_callbacks):
    with eager_celery(), django_capture_on_commit_callbacks(execute=True):
        incident_report(
            organization=scoped.organization, by=scoped.admin, kind=Incident.Kind.ABUSE, description="Insults."
        )

    assert mail.outbox == []


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"kind": "meteor"}, "kind"),
        ({"description": "   "}, "description"),
        ({"link": "javascript:alert(1)"}, "link"),
        ({"link": "not a link"}, "link"),
    ],
)
def test_a_bad_report_is_refused_naming_the_field(scoped, values, field):
    with pytest.raises(ServiceError) as refused:
        _report(scoped, **values)

    assert refused.value.field == field
    assert not Incident.objects.exists()


def test_statuses_and_notes_fill_the_timeline(scoped):
    incident = _report(scoped)

    incident_set_status(incident=incident, by=scoped.admin, status=Incident.Status.IN_PROGRESS, note="Looking.")
    incident_add_note(incident=incident, by=scoped.editor, text="Forum moderators contacted.")
    incident_set_status(incident=incident, by=scoped.admin, status=Incident.Status.RESOLVED)

    incident.refresh_from_db()
    assert incident.status == Incident.Status.RESOLVED
    timeline = list(incident.events.values_list("kind", "text"))
    assert timeline == [
        ("reported", "Our roadmap is on a public forum."),
        ("status:in_progress", "Looking."),
        ("note", "Forum moderators contacted."),
        ("status:resolved", ""),
    ]
    assert incident_event_label("status:resolved") == "Status changed to “Resolved”"


def test_a_status_change_made_meanwhile_is_refused(scoped):
    incident = _report(scoped)
    stale = Incident.objects.get(pk=incident.pk)
    incident_set_status(incident=incident, by=scoped.admin, status=Incident.Status.RESOLVED)

    with pytest.raises(ServiceError) as refused:
        incident_set_status(incident=stale, by=scoped.editor, status=Incident.Status.IN_PROGRESS)
    with pytest.raises(ServiceError):
        incident_set_status(incident=incident, by=scoped.admin, status=Incident.Status.RESOLVED)
    with pytest.raises(ServiceError):
        incident_add_note(incident=incident, by=scoped.admin, text=" ")

    assert refused.value.code == "conflict"
    assert IncidentEvent.objects.count() == 2


def test_withdrawing_the_post_takes_it_off_the_feeds_and_every_later_share_is_refused(
    scoped, referent, django_capture_on_commit_callbacks
):
    post = PostFactory(organization=scoped.organization, status=Post.Status.APPROVED, author=scoped.approver)
    member = Membership.objects.select_related("user", "organization").get(user=scoped.ambassador)
    draft = ShareDraft(membership=member, network="linkedin", text="Look at this", post=post)
    assert compliance_check(draft) == []
    incident = _report(scoped, post=post)

    with eager_celery(), django_capture_on_commit_callbacks(execute=True):
        withdrawn = incident_withdraw_post(incident=incident, by=scoped.admin)

    assert withdrawn.status == Post.Status.WITHDRAWN and not withdrawn.is_live_at()
    # The caller's copy of the post still says "approved": the check reads the post again.
    assert [violation.code for violation in compliance_check(draft)] == ["post_not_live"]
    assert list(incident.events.values_list("kind", flat=True)) == ["reported", "post_withdrawn"]
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [scoped.admin.email, referent.email, scoped.approver.email]
    )
    assert all(post.title in message.body for message in mail.outbox)
    with pytest.raises(ServiceError):
        incident_withdraw_post(incident=incident, by=scoped.admin)


def test_an_incident_without_a_post_has_nothing_to_withdraw(scoped):
    with pytest.raises(ServiceError) as refused:
        incident_withdraw_post(incident=_report(scoped), by=scoped.admin)

    assert refused.value.field == "post"


def test_the_list_filters_by_status(scoped):
    first = _report(scoped)
    second = _report(scoped, kind=Incident.Kind.BAD_BUZZ)
    incident_set_status(incident=first, by=scoped.admin, status=Incident.Status.RESOLVED)

    assert list(incident_list(organization=scoped.organization)) == [second, first]
    assert list(incident_list(organization=scoped.organization, status="open")) == [second]
    with pytest.raises(ServiceError):
        incident_list(organization=scoped.organization, status="lost")


def test_the_other_organisation_sees_nothing_and_cannot_report_here(scoped):
    incident = _report(scoped)
    with organization_scope(scoped.other_organization):
        other_post = PostFactory(organization=scoped.other_organization, status=Post.Status.APPROVED)
        assert list(incident_list(organization=scoped.other_organization)) == []
        assert not IncidentEvent.objects.exists()
        assert not Incident.objects.filter(pk=incident.pk).exists()

    with pytest.raises(ServiceError):
        incident_report(organization=scoped.organization, by=scoped.outsider, kind="other", description="Hello")
    with pytest.raises(ServiceError) as refused:
        _report(scoped, post=other_post)
    assert refused.value.field == "post"
