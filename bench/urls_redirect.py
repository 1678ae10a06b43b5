"""The project's URLs behind one minimal view, the yardstick of bench/redirect.py."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def minimal(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


urlpatterns = [
    path("bench/minimal/", minimal),
    path("", include("advocacy.urls")),
]
