"""``/api/v1/o/<org>/analytics/``: the KPI dashboard's figures for the organisation (``analytics.view``: admins,
editors, managers, and API tokens with one of those roles) and the caller's own figures (``me``: any member, a person
only).

The figures are the page's: the same filter form (``analytics.forms.dashboard_filter_form``, whose period errors come
back as 400 with the field's reason in the caller's language) and the same selectors (``analytics.dashboard``), which
read the daily rollups only. A figure a network did not give is null, never 0, with how many shares it is known for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, replace
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from advocacy.api.base import OrganizationAPIMixin, OrganizationPermission
from advocacy.models import Membership
from analytics import dashboard
from analytics.api.serializers import (
    AdoptionSerializer,
    MyFiguresSerializer,
    OverTimeSerializer,
    ProgrammesSerializer,
    SummarySerializer,
    TopicsSerializer,
    TopPostsSerializer,
)
from analytics.dashboard import Figures, Filters, Funnel, Period, TopicGap
from analytics.forms import dashboard_filter_form
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
            raise serializers.ValidationError(
                {field: [str(error) for error in errors] for field, errors in form.errors.items()}
            )
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
