"""Whatever the query string of a list page holds (dates at the edges of the calendar, huge, negative or unreadable
page numbers and ids, garbage, unicode), the page answers without a server error, and a bad value comes back as a
clear message in the member's language.

The list pages are read from the URL resolver (every page under ``/o/<org>/`` that takes no id), so a list added
later is fed the same values.
"""

import datetime

import pytest
from django.http import QueryDict
from django.test import Client
from django.urls import reverse
from django.utils import translation
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from advocacy.query import query_id
from tests.advocacy.test_url_isolation import PAGE_PREFIX, World, organization_routes
from tests.advocacy.test_url_isolation import world as world  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db

LIST_PAGES = [
    route for route in organization_routes() if route.route.startswith(PAGE_PREFIX) and route.kwargs == {"org": "slug"}
]
# The names list pages read, and a few they do not.
KEYS = [
    "page",
    "date",
    "view",
    "date_from",
    "date_to",
    "q",
    "status",
    "state",
    "version",
    "programme",
    "topic",
    "author",
    "network",
    "sort",
    "role",
    "post",
    "next",
    "month",
    "id",
]
EDGE_DATES = ["0001-01-01", "9999-12-31", "1899-12-31", "2200-01-01", "2024-02-30", "2025-13-01", "31/12/9999"]
NUMBERS = st.integers(min_value=-(10**30), max_value=10**30).map(str)
DATES = st.dates().map(datetime.date.isoformat)
ODD = st.one_of(
    st.sampled_from(EDGE_DATES),
    NUMBERS,
    DATES,
    st.sampled_from(["", " ", "week", "month", "²", "١٢", "１２", "1e400", "NaN", "-0", "9" * 5000, "%00", "'; --"]),
    st.text(st.characters(blacklist_categories=["Cs"]), max_size=40),
)
QUERIES = st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(min_size=1, max_size=8)), ODD, max_size=5)


def _get(client: Client, url: str, query: dict[str, str]):
    response = client.get(url, query)
    assert response.status_code < 500, f"GET {url} {query!r} answered {response.status_code}"
    return response


@pytest.mark.parametrize("route", [pytest.param(route, id=route.route) for route in LIST_PAGES])
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@example(query={"date": "0001-01-01", "view": "week"})
@example(query={"date": "9999-12-31", "view": "month"})
@example(query={"date": "9999-12-31", "view": "week"})
@example(query={"date_from": "0001-01-01", "date_to": "9999-12-31", "page": str(10**30)})
@example(query={"post": "²"})
@given(query=QUERIES)
def test_no_list_page_fails_on_an_odd_query_string(route, world: World, query):
    client = Client()
    client.force_login(world.personas.admin)
    _get(client, world.url(route, world.personas.organization.slug), query)


def test_the_walk_finds_the_list_pages():
    names = {route.name for route in LIST_PAGES}
    assert {"calendar", "content_library", "members", "charter_report", "audit_log", "shares", "incidents"} <= names


@pytest.mark.parametrize("date", ["0001-01-01", "9999-12-31"])
@pytest.mark.parametrize("view", ["week", "month"])
def test_a_calendar_date_out_of_range_shows_today_and_says_why(client, personas, date, view):
    client.force_login(personas.editor)
    url = reverse("calendar", args=[personas.organization.slug])

    response = client.get(url, {"date": date, "view": view})

    assert response.status_code == 200
    assert response.context["view"] == view
    assert response.context["day"] == response.context["today"]
    assert "Enter a date between Jan. 1, 1900 and Dec. 31, 2199." in response.content.decode()


def test_the_message_is_in_french_for_a_french_member(client, personas):
    personas.editor.language = "fr"
    personas.editor.save()
    client.force_login(personas.editor)
    url = reverse("calendar", args=[personas.organization.slug])

    with translation.override("fr"):
        body = client.get(url, {"date": "0001-01-01"}, headers={"accept-language": "fr"}).content.decode()

    assert "Saisissez une date entre le 1 janvier 1900 et le 31 décembre 2199." in body


def test_an_outsider_with_an_odd_query_string_gets_404(client, personas):
    client.force_login(personas.outsider)
    url = reverse("calendar", args=[personas.organization.slug])
    assert client.get(url, {"date": "0001-01-01", "view": "week"}).status_code == 404


@given(value=st.one_of(ODD, st.none()))
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_query_id_is_a_positive_bigint_or_nothing(value):
    query = QueryDict(mutable=True)
    if value is not None:
        query["post"] = value
    parsed = query_id(query, "post")
    assert parsed is None or 1 <= parsed < 2**63
