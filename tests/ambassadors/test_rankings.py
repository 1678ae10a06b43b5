"""Members choose whether rankings name them: opt-in on their profile page, and ``ranking_names`` gives the name of
those who said yes (and of the viewer themself) and a neutral label for everyone else, in one query."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from advocacy.models import Membership
from advocacy.tenancy import organization_scope
from ambassadors.models import AmbassadorProfile
from ambassadors.selectors import ranking_names
from ambassadors.services.profiles import profile_for
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

PROFILE = reverse("ambassador_profile", kwargs={"org": "acme"})


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _opt(membership: Membership, choice: bool) -> None:
    profile = profile_for(membership=membership)
    AmbassadorProfile.objects.filter(pk=profile.pk).update(show_in_rankings=choice)


def test_nobody_is_named_until_they_opt_in(personas):
    with organization_scope(personas.organization):
        profile = profile_for(membership=personas.membership(personas.ambassador))
    assert profile.show_in_rankings is False


def test_the_profile_page_saves_the_choice_with_its_help(personas):
    client = _client(personas.ambassador)
    page = client.get(PROFILE).content.decode()
    assert 'name="profile-show_in_rankings"' in page
    assert "show you as “An ambassador”" in page

    assert client.post(PROFILE, {"form": "profile", "profile-show_in_rankings": "on"}).status_code == 302
    with organization_scope(personas.organization):
        assert profile_for(membership=personas.membership(personas.ambassador)).show_in_rankings is True
    box = re.search(r'<input[^>]*name="profile-show_in_rankings"[^>]*>', client.get(PROFILE).content.decode())
    assert box is not None and "checked" in box.group(0)

    client.post(PROFILE, {"form": "profile"})  # an unticked box sends nothing
    with organization_scope(personas.organization):
        assert profile_for(membership=personas.membership(personas.ambassador)).show_in_rankings is False


def test_the_choice_speaks_french(personas):
    personas.ambassador.language = "fr"
    personas.ambassador.save()
    page = _client(personas.ambassador).get(PROFILE).content.decode()
    assert "Afficher mon nom dans les classements" in page


def test_names_of_those_who_opted_in_and_of_the_viewer_a_neutral_label_for_the_others(
    personas, django_assert_max_num_queries
):
    acme = personas.organization
    with organization_scope(acme):
        shown = MembershipFactory(organization=acme, user=UserFactory(full_name="Camille Martin"))
        hidden = MembershipFactory(organization=acme, user=UserFactory(full_name="Jules Michel"))
        never_opened = MembershipFactory(organization=acme, user=UserFactory(full_name="Léa Petit"))
        viewer = MembershipFactory(organization=acme, user=UserFactory(full_name="Sam Viewer"))
        _opt(shown, True)
        _opt(hidden, False)
        many = [MembershipFactory(organization=acme) for _ in range(20)]
        for membership in many[:10]:
            _opt(membership, True)
        members = [shown, hidden, never_opened, viewer, *many]

        with django_assert_max_num_queries(2):
            names = ranking_names([member.pk for member in members], viewer=viewer)
        with translation.override("fr"):
            french = ranking_names([hidden.pk], viewer=viewer)

    assert names[shown.pk] == "Camille Martin"
    assert names[hidden.pk] == names[never_opened.pk] == "An ambassador"
    assert names[viewer.pk] == "Sam Viewer"  # never hidden from themself
    assert len(names) == 24
    assert sum(name == "An ambassador" for name in names.values()) == 12
    assert french == {hidden.pk: "Un ambassadeur"}


def test_a_membership_of_another_organisation_is_never_named(personas):
    with organization_scope(personas.other_organization):
        outsider = Membership.objects.get(user=personas.outsider)
        _opt(outsider, True)
    with organization_scope(personas.organization):
        viewer = personas.membership(personas.manager)
        assert ranking_names([outsider.pk], viewer=viewer) == {outsider.pk: "An ambassador"}


def test_no_members_no_query(personas, django_assert_max_num_queries):
    with organization_scope(personas.organization), django_assert_max_num_queries(1):
        assert ranking_names([], viewer=personas.membership(personas.manager)) == {}
