import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from advocacy import services
from advocacy.models import ApiToken, AuditEntry, Organization
from advocacy.tenancy import organization_scope
from tests.conftest import org_url as url
from tests.factories import ApiTokenFactory
from tests.images import image_bytes, png, webp

pytestmark = pytest.mark.django_db

PNG = png()
JPEG = image_bytes("JPEG")
WEBP = webp()


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def token(personas):
    with organization_scope(personas.organization):
        return ApiTokenFactory(organization=personas.organization, name="Intranet")


def settings_data(personas, **overrides):
    data = {
        "name": "Acme Corp",
        "language": "fr",
        "time_zone": "America/Toronto",
        "brand_colour": "#ff8800",
        "referent": "",
    }
    data.update(overrides)
    return data


def fresh(organization):
    return Organization.objects.get(pk=organization.pk)


def settings_urls(personas, token):
    return [
        ("get", url("org_settings", personas)),
        ("post", url("org_settings", personas)),
        ("get", url("api_tokens", personas)),
        ("post", url("api_tokens", personas)),
        ("get", url("api_token_revoke", personas, token.pk)),
        ("post", url("api_token_revoke", personas, token.pk)),
        ("get", url("audit_log", personas)),
    ]


def test_outsider_gets_404_on_every_settings_page_and_action(client, personas, token):
    client.force_login(personas.outsider)
    for method, address in settings_urls(personas, token):
        response = getattr(client, method)(address, {**settings_data(personas), "role": "admin"})
        assert response.status_code == 404, (method, address)
    assert fresh(personas.organization).name == "Acme"
    with organization_scope(personas.organization):
        assert ApiToken.objects.get(pk=token.pk).revoked_at is None
        assert ApiToken.objects.count() == 1


def test_anonymous_visitor_is_sent_to_sign_in(client, personas, token):
    for method, address in settings_urls(personas, token):
        response = getattr(client, method)(address)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


# Settings


def test_settings_form_shows_current_values(admin_client, personas):
    response = admin_client.get(url("org_settings", personas))
    assert response.status_code == 200
    assert response.context["form"].initial["name"] == "Acme"
    assert 'type="color"' in response.content.decode()


def test_saving_settings_updates_and_audits_only_what_changed(admin_client, personas):
    response = admin_client.post(url("org_settings", personas), settings_data(personas, referent=personas.editor.pk))
    assert response.status_code == 302
    organization = fresh(personas.organization)
    assert (organization.name, organization.language, organization.time_zone, organization.brand_colour) == (
        "Acme Corp",
        "fr",
        "America/Toronto",
        "#ff8800",
    )
    assert organization.referent == personas.editor
    with organization_scope(personas.organization):
        entry = AuditEntry.objects.get(action="organization.updated")
    assert entry.data == {"fields": ["brand_colour", "language", "name", "referent", "time_zone"]}


def test_require_two_factor_is_saved(admin_client, personas):
    admin_client.post(url("org_settings", personas), settings_data(personas, require_two_factor="on"))
    assert fresh(personas.organization).require_two_factor is True


@pytest.mark.parametrize("colour", ["red", "#12345", "#gggggg", "1d4ed8", "#1d4ed8;}"])
def test_a_bad_colour_is_a_field_error_and_nothing_is_saved(admin_client, personas, colour):
    response = admin_client.post(url("org_settings", personas), settings_data(personas, brand_colour=colour))
    assert response.status_code == 400
    assert "brand_colour" in response.context["form"].errors
    assert "Acme Corp" in response.content.decode()  # what was typed is still there
    organization = fresh(personas.organization)
    assert (organization.name, organization.brand_colour) == ("Acme", "#1d4ed8")


def test_an_unknown_time_zone_or_language_is_a_field_error(admin_client, personas):
    response = admin_client.post(
        url("org_settings", personas), settings_data(personas, time_zone="Mars/Olympus", language="tlh")
    )
    assert response.status_code == 400
    assert response.context["form"].errors.keys() == {"time_zone", "language"}


def test_the_referent_must_be_an_admin_or_editor_of_this_organisation(admin_client, personas):
    for candidate in (personas.ambassador, personas.outsider):
        response = admin_client.post(url("org_settings", personas), settings_data(personas, referent=candidate.pk))
        assert response.status_code == 400
        assert "referent" in response.context["form"].errors
    assert fresh(personas.organization).referent is None


@pytest.mark.parametrize(("content", "extension"), [(PNG, "png"), (JPEG, "jpg"), (WEBP, "webp")])
def test_a_logo_is_stored_under_the_organisations_path_named_by_its_content(admin_client, personas, content, extension):
    logo = SimpleUploadedFile("my logo.html", content, content_type="text/html")
    response = admin_client.post(url("org_settings", personas), {**settings_data(personas), "logo": logo})
    assert response.status_code == 302
    stored = fresh(personas.organization).logo.name
    assert stored.startswith(f"org/{personas.organization.pk}/branding/")
    assert stored.endswith(f"-logo.{extension}")


def test_a_logo_that_is_not_an_image_is_refused_whatever_its_name(admin_client, personas):
    fake = SimpleUploadedFile("logo.png", b"<svg onload=alert(1)></svg>", content_type="image/png")
    response = admin_client.post(url("org_settings", personas), {**settings_data(personas), "logo": fake})
    assert response.status_code == 400
    error = response.context["form"].errors["logo"][0]
    assert "PNG, JPEG or WebP" in error
    assert not fresh(personas.organization).logo


def test_an_oversized_logo_is_refused_with_the_limit(admin_client, personas):
    big = SimpleUploadedFile("logo.png", PNG + b"\x00" * (1024 * 1024), content_type="image/png")
    response = admin_client.post(url("org_settings", personas), {**settings_data(personas), "logo": big})
    assert response.status_code == 400
    error = response.context["form"].errors["logo"][0]
    assert "too large" in error and "1.0" in error
    assert not fresh(personas.organization).logo


def test_a_logo_can_be_cleared(admin_client, personas):
    logo = SimpleUploadedFile("logo.png", PNG, content_type="image/png")
    admin_client.post(url("org_settings", personas), {**settings_data(personas), "logo": logo})
    assert fresh(personas.organization).logo
    admin_client.post(url("org_settings", personas), {**settings_data(personas), "logo-clear": "on"})
    assert not fresh(personas.organization).logo


# API tokens


def test_creating_a_token_shows_the_secret_once(admin_client, personas):
    response = admin_client.post(url("api_tokens", personas), {"name": "Intranet", "role": "manager"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    secret = response.context["secret"]
    assert secret.startswith(ApiToken.PREFIX)
    assert secret in response.content.decode()
    with organization_scope(personas.organization):
        token = ApiToken.objects.get(name="Intranet")
        assert token.token_digest == ApiToken.digest(secret)
        assert token.role == "manager"
        assert AuditEntry.objects.filter(action="api_token.created").exists()
    listing = admin_client.get(url("api_tokens", personas)).content.decode()
    assert "Intranet" in listing
    assert token.hint in listing
    assert secret not in listing


def test_creating_a_token_with_a_wrong_role_or_no_name_is_a_field_error(admin_client, personas):
    response = admin_client.post(url("api_tokens", personas), {"name": "", "role": "god"})
    assert response.status_code == 400
    assert response.context["form"].errors.keys() == {"name", "role"}
    with organization_scope(personas.organization):
        assert not ApiToken.objects.exists()


def test_revoking_a_token_asks_first_then_revokes(admin_client, personas, token):
    assert admin_client.get(url("api_token_revoke", personas, token.pk)).status_code == 200
    response = admin_client.post(url("api_token_revoke", personas, token.pk), follow=True)
    assert "The token “Intranet” was revoked." in response.content.decode()
    with organization_scope(personas.organization):
        assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert admin_client.post(url("api_token_revoke", personas, token.pk)).status_code == 404


def test_another_organisations_token_cannot_be_revoked(admin_client, personas):
    with organization_scope(personas.other_organization):
        foreign = ApiTokenFactory(organization=personas.other_organization)
    assert admin_client.post(url("api_token_revoke", personas, foreign.pk)).status_code == 404
    with organization_scope(personas.other_organization):
        assert ApiToken.objects.get(pk=foreign.pk).revoked_at is None


# Audit log


def test_audit_log_lists_this_organisations_entries_newest_first(admin_client, personas):
    with organization_scope(personas.organization):
        services.audit_log(organization=personas.organization, actor=personas.admin, action="test.first")
        later = services.audit_log(
            organization=personas.organization, actor=None, action="test.second", data={"why": "<b>x</b>"}
        )
        AuditEntry.objects.filter(pk=later.pk).update(created_at=timezone.now() + timezone.timedelta(minutes=1))
    with organization_scope(personas.other_organization):
        services.audit_log(organization=personas.other_organization, actor=personas.outsider, action="test.foreign")
    response = admin_client.get(url("audit_log", personas))
    actions = [entry.action for entry in response.context["entries"]]
    assert actions[:2] == ["test.second", "test.first"]
    assert "test.foreign" not in actions
    body = response.content.decode()
    assert "&lt;b&gt;x&lt;/b&gt;" in body
    assert "<b>x</b>" not in body


def test_audit_log_paginates_with_bounded_queries(admin_client, personas, django_assert_max_num_queries):
    for organization, actor in ((personas.organization, personas.admin), (personas.other_organization, None)):
        with organization_scope(organization):
            AuditEntry.objects.bulk_create(
                AuditEntry(organization=organization, actor=actor, action="test.bulk", data={"n": n})
                for n in range(300)
            )
    # One more than the list itself: the "who" filter lists the organisation's members.
    with django_assert_max_num_queries(10):  # with the top bar's bell
        response = admin_client.get(url("audit_log", personas), {"page": 2})
    assert len(response.context["entries"]) == 50
    assert response.context["paginator"].count == 300


def test_the_current_logo_links_to_its_members_only_address(admin_client, personas):
    logo = SimpleUploadedFile("logo.png", PNG, content_type="image/png")
    admin_client.post(url("org_settings", personas), {**settings_data(personas), "logo": logo})
    stored = fresh(personas.organization).logo.name

    body = admin_client.get(url("org_settings", personas)).content.decode()

    # Nothing is served under MEDIA_URL: a link there would lead nowhere.
    assert 'href="/media/' not in body
    address = f"/o/{personas.organization.slug}/media/{stored.split('/', 2)[2]}"
    assert f'href="{address}"' in body
    assert admin_client.get(address).status_code == 200


def test_the_settings_pages_leave_their_sub_menu_to_the_section_tabs(admin_client, personas, token):
    for name in ("org_settings", "api_tokens"):
        body = admin_client.get(url(name, personas)).content.decode()
        assert 'class="subnav"' not in body, name
        assert 'class="section-tabs"' in body, name
        assert f'href="{url("api_tokens", personas)}"' in body, name


def test_a_token_is_revoked_from_a_dialog_that_posts_to_its_confirmation_page(admin_client, personas, token):
    body = admin_client.get(url("api_tokens", personas)).content.decode()
    revoke_url = url("api_token_revoke", personas, token.pk)
    assert f'<form class="modal-content" method="post" action="{revoke_url}">' in body
    assert all("data-label=" in cell for cell in re.findall(r"<td\b[^>]*>", body))


def test_the_tokens_page_shows_the_header_to_send_with_its_placeholder(admin_client, personas):
    body = admin_client.get(url("api_tokens", personas)).content.decode()
    assert "Authorization: Bearer &lt;token&gt;" in body
