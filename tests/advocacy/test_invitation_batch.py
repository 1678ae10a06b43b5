"""An invitation batch: the request writes the invitations and enqueues one task after commit; the task e-mails
each invitation once with a link issued at send time, and one address the mail server refuses does not stop the
others."""

import pytest
from django.core import mail
from django.urls import reverse

from advocacy.mail import EmailsNotSent
from advocacy.models import Invitation
from advocacy.roles import Role
from advocacy.services import invitation_create_many
from advocacy.tasks import send_invitations
from advocacy.tenancy import organization_scope
from tests.content.factories import eager_celery
from tests.smtp import smtp_server  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db

ADDRESSES = ["ana@acme.test", "bo@acme.test", "cy@acme.test", "di@acme.test"]


def invite(personas, django_capture_on_commit_callbacks, emails=ADDRESSES):
    with organization_scope(personas.organization), django_capture_on_commit_callbacks() as callbacks:
        invitation_create_many(
            organization=personas.organization, inviter=personas.admin, emails=emails, role=Role.AMBASSADOR
        )
    with organization_scope(personas.organization):
        ids = list(Invitation.objects.filter(email__in=emails).order_by("pk").values_list("pk", flat=True))
    return callbacks, ids


def test_a_batch_of_invitations_is_one_task_enqueued_after_commit(personas, django_capture_on_commit_callbacks):
    callbacks, _ids = invite(personas, django_capture_on_commit_callbacks)

    assert len(callbacks) == 1
    assert mail.outbox == []
    with eager_celery():
        callbacks[0]()
    assert sorted(message.to[0] for message in mail.outbox) == ADDRESSES


def test_one_refused_address_does_not_stop_the_other_invitations(
    personas,
    smtp_server,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    _callbacks, ids = invite(personas, django_capture_on_commit_callbacks)
    smtp_server.refused.add("bo@acme.test")
    kwargs = {"organization_id": personas.organization.pk, "invitation_ids": ids}

    with pytest.raises(EmailsNotSent):  # the task's retry
        send_invitations(**kwargs)
    assert smtp_server.recipients == ["ana@acme.test", "cy@acme.test", "di@acme.test"]

    smtp_server.refused.clear()
    assert send_invitations(**kwargs) == 1
    assert smtp_server.recipients == ADDRESSES


def test_the_link_is_issued_when_the_email_is_sent_and_opens_the_invitation(
    client, personas, django_capture_on_commit_callbacks
):
    callbacks, _ids = invite(personas, django_capture_on_commit_callbacks, emails=["ana@acme.test"])
    with eager_celery():
        callbacks[0]()

    link = next(line for line in mail.outbox[0].body.splitlines() if "/invitations/acme/" in line).strip()
    token = link.rstrip("/").rsplit("/", 1)[1]
    with organization_scope(personas.organization):
        assert Invitation.objects.get(email="ana@acme.test").token_digest == Invitation.digest(token)
    assert client.get(reverse("invitation_accept", kwargs={"org_slug": "acme", "token": token})).status_code == 200


def test_an_outsider_gets_a_404_on_the_invitation_form(client, personas):
    client.force_login(personas.admin)
    assert client.get(reverse("member_invite", args=[personas.organization.slug])).status_code == 200
    client.force_login(personas.outsider)

    assert client.get(reverse("member_invite", args=[personas.organization.slug])).status_code == 404
