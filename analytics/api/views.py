"""``/api/v1/o/<org>/analytics/``: the KPI dashboard's figures for the organisation (``analytics.view``: admins,
editors, managers, and API tokens with one of those roles), the caller's own figures (``me``: any member, a person
only), and the dashboard's tables as files (``exports/``: ``analytics.view``, a person only, since a background export
belongs to the member who asked for it).

The figures are the page's: the same filter form (``analytics.forms.dashboard_filter_form``, whose period errors come
back as 400 with the field's reason in the caller's language) and the same selectors (``analytics.dashboard``), which
read the daily rollups only. A figure a network did not give is null, never 0, with how many shares it is known for.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, replace
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.forms import Form
from django.http import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from advocacy.api.base import OrganizationAPIMixin, OrganizationPermission
from advocacy.api.views import OrganizationViewMixin
from advocacy.models import Membership
from analytics import dashboard
from analytics.api.serializers import (
    AdoptionSerializer,
    ExportSerializer,
    MyFiguresSerializer,
    OverTimeSerializer,
    ProgrammesSerializer,
    SummarySerializer,
    TopicsSerializer,
    TopPostsSerializer,
)
from analytics.dashboard import Figures, Filters, Funnel, Period, TopicGap
from analytics.exports import EVERYTHING, TABLES, row_count
from analytics.forms import ExportForm, dashboard_filter_form
from analytics.models import Export
from analytics.selectors import member_exports
from analytics.services import export_request_or_reuse
from analytics.views import XLSX_TYPE, export_response
from content.api.views import PersonRequired
from content.models import Post

PERIOD_PARAMETERS = [
    OpenApiParameter(
        "start",
        OpenApiTypes.DATE,
        description="First day of the period (organisation's calendar). Default: 27 days before `end`.",
    ),
    OpenApiParameter("end", OpenApiTypes.DATE, description="Last day of the period, included. Default: today."),
    OpenApiParameter(
        "network", OpenApiTypes.STR, enum=["linkedin", "x"], description="Only the shares on this network."
    ),
]
FILTER_PARAMETERS = [
    *PERIOD_PARAMETERS,
    OpenApiParameter("programme", OpenApiTypes.INT, description="Only the posts of this programme (its id)."),
    OpenApiParameter("topic", OpenApiTypes.INT, description="Only the posts of this topic (its id)."),
]
PERIOD_ERRORS = (
    "A period ending before it starts, or longer than two years, an unknown programme or topic, or a date that is "
    "not one: 400 with the field's reason in the caller's language."
)


def _field_errors(*forms: Form) -> dict[str, list[str]]:
    """The forms' errors as a 400's ``errors``, each in the caller's language."""
    return {field: [str(error) for error in errors] for form in forms for field, errors in form.errors.items()}


def _period(period: Period) -> dict[str, Any]:
    return {"start": period.start, "end": period.end}


def _figures(figures: Figures, **extra: Any) -> dict[str, Any]:
    """The figures and their derived ones (engagement, potential reach), for ``FiguresSerializer``."""
    return {
        **asdict(figures),
        "engagement": figures.engagement,
        "engagement_known": figures.engagement_known,
        "potential_reach": figures.potential_reach,
        **extra,
    }


def _by_network(by_network: dict[str, Figures]) -> list[dict[str, Any]]:
    return [_figures(figures, network=network) for network, figures in by_network.items()]


def _gap(gap: TopicGap | None) -> dict[str, Any] | None:
    if gap is None:
        return None
    topic = {"id": gap.topic.pk, "name": gap.topic.name} if gap.topic else None
    return {**asdict(gap), "topic": topic, "gap": gap.gap}


def _top_posts(rows: list[tuple[Post, Figures]]) -> list[dict[str, Any]]:
    return [{"post": {"id": post.pk, "title": post.title}, "figures": _figures(figures)} for post, figures in rows]


def _summary(headline: dashboard.Headline, period: Period) -> dict[str, Any]:
    return {
        "period": _period(period),
        "previous_period": _period(period.previous()),
        "current": _figures(headline.current),
        "previous": _figures(headline.previous),
        "by_network": _by_network(headline.by_network),
    }


def _buckets(buckets: list[dashboard.Bucket]) -> list[dict[str, Any]]:
    return [{"first_day": bucket.first_day, "by_network": _by_network(bucket.by_network)} for bucket in buckets]


class KpiView(OrganizationAPIMixin, APIView):
    """A GET of figures over the period and filters of the query string; a bad one is a 400 with the field's error.
    Subclasses say what they answer in ``payload``."""

    permission = "analytics.view"
    by_programme_and_topic = True

    def payload(self, filters: Filters) -> dict[str, Any]:
        raise NotImplementedError

    def filters(self, request: Request) -> Filters:
        form = dashboard_filter_form(
            request.query_params,
            organization=self.organization,
            by_programme_and_topic=self.by_programme_and_topic,
        )
        if not form.is_valid():
            raise serializers.ValidationError(_field_errors(form))
        return form.filters()

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.payload(self.filters(request)))


EXAMPLE_FIGURES = {
    "shares": 42,
    "clicks": 610,
    "unique_clicks": 480,
    "active_ambassadors": 17,
    "likes": 230,
    "comments": 31,
    "reshares": None,
    "engagement": 261,
    "impressions": None,
    "reach": None,
    "potential_reach": None,
    "likes_known": 40,
    "comments_known": 40,
    "reshares_known": 0,
    "engagement_known": 40,
    "impressions_known": 0,
    "reach_known": 0,
}
SUMMARY_EXAMPLE = OpenApiExample(
    "A week on LinkedIn, whose impressions and reshares of member posts are not given",
    response_only=True,
    value={
        "period": {"start": "2026-05-04", "end": "2026-05-10"},
        "previous_period": {"start": "2026-04-27", "end": "2026-05-03"},
        "current": EXAMPLE_FIGURES,
        "previous": {**EXAMPLE_FIGURES, "shares": 35, "unique_clicks": 390, "active_ambassadors": 15},
        "by_network": [{**EXAMPLE_FIGURES, "network": "linkedin"}],
    },
)


@extend_schema(
    summary="Headline figures",
    description="The period's totals against the previous period's, and per network. " + PERIOD_ERRORS,
    parameters=FILTER_PARAMETERS,
    responses=SummarySerializer,
    examples=[SUMMARY_EXAMPLE],
)
class SummaryView(KpiView):
    def payload(self, filters: Filters) -> dict[str, Any]:
        return SummarySerializer(_summary(dashboard.headline(self.organization, filters), filters.period)).data


@extend_schema(
    summary="Figures over time",
    description="Shares, clicks and engagement per day, week or month and per network. " + PERIOD_ERRORS,
    parameters=FILTER_PARAMETERS,
    responses=OverTimeSerializer,
)
class OverTimeView(KpiView):
    def payload(self, filters: Filters) -> dict[str, Any]:
        buckets = dashboard.over_time(self.organization, filters)
        return OverTimeSerializer(
            {
                "period": _period(filters.period),
                "bucket_size": dashboard.bucket_size(filters.period),
                "buckets": _buckets(buckets),
            }
        ).data


def _funnel(funnel: Funnel) -> dict[str, int]:
    return dict(funnel.stages())


@extend_schema(
    summary="Adoption funnel",
    description="Invited → joined → charter accepted → account connected → shared once → active in the last 30 days, "
    "at the end of the period and of the previous one, and per programme. " + PERIOD_ERRORS,
    parameters=FILTER_PARAMETERS,
    responses=AdoptionSerializer,
)
class FunnelView(KpiView):
    def payload(self, filters: Filters) -> dict[str, Any]:
        adoption = dashboard.adoption(self.organization, filters)
        return AdoptionSerializer(
            {
                "period": _period(filters.period),
                "current": _funnel(adoption.current),
                "previous": _funnel(adoption.previous),
                "by_programme": [
                    {"programme": {"id": programme.pk, "name": programme.name}, "funnel": _funnel(funnel)}
                    for programme, funnel in adoption.by_programme
                ],
            }
        ).data


@extend_schema(
    summary="Topics shared vs clicked",
    description="Per topic, its part of the shares against its part of the unique clicks, and the biggest gaps "
    "either way. " + PERIOD_ERRORS,
    parameters=FILTER_PARAMETERS,
    responses=TopicsSerializer,
)
class TopicsView(KpiView):
    def payload(self, filters: Filters) -> dict[str, Any]:
        gaps = dashboard.topic_gaps(self.organization, filters)
        wanted, ignored = dashboard.biggest_gaps(gaps)
        return TopicsSerializer(
            {
                "period": _period(filters.period),
                "topics": [_gap(gap) for gap in gaps],
                "wanted": _gap(wanted),
                "ignored": _gap(ignored),
            }
        ).data


@extend_schema(
    summary="Top posts",
    description="The posts whose shares brought the most unique clicks over the period. " + PERIOD_ERRORS,
    parameters=FILTER_PARAMETERS,
    responses=TopPostsSerializer,
)
class TopPostsView(KpiView):
    def payload(self, filters: Filters) -> dict[str, Any]:
        return TopPostsSerializer(
            {"period": _period(filters.period), "posts": _top_posts(dashboard.top_posts(self.organization, filters))}
        ).data


@extend_schema(
    summary="Programmes compared",
    description="Each programme's figures over the period and its member count (the `programme` filter does not "
    "apply). " + PERIOD_ERRORS,
    parameters=FILTER_PARAMETERS,
    responses=ProgrammesSerializer,
)
class ProgrammesView(KpiView):
    def payload(self, filters: Filters) -> dict[str, Any]:
        rows = dashboard.programme_comparison(self.organization, filters)
        return ProgrammesSerializer(
            {
                "period": _period(filters.period),
                "programmes": [
                    {
                        "programme": {"id": row.programme.pk, "name": row.programme.name},
                        "members": row.members,
                        "figures": _figures(row.figures),
                    }
                    for row in rows
                ],
            }
        ).data


@extend_schema(
    summary="My figures",
    description="What the caller's own shares brought (“my impact”): totals against the previous period, per "
    "network, over time, best posts and topics. Any member; "
    "a person only (API tokens get 403). " + PERIOD_ERRORS,
    parameters=PERIOD_PARAMETERS,
    responses=MyFiguresSerializer,
)
class MyFiguresView(KpiView):
    permission = "shares.own"
    by_programme_and_topic = False

    def get_permissions(self) -> Sequence[Any]:
        return [OrganizationPermission(), PersonRequired()]

    def payload(self, filters: Filters) -> dict[str, Any]:
        membership: Membership = self.request.membership  # type: ignore[attr-defined]
        mine = replace(filters, member=membership)
        return MyFiguresSerializer(
            {
                **_summary(dashboard.headline(self.organization, mine), mine.period),
                "bucket_size": dashboard.bucket_size(mine.period),
                "buckets": _buckets(dashboard.over_time(self.organization, mine)),
                "best_posts": _top_posts(dashboard.top_posts(self.organization, mine, limit=5)),
                "topics": [_gap(gap) for gap in dashboard.topic_gaps(self.organization, mine)],
            }
        ).data


# --- Exports ---------------------------------------------------------------------------------------------------------


class FileFormatNegotiation(DefaultContentNegotiation):
    """``format`` names the exported file here, not one of DRF's renderers, and a client may ask for the file by its
    type (``Accept: text/csv``): the answers that are not the file (202, errors) are JSON whatever the request says."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type


class ExportsMixin(OrganizationViewMixin):
    """The dashboard page's exports permission; a person only (API tokens get 403): an export is the member's."""

    permission = "analytics.view"

    def get_permissions(self) -> Sequence[Any]:
        return [OrganizationPermission(), PersonRequired()]

    def own_exports(self) -> QuerySet[Export]:
        membership: Membership = self.request.membership  # type: ignore[attr-defined]
        return member_exports(organization=self.organization, membership=membership)


EXPORT_TABLES = [EVERYTHING, *TABLES]


class ExportTableView(ExportsMixin, APIView):
    content_negotiation_class = FileFormatNegotiation

    @extend_schema(
        operation_id="o_analytics_exports_table",
        summary="Export a table",
        description="The dashboard's table as a file, like the page's “Download” menu: `everything` (XLSX only: one "
        "sheet per table), one table, or `detailed` (one row per day, member and network). Up to the server's "
        "synchronous limit (50,000 rows unless configured otherwise) the file itself, streamed; beyond, 202 with the "
        "background export prepared for the caller (asking again while it is waiting or ready answers the same "
        "export): poll its `url` until `download_url` is set. An unknown table or format: 400 with the field's "
        "reason. " + PERIOD_ERRORS,
        parameters=[
            OpenApiParameter(
                "table", OpenApiTypes.STR, OpenApiParameter.PATH, enum=EXPORT_TABLES, description="The table's key."
            ),
            OpenApiParameter("format", OpenApiTypes.STR, enum=list(Export.Format.values), description="Default: xlsx."),
            *FILTER_PARAMETERS,
        ],
        responses={
            (200, "text/csv"): OpenApiTypes.BINARY,
            (200, XLSX_TYPE): OpenApiTypes.BINARY,
            202: ExportSerializer,
        },
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponseBase:
        filters, table, file_format = self.parsed(request, kwargs["table"])
        rows = row_count(self.organization, filters, table)
        if rows <= settings.RELAIS_EXPORT_SYNC_ROWS:
            return export_response(self.organization, filters, table, file_format)
        export = export_request_or_reuse(
            organization=self.organization,
            membership=request.membership,  # type: ignore[attr-defined]
            filters=filters,
            table=table,
            file_format=file_format,
            rows_total=rows,
        )
        body = ExportSerializer(export, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})

    def parsed(self, request: Request, table: str) -> tuple[Filters, str, str]:
        """The page's two forms: the filters, then the table and format; every field's error in one 400."""
        form = dashboard_filter_form(request.query_params, organization=self.organization)
        export_form = ExportForm({"table": table, "format": request.query_params.get("format", "")})
        if not all([form.is_valid(), export_form.is_valid()]):
            raise serializers.ValidationError(_field_errors(form, export_form))
        return form.filters(), export_form.cleaned_data["table"], export_form.cleaned_data["format"]

    def get_serializer_context(self) -> dict[str, Any]:
        return {"request": self.request, "organization": self.organization}


@extend_schema_view(
    get=extend_schema(
        summary="My exports",
        description="The background exports the caller asked for, newest first, until they expire; nobody else's.",
    )
)
class ExportListView(ExportsMixin, generics.ListAPIView[Export]):
    serializer_class = ExportSerializer

    def get_queryset(self) -> QuerySet[Export]:
        if getattr(self, "swagger_fake_view", False):
            return Export.objects.none()
        return self.own_exports()


@extend_schema_view(
    get=extend_schema(
        summary="One of my exports",
        description="Where it stands (`status`, `progress`) and, once ready, its `download_url`. Another member's "
        "export, or another organisation's, is a 404.",
    )
)
class ExportDetailView(ExportsMixin, generics.RetrieveAPIView[Export]):
    serializer_class = ExportSerializer

    def get_queryset(self) -> QuerySet[Export]:
        if getattr(self, "swagger_fake_view", False):
            return Export.objects.none()
        return self.own_exports()
