"""Signals of the connections service (sender ``SocialConnection``, keyword ``connection``), sent inside the
transaction that changed the row so a receiver's writes commit or roll back with it (``ambassadors.receivers``):

- ``connection_restored``: the member connected or reconnected the account (shares waiting on it may resume);
- ``connection_needs_reconnect``: the account just became unusable until the member reconnects it;
- ``connection_disconnected``: the member disconnected it (its tokens are gone).
"""

from django.dispatch import Signal

connection_restored = Signal()
connection_needs_reconnect = Signal()
connection_disconnected = Signal()
