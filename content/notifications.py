"""E-mails of the approval workflow and the suggestions inbox. Called by the tasks in ``content.tasks`` only,
after the transaction that caused them committed; each recipient gets their own message in their language
(their own choice, else the organisation's)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from advocacy.models import Membership, Organization, User
from content.models import ApprovalDecision, ApprovalStep, ApprovalStepApprover, Post, Suggestion


def _absolute(name: str, organization: Organization, *args: Any) -> str:
    return settings.RELAIS_SITE_URL.rstrip("/") + reverse(name, args=[organization.slug, *args])


def _send(user: User, organization: Organization, subject: Promise, template: str, context: dict[str, Any]) -> None:
    with translation.override(user.language or organization.language):
        body = render_to_string(template, {**context, "organization": organization, "recipient": user})
        send_mail(str(subject) % context["subject_vars"], body, None, [user.email])


def step_approvers(step: ApprovalStep) -> list[User]:
    """Active members who decide ``step``: those holding its role, and those it names."""
    named = ApprovalStepApprover.objects.filter(step=step).values("membership_id")
    role = Q(role=step.approver_role) if step.approver_role else Q(pk__in=[])
    memberships = Membership.objects.filter(
        Q(pk__in=named) | role, organization=step.organization_id, status=Membership.Status.ACTIVE
    ).select_related("user")
    return [membership.user for membership in memberships]


def send_approval_requested(*, post: Post, step: ApprovalStep) -> int:
    """Tell the approvers of ``step`` that ``post`` waits for them (its author left out). Returns the count."""
    organization = post.organization
    recipients = [user for user in step_approvers(step) if user.pk != post.author_id]
    context = {
        "post": post,
        "step": step,
        "url": _absolute("approval_decide", organization, post.pk),
        "subject_vars": {"title": post.title, "step": step.name},
    }
    for user in recipients:
        _send(user, organization, _("To approve (%(step)s): %(title)s"), "emails/approval_requested.txt", context)
    return len(recipients)


_DECISION_SUBJECTS = {
    "approved": _("Approved: %(title)s"),
    "changes_requested": _("Changes requested: %(title)s"),
    "rejected": _("Not approved: %(title)s"),
}


def send_decision_to_author(*, post: Post, decision: ApprovalDecision) -> bool:
    """Tell the post's author the outcome of a decision, with the approver's note."""
    author = post.author
    if author is None or not author.is_active:
        return False
    context = {
        "post": post,
        "decision": decision,
        "url": _absolute("post_detail", post.organization, post.pk),
        "subject_vars": {"title": post.title},
    }
    _send(author, post.organization, _DECISION_SUBJECTS[decision.outcome], "emails/post_decided.txt", context)
    return True


def send_suggestion_declined(*, suggestion: Suggestion) -> bool:
    """Tell the member who suggested a link that it was declined, and why."""
    author = suggestion.suggested_by
    if author is None or not author.is_active:
        return False
    context = {"suggestion": suggestion, "subject_vars": {"url": suggestion.url}}
    _send(
        author,
        suggestion.organization,
        _("Your suggestion was declined: %(url)s"),
        "emails/suggestion_declined.txt",
        context,
    )
    return True
