"""Pages of connected accounts and shares, the welcome tour and the profile, under /o/<org>/ (the scope middleware
applies)."""

from ambassadors.views import connections, feed, onboarding, shares

urlpatterns = [*connections.urlpatterns, *feed.urlpatterns, *shares.urlpatterns, *onboarding.urlpatterns]
