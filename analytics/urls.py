"""Pages of link tracking and retention, under /o/<org>/ (the scope middleware applies)."""

from django.urls import path

from analytics import views

urlpatterns = [
    path("settings/links/", views.TrackingSettingsView.as_view(), name="tracking_settings"),
    path("analytics/retention/", views.RetentionView.as_view(), name="retention"),
    path("analytics/retention/leavers/", views.LeaversImportView.as_view(), name="retention_leavers"),
]
