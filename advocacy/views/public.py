from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from advocacy.models import Organization


@login_required
def home(request: HttpRequest) -> HttpResponse:
    organizations = Organization.objects.filter(
        memberships__user=request.user, memberships__status="active", is_active=True
    ).order_by("name")
    return render(request, "home.html", {"organizations": organizations})


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "errors/500.html", status=500)
