from django.http import Http404, HttpRequest, HttpResponse


def accept(request: HttpRequest, org_slug: str, token: str) -> HttpResponse:
    raise Http404
