"""Uploaded files of the organisation, for its members only (``advocacy.media`` says who may read what)."""

from django.http import Http404, HttpRequest, HttpResponseBase
from django.views.decorators.http import require_safe

from advocacy import media


@require_safe
def serve(request: HttpRequest, org: str, path: str) -> HttpResponseBase:
    # The scope middleware has already sent visitors to sign in and answered 404 to non-members.
    if request.membership is None:  # type: ignore[attr-defined]
        raise Http404
    name = media.media_name(
        organization=request.organization,  # type: ignore[attr-defined]
        membership=request.membership,  # type: ignore[attr-defined]
        path=path,
    )
    if request.GET.get("size") == "thumb":
        name = media.thumbnail_name(name)
    return media.media_response(name)
