"""Pages of the programme rules, under /o/<org>/ (the scope middleware applies)."""

from charter.views import charter, rules

urlpatterns = [*charter.urlpatterns, *rules.urlpatterns]
