"""Writes of the content library: topics, posts and their revisions, the approval workflow, policies, suggestions.

Every service is keyword-only and atomic, runs inside the organisation's scope (the caller's entry point entered
it), writes an audit entry, and raises ``ServiceError`` with a translated message when a rule refuses. Services
that return a post refresh the instance they were given, so callers may keep using it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import Model, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from advocacy.errors import ServiceError
from advocacy.models import Membership, Organization, Programme, User
from advocacy.roles import Role
from advocacy.services import audit_log
from content import selectors
from content.feeds import url_hash
from content.models import (
    ApprovalDecision,
    ApprovalPolicy,
    ApprovalStep,
    ApprovalStepApprover,
    Network,
    Post,
    PostProgramme,
    PostRevision,
    PostTopic,
    PostVariant,
    Suggestion,
    Topic,
    referral_parameter_validator,
)
from content.previews import preview_request
from content.signals import post_withdrawn
from content.text import validate_variant_text

# Fields whose change makes a new revision (and a new review); the dates are scheduling, not content.
CONTENT_FIELDS = (
    "title",
    "link",
    "referral_parameter",
    "note",
    "image",
    "topics",
    "programmes",
    "languages",
    "editable_by_ambassadors",
    "featured",
)
# The confidentiality date is scheduling too: it decides when a post may be shared, not what it says.
DATE_FIELDS = ("publish_at", "expires_at", "confidential_until")
# What the post counts as in analytics (a job offer, a lead campaign): not what ambassadors share, so no new revision.
LABEL_FIELDS = ("campaign",)
_SIMPLE_FIELDS = ("title", "link", "referral_parameter", "note", "editable_by_ambassadors", "featured")
_POST_TITLE_MAX = Post._meta.get_field("title").max_length or 200
_REFERRAL_PARAMETER_MAX = Post._meta.get_field("referral_parameter").max_length or 40


@dataclass(frozen=True)
class VariantInput:
    network: str
    text: str


@dataclass(frozen=True)
class StepInput:
    name: str
    approver_role: str = ""
    approver_ids: tuple[int, ...] = ()  # membership ids


# --- Validation ------------------------------------------------------------------------------------------------------

_http_url = URLValidator(schemes=["http", "https"])


def _validate_link(link: str, *, field: str = "link") -> str:
    link = (link or "").strip()
    if not link:
        return ""
    try:
        _http_url(link)
    except ValidationError as exc:
        raise ServiceError(
            _("Enter a full web address starting with http:// or https://."), code="invalid_link", field=field
        ) from exc
    return link


def _validate_referral_parameter(name: str) -> str:
    name = (name or "").strip()
    if not name:
        return ""
    if len(name) > _REFERRAL_PARAMETER_MAX:
        raise ServiceError(
            _("Keep the parameter to %(max)s characters.") % {"max": _REFERRAL_PARAMETER_MAX},
            code="invalid",
            field="referral_parameter",
        )
    try:
        referral_parameter_validator(name)
    except ValidationError as exc:
        raise ServiceError(
            str(referral_parameter_validator.message), code="invalid", field="referral_parameter"
        ) from exc
    return name


def _validate_campaign(value: str) -> str:
    value = (value or "").strip()
    if value not in Post.Campaign.values:
        raise ServiceError(_("Choose a job offer, a lead campaign or none."), code="invalid", field="campaign")
    return value


def _validate_dates(publish_at: datetime | None, expires_at: datetime | None) -> None:
    if publish_at is not None and expires_at is not None and expires_at <= publish_at:
        raise ServiceError(
            _("The expiry date must be after the publish date."), code="invalid_dates", field="expires_at"
        )


def _validate_variants(variants: Sequence[VariantInput]) -> list[VariantInput]:
    cleaned: list[VariantInput] = []
    for index, variant in enumerate(variants, start=1):
        if variant.network not in Network.values:
            raise ServiceError(
                _("Variant %(number)d: “%(network)s” is not a network.")
                % {"number": index, "network": variant.network},
                code="invalid_variant",
                field="variants",
            )
        text = variant.text.strip()
        if not text:
            continue
        errors = validate_variant_text(variant.network, text)
        if errors:
            raise ServiceError(
                _("Variant %(number)d (%(network)s): %(errors)s")
                % {"number": index, "network": Network(variant.network).label, "errors": " ".join(errors)},
                code="invalid_variant",
                field="variants",
            )
        cleaned.append(VariantInput(network=variant.network, text=text))
    return cleaned


def _ids(values: Iterable[Any]) -> list[int]:
    return sorted({int(value.pk) if isinstance(value, Model) else int(value) for value in values})


def _own_topics(organization: Organization, values: Iterable[Any]) -> list[int]:
    ids = _ids(values)
    # Filtering by organisation as well as by scope: an id of another organisation must be refused, not ignored.
    found = set(Topic.objects.filter(organization=organization, pk__in=ids).values_list("pk", flat=True))
    if found != set(ids):
        raise ServiceError(_("One of the chosen topics does not exist."), code="unknown_topic", field="topics")
    return ids


def _own_programmes(organization: Organization, values: Iterable[Any]) -> list[int]:
    ids = _ids(values)
    found = set(Programme.objects.filter(organization=organization, pk__in=ids).values_list("pk", flat=True))
    if found != set(ids):
        raise ServiceError(
            _("One of the chosen programmes does not exist."), code="unknown_programme", field="programmes"
        )
    return ids


def _clean_languages(languages: Iterable[str]) -> list[str]:
    return sorted({str(code).strip().lower() for code in languages if str(code).strip()})


def _post_state_error() -> ServiceError:
    return ServiceError(_("This post is not in a state that allows this action."), code="invalid_state")


def _stale_error() -> ServiceError:
    return ServiceError(_("This post changed since you opened it: review the new revision."), code="stale")


def _already_decided_error() -> ServiceError:
    return ServiceError(_("Another approver decided this step first."), code="already_decided")


# --- Topics ----------------------------------------------------------------------------------------------------------


def _save_topic(topic: Topic) -> None:
    try:
        with transaction.atomic():
            topic.full_clean(exclude=["organization"], validate_unique=False, validate_constraints=False)
            topic.save()
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise ServiceError(" ".join(messages), field=field) from exc
    except IntegrityError as exc:
        raise ServiceError(
            _("A topic named “%(name)s” already exists.") % {"name": topic.name}, code="duplicate", field="name"
        ) from exc


@transaction.atomic
def topic_create(
    *, organization: Organization, name: str, colour: str = "#1d4ed8", description: str = "", by: User | None
) -> Topic:
    """Create a topic; a name already used in the organisation → ``ServiceError(field="name")``."""
    topic = Topic(organization=organization, name=name.strip(), colour=colour, description=description)
    _save_topic(topic)
    audit_log(organization=organization, actor=by, action="topic.created", target=topic, data={"name": topic.name})
    return topic


@transaction.atomic
def topic_update(*, topic: Topic, by: User | None, **changes: Any) -> Topic:
    unknown = set(changes) - {"name", "colour", "description"}
    if unknown:
        raise ServiceError(_("These fields cannot be changed: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    for name, value in changes.items():
        setattr(topic, name, value.strip() if name == "name" else value)
    _save_topic(topic)
    audit_log(
        organization=topic.organization,
        actor=by,
        action="topic.updated",
        target=topic,
        data={"fields": sorted(changes)},
    )
    return topic


@transaction.atomic
def topic_delete(*, topic: Topic, by: User | None) -> None:
    """Delete a topic; posts keep their other topics (the link rows cascade)."""
    audit_log(
        organization=topic.organization, actor=by, action="topic.deleted", target=topic, data={"name": topic.name}
    )
    topic.delete()


# --- Posts: content and revisions ------------------------------------------------------------------------------------


def _snapshot(post: Post) -> dict[str, Any]:
    """All content fields of a post, as JSON, with names rather than ids so a diff reads well later."""
    topics = Topic.objects.filter(
        pk__in=PostTopic.objects.filter(post=post).values("topic_id"), organization=post.organization_id
    )
    programmes = Programme.objects.filter(
        pk__in=PostProgramme.objects.filter(post=post).values("programme_id"), organization=post.organization_id
    )
    variants = PostVariant.objects.filter(post=post).order_by("network", "position", "pk")
    return {
        "title": post.title,
        "link": post.link,
        # Only when set, so a revision saved before the field existed does not read as a change.
        **({"referral_parameter": post.referral_parameter} if post.referral_parameter else {}),
        "note": post.note,
        "image": post.image.name if post.image else "",
        "topics": sorted(topics.values_list("name", flat=True)),
        "programmes": sorted(programmes.values_list("name", flat=True)),
        "languages": list(post.languages or []),
        "editable_by_ambassadors": post.editable_by_ambassadors,
        "featured": post.featured,
        "variants": [{"network": v.network, "text": v.text} for v in variants],
    }


def _write_revision(post: Post, by: User | None) -> PostRevision:
    return PostRevision.objects.create(
        organization=post.organization, post=post, number=post.revision, data=_snapshot(post), created_by=by
    )


def _set_links(post: Post, *, topic_ids: list[int] | None = None, programme_ids: list[int] | None = None) -> None:
    if topic_ids is not None:
        PostTopic.objects.filter(post=post).exclude(topic_id__in=topic_ids).delete()
        present = set(PostTopic.objects.filter(post=post).values_list("topic_id", flat=True))
        PostTopic.objects.bulk_create(
            [PostTopic(organization=post.organization, post=post, topic_id=pk) for pk in topic_ids if pk not in present]
        )
    if programme_ids is not None:
        PostProgramme.objects.filter(post=post).exclude(programme_id__in=programme_ids).delete()
        present = set(PostProgramme.objects.filter(post=post).values_list("programme_id", flat=True))
        PostProgramme.objects.bulk_create(
            [
                PostProgramme(organization=post.organization, post=post, programme_id=pk)
                for pk in programme_ids
                if pk not in present
            ]
        )


def _set_variants(post: Post, variants: Sequence[VariantInput]) -> None:
    PostVariant.objects.filter(post=post).delete()
    positions: dict[str, int] = {}
    rows = []
    for variant in variants:
        position = positions.get(variant.network, 0)
        positions[variant.network] = position + 1
        rows.append(
            PostVariant(
                organization=post.organization, post=post, network=variant.network, text=variant.text, position=position
            )
        )
    PostVariant.objects.bulk_create(rows)


@transaction.atomic
def post_create(
    *,
    organization: Organization,
    author: User | None,
    title: str,
    link: str = "",
    referral_parameter: str = "",
    campaign: str = "",
    note: str = "",
    image: File[Any] | None = None,
    topics: Iterable[Any] = (),
    programmes: Iterable[Any] = (),
    languages: Iterable[str] = (),
    publish_at: datetime | None = None,
    expires_at: datetime | None = None,
    confidential_until: datetime | None = None,
    editable_by_ambassadors: bool = True,
    featured: bool = False,
    variants: Sequence[VariantInput] = (),
    suggested_by: User | None = None,
) -> Post:
    """Create a draft at revision 1 with its snapshot. ``topics``/``programmes`` are objects or ids of the
    organisation; one of another organisation refuses the whole post (nothing is created)."""
    title = title.strip()
    if not title:
        raise ServiceError(_("A post needs a title."), code="required", field="title")
    link = _validate_link(link)
    referral_parameter = _validate_referral_parameter(referral_parameter)
    campaign = _validate_campaign(campaign)
    _validate_dates(publish_at, expires_at)
    cleaned_variants = _validate_variants(variants)
    topic_ids = _own_topics(organization, topics)
    programme_ids = _own_programmes(organization, programmes)
    post = Post(
        organization=organization,
        author=author,
        suggested_by=suggested_by,
        title=title,
        link=link,
        referral_parameter=referral_parameter,
        campaign=campaign,
        note=note,
        languages=_clean_languages(languages),
        publish_at=publish_at,
        expires_at=expires_at,
        confidential_until=confidential_until,
        editable_by_ambassadors=editable_by_ambassadors,
        featured=featured,
        status=Post.Status.DRAFT,
        revision=1,
    )
    if image is not None:
        post.image = image
    post.save()
    _set_links(post, topic_ids=topic_ids, programme_ids=programme_ids)
    _set_variants(post, cleaned_variants)
    _write_revision(post, author)
    audit_log(organization=organization, actor=author, action="post.created", target=post, data={"title": title})
    _request_preview(post)
    return post


def _request_preview(post: Post) -> None:
    """Link the post to its link's preview; a worker fetches it after commit (``preview_request``), so every way
    of saving a post (editor, API, accepted suggestion) gets one, and a slow or refused link never fails the save."""
    if post.link:
        preview_request(organization=post.organization, url=post.link, post=post)
    elif post.link_preview_id is not None:
        Post.objects.filter(pk=post.pk, organization=post.organization_id).update(link_preview=None)
        post.link_preview = None


def _lock(post: Post) -> Post:
    # Row lock: edits, reschedules and state changes of one post run one after the other.
    return Post.objects.select_for_update().get(pk=post.pk, organization=post.organization_id)


def _current_variants(post: Post) -> list[VariantInput]:
    return [
        VariantInput(network=v.network, text=v.text)
        for v in PostVariant.objects.filter(post=post).order_by("network", "position", "pk")
    ]


def _apply_fields(locked: Post, fields: dict[str, Any]) -> list[str]:
    changed: list[str] = []
    if "title" in fields:
        fields["title"] = str(fields["title"]).strip()
        if not fields["title"]:
            raise ServiceError(_("A post needs a title."), code="required", field="title")
    if "link" in fields:
        fields["link"] = _validate_link(fields["link"])
    if "referral_parameter" in fields:
        fields["referral_parameter"] = _validate_referral_parameter(fields["referral_parameter"])
    if "languages" in fields:
        fields["languages"] = _clean_languages(fields["languages"])
    if "image" in fields:
        fields["image"] = fields["image"] or ""
    for name in (*_SIMPLE_FIELDS, "languages", "image"):
        if name in fields and fields[name] != getattr(locked, name):
            setattr(locked, name, fields[name])
            changed.append(name)
    return changed


def _apply_relations(locked: Post, fields: dict[str, Any], variants: Sequence[VariantInput] | None) -> list[str]:
    changed: list[str] = []
    organization = locked.organization
    if "topics" in fields:
        topic_ids = _own_topics(organization, fields["topics"])
        if topic_ids != sorted(PostTopic.objects.filter(post=locked).values_list("topic_id", flat=True)):
            _set_links(locked, topic_ids=topic_ids)
            changed.append("topics")
    if "programmes" in fields:
        programme_ids = _own_programmes(organization, fields["programmes"])
        if programme_ids != sorted(PostProgramme.objects.filter(post=locked).values_list("programme_id", flat=True)):
            _set_links(locked, programme_ids=programme_ids)
            changed.append("programmes")
    if variants is not None:
        cleaned = _validate_variants(variants)
        if cleaned != _current_variants(locked):
            _set_variants(locked, cleaned)
            changed.append("variants")
    return changed


@transaction.atomic
def post_update(
    *,
    post: Post,
    by: User | None,
    expected_revision: int | None = None,
    variants: Sequence[VariantInput] | None = None,
    **fields: Any,
) -> Post:
    """Edit a post. ``fields`` are any of CONTENT_FIELDS, DATE_FIELDS and LABEL_FIELDS; ``variants`` replaces all
    variants.

    A real content change bumps ``revision`` and writes a snapshot; an in-review or approved post then starts a
    new review at the first step (see ``_start_review``), and a withdrawn post becomes a draft again. Dates and
    labels alone keep the revision and the approval. ``expected_revision`` (the revision the editor loaded) different
    from the current one → ``stale``: someone else saved meanwhile, nothing is written.
    """
    unknown = set(fields) - set(CONTENT_FIELDS) - set(DATE_FIELDS) - set(LABEL_FIELDS)
    if unknown:
        raise ServiceError(_("These fields cannot be changed: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    locked = _lock(post)
    if expected_revision is not None and expected_revision != locked.revision:
        raise ServiceError(
            _("Someone else saved this post since you opened it. Reload it to see their changes."), code="stale"
        )
    publish_at = fields.get("publish_at", locked.publish_at)
    expires_at = fields.get("expires_at", locked.expires_at)
    _validate_dates(publish_at, expires_at)
    changed = _apply_fields(locked, dict(fields)) + _apply_relations(locked, fields, variants)
    dates_changed = [name for name in DATE_FIELDS if name in fields and fields[name] != getattr(locked, name)]
    labels_changed = []
    if "campaign" in fields and (campaign := _validate_campaign(fields["campaign"])) != locked.campaign:
        locked.campaign = campaign
        labels_changed.append("campaign")
    locked.publish_at, locked.expires_at = publish_at, expires_at
    locked.confidential_until = fields.get("confidential_until", locked.confidential_until)
    if changed:
        locked.revision += 1
    locked.save()
    if changed:
        _write_revision(locked, by)
        if locked.status in (Post.Status.IN_REVIEW, Post.Status.APPROVED):
            _start_review(locked, by)
        elif locked.status == Post.Status.WITHDRAWN:
            Post.objects.filter(pk=locked.pk).update(status=Post.Status.DRAFT, current_step=None)
    if changed or dates_changed or labels_changed:
        audit_log(
            organization=locked.organization,
            actor=by,
            action="post.updated",
            target=locked,
            data={"fields": sorted(changed + dates_changed + labels_changed), "revision": locked.revision},
        )
    _request_preview(locked)
    post.refresh_from_db()
    return post


@transaction.atomic
def post_reschedule(*, post: Post, by: User | None, publish_at: datetime | None, expires_at: datetime | None) -> Post:
    """Move a post's dates (calendar drag). Content, revision and approval are untouched."""
    locked = _lock(post)
    _validate_dates(publish_at, expires_at)
    before = {"publish_at": _iso(locked.publish_at), "expires_at": _iso(locked.expires_at)}
    Post.objects.filter(pk=locked.pk).update(publish_at=publish_at, expires_at=expires_at, updated_at=timezone.now())
    audit_log(
        organization=locked.organization,
        actor=by,
        action="post.rescheduled",
        target=locked,
        data={"from": before, "to": {"publish_at": _iso(publish_at), "expires_at": _iso(expires_at)}},
    )
    post.refresh_from_db()
    return post


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


# --- Approval workflow -----------------------------------------------------------------------------------------------


def _default_policy(organization: Organization) -> ApprovalPolicy:
    policy = ApprovalPolicy.objects.filter(organization=organization, is_default=True).first()
    if policy is not None:
        return policy
    # A fresh organisation has no policy yet: it gets the default one approvers can act on at once. Two first
    # submissions at once race on the one-default constraint; the loser reads the winner's policy.
    try:
        with transaction.atomic():
            policy = ApprovalPolicy.objects.create(organization=organization, name=_("Approval"), is_default=True)
            ApprovalStep.objects.create(
                organization=organization, policy=policy, position=1, name=_("Approval"), approver_role=Role.APPROVER
            )
    except IntegrityError:
        return ApprovalPolicy.objects.get(organization=organization, is_default=True)
    audit_log(organization=organization, actor=None, action="policy.created", target=policy, data={"auto": True})
    return policy


def _resolve_policy(post: Post) -> ApprovalPolicy:
    programmes = list(Programme.objects.filter(pk__in=PostProgramme.objects.filter(post=post).values("programme_id")))
    return selectors.policy_for(organization=post.organization, programmes=programmes) or _default_policy(
        post.organization
    )


def _first_step(policy: ApprovalPolicy) -> ApprovalStep | None:
    if not policy.requires_approval:
        return None
    return ApprovalStep.objects.filter(policy=policy).order_by("position").first()


def _start_review(post: Post, by: User | None) -> None:
    """Put ``post`` (locked, saved) in review at the first step of its policy, or approve it when the policy
    needs no approval. The policy is resolved again for every review: an edit may have changed the programmes,
    and a stricter programme's policy must apply."""
    policy = _resolve_policy(post)
    step = _first_step(policy)
    if step is None:
        Post.objects.filter(pk=post.pk).update(
            status=Post.Status.APPROVED,
            policy=policy,
            current_step=None,
            approved_revision=post.revision,
            approved_at=Coalesce("approved_at", Value(timezone.now())),
        )
        audit_log(
            organization=post.organization,
            actor=by,
            action="post.approved",
            target=post,
            data={"revision": post.revision, "policy": policy.name, "without_approval": True},
        )
        return
    Post.objects.filter(pk=post.pk).update(status=Post.Status.IN_REVIEW, policy=policy, current_step=step)
    _notify_approvers(post, step)


def _notify_approvers(post: Post, step: ApprovalStep) -> None:
    from content.tasks import notify_approvers

    transaction.on_commit(
        partial(
            notify_approvers.delay,
            organization_id=post.organization_id,
            post_id=post.pk,
            revision=post.revision,
            step_id=step.pk,
        )
    )


def _notify_author(post: Post, decision: ApprovalDecision) -> None:
    from content.tasks import notify_author

    transaction.on_commit(
        partial(notify_author.delay, organization_id=post.organization_id, post_id=post.pk, decision_id=decision.pk)
    )


@transaction.atomic
def post_submit(*, post: Post, by: User | None) -> Post:
    """Submit a draft (or a withdrawn post) for approval.

    The policy is resolved now and fixed on the post with its first step: the programmes' own policy when all
    of the post's programmes share one, else the organisation's default. An organisation without any policy
    gets the default "Approval" policy created here, one step decided by the ``approver`` role, so a fresh
    organisation works. A "no approval" policy approves at once. A post that already had decisions on this
    revision (changes were requested, or the author took it back) gets a new revision number, because a
    decision is recorded once per revision and step.
    """
    locked = _lock(post)
    if locked.status not in (Post.Status.DRAFT, Post.Status.WITHDRAWN):
        raise _post_state_error()
    if ApprovalDecision.objects.filter(post=locked, revision=locked.revision).exists():
        locked.revision += 1
        locked.save(update_fields=["revision", "updated_at"])
        _write_revision(locked, by)
    audit_log(
        organization=locked.organization,
        actor=by,
        action="post.submitted",
        target=locked,
        data={"revision": locked.revision},
    )
    _start_review(locked, by)
    post.refresh_from_db()
    return post


def _decider(post: Post, by: User) -> Membership:
    membership = Membership.objects.filter(organization=post.organization_id, user=by).first()
    if membership is None or not membership.is_active:
        raise ServiceError(_("You are not an approver of this step."), code="not_approver")
    return membership


def _check_decision(post: Post, by: User, revision: int, step_id: int | None) -> Post:
    """Reload the post and refuse a decision the approver may not make, or not any more."""
    fresh = Post.objects.select_related("current_step").get(pk=post.pk, organization=post.organization_id)
    if fresh.revision != revision:
        raise _stale_error()
    if fresh.status != Post.Status.IN_REVIEW or fresh.current_step is None:
        if ApprovalDecision.objects.filter(post=fresh, revision=revision).exists():
            raise _already_decided_error()
        raise ServiceError(_("This post is not waiting for approval."), code="invalid_state")
    if step_id is not None and step_id != fresh.current_step_id:
        raise _already_decided_error()
    if fresh.author_id is not None and fresh.author_id == by.pk:
        raise ServiceError(_("You cannot approve your own post."), code="own_post")
    membership = _decider(fresh, by)
    if not selectors.can_decide(membership=membership, post=fresh):
        raise ServiceError(
            _("You are not an approver of the step “%(step)s”.") % {"step": fresh.current_step.name},
            code="not_approver",
        )
    return fresh


def _record_decision(
    fresh: Post, by: User, revision: int, outcome: str, comment: str, **post_changes: Any
) -> ApprovalDecision:
    """Compare-and-set the post out of its current step, then record the decision.

    Two approvers deciding at once: both read the same (in_review, revision, step); PostgreSQL serialises their
    UPDATEs on the row and re-checks the WHERE clause for the second one, which then matches nothing. The unique
    (post, revision, step) constraint on the decision is the second lock.
    """
    step = fresh.current_step
    assert step is not None
    moved = Post.objects.filter(pk=fresh.pk, status=Post.Status.IN_REVIEW, revision=revision, current_step=step).update(
        **post_changes, updated_at=timezone.now()
    )
    if not moved:
        if Post.objects.filter(pk=fresh.pk).exclude(revision=revision).exists():
            raise _stale_error()
        raise _already_decided_error()
    try:
        with transaction.atomic():
            return ApprovalDecision.objects.create(
                organization=fresh.organization,
                post=fresh,
                revision=revision,
                step=step,
                step_name=step.name,
                outcome=outcome,
                comment=comment,
                decided_by=by,
            )
    except IntegrityError as exc:
        raise _already_decided_error() from exc


@transaction.atomic
def post_approve(
    *, post: Post, by: User, revision: int, comment: str = "", step: int | None = None
) -> ApprovalDecision:
    """Approve the post's current step for ``revision`` (the revision the approver saw).

    Who decides a step: an active member whose role is the step's ``approver_role``, or a member the step names.
    An admin is not implicitly an approver of every step (a product decision: approval is a named
    responsibility); nor may anyone approve a post they wrote. ``step`` (the step id the approver saw) is
    optional; when given, a step that moved on meanwhile answers ``already_decided``. Errors: ``stale`` (the
    post has a newer revision), ``already_decided`` (another approver won), ``not_approver``, ``own_post``.
    After the last step the post is approved at this revision and its author is told.
    """
    fresh = _check_decision(post, by, revision, step)
    current = fresh.current_step
    assert current is not None
    next_step = (
        ApprovalStep.objects.filter(policy_id=current.policy_id, position__gt=current.position)
        .order_by("position")
        .first()
    )
    if next_step is not None:
        decision = _record_decision(
            fresh, by, revision, ApprovalDecision.Outcome.APPROVED, comment, current_step=next_step
        )
        audit_log(
            organization=fresh.organization,
            actor=by,
            action="post.step_approved",
            target=fresh,
            data={"revision": revision, "step": current.name, "next_step": next_step.name},
        )
        _notify_approvers(fresh, next_step)
    else:
        decision = _record_decision(
            fresh,
            by,
            revision,
            ApprovalDecision.Outcome.APPROVED,
            comment,
            status=Post.Status.APPROVED,
            current_step=None,
            approved_revision=revision,
            approved_at=Coalesce("approved_at", Value(timezone.now())),
        )
        audit_log(
            organization=fresh.organization,
            actor=by,
            action="post.step_approved",
            target=fresh,
            data={"revision": revision, "step": current.name},
        )
        audit_log(
            organization=fresh.organization, actor=by, action="post.approved", target=fresh, data={"revision": revision}
        )
        _notify_author(fresh, decision)
    post.refresh_from_db()
    return decision


def _send_back(
    post: Post, by: User, revision: int, note: str, step: int | None, outcome: str, action: str
) -> ApprovalDecision:
    note = (note or "").strip()
    if not note:
        raise ServiceError(_("Explain what to change: the author reads this note."), code="required", field="note")
    fresh = _check_decision(post, by, revision, step)
    step_name = fresh.current_step.name if fresh.current_step else ""
    decision = _record_decision(fresh, by, revision, outcome, note, status=Post.Status.DRAFT, current_step=None)
    audit_log(
        organization=fresh.organization,
        actor=by,
        action=action,
        target=fresh,
        data={"revision": revision, "step": step_name, "note": note},
    )
    _notify_author(fresh, decision)
    post.refresh_from_db()
    return decision


@transaction.atomic
def post_request_changes(
    *, post: Post, by: User, revision: int, note: str, step: int | None = None
) -> ApprovalDecision:
    """Send the post back to draft with a required note for its author. Same rules and errors as ``post_approve``."""
    return _send_back(
        post, by, revision, note, step, ApprovalDecision.Outcome.CHANGES_REQUESTED, "post.changes_requested"
    )


@transaction.atomic
def post_reject(*, post: Post, by: User, revision: int, note: str, step: int | None = None) -> ApprovalDecision:
    """Reject the post (back to draft) with a required note for its author. Same rules as ``post_approve``."""
    return _send_back(post, by, revision, note, step, ApprovalDecision.Outcome.REJECTED, "post.rejected")


@transaction.atomic
def post_withdraw_submission(*, post: Post, by: User | None) -> Post:
    """The author takes a post back from review: in_review → draft. Decisions already made stay in history."""
    moved = Post.objects.filter(pk=post.pk, status=Post.Status.IN_REVIEW).update(
        status=Post.Status.DRAFT, current_step=None, updated_at=timezone.now()
    )
    if not moved:
        raise ServiceError(_("This post is not in review any more."), code="invalid_state")
    audit_log(
        organization=post.organization,
        actor=by,
        action="post.submission_withdrawn",
        target=post,
        data={"revision": post.revision},
    )
    post.refresh_from_db()
    return post


@transaction.atomic
def post_withdraw(*, post: Post, by: User | None) -> Post:
    """Take an approved post off the feeds: approved → withdrawn. Editing it later makes it a draft again.

    Sends ``content.signals.post_withdrawn`` inside the transaction: the post's waiting shares are cancelled (their
    authors told) and those who already published it are asked to delete it, all or nothing with the withdrawal.
    """
    moved = Post.objects.filter(pk=post.pk, status=Post.Status.APPROVED).update(
        status=Post.Status.WITHDRAWN, updated_at=timezone.now()
    )
    if not moved:
        raise ServiceError(_("Only an approved post can be withdrawn."), code="invalid_state")
    audit_log(organization=post.organization, actor=by, action="post.withdrawn", target=post)
    post.refresh_from_db()
    post_withdrawn.send(sender=Post, post=post, by=by)
    return post


# --- Policies --------------------------------------------------------------------------------------------------------


def _validate_steps(organization: Organization, steps: Sequence[StepInput]) -> list[StepInput]:
    cleaned: list[StepInput] = []
    for index, step in enumerate(steps, start=1):
        name = step.name.strip()
        if not name:
            raise ServiceError(_("Step %(number)d needs a name.") % {"number": index}, code="required", field="steps")
        if step.approver_role and step.approver_role not in Role.values:
            raise ServiceError(
                _("Step %(number)d: “%(role)s” is not a role.") % {"number": index, "role": step.approver_role},
                field="steps",
            )
        approver_ids = tuple(sorted(set(step.approver_ids)))
        found = Membership.objects.filter(organization=organization, pk__in=approver_ids).count()
        if found != len(approver_ids):
            raise ServiceError(
                _("Step %(number)d: one of the approvers is not a member.") % {"number": index}, field="steps"
            )
        if not step.approver_role and not approver_ids:
            raise ServiceError(
                _("Step %(number)d needs an approver role or named approvers.") % {"number": index},
                code="required",
                field="steps",
            )
        cleaned.append(StepInput(name=name, approver_role=step.approver_role, approver_ids=approver_ids))
    return cleaned


def _current_steps(policy: ApprovalPolicy) -> list[StepInput]:
    steps = list(ApprovalStep.objects.filter(policy=policy).order_by("position"))
    named: dict[int, list[int]] = {}
    for step_id, membership_id in ApprovalStepApprover.objects.filter(step__policy=policy).values_list(
        "step_id", "membership_id"
    ):
        named.setdefault(step_id, []).append(membership_id)
    return [
        StepInput(name=s.name, approver_role=s.approver_role, approver_ids=tuple(sorted(named.get(s.pk, []))))
        for s in steps
    ]


def _write_steps(policy: ApprovalPolicy, steps: Sequence[StepInput]) -> None:
    ApprovalStep.objects.filter(policy=policy).delete()
    for position, step in enumerate(steps, start=1):
        row = ApprovalStep.objects.create(
            organization=policy.organization,
            policy=policy,
            position=position,
            name=step.name,
            approver_role=step.approver_role,
        )
        ApprovalStepApprover.objects.bulk_create(
            [
                ApprovalStepApprover(organization=policy.organization, step=row, membership_id=pk)
                for pk in step.approver_ids
            ]
        )


def _make_default(policy: ApprovalPolicy) -> None:
    # The one-default constraint would refuse a second default: the previous one steps down first.
    ApprovalPolicy.objects.filter(organization=policy.organization, is_default=True).exclude(pk=policy.pk).update(
        is_default=False
    )


def _save_policy(policy: ApprovalPolicy) -> None:
    try:
        with transaction.atomic():
            policy.save()
    except IntegrityError as exc:
        if policy.programme_id is not None:
            raise ServiceError(
                _("This programme already has its own approval policy."), code="duplicate", field="programme"
            ) from exc
        raise ServiceError(
            _("Another policy became the default at the same time. Try again."), code="conflict", field="is_default"
        ) from exc


@transaction.atomic
def policy_create(
    *,
    organization: Organization,
    name: str,
    by: User | None,
    steps: Sequence[StepInput],
    is_default: bool = False,
    programme: Programme | None = None,
    requires_approval: bool = True,
) -> ApprovalPolicy:
    """Create a policy. ``requires_approval=False`` is "no approval": steps are ignored and posts under it are
    approved on submission. ``is_default=True`` takes the default over from the previous default policy."""
    name = name.strip()
    if not name:
        raise ServiceError(_("A policy needs a name."), code="required", field="name")
    if programme is not None:
        _own_programmes(organization, [programme])
    cleaned = _validate_steps(organization, steps) if requires_approval else []
    if requires_approval and not cleaned:
        raise ServiceError(_("Add at least one approval step."), code="required", field="steps")
    policy = ApprovalPolicy(
        organization=organization,
        name=name,
        is_default=is_default,
        programme=programme,
        requires_approval=requires_approval,
    )
    if is_default:
        _make_default(policy)
    _save_policy(policy)
    _write_steps(policy, cleaned)
    audit_log(
        organization=organization,
        actor=by,
        action="policy.created",
        target=policy,
        data={"name": name, "steps": [s.name for s in cleaned], "requires_approval": requires_approval},
    )
    return policy


def _restart_reviews(policy: ApprovalPolicy, by: User | None) -> int:
    """Posts in review under a policy whose steps changed restart at its new first step (or go back to draft
    when it no longer requires approval): their old step no longer exists."""
    first = _first_step(policy)
    posts = list(Post.objects.select_for_update().filter(policy=policy, status=Post.Status.IN_REVIEW))
    for post in posts:
        if first is None:
            Post.objects.filter(pk=post.pk).update(status=Post.Status.DRAFT, current_step=None)
        else:
            Post.objects.filter(pk=post.pk).update(current_step=first)
            _notify_approvers(post, first)
        audit_log(
            organization=policy.organization,
            actor=by,
            action="post.review_restarted",
            target=post,
            data={"policy": policy.name, "revision": post.revision},
        )
    return len(posts)


@transaction.atomic
def policy_update(
    *,
    policy: ApprovalPolicy,
    by: User | None,
    name: str | None = None,
    steps: Sequence[StepInput] | None = None,
    is_default: bool | None = None,
    requires_approval: bool | None = None,
) -> ApprovalPolicy:
    """Change a policy. ``steps`` replaces all steps; when the steps really change (or approval is turned off),
    posts in review under this policy restart at the new first step, since they may not skip a new step."""
    changed: list[str] = []
    if name is not None and name.strip() != policy.name:
        if not name.strip():
            raise ServiceError(_("A policy needs a name."), code="required", field="name")
        policy.name = name.strip()
        changed.append("name")
    if requires_approval is not None and requires_approval != policy.requires_approval:
        policy.requires_approval = requires_approval
        changed.append("requires_approval")
    if is_default is not None and is_default != policy.is_default:
        if not is_default:
            raise ServiceError(
                _("Make another policy the default instead: the organisation always keeps one."),
                code="default_required",
                field="is_default",
            )
        _make_default(policy)
        policy.is_default = True
        changed.append("is_default")
    wanted = steps if steps is not None else _current_steps(policy)
    cleaned = _validate_steps(policy.organization, wanted) if policy.requires_approval else []
    if policy.requires_approval and not cleaned:
        raise ServiceError(_("Add at least one approval step."), code="required", field="steps")
    _save_policy(policy)
    if cleaned != _current_steps(policy):
        _write_steps(policy, cleaned)
        changed.append("steps")
    if "steps" in changed or "requires_approval" in changed:
        _restart_reviews(policy, by)
    audit_log(
        organization=policy.organization, actor=by, action="policy.updated", target=policy, data={"fields": changed}
    )
    return policy


@transaction.atomic
def policy_delete(*, policy: ApprovalPolicy, by: User | None) -> None:
    """Delete a policy that is neither the default nor followed by a post in review."""
    if policy.is_default:
        raise ServiceError(
            _("The default policy cannot be deleted: make another policy the default first."), code="default_required"
        )
    if Post.objects.filter(policy=policy, status=Post.Status.IN_REVIEW).exists():
        raise ServiceError(
            _("Posts are in review under this policy: wait for their decisions, or withdraw them first."),
            code="in_use",
        )
    audit_log(
        organization=policy.organization, actor=by, action="policy.deleted", target=policy, data={"name": policy.name}
    )
    policy.delete()


# --- Suggestions -----------------------------------------------------------------------------------------------------


@transaction.atomic
def suggestion_create(
    *, organization: Organization, by: User | None, url: str, comment: str = "", title: str = ""
) -> Suggestion:
    """A member suggests a link for the library; it lands in the editors' inbox."""
    url = _validate_link(url, field="url")
    if not url:
        raise ServiceError(_("Enter the link you suggest."), code="required", field="url")
    suggestion = Suggestion.objects.create(
        organization=organization,
        url=url,
        url_hash=url_hash(url),
        title=title.strip(),
        comment=comment.strip(),
        suggested_by=by,
    )
    audit_log(organization=organization, actor=by, action="suggestion.created", target=suggestion, data={"url": url})
    return suggestion


@transaction.atomic
def suggestion_accept(*, suggestion: Suggestion, by: User | None) -> Post:
    """Turn a new suggestion into a draft post with its link and title, crediting its author (``suggested_by``)."""
    now = timezone.now()
    claimed = Suggestion.objects.filter(pk=suggestion.pk, status=Suggestion.Status.NEW).update(
        status=Suggestion.Status.ACCEPTED, decided_by=by, decided_at=now
    )
    if not claimed:
        raise ServiceError(_("This suggestion was already handled."), code="invalid_state")
    title = (suggestion.title or suggestion.url)[:_POST_TITLE_MAX]
    post = post_create(
        organization=suggestion.organization,
        author=by,
        title=title,
        link=suggestion.url,
        note=suggestion.comment,
        suggested_by=suggestion.suggested_by,
    )
    Suggestion.objects.filter(pk=suggestion.pk).update(post=post)
    audit_log(
        organization=suggestion.organization,
        actor=by,
        action="suggestion.accepted",
        target=suggestion,
        data={"post": post.pk},
    )
    suggestion.refresh_from_db()
    return post


@transaction.atomic
def suggestion_decline(*, suggestion: Suggestion, by: User | None, note: str) -> Suggestion:
    """Decline a new suggestion with a note its author sees (and receives by e-mail)."""
    note = (note or "").strip()
    if not note:
        raise ServiceError(_("Tell the author why: they will read this note."), code="required", field="note")
    claimed = Suggestion.objects.filter(pk=suggestion.pk, status=Suggestion.Status.NEW).update(
        status=Suggestion.Status.DECLINED, decline_note=note, decided_by=by, decided_at=timezone.now()
    )
    if not claimed:
        raise ServiceError(_("This suggestion was already handled."), code="invalid_state")
    audit_log(
        organization=suggestion.organization,
        actor=by,
        action="suggestion.declined",
        target=suggestion,
        data={"note": note},
    )
    if suggestion.suggested_by_id is not None:
        from content.tasks import notify_suggestion_declined

        transaction.on_commit(
            partial(
                notify_suggestion_declined.delay,
                organization_id=suggestion.organization_id,
                suggestion_id=suggestion.pk,
            )
        )
    suggestion.refresh_from_db()
    return suggestion
