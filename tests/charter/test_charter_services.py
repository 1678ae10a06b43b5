"""Charter versions, acceptance, leaving and reminders, at the service level."""

import hashlib

import pytest
from django.core import mail

from advocacy.errors import ServiceError
from advocacy.models import AuditEntry
from advocacy.tenancy import organization_scope
from charter.markdown import render_markdown
from charter.models import CharterAcceptance, CharterVersion
from charter.selectors import charter_current, charter_status, charter_versions
from charter.services import (
    charter_accept,
    charter_draft_save,
    charter_leave,
    charter_publish,
    charter_seed_template,
    charter_send_reminders,
)
from tests.charter.factories import publish_charter
from tests.content.factories import eager_celery
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

IP, AGENT = "203.0.113.7", "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"


def _accept(personas, user, version):
    return charter_accept(membership=personas.membership(user), version=version, ip=IP, user_agent=AGENT)


def test_publishing_numbers_versions_and_keeps_them_readable(scoped):
    first = publish_charter(scoped.organization, scoped.admin)
    second = publish_charter(scoped.organization, scoped.admin, requires_reacceptance=False)
    assert (first.number, second.number) == (1, 2)
    assert charter_current(organization=scoped.organization) == second
    assert list(charter_versions(organization=scoped.organization)) == [second, first]
    assert AuditEntry.objects.filter(action="charter.published", object_id=str(second.pk)).exists()


@pytest.mark.parametrize("body", ["", "   \n\t  "])
def test_publishing_an_empty_charter_is_refused(scoped, body):
    draft = charter_draft_save(organization=scoped.organization, by=scoped.admin, title="Charter", body=body)
    with pytest.raises(ServiceError) as refused:
        charter_publish(version=draft, by=scoped.admin)
    assert (refused.value.field, refused.value.code) == ("body", "empty")
    assert CharterVersion.objects.get(pk=draft.pk).status == CharterVersion.Status.DRAFT


def test_a_published_version_never_changes(scoped):
    version = publish_charter(scoped.organization, scoped.admin)
    with pytest.raises(ServiceError) as refused:
        charter_draft_save(organization=scoped.organization, by=scoped.admin, title="New", body="x", version=version)
    assert refused.value.code == "not_draft"
    with pytest.raises(ServiceError):
        charter_publish(version=version, by=scoped.admin)


def test_the_seed_template_speaks_the_organisation_language_and_names_the_referent(scoped):
    organization = scoped.organization
    organization.language, organization.referent = "fr", scoped.editor
    organization.save()
    scoped.editor.full_name = "Camille Martin"
    scoped.editor.save()
    draft = charter_seed_template(organization=organization, by=scoped.admin)
    assert draft.status == CharterVersion.Status.DRAFT
    assert "Camille Martin" in draft.body
    for topic in ("Confidentialité", "Respect", "Transparence", "ton personnel", "Sécurité", "référent"):
        assert topic in draft.body
    organization.language, organization.referent = "en", None
    organization.save()
    english = charter_seed_template(organization=organization, by=scoped.admin)
    for topic in ("Confidentiality", "Respect", "Disclose", "personal tone", "Security", "referent"):
        assert topic in english.body
    assert charter_publish(version=english, by=scoped.admin).number == 1


def test_markdown_is_rendered_and_sanitised():
    html = render_markdown("**Be kind**\n\n<script>alert(1)</script> [x](javascript:alert(1)) [ok](https://a.test)")
    assert "<strong>Be kind</strong>" in html
    assert "<script>" not in html and 'href="javascript' not in html
    assert 'href="https://a.test"' in html


def test_acceptance_records_the_version_time_and_a_digest_only(scoped):
    version = publish_charter(scoped.organization, scoped.admin)
    acceptance = _accept(scoped, scoped.ambassador, version)
    assert acceptance.version == version
    assert acceptance.client_digest == hashlib.sha256(f"{IP}|{AGENT}".encode()).hexdigest()
    stored = CharterAcceptance.objects.filter(pk=acceptance.pk).values_list(flat=True)
    assert all(IP not in str(value) and "Firefox" not in str(value) for value in stored)
    assert charter_status(membership=scoped.membership(scoped.ambassador)).state == "accepted"
    assert AuditEntry.objects.filter(action="charter.accepted").count() == 1


def test_accepting_the_same_version_twice_is_idempotent(scoped):
    version = publish_charter(scoped.organization, scoped.admin)
    first = _accept(scoped, scoped.ambassador, version)
    assert _accept(scoped, scoped.ambassador, version) == first
    assert CharterAcceptance.objects.count() == 1


def test_only_the_current_version_can_be_accepted(scoped):
    old = publish_charter(scoped.organization, scoped.admin)
    publish_charter(scoped.organization, scoped.admin)
    with pytest.raises(ServiceError) as refused:
        _accept(scoped, scoped.ambassador, old)
    assert refused.value.code == "not_current"
    draft = charter_draft_save(organization=scoped.organization, by=scoped.admin, title="Next", body="x")
    with pytest.raises(ServiceError):
        _accept(scoped, scoped.ambassador, draft)


def test_leaving_closes_the_gate_and_rejoining_records_a_new_acceptance(scoped):
    version = publish_charter(scoped.organization, scoped.admin)
    membership = scoped.membership(scoped.ambassador)
    first = _accept(scoped, scoped.ambassador, version)
    charter_leave(membership=membership, by=scoped.ambassador)
    assert charter_status(membership=membership).state == "left"
    with pytest.raises(ServiceError) as refused:
        charter_leave(membership=membership, by=scoped.ambassador)
    assert refused.value.code == "not_joined"
    again = _accept(scoped, scoped.ambassador, version)
    assert again != first and again.left_at is None
    assert charter_status(membership=membership).state == "accepted"


def test_reminders_go_after_commit_to_those_who_must_accept_only(scoped, django_capture_on_commit_callbacks):
    version = publish_charter(scoped.organization, scoped.admin)
    _accept(scoped, scoped.admin, version)
    _accept(scoped, scoped.editor, version)
    charter_leave(membership=scoped.membership(scoped.editor), by=scoped.editor)
    scoped.manager.language = "fr"
    scoped.manager.save()
    with eager_celery(), django_capture_on_commit_callbacks(execute=False) as callbacks:
        count = charter_send_reminders(organization=scoped.organization, by=scoped.admin)
        assert mail.outbox == []
    assert count == 3  # approver, manager, ambassador: the admin accepted, the editor left
    with eager_celery():
        for callback in callbacks:
            callback()
    recipients = sorted(message.to[0] for message in mail.outbox)
    assert recipients == sorted([scoped.approver.email, scoped.manager.email, scoped.ambassador.email])
    french = next(message for message in mail.outbox if message.to == [scoped.manager.email])
    assert "charte" in french.subject and "/o/acme/charter/" in french.body


def test_reminders_are_refused_before_any_publication(scoped):
    with pytest.raises(ServiceError) as refused:
        charter_send_reminders(organization=scoped.organization, by=scoped.admin)
    assert refused.value.code == "no_charter"


def test_the_other_organisation_sees_nothing(personas):
    with organization_scope(personas.organization):
        version = publish_charter(personas.organization, personas.admin)
        _accept(personas, personas.ambassador, version)
    other = personas.other_organization
    with organization_scope(other):
        assert charter_current(organization=other) is None
        assert CharterVersion.objects.count() == 0 and CharterAcceptance.objects.count() == 0
        membership = MembershipFactory(organization=other)
        assert charter_status(membership=membership).state == "no_charter"
        with pytest.raises(ServiceError) as refused:
            charter_accept(membership=membership, version=version, ip=IP, user_agent=AGENT)
        assert refused.value.code == "not_current"
