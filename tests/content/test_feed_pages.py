"""Feed source pages: list with status and errors, add/edit/delete, "poll now"; editors only."""

import pytest
from django.utils import timezone

from advocacy.tenancy import organization_scope
from content.models import FeedSource
from tests.conftest import org_url

pytestmark = pytest.mark.django_db


def _source(personas, **kwargs):
    values = {"name": "Company blog", "url": "https://blog.acme.test/feed.xml", **kwargs}
    with organization_scope(personas.organization):
        return FeedSource.objects.create(organization=personas.organization, **values)


def test_the_list_shows_a_failing_source_with_its_error_in_red(client, personas):
    _source(personas, last_polled_at=timezone.now(), last_error="The document is not a valid RSS or Atom feed.")
    _source(personas, name="Press room", url="https://press.acme.test/rss", last_success_at=timezone.now())
    client.force_login(personas.editor)

    body = client.get(org_url("feed_sources", personas)).content.decode()

    assert "badge-danger" in body
    assert "</i> Failing</span>" in body
    assert 'overflow-anywhere">The document is not a valid RSS or Atom feed.</p>' in body
    assert "Press room" in body


def test_an_editor_adds_a_source(client, personas):
    client.force_login(personas.editor)

    response = client.post(
        org_url("feed_source_create", personas),
        {"name": "Careers", "url": "https://careers.acme.test/atom", "max_items_per_day": "5"},
    )

    assert response.status_code == 302
    with organization_scope(personas.organization):
        source = FeedSource.objects.get()
    assert (source.name, source.url, source.max_items_per_day) == ("Careers", "https://careers.acme.test/atom", 5)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "Bad", "url": "ftp://acme.test/feed", "max_items_per_day": "5"}, "url", "http:// or https://"),
        (
            {"name": "Twice", "url": "https://blog.acme.test/feed.xml", "max_items_per_day": "5"},
            "url",
            "already follows a feed at this address",
        ),
        ({"name": "Many", "url": "https://x.acme.test/feed", "max_items_per_day": "1000"}, "max_items_per_day", "100"),
    ],
)
def test_bad_source_input_gives_a_field_error_and_keeps_the_input(client, personas, data, field, message):
    _source(personas)
    client.force_login(personas.editor)

    response = client.post(org_url("feed_source_create", personas), data)

    assert response.status_code == 400
    form = response.context["form"]
    assert any(message in error for error in form.errors[field])
    assert f'value="{data["name"]}"' in response.content.decode()


def test_an_editor_deactivates_and_renames_a_source(client, personas):
    source = _source(personas)
    client.force_login(personas.editor)

    response = client.post(
        org_url("feed_source_edit", personas, source.pk),
        {"name": "Blog", "url": source.url, "max_items_per_day": "10"},
    )

    assert response.status_code == 302
    source.refresh_from_db()
    assert (source.name, source.active) == ("Blog", False)


def test_deleting_a_source_asks_first(client, personas):
    source = _source(personas)
    client.force_login(personas.editor)
    url = org_url("feed_source_delete", personas, source.pk)

    assert "Delete the feed source" in client.get(url).content.decode()
    assert client.post(url).status_code == 302
    with organization_scope(personas.organization):
        assert not FeedSource.objects.exists()


def test_poll_now_enqueues_the_poll_task(client, personas, monkeypatch, django_capture_on_commit_callbacks):
    source = _source(personas)
    calls = []
    monkeypatch.setattr("content.views.review.poll_feed_source.delay", lambda **kwargs: calls.append(kwargs))
    client.force_login(personas.editor)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(org_url("feed_source_poll", personas, source.pk))

    assert response.status_code == 302
    assert calls == [{"organization_id": personas.organization.pk, "source_id": source.pk}]


@pytest.mark.parametrize("role", ["ambassador", "approver", "manager"])
def test_only_editors_and_admins_manage_feed_sources(client, personas, role):
    source = _source(personas)
    client.force_login(getattr(personas, role))

    assert client.get(org_url("feed_sources", personas)).status_code == 403
    assert client.post(org_url("feed_source_poll", personas, source.pk)).status_code == 403
    assert client.post(org_url("feed_source_delete", personas, source.pk)).status_code == 403
