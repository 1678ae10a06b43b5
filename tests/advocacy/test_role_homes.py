"""The organisation home per role: each member sees what they have to do now, and nothing they may not use."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from advocacy import home as registry
from advocacy.home import Panel, panels_for, register_panel
from advocacy.tenancy import organization_scope
from ambassadors.models import Share, SocialConnection
from content.models import ApprovalDecision, ApprovalStepApprover, Post
from tests.ambassadors.factories import ShareFactory, SocialConnectionFactory
from tests.charter.factories import CharterAcceptanceFactory, CharterVersionFactory
from tests.content.factories import ApprovalPolicyFactory, ApprovalStepFactory, PostFactory
from tests.factories import ProgrammeFactory, ProgrammeMemberFactory

pytestmark = pytest.mark.django_db

HOME = reverse("org_home", kwargs={"org": "acme"})
# Each panel's heading id: present exactly when the panel is drawn.
PANELS = {
    "next_step": 'id="home-next-step-heading"',
    "posts": 'id="home-posts-heading"',
    "approvals": 'id="home-approvals-heading"',
    "editor": 'id="home-editor-heading"',
    "members": 'id="home-members-heading"',
    "charter": 'id="home-charter-heading"',
    "connections": 'id="home-connections-heading"',
}
EXPECTED = {
    "ambassador": {"next_step", "posts"},
    "editor": {"editor"},
    "approver": {"approvals"},
    "manager": {"members", "charter", "connections"},
    "admin": {"approvals", "editor", "members", "charter", "connections"},
}


@pytest.fixture
def world(personas):
    """A published charter nobody accepted, posts in every state, and a connection that needs reconnecting."""
    organization = personas.organization
    with organization_scope(organization):
        charter = CharterVersionFactory(organization=organization, published=True, number=1)
        live = PostFactory(organization=organization, status=Post.Status.APPROVED, featured=True, title="Live featured")
        shared = PostFactory(organization=organization, status=Post.Status.APPROVED, title="Already shared")
        ShareFactory(
            organization=organization,
            membership=personas.membership(personas.ambassador),
            post=shared,
            status=Share.Status.PUBLISHED,
        )
        draft = PostFactory(organization=organization, author=personas.editor, title="Editor draft")
        sent_back = PostFactory(organization=organization, author=personas.editor, title="Sent back draft")
        ApprovalDecision.objects.create(
            organization=organization,
            post=sent_back,
            revision=1,
            step_name="Legal",
            outcome=ApprovalDecision.Outcome.CHANGES_REQUESTED,
            decided_by=personas.approver,
        )
        scheduled = PostFactory(
            organization=organization,
            status=Post.Status.APPROVED,
            publish_at=timezone.now() + timedelta(days=2),
            title="Goes live later",
        )
        step = ApprovalStepFactory(policy=ApprovalPolicyFactory(organization=organization), name="Legal review")
        in_review = PostFactory(
            organization=organization,
            author=personas.editor,
            status=Post.Status.IN_REVIEW,
            policy=step.policy,
            current_step=step,
            title="Waiting for approval",
        )
        SocialConnectionFactory(
            organization=organization,
            membership=personas.membership(personas.ambassador),
            status=SocialConnection.Status.NEEDS_RECONNECT,
        )
    return {
        "charter": charter,
        "live": live,
        "shared": shared,
        "draft": draft,
        "sent_back": sent_back,
        "scheduled": scheduled,
        "in_review": in_review,
    }


def home(user) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(HOME)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_each_role_sees_its_own_panels_and_not_the_others(personas, world, role):
    page = home(getattr(personas, role))

    shown = {name for name, marker in PANELS.items() if marker in page}
    assert shown == EXPECTED[role]
    assert "Coming soon" not in page


def test_the_ambassador_sees_the_posts_meant_for_them_that_they_have_not_shared(personas, world):
    page = home(personas.ambassador)

    share_url = reverse("composer", kwargs={"org": "acme", "post": world["live"].pk})
    assert f'href="{share_url}"' in page
    assert "Featured" in page
    for other in ("shared", "draft", "scheduled", "in_review"):
        assert world[other].title not in page, other


def test_the_editor_sees_drafts_changes_requested_and_what_is_scheduled(personas, world):
    page = home(personas.editor)

    assert world["draft"].title in page
    assert world["scheduled"].title in page
    # The sent-back draft is listed once, under the changes requested, not among the other drafts.
    assert page.count(world["sent_back"].title) == 1
    assert page.index("Changes requested") < page.index(world["sent_back"].title) < page.index("Your drafts")
    assert reverse("calendar", kwargs={"org": "acme"}) in page
    assert f"?status=draft&amp;author={personas.editor.pk}" in page


def test_the_approver_sees_the_posts_waiting_for_their_decision(personas, world):
    page = home(personas.approver)

    assert world["in_review"].title in page
    assert reverse("approval_decide", kwargs={"org": "acme", "post_pk": world["in_review"].pk}) in page
    assert world["draft"].title not in page


def test_a_member_named_in_a_step_sees_the_posts_waiting_for_them_whatever_their_role(personas, world):
    organization = personas.organization
    with organization_scope(organization):
        ApprovalStepApprover.objects.create(
            organization=organization,
            step=world["in_review"].current_step,
            membership=personas.membership(personas.manager),
        )

    page = home(personas.manager)

    assert PANELS["approvals"] in page
    assert world["in_review"].title in page


def test_the_shares_that_need_the_member_are_listed_with_a_link_to_each(personas, world):
    organization = personas.organization
    with organization_scope(organization):
        failed = ShareFactory(
            organization=organization,
            membership=personas.membership(personas.ambassador),
            post=world["live"],
            status=Share.Status.FAILED,
        )
        others = ShareFactory(
            organization=organization, membership=personas.membership(personas.editor), status="failed"
        )

    page = home(personas.ambassador)

    assert 'id="home-shares-heading"' in page
    assert reverse("share_detail", kwargs={"org": "acme", "pk": failed.pk}) in page
    assert reverse("share_detail", kwargs={"org": "acme", "pk": others.pk}) not in page
    assert 'id="home-shares-heading"' not in home(personas.approver)


def test_the_programme_state_links_only_to_pages_the_member_may_open(personas, world):
    manager, admin = home(personas.manager), home(personas.admin)
    health = reverse("connections_health", kwargs={"org": "acme"})
    invite = reverse("member_invite", kwargs={"org": "acme"})

    for page in (manager, admin):
        assert reverse("members", kwargs={"org": "acme"}) in page
        assert reverse("charter_report", kwargs={"org": "acme"}) in page
    assert health not in manager and invite not in manager
    assert health in admin and invite in admin


def test_the_charter_banner_is_for_members_expected_to_share(personas, world):
    organization = personas.organization
    with organization_scope(organization):
        programme = ProgrammeFactory(organization=organization)
        ProgrammeMemberFactory(
            organization=organization, programme=programme, membership=personas.membership(personas.manager)
        )
        ProgrammeMemberFactory(
            organization=organization,
            programme=programme,
            membership=personas.membership(personas.editor),
            is_admin=True,
        )

    assert "charter-banner" in home(personas.ambassador)
    # An ordinary programme member shares for it; a programme admin runs it; admins are not asked by their role.
    assert "charter-banner" in home(personas.manager)
    assert "charter-banner" not in home(personas.editor)
    assert "charter-banner" not in home(personas.admin)
    assert "charter-banner" not in home(personas.approver)


def test_the_next_step_moves_from_the_charter_to_an_account_to_a_first_share(personas, world):
    organization = personas.organization
    membership = personas.membership(personas.ambassador)
    with organization_scope(organization):
        CharterAcceptanceFactory(organization=organization, membership=membership, version=world["charter"])

    page = home(personas.ambassador)
    assert "charter-banner" not in page
    assert "Connect an account" in page
    assert reverse("connections", kwargs={"org": "acme"}) in page

    with organization_scope(organization):
        SocialConnectionFactory(organization=organization, membership=membership, provider="x")
        Share.objects.filter(membership=membership).delete()
    assert "Make your first share" in home(personas.ambassador)

    with organization_scope(organization):
        ShareFactory(organization=organization, membership=membership, post=world["shared"])
    assert PANELS["next_step"] not in home(personas.ambassador)


def test_the_home_speaks_french(personas, world):
    personas.ambassador.language = "fr"
    personas.ambassador.save()

    page = home(personas.ambassador)

    assert "Votre prochaine étape" in page
    assert "Publications qui vous attendent" in page


def test_an_outsider_gets_a_404(personas, world):
    client = Client()
    client.force_login(personas.outsider)

    assert client.get(HOME).status_code == 404


# What the page costs, whatever the number of posts, members or shares: the shell (session, member, navigation)
# and a fixed number per panel (the ambassador's "finish setting up" reminder reads their progress in one).
# Each includes the top bar's bell (one count of unread notifications).
MAX_QUERIES = {"ambassador": 16, "editor": 13, "approver": 11, "manager": 16, "admin": 19}


@pytest.mark.parametrize("role", sorted(MAX_QUERIES))
def test_the_home_runs_a_fixed_number_of_queries(personas, world, role, django_assert_max_num_queries):
    organization = personas.organization
    with organization_scope(organization):
        for number in range(12):
            PostFactory(organization=organization, status=Post.Status.APPROVED, title=f"More {number}")
            PostFactory(organization=organization, author=personas.editor, title=f"Draft {number}")
    other = personas.other_organization
    with organization_scope(other):
        PostFactory(organization=other, status=Post.Status.APPROVED, title="Globex news")
        PostFactory(organization=other, author=personas.editor, title="Globex draft")
    client = Client()
    client.force_login(getattr(personas, role))

    with django_assert_max_num_queries(MAX_QUERIES[role]):
        response = client.get(HOME)
    assert response.status_code == 200
    assert "Globex" not in response.content.decode()


def test_panels_come_in_their_order_and_absent_ones_are_skipped(personas, rf, monkeypatch):
    monkeypatch.setattr(registry, "_providers", {})
    register_panel("second", lambda request, membership: Panel("second.html"), order=20)
    register_panel("absent", lambda request, membership: None, order=15)
    register_panel("first", lambda request, membership: Panel("first.html"), order=10)

    panels = panels_for(rf.get("/"), personas.membership(personas.admin))

    assert [panel.template for panel in panels] == ["first.html", "second.html"]
