"""Clients of the social networks, behind one interface (``ambassadors.providers.base.Provider``)."""

from __future__ import annotations

from ambassadors.providers.base import Provider


def get_provider(name: str) -> Provider:
    """The client of network ``name`` (``"linkedin"`` or ``"x"``), configured from settings."""
    if name == "linkedin":
        from ambassadors.providers.linkedin import LinkedInProvider

        return LinkedInProvider.from_settings()
    if name == "x":
        from ambassadors.providers.x import XProvider

        return XProvider.from_settings()
    raise ValueError(f"No provider named {name!r}.")
