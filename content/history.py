"""The sentences of the content app's audit kinds and the objects they name (registered by ``ContentConfig.ready``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from advocacy.history import Kind, ObjectType, Ref, named_by, numeric, register_kinds, register_object_type
from advocacy.models import Membership
from content.models import ApprovalPolicy, FeedSource, Suggestion, Topic
from content.selectors import posts_visible_to


def post_refs(reader: Membership, ids: Sequence[str]) -> Mapping[str, Ref]:
    """The posts among ``ids`` that ``reader`` may see, with their link; a hidden post is named as a deleted one."""
    rows = posts_visible_to(membership=reader).filter(pk__in=numeric(ids)).only("pk", "title")
    return {
        str(row.pk): Ref(row.title, reverse("post_detail", args=[reader.organization.slug, row.pk])) for row in rows
    }


def _suggestions(reader: Membership, ids: Sequence[str]) -> Mapping[str, Ref]:
    rows = Suggestion.objects.filter(organization=reader.organization_id, pk__in=numeric(ids))
    return {str(row.pk): Ref(row.title or row.url) for row in rows}


def _revision(data: Mapping[str, Any]) -> Mapping[str, Any]:
    return {"revision": data.get("revision", "…"), "step": data.get("step", "…")}


def _polled(data: Mapping[str, Any]) -> Mapping[str, Any]:
    return {"count": data.get("new_items", 0)}


def register() -> None:
    register_object_type("content.post", ObjectType(gone=_("a post"), resolve=post_refs, name_keys=("title",)))
    register_object_type("content.topic", ObjectType(gone=_("a deleted topic"), resolve=named_by(Topic, "name")))
    register_object_type(
        "content.feedsource", ObjectType(gone=_("a deleted feed"), resolve=named_by(FeedSource, "name"))
    )
    register_object_type(
        "content.approvalpolicy",
        ObjectType(gone=_("a deleted approval policy"), resolve=named_by(ApprovalPolicy, "name")),
    )
    register_object_type(
        "content.suggestion", ObjectType(gone=_("a suggestion"), resolve=_suggestions, name_keys=("title", "url"))
    )
    register_kinds(
        {
            "post.created": Kind(_("Post created"), _("%(actor)s created the post %(object)s")),
            "post.updated": Kind(
                _("Post edited"), _("%(actor)s edited the post %(object)s (revision %(revision)s)"), _revision
            ),
            "post.rescheduled": Kind(_("Post rescheduled"), _("%(actor)s changed the dates of the post %(object)s")),
            "post.submitted": Kind(
                _("Post submitted for approval"),
                _("%(actor)s submitted the post %(object)s for approval (revision %(revision)s)"),
                _revision,
            ),
            "post.submission_withdrawn": Kind(
                _("Submission withdrawn"), _("%(actor)s took the post %(object)s back from approval")
            ),
            "post.step_approved": Kind(
                _("Approval step passed"),
                _("%(actor)s approved the step “%(step)s” of the post %(object)s"),
                _revision,
            ),
            "post.approved": Kind(_("Post approved"), _("%(actor)s approved the post %(object)s")),
            "post.changes_requested": Kind(
                _("Changes requested"), _("%(actor)s asked for changes to the post %(object)s")
            ),
            "post.rejected": Kind(_("Post rejected"), _("%(actor)s rejected the post %(object)s")),
            "post.review_restarted": Kind(
                _("Review restarted"),
                _("The review of the post %(object)s started again under the policy %(policy)s"),
                lambda data: {"policy": data.get("policy", "…")},
            ),
            "post.withdrawn": Kind(_("Post withdrawn"), _("%(actor)s withdrew the post %(object)s")),
            "topic.created": Kind(_("Topic created"), _("%(actor)s created the topic %(object)s")),
            "topic.updated": Kind(_("Topic changed"), _("%(actor)s changed the topic %(object)s")),
            "topic.deleted": Kind(_("Topic deleted"), _("%(actor)s deleted the topic %(object)s")),
            "policy.created": Kind(_("Approval policy created"), _("%(actor)s created the approval policy %(object)s")),
            "policy.updated": Kind(
                _("Approval policy changed"),
                _("%(actor)s changed the approval policy %(object)s"),
            ),
            "policy.deleted": Kind(_("Approval policy deleted"), _("%(actor)s deleted the approval policy %(object)s")),
            "feed.created": Kind(_("Feed added"), _("%(actor)s added the feed %(object)s")),
            "feed.updated": Kind(_("Feed changed"), _("%(actor)s changed the settings of the feed %(object)s")),
            "feed.deleted": Kind(_("Feed deleted"), _("%(actor)s deleted the feed %(object)s")),
            "feed.polled": Kind(
                _("Feed read"), _("%(actor)s read the feed %(object)s (new items: %(count)s)"), _polled
            ),
            "suggestion.created": Kind(_("Link suggested"), _("%(actor)s suggested %(object)s")),
            "suggestion.accepted": Kind(
                _("Suggestion accepted"),
                _("%(actor)s turned the suggestion %(object)s into the post %(post)s"),
                refs={"post": ("content.post", "post")},
            ),
            "suggestion.declined": Kind(_("Suggestion declined"), _("%(actor)s declined the suggestion %(object)s")),
        }
    )
