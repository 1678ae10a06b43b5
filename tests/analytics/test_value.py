"""Earned media value: exact amounts from figures and rates, unknown figures left out and named, the rates printed as
people read them (2 to 4 decimals, in their language), and the formula partial the dashboard includes."""

from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from advocacy.models import Organization
from analytics.models import EMV_DEFAULTS, EmvRates
from analytics.value import Figure, NetworkFigures, Term, earned_media_value, shown_rate
from content.models import Network


def rates(**overrides) -> EmvRates:
    """Unsaved rates (the defaults, with ``overrides``): the computation reads no database."""
    return EmvRates(organization=Organization(pk=1), **overrides)


LINKEDIN = NetworkFigures(unique_clicks=120, likes=40, comments=7, reshares=None, impressions=None)
X = NetworkFigures(unique_clicks=55, likes=31, comments=4, reshares=9, impressions=12345)


def test_the_defaults_are_documented_rates_for_linkedin_and_x():
    row = rates()
    assert row.currency == "EUR"
    assert row.for_network(Network.LINKEDIN).cost_per_click == EMV_DEFAULTS[Network.LINKEDIN][0] == Decimal("5.00")
    assert row.for_network(Network.X).cost_per_mille == Decimal("6.00")


def test_each_network_adds_clicks_impressions_per_thousand_and_reactions():
    value = earned_media_value({Network.LINKEDIN: LINKEDIN, Network.X: X}, rates())

    # LinkedIn: 120 × 5.00 + (impressions unknown) + (40 + 7) × 1.00; X: 55 × 0.60 + 12345 ÷ 1000 × 6.00 + 44 × 0.12
    assert value.by_network == {Network.LINKEDIN: Decimal("647.00"), Network.X: Decimal("112.35")}
    assert value.total == Decimal("759.35")
    assert value.currency == "EUR"
    x_terms = {term.term: term for term in value.networks[1].terms}
    assert x_terms[Term.IMPRESSIONS].quantity == 12345
    assert x_terms[Term.IMPRESSIONS].per == 1000
    assert x_terms[Term.IMPRESSIONS].value == Decimal("74.07")
    assert x_terms[Term.REACTIONS].quantity == 44
    assert x_terms[Term.REACTIONS].value == Decimal("5.28")


def test_a_figure_the_network_did_not_give_is_left_out_and_named_never_counted_as_zero():
    value = earned_media_value({Network.LINKEDIN: LINKEDIN, Network.X: X}, rates())

    assert value.incomplete
    assert value.missing == ((Network.LINKEDIN, Figure.IMPRESSIONS), (Network.LINKEDIN, Figure.RESHARES))
    linkedin_terms = {term.term: term for term in value.networks[0].terms}
    assert linkedin_terms[Term.IMPRESSIONS].quantity is None
    assert linkedin_terms[Term.IMPRESSIONS].value == Decimal("0.00")
    assert linkedin_terms[Term.REACTIONS].quantity == 47  # the likes and comments it gave
    assert linkedin_terms[Term.REACTIONS].missing == (Figure.RESHARES,)
    assert not earned_media_value({Network.X: X}, rates()).incomplete


def test_every_term_is_rounded_to_the_cent_so_the_printed_terms_add_up():
    custom = rates(
        currency="CHF",
        linkedin_cost_per_click=Decimal("0.125"),
        linkedin_cost_per_mille=Decimal("7.5"),
        linkedin_value_per_reaction=Decimal("0.0049"),
    )
    figures = NetworkFigures(unique_clicks=1, likes=1, comments=0, reshares=0, impressions=1)

    value = earned_media_value({Network.LINKEDIN: figures}, custom)

    # 0.125 → 0.13, 1 ÷ 1000 × 7.5 = 0.0075 → 0.01, 0.0049 → 0.00 (half up)
    assert [term.value for term in value.networks[0].terms] == [Decimal("0.13"), Decimal("0.01"), Decimal("0.00")]
    assert value.total == Decimal("0.14")
    assert value.currency == "CHF"


def test_networks_without_rates_are_left_out_and_named_and_no_figures_is_zero():
    generic = NetworkFigures(unique_clicks=500, likes=None, comments=None, reshares=None, impressions=None)

    value = earned_media_value({Network.GENERIC: generic}, rates())

    assert value.total == Decimal("0.00")
    assert value.networks == ()
    assert value.unpriced == (Network.GENERIC,)
    assert [line.network for line in value.rates] == [Network.LINKEDIN, Network.X]  # printed even without activity


def test_zero_rates_give_zero():
    free = rates(**{name: Decimal("0") for name in EmvRates.RATE_FIELDS})
    assert earned_media_value({Network.X: X}, free).total == Decimal("0.00")


@pytest.mark.parametrize(
    ("rate", "shown"),
    [
        (Decimal("5"), "5.00"),
        (Decimal("5.0000"), "5.00"),
        (Decimal("0.5"), "0.50"),
        (Decimal("0.125"), "0.125"),
        (Decimal("0.1250"), "0.125"),
        (Decimal("0.0049"), "0.0049"),
        (Decimal("30"), "30.00"),
        (Decimal("0"), "0.00"),
    ],
)
def test_a_rate_shows_two_decimals_and_up_to_four(rate, shown):
    assert str(shown_rate(rate)) == shown


def test_the_formula_partial_prints_the_terms_the_missing_figures_and_the_rates():
    value = earned_media_value({Network.LINKEDIN: LINKEDIN, Network.X: X}, rates())

    english = render_to_string("analytics/_emv_formula.html", {"emv": value, "rates_url": "/o/acme/settings/value/"})
    with translation.override("fr"):
        french = render_to_string("analytics/_emv_formula.html", {"emv": value})

    assert "120 × 5.00" in english
    assert "12345 ÷ 1000 × 6.00" in english
    assert "impressions not provided by the network" in english
    assert "reshares: not provided by the network, left out" in english
    assert "= 647.00 EUR" in english
    assert "0.60 per click, 6.00 per 1,000 impressions, 0.12 per reaction" in english
    assert 'href="/o/acme/settings/value/"' in english
    assert "120 × 5,00" in french
    assert "non fourni" in french
