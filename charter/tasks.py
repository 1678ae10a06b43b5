"""Workers of the programme rules. Tasks are thin: they take ids, run in their organisation's scope (TenantTask) and
call a service or send one message per recipient."""

from __future__ import annotations

from functools import partial

from celery import shared_task
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from advocacy.mail import Email, Message, email_send_each
from advocacy.models import Membership
from advocacy.tasks import TenantTask, retry_unsent
from charter.models import CharterVersion, Incident
from charter.selectors import STATES_TO_REMIND, charter_current, member_standings

# --- Charter ------------------------------------------------------------------------------------------------------


def charter_url(organization_slug: str) -> str:
    """The absolute address of the charter page (DESIGN.md, "URLs": ``/o/<org>/charter/``)."""
    return f"{settings.RELAIS_SITE_URL.rstrip('/')}/o/{organization_slug}/charter/"


def _charter_reminder(*, membership: Membership, version: CharterVersion, state: str) -> Email:
    """Ask one member to read and accept ``version``, in their language; the message says why (new version,
    expiry, not joined)."""
    user, organization = membership.user, membership.organization
    with translation.override(user.language or organization.language):
        context = {
            "recipient": user,
            "organization": organization,
            "version": version,
            "state": state,
            "url": charter_url(organization.slug),
        }
        body = render_to_string("emails/charter_reminder.txt", context)
        subject = _("%(organization)s: please read and accept the charter") % {"organization": organization.name}
    return Email(subject=subject, body=body, to=user.email)


@shared_task(base=TenantTask, bind=True, name="charter.send_charter_reminders")
def send_charter_reminders(
    self: TenantTask, *, organization_id: int, version_id: int, membership_ids: list[int], batch: int
) -> int:
    """E-mail each listed member that the charter waits for their acceptance. Returns how many were mailed.

    Safe to run twice: a member is written to once per batch (``advocacy.mail``), one refused by the mail server is
    retried on their own, and a member who accepted, left or was suspended since the action is skipped. Nothing is
    sent once a newer version exists.
    """
    version = CharterVersion.objects.select_related("organization").filter(pk=version_id).first()
    if version is None or version.number is None:
        return 0
    current = charter_current(organization=version.organization)
    if current is None or current.pk != version.pk:
        return 0
    # Every listed member's standing in one query, not one charter_status per member.
    memberships = (
        member_standings(organization=version.organization)
        .filter(pk__in=membership_ids, charter_state__in=STATES_TO_REMIND)
        .select_related("organization")  # with the user: the recipient's address and language, the organisation's
    )
    messages = [
        Message(
            ref=membership.pk,
            key=f"charter-reminder:{batch}:{membership.pk}",
            compose=partial(_charter_reminder, membership=membership, version=version, state=membership.charter_state),
        )
        for membership in memberships
    ]
    result = email_send_each(organization=version.organization, messages=messages)
    retry_unsent(self, result, ids_argument="membership_ids")
    return result.sent


# --- Incidents ----------------------------------------------------------------------------------------------------


@shared_task(base=TenantTask, bind=True, name="charter.notify_incident_reported")
def notify_incident_reported(self: TenantTask, *, organization_id: int, incident_id: int) -> int:
    """E-mail the referent and the admins that an incident was reported, each in their language. Once per incident;
    returns how many were mailed."""
    from charter.incidents import send_incident_reported

    incident = Incident.objects.select_related("organization").filter(pk=incident_id).first()
    if incident is None:
        return 0
    batch = send_incident_reported(incident=incident)
    retry_unsent(self, batch)
    return batch.sent


@shared_task(base=TenantTask, bind=True, name="charter.notify_incident_post_withdrawn")
def notify_incident_post_withdrawn(self: TenantTask, *, organization_id: int, incident_id: int) -> int:
    """E-mail the referent, the admins and the post's author that the incident's post was withdrawn. Once per
    incident and post; returns how many were mailed."""
    from charter.incidents import send_incident_post_withdrawn

    incident = Incident.objects.select_related("organization").filter(pk=incident_id).first()
    if incident is None or incident.post_id is None:
        return 0
    batch = send_incident_post_withdrawn(incident=incident)
    retry_unsent(self, batch)
    return batch.sent
