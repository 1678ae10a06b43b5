"""API of connected accounts and shares, under /api/v1/o/<org>/."""

from ambassadors.api import connections, notifications, shares

urlpatterns = [*connections.urlpatterns, *notifications.urlpatterns, *shares.urlpatterns]
