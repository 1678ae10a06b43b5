"""Pages outside any organisation: the landing page, "my organisations", the files browsers and crawlers ask for at
the site's root, and the error handlers."""

import json
from functools import cache

from django.contrib.staticfiles import finders
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

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


# Organisation pages, share links and whatever needs a session stay out of search engines.
ROBOTS_DISALLOWED = ["/o/", "/r/", "/admin/", "/api/", "/account/", "/accounts/", "/invitations/", "/connections/"]


@require_safe
@cache_control(max_age=86400, public=True)
def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in ROBOTS_DISALLOWED)]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


@cache
def _favicon() -> bytes:
    path = finders.find("img/favicon.ico")
    if not isinstance(path, str):
        raise Http404
    with open(path, "rb") as file:
        return file.read()


@require_safe
@cache_control(max_age=86400, public=True)
def favicon_ico(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page's <link rel="icon"> says."""
    return HttpResponse(_favicon(), content_type="image/x-icon")


@require_safe
@cache_control(max_age=86400, public=True)
def web_manifest(request: HttpRequest) -> HttpResponse:
    """What a phone needs to add Relais to its home screen."""
    manifest = {
        "name": "Relais",
        "short_name": "Relais",
        "start_url": reverse("home"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#1d4ed8",
        "icons": [
            {"src": static("img/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("img/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": static("img/icon-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    return HttpResponse(json.dumps(manifest), content_type="application/manifest+json")


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
