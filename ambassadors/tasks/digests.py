"""The digest of new posts: the beat tick (every five minutes, cross-tenant, ids only) and the per-organisation
batch that builds and sends the due digests (``ambassadors.services.digests``)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from celery import shared_task

from advocacy.locks import tick_once
from advocacy.tasks import TenantTask, retry_unsent
from ambassadors.services.digests import digests_send
from ambassadors.services.profiles import profiles_create_missing
from ambassadors.ticks.digests import due_digest_profiles, members_without_profile

BATCH_SIZE = 500
# A second beat message within this time (a restarted beat, two beats by mistake) enqueues nothing.
TICK_LOCK_SECONDS = 240


def enqueue_due_digests(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> int:
    """Enqueue ``send_digests`` per organisation for the due profiles, in batches; returns how many batches.

    A batch enqueued twice (two ticks before it ran) sends nothing twice: each digest is keyed by member and
    window, and a profile whose window moved on is no longer due."""
    by_organization: dict[int, list[int]] = defaultdict(list)
    for profile_id, organization_id in due_digest_profiles(now=now):
        by_organization[organization_id].append(profile_id)
    batches = 0
    for organization_id, profile_ids in by_organization.items():
        for start in range(0, len(profile_ids), batch_size):
            send_digests.apply_async(
                kwargs={"organization_id": organization_id, "profile_ids": profile_ids[start : start + batch_size]}
            )
            batches += 1
    return batches


@shared_task(name="ambassadors.digests_tick")
def digests_tick() -> int:
    """Beat tick, every five minutes (cross-tenant): enqueue the due digests, each organisation on its own."""
    if not tick_once("ambassadors:digests-tick", TICK_LOCK_SECONDS):
        return 0
    enqueue_missing_profiles()
    return enqueue_due_digests()


def enqueue_missing_profiles(*, batch_size: int = BATCH_SIZE) -> int:
    """Enqueue ``ensure_profiles`` per organisation for the members who have no profile yet; their first digest is
    then scheduled by the next tick."""
    by_organization: dict[int, list[int]] = defaultdict(list)
    for membership_id, organization_id in members_without_profile():
        by_organization[organization_id].append(membership_id)
    batches = 0
    for organization_id, membership_ids in by_organization.items():
        for start in range(0, len(membership_ids), batch_size):
            ensure_profiles.apply_async(
                kwargs={
                    "organization_id": organization_id,
                    "membership_ids": membership_ids[start : start + batch_size],
                }
            )
            batches += 1
    return batches


@shared_task(base=TenantTask, name="ambassadors.ensure_profiles")
def ensure_profiles(*, organization_id: int, membership_ids: list[int]) -> int:
    """Make the default profile of these members (those who have one keep it); returns how many were made."""
    return profiles_create_missing(organization_id=organization_id, membership_ids=membership_ids)


@shared_task(base=TenantTask, bind=True, name="ambassadors.send_digests")
def send_digests(self: TenantTask, *, organization_id: int, profile_ids: list[int]) -> int:
    """Send the due digests of a batch of profiles; returns how many e-mails were sent now.

    Safe to run twice: each digest is sent once per member and window; those the mail server refused are retried on
    their own, their window unchanged until they go out."""
    run = digests_send(organization_id=organization_id, profile_ids=profile_ids)
    retry_unsent(self, run.batch, ids_argument="profile_ids")
    return run.batch.sent
