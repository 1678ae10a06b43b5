"""Pages of connected accounts and shares, under /o/<org>/ (the scope middleware applies)."""

from ambassadors.views import channels, connections, feed, shares

urlpatterns = [*connections.urlpatterns, *feed.urlpatterns, *shares.urlpatterns, *channels.urlpatterns]
