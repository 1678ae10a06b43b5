"""E-mails of the approval workflow and the suggestions inbox. Called by the tasks in ``content.tasks`` only,
after the transaction that caused them committed; each recipient gets their own message in their language
(their own choice, else the organisation's), once per key (``advocacy.mail``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from advocacy.mail import Email, EmailBatch, Message, email_send_each
from advocacy.models import Membership, Organization, User
from content.models import ApprovalDecision, ApprovalStep, ApprovalStepApprover, Post, Suggestion


def _absolute(name: str, organization: Organization, *args: Any) -> str:
    return settings.RELAIS_SITE_URL.rstrip("/") + reverse(name, args=[organization.slug, *args])


def _message(
    key: str, user: User, organization: Organization, subject: Promise, template: str, context: dict[str, Any]
) -> Message:
    def compose() -> Email:
        with translation.override(user.language or organization.language):
            body = render_to_string(template, {**context, "organization": organization, "recipient": user})
            return Email(subject=str(subject) % context["subject_vars"], body=body, to=user.email)

    return Message(ref=user.pk, key=key, compose=compose)


def step_approvers(step: ApprovalStep) -> list[User]:
    """Active members who decide ``step``: those holding its role, and those it names."""
    named = ApprovalStepApprover.objects.filter(step=step).values("membership_id")
    role = Q(role=step.approver_role) if step.approver_role else Q(pk__in=[])
    memberships = Membership.objects.filter(
        Q(pk__in=named) | role, organization=step.organization_id, status=Membership.Status.ACTIVE
    ).select_related("user")
    return [membership.user for membership in memberships]


def send_approval_requested(*, post: Post, step: ApprovalStep) -> EmailBatch:
    """Tell the approvers of ``step`` that ``post`` waits for them (its author left out), each once per revision."""
    organization = post.organization
    recipients = [user for user in step_approvers(step) if user.pk != post.author_id]
    context = {
        "post": post,
        "step": step,
        "url": _absolute("approval_decide", organization, post.pk),
        "subject_vars": {"title": post.title, "step": step.name},
    }
    subject = _("To approve (%(step)s): %(title)s")
    return email_send_each(
        organization=organization,
        messages=(
            _message(
                f"approval-requested:{post.pk}:{post.revision}:{step.pk}:{user.pk}",
                user,
                organization,
                subject,
                "emails/approval_requested.txt",
                context,
            )
            for user in recipients
        ),
    )


_DECISION_SUBJECTS = {
    "approved": _("Approved: %(title)s"),
    "changes_requested": _("Changes requested: %(title)s"),
    "rejected": _("Not approved: %(title)s"),
}


def send_decision_to_author(*, post: Post, decision: ApprovalDecision) -> EmailBatch:
    """Tell the post's author the outcome of a decision, with the approver's note, once per decision."""
    author = post.author
    if author is None or not author.is_active:
        return EmailBatch()
    context = {
        "post": post,
        "decision": decision,
        "url": _absolute("post_detail", post.organization, post.pk),
        "subject_vars": {"title": post.title},
    }
    subject = _DECISION_SUBJECTS[decision.outcome]
    message = _message(
        f"decision:{decision.pk}", author, post.organization, subject, "emails/post_decided.txt", context
    )
    return email_send_each(organization=post.organization, messages=[message])


def send_suggestion_declined(*, suggestion: Suggestion) -> EmailBatch:
    """Tell the member who suggested a link that it was declined, and why, once per suggestion."""
    author = suggestion.suggested_by
    if author is None or not author.is_active:
        return EmailBatch()
    context = {"suggestion": suggestion, "subject_vars": {"url": suggestion.url}}
    message = _message(
        f"suggestion-declined:{suggestion.pk}",
        author,
        suggestion.organization,
        _("Your suggestion was declined: %(url)s"),
        "emails/suggestion_declined.txt",
        context,
    )
    return email_send_each(organization=suggestion.organization, messages=[message])
