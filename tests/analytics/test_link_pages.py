"""Tracked links on the pages: the tracking settings (admins only), the post editor's referral parameter, the
unique clicks on "my shares" in one query, the share page's clicks per day, and the text to copy carrying the
tracked link. The outsider gets a 404 everywhere."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from advocacy.models import AuditEntry
from advocacy.tenancy import organization_scope
from ambassadors.models import Share
from analytics.models import DEFAULT_UTM_TEMPLATE, TrackingSettings
from content.models import Post
from tests.ambassadors.test_shares import accept_charter, live_post, share_of
from tests.analytics.factories import clicks_at, tracked
from tests.conftest import org_url
from tests.content.test_editor_pages import editor_data, make_post

pytestmark = pytest.mark.django_db

Status = Share.Status


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world(personas):
    """A live post with a link; the ambassador's tracked share of it and the editor's."""
    with organization_scope(personas.organization):
        accept_charter(personas, personas.ambassador)
        member = personas.membership(personas.ambassador)
        post = live_post(personas, title="Quarterly figures", link="https://news.example.test/q3")
        mine = share_of(personas, member, post, status=Status.PUBLISHED, text="Our Q3: https://news.example.test/q3")
        theirs = share_of(personas, personas.membership(personas.editor), post, status=Status.PUBLISHED)
        link = tracked(mine, clicks=15, unique=12, filtered=4)
        tracked(theirs)
    return {"member": member, "post": post, "mine": mine, "theirs": theirs, "link": link}


# --- Tracking settings -----------------------------------------------------------------------------------------------


def test_an_admin_sets_the_tracking_parameters_and_the_change_is_logged(personas):
    client = _client(personas.admin)
    page = client.get(org_url("tracking_settings", personas)).content.decode()
    assert "no IP address is stored" in page
    assert "utm_campaign=engineer" in page  # the example, with the default parameters

    response = client.post(org_url("tracking_settings", personas), {"utm_template": "utm_source={network}&ref=team"})

    assert response.status_code == 302
    with organization_scope(personas.organization):
        assert TrackingSettings.objects.get().utm_template == "utm_source={network}&ref=team"
        entry = AuditEntry.objects.get(action="tracking.updated")
    assert entry.actor == personas.admin
    page = client.get(org_url("tracking_settings", personas)).content.decode()
    assert "https://example.com/careers/engineer?utm_source=linkedin&amp;ref=team" in page


def test_empty_parameters_add_nothing(personas):
    client = _client(personas.admin)
    client.post(org_url("tracking_settings", personas), {"utm_template": ""})
    page = client.get(org_url("tracking_settings", personas)).content.decode()
    assert '<code class="link-example">https://example.com/careers/engineer</code>' in page.replace("\n", "")


def test_an_unknown_placeholder_is_named_and_nothing_is_saved(personas):
    response = _client(personas.admin).post(
        org_url("tracking_settings", personas), {"utm_template": "utm_source={network}&utm_term={foo}"}
    )

    # An invalid form answers 400 with what was typed, as every settings page does.
    assert response.status_code == 400
    assert "{foo}" in response.context["form"].errors["utm_template"][0]
    with organization_scope(personas.organization):
        assert not TrackingSettings.objects.exists()
        assert not AuditEntry.objects.filter(action="tracking.updated").exists()


def test_the_tracking_settings_are_in_the_settings_menu_of_admins_only(personas):
    url = org_url("tracking_settings", personas)
    assert url in _client(personas.admin).get(org_url("org_settings", personas)).content.decode()
    assert url not in _client(personas.editor).get(org_url("org_home", personas)).content.decode()


@pytest.mark.parametrize("role", ["editor", "approver", "manager", "ambassador"])
def test_members_without_the_settings_permission_get_403(personas, role):
    client = _client(getattr(personas, role))
    assert client.get(org_url("tracking_settings", personas)).status_code == 403
    assert client.post(org_url("tracking_settings", personas), {"utm_template": ""}).status_code == 403
    with organization_scope(personas.organization):
        assert not TrackingSettings.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_outsider_gets_404_on_the_tracking_settings(personas, method):
    assert getattr(_client(personas.outsider), method)(org_url("tracking_settings", personas)).status_code == 404


def test_the_settings_page_speaks_french(personas):
    personas.admin.language = "fr"
    personas.admin.save()
    page = _client(personas.admin).get(org_url("tracking_settings", personas)).content.decode()
    assert "Liens suivis" in page
    assert DEFAULT_UTM_TEMPLATE.split("&")[0] in page


# --- Post editor -----------------------------------------------------------------------------------------------------


def test_the_editor_saves_the_referral_parameter_and_the_post_page_shows_it(personas):
    client = _client(personas.editor)
    response = client.post(org_url("post_create", personas), editor_data(referral_parameter="ref"))

    assert response.status_code == 302, response.content.decode()[:2000]
    with organization_scope(personas.organization):
        post = Post.objects.get(title="Our new plant opens")
    assert post.referral_parameter == "ref"
    assert "<code>ref</code>" in client.get(org_url("post_detail", personas, post.pk)).content.decode()
    assert 'value="ref"' in client.get(org_url("post_edit", personas, post.pk)).content.decode()


def test_a_bad_referral_parameter_is_refused_on_its_field(personas):
    response = _client(personas.editor).post(org_url("post_create", personas), editor_data(referral_parameter="1 bad"))
    assert response.status_code == 400
    assert "referral_parameter" in response.context["form"].errors
    with organization_scope(personas.organization):
        assert not Post.objects.filter(title="Our new plant opens").exists()


def test_editing_the_referral_parameter_makes_a_new_revision(personas):
    post = make_post(personas, link="https://news.example.test/job")
    response = _client(personas.editor).post(
        org_url("post_edit", personas, post.pk),
        editor_data(title="A post", referral_parameter="source", expected_revision=post.revision),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    post.refresh_from_db()
    assert post.referral_parameter == "source"


# --- My shares -------------------------------------------------------------------------------------------------------


def test_my_shares_show_the_unique_clicks_of_my_tracked_shares(personas, world):
    page = _client(personas.ambassador).get(org_url("shares", personas)).content.decode()
    assert "12 unique clicks" in page


def test_a_tracked_share_without_clicks_says_so_in_french(personas, world):
    with organization_scope(personas.organization):
        tracked(world["mine"])
        world["link"].__class__.objects.filter(pk=world["link"].pk).update(unique_clicks=0, clicks=0)
    personas.ambassador.language = "fr"
    personas.ambassador.save()
    assert "Aucun clic" in _client(personas.ambassador).get(org_url("shares", personas)).content.decode()


def _shares(personas, world, count):
    with organization_scope(personas.organization):
        for index in range(count):
            # Shares to post by hand too: their text to copy carries their link, read with the others'.
            status = Status.MANUAL if index % 2 else Status.PUBLISHED
            share = share_of(personas, world["member"], world["post"], status=status, text=f"Share {index}")
            tracked(share, clicks=index, unique=index)


def test_my_shares_take_a_bounded_number_of_queries(personas, world, django_assert_max_num_queries):
    client = _client(personas.ambassador)
    url = org_url("shares", personas)
    _shares(personas, world, 2)
    client.get(url)  # warm the session and the caches
    with django_assert_max_num_queries(30) as few:
        assert client.get(url).status_code == 200
    _shares(personas, world, 27)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url).content.decode()
    assert "26 unique clicks" in page


# --- The share page --------------------------------------------------------------------------------------------------


def test_the_share_page_shows_the_link_totals_and_clicks_per_day(personas, world):
    personas.ambassador.time_zone = "Europe/Paris"
    personas.ambassador.save()
    paris = ZoneInfo("Europe/Paris")
    today = timezone.localtime(timezone.now(), paris).replace(hour=0, minute=30, second=0, microsecond=0)
    yesterday = today - dt.timedelta(days=1)
    with organization_scope(personas.organization):
        clicks_at(world["link"], today, counted=3, unique=2, filtered=4)
        clicks_at(world["link"], yesterday, counted=5, unique=5)
        clicks_at(world["link"], today - dt.timedelta(days=40), counted=9, unique=9)

    response = _client(personas.ambassador).get(org_url("share_detail", personas, world["mine"].pk))

    page = response.content.decode()
    assert world["link"].url in page and "https://news.example.test/q3?utm_source=linkedin" in page
    assert "4 link previews and robots not counted" in page
    days = response.context["clicks"]["days"]
    # 00:30 in Paris is the previous evening in UTC: the days are the member's.
    assert [(day.day, day.clicks, day.unique) for day in days] == [
        (today.date(), 3, 2),
        (yesterday.date(), 5, 5),
    ]
    assert "2 unique (3 in all)" in page


def test_a_share_without_clicks_shows_the_empty_state(personas, world):
    page = _client(personas.ambassador).get(org_url("share_detail", personas, world["mine"].pk)).content.decode()
    assert "Clicks on your link show here" in page


def test_another_members_share_page_is_a_404_and_the_outsider_too(personas, world):
    url = org_url("share_detail", personas, world["theirs"].pk)
    assert _client(personas.ambassador).get(url).status_code == 404
    assert _client(personas.outsider).get(org_url("share_detail", personas, world["mine"].pk)).status_code == 404


# --- The text to copy ------------------------------------------------------------------------------------------------


def test_the_text_to_copy_carries_the_tracked_link(personas, world):
    with organization_scope(personas.organization):
        Share.objects.filter(pk=world["mine"].pk).update(status=Status.MANUAL)
    page = _client(personas.ambassador).get(org_url("share_detail", personas, world["mine"].pk)).content.decode()

    textarea = re.search(r"<textarea[^>]*readonly[^>]*>(.*?)</textarea>", page, re.S)
    assert textarea is not None
    assert textarea.group(1) == f"Our Q3: {world['link'].url}"
    assert "news.example.test/q3" not in textarea.group(1)
