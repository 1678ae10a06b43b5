"""The welcome tour: five steps a page, why each matters, back / skip / continue, the charter that cannot be skipped,
programmes joined and left by the member only when open to volunteers, the finish, and the home's reminder."""

import re
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse

from advocacy.errors import ServiceError
from advocacy.models import AuditEntry, ProgrammeMember
from advocacy.tenancy import organization_scope
from ambassadors import onboarding
from ambassadors.models import AmbassadorProfile, ProfileInterest
from ambassadors.services.profiles import (
    checklist_tick,
    onboarding_finish,
    onboarding_skip,
    profile_for,
    programme_join_self,
    programme_leave_self,
)
from content.models import Post
from tests.ambassadors.factories import SocialConnectionFactory
from tests.charter.factories import CharterAcceptanceFactory, CharterVersionFactory, TrainingModuleFactory
from tests.content.factories import PostFactory, TopicFactory
from tests.factories import ProgrammeFactory, ProgrammeMemberFactory

pytestmark = pytest.mark.django_db

HOME = reverse("org_home", kwargs={"org": "acme"})


def step_url(key: str) -> str:
    return reverse("welcome_step", kwargs={"org": "acme", "step": key})


@pytest.fixture
def world(personas):
    """A published charter, an open and a closed programme, topics and live posts in both organisations."""
    organization, other = personas.organization, personas.other_organization
    with organization_scope(other):
        foreign = {
            "programme": ProgrammeFactory(organization=other, name="Globex volunteers", open_to_volunteers=True),
            "topic": TopicFactory(organization=other, name="Globex topic"),
        }
        PostFactory(organization=other, status=Post.Status.APPROVED, title="Globex news")
    with organization_scope(organization):
        return {
            "charter": CharterVersionFactory(organization=organization, published=True, number=1),
            "open": ProgrammeFactory(
                organization=organization, name="Tech voices", description="For engineers.", open_to_volunteers=True
            ),
            "closed": ProgrammeFactory(organization=organization, name="Leadership"),
            "topic": TopicFactory(organization=organization, name="Cloud"),
            "posts": [
                PostFactory(organization=organization, status=Post.Status.APPROVED, title=f"Live {number}")
                for number in range(4)
            ],
            "training": TrainingModuleFactory(organization=organization, title="Safe passwords", published=True),
            **{f"foreign_{key}": value for key, value in foreign.items()},
        }


@pytest.fixture
def ambassador(client, personas):
    client.force_login(personas.ambassador)
    return client


def profile_of(personas) -> AmbassadorProfile:
    with organization_scope(personas.organization):
        return profile_for(membership=personas.membership(personas.ambassador))


@pytest.mark.parametrize("key", onboarding.KEYS)
def test_each_step_renders_with_its_reason_and_its_place_in_the_tour(ambassador, world, key):
    response = ambassador.get(step_url(key))

    assert response.status_code == 200
    page = response.content.decode()
    step = onboarding.step_for(key)
    assert str(step.title) in page
    assert str(step.why) in page
    assert f"Step {onboarding.step_number(key)} of 5" in page
    assert ('value="skip"' in page) is step.skippable
    assert "Globex" not in page


def test_the_tour_speaks_french(ambassador, personas, world):
    personas.ambassador.language = "fr"
    personas.ambassador.save()

    page = ambassador.get(step_url(onboarding.PROGRAMMES)).content.decode()

    assert "Étape 1 sur 5" in page
    assert "Rejoignez vos programmes" in page
    assert "Passer" in page
    assert "Continuer" in page


def test_the_door_opens_on_the_first_step_still_ahead(ambassador, personas, world):
    assert ambassador.get(reverse("welcome", kwargs={"org": "acme"}))["Location"] == step_url(onboarding.PROGRAMMES)

    ambassador.post(step_url(onboarding.PROGRAMMES), {"action": "skip"})

    assert ambassador.get(reverse("welcome", kwargs={"org": "acme"}))["Location"] == step_url(onboarding.CHARTER)


def test_skip_records_the_step_and_moves_on_and_back_leads_to_the_step_before(ambassador, personas, world):
    response = ambassador.post(step_url(onboarding.PROFILE), {"action": "skip"})

    assert response["Location"] == step_url(onboarding.CONNECT)
    assert profile_of(personas).onboarding_skipped == [onboarding.PROFILE]
    page = ambassador.get(step_url(onboarding.CONNECT)).content.decode()
    assert f'href="{step_url(onboarding.PROFILE)}"' in page


def test_the_first_step_has_no_back_and_the_last_one_finishes(ambassador, world):
    first = ambassador.get(step_url(onboarding.PROGRAMMES)).content.decode()
    last = ambassador.get(step_url(onboarding.FIRST_SHARE)).content.decode()

    assert "Back" not in first
    assert 'value="finish"' in last
    assert 'value="continue"' not in last


def test_the_charter_step_cannot_be_skipped_nor_passed_before_accepting(ambassador, personas, world):
    page = ambassador.get(step_url(onboarding.CHARTER)).content.decode()
    join = reverse("charter_join", kwargs={"org": "acme"}) + "?next=" + quote(step_url(onboarding.CHARTER), safe="")
    assert join in page.replace("&amp;", "&")

    skipped = ambassador.post(step_url(onboarding.CHARTER), {"action": "skip"})
    passed = ambassador.post(step_url(onboarding.CHARTER), {"action": "continue"})

    assert skipped["Location"] == step_url(onboarding.CHARTER)
    assert passed["Location"] == step_url(onboarding.CHARTER)
    assert profile_of(personas).onboarding_skipped == []
    with organization_scope(personas.organization), pytest.raises(ServiceError):
        onboarding_skip(profile=profile_of(personas), step=onboarding.CHARTER)


def test_accepting_the_charter_comes_back_to_the_tour_which_then_goes_on(ambassador, personas, world):
    response = ambassador.post(
        reverse("charter_join", kwargs={"org": "acme"}), {"agree": "on", "next": step_url(onboarding.CHARTER)}
    )
    assert response["Location"] == step_url(onboarding.CHARTER)

    assert ambassador.post(step_url(onboarding.CHARTER), {"action": "continue"})["Location"] == step_url(
        onboarding.PROFILE
    )


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example/"])
def test_the_charter_never_sends_the_member_elsewhere(ambassador, world, target):
    response = ambassador.post(reverse("charter_join", kwargs={"org": "acme"}), {"agree": "on", "next": target})

    assert response["Location"] == reverse("charter", kwargs={"org": "acme"})


def test_without_a_charter_the_step_says_sharing_opens_soon_and_lets_them_go_on(ambassador, personas):
    page = ambassador.get(step_url(onboarding.CHARTER)).content.decode()

    assert "Sharing opens soon" in page
    assert ambassador.post(step_url(onboarding.CHARTER), {"action": "continue"})["Location"] == step_url(
        onboarding.PROFILE
    )


def test_the_programmes_step_joins_open_programmes_and_shows_closed_ones_read_only(ambassador, personas, world):
    membership = personas.membership(personas.ambassador)
    with organization_scope(personas.organization):
        ProgrammeMemberFactory(organization=personas.organization, programme=world["closed"], membership=membership)
    page = ambassador.get(step_url(onboarding.PROGRAMMES)).content.decode()
    assert "For engineers." in page
    assert "Leadership" in page
    assert f'value="{world["closed"].pk}"' not in page

    response = ambassador.post(
        step_url(onboarding.PROGRAMMES), {"action": "continue", "programmes-programmes": [world["open"].pk]}
    )

    assert response["Location"] == step_url(onboarding.CHARTER)
    with organization_scope(personas.organization):
        assert set(ProgrammeMember.objects.filter(membership=membership).values_list("programme", flat=True)) == {
            world["open"].pk,
            world["closed"].pk,
        }
        assert AuditEntry.objects.filter(action="programme.member_added", actor=personas.ambassador).count() == 1


@pytest.mark.parametrize("which", ["closed", "foreign_programme"])
def test_a_closed_or_foreign_programme_is_a_field_error(ambassador, personas, world, which):
    response = ambassador.post(
        step_url(onboarding.PROGRAMMES), {"action": "continue", "programmes-programmes": [world[which].pk]}
    )

    assert response.status_code == 400
    assert "errorlist" in response.content.decode()
    with organization_scope(personas.organization):
        assert not ProgrammeMember.objects.filter(membership=personas.membership(personas.ambassador)).exists()


def test_the_services_join_and_leave_open_programmes_only(personas, world):
    membership = personas.membership(personas.ambassador)
    with organization_scope(personas.organization):
        assert programme_join_self(membership=membership, programme=world["open"]) is True
        assert programme_join_self(membership=membership, programme=world["open"]) is False
        with pytest.raises(ServiceError):
            programme_join_self(membership=membership, programme=world["closed"])
        ProgrammeMemberFactory(organization=personas.organization, programme=world["closed"], membership=membership)
        with pytest.raises(ServiceError):
            programme_leave_self(membership=membership, programme=world["closed"])
        assert programme_leave_self(membership=membership, programme=world["open"]) is True
        assert programme_leave_self(membership=membership, programme=world["open"]) is False
        assert list(ProgrammeMember.objects.filter(membership=membership).values_list("programme", flat=True)) == [
            world["closed"].pk
        ]
        assert AuditEntry.objects.filter(action="programme.member_removed").count() == 1
    with organization_scope(personas.other_organization), pytest.raises(ServiceError):
        programme_join_self(membership=membership, programme=world["foreign_programme"])


def test_the_profile_step_saves_interests_languages_and_time_zone(ambassador, personas, world):
    response = ambassador.post(
        step_url(onboarding.PROFILE),
        {
            "action": "continue",
            "profile-interests": [world["topic"].pk],
            "profile-languages": ["fr", "en"],
            "profile-time_zone": "America/Toronto",
        },
    )

    assert response["Location"] == step_url(onboarding.CONNECT)
    profile = profile_of(personas)
    assert personas.membership(personas.ambassador).languages == ["fr", "en"]
    assert profile.onboarding_skipped == []
    with organization_scope(personas.organization):
        assert list(ProfileInterest.objects.filter(profile=profile).values_list("topic", flat=True)) == [
            world["topic"].pk
        ]
    personas.ambassador.refresh_from_db()
    assert personas.ambassador.time_zone == "America/Toronto"


@pytest.mark.parametrize(
    ("field", "value"),
    [("profile-interests", "foreign_topic"), ("profile-time_zone", "Mars/Olympus"), ("profile-languages", "de")],
)
def test_bad_profile_input_is_a_field_error(ambassador, personas, world, field, value):
    response = ambassador.post(
        step_url(onboarding.PROFILE),
        {"action": "continue", field: world[value].pk if value in world else value},
    )

    assert response.status_code == 400
    assert "errorlist" in response.content.decode()
    assert personas.membership(personas.ambassador).languages == []


def test_the_connect_step_shows_what_is_connected_and_continues_without(ambassador, personas, world):
    assert "No account connected yet" in ambassador.get(step_url(onboarding.CONNECT)).content.decode()
    assert ambassador.post(step_url(onboarding.CONNECT), {"action": "continue"})["Location"] == step_url(
        onboarding.FIRST_SHARE
    )
    assert profile_of(personas).onboarding_skipped == [onboarding.CONNECT]

    with organization_scope(personas.organization):
        SocialConnectionFactory(
            organization=personas.organization,
            membership=personas.membership(personas.ambassador),
            display_name="Ada on LinkedIn",
        )
    page = ambassador.get(step_url(onboarding.CONNECT)).content.decode()
    assert "Ada on LinkedIn" in page
    assert reverse("connections", kwargs={"org": "acme"}) in page
    # Only the network still to connect is offered, straight into the connection flow.
    assert reverse("connection_connect", kwargs={"org": "acme", "provider": "x"}) in page
    assert reverse("connection_connect", kwargs={"org": "acme", "provider": "linkedin"}) not in page


def test_the_profile_step_proposes_the_browser_time_zone_and_the_profile_page_does_not(ambassador, world):
    step = ambassador.get(step_url(onboarding.PROFILE)).content.decode()
    profile = ambassador.get(reverse("ambassador_profile", kwargs={"org": "acme"})).content.decode()

    assert "data-prefill-device-zone" in step
    assert "js/welcome.js" in step
    assert "data-prefill-device-zone" not in profile


def test_the_last_step_offers_three_posts_the_checklist_and_the_next_training(ambassador, personas, world):
    page = ambassador.get(step_url(onboarding.FIRST_SHARE)).content.decode()

    assert len(re.findall(r'href="/o/acme/feed/\d+/share/"', page)) == 3
    assert "A professional photo" in page
    assert "Safe passwords" in page

    response = ambassador.post(
        step_url(onboarding.FIRST_SHARE), {"action": "checklist", "checklist-checklist": ["photo", "about"]}
    )
    assert response["Location"] == step_url(onboarding.FIRST_SHARE)
    assert profile_of(personas).checklist == ["photo", "about"]

    bad = ambassador.post(step_url(onboarding.FIRST_SHARE), {"action": "checklist", "checklist-checklist": ["cv"]})
    assert bad.status_code == 400


def test_finish_sets_the_done_flag_once(ambassador, personas, world):
    response = ambassador.post(step_url(onboarding.FIRST_SHARE), {"action": "finish"})

    assert response["Location"] == HOME
    done_at = profile_of(personas).onboarding_done_at
    assert done_at is not None
    with organization_scope(personas.organization):
        assert onboarding_finish(profile=profile_of(personas)) is False
        checklist_tick(profile=profile_of(personas), ticked=["headline"])
    assert profile_of(personas).onboarding_done_at == done_at


def test_the_home_shows_the_setup_panel_until_the_tour_is_finished(ambassador, personas, world):
    page = ambassador.get(HOME).content.decode()
    assert "Finish setting up (step 1 of 5)" in page
    assert step_url(onboarding.PROGRAMMES) in page

    ambassador.post(step_url(onboarding.PROGRAMMES), {"action": "skip"})
    assert "Finish setting up (step 2 of 5)" in ambassador.get(HOME).content.decode()

    with organization_scope(personas.organization):
        CharterAcceptanceFactory(
            organization=personas.organization,
            membership=personas.membership(personas.ambassador),
            version=world["charter"],
        )
    assert "Finish setting up (step 3 of 5)" in ambassador.get(HOME).content.decode()

    ambassador.post(step_url(onboarding.FIRST_SHARE), {"action": "finish"})
    assert "home-setup-heading" not in ambassador.get(HOME).content.decode()


def test_the_setup_panel_is_only_for_members_expected_to_share(client, personas, world):
    client.force_login(personas.admin)

    assert "home-setup-heading" not in client.get(HOME).content.decode()


def test_a_home_visit_makes_no_profile(ambassador, personas, world):
    ambassador.get(HOME)

    with organization_scope(personas.organization):
        assert not AmbassadorProfile.objects.exists()


@pytest.mark.parametrize("key", ["", *onboarding.KEYS])
def test_an_outsider_gets_a_404_on_every_step(personas, world, key):
    client = Client()
    client.force_login(personas.outsider)
    url = step_url(key) if key else reverse("welcome", kwargs={"org": "acme"})

    assert client.get(url).status_code == 404
    assert client.post(url, {"action": "skip"}).status_code == 404


def test_an_unknown_step_leads_to_the_tours_door(ambassador, world):
    assert ambassador.get(step_url("nowhere"))["Location"] == reverse("welcome", kwargs={"org": "acme"})


@pytest.mark.parametrize("key", onboarding.KEYS)
def test_each_step_runs_a_bounded_number_of_queries(ambassador, personas, world, key, django_assert_max_num_queries):
    organization = personas.organization
    with organization_scope(organization):
        for number in range(8):
            TopicFactory(organization=organization, name=f"More {number}")
            ProgrammeFactory(organization=organization, open_to_volunteers=True)
            PostFactory(organization=organization, status=Post.Status.APPROVED)
    ambassador.get(step_url(key))  # the profile is made on the first visit

    with django_assert_max_num_queries(12):
        response = ambassador.get(step_url(key))
    assert response.status_code == 200
