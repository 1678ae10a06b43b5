"""Ninety days of plausible activity for the demo organisation, so that a manager signing in to the demo sees every
chart filled: ambassadors joining over time, accepting the charter and connecting their accounts, shares of the demo
posts on weekday mornings and lunchtimes, their figures as the networks give them, the clicks on their links, the
applications, hires and leads that the job offers and the lead campaign brought, and the colleagues who left.

Everything is drawn from one seeded generator (``random.Random(seed)``), written in bulk, and the days' rollups are
built at the end. A second run finds the history's members and adds nothing. It writes rows directly rather than
through the services: the services act at the present moment (a share is published now, a member joins now), while
the history happens in the past; and it never writes a token — the connections it makes cannot publish.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from advocacy.models import Membership, Organization, Programme, ProgrammeMember, User
from advocacy.roles import Role
from ambassadors.metrics import schedule
from ambassadors.models import AmbassadorProfile, MetricSnapshot, Share, SocialConnection
from analytics.clicks import new_event_id
from analytics.links import destination_for, new_code, referral_code
from analytics.models import (
    DEFAULT_UTM_TEMPLATE,
    Click,
    Departure,
    DepartureDay,
    ReferralEvent,
    RollupState,
    TrackedLink,
    TrackingSettings,
    email_digest,
)
from analytics.referrals import body_digest
from analytics.rollups import rollup_days
from charter.models import CharterAcceptance, CharterVersion
from content.models import Network, Post, PostProgramme, PostTopic, PostVariant, Topic

# The password of every demo login (advocacy/management/commands/seed_demo.py).
DEMO_PASSWORD = "relais-demo-2026"  # noqa: S105 - printed on purpose: it signs in to sample data only

NAMES = (
    "Sophie Garnier", "Thomas Faure", "Julie Rousseau", "Nicolas Blanc", "Sarah Henry", "Maxime Roussel",
    "Pauline Nicolas", "Antoine Mercier", "Clara Fontaine", "Romain Chevalier", "Élise Girard", "Baptiste Lambert",
    "Margaux Bonnet", "Quentin Fabre", "Anaïs Morel", "Théo Gauthier", "Océane Perrin", "Alexandre Robin",
    "Justine Clément", "Mathieu Masson", "Noémie Lemaire", "Kévin Dupuis", "Amandine Brun", "Florian Lacroix",
    "Lukas Schneider", "Giulia Rossi", "Marta García", "João Silva", "Anna Kowalska", "Sven Lindqvist",
    "Eva Novák", "Pieter de Vries", "Aoife Murphy", "Nikos Papadopoulos", "Elena Popescu", "Mateo Fernández",
    "Clara Schmidt", "Luca Bianchi", "Ingrid Hansen", "Tomás Ó Briain",
)  # fmt: skip

# How much each topic is shared, and how much its links are clicked: apart, so that the dashboard's "topics shared
# vs clicked" has gaps to name (team life shared a lot and clicked little, job offers the reverse).
TOPICS = {
    "Vie de l'entreprise": ("#1d4ed8", 3.0, 3.0),
    "Impact": ("#15803d", 1.5, 9.0),
    "Produit": ("#7c3aed", 1.2, 13.0),
    "Recrutement": ("#b45309", 0.8, 26.0),
}

# Posts the comms team added over the period: title, link, topics, programme ("": everyone), when in the period
# (0 its first day, 1 today), LinkedIn and X texts.
HISTORY_POSTS = (
    ("Bienvenue à nos nouveaux arrivants", "https://www.example.com/blog/bienvenue", ("Vie de l'entreprise",),
     "marque-employeur", 0.04,
     "Douze nouvelles têtes cette semaine : bienvenue dans l'équipe !", "Bienvenue aux 12 nouveaux arrivants !"),
    ("Notre application mobile est disponible", "https://www.example.com/produit/mobile", ("Produit",), "produit",
     0.14, "Après un an de travail, notre application mobile est en ligne. Je suis fier·e d'y avoir contribué.",
     "Notre appli mobile est en ligne !"),
    ("Les coulisses de notre séminaire d'équipe", "https://www.example.com/blog/seminaire", ("Vie de l'entreprise",),
     "marque-employeur", 0.27, "Deux jours pour prendre du recul et avancer ensemble : retour sur notre séminaire.",
     "Retour sur notre séminaire d'équipe."),
    ("Stages et alternances : nos offres de la rentrée", "https://www.example.com/carrieres/alternance",
     ("Recrutement",), "marque-employeur", 0.38,
     "Vous cherchez une alternance qui a du sens ? Nos équipes accueillent 15 alternants cette année.",
     "15 alternances ouvertes chez nous, à vos candidatures !"),
    ("Webinaire : ce que l'IA change dans notre produit", "https://www.example.com/evenements/webinaire-ia",
     ("Produit",), "produit", 0.5,
     "Jeudi, nous montrons en direct ce que l'IA change pour nos clients. Inscrivez-vous !",
     "Webinaire jeudi : l'IA dans notre produit."),
    ("Notre bilan carbone fournisseurs, étape par étape", "https://www.example.com/impact/fournisseurs", ("Impact",),
     "", 0.6, "Mesurer les émissions de nos fournisseurs, c'est long mais indispensable. Voici où nous en sommes.",
     "Bilan carbone fournisseurs : où nous en sommes."),
    ("Afterwork solidaire : 12 000 € collectés", "https://www.example.com/blog/afterwork-solidaire",
     ("Vie de l'entreprise", "Impact"), "", 0.7,
     "Merci à toutes celles et ceux qui sont venus : 12 000 € pour l'association de notre quartier.",
     "12 000 € collectés à notre afterwork solidaire, merci !"),
    ("Nous recrutons des commerciaux à Bordeaux", "https://www.example.com/carrieres/bordeaux", ("Recrutement",), "",
     0.8, "Notre équipe de Bordeaux s'agrandit : si vous aimez le terrain et les clients, parlons-en.",
     "On recrute des commerciaux à Bordeaux !"),
    ("L'export comptable en un clic", "https://www.example.com/produit/export", ("Produit",), "produit", 0.9,
     "La fonctionnalité la plus demandée par nos clients est là : l'export comptable en un clic.",
     "Nouveau : l'export comptable en un clic."),
)  # fmt: skip

# The posts that bring applications or leads, by link: their links carry each member's referral code under ``ref``.
CAMPAIGNS = {
    "https://www.example.com/carrieres/lyon": Post.Campaign.JOB_OFFER,
    "https://www.example.com/carrieres/alternance": Post.Campaign.JOB_OFFER,
    "https://www.example.com/carrieres/bordeaux": Post.Campaign.JOB_OFFER,
    "https://www.example.com/evenements/webinaire-ia": Post.Campaign.LEAD_CAMPAIGN,
}
REFERRAL_PARAMETER = "ref"
# Of a campaign link's visitors (once a day each), how many apply to the job or sign up to the webinar, reported by
# the careers site or the CRM within hours; of the applicants, how many are hired some weeks later.
APPLICATION_RATE = 0.04
LEAD_RATE = 0.25
HIRE_RATE = 0.2
HIRING_DAYS = (12.0, 40.0)

# Colleagues who have left the company: (name, shared while they were there, joined in the pilot a year before the
# launch). Their memberships, shares and rollups went with them; their departures stay for the retention page, whose
# default quarter (its 180 days of horizon over) ends before the history starts and holds the pilot's people only.
LEAVERS = (
    ("Adrien Vidal", True, True),
    ("Léna Marchand", True, True),
    ("Yanis Benali", True, False),
    ("Gaëlle Renaud", True, False),
    ("Camille Roche", False, True),
    ("Morgane Carré", False, True),
    ("Bastien Leclerc", False, True),
    ("Sandrine Collet", False, False),
    ("Olivier Prévost", False, False),
    ("Régis Fournier", False, False),
)
PILOT_DAYS = (300, 420)

PROGRAMMES = ("marque-employeur", "produit")
# The demo_content posts' place in the period (its first days): they were the programme's launch.
LAUNCH_POSTS = (0.0, 0.01, 0.08)
# Monday to Sunday: people share and click on weekdays.
WEEKDAY_WEIGHT = (1.0, 1.0, 0.95, 0.9, 0.8, 0.15, 0.1)
# When people click, by local hour: the morning commute, lunch and the evening.
HOUR_WEIGHT = (
    0.05, 0.02, 0.02, 0.02, 0.03, 0.1, 0.3, 0.7, 1.0, 0.9, 0.7, 0.6,
    0.9, 1.0, 0.6, 0.5, 0.5, 0.6, 0.7, 0.6, 0.5, 0.4, 0.25, 0.1,
)  # fmt: skip
REFERRERS: dict[str, tuple[str, ...]] = {
    Network.LINKEDIN: ("www.linkedin.com", "lnkd.in", ""),
    Network.X: ("t.co", "t.co", ""),
}
PREVIEW_DELAY = timedelta(seconds=4)
OWN_WORDS = (
    "Je le vis au quotidien dans mon équipe.",
    "Ce qui me rend fier·e de travailler ici :",
    "À lire, et à partager autour de vous !",
    "Un sujet qui me tient à cœur.",
    "Ravi·e de voir ce projet aboutir.",
)


Kind = ReferralEvent.Kind


class HistoryExists(Exception):
    """The organisation already has the demo history: a second run would double it."""


class DemoMissing(Exception):
    """The organisation lacks what seed_demo and seed_demo_content make: its programmes, an admin, a charter."""


@dataclass
class Summary:
    members: int = 0
    posts: int = 0
    shares: int = 0
    snapshots: int = 0
    links: int = 0
    clicks: int = 0
    filtered: int = 0
    referral_events: int = 0
    departures: int = 0
    rollup_rows: int = 0
    days: tuple[date, date] | None = None


@dataclass
class _Offer:
    """A post as the history draws it: how often its topic is shared and clicked, its texts, its programmes."""

    post: Post
    shared: float
    clicked: float
    variants: dict[str, PostVariant]
    programmes: set[int]


@dataclass
class _Member:
    membership: Membership
    joined_at: datetime
    programmes: set[int]
    connections: dict[str, SocialConnection] = field(default_factory=dict)
    ready_at: datetime | None = None


def history_emails(slug: str) -> list[str]:
    return [f"{_ascii(name).replace(' ', '.')}@{slug}.relais.test" for name in NAMES]


def _ascii(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(c for c in text.lower() if c.isalnum() or c == " ")


@transaction.atomic
def seed_history(*, organization: Organization, days: int, seed: int, now: datetime | None = None) -> Summary:
    """Write ``days`` days of history ending ``now`` for the organisation (run in its scope, after seed_demo and
    seed_demo_content); raise ``HistoryExists`` when it has it already."""
    emails = history_emails(organization.slug)
    if Membership.objects.filter(organization=organization, user__email__in=emails).exists():
        raise HistoryExists(organization.slug)
    now = now or timezone.now()
    world = _History(organization=organization, days=days, rng=random.Random(seed), now=now)
    return world.run(emails)


class _History:
    def __init__(self, *, organization: Organization, days: int, rng: random.Random, now: datetime) -> None:
        self.organization = organization
        self.rng = rng
        self.now = now
        self.zone = ZoneInfo(organization.time_zone)
        self.last_day = now.astimezone(self.zone).date()
        self.first_day = self.last_day - timedelta(days=days - 1)
        self.start = datetime.combine(self.first_day, time(9), tzinfo=self.zone)
        self.span = now - self.start
        self.summary = Summary(days=(self.first_day, self.last_day))

    def at(self, fraction: float) -> datetime:
        return self.start + self.span * fraction

    def run(self, emails: list[str]) -> Summary:
        programmes = {p.slug: p for p in Programme.objects.filter(organization=self.organization, slug__in=PROGRAMMES)}
        admin = (
            Membership.objects.filter(organization=self.organization, role=Role.ADMIN)
            .select_related("user")
            .order_by("pk")
            .first()
        )
        charter = CharterVersion.objects.filter(
            organization=self.organization, status=CharterVersion.Status.PUBLISHED
        ).first()
        if len(programmes) < len(PROGRAMMES) or admin is None or charter is None:
            raise DemoMissing("Run seed_demo and seed_demo_content first.")
        self._backdate_founders(charter)
        members = self._members(emails, programmes)
        self._charter_and_connections(members, charter)
        shares = self._shares(members, self._posts(programmes, admin.user))
        self._snapshots([share for share, _clicked in shares])
        self._referrals(self._links_and_clicks(shares))
        self._departures(programmes)
        self.summary.rollup_rows = rollup_days(
            organization=self.organization, first_day=self.first_day, last_day=self.last_day
        )
        RollupState.objects.update_or_create(organization=self.organization, defaults={"covered_until": self.now})
        return self.summary

    # --- People ------------------------------------------------------------------------------------------------

    def _backdate_founders(self, charter: CharterVersion) -> None:
        """The members seed_demo made, and the charter, were there before the period: the programme's first team."""
        before = self.start - timedelta(days=7)
        Membership.objects.filter(organization=self.organization, created_at__gt=before).update(created_at=before)
        CharterVersion.objects.filter(pk=charter.pk, published_at__gt=before).update(
            created_at=before, published_at=before
        )

    def _members(self, emails: list[str], programmes: dict[str, Programme]) -> list[_Member]:
        password = make_password(DEMO_PASSWORD)
        existing = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
        User.objects.bulk_create(
            [
                User(email=email, full_name=name, password=password)
                for name, email in zip(NAMES, emails, strict=True)
                if email not in existing
            ]
        )
        users = {user.email: user for user in User.objects.filter(email__in=emails)}
        EmailAddress.objects.bulk_create(
            [EmailAddress(user=user, email=email, verified=True, primary=True) for email, user in users.items()],
            ignore_conflicts=True,
        )
        rows = [Membership(organization=self.organization, user=users[email], role=Role.AMBASSADOR) for email in emails]
        Membership.objects.bulk_create(rows)
        members = []
        links = []
        for membership in rows:
            # A launch wave in the first week, then people join along the way.
            fraction = self.rng.uniform(0, 0.08) if self.rng.random() < 0.35 else self.rng.uniform(0, 0.97)
            membership.created_at = self._working_hours(self.at(fraction))
            draw = self.rng.random()
            chosen = {"marque-employeur"} if draw < 0.55 else {"produit"} if draw < 0.9 else set(PROGRAMMES)
            members.append(_Member(membership, membership.created_at, {programmes[slug].pk for slug in chosen}))
            links += [
                ProgrammeMember(organization=self.organization, programme=programmes[slug], membership=membership)
                for slug in sorted(chosen)
            ]
        Membership.objects.bulk_update(rows, ["created_at"])
        ProgrammeMember.objects.bulk_create(links)
        # About two in three chose to be named in rankings, so the demo's rankings show names and the neutral label.
        AmbassadorProfile.objects.bulk_create(
            [
                AmbassadorProfile(organization=self.organization, membership=membership, show_in_rankings=True)
                for membership in rows
                if self.rng.random() < 0.65
            ]
        )
        self.summary.members = len(rows)
        return members

    def _working_hours(self, moment: datetime) -> datetime:
        local = moment.astimezone(self.zone)
        local = local.replace(hour=self.rng.randint(8, 17), minute=self.rng.randint(0, 59))
        return min(local, self.now)

    def _charter_and_connections(self, members: list[_Member], charter: CharterVersion) -> None:
        acceptances, connections = [], []
        for member in members:
            if self.rng.random() > 0.88:
                continue
            accepted_at = min(member.joined_at + timedelta(hours=self.rng.uniform(0.2, 60)), self.now)
            acceptances.append(
                CharterAcceptance(
                    organization=self.organization,
                    membership=member.membership,
                    version=charter,
                    accepted_at=accepted_at,
                    client_digest=hashlib.sha256(f"demo {member.membership.pk}".encode()).hexdigest(),
                )
            )
            wanted = [
                provider
                for provider, chance in ((Network.LINKEDIN, 0.85), (Network.X, 0.4))
                if self.rng.random() < chance
            ]
            for provider in wanted:
                connection = self._connection(member, provider, accepted_at)
                member.connections[provider] = connection
                connections.append(connection)
            member.ready_at = accepted_at + timedelta(hours=self.rng.uniform(0.1, 72))
        CharterAcceptance.objects.bulk_create(acceptances)
        SocialConnection.objects.bulk_create(connections)

    def _connection(self, member: _Member, provider: str, accepted_at: datetime) -> SocialConnection:
        """An account connected without any token: the demo cannot publish with it, and the refresh and expiry jobs
        leave it alone (nothing to renew, no end date). A few have since lost their access and show so."""
        name = member.membership.user.full_name
        lost = self.rng.random() < 0.1
        scopes = ["openid", "profile", "email", "w_member_social", "r_member_social"]
        if provider == Network.X:
            scopes = ["tweet.read", "tweet.write", "users.read", "offline.access", "media.write"]
        return SocialConnection(
            organization=self.organization,
            membership=member.membership,
            provider=provider,
            provider_uid=f"demo-{member.membership.pk}-{provider}",
            display_name=name,
            username=_ascii(name).replace(" ", "_") if provider == Network.X else "",
            scopes=scopes,
            metrics_granted=True,
            status=SocialConnection.Status.NEEDS_RECONNECT if lost else SocialConnection.Status.ACTIVE,
            last_error_code=SocialConnection.ReconnectReason.EXPIRED if lost else "",
            last_error_at=self.now - timedelta(days=self.rng.randint(1, 10)) if lost else None,
            connected_at=min(accepted_at + timedelta(minutes=self.rng.uniform(2, 600)), self.now),
        )

    # --- Posts and shares --------------------------------------------------------------------------------------

    def _posts(self, programmes: dict[str, Programme], author: User) -> list[_Offer]:
        """Every demo post with its share and click appeal and its variants by network, the demo_content posts
        moved to the period's first days."""
        topics = {}
        for name, (colour, _shared, _clicked) in TOPICS.items():
            topics[name], _created = Topic.objects.get_or_create(
                organization=self.organization, name=name, defaults={"colour": colour}
            )
        launch = list(Post.objects.filter(organization=self.organization, status=Post.Status.APPROVED).order_by("pk"))
        for post, fraction in zip(launch, LAUNCH_POSTS, strict=False):
            moment = self.at(fraction)
            if post.publish_at is None or post.publish_at > moment:
                post.publish_at = post.approved_at = post.created_at = moment
            _as_campaign(post)
        Post.objects.bulk_update(launch, ["publish_at", "approved_at", "created_at", "campaign", "referral_parameter"])
        new_posts, topic_links, programme_links, variants = [], [], [], []
        for title, link, _topics, _programme, fraction, _linkedin, _x in HISTORY_POSTS:
            moment = self.at(fraction)
            post = Post(
                organization=self.organization,
                title=title,
                link=link,
                status=Post.Status.APPROVED,
                approved_revision=1,
                publish_at=moment,
                approved_at=moment,
                author=author,
            )
            _as_campaign(post)
            new_posts.append(post)
        Post.objects.bulk_create(new_posts)
        for post, (_title, _link, topic_names, programme, fraction, linkedin, x) in zip(
            new_posts, HISTORY_POSTS, strict=True
        ):
            post.created_at = self.at(fraction) - timedelta(days=1)
            topic_links += [PostTopic(organization=self.organization, post=post, topic=topics[n]) for n in topic_names]
            if programme:
                programme_links.append(
                    PostProgramme(organization=self.organization, post=post, programme=programmes[programme])
                )
            variants += [
                PostVariant(organization=self.organization, post=post, network=Network.LINKEDIN, text=linkedin),
                PostVariant(organization=self.organization, post=post, network=Network.X, text=x, position=1),
            ]
        Post.objects.bulk_update(new_posts, ["created_at"])
        PostTopic.objects.bulk_create(topic_links)
        PostProgramme.objects.bulk_create(programme_links)
        PostVariant.objects.bulk_create(variants)
        self.summary.posts = len(new_posts)
        posts = launch + new_posts
        names = dict(
            PostTopic.objects.filter(organization=self.organization, post__in=posts).values_list(
                "post_id", "topic__name"
            )
        )
        in_programmes: dict[int, set[int]] = {}
        for post_id, programme_id in PostProgramme.objects.filter(
            organization=self.organization, post__in=posts
        ).values_list("post_id", "programme_id"):
            in_programmes.setdefault(post_id, set()).add(programme_id)
        by_post: dict[int, dict[str, PostVariant]] = {}
        for variant in PostVariant.objects.filter(organization=self.organization, post__in=posts).order_by("position"):
            by_post.setdefault(variant.post_id, {}).setdefault(variant.network, variant)
        offers = []
        for post in posts:
            _colour, shared, clicked = TOPICS.get(names.get(post.pk, ""), ("", 1.0, 8.0))
            offers.append(_Offer(post, shared, clicked, by_post.get(post.pk, {}), in_programmes.get(post.pk, set())))
        return offers

    def _shares(self, members: list[_Member], offers: list[_Offer]) -> list[tuple[Share, float]]:
        """The shares published, each with how much its topic is clicked."""
        rows: list[tuple[Share, float]] = []
        for member in members:
            if member.ready_at is None or not member.connections:
                continue
            draw = self.rng.random()
            # Some never share, some share once, some for their first weeks only, the rest keep going.
            kind = "never" if draw < 0.2 else "once" if draw < 0.42 else "fading" if draw < 0.7 else "regular"
            if kind == "never":
                continue
            days = self._sharing_days(kind, member.ready_at)
            done: set[tuple[int, str]] = set()
            for day in days:
                moment = self._sharing_moment(day)
                if moment < member.ready_at or moment > self.now:
                    continue
                drawn = self._share(member, offers, moment, done)
                if drawn is not None:
                    rows.append(drawn)
        shares = [share for share, _clicked in rows]
        Share.objects.bulk_create(shares)
        # Stamped as of their publication, so the incremental rollup does not take them for new changes.
        for share in shares:
            share.created_at = share.updated_at = share.published_at or self.now
        Share.objects.bulk_update(shares, ["created_at", "updated_at"])
        self.summary.shares = len(rows)
        return rows

    def _sharing_days(self, kind: str, ready_at: datetime) -> list[date]:
        first = ready_at.astimezone(self.zone).date()
        if kind == "once":
            return [first + timedelta(days=self.rng.randint(0, 10))]
        rate_until = first + timedelta(days=21 if kind == "fading" else 10_000)
        days = []
        day = first
        while day <= self.last_day:
            rate = 0.5 if day <= rate_until else 0.03
            if self.rng.random() < rate * WEEKDAY_WEIGHT[day.weekday()]:
                days.append(day)
            day += timedelta(days=1)
        return days

    def _sharing_moment(self, day: date) -> datetime:
        draw = self.rng.random()
        hour = self.rng.choice((8, 9)) if draw < 0.55 else self.rng.choice((12, 13)) if draw < 0.9 else 18
        return datetime.combine(day, time(hour, self.rng.randint(0, 59), self.rng.randint(0, 59)), tzinfo=self.zone)

    def _share(
        self,
        member: _Member,
        offers: list[_Offer],
        moment: datetime,
        done: set[tuple[int, str]],
    ) -> tuple[Share, float] | None:
        """One share, on one of the member's networks, of a post live at ``moment`` in their programmes that they have
        not shared there yet, chosen by topic appeal and freshness; None when there is none left."""
        network = self.rng.choice(sorted(member.connections))
        candidates, weights = [], []
        for offer in offers:
            published = offer.post.publish_at
            if published is None or published > moment or (offer.post.pk, network) in done:
                continue
            if network not in offer.variants or (offer.programmes and not offer.programmes & member.programmes):
                continue
            candidates.append(offer)
            weights.append(offer.shared * math.exp(-(moment - published).total_seconds() / 86400 / 12) + 0.01)
        if not candidates:
            return None
        offer = self.rng.choices(candidates, weights)[0]
        post = offer.post
        done.add((post.pk, network))
        variant = offer.variants[network]
        # Two shares in five start with a word of the member's own; the rest take the suggested text as it is.
        own = self.rng.choice(OWN_WORDS) if network == Network.LINKEDIN and self.rng.random() < 0.4 else ""
        number = self.rng.randrange(10**18, 10**19)
        urn = f"urn:li:share:{number}" if network == Network.LINKEDIN else str(number)
        share = Share(
            organization=self.organization,
            membership=member.membership,
            post=post,
            network=network,
            connection=member.connections[network],
            text=f"{own} {variant.text}" if own else variant.text,
            link=post.link,
            variant=variant,
            similarity=self.rng.uniform(0.55, 0.8) if own else 1.0,
            status=Share.Status.PUBLISHED,
            attempts=1,
            external_id=urn,
            published_at=moment,
            # Nothing polls the demo's figures: its connections have no token to read them with.
            metrics_state=Share.MetricsState.DONE,
        )
        return share, offer.clicked

    # --- What the networks and the readers gave back -----------------------------------------------------------

    def _snapshots(self, shares: list[Share]) -> None:
        """The decaying poll schedule's snapshots taken by now, growing towards each share's final figures.
        LinkedIn's member social actions give likes and comments only; X gives impressions too
        (provider-contracts.md §1.4, §2.4). What a network does not give stays None."""
        rows = []
        for share in shares:
            assert share.published_at is not None
            if share.network == Network.LINKEDIN:
                likes = self.rng.lognormvariate(math.log(14), 0.8)
                final = {"likes": likes, "comments": likes * self.rng.uniform(0.05, 0.2)}
            else:
                impressions = self.rng.lognormvariate(math.log(450), 0.9)
                likes = impressions * self.rng.uniform(0.01, 0.04)
                final = {
                    "impressions": impressions,
                    "likes": likes,
                    "comments": likes * self.rng.uniform(0.05, 0.3),
                    "reshares": likes * self.rng.uniform(0.05, 0.25),
                }
            taken = 0
            for slot, offset in enumerate(schedule(), start=1):
                moment = share.published_at + offset
                if moment > self.now:
                    break
                grown = 1 - math.exp(-offset.total_seconds() / 3600 / 16)
                rows.append(
                    MetricSnapshot(
                        organization=self.organization,
                        share=share,
                        slot=slot,
                        taken_at=moment,
                        **{name: round(value * grown) for name, value in final.items()},
                    )
                )
                taken += 1
            share.metrics_polls = taken
        MetricSnapshot.objects.bulk_create(rows)
        Share.objects.bulk_update(shares, ["metrics_polls"])
        self.summary.snapshots = len(rows)

    def _links_and_clicks(self, shares: list[tuple[Share, float]]) -> list[Click]:
        template = (
            TrackingSettings.objects.filter(organization=self.organization)
            .values_list("utm_template", flat=True)
            .first()
        )
        template = DEFAULT_UTM_TEMPLATE if template is None else template
        links = []
        for share, _clicked in shares:
            post = share.post
            referral = (post.referral_parameter, referral_code(share.membership)) if post.referral_parameter else None
            links.append(
                TrackedLink(
                    organization=self.organization,
                    code=new_code(),
                    share=share,
                    post=post,
                    membership=share.membership,
                    network=share.network,
                    destination=destination_for(
                        link=share.link,
                        template=template,
                        organization=self.organization,
                        post=post,
                        network=share.network,
                        referral=referral,
                    ),
                )
            )
        TrackedLink.objects.bulk_create(links)
        clicks: list[Click] = []
        for (share, clicked), link in zip(shares, links, strict=True):
            clicks += self._clicks(share, link, clicked)
        Click.objects.bulk_create(clicks, batch_size=2000)
        TrackedLink.objects.bulk_update(links, ["clicks", "unique_clicks", "filtered_clicks", "last_clicked_at"])
        self.summary.links = len(links)
        self.summary.clicks = sum(1 for row in clicks if not row.filtered)
        self.summary.filtered = len(clicks) - self.summary.clicks
        return clicks

    def _clicks(self, share: Share, link: TrackedLink, clicked: float) -> list[Click]:
        """A share's clicks, mostly in its first two days, in the readers' waking hours and more on weekdays;
        a link preview fetched as it is posted, and now and then a robot."""
        assert share.published_at is not None
        appeal = clicked * (1.0 if share.network == Network.LINKEDIN else 0.6)
        count = round(appeal * self.rng.lognormvariate(0, 0.7))
        visitors = max(1, round(count * 0.8))
        moments = [m for m in (self._click_moment(share.published_at) for _ in range(count)) if m is not None]
        moments.sort()
        seen: set[tuple[date, str]] = set()
        rows = []
        for moment in moments:
            day = moment.astimezone(self.zone).date()
            visitor = hashlib.blake2b(
                f"{link.code} {self.rng.randrange(visitors)} {day}".encode(), digest_size=16
            ).hexdigest()
            first = (day, visitor) not in seen
            seen.add((day, visitor))
            rows.append(self._click(link, moment, visitor, first=first))
        link.clicks = len(rows)
        link.unique_clicks = len(seen)
        link.last_clicked_at = moments[-1] if moments else None
        filtered = [self._click(link, share.published_at + PREVIEW_DELAY, "", reason=Click.Filtered.PREVIEW)]
        if self.rng.random() < 0.3:
            robot = self._click_moment(share.published_at)
            if robot is not None:
                filtered.append(self._click(link, robot, "", reason=Click.Filtered.BOT))
        filtered = [row for row in filtered if row.clicked_at <= self.now]
        link.filtered_clicks = len(filtered)
        return rows + filtered

    def _click_moment(self, published_at: datetime) -> datetime | None:
        for _attempt in range(8):
            moment = (published_at + timedelta(hours=self.rng.expovariate(1 / 14))).astimezone(self.zone)
            weight = HOUR_WEIGHT[moment.hour] * (WEEKDAY_WEIGHT[moment.weekday()] * 0.6 + 0.4)
            if self.rng.random() < weight:
                return moment if moment <= self.now else None
        return None

    def _click(
        self, link: TrackedLink, moment: datetime, visitor: str, *, first: bool = False, reason: str = ""
    ) -> Click:
        return Click(
            organization=self.organization,
            clicked_at=moment,
            event_id=new_event_id(moment),
            link=link,
            share_id=link.share_id,
            membership_id=link.membership_id,
            post_id=link.post_id,
            network=link.network,
            referrer_host="" if reason else self.rng.choice(REFERRERS[link.network]),
            visitor_hash=visitor or hashlib.blake2b(f"{link.code} robot {moment}".encode(), digest_size=16).hexdigest(),
            first_of_day=first,
            filtered=reason,
        )

    # --- What the campaigns brought, and who left ----------------------------------------------------------------

    def _referrals(self, clicks: list[Click]) -> None:
        """Applications and leads from the campaign links' visitors, a few hours after their visit, and some of the
        applicants hired weeks later; each credited to the member whose link it was, as the webhook reports them."""
        events: list[ReferralEvent] = []
        codes: dict[int, str] = {}
        for click in clicks:
            link = click.link
            campaign = link.post.campaign
            # A visitor's first click of the day: one person, not each reload.
            if not campaign or not click.first_of_day:
                continue
            job = campaign == Post.Campaign.JOB_OFFER
            if self.rng.random() >= (APPLICATION_RATE if job else LEAD_RATE):
                continue
            if link.membership_id not in codes:
                codes[link.membership_id] = referral_code(link.membership)
            code = codes[link.membership_id]
            moment = click.clicked_at + timedelta(minutes=self.rng.uniform(5, 600))
            if moment > self.now:
                continue
            events.append(self._referral_event(link, code, Kind.APPLICATION if job else Kind.LEAD, moment))
            hired = moment + timedelta(days=self.rng.uniform(*HIRING_DAYS))
            if job and self.rng.random() < HIRE_RATE and hired <= self.now:
                events.append(self._referral_event(link, code, Kind.HIRE, hired))
        ReferralEvent.objects.bulk_create(events)
        self.summary.referral_events = len(events)

    def _referral_event(self, link: TrackedLink, code: str, kind: str, moment: datetime) -> ReferralEvent:
        body = {"event": kind, "referral_code": code, "occurred_at": moment.isoformat(), "link": link.destination}
        return ReferralEvent(
            organization=self.organization,
            kind=kind,
            membership=link.membership,
            referral_code=code,
            post=link.post,
            occurred_at=moment,
            source=ReferralEvent.Source.WEBHOOK,
            idempotency_key=f"demo-{self.rng.getrandbits(64):016x}",
            body_digest=body_digest(json.dumps(body).encode()),
        )

    def _departures(self, programmes: dict[str, Programme]) -> None:
        """Colleagues who joined at the launch or in the pilot before it and left during the period (before today),
        recorded as a removal records them: a digest of their address, the days they joined and left, their programme
        and the days they shared on."""
        period = _days(self.first_day, self.last_day - timedelta(days=1))
        departures, days = [], []
        for name, shared, pilot in LEAVERS:
            if pilot:
                joined = self.first_day - timedelta(days=self.rng.randint(*PILOT_DAYS))
            else:
                joined = self.first_day + timedelta(days=self.rng.randint(0, len(period) // 4))
            left = self.rng.choice([day for day in period if day > joined] or [self.last_day])
            slug = self.rng.choice(PROGRAMMES)
            email = f"{_ascii(name).replace(' ', '.')}@{self.organization.slug}.relais.test"
            departure = Departure(
                organization=self.organization,
                email_digest=email_digest(self.organization.pk, email),
                joined_on=joined,
                left_on=left,
                source=Departure.Source.REMOVED,
                programme_ids=[programmes[slug].pk],
            )
            departures.append(departure)
            if shared:
                days += [
                    DepartureDay(organization=self.organization, departure=departure, day=day)
                    for day in _days(joined, left)
                    if self.rng.random() < 0.25 * WEEKDAY_WEIGHT[day.weekday()]
                ]
        Departure.objects.bulk_create(departures)
        DepartureDay.objects.bulk_create(days)
        self.summary.departures = len(departures)


def _as_campaign(post: Post) -> None:
    """A post whose link is one of ``CAMPAIGNS`` becomes that campaign, unless it is one already."""
    if post.link in CAMPAIGNS and not post.campaign:
        post.campaign = CAMPAIGNS[post.link]
        post.referral_parameter = post.referral_parameter or REFERRAL_PARAMETER


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
