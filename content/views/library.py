"""The communications team's library: the post list, the post editor (with its per-network variants), the post
page (history, diff, link preview) and its actions, and the topics."""

from __future__ import annotations

import difflib
import re
from typing import Any

from django.contrib import messages
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView

from advocacy.errors import ServiceError
from advocacy.pagination import OneQueryPaginator
from advocacy.views.base import (
    ConfirmActionView,
    ForgivingListView,
    InvalidFormStatusMixin,
    OrganizationPermissionMixin,
    OrgUrlMixin,
    add_service_error,
)
from content import selectors, services
from content.forms import MAX_VARIANTS_PER_NETWORK, LibraryFilterForm, PostForm, TopicForm, VariantFormSets
from content.models import Post, Topic
from content.text import LIMITS, network_length

REVIEW_STATUSES = (Post.Status.IN_REVIEW, Post.Status.APPROVED)


class ContentView(OrganizationPermissionMixin, OrgUrlMixin):
    """Base of the library pages."""

    permission = "content.edit"


def _get_post(view: ContentView, pk: int) -> Post:
    # A post this member may not see is a 404, exactly as a missing one (``selectors.posts_visible_to``).
    try:
        return selectors.post_detail(membership=view.membership, pk=pk)
    except Post.DoesNotExist as exc:
        raise Http404 from exc


class PostLibraryView(ContentView, ForgivingListView):
    template_name = "content/library.html"
    context_object_name = "posts"
    paginate_by = 25

    paginator_class = OneQueryPaginator

    def get_queryset(self) -> QuerySet[Post]:
        self.choices = selectors.library_filter_choices(organization=self.organization)
        self.filter_form = LibraryFilterForm(self.request.GET, choices=self.choices)
        return selectors.library_rows(organization=self.organization, **self.filter_form.filters())

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        authors = dict(self.choices.authors)
        for post in context["posts"]:
            post.author_name = authors.get(post.author_id, "")
        return {**context, "filter_form": self.filter_form}


class PostEditorView(ContentView, TemplateView):
    """Create (no ``pk``) or edit a post. Every refusal answers 400 with everything typed, variants included."""

    template_name = "content/editor.html"
    model = Post

    def get_post(self) -> Post | None:
        return _get_post(self, self.kwargs["pk"]) if "pk" in self.kwargs else None

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        post = self.get_post()
        form = PostForm(initial=_initial(post), organization=self.organization)
        return self.render_editor(post, form, VariantFormSets(initial=_variant_texts(post)))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        post = self.get_post()
        add = request.POST.get("add_variant", "")
        if add:
            # "Add a variant" saves nothing: the same editor comes back with one more empty text for that network.
            form = PostForm(initial=PostForm.raw_values(request.POST), organization=self.organization)
            return self.render_editor(post, form, VariantFormSets(request.POST, add=add))
        form = PostForm(request.POST, request.FILES, organization=self.organization)
        variants = VariantFormSets(request.POST)
        if not all([form.is_valid(), variants.is_valid()]):  # a list, so both are validated and show their errors
            return self.render_editor(post, form, variants, status=400)
        try:
            saved = self.save(post, form, variants)
        except ServiceError as error:
            if error.code == "stale" and post is not None:
                return self.stale(post, form, variants, error)
            add_service_error(form, error)
            return self.render_editor(post, form, variants, status=400)
        messages.success(request, _("The post “%(title)s” was saved.") % {"title": saved.title})
        return redirect(self.org_url("post_detail", saved.pk))

    def save(self, post: Post | None, form: PostForm, variants: VariantFormSets) -> Post:
        if post is None:
            return services.post_create(
                organization=self.organization, author=self.actor, variants=variants.inputs(), **form.post_fields()
            )
        return services.post_update(
            post=post,
            by=self.actor,
            expected_revision=form.cleaned_data["expected_revision"],
            variants=variants.inputs(),
            **form.post_fields(),
        )

    def stale(self, post: Post, form: PostForm, variants: VariantFormSets, error: ServiceError) -> HttpResponse:
        """Someone saved in between: keep what was typed, link to their revision; saving again overwrites it."""
        current = _get_post(self, post.pk)
        data = self.request.POST.copy()
        data["expected_revision"] = str(current.revision)
        form = PostForm(data, organization=self.organization)
        form.is_valid()
        add_service_error(form, error)
        return self.render_editor(current, form, variants, status=400, stale=True)

    def render_editor(
        self,
        post: Post | None,
        form: PostForm,
        variants: VariantFormSets,
        *,
        status: int = 200,
        stale: bool = False,
    ) -> HttpResponse:
        context = self.get_context_data(
            post=post,
            form=form,
            variants=variants,
            max_variants=MAX_VARIANTS_PER_NETWORK,
            stale=stale,
            back_to_review=post is not None and post.status in REVIEW_STATUSES,
        )
        return self.render_to_response(context, status=status)


def _initial(post: Post | None) -> dict[str, Any]:
    if post is None:
        return {"editable_by_ambassadors": True}
    return {
        "title": post.title,
        "link": post.link,
        "referral_parameter": post.referral_parameter,
        "campaign": post.campaign,
        "image": post.image,
        "note": post.note,
        "topics": [topic.pk for topic in post.topics.all()],
        "programmes": [programme.pk for programme in post.programmes.all()],
        "languages": post.languages,
        "publish_at": post.publish_at and timezone.localtime(post.publish_at),
        "expires_at": post.expires_at and timezone.localtime(post.expires_at),
        "confidential_until": post.confidential_until and timezone.localtime(post.confidential_until),
        "editable_by_ambassadors": post.editable_by_ambassadors,
        "featured": post.featured,
        "expected_revision": post.revision,
    }


def _variant_texts(post: Post | None) -> dict[str, list[str]]:
    texts: dict[str, list[str]] = {}
    for variant in post.variants.all() if post is not None else ():
        texts.setdefault(variant.network, []).append(variant.text)
    return texts


def diff_label(name: str) -> str:
    """The name of a snapshot field, as the pages that show what changed since the last approval call it."""
    labels = {
        "title": _("Title"),
        "link": _("Link"),
        "referral_parameter": _("Referral parameter"),
        "note": _("Note to ambassadors"),
        "image": _("Image"),
        "topics": _("Topics"),
        "programmes": _("Programmes"),
        "languages": _("Languages"),
        "editable_by_ambassadors": _("Ambassadors may edit the text"),
        "featured": _("Featured"),
        "variants": _("Captions"),
    }
    return labels.get(name, name)


def word_diff(before: str, after: str) -> list[tuple[str, str]]:
    """``(kind, text)`` pieces, kind "equal", "delete" or "insert", word by word (whitespace kept with its word)."""
    old, new = re.findall(r"\S+\s*|\s+", before), re.findall(r"\S+\s*|\s+", after)
    pieces: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag == "equal":
            pieces.append(("equal", "".join(old[i1:i2])))
            continue
        if i2 > i1:
            pieces.append(("delete", "".join(old[i1:i2])))
        if j2 > j1:
            pieces.append(("insert", "".join(new[j1:j2])))
    return pieces


class PostDetailView(ContentView, TemplateView):
    permission = "content.view"
    template_name = "content/detail.html"
    model = Post

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        post = _get_post(self, self.kwargs["pk"])
        variants = [
            {
                "variant": variant,
                "length": network_length(variant.network, variant.text),
                "limit": LIMITS.get(variant.network),
            }
            for variant in post.variants.all()
        ]
        return {
            **super().get_context_data(**kwargs),
            "post": post,
            "variants": variants,
            "preview": post.link_preview,
            "history": selectors.post_history(post=post),
            "diff": [
                {
                    **change,
                    "label": diff_label(change["name"]),
                    "words": word_diff(change["before_text"], change["after_text"]),
                }
                for change in selectors.revision_diff(post=post)
            ],
            "can_edit": self.membership.has_perm("content.edit"),
        }


class PostPreviewView(ContentView, TemplateView):
    """The link preview card, for htmx to poll while the worker fetches it (the fragment stops polling when done)."""

    permission = "content.view"
    template_name = "content/_preview.html"
    model = Post

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        post = _get_post(self, kwargs["pk"])
        if not request.htmx:  # type: ignore[attr-defined]
            return redirect(self.org_url("post_detail", post.pk) + "#preview")
        return self.render_to_response({"post": post, "preview": post.link_preview})


class PostTransitionView(ContentView, TemplateView):
    """A one-button transition (submit, withdraw the submission): POST, then back to the post with a message."""

    http_method_names = ["post"]
    model = Post
    transition = "submit"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        post = _get_post(self, kwargs["pk"])
        try:
            if self.transition == "submit":
                services.post_submit(post=post, by=self.actor)
                messages.success(request, _("The post was submitted for approval."))
            else:
                services.post_withdraw_submission(post=post, by=self.actor)
                messages.success(request, _("The submission was withdrawn; the post is a draft again."))
        except ServiceError as error:
            messages.error(request, error.message)
        return redirect(self.org_url("post_detail", post.pk))


class PostWithdrawView(ConfirmActionView):
    permission = "content.edit"
    model = Post

    def get_object(self) -> Post:
        return _get_post(self, self.kwargs["pk"])  # type: ignore[arg-type]

    def confirmation(self, obj: Post) -> dict[str, str]:
        return {
            "title": _("Withdraw “%(title)s”?") % {"title": obj.title},
            "question": _(
                "Ambassadors will no longer see it in their feeds. Shares already published stay online, and the "
                "post stays in the library with its history."
            ),
            "button": _("Withdraw the post"),
            "cancel_url": self.org_url("post_detail", obj.pk),
        }

    def perform(self, obj: Post) -> str:
        services.post_withdraw(post=obj, by=self.actor)
        return _("The post “%(title)s” was withdrawn.") % {"title": obj.title}


# --- Topics ------------------------------------------------------------------------------------------------------


def _get_topic(view: ContentView, pk: int) -> Topic:
    try:
        return Topic.objects.filter(organization=view.organization).get(pk=pk)
    except Topic.DoesNotExist as exc:
        raise Http404 from exc


class TopicListView(ContentView, TemplateView):
    template_name = "content/topics.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        # One query: the count comes from the link table, whatever the number of posts.
        topics = Topic.objects.filter(organization=self.organization).annotate(post_count=Count("posts"))
        return {**super().get_context_data(**kwargs), "topics": topics.order_by("name")}


class TopicFormView(ContentView, InvalidFormStatusMixin, FormView):  # type: ignore[type-arg]
    """Create (no ``pk``) or edit a topic; a duplicate name comes back from the service as a field error."""

    template_name = "content/topic_form.html"
    form_class = TopicForm
    model = Topic

    def get_topic(self) -> Topic | None:
        return _get_topic(self, self.kwargs["pk"]) if "pk" in self.kwargs else None

    def get_initial(self) -> dict[str, Any]:
        topic = self.get_topic()
        if topic is None:
            return {}
        return {"name": topic.name, "colour": topic.colour, "description": topic.description}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "topic": self.get_topic()}

    def form_valid(self, form: TopicForm) -> HttpResponse:
        topic = self.get_topic()
        try:
            if topic is None:
                topic = services.topic_create(organization=self.organization, by=self.actor, **form.cleaned_data)
            else:
                topic = services.topic_update(topic=topic, by=self.actor, **form.cleaned_data)
        except ServiceError as error:
            add_service_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The topic “%(name)s” was saved.") % {"name": topic.name})
        return redirect(self.org_url("topics"))


class TopicDeleteView(ConfirmActionView):
    permission = "content.edit"
    model = Topic

    def get_object(self) -> Topic:
        return _get_topic(self, self.kwargs["pk"])  # type: ignore[arg-type]

    def confirmation(self, obj: Topic) -> dict[str, str]:
        return {
            "title": _("Delete the topic “%(name)s”?") % {"name": obj.name},
            "question": _("Its posts are kept; they simply lose this topic."),
            "button": _("Delete the topic"),
            "cancel_url": self.org_url("topics"),
        }

    def perform(self, obj: Topic) -> str:
        services.topic_delete(topic=obj, by=self.actor)
        return _("The topic “%(name)s” was deleted.") % {"name": obj.name}


urlpatterns = [
    path("content/", PostLibraryView.as_view(), name="content_library"),
    path("content/new/", PostEditorView.as_view(), name="post_create"),
    path("content/<int:pk>/", PostDetailView.as_view(), name="post_detail"),
    path("content/<int:pk>/edit/", PostEditorView.as_view(), name="post_edit"),
    path("content/<int:pk>/preview/", PostPreviewView.as_view(), name="post_preview"),
    path("content/<int:pk>/submit/", PostTransitionView.as_view(transition="submit"), name="post_submit"),
    path(
        "content/<int:pk>/withdraw-submission/",
        PostTransitionView.as_view(transition="withdraw_submission"),
        name="post_withdraw_submission",
    ),
    path("content/<int:pk>/withdraw/", PostWithdrawView.as_view(), name="post_withdraw"),
    path("content/topics/", TopicListView.as_view(), name="topics"),
    path("content/topics/new/", TopicFormView.as_view(), name="topic_create"),
    path("content/topics/<int:pk>/edit/", TopicFormView.as_view(), name="topic_edit"),
    path("content/topics/<int:pk>/delete/", TopicDeleteView.as_view(), name="topic_delete"),
]
