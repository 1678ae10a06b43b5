"""The organisation's navigation: one table of sections and their pages, filtered by the member's permissions.

The top bar, the phone's off-canvas menu, the ambassadors' bottom bar and each section's tabs are all drawn from
this table, so a page cannot be in one menu and missing from another, and the layout test walks the same table.
Feature apps add counts beside a link (posts waiting for a decision) through ``register_count``: this module
names pages by their URL names only and imports no feature app.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from advocacy.models import Membership, Organization
from advocacy.roles import Role


@dataclass(frozen=True)
class Page:
    url_name: str
    label: Promise
    permission: str
    icon: str
    # Pages reached from this one (an edit form, a detail page) that keep this link highlighted.
    also_current_on: tuple[str, ...] = ()
    count_key: str = ""

    def is_current(self, url_name: str) -> bool:
        return url_name == self.url_name or url_name in self.also_current_on


@dataclass(frozen=True)
class Section:
    key: str
    label: Promise
    icon: str
    pages: tuple[Page, ...]


SECTIONS: tuple[Section, ...] = (
    Section("home", _("Home"), "bi-house", (Page("org_home", _("Home"), "organization.view", "bi-house"),)),
    Section(
        "sharing",
        _("Sharing"),
        "bi-send",
        (
            Page("feed", _("Feed"), "feed.use", "bi-newspaper", ("composer",)),
            Page("shares", _("My shares"), "shares.own", "bi-send", ("share_detail",)),
            Page(
                "connections",
                _("Connected accounts"),
                "connections.own",
                "bi-link-45deg",
                ("connection_disconnect", "connection_connect", "connection_callback"),
            ),
            Page("suggest", _("Suggest a link"), "feed.use", "bi-lightbulb"),
            Page("ambassador_profile", _("My profile"), "feed.use", "bi-person-badge", ("welcome", "welcome_step")),
        ),
    ),
    Section(
        "content",
        _("Content"),
        "bi-collection",
        (
            Page(
                "content_library",
                _("Library"),
                "content.edit",
                "bi-collection",
                ("post_create", "post_detail", "post_edit", "post_preview", "post_withdraw"),
            ),
            Page("calendar", _("Calendar"), "content.edit", "bi-calendar3", ("post_reschedule",)),
            Page("topics", _("Topics"), "content.edit", "bi-tags", ("topic_create", "topic_edit", "topic_delete")),
            Page(
                "suggestions",
                _("Suggestions inbox"),
                "content.edit",
                "bi-inbox",
                ("suggestion_accept", "suggestion_decline"),
            ),
            Page(
                "feed_sources",
                _("Feed sources"),
                "content.edit",
                "bi-rss",
                ("feed_source_create", "feed_source_edit", "feed_source_delete", "feed_source_poll"),
            ),
        ),
    ),
    Section(
        "approvals",
        _("Approvals"),
        "bi-check2-square",
        (
            Page(
                "approvals",
                _("Waiting for a decision"),
                "content.approve",
                "bi-check2-square",
                ("approval_decide",),
                count_key="approvals",
            ),
            Page(
                "approval_policies",
                _("Approval policies"),
                "settings.manage",
                "bi-diagram-3",
                ("approval_policy_create", "approval_policy_edit", "approval_policy_delete"),
            ),
        ),
    ),
    Section(
        "charter",
        _("Charter"),
        "bi-journal-check",
        (
            Page(
                "charter",
                _("Charter"),
                "organization.view",
                "bi-journal-check",
                ("charter_version", "charter_join", "charter_leave", "charter_edit"),
            ),
            Page(
                "training", _("Training"), "organization.view", "bi-mortarboard", ("training_module", "training_edit")
            ),
            Page("compliance_try", _("Check a text"), "organization.view", "bi-spellcheck"),
            Page(
                "compliance_rules",
                _("Compliance rules"),
                "compliance.manage",
                "bi-shield-check",
                ("compliance_programme_rules",),
            ),
            Page("charter_report", _("Acceptance report"), "charter.report", "bi-clipboard-data", ("charter_remind",)),
            Page(
                "incidents",
                _("Incidents"),
                "incidents.report",
                "bi-flag",
                ("incident_report", "incident_detail", "incident_withdraw"),
            ),
        ),
    ),
    Section(
        "analytics",
        _("Analytics"),
        "bi-graph-up",
        (
            Page("analytics_dashboard", _("Dashboard"), "analytics.view", "bi-graph-up"),
            Page("my_impact", _("My impact"), "shares.own", "bi-stars"),
            Page("community_insights", _("Community insights"), "organization.view", "bi-people"),
            Page("referrals", _("Referrals"), "analytics.view", "bi-person-plus", ("referral_create",)),
            Page("retention", _("Retention"), "analytics.view", "bi-person-check", ("retention_leavers",)),
        ),
    ),
    Section(
        "people",
        _("Members"),
        "bi-people",
        (
            Page(
                "members",
                _("Members"),
                "members.view",
                "bi-people",
                (
                    "member_detail",
                    "member_invite",
                    "member_change_role",
                    "member_suspend",
                    "member_reactivate",
                    "member_remove",
                    "invitation_revoke",
                ),
            ),
            Page(
                "programmes",
                _("Programmes"),
                "programmes.view",
                "bi-diagram-2",
                (
                    "programme_create",
                    "programme_detail",
                    "programme_edit",
                    "programme_delete",
                    "programme_member_add",
                    "programme_member_admin",
                    "programme_member_remove",
                    "programme_goals",
                ),
            ),
            # Until the analytics section exists.
        ),
    ),
    Section(
        "settings",
        _("Settings"),
        "bi-gear",
        (
            Page("org_settings", _("General"), "settings.manage", "bi-gear"),
            Page("publishing_settings", _("Publishing"), "publishing.manage", "bi-broadcast"),
            Page("tracking_settings", _("Tracked links"), "settings.manage", "bi-link"),
            Page("emv_rates", _("Earned media value"), "settings.manage", "bi-cash-coin"),
            Page("referral_settings", _("Referrals"), "settings.manage", "bi-person-plus", ("referral_secret_rotate",)),
            Page("connections_health", _("Connection health"), "connections.health", "bi-heart-pulse"),
            Page("api_tokens", _("API tokens"), "api_tokens.manage", "bi-key", ("api_token_revoke",)),
            Page("audit_log", _("Audit log"), "audit.view", "bi-clock-history"),
        ),
    ),
)

# The ambassadors' bottom bar on a phone: the places they come back to, one thumb away.
BOTTOM_BAR_PAGES = ("org_home", "feed", "shares", "connections", "charter")

# The bell of the top bar links to this page; a feature app registers its count under ``BELL_COUNT``.
BELL_PAGE = "notifications"
BELL_COUNT = "notifications"

CountProvider = Callable[[HttpRequest, Membership], int]
_count_providers: dict[str, CountProvider] = {}


def register_count(key: str, provider: CountProvider) -> None:
    """A number shown beside the pages declaring ``count_key=key`` (what waits for the member there)."""
    _count_providers[key] = provider


@dataclass
class NavLink:
    url: str
    label: str
    icon: str
    url_name: str
    is_current: bool
    count: int = 0


@dataclass
class NavSection:
    key: str
    label: str
    icon: str
    links: list[NavLink] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.links[0].url

    @property
    def is_current(self) -> bool:
        return any(link.is_current for link in self.links)

    @property
    def count(self) -> int:
        return sum(link.count for link in self.links)


@dataclass
class Navigation:
    sections: list[NavSection]
    bottom_bar: list[NavLink]
    # The top bar's bell: the member's notifications, with the unread ones counted (``BELL_COUNT``).
    bell: NavLink | None = None

    @property
    def current_section(self) -> NavSection | None:
        return next((section for section in self.sections if section.is_current), None)


def _count(key: str, request: HttpRequest, membership: Membership) -> int:
    provider = _count_providers.get(key) if key else None
    return provider(request, membership) if provider else 0


def navigation_for(request: HttpRequest, organization: Organization, membership: Membership) -> Navigation:
    """The sections and pages this member may open, with the current page marked; cached for the request."""
    cached: Navigation | None = getattr(request, "_relais_navigation", None)
    if cached is not None:
        return cached
    match = request.resolver_match
    current = match.url_name if match and match.url_name else ""
    slug = organization.slug
    sections: list[NavSection] = []
    by_name: dict[str, NavLink] = {}
    for section in SECTIONS:
        links = []
        for page in section.pages:
            count = _count(page.count_key, request, membership)
            # Someone named in an approval policy decides without the approver role: the page shows while posts wait.
            if not (membership.has_perm(page.permission) or count):
                continue
            link = NavLink(
                url=reverse(page.url_name, kwargs={"org": slug}),
                label=str(page.label),
                icon=page.icon,
                url_name=page.url_name,
                is_current=page.is_current(current),
                count=count,
            )
            links.append(link)
            by_name[page.url_name] = link
        if links:
            sections.append(NavSection(section.key, str(section.label), section.icon, links))
    bottom_bar = []
    if membership.role == Role.AMBASSADOR:
        bottom_bar = [by_name[name] for name in BOTTOM_BAR_PAGES if name in by_name]
    bell = None
    if BELL_COUNT in _count_providers:
        bell = NavLink(
            url=reverse(BELL_PAGE, kwargs={"org": slug}),
            label=str(_("Notifications")),
            icon="bi-bell",
            url_name=BELL_PAGE,
            is_current=current.startswith(BELL_PAGE) or current.startswith("notification_"),
            count=_count(BELL_COUNT, request, membership),
        )
    navigation = Navigation(sections, bottom_bar, bell)
    request._relais_navigation = navigation  # type: ignore[attr-defined]
    return navigation
