"""Roles on a membership and what each may do (DESIGN.md, "People and roles").

Views declare the permission they need (``permission = "members.manage"``); this table is the only place
that says which roles hold it.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    EDITOR = "editor", _("Editor")
    APPROVER = "approver", _("Approver")
    MANAGER = "manager", _("Manager")
    AMBASSADOR = "ambassador", _("Ambassador")


_EVERYONE = frozenset(Role)

PERMISSIONS: dict[str, frozenset[Role]] = {
    "organization.view": _EVERYONE,
    "members.view": frozenset({Role.ADMIN, Role.MANAGER}),
    "members.manage": frozenset({Role.ADMIN}),
    "programmes.view": frozenset({Role.ADMIN, Role.EDITOR, Role.MANAGER}),
    "programmes.manage": frozenset({Role.ADMIN}),
    "settings.manage": frozenset({Role.ADMIN}),
    "api_tokens.manage": frozenset({Role.ADMIN}),
    "audit.view": frozenset({Role.ADMIN}),
    "content.edit": frozenset({Role.ADMIN, Role.EDITOR}),
    "content.approve": frozenset({Role.ADMIN, Role.APPROVER}),
    # Opening a post's page: editors always; approvers only for the posts they may see (posts_visible_to).
    "content.view": frozenset({Role.ADMIN, Role.EDITOR, Role.APPROVER}),
    "analytics.view": frozenset({Role.ADMIN, Role.EDITOR, Role.MANAGER}),
    "feed.use": _EVERYONE,
    "charter.manage": frozenset({Role.ADMIN}),
    "charter.report": frozenset({Role.ADMIN, Role.MANAGER}),
    "compliance.manage": frozenset({Role.ADMIN}),
    "incidents.manage": frozenset({Role.ADMIN, Role.EDITOR}),
    "incidents.report": _EVERYONE,
    # Every member connects their own accounts and manages their own shares (opt-in: nobody else can).
    "connections.own": _EVERYONE,
    "shares.own": _EVERYONE,
    # The health of everyone's connections (never their tokens) and the organisation's publishing settings.
    "connections.health": frozenset({Role.ADMIN}),
    "publishing.manage": frozenset({Role.ADMIN}),
}


def role_has_permission(role: str, permission: str) -> bool:
    try:
        allowed = PERMISSIONS[permission]
    except KeyError as exc:
        raise KeyError(f"Unknown permission {permission!r}: add it to advocacy.roles.PERMISSIONS") from exc
    return role in allowed
