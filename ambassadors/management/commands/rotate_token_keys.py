"""Re-encrypt every connected account's tokens under the active key (the first of RELAIS_TOKEN_KEYS).

The runbook (security-and-reliability.md §2.5): prepend the new key, run this command, then remove the old key.
A row that no configured key can decrypt is marked for reconnection (its member is told) and counted; the run goes
on. Safe to run again: a row already under the active key is re-encrypted under the same key.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from advocacy.tenancy import organization_scope, scopes_disabled
from ambassadors.crypto import TokenDecryptionError, reseal
from ambassadors.models import SocialConnection
from ambassadors.services.connections import connection_mark_needs_reconnect


class Command(BaseCommand):
    help = "Re-encrypt the tokens of every connected account under the first key of RELAIS_TOKEN_KEYS."

    def handle(self, *args: Any, **options: Any) -> None:
        with scopes_disabled():
            ids = list(
                SocialConnection.objects.exclude(access_token_sealed="", refresh_token_sealed="")
                .order_by("pk")
                .values_list("pk", flat=True)
            )
        rotated = sum(self._rotate(pk) for pk in ids)
        self.stdout.write(
            f"Re-encrypted {rotated} connection(s); {len(ids) - rotated} could not be decrypted and need reconnecting."
        )

    def _rotate(self, pk: int) -> bool:
        with scopes_disabled(), transaction.atomic():
            # The row lock keeps a concurrent refresh from writing a token we would then overwrite.
            row = SocialConnection.objects.select_for_update().select_related("organization").get(pk=pk)
            try:
                access, refresh = reseal(row.access_token_sealed), reseal(row.refresh_token_sealed)
            except TokenDecryptionError:
                pass
            else:
                row.access_token_sealed, row.refresh_token_sealed = access, refresh
                row.save(update_fields=["access_token_sealed", "refresh_token_sealed"])
                return True
        # Marked once the row lock is released, in the row's own organisation (the member is told).
        with organization_scope(row.organization):
            connection_mark_needs_reconnect(connection=row, code="decryption_failed")
        return False
