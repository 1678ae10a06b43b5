"""The channels page of a programme: who may open it, the webhook address rule (a table), adding, pausing, testing
and removing a channel, the audit without the secret URL, and failures shown to admins only."""

import pytest
from django.utils import timezone, translation

from advocacy.models import AuditEntry
from advocacy.tenancy import organization_scope
from ambassadors.models import ProgrammeWebhook
from ambassadors.services.channels import webhook_create, webhook_url_matches
from tests.ambassadors.channel_fake import Answer, fake_channels_fixture  # noqa: F401 - the fixture
from tests.conftest import org_url
from tests.factories import ProgrammeFactory, ProgrammeMemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def programme(personas):
    with organization_scope(personas.organization):
        return ProgrammeFactory(organization=personas.organization, name="Sales")


def channel(programme, url, kind="slack") -> ProgrammeWebhook:
    with organization_scope(programme.organization):
        return webhook_create(programme=programme, kind=kind, url=url, by=None)


def channels_url(personas, programme, *rest) -> str:
    """The programme's channels page; with ``(action, webhook_pk)``, one channel's action."""
    if rest:
        return org_url(f"programme_channel_{rest[0]}", personas, rest[1])
    return org_url("programme_channels", personas, programme.pk)


# --- The address rule ----------------------------------------------------------------------------------------------

VALID = [
    ("slack", "https://hooks.slack.com/services/T000/B000/XXXXXXXX"),
    ("slack", "https://hooks.slack.com/workflows/T000/A000/123/abc"),
    ("slack", "https://hooks.slack.com/triggers/T000/123/abc"),
    ("slack", "https://hooks.slack.com:443/services/T000/B000/XXXXXXXX"),
    ("teams", "https://contoso.webhook.office.com/webhookb2/abc@def/IncomingWebhook/123/456"),
    ("teams", "https://prod-12.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?sig=x"),
    ("teams", "https://prod-12.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke"),
    ("teams", "https://default1234.ab.environment.api.powerplatform.com/powerautomate/automations/direct/x"),
]
INVALID = [
    ("slack", "http://hooks.slack.com/services/T000/B000/XXXXXXXX"),  # not https
    ("slack", "https://hooks.slack.com.evil.test/services/T000/B000/X"),  # another host
    ("slack", "https://evil.test/hooks.slack.com/services/T000/B000/X"),
    ("slack", "https://user:pass@hooks.slack.com/services/T000/B000/X"),  # userinfo
    ("slack", "https://hooks.slack.com@evil.test/services/T000/B000/X"),
    ("slack", "https://hooks.slack.com:8443/services/T000/B000/X"),  # odd port
    ("slack", "https://hooks.slack.com/services/"),  # nothing after the prefix
    ("slack", "https://hooks.slack.com/apps/T000"),  # another path
    ("slack", "https://contoso.webhook.office.com/webhookb2/abc"),  # the other service's
    ("teams", "https://hooks.slack.com/services/T000/B000/X"),
    ("teams", "https://webhook.office.com/webhookb2/abc"),  # no tenant label
    ("teams", "https://contoso.webhook.office.com/other/abc"),
    ("teams", "https://contoso.webhook.office.com.evil.test/webhookb2/abc"),
    ("teams", "https://x.logic.azure.com:8080/workflows/abc"),
    ("teams", "https://127.0.0.1/webhookb2/abc"),
    ("teams", "not a url"),
    ("teams", "https://[::1/webhookb2/abc"),
]


@pytest.mark.parametrize(("kind", "url"), VALID)
def test_vendor_webhook_addresses_are_accepted(kind, url):
    assert webhook_url_matches(kind, url)


@pytest.mark.parametrize(("kind", "url"), INVALID)
def test_other_addresses_are_refused(kind, url):
    assert not webhook_url_matches(kind, url)


# --- Who may open the page -----------------------------------------------------------------------------------------


def test_an_outsider_gets_a_404(client, personas, programme):
    client.force_login(personas.outsider)
    assert client.get(channels_url(personas, programme)).status_code == 404


@pytest.mark.parametrize("role", ["ambassador", "editor", "manager"])
def test_members_who_do_not_run_the_programme_are_refused(client, personas, programme, role):
    client.force_login(getattr(personas, role))
    assert client.get(channels_url(personas, programme)).status_code == 403
    assert client.post(channels_url(personas, programme), {"kind": "slack", "url": "x"}).status_code == 403


def test_a_programme_admin_may_manage_its_channels_but_not_another_programmes(client, personas, programme):
    with organization_scope(personas.organization):
        ProgrammeMemberFactory(programme=programme, membership=personas.membership(personas.ambassador), is_admin=True)
        other = ProgrammeFactory(organization=personas.organization, name="Engineering")
    client.force_login(personas.ambassador)

    assert client.get(channels_url(personas, programme)).status_code == 200
    assert client.get(channels_url(personas, other)).status_code == 403


def test_a_programme_admin_cannot_touch_another_programmes_channels(client, personas, programme, fake_channels):
    with organization_scope(personas.organization):
        ProgrammeMemberFactory(programme=programme, membership=personas.membership(personas.ambassador), is_admin=True)
        other = ProgrammeFactory(organization=personas.organization, name="Engineering")
    webhook = channel(other, fake_channels.slack_url())
    client.force_login(personas.ambassador)

    assert client.post(channels_url(personas, programme, "active", webhook.pk), {"active": "0"}).status_code == 403
    assert client.post(channels_url(personas, programme, "delete", webhook.pk)).status_code == 403
    with organization_scope(personas.organization):
        assert ProgrammeWebhook.objects.get(pk=webhook.pk).is_active


def test_an_outsider_cannot_reach_a_channel(client, personas, programme, fake_channels):
    webhook = channel(programme, fake_channels.slack_url())
    client.force_login(personas.outsider)

    for action in ("active", "test", "delete"):
        assert client.post(channels_url(personas, programme, action, webhook.pk)).status_code == 404
    assert fake_channels.received == []


# --- Adding, pausing, removing -------------------------------------------------------------------------------------


def test_an_admin_adds_a_channel_sealed_and_audited_without_its_address(admin_client, personas, programme, settings):
    url = "https://hooks.slack.com/services/T000/B000/SECRETSECRET"

    response = admin_client.post(channels_url(personas, programme), {"kind": "slack", "url": url})

    assert response.status_code == 302
    with organization_scope(personas.organization):
        webhook = ProgrammeWebhook.objects.get(programme=programme)
        entry = AuditEntry.objects.get(action="programme.channel_added")
    assert webhook.url() == url and "SECRET" not in webhook.url_sealed and webhook.url_hint == "hooks.slack.com"
    assert "SECRET" not in str(entry.data) and entry.data["host"] == "hooks.slack.com"
    page = admin_client.get(channels_url(personas, programme)).content.decode()
    assert "hooks.slack.com" in page and "SECRET" not in page


def test_a_wrong_address_is_a_field_error_in_the_members_language(admin_client, personas, programme):
    personas.admin.language = "fr"
    personas.admin.save()

    response = admin_client.post(
        channels_url(personas, programme), {"kind": "slack", "url": "https://evil.test/services/T000/B000/X"}
    )

    assert response.status_code == 400
    with translation.override("fr"):
        assert response.context["form"].errors["url"] == [
            "Collez l’adresse d’un webhook entrant ou d’un workflow Slack : elle commence par "
            "https://hooks.slack.com/services/ (ou /workflows/, /triggers/)."
        ]
    with organization_scope(personas.organization):
        assert not ProgrammeWebhook.objects.exists()


def test_pausing_resuming_and_removing_a_channel(admin_client, personas, programme, fake_channels):
    webhook = channel(programme, fake_channels.slack_url())

    admin_client.post(channels_url(personas, programme, "active", webhook.pk), {"active": "0"})
    with organization_scope(personas.organization):
        assert not ProgrammeWebhook.objects.get(pk=webhook.pk).is_active
    admin_client.post(channels_url(personas, programme, "active", webhook.pk), {"active": "1"})
    with organization_scope(personas.organization):
        assert ProgrammeWebhook.objects.get(pk=webhook.pk).is_active

    assert admin_client.get(channels_url(personas, programme, "delete", webhook.pk)).status_code == 200
    response = admin_client.post(channels_url(personas, programme, "delete", webhook.pk))

    assert response.status_code == 302
    with organization_scope(personas.organization):
        assert not ProgrammeWebhook.objects.exists()
        actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"programme.channel_paused", "programme.channel_resumed", "programme.channel_deleted"} <= actions


def test_a_test_message_is_sent_and_its_failure_explained(admin_client, personas, programme, fake_channels):
    webhook = channel(programme, fake_channels.slack_url())

    response = admin_client.post(channels_url(personas, programme, "test", webhook.pk), follow=True)
    assert "The test message was delivered" in response.content.decode()
    assert "Relais is connected to this channel" in fake_channels.received[0].json["text"]

    fake_channels.answer(Answer(status=404, body=b"no_service"))
    response = admin_client.post(channels_url(personas, programme, "test", webhook.pk), follow=True)
    assert "the webhook was deleted or its channel archived" in response.content.decode()


# --- Failures: for admins only -------------------------------------------------------------------------------------


def test_the_last_failure_and_its_reason_are_shown_to_admins_only(client, personas, programme, fake_channels):
    webhook = channel(programme, fake_channels.slack_url())
    with organization_scope(personas.organization):
        ProgrammeWebhook.objects.filter(pk=webhook.pk).update(
            last_failed_at=timezone.now(), last_error="http:410:channel_is_archived"
        )
        ProgrammeMemberFactory(programme=programme, membership=personas.membership(personas.ambassador))
    reason = "channel_is_archived"

    client.force_login(personas.admin)
    assert reason in client.get(channels_url(personas, programme)).content.decode()

    for user in (personas.ambassador, personas.editor):
        client.force_login(user)
        for name, args in (("programme_detail", [programme.pk]), ("feed", []), ("org_home", [])):
            response = client.get(org_url(name, personas, *args))
            assert reason not in response.content.decode()
        assert client.get(channels_url(personas, programme)).status_code == 403


def test_the_programme_page_links_to_its_channels_for_those_who_run_it(client, personas, programme):
    link = channels_url(personas, programme)
    client.force_login(personas.admin)
    assert link in client.get(org_url("programme_detail", personas, programme.pk)).content.decode()
    client.force_login(personas.editor)
    assert link not in client.get(org_url("programme_detail", personas, programme.pk)).content.decode()


def test_the_channels_page_reads_a_fixed_number_of_queries(
    admin_client, personas, programme, fake_channels, django_assert_max_num_queries
):
    for number in range(6):
        channel(programme, fake_channels.slack_url(f"T{number}"))
    with organization_scope(personas.other_organization):
        elsewhere = ProgrammeFactory(organization=personas.other_organization)
    channel(elsewhere, fake_channels.teams_url(), kind="teams")

    with django_assert_max_num_queries(14):
        response = admin_client.get(channels_url(personas, programme))

    assert response.status_code == 200
    assert response.content.decode().count("remove-channel-") >= 6
