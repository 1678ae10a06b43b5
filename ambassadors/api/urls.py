"""API of connected accounts and shares, under /api/v1/o/<org>/."""

from ambassadors.api import connections, shares

urlpatterns = [*connections.urlpatterns, *shares.urlpatterns]
