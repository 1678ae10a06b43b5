"""Serve the fake networks through Django in the embedded demo: the request is handed to the fake's WSGI callable
with the path below /sandbox/<network>/, and its answer becomes the response."""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from ambassadors.sandbox.registry import sandbox_network


@csrf_exempt  # the fakes are other sites: their forms and API calls carry no Relais CSRF token
def sandbox(request: HttpRequest, network: str, path: str = "") -> HttpResponse:
    if not settings.RELAIS_SANDBOX_NETWORKS:
        raise Http404
    try:
        fake = sandbox_network(network)
    except KeyError as unknown:
        raise Http404 from unknown
    body = request.body
    environ = {
        **request.META,
        "PATH_INFO": "/" + path,
        "SCRIPT_NAME": f"/sandbox/{network}",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
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
