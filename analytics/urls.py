"""The KPI pages and the link tracking settings, under /o/<org>/ (the scope middleware applies)."""

from django.urls import path

from analytics import views

urlpatterns = [
    path("analytics/", views.DashboardView.as_view(), name="analytics_dashboard"),
    path("analytics/me/", views.MyImpactView.as_view(), name="my_impact"),
    path("analytics/weekly-summary/", views.WeeklySummarySettingsView.as_view(), name="weekly_summary_settings"),
    path("settings/links/", views.TrackingSettingsView.as_view(), name="tracking_settings"),
]
