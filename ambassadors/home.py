"""The sharing panels on the organisation home (advocacy.home): unread notices, the next step of a member expected
to share, the posts waiting for them, the shares that need them, and the connections' health for those who watch
the programme."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from advocacy.home import Panel, expected_to_share
from advocacy.models import Membership
from ambassadors import onboarding, selectors
from ambassadors.models import Share, SocialConnection
from charter import selectors as charter_selectors
from content.selectors import posts_to_share

# A few of each, enough to act on from the home; the full lists are one link away.
SHOWN = 5


@dataclass(frozen=True)
class NextStep:
    title: str
    text: str
    action_url: str = ""
    action_label: str = ""
    # The charter steps are the programme's banner: sharing is closed until they are done.
    is_charter: bool = False


def notices_panel(request: HttpRequest, membership: Membership) -> Panel | None:
    notices = selectors.unread_notices(membership=membership)
    return Panel("ambassadors/home_notices.html", {"notices": notices}, wide=True) if notices else None


def _next_step(membership: Membership) -> NextStep | None:
    """The first thing between the member and their shares: the charter, an account, then a first share."""
    slug = membership.organization.slug
    charter = charter_selectors.charter_status(membership=membership)
    if charter.state == charter_selectors.NO_CHARTER:
        return NextStep(_("Sharing opens soon"), charter.message)
    if not charter.can_share:
        label = (
            _("Join the programme")
            if charter.state == charter_selectors.NOT_JOINED
            else _("Read and accept the charter")
        )
        return NextStep(
            _("Accept the charter"),
            charter.message,
            reverse("charter_join", kwargs={"org": slug}),
            label,
            is_charter=True,
        )
    connected = selectors.member_connections(membership=membership).filter(status=SocialConnection.Status.ACTIVE)
    if not connected.exists():
        return NextStep(
            _("No account connected yet"),
            _("Connect your LinkedIn or X account so that Relais can publish your shares."),
            reverse("connections", kwargs={"org": slug}),
            _("Connect an account"),
        )
    if not Share.objects.filter(organization=membership.organization_id, membership=membership).exists():
        return NextStep(
            _("Make your first share"),
            _("Pick one of the posts below, make it yours and share it."),
        )
    return None


def setup_panel(request: HttpRequest, membership: Membership) -> Panel | None:
    """ "Finish setting up (step x of 5)" until the member finishes the welcome tour."""
    if not expected_to_share(request, membership):
        return None
    progress = onboarding.progress_of(membership)
    if progress.done_at is not None:
        return None
    step = onboarding.first_step_ahead(membership, progress)
    return Panel(
        "ambassadors/welcome_home_panel.html",
        {
            "step": step,
            "number": onboarding.step_number(step.key),
            "total": len(onboarding.STEPS),
            "url": reverse("welcome_step", kwargs={"org": membership.organization.slug, "step": step.key}),
        },
        wide=True,
    )


def next_step_panel(request: HttpRequest, membership: Membership) -> Panel | None:
    if not expected_to_share(request, membership):
        return None
    step = _next_step(membership)
    training = charter_selectors.next_training_module(membership=membership)
    if step is None and training is None:
        return None
    return Panel("ambassadors/home_next_step.html", {"step": step, "training": training}, wide=True)


def posts_panel(request: HttpRequest, membership: Membership) -> Panel | None:
    if not expected_to_share(request, membership):
        return None
    posts = posts_to_share(membership=membership).exclude(pk__in=selectors.shared_post_ids(membership=membership))
    return Panel("ambassadors/home_posts.html", {"posts": list(posts[:SHOWN])}, wide=True)


def shares_panel(request: HttpRequest, membership: Membership) -> Panel | None:
    shares = list(selectors.shares_needing_member(membership=membership)[:SHOWN])
    return Panel("ambassadors/home_shares.html", {"shares": shares}) if shares else None


def connections_health_panel(request: HttpRequest, membership: Membership) -> Panel | None:
    """For those who watch the programme (members' managers, admins); only admins may open the health page."""
    if not (membership.has_perm("members.view") or membership.has_perm("connections.health")):
        return None
    counts = selectors.connection_counts(organization=membership.organization)
    return Panel(
        "ambassadors/home_connections.html",
        {
            "active": counts[SocialConnection.Status.ACTIVE],
            "attention": counts[SocialConnection.Status.NEEDS_RECONNECT],
            "health_url": reverse("connections_health", kwargs={"org": membership.organization.slug})
            if membership.has_perm("connections.health")
            else "",
        },
    )
