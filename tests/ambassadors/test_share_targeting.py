"""A share goes out only to the members its post is meant for: refused when planned, and cancelled when it comes due
after the member left the post's programme. The worker's check runs for real, against the fake LinkedIn."""

import datetime as dt

import pytest
from django.utils import timezone

from advocacy.errors import ServiceError
from advocacy.models import ProgrammeMember
from ambassadors.models import Share
from ambassadors.services import shares
from ambassadors.services.publishing import share_publish_run
from content.models import PostProgramme
from tests.ambassadors.factories import connect_on
from tests.ambassadors.test_shares import accept_charter, live_post
from tests.factories import ProgrammeFactory, ProgrammeMemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sales(scoped):
    programme = ProgrammeFactory(organization=scoped.organization, name="Sales", slug="sales")
    ProgrammeMemberFactory(
        programme=programme, membership=scoped.membership(scoped.ambassador), organization=scoped.organization
    )
    return programme


def _for(scoped, programme):
    post = live_post(scoped, title="For sales only")
    PostProgramme.objects.create(organization=scoped.organization, post=post, programme=programme)
    return post


def _schedule(membership, post, at=None):
    return shares.share_schedule(
        membership=membership, post=post, network="linkedin", text="My words.", at=at, by=membership.user
    )


@pytest.mark.parametrize("persona", ["manager", "editor", "admin"])
def test_a_post_for_another_programme_cannot_be_shared_whoever_asks(scoped, sales, fake_linkedin, persona):
    user = getattr(scoped, persona)
    accept_charter(scoped, user)
    membership = scoped.membership(user)
    connect_on(fake_linkedin, membership)

    with pytest.raises(ServiceError) as refused:
        _schedule(membership, _for(scoped, sales))

    assert (refused.value.code, refused.value.message) == ("post_not_live", "This post can no longer be shared.")
    assert not Share.objects.exists()


def test_a_member_of_the_programme_shares_it(scoped, sales, fake_linkedin):
    accept_charter(scoped, scoped.ambassador)
    membership = scoped.membership(scoped.ambassador)
    connect_on(fake_linkedin, membership)

    share = _schedule(membership, _for(scoped, sales), at=timezone.now() + dt.timedelta(hours=2))

    assert share.status == Share.Status.SCHEDULED


def test_a_share_due_after_its_member_left_the_programme_is_cancelled_not_published(scoped, sales, fake_linkedin):
    accept_charter(scoped, scoped.ambassador)
    membership = scoped.membership(scoped.ambassador)
    connect_on(fake_linkedin, membership)
    share = _schedule(membership, _for(scoped, sales), at=timezone.now() + dt.timedelta(hours=2))

    ProgrammeMember.objects.filter(membership=membership).delete()
    Share.objects.filter(pk=share.pk).update(scheduled_at=timezone.now() - dt.timedelta(minutes=1))
    share_publish_run(share_id=share.pk)

    share.refresh_from_db()
    assert (share.status, share.last_error_code) == (Share.Status.CANCELLED, "post_not_live")
    assert fake_linkedin.requests_to("POST", "/rest/posts") == []
