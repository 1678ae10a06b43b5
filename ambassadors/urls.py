"""Pages of connected accounts and shares, the feed and the composer, the welcome tour and the profile, and the
programmes' channels, under /o/<org>/ (the scope middleware applies)."""

from ambassadors.views import channels, connections, feed, notifications, onboarding, shares

urlpatterns = [
    *connections.urlpatterns,
    *feed.urlpatterns,
    *notifications.urlpatterns,
    *shares.urlpatterns,
    *onboarding.urlpatterns,
    *channels.urlpatterns,
]
