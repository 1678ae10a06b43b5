"""Writes of the programme rules: charter drafts and publication, acceptance and leaving, reminders, training.

Every service is keyword-only and atomic, runs inside the organisation's scope (the caller's entry point entered
it), writes an audit entry, and raises ``ServiceError`` with a translated message when a rule refuses. Permissions
are the views' business (``charter.manage``, ``charter.report``); services check states.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from advocacy.errors import ServiceError
from advocacy.models import Membership, Organization, User
from advocacy.services import audit_log
from charter import seed
from charter.models import CharterAcceptance, CharterVersion, TrainingCompletion, TrainingModule
from charter.selectors import ACCEPTED, STATES_TO_REMIND, charter_current, charter_status, member_standings
from charter.signals import member_left


def _require_title(title: str) -> str:
    title = (title or "").strip()
    if not title:
        raise ServiceError(_("Give it a title."), code="required", field="title")
    return title


def _lock_organization(organization: Organization) -> Organization:
    """Serialise the organisation's charter publications: version numbers are taken as last + 1."""
    return Organization.objects.select_for_update().get(pk=organization.pk)


# --- Charter versions -------------------------------------------------------------------------------------------


@transaction.atomic
def charter_draft_save(
    *,
    organization: Organization,
    by: User | None,
    title: str,
    body: str,
    summary_of_changes: str = "",
    requires_reacceptance: bool = True,
    version: CharterVersion | None = None,
) -> CharterVersion:
    """Create a draft (``version`` None) or edit one. A published version never changes: editing it is refused."""
    title = _require_title(title)
    if version is None:
        version = CharterVersion(organization=organization, created_by=by)
    else:
        version = CharterVersion.objects.select_for_update().get(pk=version.pk, organization=organization)
        if version.status != CharterVersion.Status.DRAFT:
            raise ServiceError(_("A published version never changes: write a new draft instead."), code="not_draft")
    version.title = title
    version.body = body or ""
    version.summary_of_changes = (summary_of_changes or "").strip()
    version.requires_reacceptance = requires_reacceptance
    version.save()
    audit_log(organization=organization, actor=by, action="charter.draft_saved", target=version)
    return version


@transaction.atomic
def charter_publish(*, version: CharterVersion, by: User | None) -> CharterVersion:
    """Publish a draft as the next version number (1, 2, 3…). An empty text is refused (``field="body"``).

    Members who accepted an older version must accept again when ``requires_reacceptance`` is set; a minor edit
    keeps their acceptances valid (``charter.selectors`` derives both from the published versions).
    """
    organization = _lock_organization(version.organization)
    locked = CharterVersion.objects.select_for_update().get(pk=version.pk, organization=organization)
    if locked.status != CharterVersion.Status.DRAFT:
        raise ServiceError(_("This version is already published."), code="not_draft")
    if not locked.body.strip():
        raise ServiceError(_("The charter is empty: write its text before publishing."), code="empty", field="body")
    last = charter_current(organization=organization)
    locked.number = (last.number or 0) + 1 if last is not None else 1
    locked.status = CharterVersion.Status.PUBLISHED
    locked.published_by = by
    locked.published_at = timezone.now()
    locked.save(update_fields=["number", "status", "published_by", "published_at"])
    audit_log(
        organization=organization,
        actor=by,
        action="charter.published",
        target=locked,
        data={"number": locked.number, "requires_reacceptance": locked.requires_reacceptance},
    )
    return locked


@transaction.atomic
def charter_seed_template(*, organization: Organization, by: User | None) -> CharterVersion:
    """A draft of a sensible charter in the organisation's language (French, else English), naming the referent."""
    referent = organization.referent.display_name if organization.referent is not None else None
    title, body = seed.charter_template(language=organization.language, referent=referent)
    return charter_draft_save(organization=organization, by=by, title=title, body=body, requires_reacceptance=True)


# --- Acceptance ---------------------------------------------------------------------------------------------------


def client_digest(*, ip: str, user_agent: str) -> str:
    """Evidence of where an acceptance came from without keeping the IP address or the user agent."""
    return hashlib.sha256(f"{ip}|{user_agent}".encode()).hexdigest()


def _lock_membership(membership: Membership) -> Membership:
    """Serialise one member's acceptances and leaving (two tabs, a double click)."""
    locked = Membership.objects.select_for_update().get(pk=membership.pk, organization=membership.organization_id)
    if not locked.is_active:
        raise ServiceError(_("This membership is suspended."), code="inactive")
    return locked


@transaction.atomic
def charter_accept(
    *, membership: Membership, version: CharterVersion, ip: str, user_agent: str, now: datetime | None = None
) -> CharterAcceptance:
    """Record the member's opt-in under ``version``, which must be the current published one.

    Idempotent: accepting the version the member already stands accepted under returns that acceptance. After an
    expiry, a superseding version or leaving, it records a new acceptance (rejoining works the same way).
    """
    now = now or timezone.now()
    locked = _lock_membership(membership)
    current = charter_current(organization=locked.organization)
    if current is None or version.organization_id != locked.organization_id or current.pk != version.pk:
        raise ServiceError(
            _("This is not the current version of the charter: read the current one and accept it."),
            code="not_current",
        )
    status = charter_status(membership=locked, now=now)
    if status.state == ACCEPTED and status.acceptance is not None and status.acceptance.version_id == version.pk:
        return status.acceptance
    acceptance = CharterAcceptance.objects.create(
        organization=locked.organization,
        membership=locked,
        version=current,
        accepted_at=now,
        client_digest=client_digest(ip=ip, user_agent=user_agent),
    )
    audit_log(
        organization=locked.organization,
        actor=locked.user,
        action="charter.accepted",
        target=acceptance,
        data={"version": current.number},
    )
    return acceptance


@transaction.atomic
def charter_leave(*, membership: Membership, by: User | None, now: datetime | None = None) -> None:
    """Leave the programme: the member's acceptances end now, so the share gate closes at once.

    Sends ``charter.signals.member_left`` inside the transaction: the member's waiting shares are cancelled with
    the leave (one click, one transaction), so every path that leaves goes through here. Refused when the member has
    not joined or already left.
    """
    now = now or timezone.now()
    locked = _lock_membership(membership)
    ended = CharterAcceptance.objects.filter(
        organization=locked.organization_id, membership=locked, left_at__isnull=True
    ).update(left_at=now)
    if not ended:
        raise ServiceError(_("You are not in the programme."), code="not_joined")
    audit_log(organization=locked.organization, actor=by, action="charter.left", target=locked)
    member_left.send(sender=Membership, membership=locked, by=by)


@transaction.atomic
def charter_send_reminders(*, organization: Organization, by: User | None) -> int:
    """E-mail every active member who must accept the current charter (not joined, a newer version, expired).

    Members who left are not reminded: leaving was their choice. The mails go from a task after commit; returns
    how many members it will write to.
    """
    from charter.tasks import send_charter_reminders

    current = charter_current(organization=organization)
    if current is None:
        raise ServiceError(_("Publish the charter before sending reminders."), code="no_charter")
    membership_ids = list(
        member_standings(organization=organization)
        .filter(charter_state__in=STATES_TO_REMIND)
        .values_list("pk", flat=True)
    )
    entry = audit_log(
        organization=organization,
        actor=by,
        action="charter.reminders_sent",
        target=current,
        data={"count": len(membership_ids)},
    )
    if membership_ids:
        transaction.on_commit(
            partial(
                send_charter_reminders.delay,
                organization_id=organization.pk,
                version_id=current.pk,
                membership_ids=membership_ids,
                batch=entry.pk,
            )
        )
    return len(membership_ids)


# --- Training -----------------------------------------------------------------------------------------------------


def _quiz_error(number: int) -> ServiceError:
    return ServiceError(
        _("Question %(number)s of the quiz needs a question, at least two choices and the number of the right one.")
        % {"number": number},
        code="invalid_quiz",
        field="quiz",
    )


def _clean_quiz(quiz: Sequence[Any]) -> list[dict[str, Any]]:
    """Check the quiz shape ``[{"question", "choices": [...], "answer": index}]`` and trim its texts."""
    if not isinstance(quiz, list | tuple):
        raise _quiz_error(1)
    cleaned = []
    for number, item in enumerate(quiz, start=1):
        question = item.get("question") if isinstance(item, dict) else None
        choices = item.get("choices") if isinstance(item, dict) else None
        answer = item.get("answer") if isinstance(item, dict) else None
        if not isinstance(question, str) or not question.strip() or not isinstance(choices, list):
            raise _quiz_error(number)
        if len(choices) < 2 or not all(isinstance(choice, str) and choice.strip() for choice in choices):
            raise _quiz_error(number)
        if not isinstance(answer, int) or isinstance(answer, bool) or not 0 <= answer < len(choices):
            raise _quiz_error(number)
        cleaned.append({"question": question.strip(), "choices": [c.strip() for c in choices], "answer": answer})
    return cleaned


@transaction.atomic
def training_module_save(
    *,
    organization: Organization,
    by: User | None,
    level: str,
    title: str,
    body: str,
    quiz: Sequence[Any] = (),
    position: int = 0,
    published: bool = True,
    module: TrainingModule | None = None,
) -> TrainingModule:
    """Create a module (``module`` None) or edit one; the quiz shape is checked (``field="quiz"``)."""
    if level not in TrainingModule.Level.values:
        raise ServiceError(_("Choose a level: novice, intermediate or expert."), code="invalid_level", field="level")
    title = _require_title(title)
    if not (body or "").strip():
        raise ServiceError(_("Write the module's text."), code="required", field="body")
    if module is None:
        module = TrainingModule(organization=organization)
    else:
        module = TrainingModule.objects.select_for_update().get(pk=module.pk, organization=organization)
    module.level = level
    module.title = title
    module.body = body
    module.quiz = _clean_quiz(list(quiz))
    module.position = position
    module.published = published
    module.save()
    audit_log(organization=organization, actor=by, action="training.module_saved", target=module)
    return module


def _check_answers(quiz: list[dict[str, Any]], answers: Sequence[int | None] | None) -> None:
    given = list(answers or [])
    if len(given) > len(quiz):
        raise ServiceError(_("There are more answers than questions."), code="invalid", field="answers")
    missing = [str(n) for n, item in enumerate(quiz, start=1) if n > len(given) or given[n - 1] is None]
    if missing:
        raise ServiceError(
            _("Answer every question. Not answered: %(numbers)s.") % {"numbers": ", ".join(missing)},
            code="incomplete",
            field="answers",
        )
    wrong = [str(n) for n, item in enumerate(quiz, start=1) if given[n - 1] != item["answer"]]
    if wrong:
        raise ServiceError(
            _("Some answers are not right: question(s) %(numbers)s. Read the module again and retry.")
            % {"numbers": ", ".join(wrong)},
            code="wrong_answers",
            field="answers",
        )


@transaction.atomic
def training_complete(
    *, module: TrainingModule, membership: Membership, answers: Sequence[int | None] | None = None
) -> TrainingCompletion:
    """Record that the member completed ``module``: every quiz question answered (``code="incomplete"`` names the
    unanswered ones) and right (``code="wrong_answers"`` names the wrong ones). Idempotent once completed."""
    if module.organization_id != membership.organization_id or not module.published:
        raise ServiceError(_("This module is not available."), code="unavailable")
    existing = TrainingCompletion.objects.filter(
        organization=module.organization_id, module=module, membership=membership
    ).first()
    if existing is not None:
        return existing
    _check_answers(list(module.quiz or []), answers)
    # get_or_create: a double submit that passed the check above at the same time finds the first one's row.
    completion, created = TrainingCompletion.objects.get_or_create(
        organization=module.organization, module=module, membership=membership
    )
    if created:
        audit_log(
            organization=module.organization, actor=membership.user, action="training.completed", target=completion
        )
    return completion


@transaction.atomic
def training_seed(*, organization: Organization) -> list[TrainingModule]:
    """The four starter modules (LinkedIn profile, personal angle, what never to share, account security) in the
    organisation's language. Idempotent: a module whose title already exists is kept as it is."""
    existing = {module.title: module for module in TrainingModule.objects.filter(organization=organization)}
    modules = []
    for position, item in enumerate(seed.training_modules(language=organization.language), start=1):
        module = existing.get(item["title"])
        if module is None:
            module = training_module_save(
                organization=organization,
                by=None,
                level=item["level"],
                title=item["title"],
                body=item["body"],
                quiz=item["quiz"],
                position=position,
            )
        modules.append(module)
    return modules
