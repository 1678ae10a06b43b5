"""Pages of connected accounts and shares, under /o/<org>/ (the scope middleware applies)."""

from ambassadors.views import connections, feed, notifications, shares

urlpatterns = [*connections.urlpatterns, *feed.urlpatterns, *notifications.urlpatterns, *shares.urlpatterns]
