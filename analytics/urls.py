"""Pages of link tracking, earned media value and programme goals, under /o/<org>/ (the scope middleware applies)."""

from django.urls import path

from analytics import views

urlpatterns = [
    path("settings/links/", views.TrackingSettingsView.as_view(), name="tracking_settings"),
    path("settings/value/", views.EmvRatesView.as_view(), name="emv_rates"),
    path("analytics/goals/<int:programme_pk>/", views.ProgrammeGoalsView.as_view(), name="programme_goals"),
]
