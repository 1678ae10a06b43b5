"""The ambassador profile page: the tour's forms on one page, each saving on its own, with the organisation's choices
only, the tour one link away, and a place in the Sharing navigation."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from advocacy.models import ProgrammeMember
from advocacy.tenancy import organization_scope
from ambassadors.models import AmbassadorProfile, ProfileInterest
from ambassadors.services.profiles import profile_for
from tests.content.factories import TopicFactory
from tests.factories import ProgrammeFactory, ProgrammeMemberFactory

pytestmark = pytest.mark.django_db

PROFILE = reverse("ambassador_profile", kwargs={"org": "acme"})


@pytest.fixture
def world(personas):
    organization, other = personas.organization, personas.other_organization
    with organization_scope(other):
        foreign_topic = TopicFactory(organization=other, name="Globex topic")
        foreign_programme = ProgrammeFactory(organization=other, name="Globex volunteers", open_to_volunteers=True)
    with organization_scope(organization):
        return {
            "open": ProgrammeFactory(organization=organization, name="Tech voices", open_to_volunteers=True),
            "other_open": ProgrammeFactory(organization=organization, name="Green team", open_to_volunteers=True),
            "closed": ProgrammeFactory(organization=organization, name="Leadership"),
            "topic": TopicFactory(organization=organization, name="Cloud"),
            "foreign_topic": foreign_topic,
            "foreign_programme": foreign_programme,
        }


@pytest.fixture
def ambassador(client, personas):
    client.force_login(personas.ambassador)
    return client


def profile_of(personas) -> AmbassadorProfile:
    with organization_scope(personas.organization):
        return profile_for(membership=personas.membership(personas.ambassador))


def joined(personas) -> set[int]:
    with organization_scope(personas.organization):
        return set(
            ProgrammeMember.objects.filter(membership=personas.membership(personas.ambassador)).values_list(
                "programme", flat=True
            )
        )


def test_the_page_shows_every_form_and_the_way_back_to_the_tour(ambassador, world):
    response = ambassador.get(PROFILE)

    assert response.status_code == 200
    page = response.content.decode()
    for text in ("My programmes", "Tech voices", "Cloud", "Languages I share in", "Time zone", "A professional photo"):
        assert text in page
    assert "Run the welcome tour again" in page
    assert reverse("welcome_step", kwargs={"org": "acme", "step": "programmes"}) in page
    assert "Globex" not in page


def test_the_page_speaks_french(ambassador, personas, world):
    personas.ambassador.language = "fr"
    personas.ambassador.save()

    page = ambassador.get(PROFILE).content.decode()

    assert "Mon profil d’ambassadeur" in page
    assert "Refaire la visite de bienvenue" in page


def test_the_page_is_in_the_sharing_navigation_for_every_role(client, personas, world):
    for user in (personas.ambassador, personas.admin, personas.approver):
        client.force_login(user)
        assert f'href="{PROFILE}"' in client.get(reverse("feed", kwargs={"org": "acme"})).content.decode()


def test_ticking_and_unticking_open_programmes_joins_and_leaves_them(ambassador, personas, world):
    membership = personas.membership(personas.ambassador)
    with organization_scope(personas.organization):
        ProgrammeMemberFactory(organization=personas.organization, programme=world["closed"], membership=membership)

    ambassador.post(
        PROFILE, {"form": "programmes", "programmes-programmes": [world["open"].pk, world["other_open"].pk]}
    )
    assert joined(personas) == {world["open"].pk, world["other_open"].pk, world["closed"].pk}

    response = ambassador.post(PROFILE, {"form": "programmes", "programmes-programmes": [world["other_open"].pk]})
    assert response["Location"] == PROFILE
    # The closed programme stays: only its administrators remove members from it.
    assert joined(personas) == {world["other_open"].pk, world["closed"].pk}


def test_a_programme_admin_cannot_leave_an_open_programme_by_unticking_it(ambassador, personas, world):
    membership = personas.membership(personas.ambassador)
    with organization_scope(personas.organization):
        ProgrammeMemberFactory(
            organization=personas.organization, programme=world["open"], membership=membership, is_admin=True
        )

    response = ambassador.post(PROFILE, {"form": "programmes"})

    assert response.status_code == 400
    assert "You run “Tech voices”" in response.content.decode()
    assert joined(personas) == {world["open"].pk}


@pytest.mark.parametrize("which", ["closed", "foreign_programme"])
def test_a_closed_or_foreign_programme_is_refused_on_its_field(ambassador, personas, world, which):
    response = ambassador.post(PROFILE, {"form": "programmes", "programmes-programmes": [world[which].pk]})

    assert response.status_code == 400
    assert 'id="id_programmes-programmes_error"' in response.content.decode()
    assert joined(personas) == set()


def test_the_profile_form_saves_interests_languages_and_time_zone(ambassador, personas, world):
    response = ambassador.post(
        PROFILE,
        {
            "form": "profile",
            "profile-interests": [world["topic"].pk],
            "profile-languages": ["en"],
            "profile-time_zone": "Europe/Berlin",
        },
    )

    assert response["Location"] == PROFILE
    profile = profile_of(personas)
    assert personas.membership(personas.ambassador).languages == ["en"]
    with organization_scope(personas.organization):
        assert list(ProfileInterest.objects.filter(profile=profile).values_list("topic", flat=True)) == [
            world["topic"].pk
        ]
    personas.ambassador.refresh_from_db()
    assert personas.ambassador.time_zone == "Europe/Berlin"

    ambassador.post(PROFILE, {"form": "profile", "profile-time_zone": ""})
    personas.ambassador.refresh_from_db()
    assert personas.ambassador.time_zone == ""
    assert personas.membership(personas.ambassador).languages == []
    with organization_scope(personas.organization):
        assert not ProfileInterest.objects.filter(profile=profile).exists()


@pytest.mark.parametrize(
    ("field", "value", "error_id"),
    [
        ("profile-interests", "foreign_topic", "id_profile-interests_error"),
        ("profile-interests", "999999", "id_profile-interests_error"),
        ("profile-time_zone", "Europe/Atlantis", "id_profile-time_zone_error"),
        ("profile-languages", "de", "id_profile-languages_error"),
    ],
)
def test_bad_input_is_a_field_error_not_a_500(ambassador, personas, world, field, value, error_id):
    response = ambassador.post(PROFILE, {"form": "profile", field: world[value].pk if value in world else value})

    assert response.status_code == 400
    assert f'id="{error_id}"' in response.content.decode()


def test_a_language_not_offered_is_a_field_error_in_the_members_language(ambassador, personas, world):
    personas.ambassador.language = "fr"
    personas.ambassador.save(update_fields=["language"])

    response = ambassador.post(PROFILE, {"form": "profile", "profile-languages": ["fr", "de"]})

    assert response.status_code == 400
    assert response.context["profile_form"].errors["languages"] == [
        "Sélectionnez un choix valide. de n’en fait pas partie."
    ]
    assert "Sélectionnez un choix valide. de n’en fait pas partie." in response.content.decode()
    assert personas.membership(personas.ambassador).languages == []


def test_the_checklist_saves_what_is_ticked(ambassador, personas, world):
    ambassador.post(PROFILE, {"form": "checklist", "checklist-checklist": ["headline", "activity"]})

    assert profile_of(personas).checklist == ["headline", "activity"]
    page = ambassador.get(PROFILE).content.decode()
    checked = set(re.findall(r'<input type="checkbox" name="checklist-checklist" value="(\w+)"[^>]*checked', page))
    assert checked == {"headline", "activity"}


def test_an_unknown_form_is_a_400(ambassador, world):
    assert ambassador.post(PROFILE, {"form": "nothing"}).status_code == 400


def test_an_outsider_gets_a_404(personas, world):
    client = Client()
    client.force_login(personas.outsider)

    assert client.get(PROFILE).status_code == 404
    assert client.post(PROFILE, {"form": "checklist", "checklist-checklist": ["photo"]}).status_code == 404


def test_the_page_runs_a_bounded_number_of_queries(ambassador, personas, world, django_assert_max_num_queries):
    organization = personas.organization
    membership = personas.membership(personas.ambassador)
    with organization_scope(organization):
        for number in range(10):
            TopicFactory(organization=organization, name=f"More {number}")
            programme = ProgrammeFactory(organization=organization, open_to_volunteers=number % 2 == 0)
            ProgrammeMemberFactory(organization=organization, programme=programme, membership=membership)
    ambassador.get(PROFILE)  # the profile is made on the first visit

    with django_assert_max_num_queries(12):
        response = ambassador.get(PROFILE)
    assert response.status_code == 200


def test_without_topics_the_interests_say_why_there_is_nothing_to_tick(ambassador, personas):
    page = ambassador.get(PROFILE).content.decode()
    assert "has not created any topic yet: every post comes to you." in page
    assert 'name="profile-interests"' not in page
