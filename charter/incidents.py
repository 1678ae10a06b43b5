"""Incidents: a member reports a problem (a leak, a bad buzz, an abusive reply), the referent and the admins hear
of it at once, and the incident moves through its statuses with a timeline. Services, one selector, and the
e-mails the tasks in ``charter.tasks`` send after the transaction committed.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from advocacy.errors import ServiceError
from advocacy.mail import Email, EmailBatch, Message, email_send_each
from advocacy.models import Membership, Organization, User
from advocacy.roles import Role
from advocacy.services import audit_log
from charter.models import Incident, IncidentEvent
from content.models import Post
from content.selectors import posts_visible_to
from content.services import post_withdraw

# Timeline kinds. A status change is "status:<new status>" so the timeline can say which.
EVENT_REPORTED = "reported"
EVENT_NOTE = "note"
EVENT_POST_WITHDRAWN = "post_withdrawn"
EVENT_STATUS_PREFIX = "status:"

MAX_DESCRIPTION = 10_000


def incident_event_label(kind: str) -> str:
    """What a timeline entry of ``kind`` says, translated."""
    if kind.startswith(EVENT_STATUS_PREFIX):
        status = kind.removeprefix(EVENT_STATUS_PREFIX)
        label = Incident.Status(status).label if status in Incident.Status.values else status
        return _("Status changed to “%(status)s”") % {"status": label}
    labels = {
        EVENT_REPORTED: _("Reported"),
        EVENT_NOTE: _("Note"),
        EVENT_POST_WITHDRAWN: _("Post withdrawn from the feeds"),
    }
    return labels.get(kind, kind)


def _event(incident: Incident, by: User | None, kind: str, text: str = "") -> IncidentEvent:
    return IncidentEvent.objects.create(
        organization_id=incident.organization_id,
        incident=incident,
        actor=by if by is not None and by.pk else None,
        kind=kind,
        text=text,
    )


def _clean_link(link: str) -> str:
    link = link.strip()
    if not link:
        return ""
    try:
        URLValidator(schemes=["http", "https"])(link)
    except ValidationError as exc:
        raise ServiceError(_("Enter a web address starting with https://."), field="link") from exc
    if len(link) > 2000:
        raise ServiceError(_("This address is too long."), field="link")
    return link


def _clean_report(organization: Organization, by: User, kind: str, description: str, post: Post | None) -> str:
    if kind not in Incident.Kind.values:
        raise ServiceError(_("Choose what happened."), code="invalid", field="kind")
    description = description.strip()
    if not description:
        raise ServiceError(_("Describe what happened."), code="required", field="description")
    if len(description) > MAX_DESCRIPTION:
        raise ServiceError(
            _("Keep the description under %(max)d characters.") % {"max": MAX_DESCRIPTION}, field="description"
        )
    membership = Membership.objects.filter(organization=organization, user=by, status=Membership.Status.ACTIVE).first()
    if membership is None:
        raise ServiceError(_("Only members can report an incident."), code="forbidden")
    # A post the reporter may not see (a draft, an embargo, another programme's) reads as a missing one.
    if post is not None and not posts_visible_to(membership=membership).filter(pk=post.pk).exists():
        raise ServiceError(_("This post does not exist."), code="not_found", field="post")
    return description


def _enqueue(task_name: str, incident: Incident, **kwargs: Any) -> None:
    from charter import tasks

    task = getattr(tasks, task_name)
    transaction.on_commit(
        partial(task.delay, organization_id=incident.organization_id, incident_id=incident.pk, **kwargs)
    )


@transaction.atomic
def incident_report(
    *,
    organization: Organization,
    by: User,
    kind: str,
    description: str,
    link: str = "",
    post: Post | None = None,
) -> Incident:
    """Any active member reports a problem. The referent and the admins are e-mailed once the transaction
    commits (``charter.tasks.notify_incident_reported``), each in their language; the timeline starts."""
    description = _clean_report(organization, by, kind, description, post)
    incident = Incident.objects.create(
        organization=organization,
        kind=kind,
        link=_clean_link(link),
        description=description,
        post=post,
        reported_by=by,
    )
    _event(incident, by, EVENT_REPORTED, description)
    audit_log(organization=organization, actor=by, action="incident.reported", target=incident, data={"kind": kind})
    _enqueue("notify_incident_reported", incident)
    return incident


@transaction.atomic
def incident_set_status(*, incident: Incident, by: User | None, status: str, note: str = "") -> Incident:
    """Move an incident to ``status`` (open, in progress, resolved), with an optional note on the timeline.

    Compare-and-set on the status the caller saw: a change made meanwhile by someone else is refused.
    """
    if status not in Incident.Status.values:
        raise ServiceError(_("Choose a status."), code="invalid", field="status")
    if status == incident.status:
        raise ServiceError(_("The incident already has this status."), code="invalid_state", field="status")
    moved = Incident.objects.filter(pk=incident.pk, status=incident.status).update(status=status)
    if not moved:
        raise ServiceError(_("This incident changed meanwhile; reload it."), code="conflict")
    previous = incident.status
    incident.status = status
    _event(incident, by, EVENT_STATUS_PREFIX + status, note.strip())
    audit_log(
        organization=incident.organization,
        actor=by,
        action="incident.status_changed",
        target=incident,
        data={"from": previous, "to": status},
    )
    return incident


@transaction.atomic
def incident_add_note(*, incident: Incident, by: User | None, text: str) -> IncidentEvent:
    """Add a note to the incident's timeline."""
    text = text.strip()
    if not text:
        raise ServiceError(_("Write a note first."), code="required", field="text")
    if len(text) > MAX_DESCRIPTION:
        raise ServiceError(_("Keep the note under %(max)d characters.") % {"max": MAX_DESCRIPTION}, field="text")
    event = _event(incident, by, EVENT_NOTE, text)
    audit_log(organization=incident.organization, actor=by, action="incident.note_added", target=incident)
    return event


@transaction.atomic
def incident_withdraw_post(*, incident: Incident, by: User | None) -> Post:
    """Withdraw the incident's post in one action: approved → withdrawn (``content.services.post_withdraw``), so it
    leaves every feed and every later ``compliance_check`` of it refuses; the timeline records it and the
    referent, the admins and the post's author are e-mailed after commit.

    ``post_withdraw`` also cancels the post's waiting shares (telling their authors why) and asks the ambassadors
    who already published it to delete it, in this transaction (``content.signals.post_withdrawn``).
    """
    if incident.post_id is None:
        raise ServiceError(_("This incident is not about a post."), code="invalid_state", field="post")
    post = Post.objects.get(pk=incident.post_id, organization=incident.organization_id)
    post = post_withdraw(post=post, by=by)
    _event(incident, by, EVENT_POST_WITHDRAWN, post.title)
    audit_log(
        organization=incident.organization,
        actor=by,
        action="incident.post_withdrawn",
        target=incident,
        data={"post": post.pk},
    )
    _enqueue("notify_incident_post_withdrawn", incident)
    return post


def incident_list(*, organization: Organization, status: str = "") -> QuerySet[Incident]:
    """The organisation's incidents, newest first, optionally of one status (an unknown status is refused).

    Joins the reporter and the post: every row of the list shows both.
    """
    if status and status not in Incident.Status.values:
        raise ServiceError(_("Choose a status."), code="invalid", field="status")
    incidents = Incident.objects.filter(organization=organization).select_related("reported_by", "post")
    return incidents.filter(status=status) if status else incidents


# --- E-mails (sent by charter.tasks after commit) ---------------------------------------------------------------


def incident_recipients(incident: Incident, *, also: list[int] | None = None) -> list[User]:
    """The referent and the admins of the incident's organisation (active members only), plus the active members
    among ``also`` (user ids); the person who reported it is left out, since they know."""
    organization = incident.organization
    user_ids = {*(also or [])}
    if organization.referent_id is not None:
        user_ids.add(organization.referent_id)
    memberships = (
        Membership.objects.filter(organization=organization, status=Membership.Status.ACTIVE, user__is_active=True)
        .filter(Q(role=Role.ADMIN) | Q(user_id__in=user_ids))
        .select_related("user")
        .order_by("user__email")
    )
    return [m.user for m in memberships if m.user_id != incident.reported_by_id]


def _incident_url(incident: Incident) -> str:
    path = reverse("incident_detail", args=[incident.organization.slug, incident.pk])
    return settings.RELAIS_SITE_URL.rstrip("/") + path


def _send(key: str, users: list[User], incident: Incident, subject: Promise, template: str) -> EmailBatch:
    """E-mail each of ``users`` once (the key ``<key>:<user id>``), one failure not stopping the others."""
    organization = incident.organization
    context = {"incident": incident, "organization": organization, "url": _incident_url(incident)}

    def compose(user: User) -> Email:
        with translation.override(user.language or organization.language):
            body = render_to_string(template, {**context, "recipient": user})
            heading = str(subject) % {"kind": incident.get_kind_display(), "organization": organization.name}
        return Email(subject=heading, body=body, to=user.email)

    return email_send_each(
        organization=organization,
        messages=(Message(ref=user.pk, key=f"{key}:{user.pk}", compose=partial(compose, user)) for user in users),
    )


def send_incident_reported(*, incident: Incident) -> EmailBatch:
    """E-mail the referent and the admins that an incident was reported, each once."""
    return _send(
        f"incident-reported:{incident.pk}",
        incident_recipients(incident),
        incident,
        gettext_lazy("Incident reported (%(kind)s) — %(organization)s"),
        "emails/incident_reported.txt",
    )


def send_incident_post_withdrawn(*, incident: Incident) -> EmailBatch:
    """E-mail the referent, the admins and the post's author that the incident's post was withdrawn, each once
    per incident and post."""
    post = Post.objects.filter(pk=incident.post_id).first() if incident.post_id else None
    also = [post.author_id] if post is not None and post.author_id is not None else []
    return _send(
        f"incident-withdrawn:{incident.pk}:{incident.post_id}",
        incident_recipients(incident, also=also),
        incident,
        gettext_lazy("Post withdrawn after an incident — %(organization)s"),
        "emails/incident_post_withdrawn.txt",
    )
