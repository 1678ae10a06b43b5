"""``/api/v1/o/<org>/`` endpoints of the programme rules: the charter and its acceptance, the acceptance report, the
compliance rules and their live check, incidents.

Every view derives from ``OrganizationAPIMixin`` (through ``OrganizationViewMixin``), so the request runs in the
organisation's scope; reads go through ``charter.selectors`` and writes through ``charter.services``,
``charter.compliance`` and ``charter.incidents``. Accepting or leaving the charter, checking a draft share and
reporting an incident belong to a person: API tokens get 403 there.
"""

from collections.abc import Sequence
from typing import Any

from django.db.models import Field, Prefetch, QuerySet
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from advocacy.api.base import OrganizationPermission
from advocacy.api.views import OrganizationViewMixin, acting_user
from advocacy.models import ApiToken, Membership
from charter import compliance, incidents, selectors, services
from charter.api.serializers import (
    AcceptanceReportFilterSerializer,
    AcceptanceRowSerializer,
    CharterAcceptSerializer,
    CharterSerializer,
    CharterVersionSerializer,
    ComplianceCheckResultSerializer,
    ComplianceCheckSerializer,
    ComplianceRulesSerializer,
    IncidentDetailSerializer,
    IncidentFilterSerializer,
    IncidentSerializer,
    IncidentUpdateSerializer,
)
from charter.models import CharterVersion, ComplianceRules, Incident, IncidentEvent
from content.api.views import PersonRequired, person


def _membership(request: Request) -> Membership:
    """The caller's membership of a view guarded by ``PersonRequired`` (``OrganizationPermission`` set it)."""
    membership: Membership | None = getattr(request, "membership", None)
    assert membership is not None, "guard the view with PersonRequired"
    return membership


def _charter_payload(view: OrganizationViewMixin, request: Request) -> dict[str, Any]:
    """The current version and, for a person, where they stand under it (an API token is no member: null)."""
    membership: Membership | None = getattr(request, "membership", None)
    if membership is None:
        return {"current": selectors.charter_current(organization=view.organization), "status": None}
    standing = selectors.charter_status(membership=membership)
    acceptance = standing.acceptance
    return {
        "current": standing.current,
        "status": {
            "state": standing.state,
            "can_share": standing.can_share,
            "message": standing.message,
            "accepted_version": acceptance.version.number if acceptance else None,
            "accepted_at": acceptance.accepted_at if acceptance else None,
        },
    }


class PersonViewMixin(OrganizationViewMixin):
    """An organisation endpoint that acts for the signed-in person: API tokens get 403."""

    def get_permissions(self) -> Sequence[Any]:
        return [OrganizationPermission(), PersonRequired()]


# --- Charter ---------------------------------------------------------------------------------------------------------


class CharterView(OrganizationViewMixin, generics.GenericAPIView[Any]):
    permission = "organization.view"
    serializer_class = CharterSerializer

    @extend_schema(
        summary="The current charter and where I stand",
        description="`current` is the latest published version with its text rendered to safe HTML (null before "
        "the first publication); `status` is the caller's standing under it, null for an API token.",
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(CharterSerializer(_charter_payload(self, request)).data)


class CharterAcceptView(PersonViewMixin, generics.GenericAPIView[Any]):
    permission = "organization.view"
    serializer_class = CharterAcceptSerializer

    @extend_schema(
        summary="Accept the charter (join the programme)",
        description="Send the id of the version you read; it must be the current one (else 400 `not_current`). "
        "Records the time and a digest of the IP address and user agent. A person only: API tokens get 403.",
        request=CharterAcceptSerializer,
        responses=CharterSerializer,
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        form = CharterAcceptSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        services.charter_accept(
            membership=_membership(request),
            version=form.validated_data["version"],
            ip=request.META.get("REMOTE_ADDR", ""),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
        )
        return Response(CharterSerializer(_charter_payload(self, request)).data)


class CharterLeaveView(PersonViewMixin, APIView):
    permission = "organization.view"

    @extend_schema(
        summary="Leave the programme",
        description="Ends the caller's acceptance at once: sharing closes until they accept again. A person only.",
        request=None,
        responses=CharterSerializer,
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.charter_leave(membership=_membership(request), by=person(request))
        return Response(CharterSerializer(_charter_payload(self, request)).data)


@extend_schema_view(get=extend_schema(summary="Published versions of the charter, newest first"))
class CharterVersionListView(OrganizationViewMixin, generics.ListAPIView[CharterVersion]):
    permission = "organization.view"
    serializer_class = CharterVersionSerializer

    def get_queryset(self) -> QuerySet[CharterVersion]:
        if getattr(self, "swagger_fake_view", False):
            return CharterVersion.objects.none()
        return selectors.charter_versions(organization=self.organization).filter(organization=self.organization)


class AcceptanceReportView(OrganizationViewMixin, generics.GenericAPIView[Any]):
    permission = "charter.report"
    serializer_class = AcceptanceRowSerializer

    @extend_schema(
        summary="The acceptance report",
        description="One row per active member: the version they last accepted, when, and their standing "
        "(`accepted`, `not_joined`, `must_reaccept`, `expired`, `left`, `no_charter`), measured against `version` "
        "(the current one by default).",
        parameters=[AcceptanceReportFilterSerializer],
        responses=AcceptanceRowSerializer(many=True),
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        filters = AcceptanceReportFilterSerializer(data=request.query_params, context=self.get_serializer_context())
        filters.is_valid(raise_exception=True)
        # Standings are computed, and the page cut, by the database.
        version = filters.validated_data.get("version")
        members = selectors.report_members(organization=self.organization, version=version)
        page = selectors.acceptance_rows(self.paginate_queryset(members) or [])
        return self.get_paginated_response(AcceptanceRowSerializer(page, many=True).data)


# --- Compliance ------------------------------------------------------------------------------------------------------


def _rule_default(name: str) -> Any:
    field = ComplianceRules._meta.get_field(name)
    assert isinstance(field, Field)
    return field.get_default()


class ComplianceRulesView(OrganizationViewMixin, generics.GenericAPIView[ComplianceRules]):
    """Every member reads the rules they share under; ``compliance.manage`` changes them."""

    permission = "organization.view"
    write_permission = "compliance.manage"
    serializer_class = ComplianceRulesSerializer

    def get_object(self) -> ComplianceRules:
        return compliance.rules_for(organization=self.organization)

    def _save(self, request: Request, *, partial: bool) -> Response:
        form = self.get_serializer(data=request.data, partial=partial)
        form.is_valid(raise_exception=True)
        fields = dict(form.validated_data)
        if not partial:
            # PUT replaces the rules: a rule left out goes back to its default.
            defaults = {name: _rule_default(name) for name in compliance.RULE_FIELDS}
            fields = {**defaults, **fields}
        rules = compliance.rules_save(organization=self.organization, by=acting_user(request), **fields)
        return Response(self.get_serializer(rules).data)

    @extend_schema(summary="The organisation's compliance rules")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(summary="Replace the compliance rules (a rule left out goes back to its default)")
    def put(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._save(request, partial=False)

    @extend_schema(summary="Change some compliance rules")
    def patch(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._save(request, partial=True)


class ComplianceCheckView(PersonViewMixin, generics.GenericAPIView[Any]):
    permission = "feed.use"
    serializer_class = ComplianceCheckSerializer

    @extend_schema(
        summary="Check a draft share against the rules",
        description="Every violation with a message; `start`/`end` locate a blocked phrase in `text`, "
        "`next_allowed_at` is when sharing is next allowed. An empty list means the draft may be shared. The "
        "caller's own rules and time zone apply, so API tokens get 403.",
        request=ComplianceCheckSerializer,
        responses=ComplianceCheckResultSerializer,
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        form = self.get_serializer(data=request.data)
        form.is_valid(raise_exception=True)
        # Today's share counts stay 0 until the publishing issue brings shares.
        draft = compliance.ShareDraft(membership=_membership(request), **form.validated_data)
        violations = compliance.compliance_check(draft)
        return Response(ComplianceCheckResultSerializer({"violations": violations}).data)


# --- Incidents -------------------------------------------------------------------------------------------------------

MANAGE_ACTIONS = frozenset({"partial_update", "withdraw_post"})


class ManagerOrPerson(permissions.BasePermission):
    """Members see their own incidents, so a call without a person (an API token) must be able to see them all."""

    message = gettext_lazy(
        "An API token acts as no one: this needs a signed-in person, or a token that manages incidents."
    )

    def has_permission(self, request: Request, view: APIView) -> bool:
        token = request.auth
        return not isinstance(token, ApiToken) or token.has_perm("incidents.manage")


@extend_schema_view(
    list=extend_schema(
        summary="Incidents",
        description="Members see the incidents they reported; `incidents.manage` sees all of them.",
        parameters=[IncidentFilterSerializer],
    ),
    retrieve=extend_schema(summary="An incident with its timeline", responses=IncidentDetailSerializer),
    create=extend_schema(
        summary="Report an incident",
        description="Any member reports a leak, a bad buzz, an abusive reply…; the referent and the admins are "
        "told at once. The report is credited to its author, so API tokens get 403.",
        responses={201: IncidentDetailSerializer},
    ),
    partial_update=extend_schema(
        summary="Change an incident's status, or add a note to its timeline",
        request=IncidentUpdateSerializer,
        responses=IncidentDetailSerializer,
    ),
)
class IncidentViewSet(OrganizationViewMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet[Incident]):
    permission = "incidents.report"
    serializer_class = IncidentSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]
    lookup_value_regex = r"\d+"

    def required_permission(self, method: str) -> str:
        if self.action in MANAGE_ACTIONS:
            return "incidents.manage"
        return super().required_permission(method)

    def get_permissions(self) -> Sequence[Any]:
        if self.action == "create":
            return [OrganizationPermission(), PersonRequired()]
        return [OrganizationPermission(), ManagerOrPerson()]

    def get_serializer_class(self) -> type[IncidentSerializer]:
        return IncidentSerializer if self.action in {"list", "create"} else IncidentDetailSerializer

    def _manages(self) -> bool:
        token = self.request.auth
        if isinstance(token, ApiToken):
            return token.has_perm("incidents.manage")
        membership: Membership | None = getattr(self.request, "membership", None)
        return membership is not None and membership.has_perm("incidents.manage")

    def _incidents(self, status: str = "") -> QuerySet[Incident]:
        queryset = incidents.incident_list(organization=self.organization, status=status).filter(
            organization=self.organization
        )
        if not self._manages():
            queryset = queryset.filter(reported_by=person(self.request))
        return queryset

    def get_queryset(self) -> QuerySet[Incident]:
        if getattr(self, "swagger_fake_view", False):
            return Incident.objects.none()
        queryset = self._incidents()
        if self.action != "list":
            # The timeline in one query, whatever its length.
            events = IncidentEvent.objects.filter(organization=self.organization).order_by("created_at", "pk")
            queryset = queryset.prefetch_related(Prefetch("events", queryset=events))
        return queryset

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.action != "list":
            return queryset
        filters = IncidentFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return self._incidents(status=filters.validated_data.get("status", ""))

    def _detail(self, incident: Incident, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=incident.pk)
        return Response(IncidentDetailSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        form = IncidentSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        incident = incidents.incident_report(organization=self.organization, by=person(request), **form.validated_data)
        return self._detail(incident, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incident = self.get_object()
        form = IncidentUpdateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        values = form.validated_data
        if "status" in values:
            incidents.incident_set_status(
                incident=incident, by=acting_user(request), status=values["status"], note=values["note"]
            )
        else:
            incidents.incident_add_note(incident=incident, by=acting_user(request), text=values["note"])
        return self._detail(incident)

    @extend_schema(
        summary="Withdraw the incident's post",
        description="The post leaves every feed; ambassadors who already shared it are asked to delete their post.",
        request=None,
        responses=IncidentDetailSerializer,
    )
    @action(detail=True, methods=["post"], url_path="withdraw-post")
    def withdraw_post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incident = self.get_object()
        incidents.incident_withdraw_post(incident=incident, by=acting_user(request))
        return self._detail(incident)
