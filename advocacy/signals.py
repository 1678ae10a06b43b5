"""Signals of the tenancy core, for the feature apps that ``advocacy`` must not import: the dependency stays one way.

- ``member_removed`` (sender ``Membership``, keywords ``membership`` and ``by``): ``membership_remove`` is about to
  delete the membership. Sent inside that service's transaction and before the delete, so a receiver still reads what
  the cascade is about to erase (the member's shares, their programmes) and its writes commit or roll back with the
  removal.
"""

from django.dispatch import Signal

member_removed = Signal()
