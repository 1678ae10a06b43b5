"""Pages of connected accounts and shares, under /o/<org>/ (the scope middleware applies)."""

from ambassadors.views import connections, shares

urlpatterns = [*connections.urlpatterns, *shares.urlpatterns]
