"""The ``/api/v1/`` endpoints: members, invitations, programmes and their members, and the public schema and docs.

Every organisation endpoint derives from ``OrganizationAPIMixin`` (first in the MRO), so the whole request runs in
the organisation's scope; querysets still filter on ``organization`` explicitly.
"""

from typing import Any

from django.db import transaction
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import generics, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from advocacy import services
from advocacy.api.base import OrganizationAPIMixin
from advocacy.api.serializers import (
    InviteResultSerializer,
    InviteSerializer,
    MemberFilterSerializer,
    MemberSerializer,
    MemberUpdateSerializer,
    ProgrammeMemberSerializer,
    ProgrammeSerializer,
)
from advocacy.api.throttles import OrganizationScopedRateThrottle
from advocacy.errors import ServiceError
from advocacy.models import Membership, Programme, ProgrammeMember, User


class PublicSchemaView(SpectacularAPIView):
    """The OpenAPI schema, public on purpose: it describes paths and shapes, never any organisation's data.

    No authentication runs here, so a Bearer token (which needs an organisation) cannot turn it into a 401.
    """

    authentication_classes: list[Any] = []
    permission_classes = [permissions.AllowAny]


class PublicDocsView(SpectacularSwaggerSplitView):
    """Swagger UI for the schema, public like it; its assets come from drf-spectacular-sidecar via staticfiles.

    The split view serves the page's init script as a file (``?script``): the Content-Security-Policy refuses inline
    scripts.
    """

    template_name = "api/swagger_ui.html"
    authentication_classes: list[Any] = []
    permission_classes = [permissions.AllowAny]


def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any other path under ``/api/v1/``: the JSON 404 of the API rather than the HTML page of the site."""
    return JsonResponse({"message": _("Not found."), "code": "not_found", "errors": {}}, status=404)


def acting_user(request: Request) -> User | None:
    """The person behind the call for services and the audit trail; an API token acts as no one."""
    return request.user if isinstance(request.user, User) else None


class OrganizationViewMixin(OrganizationAPIMixin):
    """Hands the URL's organisation to serializers, which resolve ids only among its rows, and the caller's
    membership (None for an API token), for ids whose rows depend on who asks."""

    def get_serializer_context(self) -> dict[str, Any]:
        context: dict[str, Any] = super().get_serializer_context()  # type: ignore[misc]
        context["organization"] = self.organization
        context["membership"] = getattr(self.request, "membership", None)  # type: ignore[attr-defined]
        return context


@transaction.atomic
def _apply_member_changes(membership: Membership, changes: dict[str, str], by: User | None) -> None:
    # One transaction: a refused status change must not leave the role change behind.
    if "role" in changes:
        services.membership_change_role(membership=membership, role=changes["role"], by=by)
    if changes.get("status") == Membership.Status.SUSPENDED:
        services.membership_suspend(membership=membership, by=by)
    elif changes.get("status") == Membership.Status.ACTIVE:
        services.membership_reactivate(membership=membership, by=by)


@extend_schema_view(
    list=extend_schema(summary="List members", parameters=[MemberFilterSerializer]),
    retrieve=extend_schema(summary="Get a member"),
    partial_update=extend_schema(
        summary="Change a member's role or status", request=MemberUpdateSerializer, responses=MemberSerializer
    ),
    destroy=extend_schema(summary="Remove a member from the organisation"),
)
class MemberViewSet(
    OrganizationViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet[Membership],
):
    permission = "members.view"
    write_permission = "members.manage"
    serializer_class = MemberSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    lookup_value_regex = r"\d+"
    throttle_scope = "invite"  # read only by the throttle of the invite action

    def get_queryset(self) -> QuerySet[Membership]:
        if getattr(self, "swagger_fake_view", False):
            return Membership.objects.none()
        # Programmes come in one prefetch query with their names, whatever the number of members.
        links = ProgrammeMember.objects.filter(organization=self.organization).select_related("programme")
        return (
            Membership.objects.filter(organization=self.organization)
            .select_related("user")
            .prefetch_related(Prefetch("programme_links", queryset=links))
            .order_by("user__email", "pk")
        )

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.action != "list":
            return queryset
        filters = MemberFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        values = filters.validated_data
        if values.get("q"):
            queryset = queryset.filter(
                Q(user__email__icontains=values["q"]) | Q(user__full_name__icontains=values["q"])
            )
        if values.get("role"):
            queryset = queryset.filter(role=values["role"])
        if values.get("status"):
            queryset = queryset.filter(status=values["status"])
        return queryset

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        membership = self.get_object()
        changes = MemberUpdateSerializer(data=request.data)
        changes.is_valid(raise_exception=True)
        _apply_member_changes(membership, changes.validated_data, acting_user(request))
        return Response(MemberSerializer(self.get_object(), context=self.get_serializer_context()).data)

    def perform_destroy(self, instance: Membership) -> None:
        services.membership_remove(membership=instance, by=acting_user(self.request))

    @extend_schema(summary="Invite people by e-mail", request=InviteSerializer, responses={201: InviteResultSerializer})
    # Each invitation sends an e-mail: the quota keeps a leaked token or a script from spamming with our domain.
    @action(detail=False, methods=["post"], throttle_classes=[OrganizationScopedRateThrottle])
    def invite(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        form = InviteSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        valid, invalid = services.parse_email_list(form.validated_data["emails"])
        if not valid and not invalid:
            raise ServiceError(_("Enter at least one e-mail address."), code="required", field="emails")
        result = services.invitation_create_many(
            organization=self.organization,
            inviter=acting_user(request),
            emails=valid,
            role=form.validated_data["role"],
            programme=form.validated_data["programme"],
        )
        result.invalid.extend(invalid)
        return Response(InviteResultSerializer(result).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="List programmes"),
    create=extend_schema(summary="Create a programme"),
    retrieve=extend_schema(summary="Get a programme"),
    partial_update=extend_schema(summary="Change a programme"),
    destroy=extend_schema(summary="Delete a programme"),
)
class ProgrammeViewSet(OrganizationViewMixin, viewsets.ModelViewSet[Programme]):
    permission = "programmes.view"
    write_permission = "programmes.manage"
    serializer_class = ProgrammeSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[Programme]:
        if getattr(self, "swagger_fake_view", False):
            return Programme.objects.none()
        return (
            Programme.objects.filter(organization=self.organization)
            .annotate(member_count=Count("members"))
            .order_by("name", "pk")
        )

    def _annotated(self, programme: Programme) -> dict[str, Any]:
        return dict(self.get_serializer(self.get_queryset().get(pk=programme.pk)).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        form = self.get_serializer(data=request.data)
        form.is_valid(raise_exception=True)
        programme = services.programme_create(
            organization=self.organization,
            name=form.validated_data["name"],
            slug=form.validated_data["slug"],
            description=form.validated_data.get("description", ""),
            by=acting_user(request),
        )
        return Response(self._annotated(programme), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        programme = self.get_object()
        form = self.get_serializer(programme, data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        services.programme_update(programme=programme, by=acting_user(request), **form.validated_data)
        return Response(self._annotated(programme))

    def perform_destroy(self, instance: Programme) -> None:
        services.programme_delete(programme=instance, by=acting_user(self.request))


class ProgrammeMembersMixin(OrganizationViewMixin):
    permission = "programmes.view"
    write_permission = "programmes.manage"
    kwargs: dict[str, Any]
    _programme: Programme | None = None

    @property
    def programme(self) -> Programme:
        if self._programme is None:
            self._programme = get_object_or_404(
                Programme.objects.filter(organization=self.organization), pk=self.kwargs["pk"]
            )
        return self._programme


@extend_schema_view(
    get=extend_schema(summary="List a programme's members"),
    post=extend_schema(summary="Add a member to a programme, or change whether they administer it"),
)
class ProgrammeMemberListView(ProgrammeMembersMixin, generics.ListCreateAPIView[ProgrammeMember]):
    serializer_class = ProgrammeMemberSerializer

    def get_queryset(self) -> QuerySet[ProgrammeMember]:
        if getattr(self, "swagger_fake_view", False):
            return ProgrammeMember.objects.none()
        return (
            ProgrammeMember.objects.filter(organization=self.organization, programme=self.programme)
            .select_related("membership__user")
            .order_by("membership__user__email", "pk")
        )

    def perform_create(self, serializer: BaseSerializer[ProgrammeMember]) -> None:
        serializer.instance = services.programme_set_member(
            programme=self.programme,
            membership=serializer.validated_data["membership"],
            is_admin=serializer.validated_data["is_admin"],
            by=acting_user(self.request),
        )


@extend_schema_view(delete=extend_schema(summary="Remove a member from a programme"))
class ProgrammeMemberDetailView(ProgrammeMembersMixin, generics.DestroyAPIView[ProgrammeMember]):
    serializer_class = ProgrammeMemberSerializer

    def get_object(self) -> ProgrammeMember:
        return get_object_or_404(
            ProgrammeMember.objects.filter(organization=self.organization, programme=self.programme).select_related(
                "membership"
            ),
            membership_id=self.kwargs["membership_id"],
        )

    def perform_destroy(self, instance: ProgrammeMember) -> None:
        services.programme_remove_member(
            programme=self.programme, membership=instance.membership, by=acting_user(self.request)
        )
