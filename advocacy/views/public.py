"""Pages outside any organisation: the landing page, "my organisations", and the error handlers."""

from django.db.models import F
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.urls import reverse

from advocacy.models import Organization


def home(request: HttpRequest) -> HttpResponse:
    """Anonymous visitors get the landing page; members get their organisations, suspended ones included."""
    if not request.user.is_authenticated:
        return render(request, "landing.html")
    # Organisation is not a tenant model, so this one query may join the user's memberships across tenants.
    organizations = (
        Organization.objects.filter(memberships__user=request.user, is_active=True)
        .annotate(member_role=F("memberships__role"), member_status=F("memberships__status"))
        .select_related("referent")
        .order_by("name")
    )
    return render(request, "home.html", {"organizations": organizations})


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # The page never echoes the requested path, so an unknown organisation and a foreign one look the same.
    return render(request, "errors/404.html", {"language_next": reverse("home")}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # No request context: the database or the session may be what failed, so nothing here may touch them. The CSP
    # nonce is only a random value kept on the request.
    nonce = getattr(request, "csp_nonce", "")
    return HttpResponseServerError(loader.get_template("errors/500.html").render({"CSP_NONCE": nonce}))
