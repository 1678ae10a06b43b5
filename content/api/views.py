"""``/api/v1/o/<org>/`` endpoints of the content library: topics, posts and their transitions, the approval inbox
and suggestions.

Every view derives from ``OrganizationAPIMixin`` (through ``OrganizationViewMixin``), so the request runs in the
organisation's scope; reads go through ``content.selectors`` and writes through ``content.services``.
"""

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, generics, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from advocacy.api.base import OrganizationPermission
from advocacy.api.views import OrganizationViewMixin, acting_user
from advocacy.errors import ServiceError
from advocacy.models import ApiToken, Membership, User
from content import selectors, services
from content.api.serializers import (
    ApproveSerializer,
    DecisionNoteSerializer,
    DeclineSerializer,
    PostFilterSerializer,
    PostSerializer,
    PostUpdateSerializer,
    RescheduleSerializer,
    SuggestionFilterSerializer,
    SuggestionSerializer,
    TopicSerializer,
)
from content.models import Post, Suggestion, Topic

if TYPE_CHECKING:
    from rest_framework.permissions import _PermissionClass

# Service errors that mean "someone else changed or decided this first": 409 Conflict, not 400.
CONFLICT_CODES = frozenset({"stale", "already_decided"})


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("This post changed, review the new revision.")
    default_code = "conflict"


class PersonRequired(permissions.BasePermission):
    """Refuses API tokens (403): the action belongs to a person (an approval decision, an inbox, a suggestion)."""

    message = gettext_lazy("An API token acts as no one: this action needs a signed-in person.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        return not isinstance(request.auth, ApiToken)


def person(request: Request) -> User:
    """The signed-in person of a view guarded by ``PersonRequired``."""
    assert isinstance(request.user, User), "guard the view with PersonRequired"
    return request.user


class ContentViewMixin(OrganizationViewMixin):
    """Maps the "changed meanwhile" service errors to 409, with the service's message and code."""

    person_actions: frozenset[str] = frozenset()

    def get_permissions(self) -> "Sequence[Any]":
        checks: list[_PermissionClass] = [OrganizationPermission]
        if getattr(self, "action", None) in self.person_actions:
            checks.append(PersonRequired)
        return [check() for check in checks]

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, ServiceError) and exc.code in CONFLICT_CODES:
            exc = Conflict(exc.message, code=exc.code)
        return super().handle_exception(exc)  # type: ignore[misc, no-any-return]


@extend_schema_view(
    list=extend_schema(summary="List topics"),
    create=extend_schema(summary="Create a topic"),
    retrieve=extend_schema(summary="Get a topic"),
    partial_update=extend_schema(summary="Change a topic"),
    destroy=extend_schema(summary="Delete a topic (posts keep existing, without it)"),
)
class TopicViewSet(ContentViewMixin, viewsets.ModelViewSet[Topic]):
    permission = "content.edit"
    serializer_class = TopicSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[Topic]:
        if getattr(self, "swagger_fake_view", False):
            return Topic.objects.none()
        return Topic.objects.filter(organization=self.organization).order_by("name", "pk")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        form = self.get_serializer(data=request.data)
        form.is_valid(raise_exception=True)
        topic = services.topic_create(organization=self.organization, by=acting_user(request), **form.validated_data)
        return Response(self.get_serializer(topic).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        topic = self.get_object()
        form = self.get_serializer(topic, data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        topic = services.topic_update(topic=topic, by=acting_user(request), **form.validated_data)
        return Response(self.get_serializer(topic).data)

    def perform_destroy(self, instance: Topic) -> None:
        services.topic_delete(topic=instance, by=acting_user(self.request))


def _post_response(view: "PostViewSet", post: Post, code: int = status.HTTP_200_OK) -> Response:
    # Re-read through the selector: the answer shows what is stored, with the same prefetches as the list. Not
    # narrowed to what the caller may see: a rejection sends the post back to draft, out of its approver's sight, and
    # the answer is still the outcome of the decision they were allowed to take.
    fresh = selectors.post_list(organization=view.organization).get(pk=post.pk)
    return Response(PostSerializer(fresh, context=view.get_serializer_context()).data, status=code)


DECISIONS = frozenset({"approve", "request_changes", "reject"})


@extend_schema_view(
    list=extend_schema(summary="List the library's posts", parameters=[PostFilterSerializer]),
    create=extend_schema(
        summary="Create a draft post",
        description="Variants, topic ids and programme ids are sent inline. Images are not accepted as JSON: "
        "upload them on the library page.",
    ),
    retrieve=extend_schema(summary="Get a post"),
    partial_update=extend_schema(
        summary="Edit a post",
        description="Send `revision` (the one you edited): if the post changed since, the answer is 409 `stale`. "
        "Editing an approved or in-review post makes a new revision and sends it back to the first approval "
        "step. Posts are not deleted through the API: withdraw them, so their history stays.",
        request=PostUpdateSerializer,
        responses={200: PostSerializer, 409: OpenApiResponse(description="The post changed: `stale`.")},
    ),
)
class PostViewSet(ContentViewMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet[Post]):
    """Editors' posts (``content.edit``). Decisions (approve, request changes, reject) need ``content.approve``
    and being an approver of the current step, and a person: API tokens cannot decide."""

    permission = "content.edit"
    serializer_class = PostSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]
    lookup_value_regex = r"\d+"
    person_actions = DECISIONS

    def required_permission(self, method: str) -> str:
        if self.action in DECISIONS:
            return "content.approve"
        return super().required_permission(method)

    def get_queryset(self) -> QuerySet[Post]:
        if getattr(self, "swagger_fake_view", False):
            return Post.objects.none()
        return selectors.post_list(organization=self.organization, visible_to=self._member()).filter(
            organization=self.organization
        )

    def _member(self) -> Membership | None:
        # A person sees the posts ``posts_visible_to`` allows (an approver deciding cannot reach a draft); an API
        # token is no member and holds ``content.edit``, which sees every post.
        return getattr(self.request, "membership", None)

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.action != "list":
            return queryset
        filters = PostFilterSerializer(data=self.request.query_params, context=self.get_serializer_context())
        filters.is_valid(raise_exception=True)
        values = dict(filters.validated_data)
        if "q" in values:
            values["search"] = values.pop("q")
        if "ordering" in values:
            values["sort"] = values.pop("ordering")
        return selectors.post_list(organization=self.organization, visible_to=self._member(), **values)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        form = PostSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        post = services.post_create(
            organization=self.organization, author=acting_user(request), **form.service_arguments()
        )
        return _post_response(self, post, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        post = self.get_object()
        form = PostUpdateSerializer(post, data=request.data, partial=True, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        post = services.post_update(post=post, by=acting_user(request), **form.service_arguments())
        return _post_response(self, post)

    def _transition(self, request: Request, service: Any) -> Response:
        post = service(post=self.get_object(), by=acting_user(request))
        return _post_response(self, post)

    @extend_schema(summary="Submit a draft for approval", request=None, responses=PostSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._transition(request, services.post_submit)

    @extend_schema(summary="Take a post in review back to draft", request=None, responses=PostSerializer)
    @action(detail=True, methods=["post"], url_path="withdraw-submission")
    def withdraw_submission(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._transition(request, services.post_withdraw_submission)

    @extend_schema(summary="Withdraw a post from feeds", request=None, responses=PostSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._transition(request, services.post_withdraw)

    @extend_schema(
        summary="Change a post's publish and expiry dates",
        description="An approved post keeps its approval when only its dates change.",
        request=RescheduleSerializer,
        responses=PostSerializer,
    )
    @action(detail=True, methods=["post"])
    def reschedule(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        post = self.get_object()
        form = RescheduleSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        post = services.post_reschedule(post=post, by=acting_user(request), **form.validated_data)
        return _post_response(self, post)

    def _decide(self, request: Request, form_class: Any, service: Any) -> Response:
        post = self.get_object()
        form = form_class(data=request.data)
        form.is_valid(raise_exception=True)
        membership: Membership = request.membership  # type: ignore[attr-defined]
        if not selectors.can_decide(membership=membership, post=post):
            raise exceptions.PermissionDenied(_("You are not an approver of this post's current step."))
        service(post=post, by=person(request), **form.validated_data)
        return _post_response(self, post)

    @extend_schema(
        summary="Approve the current step of a post",
        description="Needs a person who approves the current step; API tokens are refused (403). A newer "
        "revision (`stale`) or a step already decided by someone else (`already_decided`) answers 409.",
        request=ApproveSerializer,
        responses={200: PostSerializer, 409: OpenApiResponse(description="`stale` or `already_decided`.")},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._decide(request, ApproveSerializer, services.post_approve)

    @extend_schema(
        summary="Send a post back to its author with a note",
        description="As approve: a person approver of the current step; 409 when stale or already decided.",
        request=DecisionNoteSerializer,
        responses={200: PostSerializer, 409: OpenApiResponse(description="`stale` or `already_decided`.")},
    )
    @action(detail=True, methods=["post"], url_path="request-changes")
    def request_changes(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._decide(request, DecisionNoteSerializer, services.post_request_changes)

    @extend_schema(
        summary="Reject a post with a note (back to draft)",
        description="As approve: a person approver of the current step; 409 when stale or already decided.",
        request=DecisionNoteSerializer,
        responses={200: PostSerializer, 409: OpenApiResponse(description="`stale` or `already_decided`.")},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._decide(request, DecisionNoteSerializer, services.post_reject)


@extend_schema_view(
    get=extend_schema(
        summary="My approval inbox",
        description="The posts whose current step the signed-in approver may decide. An inbox belongs to a "
        "person: API tokens get 403.",
    )
)
class ApprovalInboxView(ContentViewMixin, generics.ListAPIView[Post]):
    permission = "content.approve"
    serializer_class = PostSerializer

    def get_permissions(self) -> "Sequence[Any]":
        return [OrganizationPermission(), PersonRequired()]

    def get_queryset(self) -> QuerySet[Post]:
        if getattr(self, "swagger_fake_view", False):
            return Post.objects.none()
        membership: Membership = self.request.membership  # type: ignore[attr-defined]
        return selectors.approval_inbox(membership=membership).filter(organization=self.organization)


@extend_schema_view(
    list=extend_schema(summary="The suggestions inbox", parameters=[SuggestionFilterSerializer]),
    retrieve=extend_schema(summary="Get a suggestion"),
    create=extend_schema(
        summary="Suggest a link",
        description="Any member may suggest; the suggestion is credited to them, so API tokens get 403.",
    ),
)
class SuggestionViewSet(ContentViewMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet[Suggestion]):
    """The editors' inbox (``content.edit``); any member (``feed.use``) may add to it."""

    permission = "content.edit"
    serializer_class = SuggestionSerializer
    http_method_names = ["get", "post", "head", "options"]
    lookup_value_regex = r"\d+"
    person_actions = frozenset({"create"})

    def required_permission(self, method: str) -> str:
        if self.action == "create":
            return "feed.use"
        return super().required_permission(method)

    def get_queryset(self) -> QuerySet[Suggestion]:
        if getattr(self, "swagger_fake_view", False):
            return Suggestion.objects.none()
        return Suggestion.objects.filter(organization=self.organization)

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.action != "list":
            return queryset
        filters = SuggestionFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return selectors.suggestion_inbox(organization=self.organization, **filters.validated_data).filter(
            organization=self.organization
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        form = self.get_serializer(data=request.data)
        form.is_valid(raise_exception=True)
        suggestion = services.suggestion_create(
            organization=self.organization, by=person(request), **form.validated_data
        )
        return Response(self.get_serializer(suggestion).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Turn a suggestion into a draft post",
        description="The new post credits the suggestion's author; the answer is that post.",
        request=None,
        responses={201: PostSerializer},
    )
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        post = services.suggestion_accept(suggestion=self.get_object(), by=acting_user(request))
        fresh = selectors.post_list(organization=self.organization).get(pk=post.pk)
        return Response(PostSerializer(fresh, context=self.get_serializer_context()).data, status=201)

    @extend_schema(
        summary="Decline a suggestion with a note its author sees",
        request=DeclineSerializer,
        responses=SuggestionSerializer,
    )
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        suggestion = self.get_object()
        form = DeclineSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.suggestion_decline(suggestion=suggestion, by=acting_user(request), note=form.validated_data["note"])
        return Response(self.get_serializer(self.get_queryset().get(pk=suggestion.pk)).data)
