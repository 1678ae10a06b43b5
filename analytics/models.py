"""Tracked links and their clicks.

Every share gets a short link of its own (``TrackedLink``); ``/r/<code>`` redirects to the link's stored
destination and records a ``Click``. Clicks are written in batches by the flusher (analytics.clicks), partitioned by
month on PostgreSQL, and keyed by organisation first so the table can be distributed by organisation later.
A click never stores an IP address: only an HMAC of address and user agent under a key that lives one day
(``VisitorKey``).
"""

import re
import string
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, URLValidator
from django.db import models
from django.db.models.functions import Coalesce
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from advocacy.tenancy import TenantModel
from content.models import Network

CODE_LENGTH = 8
# URL-safe letters and digits: 62**8 (2.2e14) codes, so guessing one among even millions of links takes billions of
# requests. Codes come from ``secrets`` (analytics.links.new_code); a clash with an existing code is retried.
CODE_ALPHABET = string.ascii_letters + string.digits
CODE_PATTERN = re.compile(rf"[{re.escape(CODE_ALPHABET)}]{{{CODE_LENGTH}}}")
DEFAULT_UTM_TEMPLATE = "utm_source={network}&utm_medium=employee_advocacy&utm_campaign={post}"
HTTP_SCHEMES = ("http", "https")


class TrackingSettings(TenantModel):
    """How an organisation's tracked links are built. One row per organisation, created when first needed."""

    utm_template = models.CharField(
        _("tracking parameters"),
        max_length=500,
        blank=True,
        default=DEFAULT_UTM_TEMPLATE,
        help_text=_(
            "Added to the link of every post shared, unless the link already has them. Placeholders: {network}, "
            "{post} (the post's title as a short slug), {post_id} and {organization}. Leave empty to add nothing."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization"], name="tracking_settings_one_per_org")]
        verbose_name = _("link tracking settings")


class ReferralCode(TenantModel):
    """A member's code for posts that credit the ambassador who brought a visitor (job offers, events)."""

    membership = models.OneToOneField("advocacy.Membership", on_delete=models.CASCADE, related_name="referral_code")
    code = models.CharField(max_length=16)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "code"], name="referral_code_unique_in_org")]


class TrackedLink(TenantModel):
    """The short link of one share: where it leads, and its click counters (kept by the flusher)."""

    code = models.CharField(max_length=16, unique=True)
    share = models.ForeignKey("ambassadors.Share", on_delete=models.CASCADE, related_name="tracked_links")
    post = models.ForeignKey("content.Post", on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey("advocacy.Membership", on_delete=models.CASCADE, related_name="+")
    network = models.CharField(_("network"), max_length=16)
    destination = models.URLField(
        _("destination"), max_length=2000, validators=[URLValidator(schemes=list(HTTP_SCHEMES))]
    )
    clicks = models.PositiveIntegerField(_("clicks"), default=0)
    unique_clicks = models.PositiveIntegerField(_("unique clicks"), default=0)
    # Bots, link previews, HEAD requests and prefetches: stored with their reason, never counted as clicks.
    filtered_clicks = models.PositiveIntegerField(default=0)
    last_clicked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["organization", "share"])]
        constraints = [
            # Whatever writes the row, a destination that is not http(s) can never be stored.
            models.CheckConstraint(
                condition=models.Q(destination__startswith="https://") | models.Q(destination__startswith="http://"),
                name="tracked_link_destination_http",
            ),
        ]
        verbose_name = _("tracked link")

    def __str__(self) -> str:
        return self.code

    @property
    def url(self) -> str:
        return tracked_url(self.code)


def tracked_url(code: str) -> str:
    """The public address of a code: on the links host when there is one, else on the site."""
    return f"{settings.RELAIS_LINK_BASE_URL}/r/{code}"


class Click(TenantModel):
    """One request of ``/r/<code>``. ``event_id`` is made by the redirect and travels in the stream entry, so a click
    written twice (a batch again after a crash, or directly after Redis kept it without answering) is stored once.

    On PostgreSQL the table is partitioned by month of ``clicked_at`` (analytics/partitions.py); the key starts with
    the organisation. Its references carry no database constraint: the partitions stay independent of the rest of
    the schema, and deleting a link or an organisation deletes its clicks in one statement (no row fetch).
    """

    class Filtered(models.TextChoices):
        COUNTED = "", _("Counted")
        BOT = "bot", _("Robot")
        PREVIEW = "preview", _("Link preview")
        HEAD = "head", _("HEAD request")
        PREFETCH = "prefetch", _("Browser prefetch")

    pk = models.CompositePrimaryKey("organization", "clicked_at", "event_id")
    organization = models.ForeignKey(
        "advocacy.Organization", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    clicked_at = models.DateTimeField()
    event_id = models.CharField(max_length=40)
    link = models.ForeignKey(TrackedLink, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    share = models.ForeignKey(
        "ambassadors.Share", on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, null=True
    )
    membership = models.ForeignKey(
        "advocacy.Membership", on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, null=True
    )
    post = models.ForeignKey(
        "content.Post", on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, null=True
    )
    network = models.CharField(max_length=16)
    referrer_host = models.CharField(max_length=253, blank=True)
    visitor_hash = models.CharField(max_length=32)
    first_of_day = models.BooleanField(default=False)
    filtered = models.CharField(max_length=16, choices=Filtered.choices, blank=True, default="")

    class Meta:
        indexes = [
            models.Index(fields=["organization", "link", "clicked_at"], name="click_link_time"),
            models.Index(fields=["organization", "share", "clicked_at"], name="click_share_time"),
        ]
        verbose_name = _("click")


class VisitorKey(TenantModel):
    """The HMAC key of one organisation's visitors for one day. Deleted once the day is over, after which nobody,
    us included, can tell whether two visitor hashes of different days belong to the same person."""

    day = models.DateField()
    key = models.CharField(max_length=64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "day"], name="visitor_key_one_per_day")]


class DailyVisitor(TenantModel):
    """Who already clicked a link today: a click whose row is created here is the visitor's first of the day.
    Rows of past days are deleted with their day's key."""

    pk = models.CompositePrimaryKey("organization", "day", "link", "visitor_hash")
    organization = models.ForeignKey(
        "advocacy.Organization", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    day = models.DateField()
    link = models.ForeignKey(TrackedLink, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    visitor_hash = models.CharField(max_length=32)


class DailyStat(TenantModel):
    """What an organisation's members did on one day, in the organisation's time zone: the rollup dashboards read
    instead of raw clicks. Built by analytics.rollups from shares, metric snapshots and clicks; a day's rows are
    always rewritten together, so they can be rebuilt at will.

    The same figures are written at several grains, one per ``breakdown``, so that each question reads the fewest
    rows. ``post`` rows are the finest grain (day, member, network, post; post empty: clicks whose link no longer
    names a post); every other breakdown is added up from them. A post may have several topics and several
    programmes: ``topic`` rows repeat a share for each topic of its post (topic empty: a post without topic),
    ``programme`` rows for each programme (empty: an organisation-wide post), ``all`` rows count it once. Those four
    are per member; the ``org…`` breakdowns are the same without the member (what the organisation's charts read),
    and the ``month…`` breakdowns add a calendar month up into one row dated its first day (``month``,
    ``month_topic`` and ``month_programme`` per member, ``month_post`` per post without the member): what the rankings
    and the counts of active ambassadors read, with the days at the edges of a period. Sum within one breakdown only:
    summing the ``topic`` rows of a day counts a two-topic share twice, which is right for "per topic" and wrong for
    a total.

    A share's engagement (likes, comments, reshares, impressions, reach) is its latest snapshot's cumulative totals,
    counted on the day it was published: a day's row grows while its shares are still polled. A figure the network did
    not give stays out of the sum; ``<figure>_known`` says for how many of the row's shares it is known, and the sum is
    NULL when it is known for none, so an unknown figure never reads as 0. Clicks count on the day they happened
    (robots and link previews left out; unique: a visitor's first click on a link that day).
    """

    class Breakdown(models.TextChoices):
        ALL = "all", _("All")
        TOPIC = "topic", _("By topic")
        PROGRAMME = "programme", _("By programme")
        POST = "post", _("By post")
        ORG = "org", _("Organisation")
        ORG_TOPIC = "org_topic", _("Organisation by topic")
        ORG_PROGRAMME = "org_programme", _("Organisation by programme")
        ORG_POST = "org_post", _("Organisation by post")
        MONTH = "month", _("Month")
        MONTH_TOPIC = "month_topic", _("Month by topic")
        MONTH_PROGRAMME = "month_programme", _("Month by programme")
        MONTH_POST = "month_post", _("Month by post")

    day = models.DateField(_("day"))
    breakdown = models.CharField(max_length=16, choices=Breakdown.choices)
    # Empty for clicks whose link no longer names a member.
    membership = models.ForeignKey("advocacy.Membership", on_delete=models.CASCADE, related_name="+", null=True)
    network = models.CharField(_("network"), max_length=16)
    topic = models.ForeignKey("content.Topic", on_delete=models.CASCADE, related_name="+", null=True)
    programme = models.ForeignKey("advocacy.Programme", on_delete=models.CASCADE, related_name="+", null=True)
    post = models.ForeignKey("content.Post", on_delete=models.CASCADE, related_name="+", null=True)
    shares = models.PositiveIntegerField(_("shares"), default=0)
    clicks = models.PositiveIntegerField(_("clicks"), default=0)
    unique_clicks = models.PositiveIntegerField(_("unique clicks"), default=0)
    likes = models.PositiveIntegerField(_("likes"), null=True)
    likes_known = models.PositiveIntegerField(default=0)
    comments = models.PositiveIntegerField(_("comments"), null=True)
    comments_known = models.PositiveIntegerField(default=0)
    reshares = models.PositiveIntegerField(_("reshares"), null=True)
    reshares_known = models.PositiveIntegerField(default=0)
    impressions = models.PositiveIntegerField(_("impressions"), null=True)
    impressions_known = models.PositiveIntegerField(default=0)
    # Members reached, where the network counts them (LinkedIn, when the app is approved for post analytics).
    reach = models.PositiveIntegerField(_("reach"), null=True)
    reach_known = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            # An empty member, topic or programme is a value of the key: NULLs would never clash.
            models.UniqueConstraint(
                "organization",
                "day",
                "breakdown",
                Coalesce("membership", 0),
                "network",
                Coalesce("topic", 0),
                Coalesce("programme", 0),
                Coalesce("post", 0),
                name="daily_stat_unique_key",
            ),
        ]
        indexes = [
            # A breakdown's days are contiguous: a period of one breakdown is one range of the index.
            models.Index(fields=["organization", "breakdown", "day"], name="daily_stat_org_breakdown_day"),
            models.Index(fields=["organization", "membership", "breakdown", "day"], name="daily_stat_org_member"),
        ]
        verbose_name = _("daily statistics")
        verbose_name_plural = _("daily statistics")


class RollupState(TenantModel):
    """How far the incremental rollup has read an organisation's shares, snapshots and clicks. One row per
    organisation, created by its first run."""

    covered_until = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization"], name="rollup_state_one_per_org")]


# What a unit of earned attention would have cost as paid media, until an admin sets the organisation's own rates:
# rounded averages of the networks' published ad benchmarks for Europe in 2024-2025 (LinkedIn sponsored content about
# 5 per click and 30 per 1,000 impressions; X promoted posts about 0.60 per click and 6 per 1,000 impressions), and
# a reaction valued at a fifth of a click. Estimates to replace with the organisation's media-buying figures.
EMV_DEFAULTS: dict[str, tuple[Decimal, Decimal, Decimal]] = {
    # network: (cost per click, cost per 1,000 impressions, value per reaction)
    Network.LINKEDIN: (Decimal("5.00"), Decimal("30.00"), Decimal("1.00")),
    Network.X: (Decimal("0.60"), Decimal("6.00"), Decimal("0.12")),
}
# The networks with rates, in the order the formula prints them: the generic "copy and open" network has no price.
PRICED_NETWORKS = (Network.LINKEDIN, Network.X)
RATE_DIGITS = 10
RATE_DECIMALS = 4


class Currency(models.TextChoices):
    EUR = "EUR", _("Euro (EUR)")
    USD = "USD", _("US dollar (USD)")
    GBP = "GBP", _("Pound sterling (GBP)")
    CHF = "CHF", _("Swiss franc (CHF)")


@dataclass(frozen=True)
class NetworkRates:
    network: str
    cost_per_click: Decimal
    cost_per_mille: Decimal
    value_per_reaction: Decimal

    @property
    def label(self) -> str:
        return str(Network(self.network).label)


def _rate_field(label: StrOrPromise, network: str, index: int) -> models.DecimalField:  # type: ignore[type-arg]
    return models.DecimalField(
        label,
        max_digits=RATE_DIGITS,
        decimal_places=RATE_DECIMALS,
        default=EMV_DEFAULTS[network][index],
        validators=[MinValueValidator(Decimal("0"))],
    )


class EmvRates(TenantModel):
    """What the organisation counts a click, 1,000 impressions and a reaction on each network as worth, to turn its
    members' reach into earned media value (analytics.value). One row per organisation; the defaults (``EMV_DEFAULTS``)
    until an admin saves their own (``analytics.selectors.emv_rates``)."""

    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, default=Currency.EUR)
    linkedin_cost_per_click = _rate_field(_("LinkedIn: cost per click"), Network.LINKEDIN, 0)
    linkedin_cost_per_mille = _rate_field(_("LinkedIn: cost per 1,000 impressions"), Network.LINKEDIN, 1)
    linkedin_value_per_reaction = _rate_field(_("LinkedIn: value per reaction"), Network.LINKEDIN, 2)
    x_cost_per_click = _rate_field(_("X: cost per click"), Network.X, 0)
    x_cost_per_mille = _rate_field(_("X: cost per 1,000 impressions"), Network.X, 1)
    x_value_per_reaction = _rate_field(_("X: value per reaction"), Network.X, 2)
    updated_at = models.DateTimeField(auto_now=True)

    RATE_FIELDS = (
        "linkedin_cost_per_click",
        "linkedin_cost_per_mille",
        "linkedin_value_per_reaction",
        "x_cost_per_click",
        "x_cost_per_mille",
        "x_value_per_reaction",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="emv_rates_one_per_org"),
            models.CheckConstraint(
                condition=models.Q(linkedin_cost_per_click__gte=0)
                & models.Q(linkedin_cost_per_mille__gte=0)
                & models.Q(linkedin_value_per_reaction__gte=0)
                & models.Q(x_cost_per_click__gte=0)
                & models.Q(x_cost_per_mille__gte=0)
                & models.Q(x_value_per_reaction__gte=0),
                name="emv_rates_not_negative",
            ),
        ]
        verbose_name = _("earned media value rates")
        verbose_name_plural = _("earned media value rates")

    def for_network(self, network: str) -> NetworkRates:
        """The rates of one of ``PRICED_NETWORKS``."""
        if network not in PRICED_NETWORKS:
            raise ValueError(f"No rates for the network {network!r}")
        return NetworkRates(
            network=network,
            cost_per_click=getattr(self, f"{network}_cost_per_click"),
            cost_per_mille=getattr(self, f"{network}_cost_per_mille"),
            value_per_reaction=getattr(self, f"{network}_value_per_reaction"),
        )


class ProgrammeGoal(TenantModel):
    """What a programme aims for in one quarter of a year. Every target is optional; a quarter without a row has no
    goal. Progress is read from the daily rollups (``analytics.selectors.goal_progress``)."""

    class Quarter(models.IntegerChoices):
        Q1 = 1, _("Q1 (January to March)")
        Q2 = 2, _("Q2 (April to June)")
        Q3 = 3, _("Q3 (July to September)")
        Q4 = 4, _("Q4 (October to December)")

    programme = models.ForeignKey("advocacy.Programme", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    quarter = models.PositiveSmallIntegerField(_("quarter"), choices=Quarter.choices)
    active_ambassadors = models.PositiveIntegerField(
        _("active ambassadors"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    shares = models.PositiveIntegerField(_("shares"), null=True, blank=True, validators=[MinValueValidator(1)])
    unique_clicks = models.PositiveIntegerField(
        _("unique clicks"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    referrals = models.PositiveIntegerField(_("referrals"), null=True, blank=True, validators=[MinValueValidator(1)])
    updated_at = models.DateTimeField(auto_now=True)

    TARGETS = ("active_ambassadors", "shares", "unique_clicks", "referrals")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "programme", "year", "quarter"], name="programme_goal_one_per_quarter"
            ),
            models.CheckConstraint(condition=models.Q(quarter__gte=1, quarter__lte=4), name="programme_goal_quarter"),
        ]
        ordering = ["-year", "-quarter"]
        verbose_name = _("programme goal")

    def __str__(self) -> str:
        return f"{self.year} Q{self.quarter}"


class ReferralSettings(TenantModel):
    """How the careers site or the CRM reports referrals, and the figures of the cost-per-hire comparison. One row
    per organisation, created when an admin first saves it or generates the secret."""

    # The webhook's HMAC key, sealed like connected accounts' tokens (ambassadors.crypto): never logged, never
    # audited, shown once when generated.
    webhook_secret_sealed = models.TextField(blank=True)
    secret_rotated_at = models.DateTimeField(null=True, blank=True)
    agency_fee = models.DecimalField(_("agency fee per hire"), max_digits=12, decimal_places=2, null=True, blank=True)
    programme_cost_per_month = models.DecimalField(
        _("programme cost per month"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization"], name="referral_settings_one_per_org")]
        verbose_name = _("referral settings")


class ReferralEvent(TenantModel):
    """An application, a hire or a lead that a member's referral code brought, reported by the careers site or the
    CRM (``webhook``) or recorded by an admin (``manual``). ``post`` is set when the report names the post; else
    the event counts for the ambassador only."""

    class Kind(models.TextChoices):
        APPLICATION = "application", _("Application")
        HIRE = "hire", _("Hire")
        LEAD = "lead", _("Lead")

    class Source(models.TextChoices):
        WEBHOOK = "webhook", _("Webhook")
        MANUAL = "manual", _("Recorded by hand")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    # Kept when the member leaves: the code as reported still says whom the event was credited to.
    membership = models.ForeignKey(
        "advocacy.Membership", on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("ambassador")
    )
    referral_code = models.CharField(_("referral code"), max_length=16)
    post = models.ForeignKey(
        "content.Post", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("post")
    )
    occurred_at = models.DateTimeField(_("date"))
    source = models.CharField(max_length=16, choices=Source.choices)
    # The sender's Idempotency-Key (webhook only) and the SHA-256 of its body: a retry with the same key and body is
    # answered with the first event, another body under a used key is refused.
    idempotency_key = models.CharField(max_length=200, blank=True)
    body_digest = models.CharField(max_length=64, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="referral_event_idempotency_key",
            ),
        ]
        indexes = [models.Index(fields=["organization", "occurred_at"], name="referral_event_org_time")]
        verbose_name = _("referral event")


class Departure(TenantModel):
    """A member who left the organisation: what the retention figures read once their membership, shares and rollups
    are gone. Recorded when an admin removes the member (``departure_record_removal``) or from a list of leavers
    imported by an admin (``departures_import``), which may name a member still in Relais: their membership stays and
    the departure points to it until it is removed.

    No e-mail address is kept after someone left: ``email_digest`` is a keyed digest of the lower-cased address
    (``email_digest``), enough to match a later import and useless to anyone without the site's ``SECRET_KEY``;
    rotating that key makes earlier departures unmatchable by e-mail, nothing else. Dates are days in the
    organisation's time zone; the days on which the member published a share are kept as ``DepartureDay`` rows, so
    "active in the period" holds for any period, not only whole months.
    """

    class Source(models.TextChoices):
        REMOVED = "removed", _("Removed in Relais")
        IMPORTED = "imported", _("Imported list of leavers")

    # Set while the member is still in Relais (an imported departure); emptied when the membership is deleted.
    membership = models.OneToOneField(
        "advocacy.Membership", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    email_digest = models.CharField(max_length=64)
    joined_on = models.DateField(_("joined on"))
    left_on = models.DateField(_("left on"))
    # Where ``left_on`` comes from: an imported date replaces the day of the removal, never the other way round.
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    # The programmes the member belonged to when the departure was recorded (ids: a programme deleted later stays).
    programme_ids = models.JSONField(default=list, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "email_digest"], name="departure_digest"),
            models.Index(fields=["organization", "left_on"], name="departure_left_on"),
        ]
        verbose_name = _("departure")


def email_digest(organization_id: int, email: str) -> str:
    """The digest a departure keeps instead of the address: an HMAC keyed by ``SECRET_KEY`` and the organisation, so
    the same person's digests differ from one organisation to the next."""
    return salted_hmac(
        f"relais.analytics.departure.{organization_id}", email.strip().lower(), algorithm="sha256"
    ).hexdigest()


class DepartureDay(TenantModel):
    """A day (in the organisation's time zone) on which a departed member published at least one share."""

    departure = models.ForeignKey(Departure, on_delete=models.CASCADE, related_name="active_days")
    day = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["departure", "day"], name="departure_day_unique")]


class WeeklySummary(TenantModel):
    """Whether a member who reads the dashboard gets its figures by e-mail every Monday morning, and when the next one
    goes out (UTC, kept by ``analytics.summaries`` so the beat's tick is one indexed range scan). Made by the tick for
    every member holding ``analytics.view``; a member whose role no longer holds it keeps the row, unused."""

    membership = models.OneToOneField("advocacy.Membership", on_delete=models.CASCADE, related_name="+")
    enabled = models.BooleanField(_("weekly summary of the figures"), default=True)
    # None while turned off.
    next_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "membership"], name="weekly_summary_one_per_membership")
        ]
        indexes = [models.Index(fields=["next_at"], condition=models.Q(enabled=True), name="weekly_summary_due")]
        verbose_name = _("weekly summary")

    def __str__(self) -> str:
        return f"weekly summary of {self.membership_id}"


class Export(TenantModel):
    """A dashboard export too large to build during the request (``analytics.exports``), written by a worker. Its file
    sits in the default storage under ``org/<id>/exports/``, a folder no media rule serves: only
    ``ExportDownloadView`` hands it over, to the member who asked. Deleted with its file once expired."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("In progress")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"

    requested_by = models.ForeignKey("advocacy.Membership", on_delete=models.CASCADE, related_name="+")
    table = models.CharField(max_length=32)
    file_format = models.CharField(max_length=8, choices=Format.choices)
    # The dashboard's query: start and end (ISO dates), programme and topic ids, network.
    filters = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    rows_done = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveIntegerField(default=0)
    stored_name = models.CharField(max_length=300, blank=True)
    download_name = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["organization", "requested_by", "-created_at"], name="export_org_member"),
            models.Index(fields=["expires_at"], name="export_expiry"),
        ]

    def __str__(self) -> str:
        return f"{self.table}.{self.file_format} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return min(99, 100 * self.rows_done // self.rows_total) if self.rows_total else 0
