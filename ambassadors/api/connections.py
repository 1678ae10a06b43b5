"""``/api/v1/o/<org>/connections/``: the caller's own connected accounts with their health, and disconnecting one.

A person's own accounts only: API tokens get 403, and another member's connection id is a 404 (the queryset holds
the caller's connections alone). Writes go through ``ambassadors.services.connections``.
"""

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from advocacy.api.base import OrganizationPermission
from advocacy.api.views import OrganizationViewMixin
from advocacy.models import Membership
from ambassadors.api.serializers_connections import ConnectionSerializer
from ambassadors.models import SocialConnection
from ambassadors.selectors import member_connections
from ambassadors.services.connections import connection_disconnect
from content.api.views import PersonRequired, person


class OwnConnectionsMixin(OrganizationViewMixin):
    permission = "connections.own"

    def get_permissions(self) -> Sequence[Any]:
        return [OrganizationPermission(), PersonRequired()]

    def own_connections(self) -> QuerySet[SocialConnection]:
        membership: Membership = self.request.membership  # type: ignore[attr-defined]
        return member_connections(membership=membership).filter(organization=self.organization)


@extend_schema_view(
    get=extend_schema(
        summary="My connected accounts",
        description="The caller's live connections (connected or waiting for a reconnect) with their health. "
        "Tokens are never shown. A person only: API tokens get 403.",
    )
)
class ConnectionListView(OwnConnectionsMixin, generics.ListAPIView[SocialConnection]):
    serializer_class = ConnectionSerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[SocialConnection]:
        if getattr(self, "swagger_fake_view", False):
            return SocialConnection.objects.none()
        return self.own_connections()


class ConnectionDetailView(OwnConnectionsMixin, APIView):
    @extend_schema(
        summary="Disconnect one of my accounts",
        description="Revokes the access at the network (best effort) and deletes the stored tokens. Another "
        "member's connection is a 404.",
        request=None,
        responses={204: None},
    )
    def delete(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        connection = get_object_or_404(self.own_connections(), pk=kwargs["pk"])
        connection_disconnect(connection=connection, by=person(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns: list[URLPattern] = [
    path("connections/", ConnectionListView.as_view(), name="api-connections"),
    path("connections/<int:pk>/", ConnectionDetailView.as_view(), name="api-connection-detail"),
]
