"""The reads that grow with an organisation's history are answered by their own index (bench/scale.py measures
them with 2 organisations × 10,000 members, 100,000 shares and 300,000 audit entries).

The planner prefers a sequential scan on a table of a few rows, so each test turns sequential scans off for its
query and checks which index the plan reads."""

from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from advocacy.models import AuditEntry, Membership
from advocacy.services import audit_log
from advocacy.tenancy import organization_scope
from ambassadors.models import Share
from ambassadors.selectors import x_month_spend
from content.models import Post
from content.selectors import post_history
from tests.ambassadors.factories import ShareFactory
from tests.content.factories import PostFactory


@contextmanager
def plans():
    """Collect the plan of every SELECT made inside, with sequential scans off."""
    found: list[str] = []
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
    try:
        with CaptureQueriesContext(connection) as captured:
            yield found
        with connection.cursor() as cursor:
            for query in captured.captured_queries:
                if query["sql"].startswith("SELECT"):
                    cursor.execute(f"EXPLAIN {query['sql']}")
                    found.append("\n".join(row[0] for row in cursor.fetchall()))
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET enable_seqscan")


def test_the_month_x_spend_reads_only_the_paid_x_posts_index(personas):
    organization = personas.organization
    with organization_scope(organization):
        membership = Membership.objects.get(user=personas.ambassador)
        for network, status in [("x", "published"), ("x", "cancelled"), ("linkedin", "published")] * 3:
            ShareFactory(
                organization=organization,
                membership=membership,
                network=network,
                status=status,
                published_at=timezone.now() - timedelta(hours=1),
                cost=Decimal("0.015"),
            )
        with plans() as found:
            spend = x_month_spend(organization=organization)

    assert spend == Decimal("0.045")
    assert len(found) == 1
    assert "share_x_spend" in found[0]


def test_a_post_history_reads_its_audit_entries_by_their_object_index(personas):
    organization = personas.organization
    with organization_scope(organization):
        post = PostFactory(organization=organization, status=Post.Status.APPROVED)
        other = PostFactory(organization=organization)
        for target in (post, other, post):
            audit_log(organization=organization, actor=personas.editor, action="post.updated", target=target)
        audit_log(organization=organization, actor=personas.editor, action="member.invited")
        # A log of some size, with fresh statistics: on a handful of rows both indexes cost the same to the planner,
        # which then picks either, whatever earlier tests left in its statistics.
        for _ in range(300):
            audit_log(organization=organization, actor=personas.editor, action="post.updated", target=other)
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {AuditEntry._meta.db_table}")
        with plans() as found:
            history = post_history(post=post)

    assert [item["action"] for item in history if item["kind"] == "audit"] == ["post.updated", "post.updated"]
    [audit_plan] = [plan for plan in found if AuditEntry._meta.db_table in plan]
    assert "audit_object_history" in audit_plan


def test_an_outsider_gets_a_404_for_the_post_whose_history_is_shown(client, personas):
    with organization_scope(personas.organization):
        post = PostFactory(organization=personas.organization, status=Post.Status.APPROVED)
        ShareFactory(organization=personas.organization, post=post, network="x", status=Share.Status.PUBLISHED)
    client.force_login(personas.outsider)

    response = client.get(reverse("post_detail", args=[personas.organization.slug, post.pk]))

    assert response.status_code == 404
