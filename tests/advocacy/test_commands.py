import io
import subprocess
import sys
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command
from django.core.management.base import CommandError

from advocacy.models import ApiToken, AuditEntry, Membership, Organization, Programme, ProgrammeMember, User
from advocacy.roles import Role
from advocacy.tenancy import organization_scope, scopes_disabled

REPO = Path(__file__).resolve().parents[2]


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_create_organization_makes_the_first_admin():
    out, _err = run("create_organization", "--slug", "initech", "--name", "Initech", "--admin-email", "Boss@Initech.FR")

    organization = Organization.objects.get(slug="initech")
    assert organization.language == "fr"
    with organization_scope(organization):
        membership = Membership.objects.get()
    assert membership.user.email == "boss@initech.fr"
    assert membership.role == Role.ADMIN
    assert "/o/initech/" in out
    assert EmailAddress.objects.get(email="boss@initech.fr").verified


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--slug", "acme", "--name", "Again", "--admin-email", "a@acme.test"], "already exists"),
        (["--slug", "fresh", "--name", "Fresh", "--admin-email", "not-an-address"], "Invalid e-mail address"),
        (["--slug", "Bad Slug", "--name", "Bad", "--admin-email", "a@bad.test"], "Invalid slug"),
    ],
)
def test_create_organization_refuses_bad_input(personas, argv, message):
    before = Organization.objects.count()

    with pytest.raises(CommandError, match=message):
        run("create_organization", *argv)

    assert Organization.objects.count() == before


@pytest.mark.django_db
def test_create_api_token_prints_a_token_that_is_stored_hashed(personas):
    out, err = run("create_api_token", "--org", "acme", "--name", "ci", "--role", "manager")

    raw = out.strip()
    assert raw.startswith(ApiToken.PREFIX)
    assert "shown once" in err
    with organization_scope(personas.organization):
        token = ApiToken.objects.get(name="ci")
    assert token.role == Role.MANAGER
    assert token.token_digest == ApiToken.digest(raw)
    assert raw not in str(vars(token))


@pytest.mark.django_db
def test_create_api_token_names_the_valid_roles(personas):
    with pytest.raises(CommandError) as excinfo:
        run("create_api_token", "--org", "acme", "--name", "ci", "--role", "boss")

    assert all(role in str(excinfo.value) for role in Role.values)
    with organization_scope(personas.organization):
        assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_create_api_token_refuses_an_unknown_organisation():
    with pytest.raises(CommandError, match="No organisation"):
        run("create_api_token", "--org", "nowhere", "--name", "ci", "--role", "admin")


def _demo_rows(organization: Organization) -> dict[str, object]:
    with scopes_disabled():
        return {
            "users": sorted(User.objects.filter(email__endswith="@demo.relais.test").values_list("email", "password")),
            "emails": EmailAddress.objects.filter(email__endswith="@demo.relais.test", verified=True).count(),
            "members": sorted(
                Membership.objects.filter(organization=organization).values_list("user__email", "role", "status")
            ),
            "programmes": sorted(
                ProgrammeMember.objects.filter(organization=organization).values_list(
                    "programme__slug", "membership__user__email", "is_admin"
                )
            ),
            "audit": AuditEntry.objects.filter(organization=organization).count(),
        }


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_prints_the_logins(client):
    out, _err = run("seed_demo")
    organization = Organization.objects.get(slug="demo")
    first = _demo_rows(organization)

    second_out, _err = run("seed_demo")

    assert _demo_rows(organization) == first
    assert Organization.objects.filter(slug="demo").count() == 1
    assert (organization.language, organization.time_zone) == ("fr", "Europe/Paris")
    roles = [role for _email, role, _status in first["members"]]
    assert sorted(roles) == sorted(
        [Role.ADMIN, Role.EDITOR, Role.APPROVER, Role.APPROVER, Role.MANAGER] + [Role.AMBASSADOR] * 5
    )
    assert first["emails"] == 10
    with organization_scope(organization):
        assert Programme.objects.count() == 2
    ambassadors_in_programmes = {email for _slug, email, _admin in first["programmes"] if "ambassador" in email}
    assert len(ambassadors_in_programmes) == 5
    for text in (out, second_out):
        assert "admin@demo.relais.test" in text
        assert "relais-demo-2026" in text
        assert "http://127.0.0.1:8000/accounts/login/" in text

    assert client.login(email="ambassador3@demo.relais.test", password="relais-demo-2026")


@pytest.mark.django_db
def test_seed_demo_keeps_a_password_the_user_changed():
    run("seed_demo", "--org", "essai")
    user = User.objects.get(email="admin@essai.relais.test")
    user.set_password("my own secret phrase")
    user.save()

    run("seed_demo", "--org", "essai")

    user.refresh_from_db()
    assert user.check_password("my own secret phrase")
    assert Organization.objects.get(slug="essai").name == "Démo Relais (essai)"


def test_command_errors_exit_non_zero_without_a_traceback():
    # A subprocess, so what the operator sees is checked: exit code and stderr, not an exception object.
    result = subprocess.run(
        [sys.executable, "manage.py", "create_api_token", "--org", "acme", "--name", "ci", "--role", "boss"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "Valid roles: admin, editor, approver, manager, ambassador" in result.stderr
