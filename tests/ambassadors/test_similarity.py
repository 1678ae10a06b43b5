"""The anti-parrot measure (ambassadors.similarity): a copy scores 1, reordered sentences stay above the threshold,
one personal sentence clears the notice, a translation scores near 0; and the first suggested text differs from one
colleague to the next (ambassadors.services.composer.first_variant)."""

import pytest

from ambassadors.models import VariantOffer
from ambassadors.services.composer import first_variant, text_check
from ambassadors.similarity import OWN_SENTENCE_WORDS, PARROT_THRESHOLD, Source, own_words, similarity, words
from tests.ambassadors.test_shares import accept_charter, live_post, share_of
from tests.content.factories import PostVariantFactory
from tests.factories import MembershipFactory, UserFactory

SUGGESTION = (
    "Our new plant in Lyon opens today. It runs on renewable energy and brings two hundred jobs to the region. "
    "Proud to see this project come to life after three years of work."
)
PERSONAL = "I visited the site last spring and the team there taught me more about batteries than any course."


def _score(text: str, *sources: str) -> float:
    return similarity(text, [Source("variant", source) for source in sources]).score


def test_an_unchanged_suggestion_is_a_parrot():
    result = similarity(SUGGESTION, [Source("variant", SUGGESTION)])
    assert result.score == 1.0
    assert result.own_words == 0
    assert result.is_parrot


def test_case_accents_punctuation_and_links_do_not_hide_a_copy():
    copy = SUGGESTION.upper().replace(".", " !") + " https://example.com/plant?utm_source=x"
    assert _score(copy, SUGGESTION) == 1.0
    assert words("Élève l’été") == words("eleve l'ete")


def test_reordered_sentences_stay_above_the_threshold():
    first, second, third = (sentence.strip() + "." for sentence in SUGGESTION.split(".")[:3])
    reordered = f"{third} {first} {second}"
    result = similarity(reordered, [Source("variant", SUGGESTION)])
    assert result.score >= PARROT_THRESHOLD
    assert result.is_parrot


def test_one_personal_sentence_clears_the_notice():
    result = similarity(f"{PERSONAL}\n\n{SUGGESTION}", [Source("variant", SUGGESTION)])
    assert result.own_words >= OWN_SENTENCE_WORDS
    assert not result.is_parrot


def test_a_few_words_added_are_not_enough():
    result = similarity(f"Great news! {SUGGESTION}", [Source("variant", SUGGESTION)])
    assert result.is_parrot


def test_a_translation_scores_near_zero():
    french = (
        "Notre nouvelle usine de Lyon ouvre aujourd'hui. Elle fonctionne aux énergies renouvelables et apporte deux "
        "cents emplois à la région. Fier de voir ce projet prendre vie après trois ans de travail."
    )
    assert _score(french, SUGGESTION) < 0.1
    assert not similarity(french, [Source("variant", SUGGESTION)]).is_parrot


def test_the_closest_source_is_named_among_several():
    colleague = Source("colleague", f"{PERSONAL} {SUGGESTION}", ref=7)
    result = similarity(PERSONAL, [Source("variant", SUGGESTION), colleague])
    assert result.closest == colleague
    assert result.score == 1.0


def test_the_disclosure_counts_neither_way():
    disclosure = "#employee I work for Acme"
    text = f"{PERSONAL}\n\n{disclosure}"
    with_it = similarity(
        text, [Source("colleague", f"Something else entirely here.\n\n{disclosure}")], ignore=[disclosure]
    )
    assert with_it.score == 0.0
    assert with_it.own_words == len(words(PERSONAL))


def test_own_words_count_against_every_suggestion():
    other = "Two hundred jobs for the region, on renewable energy."
    sources = [Source("variant", SUGGESTION), Source("variant", other)]
    assert own_words(f"{PERSONAL} {SUGGESTION}", sources) == len(words(PERSONAL))


def test_an_empty_text_scores_zero():
    result = similarity("", [Source("variant", SUGGESTION)])
    assert result.score == 0.0
    assert not result.is_parrot


# --- Different colleagues, different first drafts ----------------------------------------------------------------


@pytest.fixture
def colleagues(scoped):
    members = [scoped.membership(scoped.ambassador)]
    for number in range(3):
        members.append(
            MembershipFactory(organization=scoped.organization, user=UserFactory(email=f"c{number}@acme.test"))
        )
    return members


def test_two_colleagues_opening_the_same_post_are_first_offered_different_variants(scoped, colleagues):
    post = live_post(scoped)
    PostVariantFactory(post=post, network="linkedin", text="A second way to say it.", position=1)
    PostVariantFactory(post=post, network="linkedin", text="A third way to say it.", position=2)
    offered = [first_variant(membership=member, post=post, network="linkedin") for member in colleagues[:3]]
    assert len({variant.pk for variant in offered}) == 3
    # The fourth colleague gets the least offered again, and everyone keeps their first offer on a second visit.
    assert first_variant(membership=colleagues[3], post=post, network="linkedin") == offered[0]
    assert first_variant(membership=colleagues[1], post=post, network="linkedin") == offered[1]
    assert VariantOffer.objects.filter(post=post).count() == 4


def test_a_post_with_one_suggestion_offers_it_to_everyone_without_recording(scoped, colleagues):
    post = live_post(scoped)
    variants = {first_variant(membership=member, post=post, network="x").text for member in colleagues}
    assert variants == {"Q3 report is out!"}
    assert not VariantOffer.objects.filter(post=post).exists()


def test_a_network_without_its_own_suggestion_offers_the_others(scoped, colleagues):
    post = live_post(scoped)
    assert first_variant(membership=colleagues[0], post=post, network="generic") is not None


def test_colleagues_shares_count_but_not_the_members_own(scoped, colleagues):
    accept_charter(scoped, scoped.ambassador)
    post = live_post(scoped)
    share_of(scoped, colleagues[1], post, status="published", text=f"{PERSONAL} Read it.")
    share_of(scoped, colleagues[0], post, status="published", network="x", text=f"{PERSONAL} Mine on X.")
    check = text_check(membership=colleagues[0], post=post, text=PERSONAL)
    assert check.similarity.is_parrot
    assert check.similarity.closest.kind == "colleague"
    cancelled_only = text_check(membership=colleagues[2], post=post, text="Our Q3 report is out: proud of the team.")
    assert cancelled_only.similarity.score == 1.0
