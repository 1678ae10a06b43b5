"""The organisation home: panels of what the member has to do now, each drawn by the app that owns its data.

Feature apps register a panel provider in their ``AppConfig.ready`` (as they register counts with the navigation):
a function of the request and the membership that returns a ``Panel``, or None when the member has nothing there
or may not use it. This module imports no feature app; the home view asks every provider in ``order``.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest

from advocacy import selectors
from advocacy.models import Membership, ProgrammeMember
from advocacy.roles import Role


@dataclass(frozen=True)
class Panel:
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    # Wide panels (lists of posts) take the whole row; the others sit two by two on a large screen.
    wide: bool = False


PanelProvider = Callable[[HttpRequest, Membership], Panel | None]


@dataclass(frozen=True)
class _Registration:
    order: int
    key: str
    provider: PanelProvider


_providers: dict[str, _Registration] = {}


def register_panel(key: str, provider: PanelProvider, *, order: int) -> None:
    """Show ``provider``'s panel on the home, lower ``order`` first; registering a key again replaces it."""
    _providers[key] = _Registration(order, key, provider)


def panels_for(request: HttpRequest, membership: Membership) -> list[Panel]:
    registrations = sorted(_providers.values(), key=lambda registration: (registration.order, registration.key))
    return [panel for registration in registrations if (panel := registration.provider(request, membership))]


def expected_to_share(request: HttpRequest, membership: Membership) -> bool:
    """Whether the member is asked to share, and so sees the charter banner and the posts waiting for them.

    Ambassadors always are. Other roles are when they are an ordinary member of a programme: a programme's roster
    is the list of people it counts on to share, while its admins (the demo's editor and manager) run the group
    rather than share for it. Cached for the request, as several panels ask.
    """
    cached: bool | None = getattr(request, "_relais_expected_to_share", None)
    if cached is None:
        cached = membership.is_active and (
            membership.role == Role.AMBASSADOR
            or ProgrammeMember.objects.filter(
                organization=membership.organization_id, membership=membership, is_admin=False
            ).exists()
        )
        request._relais_expected_to_share = cached  # type: ignore[attr-defined]
    return cached


def members_panel(request: HttpRequest, membership: Membership) -> Panel | None:
    """The organisation's people for those who look after them: active, suspended, invited."""
    if not membership.has_perm("members.view"):
        return None
    counts = selectors.member_counts(organization=membership.organization)
    return Panel("organization/home_members.html", {"counts": counts})
