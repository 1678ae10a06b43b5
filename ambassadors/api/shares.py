"""``/api/v1/o/<org>/shares/``: the caller's own shares — list, create (``share_schedule``), read, and the actions
cancel, reschedule, retry, mark-posted and publish-now.

A person's own shares only: API tokens get 403 (a share is always a member's explicit act), and another member's
share is a 404 — except that administrators overseeing publishing (``publishing.manage``) may read one, as on the
pages. Writes go through ``ambassadors.services.shares``; refusals of the gate answer 400 with their messages.
"""

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.serializers import Serializer

from advocacy.api.throttles import OrganizationScopedRateThrottle
from ambassadors.api.base import MemberViewMixin
from ambassadors.api.serializers_shares import (
    ShareCancelSerializer,
    ShareCreateSerializer,
    ShareFilterSerializer,
    ShareMarkPostedSerializer,
    ShareRescheduleSerializer,
    ShareSerializer,
)
from ambassadors.models import Share
from ambassadors.selectors import member_shares
from ambassadors.services.shares import (
    share_cancel,
    share_mark_posted_manually,
    share_publish_now,
    share_reschedule,
    share_retry,
    share_schedule,
)
from analytics.api.serializers import TrackedLinkSerializer
from analytics.selectors import share_links
from content.api.views import person


def _action_schema(summary: str, description: str, request: Any = None) -> Callable[[Any], Any]:
    return extend_schema(summary=summary, description=description, request=request, responses=ShareSerializer)


@extend_schema_view(
    list=extend_schema(
        summary="My shares",
        description="The caller's shares, newest first; `status` filters. A person only: API tokens get 403.",
        parameters=[ShareFilterSerializer],
    ),
    retrieve=extend_schema(summary="One of my shares"),
    create=extend_schema(
        summary="Share a post",
        description="Publishes now (`at` empty or past) or at `at` (at most 90 days ahead). The post must be live; "
        "the charter and the compliance rules are checked (400 with their messages otherwise). LinkedIn and X need "
        "a connected account; X may fall back to copy-and-open (`manual`) when the organisation's X budget is "
        "spent; other networks are always copy-and-open.",
        request=ShareCreateSerializer,
        responses={201: ShareSerializer},
    ),
)
class ShareViewSet(MemberViewMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet[Share]):
    permission = "shares.own"
    serializer_class = ShareSerializer
    http_method_names = ["get", "post", "head", "options"]
    lookup_value_regex = r"\d+"
    throttle_scope = "publish"  # read only by the throttle of the actions that can publish
    PUBLISHING_ACTIONS = frozenset({"create", "publish_now", "retry"})
    OVERSIGHT_ACTIONS = frozenset({"retrieve", "links"})

    def get_throttles(self) -> list[Any]:
        if self.action in self.PUBLISHING_ACTIONS:
            return [OrganizationScopedRateThrottle()]
        return list(super().get_throttles())

    def get_queryset(self) -> QuerySet[Share]:
        if getattr(self, "swagger_fake_view", False):
            return Share.objects.none()
        rows = member_shares(membership=self.membership).filter(organization=self.organization)
        if self.action in self.OVERSIGHT_ACTIONS and self.membership.has_perm("publishing.manage"):
            # Read-only oversight: the administrators of publishing help members with their shares.
            rows = Share.objects.filter(organization=self.organization).select_related(
                "post", "connection", "organization", "membership__organization"
            )
        return rows

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.action != "list":
            return queryset
        filters = ShareFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return member_shares(membership=self.membership, status=filters.validated_data.get("status", ""))

    def _done(self, share: Share, code: int = status.HTTP_200_OK) -> Response:
        share.refresh_from_db()
        return Response(ShareSerializer(share, context=self.get_serializer_context()).data, status=code)

    def _input(self, serializer_class: type[Serializer[Any]]) -> dict[str, Any]:
        form = serializer_class(data=self.request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        return dict(form.validated_data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        values = self._input(ShareCreateSerializer)
        share = share_schedule(membership=self.membership, by=person(request), **values)
        return self._done(share, status.HTTP_201_CREATED)

    @_action_schema("Cancel one of my shares", "Refused while it is being published.", ShareCancelSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        share = self.get_object()
        values = self._input(ShareCancelSerializer)
        return self._done(share_cancel(share=share, by=person(request), reason=values["reason"]))

    @_action_schema(
        "Reschedule one of my shares",
        "A scheduled, failed or waiting share goes out at `at`; the rules are checked for that time.",
        ShareRescheduleSerializer,
    )
    @action(detail=True, methods=["post"])
    def reschedule(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        share = self.get_object()
        values = self._input(ShareRescheduleSerializer)
        return self._done(share_reschedule(share=share, at=values["at"], by=person(request)))

    @_action_schema(
        "Try one of my shares again",
        "A failed share, or one waiting for me (reconnected account, accepted charter), goes out now; one whose "
        "outcome was unknown is sent once more, and the network's duplicate check keeps it from appearing twice.",
    )
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._done(share_retry(share=self.get_object(), by=person(request)))

    @_action_schema(
        "Mark one of my shares as posted",
        "For a copy-and-open share posted by hand, or one found on the profile after an unknown outcome. `url`, "
        "optional, must be on the network's domain.",
        ShareMarkPostedSerializer,
    )
    @action(detail=True, methods=["post"], url_path="mark-posted")
    def mark_posted(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        share = self.get_object()
        values = self._input(ShareMarkPostedSerializer)
        return self._done(share_mark_posted_manually(share=share, url=values["url"], by=person(request)))

    @extend_schema(
        summary="The tracked links of one of my shares",
        description="The short links the share went out with, where they lead and their clicks: `unique_clicks` "
        "counts a visitor once per link and day, `filtered_clicks` the robots and link previews never counted. "
        "Empty for a share without a link to track. Administrators overseeing publishing may read another "
        "member's.",
        request=None,
        responses=TrackedLinkSerializer(many=True),
    )
    @action(detail=True, methods=["get"])
    def links(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        share = self.get_object()
        return Response(TrackedLinkSerializer(share_links(share), many=True).data)

    @_action_schema("Publish one of my shares now", "A draft or scheduled share goes out now; the rules are checked.")
    @action(detail=True, methods=["post"], url_path="publish-now")
    def publish_now(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._done(share_publish_now(share=self.get_object(), by=person(request)))


router = SimpleRouter()
router.register("shares", ShareViewSet, basename="api-shares")

urlpatterns = router.urls
