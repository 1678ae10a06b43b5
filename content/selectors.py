"""Reads of the content library. Each selector filters by the organisation explicitly (the scope is the second
lock) and owns its ``select_related`` / ``prefetch_related`` so list pages run a fixed number of queries."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, Window
from django.db.models.functions import Coalesce, RowNumber, TruncDate
from django.http import HttpRequest
from django.utils import timezone

from advocacy.models import AuditEntry, Membership, Organization, Programme, ProgrammeMember, User
from content.models import (
    ApprovalDecision,
    ApprovalPolicy,
    ApprovalStep,
    ApprovalStepApprover,
    Post,
    PostProgramme,
    PostRevision,
    PostTopic,
    PostVariant,
    Suggestion,
    Topic,
)

SORTS = {
    "-created": ("-created_at", "-pk"),
    "created": ("created_at", "pk"),
    "publish_at": ("publish_at", "pk"),
    "-publish_at": ("-publish_at", "-pk"),
    "title": ("title", "pk"),
    "-title": ("-title", "-pk"),
    "-updated": ("-updated_at", "-pk"),
    "status": ("status", "-created_at", "-pk"),
}
HISTORY_LIMIT = 200
# What a row of the library shows; ``library_rows`` loads nothing else.
LIBRARY_COLUMNS = ("title", "image", "featured", "status", "publish_at", "created_at", "author_id")


def _with_relations(posts: QuerySet[Post]) -> QuerySet[Post]:
    # One query per relation whatever the page size: author and preview joined, topics/variants/programmes batched.
    return posts.select_related("author", "link_preview", "current_step").prefetch_related(
        "topics", "programmes", "variants"
    )


def _pk(value: Any) -> Any:
    return value.pk if hasattr(value, "pk") else value


def _in_any(codes: Iterable[str]) -> Q:
    """Rows whose ``languages`` list holds one of ``codes`` (none when ``codes`` is empty)."""
    # JSON containment is PostgreSQL-only: the quoted code found in the list's JSON text works on SQLite too (codes
    # are letters and dashes, so "fr" never matches inside "fr-ca").
    found = Q(pk__in=[])
    for code in codes:
        found |= Q(languages__icontains=f'"{code}"')
    return found


def _targeted_at(membership: Membership) -> Q:
    """Posts meant for this member: without programmes or in one of theirs, without languages or in one of theirs
    (``Membership.sharing_languages``)."""
    organization_id = membership.organization_id
    links = PostProgramme.objects.filter(organization=organization_id, post=OuterRef("pk"))
    mine = ProgrammeMember.objects.filter(organization=organization_id, membership=membership).values("programme_id")
    return (~Exists(links) | Exists(links.filter(programme_id__in=mine))) & (
        Q(languages=[]) | _in_any(membership.sharing_languages())
    )


def members_sharing_in(post_languages: Iterable[str]) -> Q:
    """``_targeted_at``'s language half from the other side, on ``Membership``: the members a post in these languages
    is meant for (every member when it has none)."""
    codes = [code.lower() for code in post_languages]
    if not codes:
        return Q()
    # ``Membership.sharing_languages``' fallback, for the members who chose none.
    reads = Q(user__language__in=codes) | Q(user__language="", organization__language__in=codes)
    return _in_any(codes) | (Q(languages=[]) & reads)


def targets(
    *,
    post_programmes: Iterable[int],
    post_languages: Iterable[str],
    member_programmes: Iterable[int],
    member_languages: Iterable[str],
) -> bool:
    """``_targeted_at`` in Python, for building many members' lists from rows read once (the digest): a post
    without programmes or in one of the member's, without languages or in one of the member's
    (``Membership.sharing_languages``)."""
    programmes = set(post_programmes)
    languages = {language.lower() for language in post_languages}
    return (not programmes or bool(programmes & set(member_programmes))) and (
        not languages or bool(languages & {language.lower() for language in member_languages})
    )


def _reviewed_by(membership: Membership) -> Q:
    """Posts in a review this member decides a step of, by role or by name: the current step or another, so an
    approver follows the post read-only before and after their turn (``can_decide`` says when they may act). Never
    their own posts."""
    organization_id = membership.organization_id
    named = ApprovalStepApprover.objects.filter(organization=organization_id, membership=membership)
    steps = ApprovalStep.objects.filter(organization=organization_id, policy_id=OuterRef("policy_id")).filter(
        Q(approver_role=membership.role) | Q(pk__in=named.values("step_id"))
    )
    return Q(status=Post.Status.IN_REVIEW) & Exists(steps) & ~Q(author_id=membership.user_id)


def posts_visible_to(*, membership: Membership, now: datetime | None = None) -> QuerySet[Post]:
    """The one rule for who may see a post; every page, form, endpoint and service that takes a post id asks it.

    Editors and admins (``content.edit``) see every post of the organisation; approvers (``content.approve``) the
    posts in a review they decide a step of (``_reviewed_by``) and every live post; everyone else (ambassadors,
    managers) the live posts meant for them (programme and language, ``_targeted_at``) and, when a step names them,
    the posts in that review. An inactive member sees nothing. Callers answer a post outside this set exactly as a
    post that does not exist.
    """
    posts = Post.objects.filter(organization=membership.organization_id)
    if not membership.is_active:
        return posts.none()
    if membership.has_perm("content.edit"):
        return posts
    live = Post.live_filter(now)
    if not membership.has_perm("content.approve"):
        live &= _targeted_at(membership)
    return posts.filter(live | _reviewed_by(membership))


def post_is_meant_for(*, membership: Membership, post: Post) -> bool:
    """Whether ``post`` targets this member (programme and language), whatever their role: a share goes out only
    to the members a post is meant for, editors included."""
    return (
        Post.objects.filter(organization=membership.organization_id, pk=post.pk)
        .filter(_targeted_at(membership))
        .exists()
    )


def post_list(
    *,
    organization: Organization,
    visible_to: Membership | None = None,
    search: str = "",
    status: str = "",
    topic: Topic | int | None = None,
    programme: Programme | int | None = None,
    network: str = "",
    author: User | int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    sort: str = "-created",
) -> QuerySet[Post]:
    """The library: search over title, note and variant texts; filters; ``date_from``/``date_to`` bound the
    publish date (inclusive days). An unknown ``sort`` falls back to newest first. ``visible_to`` keeps the posts that
    member may see (``posts_visible_to``); without it, every post of the organisation (an API token's view)."""
    posts = _filtered_posts(
        organization=organization,
        visible_to=visible_to,
        search=search,
        status=status,
        topic=topic,
        programme=programme,
        network=network,
        author=author,
        date_from=date_from,
        date_to=date_to,
    )
    return _with_relations(posts).order_by(*SORTS.get(sort, SORTS["-created"]))


def library_rows(*, organization: Organization, sort: str = "-created", **filters: Any) -> QuerySet[Post]:
    """The library page's rows: ``post_list``'s posts in its order, loading only the columns the table shows and
    the topics, where ``post_list`` joins and batches everything a post's page needs. The author is left as an id:
    ``library_filter_choices`` already names every author of the organisation's posts."""
    topics = Prefetch("topics", queryset=Topic.objects.only("name", "colour"))
    return (
        _filtered_posts(organization=organization, **filters)
        .only(*LIBRARY_COLUMNS)
        .prefetch_related(topics)
        .order_by(*SORTS.get(sort, SORTS["-created"]))
    )


@dataclass(frozen=True)
class LibraryFilterChoices:
    """What the library's filters offer, as ``(id, label)`` pairs in name order."""

    topics: list[tuple[int, str]]
    programmes: list[tuple[int, str]]
    authors: list[tuple[int, str]]


def library_filter_choices(*, organization: Organization) -> LibraryFilterChoices:
    """The organisation's topics and programmes, and whoever wrote one of its posts (former members included, so
    their posts can still be found), in one query: the filter bar is drawn on every visit of the library."""
    topic, programme, author = 0, 1, 2
    authors = User.objects.filter(pk__in=Post.objects.filter(organization=organization).values("author_id"))
    rows = (
        _choice_rows(Topic.objects.filter(organization=organization), topic, "name", Value(""))
        .union(
            _choice_rows(Programme.objects.filter(organization=organization), programme, "name", Value("")),
            _choice_rows(authors, author, "full_name", F("email")),
            all=True,
        )
        .order_by("choice_label", "choice_email")
    )
    choices: dict[int, list[tuple[int, str]]] = {topic: [], programme: [], author: []}
    for kind, pk, label, email in rows:
        choices[kind].append((pk, User(full_name=label, email=email).display_name if kind == author else label))
    return LibraryFilterChoices(topics=choices[topic], programmes=choices[programme], authors=choices[author])


def _choice_rows(rows: QuerySet[Any], kind: int, label: str, email: Value | F) -> QuerySet[Any]:
    # Unordered: a model's default order is not allowed inside a UNION on SQLite; the union is sorted as a whole.
    parts: QuerySet[Any] = (
        rows.order_by()
        .annotate(choice_kind=Value(kind), choice_label=F(label), choice_email=email)
        .values_list("choice_kind", "pk", "choice_label", "choice_email")
    )
    return parts


def _filtered_posts(
    *,
    organization: Organization,
    visible_to: Membership | None = None,
    search: str = "",
    status: str = "",
    topic: Topic | int | None = None,
    programme: Programme | int | None = None,
    network: str = "",
    author: User | int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[Post]:
    if visible_to is None:
        posts = Post.objects.filter(organization=organization)
    else:
        posts = posts_visible_to(membership=visible_to).filter(organization=organization)
    search = search.strip()
    if search:
        # Exists() rather than a join, so a post matching in several variants appears once.
        in_variants = PostVariant.objects.filter(post=OuterRef("pk"), text__icontains=search)
        posts = posts.filter(Q(title__icontains=search) | Q(note__icontains=search) | Exists(in_variants))
    if status:
        posts = posts.filter(status=status)
    if topic is not None:
        posts = posts.filter(Exists(PostTopic.objects.filter(post=OuterRef("pk"), topic_id=_pk(topic))))
    if programme is not None:
        posts = posts.filter(Exists(PostProgramme.objects.filter(post=OuterRef("pk"), programme_id=_pk(programme))))
    if network:
        posts = posts.filter(Exists(PostVariant.objects.filter(post=OuterRef("pk"), network=network)))
    if author is not None:
        posts = posts.filter(author_id=_pk(author))
    if date_from is not None:
        posts = posts.filter(publish_at__date__gte=date_from)
    if date_to is not None:
        posts = posts.filter(publish_at__date__lte=date_to)
    return posts


def post_detail(*, membership: Membership, pk: int) -> Post:
    """One post this member may see, with everything its page shows. Raises ``Post.DoesNotExist`` (a 404) for a
    post they may not see, exactly as for a missing one or another organisation's."""
    return _with_relations(posts_visible_to(membership=membership)).select_related("suggested_by", "policy").get(pk=pk)


def post_history(*, post: Post) -> list[dict[str, Any]]:
    """Revisions, decisions and audit entries of a post, newest first, in three queries.

    Each item: ``kind`` ("revision", "decision" or "audit"), ``at``, ``actor`` (a User or None) and the kind's
    own keys (``number``; ``outcome``, ``outcome_label``, ``step``, ``revision``, ``comment``; ``action``, ``data``).
    """
    items: list[dict[str, Any]] = []
    revisions = PostRevision.objects.filter(organization=post.organization_id, post=post).select_related("created_by")
    for revision in revisions.order_by("-number")[:HISTORY_LIMIT]:
        items.append(
            {"kind": "revision", "at": revision.created_at, "actor": revision.created_by, "number": revision.number}
        )
    decisions = ApprovalDecision.objects.filter(organization=post.organization_id, post=post).select_related(
        "decided_by"
    )
    for decision in decisions.order_by("-created_at")[:HISTORY_LIMIT]:
        items.append(
            {
                "kind": "decision",
                "at": decision.created_at,
                "actor": decision.decided_by,
                "outcome": decision.outcome,
                "outcome_label": decision.get_outcome_display(),
                "step": decision.step_name,
                "revision": decision.revision,
                "comment": decision.comment,
            }
        )
    entries = AuditEntry.objects.filter(
        organization=post.organization_id, object_type=Post._meta.label_lower, object_id=str(post.pk)
    ).select_related("actor")
    for entry in entries.order_by("-created_at")[:HISTORY_LIMIT]:
        items.append(
            {
                "kind": "audit",
                "at": entry.created_at,
                "actor": entry.actor,
                "action": entry.action,
                "data": entry.data,
                "entry": entry,
            }
        )
    items.sort(key=lambda item: item["at"], reverse=True)
    return items


def _as_text(value: Any) -> str:
    if isinstance(value, list):
        return "\n".join(
            f"{item.get('network', '')}: {item.get('text', '')}" if isinstance(item, dict) else str(item)
            for item in value
        )
    if isinstance(value, bool):
        return "✓" if value else "—"
    return "" if value is None else str(value)


def revision_diff(*, post: Post) -> list[dict[str, Any]]:
    """What changed between the last approved revision and the current one, field by field (changed fields only).

    Each item: ``name`` (the snapshot key), ``before`` and ``after`` as raw snapshot values, and ``before_text`` /
    ``after_text`` as display strings. Empty when the post was never approved or is at its approved revision.
    """
    if post.approved_revision is None or post.approved_revision == post.revision:
        return []
    snapshots = {
        revision.number: revision.data
        for revision in PostRevision.objects.filter(
            organization=post.organization_id, post=post, number__in=[post.approved_revision, post.revision]
        )
    }
    before = snapshots.get(post.approved_revision, {})
    after = snapshots.get(post.revision, {})
    diff = []
    for name in after.keys() | before.keys():
        if before.get(name) != after.get(name):
            diff.append(
                {
                    "name": name,
                    "before": before.get(name),
                    "after": after.get(name),
                    "before_text": _as_text(before.get(name)),
                    "after_text": _as_text(after.get(name)),
                }
            )
    order = list(after.keys())
    diff.sort(key=lambda item: order.index(item["name"]) if item["name"] in order else len(order))
    return diff


def _decidable_by(membership: Membership) -> Q:
    named = ApprovalStepApprover.objects.filter(step_id=OuterRef("current_step_id"), membership=membership)
    return Q(current_step__approver_role=membership.role) | Q(Exists(named))


def approval_inbox(*, membership: Membership) -> QuerySet[Post]:
    """In-review posts whose current step this member may decide, oldest submission first. An inactive member's
    inbox is empty; their own posts are left out (they may not approve them). ``.count()`` feeds the badge."""
    posts = Post.objects.filter(organization=membership.organization_id, status=Post.Status.IN_REVIEW)
    if not membership.is_active:
        return posts.none()
    posts = posts.filter(_decidable_by(membership)).exclude(author_id=membership.user_id)
    return _with_relations(posts).order_by("updated_at", "pk")


def approvals_waiting_for_request(request: HttpRequest, membership: Membership) -> int:
    """How many posts wait for this member's decision, counted once per request (the navigation asks often)."""
    cached: int | None = getattr(request, "_relais_approval_count", None)
    if cached is None:
        cached = approval_inbox(membership=membership).count()
        request._relais_approval_count = cached  # type: ignore[attr-defined]
    return cached


def can_decide(*, membership: Membership | None, post: Post) -> bool:
    """Whether this member may decide the post's current step now (see ``services.post_approve`` for the rule)."""
    if membership is None or not membership.is_active or membership.organization_id != post.organization_id:
        return False
    if post.status != Post.Status.IN_REVIEW or post.current_step_id is None:
        return False
    if post.author_id is not None and post.author_id == membership.user_id:
        return False
    step = post.current_step
    if step is not None and step.approver_role and step.approver_role == membership.role:
        return True
    return ApprovalStepApprover.objects.filter(
        organization=post.organization_id, step_id=post.current_step_id, membership=membership
    ).exists()


def _calendar_period(
    organization: Organization,
    start: datetime,
    end: datetime,
    programme: Programme | int | None,
    topic: Topic | int | None,
) -> QuerySet[Post]:
    posts = Post.objects.filter(organization=organization, publish_at__gte=start, publish_at__lt=end).exclude(
        status=Post.Status.WITHDRAWN
    )
    if programme is not None:
        posts = posts.filter(Exists(PostProgramme.objects.filter(post=OuterRef("pk"), programme_id=_pk(programme))))
    if topic is not None:
        posts = posts.filter(Exists(PostTopic.objects.filter(post=OuterRef("pk"), topic_id=_pk(topic))))
    return posts


def calendar_posts(
    *,
    organization: Organization,
    start: datetime,
    end: datetime,
    programme: Programme | int | None = None,
    topic: Topic | int | None = None,
    per_day: int | None = None,
) -> QuerySet[Post]:
    """Posts whose publish date falls in [start, end), withdrawn ones left out, in date order.

    With ``per_day``, only the first ``per_day`` posts of each day (in the current time zone): the database ranks
    them, so a day of 10,000 posts costs what a day of ``per_day`` does (``calendar_day_counts`` says how many more).
    """
    posts = _calendar_period(organization, start, end, programme, topic)
    if per_day is not None:
        day = TruncDate("publish_at", tzinfo=timezone.get_current_timezone())
        rank = Window(RowNumber(), partition_by=[day], order_by=[F("publish_at").asc(), F("pk").asc()])
        posts = posts.annotate(day_rank=rank).filter(day_rank__lte=per_day)
    return posts.select_related("author").prefetch_related("topics").order_by("publish_at", "pk")


def post_image_readable(*, organization: Organization, membership: Membership, name: str) -> bool:
    """Whether this member may read the stored image ``name``: it must be the current image of a post the member
    may see (a replaced image, another tenant's, a draft's for an ambassador or a typed name is nobody's)."""
    return posts_visible_to(membership=membership).filter(organization=organization, image=name).exists()


def calendar_day_counts(
    *,
    organization: Organization,
    start: datetime,
    end: datetime,
    programme: Programme | int | None = None,
    topic: Topic | int | None = None,
) -> dict[date, int]:
    """How many posts ``calendar_posts`` has on each day of the period (current time zone), in one grouped query."""
    days = (
        _calendar_period(organization, start, end, programme, topic)
        .annotate(day=TruncDate("publish_at", tzinfo=timezone.get_current_timezone()))
        .order_by()
        .values("day")
        .annotate(posts=Count("pk"))
    )
    return {row["day"]: row["posts"] for row in days}


def suggestion_inbox(*, organization: Organization, status: str = "new") -> QuerySet[Suggestion]:
    """Suggestions with ``status`` (all when empty), newest first, with their author, feed and post joined."""
    suggestions = Suggestion.objects.filter(organization=organization)
    if status:
        suggestions = suggestions.filter(status=status)
    return suggestions.select_related("suggested_by", "source", "post", "decided_by").order_by("-created_at", "-pk")


def policy_for(*, organization: Organization, programmes: Iterable[Programme | int]) -> ApprovalPolicy | None:
    """The policy a post targeted at ``programmes`` follows: their own policy when all of them share one, else the
    organisation's default (None when there is none yet; ``post_submit`` then creates it)."""
    programme_ids = {int(_pk(programme)) for programme in programmes}
    if programme_ids:
        own = list(ApprovalPolicy.objects.filter(organization=organization, programme_id__in=programme_ids))
        covered = {policy.programme_id for policy in own}
        if covered == programme_ids and len({policy.pk for policy in own}) == 1:
            return own[0]
    return ApprovalPolicy.objects.filter(organization=organization, is_default=True).first()


SENT_BACK = (ApprovalDecision.Outcome.CHANGES_REQUESTED, ApprovalDecision.Outcome.REJECTED)


def author_drafts(*, membership: Membership, sent_back: bool) -> QuerySet[Post]:
    """The member's own drafts, last edited first: those an approver sent back (changes requested or rejected, the
    latest decision on the post, in ``last_outcome``) when ``sent_back``, the others otherwise."""
    latest = ApprovalDecision.objects.filter(organization=membership.organization_id, post=OuterRef("pk")).order_by(
        "-created_at", "-pk"
    )
    drafts = Post.objects.filter(
        organization=membership.organization_id, status=Post.Status.DRAFT, author_id=membership.user_id
    ).annotate(last_outcome=Subquery(latest.values("outcome")[:1]))
    sent = Q(last_outcome__in=SENT_BACK)
    # A draft never decided has no outcome: NULL is neither in nor out of the list, so it is named explicitly.
    drafts = drafts.filter(sent) if sent_back else drafts.filter(~sent | Q(last_outcome__isnull=True))
    return drafts.order_by("-updated_at", "-pk")


def scheduled_posts(*, organization: Organization, now: datetime | None = None) -> QuerySet[Post]:
    """Approved posts that go live later, soonest first."""
    return Post.objects.filter(
        organization=organization, status=Post.Status.APPROVED, publish_at__gt=now or timezone.now()
    ).order_by("publish_at", "pk")


def posts_to_share(*, membership: Membership, now: datetime | None = None) -> QuerySet[Post]:
    """Live posts this member may see and that are meant for them (programme and language, as a share requires),
    featured first, then newest."""
    return (
        posts_visible_to(membership=membership, now=now)
        .filter(Post.live_filter(now))
        .filter(_targeted_at(membership))
        .select_related("link_preview")
        # A post approved without a date went live when approved: its creation stands in for the publication date.
        .order_by("-featured", Coalesce("publish_at", "created_at").desc(), "-pk")
    )
