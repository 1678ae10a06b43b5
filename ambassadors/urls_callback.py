"""The OAuth callback, outside /o/<org>/ on purpose: a network redirects to one exactly registered URI, whatever the
organisation. Included by dotted path from the project's URLs, so the core imports no feature app."""

from django.urls import path

from ambassadors.views import connections

urlpatterns = [
    path("<str:provider>/", connections.oauth_callback, name="connection_oauth_callback"),
]
