""" "My shares" without a filter: what needs the member (each with its one fix), what is coming (with reschedule and
cancel on the row), what went out (with its link, figures and clicks), a few rows each with a link to the full list;
the member's own shares only, the outsider's 404, and a fixed number of queries."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from advocacy.tenancy import organization_scope
from ambassadors.models import MetricSnapshot, Share
from tests.ambassadors.test_shares import accept_charter, live_post, share_of
from tests.analytics.factories import tracked
from tests.conftest import org_url

pytestmark = pytest.mark.django_db

Status = Share.Status
Action = Share.ActionRequired


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def member(personas):
    with organization_scope(personas.organization):
        accept_charter(personas, personas.ambassador)
    return personas.membership(personas.ambassador)


@pytest.fixture
def post(personas, member):
    with organization_scope(personas.organization):
        return live_post(personas, title="Quarterly figures")


def _share(personas, member, post, **fields) -> Share:
    with organization_scope(personas.organization):
        return share_of(personas, member, post, **fields)


def _page(personas, query="") -> str:
    response = _client(personas.ambassador).get(org_url("shares", personas) + query)
    assert response.status_code == 200
    return response.content.decode()


def _section(page: str, key: str) -> str:
    found = re.search(rf'<section class="share-section" aria-labelledby="shares-{key}">(.*?)</section>', page, re.S)
    assert found is not None, key
    return found.group(1)


def _later(days=2) -> dt.datetime:
    return timezone.now() + dt.timedelta(days=days)


# --- The sections ----------------------------------------------------------------------------------------------------


def test_the_sections_come_in_order_and_the_empty_ones_are_left_out(personas, member, post):
    _share(personas, member, post, status=Status.PUBLISHED, published_at=timezone.now(), text="Out already.")
    _share(personas, member, post, status=Status.NEEDS_ACTION, action_required=Action.CHARTER, text="Waiting.")

    page = _page(personas)

    assert page.index('id="shares-needs_you"') < page.index('id="shares-published"')
    assert 'id="shares-upcoming"' not in page
    assert "Waiting." in _section(page, "needs_you") and "Out already." in _section(page, "published")


def _fix(personas, share, action):
    detail = org_url("share_detail", personas, share.pk)
    return {
        Action.RECONNECT: (reverse("connections", args=[personas.organization.slug]), "Reconnect X"),
        Action.CHARTER: (org_url("charter_join", personas), "Read and accept the charter"),
        Action.COMPLIANCE: (f"{detail}#edit", "Edit the text"),
        Action.CHECK: (detail, "Check and decide"),
        "failed": (f"{detail}#edit", "Edit the text"),
        "manual": (f"{detail}#posted", "I posted it"),
    }[action]


@pytest.mark.parametrize(
    "action", [Action.RECONNECT, Action.CHARTER, Action.COMPLIANCE, Action.CHECK, "failed", "manual"]
)
def test_each_share_that_needs_the_member_has_its_fix_one_click_away(personas, member, post, action):
    if action in ("failed", "manual"):
        share = _share(personas, member, post, network="x", status=action, text="Needs me.")
    else:
        share = _share(
            personas, member, post, network="x", status=Status.NEEDS_ACTION, action_required=action, text="Needs me."
        )
    url, label = _fix(personas, share, action)

    section = _section(_page(personas), "needs_you")

    assert "Needs me." in section
    # The fix is the row's primary button, not a link buried in the share's page.
    button = re.search(
        rf'<a class="btn (btn-sm )?btn-primary[^"]*" href="{re.escape(url)}[^"]*">(.*?)</a>', section, re.S
    )
    assert button is not None and label in button.group(2)


def test_a_failed_share_says_why_beside_its_fix(personas, member, post):
    _share(personas, member, post, status=Status.FAILED, last_error="The network refused the text.")

    section = _section(_page(personas), "needs_you")

    assert "The network refused the text." in section and "Change the text" in section


def test_upcoming_shares_show_their_time_in_the_members_zone_soonest_first(personas, member, post):
    personas.ambassador.time_zone = "America/New_York"
    personas.ambassador.save(update_fields=["time_zone"])
    _share(personas, member, post, scheduled_at=dt.datetime(2031, 1, 12, 15, 0, tzinfo=dt.UTC), text="The later.")
    _share(personas, member, post, scheduled_at=dt.datetime(2031, 1, 10, 15, 0, tzinfo=dt.UTC), text="The sooner.")

    section = _section(_page(personas), "upcoming")

    assert 'datetime="2031-01-10T10:00:00-05:00"' in section and "America/New_York" in section
    assert section.index("The sooner.") < section.index("The later.")


def test_an_upcoming_share_is_rescheduled_and_cancelled_from_its_row(personas, member, post):
    share = _share(personas, member, post, scheduled_at=_later(), text="Coming soon.")
    detail = org_url("share_detail", personas, share.pk)
    client = _client(personas.ambassador)

    section = _section(_page(personas), "upcoming")

    assert f'href="{detail}#reschedule"' in section
    assert 'id="reschedule"' in client.get(detail).content.decode()
    assert f'action="{detail}"' in section and 'value="cancel"' in section
    back = org_url("shares", personas)
    response = client.post(detail, {"action": "cancel", "next": back})
    assert response.status_code == 302 and response["Location"] == back
    with organization_scope(personas.organization):
        assert Share.objects.get(pk=share.pk).status == Status.CANCELLED
    assert "The share was cancelled." in client.get(back).content.decode()


@pytest.mark.parametrize("elsewhere", ["https://evil.example/o/acme/shares/", "//evil.example/", "/o/acme/members/"])
def test_an_action_taken_from_the_list_goes_back_to_this_list_only(personas, member, post, elsewhere):
    share = _share(personas, member, post, scheduled_at=_later())
    detail = org_url("share_detail", personas, share.pk)

    response = _client(personas.ambassador).post(detail, {"action": "cancel", "next": elsewhere})

    assert response.status_code == 302 and response["Location"] == detail


def test_a_published_share_shows_its_link_figures_and_clicks(personas, member, post):
    address = "https://www.linkedin.com/feed/update/urn:li:share:9"
    share = _share(personas, member, post, status=Status.PUBLISHED, published_at=timezone.now(), external_url=address)
    with organization_scope(personas.organization):
        MetricSnapshot.objects.create(
            organization=personas.organization,
            share=share,
            slot=0,
            taken_at=timezone.now(),
            likes=12,
            comments=3,
            reshares=2,
            impressions=480,
        )
        tracked(share, clicks=9, unique=7)

    section = _section(_page(personas), "published")

    assert f'href="{address}"' in section and "See it on the network" in section
    assert all(f">{figure}<" in section for figure in (12, 3, 2, 480))
    assert "7 unique clicks" in section


def test_published_shares_come_newest_first(personas, member, post):
    _share(personas, member, post, status=Status.PUBLISHED, published_at=_later(-3), text="Older one.")
    _share(personas, member, post, status=Status.PUBLISHED, published_at=_later(-1), text="Newer one.")

    section = _section(_page(personas), "published")

    assert section.index("Newer one.") < section.index("Older one.")


def test_a_section_shows_a_few_rows_and_links_to_all_of_them(personas, member, post):
    for n in range(12):
        _share(personas, member, post, scheduled_at=_later(n + 1), text=f"Upcoming {n}.")
    _share(personas, member, post, status=Status.PUBLISHED, published_at=timezone.now(), text="Just one out.")

    page = _page(personas)
    everything = _page(personas, "?status=upcoming")

    upcoming = _section(page, "upcoming")
    assert "Upcoming 9." in upcoming and "Upcoming 10." not in upcoming
    assert 'href="?status=upcoming"' in upcoming and "See all 12" in upcoming
    assert "?status=published" not in _section(page, "published")
    assert all(f"Upcoming {n}." in everything for n in range(12)) and "Just one out." not in everything


def test_a_status_of_a_section_still_has_its_list_under_the_sections_tab(personas, member, post):
    _share(personas, member, post, status=Status.FAILED, text="It failed, sadly.")
    _share(personas, member, post, status=Status.MANUAL, text="To post by hand.")

    failed = _page(personas, "?status=failed")
    needs_you = _page(personas, "?status=needs_you")

    assert "It failed, sadly." in failed and "To post by hand." not in failed
    assert re.search(r'class="nav-link active" href="\?status=needs_you" aria-current="page"', failed)
    assert "It failed, sadly." in needs_you and "To post by hand." in needs_you


def test_the_empty_page_leads_to_the_feed(personas, member):
    page = _page(personas)

    assert "You have not shared anything yet." in page
    assert f'href="{org_url("feed", personas)}"' in page


def test_only_cancelled_shares_say_where_they_are(personas, member, post):
    _share(personas, member, post, status=Status.CANCELLED, text="Called off.")

    page = _page(personas)

    assert "Called off." not in page and "Nothing waits for you" in page and 'href="?status=cancelled"' in page


def test_the_sections_speak_french(personas, member, post):
    personas.ambassador.language = "fr"
    personas.ambassador.save(update_fields=["language"])
    _share(personas, member, post, scheduled_at=_later())
    _share(personas, member, post, status=Status.NEEDS_ACTION, action_required=Action.CHARTER)
    _share(personas, member, post, status=Status.PUBLISHED, published_at=timezone.now())

    page = _page(personas)

    assert ">Vous attendent<" in page and ">À venir<" in page and ">Publiés<" in page and "Vue d’ensemble" in page


# --- Whose shares --------------------------------------------------------------------------------------------------


def test_the_outsider_gets_404(personas, member, post):
    _share(personas, member, post, scheduled_at=_later())
    for query in ("", "?status=upcoming", "?status=needs_you"):
        assert _client(personas.outsider).get(org_url("shares", personas) + query).status_code == 404


def test_a_colleague_does_not_see_the_members_waiting_shares(personas, member, post):
    _share(personas, member, post, status=Status.DRAFT, text="My draft, mine alone.")
    _share(personas, member, post, scheduled_at=_later(), text="My scheduled share.")
    _share(personas, personas.membership(personas.editor), post, scheduled_at=_later(), text="The editor's own.")

    colleague = _client(personas.editor)
    pages = [colleague.get(org_url("shares", personas) + query).content.decode() for query in ("", "?status=upcoming")]

    for page in pages:
        assert "The editor&#x27;s own." in page
        assert "My draft, mine alone." not in page and "My scheduled share." not in page


# --- Queries ---------------------------------------------------------------------------------------------------------


def _fill(personas, member, count):
    statuses = [Status.SCHEDULED, Status.PUBLISHED, Status.MANUAL, Status.NEEDS_ACTION, Status.FAILED]
    with organization_scope(personas.organization):
        for n in range(count):
            status = statuses[n % len(statuses)]
            share = share_of(
                personas,
                member,
                live_post(personas, title=f"Post {n}"),
                network=["linkedin", "x", "generic"][n % 3],
                status=status,
                scheduled_at=_later(n + 1),
                published_at=timezone.now() if status == Status.PUBLISHED else None,
                action_required=Action.RECONNECT if status == Status.NEEDS_ACTION else "",
            )
            tracked(share, clicks=n, unique=n)
            if status == Status.PUBLISHED:
                MetricSnapshot.objects.create(
                    organization=personas.organization, share=share, slot=0, taken_at=timezone.now(), likes=n
                )


def test_the_sections_run_the_same_few_queries_however_many_shares(personas, member, django_assert_max_num_queries):
    client = _client(personas.ambassador)
    url = org_url("shares", personas)
    _fill(personas, member, 5)
    client.get(url)  # warm the caches every page shares (session, organisation)
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    _fill(personas, member, 80)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url).content.decode()
    assert page.count('<li class="card card-body">') == 30 + 10 + 10
