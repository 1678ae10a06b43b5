"""Pages of connections, under /o/<org>/ (the scope middleware applies)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
