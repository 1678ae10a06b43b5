"""Pages of the communications team's workspace, under /o/<org>/ (the scope middleware applies)."""

from content.views import library, review

urlpatterns = [*library.urlpatterns, *review.urlpatterns]
