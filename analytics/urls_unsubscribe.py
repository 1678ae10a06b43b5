"""The weekly summary's one-click unsubscribe, outside /o/<org>/ on purpose: the link works without signing in, from
any mail client (RFC 8058). Included by dotted path from the project's URLs, so the core imports no feature app."""

from django.urls import path

from analytics import views

urlpatterns = [
    path("<str:token>/", views.weekly_summary_unsubscribe, name="weekly_summary_unsubscribe"),
]
