"""Signals of the content app, for the apps that depend on it (``ambassadors`` cancels shares) and that ``content``
must not import: the dependency stays one way.

- ``post_withdrawn`` (sender ``Post``, keywords ``post`` and ``by``): ``post_withdraw`` took an approved post off the
  feeds. Sent inside that service's transaction, so a receiver's writes commit or roll back with the withdrawal and
  no share of the post can be published in between.
"""

from django.dispatch import Signal

post_withdrawn = Signal()
