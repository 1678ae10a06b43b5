"""Give the demo organisation something to share: its charter (published, each ambassador still chooses to join)
and a few approved posts on a few topics, each with the communications team's angle and LinkedIn and X variants.

Idempotent, like ``seed_demo`` which must run first: ``make run`` calls both on each start. It lives in this app
because ``advocacy`` imports no feature app.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from advocacy.models import Membership, Organization
from advocacy.roles import Role
from advocacy.tenancy import organization_scope
from charter.models import CharterVersion
from charter.seed import charter_template
from charter.services import charter_draft_save, charter_publish
from content.models import Network, Post, PostVariant, Topic

# The job offer credits the ambassador who brought each visitor, as a careers site reading ``ref`` would.
REFERRAL_PARAMETERS = {"https://www.example.com/carrieres/lyon": "ref"}

POSTS = [
    (
        "Notre rapport d'impact 2026 est en ligne",
        "https://www.example.com/impact-2026",
        ("Impact", "#15803d"),
        "Dites ce que ces chiffres changent dans votre métier : un exemple vécu vaut mieux qu'un pourcentage.",
        {
            Network.LINKEDIN: "Fier·e de partager notre rapport d'impact 2026 : 40 % d'émissions en moins "
            "en trois ans. Ce que j'en retiens, c'est le travail des équipes terrain.",
            Network.X: "Notre rapport d'impact 2026 : -40 % d'émissions en trois ans. Bravo aux équipes terrain !",
        },
    ),
    (
        "Nous recrutons 30 développeuses et développeurs à Lyon",
        "https://www.example.com/carrieres/lyon",
        ("Recrutement", "#b45309"),
        "Votre réseau est notre meilleur vivier : racontez une journée dans votre équipe, ce qui vous y a fait venir.",
        {
            Network.LINKEDIN: "Mon équipe recrute à Lyon ! Si vous aimez les produits utiles et le travail bien fait, "
            "parlons-en.",
            Network.X: "On recrute 30 devs à Lyon. Produits utiles, équipe bienveillante : écrivez-moi !",
        },
    ),
    (
        "Retour sur notre journée portes ouvertes",
        "https://www.example.com/blog/portes-ouvertes",
        ("Vie de l'entreprise", "#1d4ed8"),
        "Si vous y étiez, une rencontre ou une question de visiteur qui vous a marqué·e.",
        {
            Network.LINKEDIN: "Quelle belle journée portes ouvertes : merci aux 300 visiteurs et à toute l'équipe.",
            Network.X: "Merci aux 300 visiteurs de nos portes ouvertes !",
        },
    ),
]


class Command(BaseCommand):
    help = "Publish the demo organisation's charter and add approved posts to share (run seed_demo first)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", default="demo", help="Slug of the demo organisation (default: demo)")

    def handle(self, *args: Any, **options: Any) -> None:
        organization = Organization.objects.filter(slug=options["org"]).first()
        if organization is None:
            raise CommandError(f"No organisation {options['org']!r}: run seed_demo first.")
        with transaction.atomic(), organization_scope(organization):
            admin = Membership.objects.filter(role=Role.ADMIN).select_related("user").order_by("pk").first()
            by = admin.user if admin else None
            if not CharterVersion.objects.filter(status=CharterVersion.Status.PUBLISHED).exists():
                title, body = charter_template(language=organization.language, referent=by.display_name if by else None)
                draft = charter_draft_save(organization=organization, by=by, title=title, body=body)
                charter_publish(version=draft, by=by)
            created = 0
            for title, link, (topic_name, colour), note, variants in POSTS:
                if Post.objects.filter(title=title).exists():
                    continue
                topic, _created = Topic.objects.get_or_create(
                    organization=organization, name=topic_name, defaults={"colour": colour}
                )
                post = Post.objects.create(
                    organization=organization,
                    title=title,
                    link=link,
                    note=note,
                    # The job offer leads the feed: what the demo's communications team pushes this week.
                    featured=link in REFERRAL_PARAMETERS,
                    referral_parameter=REFERRAL_PARAMETERS.get(link, ""),
                    status=Post.Status.APPROVED,
                    approved_revision=1,
                    publish_at=timezone.now(),
                    approved_at=timezone.now(),
                    author=by,
                )
                post.topics.add(topic)
                for position, (network, text) in enumerate(variants.items()):
                    PostVariant.objects.create(
                        organization=organization, post=post, network=network, text=text, position=position
                    )
                created += 1
        self.stdout.write(self.style.SUCCESS(f"Demo content ready ({created} new posts)."))
