"""``/api/v1/o/<org>/notifications/``: the caller's own notifications — list, mark one or all read — and how they
hear from Relais (``settings``: the digest's frequency, hour and weekday, nudges).

A person's own only: API tokens get 403 (a token is no one, and has no notifications), and another member's
notification is a 404. Writes go through ``ambassadors.services``.
"""

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from ambassadors.api.base import MemberViewMixin
from ambassadors.models import AmbassadorProfile, DigestFrequency, Notification
from ambassadors.selectors import member_notifications
from ambassadors.services.digests import digest_preferences_save
from ambassadors.services.notifications import notification_mark_read, notifications_mark_all_read
from ambassadors.services.profiles import profile_for
from content.api.views import person


class NotificationSerializer(serializers.ModelSerializer[Notification]):
    """One of the caller's notifications, in the language it was written in for them. Read-only."""

    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "message", "url", "post", "created_at", "read_at", "is_read"]
        read_only_fields = fields

    def get_is_read(self, notification: Notification) -> bool:
        return notification.read_at is not None


class ReadAllSerializer(serializers.Serializer[Any]):
    marked = serializers.IntegerField(read_only=True, help_text=_("How many notifications were unread."))


class NotificationSettingsSerializer(serializers.Serializer[AmbassadorProfile]):
    digest_frequency = serializers.ChoiceField(choices=DigestFrequency.choices)
    digest_hour = serializers.IntegerField(
        min_value=0, max_value=23, help_text=_("From 0 to 23, in the member's own time zone.")
    )
    digest_weekday = serializers.IntegerField(
        min_value=0, max_value=6, help_text=_("The weekly digest's day: 0 is Monday, 6 is Sunday.")
    )
    nudges = serializers.BooleanField(help_text=_("Tell me when colleagues share."))
    nudges_in_digest = serializers.BooleanField(help_text=_("Also list those shares in my digest."))
    digest_next_at = serializers.DateTimeField(read_only=True, allow_null=True)


@extend_schema_view(
    list=extend_schema(
        summary="My notifications",
        description="The caller's notifications, newest first. A person only: API tokens get 403.",
    ),
)
class NotificationViewSet(MemberViewMixin, mixins.ListModelMixin, viewsets.GenericViewSet[Notification]):
    permission = "organization.view"
    serializer_class = NotificationSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[Notification]:
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        return member_notifications(membership=self.membership).filter(organization=self.organization)

    @extend_schema(summary="Mark one of my notifications read", request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        notification = notification_mark_read(notification=self.get_object())
        return Response(NotificationSerializer(notification, context=self.get_serializer_context()).data)

    @extend_schema(summary="Mark all my notifications read", request=None, responses=ReadAllSerializer)
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response({"marked": notifications_mark_all_read(membership=self.membership)})

    @extend_schema(
        methods=["GET"], summary="My notification settings", request=None, responses=NotificationSettingsSerializer
    )
    @extend_schema(
        methods=["PUT"],
        summary="Change my notification settings",
        description="Every field is required. The next digest is scheduled at the hour in the member's time zone.",
        request=NotificationSettingsSerializer,
        responses=NotificationSettingsSerializer,
    )
    @action(detail=False, methods=["get", "put"], url_path="settings", url_name="settings")
    def notification_settings(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        profile = profile_for(membership=self.membership)
        if request.method == "PUT":
            form = NotificationSettingsSerializer(data=request.data)
            form.is_valid(raise_exception=True)
            profile = digest_preferences_save(profile=profile, by=person(request), **form.validated_data)
        return Response(NotificationSettingsSerializer(profile).data)


router = SimpleRouter()
router.register("notifications", NotificationViewSet, basename="api-notifications")

urlpatterns = router.urls
