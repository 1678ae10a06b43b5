"""Seed a demo organisation to try Relais with: one member per role, five ambassadors, two programmes.

Idempotent: a second run finds every row and creates nothing, so ``make run`` can call it on each start.
"""

from dataclasses import dataclass
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.urls import reverse

from advocacy.models import Membership, Organization, Programme, ProgrammeMember, User
from advocacy.roles import Role
from advocacy.services import audit_log, organization_create, programme_create, programme_set_member
from advocacy.tenancy import organization_scope

DEMO_PASSWORD = "relais-demo-2026"  # noqa: S105 - printed on purpose: it signs in to sample data only


@dataclass(frozen=True)
class Person:
    login: str
    name: str
    role: Role
    programme: str = ""
    programme_admin: bool = False


PEOPLE = [
    Person("admin", "Camille Martin", Role.ADMIN),
    Person("editor", "Léa Bernard", Role.EDITOR, "produit", programme_admin=True),
    Person("legal", "Hugo Dubois", Role.APPROVER),
    Person("comms", "Chloé Moreau", Role.APPROVER),
    Person("manager", "Louis Laurent", Role.MANAGER, "marque-employeur", programme_admin=True),
    Person("ambassador1", "Manon Simon", Role.AMBASSADOR, "marque-employeur"),
    Person("ambassador2", "Jules Michel", Role.AMBASSADOR, "marque-employeur"),
    Person("ambassador3", "Inès Lefebvre", Role.AMBASSADOR, "marque-employeur"),
    Person("ambassador4", "Lucas Leroy", Role.AMBASSADOR, "produit"),
    Person("ambassador5", "Emma Roux", Role.AMBASSADOR, "produit"),
]

PROGRAMMES = {
    "marque-employeur": ("Marque employeur", "Vie de l'équipe, recrutement, événements."),
    "produit": ("Produit et innovation", "Lancements, démonstrations et articles techniques."),
}


def _demo_name(slug: str) -> str:
    return "Démo Relais" if slug == "demo" else f"Démo Relais ({slug})"


class Command(BaseCommand):
    help = "Create (or complete) a French demo organisation with one member per role and print the logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", default="demo", help="Slug of the demo organisation (default: demo)")

    def handle(self, *args: Any, **options: Any) -> None:
        slug = options["org"]
        try:
            Organization._meta.get_field("slug").run_validators(slug)
        except ValidationError as exc:
            raise CommandError(f"Invalid slug {slug!r}: use lowercase letters, digits and dashes.") from exc
        with transaction.atomic():
            users = {person.login: self._user(person, slug) for person in PEOPLE}
            organization = Organization.objects.filter(slug=slug).first()
            if organization is None:
                organization = organization_create(
                    slug=slug, name=_demo_name(slug), admin_email=users["admin"].email, language="fr"
                )
            with organization_scope(organization):
                self._members(organization, users)
        self._print_logins(organization, users)

    def _user(self, person: Person, slug: str) -> User:
        user, created = User.objects.get_or_create(
            email=f"{person.login}@{slug}.relais.test", defaults={"full_name": person.name}
        )
        # Only a user who never had a password gets the demo one, so a password changed since is kept.
        if created or not user.has_usable_password():
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        EmailAddress.objects.get_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
        return user

    def _members(self, organization: Organization, users: dict[str, User]) -> None:
        admin = users["admin"]
        memberships = {}
        for person in PEOPLE:
            membership, created = Membership.objects.get_or_create(
                user=users[person.login], defaults={"organization": organization, "role": person.role}
            )
            if created:
                audit_log(organization=organization, actor=admin, action="member.added", target=membership)
            memberships[person.login] = membership
        programmes = {}
        for programme_slug, (name, description) in PROGRAMMES.items():
            programme = Programme.objects.filter(slug=programme_slug).first()
            if programme is None:
                programme = programme_create(
                    organization=organization, name=name, slug=programme_slug, description=description, by=admin
                )
            programmes[programme_slug] = programme
        for person in PEOPLE:
            if not person.programme:
                continue
            programme, membership = programmes[person.programme], memberships[person.login]
            if not ProgrammeMember.objects.filter(programme=programme, membership=membership).exists():
                programme_set_member(
                    programme=programme, membership=membership, is_admin=person.programme_admin, by=admin
                )

    def _print_logins(self, organization: Organization, users: dict[str, User]) -> None:
        site = settings.RELAIS_SITE_URL.rstrip("/")
        self.stdout.write(self.style.SUCCESS(f"Demo organisation “{organization.name}” is ready."))
        self.stdout.write(f"  Sign in:      {site}{reverse('account_login')}")
        self.stdout.write(f"  Organisation: {site}{reverse('org_home', kwargs={'org': organization.slug})}")
        self.stdout.write(f"  Password of every demo login (unless you changed it): {DEMO_PASSWORD}")
        for person in PEOPLE:
            self.stdout.write(f"    {person.role.value:<11} {users[person.login].email:<36} {person.name}")
