"""Page mixins other apps use to put a page behind the charter (the share composer, the "try a text" page)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse

from charter import selectors


class CharterRequiredMixin:
    """A member who has not accepted the current charter (never joined, a new version to accept, expired, left,
    or no charter published yet) is sent to the acceptance page, which brings them back here once they accept.

    Put it after ``OrganizationPermissionMixin`` in the bases, so an outsider or a missing permission is refused
    before anyone is invited to accept a charter. This redirect is a courtesy, not the gate: the share services call
    ``charter_assert_can_share`` themselves.
    """

    request: HttpRequest

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        membership = getattr(request, "membership", None)
        if membership is not None and selectors.charter_status(membership=membership).state != selectors.ACCEPTED:
            join = reverse("charter_join", args=[request.organization.slug])  # type: ignore[attr-defined]
            return redirect(f"{join}?{urlencode({'next': request.get_full_path()})}")
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc, no-any-return]
