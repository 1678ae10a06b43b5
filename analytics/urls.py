"""Pages of link tracking, under /o/<org>/ (the scope middleware applies)."""

from django.urls import path

from analytics import views

urlpatterns = [
    path("settings/links/", views.TrackingSettingsView.as_view(), name="tracking_settings"),
]
