"""A share sent "now" reads as being published, not as scheduled, and offers no "publish now"."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from advocacy.tenancy import organization_scope
from ambassadors.models import Share
from ambassadors.presentation import share_actions, status_label, status_sentence
from tests.ambassadors.test_shares import accept_charter, live_post, share_of
from tests.conftest import org_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def shares(personas):
    with organization_scope(personas.organization):
        accept_charter(personas, personas.ambassador)
        member = personas.membership(personas.ambassador)
        post = live_post(personas)
        now = share_of(personas, member, post, status=Share.Status.SCHEDULED, scheduled_at=timezone.now())
        later = share_of(
            personas,
            member,
            post,
            status=Share.Status.SCHEDULED,
            scheduled_at=timezone.now() + timedelta(hours=2),
        )
    return {"now": now, "later": later}


def _page(personas, user, share) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(org_url("share_detail", personas, share.pk))
    assert response.status_code == 200
    return response.content.decode()


def test_a_share_sent_now_reads_as_being_published(shares):
    share = shares["now"]

    assert status_label(share) == "Publishing"
    assert status_sentence(share) == "Being published right now."
    assert "publish_now" not in share_actions(share)


def test_a_share_for_later_reads_as_scheduled_and_can_go_now(shares):
    share = shares["later"]

    assert status_label(share) == "Scheduled"
    assert "publish_now" in share_actions(share)


def test_the_share_page_of_a_share_sent_now(personas, shares):
    page = _page(personas, personas.ambassador, shares["now"])

    assert ">Publishing</span>" in page
    assert "Being published right now." in page
    assert "Publish now" not in page
    assert ">Scheduled</span>" not in page


def test_the_share_page_of_a_share_for_later(personas, shares):
    page = _page(personas, personas.ambassador, shares["later"])

    assert ">Scheduled</span>" in page
    assert "Publish now" in page


def test_an_outsider_gets_404(personas, shares):
    client = Client()
    client.force_login(personas.outsider)

    assert client.get(org_url("share_detail", personas, shares["now"].pk)).status_code == 404
