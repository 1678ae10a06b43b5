"""Serve the fake networks through Django in the embedded demo: the request is handed to the fake's WSGI callable
with the path below /sandbox/<network>/, and its answer becomes the response.

Django decides who reaches what, as the real networks' logins would: the admin endpoints are for staff only, the
consent and received pages for signed-in users, and the fake is told who is asking (``Viewer``) so that each user
consents as their own fake member and sees only their own accounts' posts. The API and token endpoints stay open:
the fake checks their tokens and client secret itself.
"""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.crypto import salted_hmac
from django.views.decorators.csrf import csrf_exempt

from ambassadors.sandbox.base import ADMIN_ROUTES, VIEWER_ENVIRON, Viewer
from ambassadors.sandbox.registry import sandbox_network

# The pages a person opens in a browser: the network's consent page and the list of what it received.
SIGNED_IN_ROUTES = frozenset({"authorize", "_page"})


def _viewer(request: HttpRequest) -> Viewer:
    user = request.user
    if not user.is_authenticated:
        return Viewer(key="")
    key = salted_hmac("relais.sandbox.member", str(user.pk)).hexdigest()
    return Viewer(key=key, name=str(getattr(user, "full_name", "") or ""), staff=user.is_staff)


@csrf_exempt  # the fakes are other sites: their forms and API calls carry no Relais CSRF token
def sandbox(request: HttpRequest, network: str, path: str = "") -> HttpResponse:
    if not settings.RELAIS_SANDBOX_NETWORKS:
        raise Http404
    try:
        fake = sandbox_network(network)
    except KeyError as unknown:
        raise Http404 from unknown
    route = fake.route_name(request.method or "GET", "/" + path)
    if route in ADMIN_ROUTES | SIGNED_IN_ROUTES and not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if route in ADMIN_ROUTES and not request.user.is_staff:
        raise PermissionDenied
    body = request.body
    environ = {
        **request.META,
        "PATH_INFO": "/" + path,
        "SCRIPT_NAME": f"/sandbox/{network}",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        VIEWER_ENVIRON: _viewer(request),
    }
    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        answer["status"], answer["headers"] = status, headers

    chunks = fake(environ, start_response)
    content = b"".join(chunks)
    response = HttpResponse(content, status=int(answer["status"].split(" ", 1)[0]))
    for name, value in answer["headers"]:
        response[name] = value
    return response
