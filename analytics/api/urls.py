"""The KPI figures and the exports under /api/v1/o/<org>/analytics/."""

from django.urls import path

from analytics.api import views

urlpatterns = [
    path("analytics/summary/", views.SummaryView.as_view(), name="api-analytics-summary"),
    path("analytics/over-time/", views.OverTimeView.as_view(), name="api-analytics-over-time"),
    path("analytics/funnel/", views.FunnelView.as_view(), name="api-analytics-funnel"),
    path("analytics/topics/", views.TopicsView.as_view(), name="api-analytics-topics"),
    path("analytics/top-posts/", views.TopPostsView.as_view(), name="api-analytics-top-posts"),
    path("analytics/programmes/", views.ProgrammesView.as_view(), name="api-analytics-programmes"),
    path("analytics/me/", views.MyFiguresView.as_view(), name="api-analytics-me"),
    path("analytics/exports/", views.ExportListView.as_view(), name="api-analytics-exports"),
    path("analytics/exports/<int:pk>/", views.ExportDetailView.as_view(), name="api-analytics-export"),
    # After the ids: a table's key is never a number.
    path("analytics/exports/<str:table>/", views.ExportTableView.as_view(), name="api-analytics-export-table"),
]
