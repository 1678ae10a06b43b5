"""Template helpers shared by every page: permission checks, the organisation switcher, uploaded files."""

from typing import Any

from django import template

from advocacy import media
from advocacy.models import Membership, Organization
from advocacy.navigation import Navigation, navigation_for
from advocacy.roles import Role

register = template.Library()


@register.filter
def can(membership: Membership | None, permission: str) -> bool:
    """``{% if membership|can:"members.view" %}``: false for no membership, so templates need no extra guard."""
    if membership is None:
        return False
    return membership.has_perm(permission)


@register.simple_tag(takes_context=True)
def user_organizations(context: dict[str, Any]) -> list[Organization]:
    """The organisations the signed-in user may open, for the switcher (one query, cached per render)."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return []
    cache: list[Organization] | None = getattr(request, "_relais_user_organizations", None)
    if cache is None:
        cache = list(
            Organization.objects.filter(
                memberships__user=request.user, memberships__status=Membership.Status.ACTIVE, is_active=True
            )
            .only("slug", "name")
            .order_by("name")
        )
        request._relais_user_organizations = cache
    return cache


@register.filter
def role_label(role: str) -> str:
    """The translated name of a role value (``"admin"`` → "Administrator")."""
    try:
        return str(Role(role).label)
    except ValueError:
        return role


@register.filter
def media_url(file: Any, organization: Organization | None) -> str:
    """``{{ post.image|media_url:organization }}``: the members-only address of an uploaded file, "" for none."""
    if not file or organization is None:
        return ""
    return media.media_url(organization, file.name)


@register.simple_tag(takes_context=True)
def org_navigation(context: dict[str, Any]) -> Navigation | None:
    """``{% org_navigation as nav %}``: the sections and pages of the current organisation this member may open."""
    request = context.get("request")
    membership = getattr(request, "membership", None)
    organization = getattr(request, "organization", None)
    if request is None or membership is None or organization is None:
        return None
    return navigation_for(request, organization, membership)
