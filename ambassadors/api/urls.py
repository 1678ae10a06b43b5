"""API of connected accounts, shares and the feed, under /api/v1/o/<org>/."""

from ambassadors.api import connections, feed, shares

urlpatterns = [*connections.urlpatterns, *shares.urlpatterns, *feed.urlpatterns]
