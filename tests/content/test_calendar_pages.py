"""The editorial calendar: posts placed by publication date in the organisation's time zone, month and week views,
filters, navigation, rescheduling that keeps an approval, bounded queries."""

import datetime

import pytest
from django.utils import timezone

from advocacy.tenancy import organization_scope
from content.models import Post, PostTopic, Topic
from tests.conftest import org_url

pytestmark = pytest.mark.django_db
UTC = datetime.UTC


def _post(organization, title, publish_at, **kwargs):
    with organization_scope(organization):
        return Post.objects.create(organization=organization, title=title, publish_at=publish_at, **kwargs)


def _cell(response, day):
    return next(cell for cell in response.context["cells"] if cell["date"] == day)


def _titles(response, day):
    return [post.title for post in _cell(response, day)["posts"]]


@pytest.fixture
def paris(personas):
    personas.organization.time_zone = "Europe/Paris"
    personas.organization.save()
    return personas


def test_posts_are_placed_on_their_day_in_the_organisations_time_zone(client, paris):
    # 22:30 UTC on 31 March is 00:30 on 1 April in Paris (summer time).
    _post(paris.organization, "Just after midnight", datetime.datetime(2025, 3, 31, 22, 30, tzinfo=UTC))
    _post(paris.organization, "Late evening", datetime.datetime(2025, 3, 31, 21, 30, tzinfo=UTC))
    client.force_login(paris.editor)

    response = client.get(org_url("calendar", paris), {"date": "2025-04-10"})

    assert response.status_code == 200
    assert _titles(response, datetime.date(2025, 4, 1)) == ["Just after midnight"]
    assert _titles(response, datetime.date(2025, 3, 31)) == ["Late evening"]
    assert _cell(response, datetime.date(2025, 3, 31))["outside"] is True
    assert "00:30" in response.content.decode()


def test_the_month_grid_covers_whole_weeks_and_the_month_boundary(client, paris):
    # 22:30 UTC on 30 April is 1 May in Paris: the April grid shows it on 1 May, outside the month.
    _post(paris.organization, "May day", datetime.datetime(2025, 4, 30, 22, 30, tzinfo=UTC))
    _post(paris.organization, "June", datetime.datetime(2025, 6, 2, 9, 0, tzinfo=UTC))
    client.force_login(paris.editor)

    response = client.get(org_url("calendar", paris), {"view": "month", "date": "2025-04-15"})

    days = [cell["date"] for cell in response.context["cells"]]
    assert days[0] == datetime.date(2025, 3, 31) and days[-1] == datetime.date(2025, 5, 4)
    assert len(days) % 7 == 0
    assert _titles(response, datetime.date(2025, 5, 1)) == ["May day"]
    assert "June" not in response.content.decode()
    assert response.context["previous"] == "2025-03-01"
    assert response.context["following"] == "2025-05-01"


def test_the_week_view_lists_seven_days_with_a_reschedule_form_per_post(client, paris):
    post = _post(paris.organization, "Wednesday post", datetime.datetime(2025, 4, 9, 8, 0, tzinfo=UTC))
    client.force_login(paris.editor)

    response = client.get(org_url("calendar", paris), {"view": "week", "date": "2025-04-10"})

    days = [cell["date"] for cell in response.context["cells"]]
    assert days == [datetime.date(2025, 4, 7) + datetime.timedelta(days=n) for n in range(7)]
    body = response.content.decode()
    assert f'action="{org_url("post_reschedule", paris, post.pk)}"' in body
    assert f'id="id_publish_at_{post.pk}"' in body
    assert 'value="2025-04-09T10:00"' in body  # shown in Paris time
    assert response.context["previous"] == "2025-04-03"


def test_the_topic_filter_keeps_only_its_posts(client, paris):
    organization = paris.organization
    tagged = _post(organization, "Tagged", datetime.datetime(2025, 4, 9, 8, 0, tzinfo=UTC))
    _post(organization, "Untagged", datetime.datetime(2025, 4, 9, 9, 0, tzinfo=UTC))
    with organization_scope(organization):
        topic = Topic.objects.create(organization=organization, name="Awards")
        PostTopic.objects.create(organization=organization, post=tagged, topic=topic)
    client.force_login(paris.editor)

    response = client.get(org_url("calendar", paris), {"date": "2025-04-09", "topic": topic.pk})

    assert _titles(response, datetime.date(2025, 4, 9)) == ["Tagged"]


def test_a_bad_filter_value_falls_back_instead_of_failing(client, paris):
    client.force_login(paris.editor)

    response = client.get(org_url("calendar", paris), {"date": "31/02/2025", "view": "year", "topic": "x"})

    assert response.status_code == 200
    assert response.context["view"] == "month"
    assert response.context["filter_form"].errors


def test_rescheduling_an_approved_post_keeps_its_approval(client, paris):
    post = _post(
        paris.organization,
        "Approved",
        datetime.datetime(2025, 4, 9, 8, 0, tzinfo=UTC),
        status=Post.Status.APPROVED,
        approved_revision=1,
    )
    client.force_login(paris.editor)
    calendar_url = org_url("calendar", paris) + "?view=week&date=2025-04-09"

    response = client.post(
        org_url("post_reschedule", paris, post.pk),
        {"publish_at": "2025-04-15T09:30", "expires_at": "2025-04-30T18:00", "next": calendar_url},
    )

    assert response.status_code == 302
    assert response["Location"] == calendar_url
    post.refresh_from_db()
    assert post.status == Post.Status.APPROVED
    assert post.approved_revision == 1
    assert post.publish_at == datetime.datetime(2025, 4, 15, 7, 30, tzinfo=UTC)
    assert post.expires_at == datetime.datetime(2025, 4, 30, 16, 0, tzinfo=UTC)


def test_the_reschedule_page_says_an_approval_is_kept(client, paris):
    post = _post(paris.organization, "Approved", timezone.now(), status=Post.Status.APPROVED, approved_revision=1)
    client.force_login(paris.editor)

    body = client.get(org_url("post_reschedule", paris, post.pk)).content.decode()

    assert "Changing only the dates keeps the approval" in body


def test_an_expiry_before_publication_is_a_field_error_and_keeps_the_input(client, paris):
    post = _post(paris.organization, "Post", datetime.datetime(2025, 4, 9, 8, 0, tzinfo=UTC))
    client.force_login(paris.editor)

    response = client.post(
        org_url("post_reschedule", paris, post.pk), {"publish_at": "2025-04-15T09:30", "expires_at": "2025-04-01T09:30"}
    )

    assert response.status_code == 400
    assert response.context["form"].errors["expires_at"]
    assert 'value="2025-04-15T09:30"' in response.content.decode()
    post.refresh_from_db()
    assert post.publish_at == datetime.datetime(2025, 4, 9, 8, 0, tzinfo=UTC)


def test_an_open_redirect_through_next_is_refused(client, paris):
    post = _post(paris.organization, "Post", datetime.datetime(2025, 4, 9, 8, 0, tzinfo=UTC))
    client.force_login(paris.editor)

    response = client.post(
        org_url("post_reschedule", paris, post.pk), {"publish_at": "2025-04-15T09:30", "next": "https://evil.test/"}
    )

    assert response["Location"] == org_url("calendar", paris)


@pytest.mark.parametrize("role", ["ambassador", "approver", "manager"])
def test_only_editors_and_admins_see_the_calendar(client, personas, role):
    post = _post(personas.organization, "Post", timezone.now())
    client.force_login(getattr(personas, role))

    assert client.get(org_url("calendar", personas)).status_code == 403
    assert client.post(org_url("post_reschedule", personas, post.pk), {"publish_at": ""}).status_code == 403


def _many_posts(organization, count, start):
    with organization_scope(organization):
        Post.objects.bulk_create(
            Post(
                organization=organization,
                title=f"Post {n}",
                publish_at=start + datetime.timedelta(minutes=40 * n),
                status=Post.Status.APPROVED if n % 2 else Post.Status.DRAFT,
            )
            for n in range(count)
        )


@pytest.mark.parametrize("view", ["month", "week"])
def test_the_calendar_runs_a_bounded_number_of_queries(client, personas, view, django_assert_max_num_queries):
    start = datetime.datetime(2025, 4, 1, tzinfo=UTC)
    _many_posts(personas.organization, 1000, start)
    _many_posts(personas.other_organization, 1000, start)
    client.force_login(personas.editor)

    with django_assert_max_num_queries(14):
        response = client.get(org_url("calendar", personas), {"view": view, "date": "2025-04-02"})

    assert response.status_code == 200
    shown = sum(len(cell["posts"]) for cell in response.context["cells"])
    assert 0 < shown <= 1000


def _posts_on_one_day(organization, count, day_start):
    with organization_scope(organization):
        Post.objects.bulk_create(
            (
                Post(organization=organization, title=f"Busy {n}", publish_at=day_start + datetime.timedelta(seconds=n))
                for n in range(count)
            ),
            batch_size=2000,
        )


@pytest.mark.parametrize("view", ["month", "week"])
def test_a_day_with_thousands_of_posts_shows_a_few_and_links_to_the_rest(
    client, paris, view, django_assert_max_num_queries
):
    # 08:00 in Paris on 9 April 2025; a second organisation is just as busy that day.
    day_start = datetime.datetime(2025, 4, 9, 6, 0, tzinfo=UTC)
    _posts_on_one_day(paris.organization, 3000, day_start)
    _posts_on_one_day(paris.other_organization, 3000, day_start)
    _post(paris.organization, "Quiet day", datetime.datetime(2025, 4, 10, 8, 0, tzinfo=UTC))
    client.force_login(paris.editor)

    with django_assert_max_num_queries(14):
        response = client.get(org_url("calendar", paris), {"view": view, "date": "2025-04-09"})

    busy = _cell(response, datetime.date(2025, 4, 9))
    assert [post.title for post in busy["posts"]] == [f"Busy {n}" for n in range(5)]
    assert busy["more"] == 2995
    assert (_titles(response, datetime.date(2025, 4, 10)), _cell(response, datetime.date(2025, 4, 10))["more"]) == (
        ["Quiet day"],
        0,
    )
    body = response.content.decode()
    # The month is drawn twice (a grid, and a list for phones): each drawing links the busy day once.
    drawings = 2 if view == "month" else 1
    assert body.count("+2995 more") == drawings and body.count("calendar-more") == drawings
    library = client.get(busy["more_url"])
    assert library.status_code == 200
    assert library.context["paginator"].count == 3000
    assert [post.title for post in library.context["posts"]][:2] == ["Busy 0", "Busy 1"]


def test_more_keeps_the_calendars_topic_filter(client, paris):
    organization = paris.organization
    _posts_on_one_day(organization, 7, datetime.datetime(2025, 4, 9, 6, 0, tzinfo=UTC))
    with organization_scope(organization):
        topic = Topic.objects.create(organization=organization, name="Awards")
        PostTopic.objects.bulk_create(
            PostTopic(organization=organization, post=post, topic=topic) for post in Post.objects.all()
        )
    client.force_login(paris.editor)

    response = client.get(org_url("calendar", paris), {"date": "2025-04-09", "topic": topic.pk})

    busy = _cell(response, datetime.date(2025, 4, 9))
    assert busy["more"] == 2
    assert f"topic={topic.pk}" in busy["more_url"] and "date_from=2025-04-09" in busy["more_url"]
    assert client.get(busy["more_url"]).context["paginator"].count == 7
