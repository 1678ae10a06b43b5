"""Signals of the charter app, for the apps that depend on it (``ambassadors`` cancels shares) and that ``charter``
must not import: the dependency stays one way.

- ``member_left`` (sender ``Membership``, keywords ``membership`` and ``by``): ``charter_leave`` ended the member's
  acceptance. Sent inside that service's transaction, so a receiver's writes commit or roll back with the leave.
"""

from django.dispatch import Signal

member_left = Signal()
