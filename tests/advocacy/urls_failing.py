"""The site's URLs plus one view that fails, to see the 500 page as a browser would."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from advocacy.urls import handler403, handler404, handler500
from advocacy.urls import urlpatterns as site_patterns

__all__ = ["handler403", "handler404", "handler500", "urlpatterns"]


def failing(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


urlpatterns = [path("failing/", failing), *site_patterns]
