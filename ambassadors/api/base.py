"""What the ambassadors' endpoints share: they act for a signed-in person (API tokens get 403) on their own rows."""

from collections.abc import Sequence
from typing import Any

from advocacy.api.base import OrganizationPermission
from advocacy.api.views import OrganizationViewMixin
from advocacy.models import Membership
from content.api.views import PersonRequired


class MemberViewMixin(OrganizationViewMixin):
    """A member's own feed, shares or notifications: the organisation's permission, a person, their membership."""

    def get_permissions(self) -> Sequence[Any]:
        return [OrganizationPermission(), PersonRequired()]

    @property
    def membership(self) -> Membership:
        return self.request.membership  # type: ignore[attr-defined, no-any-return]
