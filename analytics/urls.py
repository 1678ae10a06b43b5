"""The KPI pages and the link tracking settings, under /o/<org>/ (the scope middleware applies)."""

from django.urls import path

from analytics import views

urlpatterns = [
    path("analytics/", views.DashboardView.as_view(), name="analytics_dashboard"),
    path("analytics/export/", views.ExportView.as_view(), name="analytics_export"),
    path("analytics/export/<int:pk>/", views.ExportStatusView.as_view(), name="analytics_export_status"),
    path("analytics/export/<int:pk>/download/", views.ExportDownloadView.as_view(), name="analytics_export_download"),
    path("analytics/me/", views.MyImpactView.as_view(), name="my_impact"),
    path("settings/links/", views.TrackingSettingsView.as_view(), name="tracking_settings"),
]
