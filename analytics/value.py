"""Earned media value: what the attention members earned would have cost as paid media, from the organisation's rates.

Per network: unique clicks × cost per click + impressions ÷ 1,000 × cost per 1,000 impressions + reactions (likes,
comments and reshares) × value per reaction. A figure the network did not give is left out of its term, never read
as 0, and the result says so (LinkedIn gives no impressions for a member's own post). Every term is rounded to the
cent on its own, so the printed terms add up to the printed parts and the parts to the total.

Pure functions: the caller reads the figures (the daily rollups) and the rates (``analytics.selectors.emv_rates``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from analytics.models import PRICED_NETWORKS, EmvRates, NetworkRates

CENT = Decimal("0.01")
PER_MILLE = 1000


class Term(StrEnum):
    CLICKS = "clicks"
    IMPRESSIONS = "impressions"
    REACTIONS = "reactions"


class Figure(StrEnum):
    """The figures a term reads; the names of ``NetworkFigures``' fields."""

    UNIQUE_CLICKS = "unique_clicks"
    IMPRESSIONS = "impressions"
    LIKES = "likes"
    COMMENTS = "comments"
    RESHARES = "reshares"


REACTIONS = (Figure.LIKES, Figure.COMMENTS, Figure.RESHARES)


@dataclass(frozen=True)
class NetworkFigures:
    """One network's figures over the period; None where the network gave none (unknown, not 0)."""

    unique_clicks: int
    likes: int | None
    comments: int | None
    reshares: int | None
    impressions: int | None


@dataclass(frozen=True)
class TermValue:
    """One term of a network's formula: ``quantity`` × ``rate`` ÷ ``per``, rounded to the cent.

    ``quantity`` sums the figures the network gave (None: it gave none of them, and ``value`` is 0); ``missing``
    names those it did not give, left out of the term."""

    term: Term
    quantity: int | None
    rate: Decimal
    per: int
    value: Decimal
    missing: tuple[Figure, ...] = ()


@dataclass(frozen=True)
class NetworkValue:
    network: str
    rates: NetworkRates
    terms: tuple[TermValue, ...]
    value: Decimal

    @property
    def missing(self) -> tuple[Figure, ...]:
        return tuple(figure for term in self.terms for figure in term.missing)


@dataclass(frozen=True)
class EarnedMediaValue:
    """The total and its parts, with what the page prints under the figure: the currency, every network's rates
    (``rates``, all priced networks, even those without activity) and each part's terms (``networks``: the priced
    networks present in the figures). ``unpriced`` names networks of the figures left out for want of rates (the
    generic "copy and open" network)."""

    total: Decimal
    currency: str
    networks: tuple[NetworkValue, ...]
    rates: tuple[NetworkRates, ...]
    unpriced: tuple[str, ...] = ()

    @property
    def by_network(self) -> dict[str, Decimal]:
        return {part.network: part.value for part in self.networks}

    @property
    def missing(self) -> tuple[tuple[str, Figure], ...]:
        """(network, figure) for every figure a network did not give, left out of the total."""
        return tuple((part.network, figure) for part in self.networks for figure in part.missing)

    @property
    def incomplete(self) -> bool:
        """True when some term was left out because a network gave no figure: the total is a floor."""
        return bool(self.missing)


def _term(term: Term, figures: tuple[int | None, ...], names: tuple[Figure, ...], rate: Decimal, per: int) -> TermValue:
    known = [figure for figure in figures if figure is not None]
    quantity = sum(known) if known else None
    value = (Decimal(quantity or 0) * rate / per).quantize(CENT, rounding=ROUND_HALF_UP)
    missing = tuple(name for name, figure in zip(names, figures, strict=True) if figure is None)
    return TermValue(term=term, quantity=quantity, rate=rate, per=per, value=value, missing=missing)


def network_value(figures: NetworkFigures, rates: NetworkRates) -> NetworkValue:
    terms = (
        _term(Term.CLICKS, (figures.unique_clicks,), (Figure.UNIQUE_CLICKS,), rates.cost_per_click, 1),
        _term(Term.IMPRESSIONS, (figures.impressions,), (Figure.IMPRESSIONS,), rates.cost_per_mille, PER_MILLE),
        _term(
            Term.REACTIONS,
            (figures.likes, figures.comments, figures.reshares),
            REACTIONS,
            rates.value_per_reaction,
            1,
        ),
    )
    return NetworkValue(
        network=rates.network, rates=rates, terms=terms, value=sum((term.value for term in terms), Decimal("0.00"))
    )


def earned_media_value(figures: Mapping[str, NetworkFigures], rates: EmvRates) -> EarnedMediaValue:
    """The earned media value of ``figures`` (network → its figures over the period) at ``rates``."""
    parts = tuple(
        network_value(figures[network], rates.for_network(network)) for network in PRICED_NETWORKS if network in figures
    )
    return EarnedMediaValue(
        total=sum((part.value for part in parts), Decimal("0.00")),
        currency=rates.currency,
        networks=parts,
        rates=tuple(rates.for_network(network) for network in PRICED_NETWORKS),
        unpriced=tuple(sorted(network for network in figures if network not in PRICED_NETWORKS)),
    )


def shown_rate(rate: Decimal) -> Decimal:
    """A rate as printed: two decimals, up to four when it has them (5 → 5.00, 0.125 → 0.125, 0.1250 → 0.125)."""
    trimmed = rate.normalize()
    exponent = trimmed.as_tuple().exponent
    return trimmed if isinstance(exponent, int) and exponent < -2 else trimmed.quantize(CENT)
