"""API of connected accounts, shares and the feed, under /api/v1/o/<org>/."""

from ambassadors.api import connections, feed, notifications, shares

urlpatterns = [*connections.urlpatterns, *notifications.urlpatterns, *shares.urlpatterns, *feed.urlpatterns]
