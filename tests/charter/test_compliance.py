"""The compliance check of a share: every rule, each violation with its message, in the member's time zone."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from advocacy.errors import ServiceError
from advocacy.models import AuditEntry, Membership, ProgrammeMember
from advocacy.tenancy import organization_scope
from charter.compliance import (
    ShareDraft,
    compliance_check,
    find_blocked_phrases,
    rules_for,
    rules_save,
    with_disclosure,
)
from charter.models import ComplianceRules
from content.models import Post, PostProgramme
from tests.content.factories import PostFactory
from tests.factories import ProgrammeFactory

NEW_YORK = ZoneInfo("America/New_York")


def _codes(violations):
    return [violation.code for violation in violations]


@pytest.fixture
def member(scoped) -> Membership:
    return Membership.objects.select_related("user", "organization").get(user=scoped.ambassador)


def _draft(member, text="Proud of our team.", **kwargs) -> ShareDraft:
    return ShareDraft(membership=member, network=kwargs.pop("network", "linkedin"), text=text, **kwargs)


# --- Blocked phrases -----------------------------------------------------------------------------------------------


def test_a_blocked_word_matches_any_case_and_accents_and_names_the_phrase_as_written(scoped, member):
    rules_save(organization=scoped.organization, by=scoped.admin, blocked_phrases="Confidentiel")
    text = "C'est CONFIDENTIEL, vraiment confidentiel et même cönfidentiél."

    violations = compliance_check(_draft(member, text))

    assert _codes(violations) == ["blocked_phrase"] * 3
    assert [text[v.start : v.end] for v in violations] == ["CONFIDENTIEL", "confidentiel", "cönfidentiél"]
    assert violations[0].message == "“CONFIDENTIEL” is not allowed by the charter."


def test_a_blocked_word_respects_word_boundaries(scoped, member):
    rules_save(organization=scoped.organization, by=scoped.admin, blocked_phrases="confidentiel\nlayoff")

    text = "Une note confidentielle sur les layoffs, #confidentiels, inconfidentiel."

    assert compliance_check(_draft(member, text)) == []


def test_an_accented_phrase_blocks_its_unaccented_spelling_and_decomposed_accents(scoped, member):
    rules_save(organization=scoped.organization, by=scoped.admin, blocked_phrases="déménagement de l’usine")
    decomposed = "Le de\u0301me\u0301nagement de l'Usine arrive"
    plain = "LE DEMENAGEMENT  DE L’USINE arrive"

    found = compliance_check(_draft(member, decomposed))
    other = compliance_check(_draft(member, plain))

    assert decomposed[found[0].start : found[0].end] == "de\u0301me\u0301nagement de l'Usine"
    assert plain[other[0].start : other[0].end] == "DEMENAGEMENT  DE L’USINE"


def test_english_phrases_with_apostrophes_are_blocked_whichever_apostrophe_is_typed(scoped, member):
    rules_save(organization=scoped.organization, by=scoped.admin, blocked_phrases="don't tell anyone")

    violations = compliance_check(_draft(member, "Big news — DON’T TELL ANYONE yet!"))

    assert violations[0].message == "“DON’T TELL ANYONE” is not allowed by the charter."


_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzéèàç", min_size=1, max_size=8)


@settings(max_examples=60, deadline=None)
@given(
    before=st.lists(_WORD, max_size=3),
    after=st.lists(_WORD, max_size=3),
    upper=st.lists(st.booleans(), min_size=12, max_size=12),
    accented=st.booleans(),
)
def test_every_case_and_accent_variant_of_a_phrase_is_found_exactly(before, after, upper, accented):
    phrase = "résultats trimestriels"
    variant = "".join(c.upper() if flag else c for c, flag in zip(phrase, upper * 2, strict=False))
    if not accented:
        variant = variant.replace("é", "e").replace("É", "E")
    text = " ".join([*before, variant, *after])

    spans = find_blocked_phrases(text, "Résultats Trimestriels")

    assert (text.index(variant), text.index(variant) + len(variant)) in spans
    assert all(text[start:end].casefold().replace("é", "e") == "resultats trimestriels" for start, end in spans)


@settings(max_examples=60, deadline=None)
@given(prefix=_WORD, suffix=_WORD)
def test_a_phrase_glued_to_other_letters_is_never_found(prefix, suffix):
    assert find_blocked_phrases(f"{prefix}secret {prefix}secret{suffix}", "secret") == []


# --- Disclosure and length -----------------------------------------------------------------------------------------


def test_the_disclosure_is_appended_once_per_network(scoped):
    rules = rules_save(
        organization=scoped.organization, by=scoped.admin, disclosure_x="#employee", disclosure_linkedin="I work here."
    )

    assert with_disclosure(rules=rules, network="x", text="Great news  ") == "Great news\n\n#employee"
    assert with_disclosure(rules=rules, network="x", text="Great news #Employee") == "Great news #Employee"
    assert with_disclosure(rules=rules, network="linkedin", text="Hi") == "Hi\n\nI work here."
    assert with_disclosure(rules=rules, network="generic", text="Hi") == "Hi"


def test_a_text_that_fits_alone_but_not_with_the_disclosure_is_refused_with_the_overflow(scoped, member):
    rules_save(organization=scoped.organization, by=scoped.admin, disclosure_x="#employee")  # 9 + 2 newlines

    fits = compliance_check(_draft(member, "a" * 269, network="x"))
    over = compliance_check(_draft(member, "é" * 273, network="x"))

    assert fits == []
    assert _codes(over) == ["too_long_with_disclosure"]
    assert over[0].message == "With the mandatory disclosure, this text is 4 characters over the limit of 280."


def test_linkedin_counts_code_points_up_to_3000(scoped, member):
    rules_save(organization=scoped.organization, by=scoped.admin, disclosure_linkedin="Salarié·e de Acme")

    assert compliance_check(_draft(member, "x" * 2981)) == []
    assert _codes(compliance_check(_draft(member, "x" * 2982))) == ["too_long_with_disclosure"]


def test_a_text_too_long_without_any_disclosure_is_refused_too(scoped, member):
    violations = compliance_check(_draft(member, "a" * 281, network="x"))

    assert [(v.code, v.message) for v in violations] == [
        ("too_long", "This text is 1 character over the limit of 280.")
    ]


# --- Caps ----------------------------------------------------------------------------------------------------------


def test_caps_per_day_and_per_network(scoped, member):
    rules_save(organization=scoped.organization, by=scoped.admin, daily_cap=3, daily_cap_per_network=1)

    assert compliance_check(_draft(member, shares_today=2)) == []
    assert _codes(compliance_check(_draft(member, shares_today=2, shares_today_on_network=1))) == ["network_cap"]
    both = compliance_check(_draft(member, shares_today=3, shares_today_on_network=1))
    assert _codes(both) == ["daily_cap", "network_cap"]
    assert both[0].message == "You have reached today's limit of 3 shares."


# --- Hours and weekdays --------------------------------------------------------------------------------------------


@pytest.fixture
def office_hours(scoped):
    """Weekdays 09:00–18:00; the organisation is in Paris."""
    assert scoped.organization.time_zone == "Europe/Paris"
    return rules_save(
        organization=scoped.organization,
        by=scoped.admin,
        sharing_from=time(9),
        sharing_until=time(18),
        sharing_weekdays=[1, 2, 3, 4, 5],
    )


def test_hours_are_those_of_the_organisation_for_a_member_without_a_time_zone(scoped, member, office_hours):
    with time_machine.travel(datetime(2025, 6, 10, 8, 0, tzinfo=UTC), tick=False):  # Tuesday 10:00 in Paris
        assert compliance_check(_draft(member)) == []
    with time_machine.travel(datetime(2025, 6, 10, 16, 30, tzinfo=UTC), tick=False):  # 18:30 in Paris
        violations = compliance_check(_draft(member))

    assert _codes(violations) == ["outside_hours"]
    assert violations[0].next_allowed_at == datetime(2025, 6, 11, 7, 0, tzinfo=UTC)  # Wednesday 09:00 in Paris
    assert "(Europe/Paris)" in violations[0].message


def test_hours_follow_the_members_own_time_zone(scoped, member, office_hours):
    member.user.time_zone = "America/New_York"
    member.user.save()

    # Tuesday 10:00 in Paris, 04:00 in New York: too early for this member.
    with time_machine.travel(datetime(2025, 6, 10, 8, 0, tzinfo=UTC), tick=False):
        violations = compliance_check(_draft(member))
    with time_machine.travel(datetime(2025, 6, 10, 20, 0, tzinfo=UTC), tick=False):  # 16:00 in New York
        later = compliance_check(_draft(member))

    following = violations[0].next_allowed_at
    assert following == datetime(2025, 6, 10, 13, 0, tzinfo=UTC)
    assert following.tzinfo == NEW_YORK and following.hour == 9
    assert "Tuesday" in violations[0].message and "(America/New_York)" in violations[0].message
    assert later == []


def test_the_next_allowed_time_skips_the_weekend(scoped, member, office_hours):
    friday_evening = datetime(2025, 6, 13, 19, 0, tzinfo=ZoneInfo("Europe/Paris"))

    violations = compliance_check(_draft(member, at=friday_evening))

    assert violations[0].next_allowed_at == datetime(2025, 6, 16, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))
    assert "Monday" in violations[0].message


def test_a_night_window_runs_across_midnight_and_belongs_to_the_day_it_starts(scoped, member):
    member.user.time_zone = "America/New_York"
    member.user.save()
    rules_save(
        organization=scoped.organization,
        by=scoped.admin,
        sharing_from=time(22),
        sharing_until=time(6),
        sharing_weekdays=[1, 2, 3, 4, 5],
    )

    def check(*when):
        return compliance_check(_draft(member, at=datetime(*when, tzinfo=NEW_YORK)))

    assert check(2025, 6, 13, 23, 30) == []  # Friday night
    assert check(2025, 6, 14, 5, 59) == []  # Friday's window, early on Saturday
    saturday_morning = check(2025, 6, 14, 6, 0)
    sunday_night = check(2025, 6, 15, 3, 0)  # Saturday's window: Saturday is not allowed
    monday_noon = check(2025, 6, 16, 12, 0)

    monday_night = datetime(2025, 6, 16, 22, 0, tzinfo=NEW_YORK)
    assert [v.next_allowed_at for v in (*saturday_morning, *sunday_night, *monday_noon)] == [monday_night] * 3


def test_hours_across_a_daylight_saving_change_give_a_real_instant(scoped, member):
    rules_save(organization=scoped.organization, by=scoped.admin, sharing_from=time(2, 30), sharing_until=time(4))
    saturday = datetime(2025, 3, 29, 12, 0, tzinfo=ZoneInfo("Europe/Paris"))  # 02:30 on Sunday does not exist

    following = compliance_check(_draft(member, at=saturday))[0].next_allowed_at

    assert following == datetime(2025, 3, 30, 1, 30, tzinfo=UTC)  # 03:30 summer time


# --- Domains, confidentiality, live posts -----------------------------------------------------------------------


def test_links_must_be_on_an_allowed_domain_or_one_of_its_subdomains(scoped, member):
    rules_save(organization=scoped.organization, by=scoped.admin, allowed_domains="https://Acme.example/\n\nnews.test")

    assert compliance_check(_draft(member, link="https://blog.acme.example/post")) == []
    assert compliance_check(_draft(member, link="https://NEWS.test/a", text="See https://acme.example/x")) == []
    text = "Read https://acme.example.evil.test/x and www.notacme.com."
    violations = compliance_check(_draft(member, text, link="https://evilacme.example/"))

    assert [(v.code, v.field) for v in violations] == [("domain_not_allowed", "link")] + [
        ("domain_not_allowed", "text")
    ] * 2
    assert violations[0].message == "Links to evilacme.example are not allowed by the rules of the programme."
    assert text[violations[1].start : violations[1].end] == "https://acme.example.evil.test/x"


def test_a_confidential_post_is_not_live_before_its_date_and_the_date_is_not_told(scoped, member):
    until = timezone.now() + timedelta(days=2)
    post = PostFactory(organization=scoped.organization, status=Post.Status.APPROVED, confidential_until=until)

    violations = compliance_check(_draft(member, post=post))
    after = compliance_check(_draft(member, post=post, at=until + timedelta(minutes=1)))

    assert _codes(violations) == ["post_not_live"]
    assert violations[0].message == "This post can no longer be shared."
    assert after == []


@pytest.mark.parametrize(
    ("status", "expires_in_days"),
    [(Post.Status.DRAFT, None), (Post.Status.WITHDRAWN, None), (Post.Status.APPROVED, -1)],
)
def test_a_post_that_is_not_live_cannot_be_shared(scoped, member, status, expires_in_days):
    expires = timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None
    post = PostFactory(organization=scoped.organization, status=status, expires_at=expires)

    assert _codes(compliance_check(_draft(member, post=post))) == ["post_not_live"]


def test_every_violation_is_reported_at_once(scoped, member):
    rules_save(
        organization=scoped.organization,
        by=scoped.admin,
        blocked_phrases="secret",
        daily_cap=1,
        allowed_domains="acme.example",
        sharing_weekdays=[1],
    )
    post = PostFactory(organization=scoped.organization, status=Post.Status.DRAFT)
    tuesday = datetime(2025, 6, 10, 12, 0, tzinfo=UTC)

    violations = compliance_check(
        _draft(member, "secret " * 50, network="x", link="https://other.test", post=post, at=tuesday, shares_today=1)
    )

    assert set(_codes(violations)) == {
        "blocked_phrase",
        "too_long",
        "daily_cap",
        "outside_hours",
        "domain_not_allowed",
        "post_not_live",
    }


# --- Rules ---------------------------------------------------------------------------------------------------------


def test_rules_default_to_an_unsaved_instance_then_the_saved_row(scoped):
    assert rules_for(organization=scoped.organization).pk is None

    saved = rules_save(organization=scoped.organization, by=scoped.admin, blocked_phrases=" a \n\na\nb  c ")
    again = rules_save(organization=scoped.organization, by=scoped.admin, daily_cap=4)

    assert again.pk == saved.pk == rules_for(organization=scoped.organization).pk
    assert again.blocked_phrases == "a\nb c" and again.daily_cap == 4
    actions = AuditEntry.objects.filter(action__startswith="compliance.").values_list("action", flat=True)
    assert sorted(actions) == ["compliance.rules_changed", "compliance.rules_created"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"allowed_domains": "not a domain"}, "allowed_domains"),
        ({"sharing_weekdays": [0, 8]}, "sharing_weekdays"),
        ({"sharing_weekdays": "1,2"}, "sharing_weekdays"),
        ({"sharing_from": time(9)}, "sharing_from"),
        ({"sharing_from": time(9), "sharing_until": time(9)}, "sharing_until"),
        ({"daily_cap": 0}, "daily_cap"),
        ({"disclosure_x": "x" * 101}, "disclosure_x"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_rules_are_refused_naming_the_field(scoped, fields, field):
    with pytest.raises(ServiceError) as refused:
        rules_save(organization=scoped.organization, by=scoped.admin, **fields)

    assert refused.value.field == field
    assert not ComplianceRules.objects.exists()


def test_a_programmes_own_rules_apply_when_the_post_targets_the_members_programme(scoped, member):
    programme = ProgrammeFactory(organization=scoped.organization)
    ProgrammeMember.objects.create(programme=programme, membership=member)
    rules_save(organization=scoped.organization, by=scoped.admin, blocked_phrases="acme")
    rules_save(organization=scoped.organization, by=scoped.admin, programme=programme, blocked_phrases="project x")
    targeted = PostFactory(organization=scoped.organization, status=Post.Status.APPROVED)
    PostProgramme.objects.create(organization=scoped.organization, post=targeted, programme=programme)
    general = PostFactory(organization=scoped.organization, status=Post.Status.APPROVED)
    text = "Acme and Project X"

    assert [text[v.start : v.end] for v in compliance_check(_draft(member, text, post=targeted))] == ["Project X"]
    assert [text[v.start : v.end] for v in compliance_check(_draft(member, text, post=general))] == ["Acme"]
    assert [text[v.start : v.end] for v in compliance_check(_draft(member, text))] == ["Acme"]


def test_the_other_organisation_sees_nothing_of_the_rules(scoped):
    rules_save(organization=scoped.organization, by=scoped.admin, blocked_phrases="secret")

    with organization_scope(scoped.other_organization):
        assert not ComplianceRules.objects.exists()
        assert rules_for(organization=scoped.other_organization).pk is None
        other_programme = ProgrammeFactory(organization=scoped.other_organization)

    with pytest.raises(ServiceError):
        rules_save(organization=scoped.organization, by=scoped.admin, programme=other_programme, daily_cap=1)
