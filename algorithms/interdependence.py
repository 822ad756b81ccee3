"""Economic interdependence: companies whose failure would likely bring down a customer.

Control is one way two counterparties become one risk; economic interdependence
is the other. The Basel large-exposures standard (Basel Framework, LEX10.10)
deems two or more counterparties a *group of connected counterparties* when one
controls the other **or** when they are so interconnected that if one of them
had financial problems, in particular funding or repayment difficulties, the
other would likely have them too. Among the signs of such interdependence the
standard lists a large part of one counterparty's gross receipts or gross
expenditures (on an annual basis) coming from transactions with the other, for
example a landlord most of whose rent is paid by one tenant, and production
sold largely to one buyer that cannot easily be replaced. LEX10.11 requires
banks to assess the relations among their counterparties against both criteria.
The Chinese rule (《商业银行大额风险暴露管理办法》, 银保监会令2018年第1号)
implements the same standard: its 关联客户 are connected through 控制关系 or
经济依存关系. The standards give these signs as judgement criteria, not as numbers; the
threshold here is the bank's own calibration (``core.settings.Settings``).

The rule implemented
--------------------
All amounts are exact integers in minor units of one currency, ``rule.currency``;
flows in other currencies are not converted (there is no exchange rate here),
they are left out and named in ``other_currencies`` so a reader knows the share
covers one currency only. The window is the ``rule.window_months`` calendar
months ending at the latest month of flows.

**By fund flows.** Customer ``A`` *depends on* ``B`` by its **receipts** when,
over the window,

1. ``B``'s payments to ``A`` are at least ``rule.share`` of ``A``'s gross receipts
   (everything ``A`` was paid), and
2. that share holds in at least ``rule.min_months`` single months. A month counts
   as *observed* when ``A`` received anything in it and as *above* when ``B``'s
   part of that month's receipts is at least ``rule.share``. Silent months are
   neither observed nor above, so one lumpy payment that makes the window's
   share large is still not a dependency.

By its **expenditures** in the same way, with ``A``'s payments to ``B`` against
everything ``A`` paid. A share exactly at the threshold counts.

**By supply links.** A link ``S`` supplies ``B`` for ``Y`` a year makes the supplier
``S`` depend on ``B`` (receipts) when ``Y`` is at least ``rule.share`` of ``S``'s
annual receipts, and the buyer ``B`` depend on ``S`` (expenditures) when ``Y`` is
at least that share of ``B``'s annual expenditures. The annual figure is the
window's total scaled to twelve months, and it is *known* only when the company
was observed in at least ``rule.min_months`` months and ``Y`` does not exceed it
(a link larger than everything the company is seen to receive means the bank
does not see its whole business, so the share is unknown and nothing is
claimed). Links without an amount or in another currency are not used.

**Who can depend.** Only customers: the bank sees a customer's accounts, so its
gross receipts and expenditures are known; a non-customer's are only the part
it trades with customers, which would inflate every share. The counterparty
may be anyone, so at least one side of every pair is a customer.

Examples
--------
>>> rule = InterdependenceRule(Fraction(1, 2), window_months=3, min_months=2, currency="CNY")
>>> flows = [MonthlyFlow("BIG", "SUP", m, "CNY", 800_00) for m in ("2025-01", "2025-02", "2025-03")]
>>> flows += [MonthlyFlow("X", "SUP", m, "CNY", 200_00) for m in ("2025-01", "2025-02", "2025-03")]
>>> found = find_dependencies(flows, [], frozenset({"SUP"}), rule)
>>> [(d.dependent_id, d.counterparty_id, d.direction, str(d.share)) for d in found]
[('SUP', 'BIG', 'receipts', '4/5')]
>>> found[0].months_observed, found[0].months_above
(3, 3)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Final, Literal, NamedTuple

from core.i18n import N_
from core.messages import Message, Month
from core.money import Money

from .events import month_axis

Direction = Literal["receipts", "expenditures"]
Basis = Literal["flows", "supply"]

DIRECTIONS: Final[tuple[Direction, ...]] = ("receipts", "expenditures")
BASES: Final[tuple[Basis, ...]] = ("flows", "supply")
MONTHS_PER_YEAR: Final = 12


class MonthlyFlow(NamedTuple):
    """What ``payer`` paid ``payee`` in one month and currency (a ``PAYS`` edge).

    A named tuple, not a dataclass: a compute makes one per monthly flow in the window
    (hundreds of thousands), three times faster.
    """

    payer_id: str
    payee_id: str
    month: str  # YYYY-MM
    currency: str
    amount_minor: int


@dataclass(frozen=True)
class SupplyAmount:
    """A supply link with its annual amount (a ``SUPPLIES`` edge that has one)."""

    supplier_id: str
    buyer_id: str
    annual_minor: int
    currency: str


@dataclass(frozen=True)
class InterdependenceRule:
    """The thresholds of the rule (``core.settings.Settings`` supplies them).

    Raises
    ------
    ValueError
        When the share is not in (0, 1] or the months do not fit the window.
    """

    share: Fraction
    window_months: int
    min_months: int
    currency: str

    def __post_init__(self) -> None:
        if not 0 < self.share <= 1:
            raise ValueError(f"share threshold must be in (0, 1], got {self.share}")
        if not 1 <= self.min_months <= self.window_months:
            raise ValueError(
                f"min_months ({self.min_months}) must be between 1 and the window "
                f"({self.window_months})"
            )


@dataclass(frozen=True)
class Dependency:
    """One company depending on another, with the evidence that says so.

    ``counterparty_minor`` is what the counterparty paid (receipts) or was paid
    (expenditures) in the window, or the supply link's annual amount;
    ``total_minor`` is the dependent's gross receipts or expenditures in the
    window, or their annual figure for a supply link (rounded down to a minor
    unit for display; ``share`` is exact). ``months_above`` is ``None`` for a
    supply link, which has no months of its own.
    """

    dependent_id: str
    counterparty_id: str
    direction: Direction
    basis: Basis
    share: Fraction
    threshold: Fraction
    currency: str
    counterparty_minor: int
    total_minor: int
    months_observed: int
    months_above: int | None
    window_start: str
    window_end: str
    other_currencies: tuple[str, ...]
    explanation: tuple[Message, ...]

    def share_decimal(self, places: int = 6) -> Decimal:
        """The share rounded half-up to ``places`` decimals.

        Examples
        --------
        >>> percent = Dependency("A", "B", "receipts", "flows", Fraction(2, 3), Fraction(1, 2),
        ...     "CNY", 2, 3, 1, 1, "2025-01", "2025-01", (), ())
        >>> percent.share_decimal(4)
        Decimal('0.6667')
        """
        return _rounded(self.share, places)


def _rounded(value: Fraction, places: int) -> Decimal:
    quantum = Decimal(1).scaleb(-places)
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(quantum, rounding=ROUND_HALF_UP)


def percent_text(value: Fraction) -> str:
    """A share as a percentage with one decimal, or none when whole.

    Examples
    --------
    >>> percent_text(Fraction(1, 2)), percent_text(Fraction(2, 3))
    ('50%', '66.7%')
    """
    percent = _rounded(value * 100, 1)
    return f"{percent.normalize():f}%" if percent == percent.to_integral() else f"{percent}%"


def window_of(last_month: str, months: int) -> list[str]:
    """The ``months`` calendar months ending at ``last_month``.

    Examples
    --------
    >>> window_of("2025-03", 4)
    ['2024-12', '2025-01', '2025-02', '2025-03']
    """
    year, month = int(last_month[:4]), int(last_month[5:7])
    index = year * 12 + (month - 1) - (months - 1)
    return month_axis(f"{index // 12:04d}-{index % 12 + 1:02d}", last_month)


@dataclass
class _Ledger:
    """Customers' monthly totals and pair amounts in one direction, in the window."""

    totals: dict[str, dict[str, int]]  # customer → month → gross amount
    pairs: dict[tuple[str, str], dict[str, int]]  # (customer, counterparty) → month → amount
    other_currencies: dict[str, set[str]]  # customer → currencies left out


def _ledgers(
    flows: Iterable[MonthlyFlow], customers: frozenset[str], months: set[str], currency: str
) -> dict[Direction, _Ledger]:
    ledgers: dict[Direction, _Ledger] = {
        d: _Ledger(defaultdict(lambda: defaultdict(int)), {}, defaultdict(set)) for d in DIRECTIONS
    }
    receipts, expenditures = ledgers["receipts"], ledgers["expenditures"]
    for flow in flows:
        payer, payee, month, amount = flow.payer_id, flow.payee_id, flow.month, flow.amount_minor
        if month not in months or amount <= 0 or payer == payee:
            continue
        # Each side in turn: the payee's receipts, then the payer's expenditures.
        for ledger, customer, counterparty in (
            (receipts, payee, payer),
            (expenditures, payer, payee),
        ):
            if customer not in customers:
                continue
            if flow.currency != currency:
                ledger.other_currencies[customer].add(flow.currency)
                continue
            ledger.totals[customer][month] += amount
            by_month = ledger.pairs.get((customer, counterparty))
            if by_month is None:
                by_month = ledger.pairs[(customer, counterparty)] = defaultdict(int)
            by_month[month] += amount
    return ledgers


def find_dependencies(
    flows: Iterable[MonthlyFlow],
    supply: Iterable[SupplyAmount],
    customers: frozenset[str],
    rule: InterdependenceRule,
    *,
    last_month: str | None = None,
) -> list[Dependency]:
    """Every dependency of a customer on another company, by flows and by supply links.

    Parameters
    ----------
    flows
        Monthly flows; any currency, any months (those outside the window are ignored).
    supply
        Supply links with an annual amount.
    customers
        Company ids of the bank's customers: only they can be dependents.
    rule
        Threshold share, window, minimum months and currency.
    last_month
        The window's last month (``YYYY-MM``); default: the latest month of a flow
        in ``rule.currency``. Without one there is no window and no result.

    Returns
    -------
    list[Dependency]
        Sorted by dependent, counterparty, direction and basis.
    """
    flows = list(flows)
    if last_month is None:
        in_currency = [f.month for f in flows if f.currency == rule.currency]
        if not in_currency:
            return []
        last_month = max(in_currency)
    months = window_of(last_month, rule.window_months)
    ledgers = _ledgers(flows, customers, set(months), rule.currency)
    found: list[Dependency] = []
    for direction, ledger in ledgers.items():
        for (customer, counterparty), by_month in ledger.pairs.items():
            dependency = _flow_dependency(
                customer, counterparty, direction, by_month, ledger, rule, months
            )
            if dependency is not None:
                found.append(dependency)
    annual: dict[tuple[str, str], int] = defaultdict(int)
    for link in supply:
        if (
            link.currency == rule.currency
            and link.annual_minor > 0
            and link.supplier_id != link.buyer_id
        ):
            annual[(link.supplier_id, link.buyer_id)] += link.annual_minor
    for (supplier, buyer), amount in sorted(annual.items()):
        sides: tuple[tuple[Direction, str, str], ...] = (
            ("receipts", supplier, buyer),
            ("expenditures", buyer, supplier),
        )
        for direction, dependent, counterparty in sides:
            if dependent not in customers:
                continue
            dependency = _supply_dependency(
                dependent, counterparty, direction, amount, ledgers[direction], rule, months
            )
            if dependency is not None:
                found.append(dependency)
    return sorted(
        found,
        key=lambda d: (d.dependent_id, d.counterparty_id, d.direction, BASES.index(d.basis)),
    )


def _flow_dependency(
    customer: str,
    counterparty: str,
    direction: Direction,
    by_month: Mapping[str, int],
    ledger: _Ledger,
    rule: InterdependenceRule,
    months: Sequence[str],
) -> Dependency | None:
    totals = ledger.totals[customer]
    total = sum(totals.values())
    amount = sum(by_month.values())
    # a / b < p / q in integers (b, q > 0: totals only hold positive amounts).
    threshold = Fraction(rule.share)
    p, q = threshold.numerator, threshold.denominator
    if amount * q < p * total:
        return None
    observed = [m for m in months if totals.get(m, 0) > 0]
    above = sum(1 for m in observed if by_month.get(m, 0) * q >= p * totals[m])
    if above < rule.min_months:
        return None
    share = Fraction(amount, total)
    others = tuple(sorted(ledger.other_currencies.get(customer, ())))
    explanation = _flow_explanation(
        direction, rule, months, share, amount, total, len(observed), above, others
    )
    return Dependency(
        customer,
        counterparty,
        direction,
        "flows",
        share,
        rule.share,
        rule.currency,
        amount,
        total,
        len(observed),
        above,
        months[0],
        months[-1],
        others,
        explanation,
    )


def _supply_dependency(
    dependent: str,
    counterparty: str,
    direction: Direction,
    annual_amount: int,
    ledger: _Ledger,
    rule: InterdependenceRule,
    months: Sequence[str],
) -> Dependency | None:
    totals = ledger.totals.get(dependent, {})
    observed = sum(1 for m in months if totals.get(m, 0) > 0)
    if observed < rule.min_months:
        return None  # the company's annual receipts (expenditures) are not known
    annual_total = Fraction(sum(totals.values()) * MONTHS_PER_YEAR, len(months))
    if annual_amount > annual_total:
        return None  # the bank does not see the company's whole business
    share = annual_amount / annual_total
    if share < rule.share:
        return None
    others = tuple(sorted(ledger.other_currencies.get(dependent, ())))
    total_minor = int(annual_total)  # rounded down, for display only
    explanation = _supply_explanation(
        direction, rule, months, share, annual_amount, total_minor, observed, others
    )
    return Dependency(
        dependent,
        counterparty,
        direction,
        "supply",
        share,
        rule.share,
        rule.currency,
        annual_amount,
        total_minor,
        observed,
        None,
        months[0],
        months[-1],
        others,
        explanation,
    )


# --- explanations -------------------------------------------------------------------------------
# Catalogue keys (core.messages): rendered in the reader's language when read.
_FLOW_KEYS: Final[dict[Direction, str]] = {
    "receipts": N_(
        "From {start} to {end} this counterparty paid {share} of the company's {currency} "
        "receipts ({amount} of {total}), and at least {threshold} in {above} of the "
        "{observed} months with receipts."
    ),
    "expenditures": N_(
        "From {start} to {end} the company paid this counterparty {share} of its {currency} "
        "expenditures ({amount} of {total}), and at least {threshold} in {above} of the "
        "{observed} months with expenditures."
    ),
}
_SUPPLY_KEYS: Final[dict[Direction, str]] = {
    "receipts": N_(
        "The supply link's annual sales to this counterparty ({amount}) are {share} of the "
        "company's annual {currency} receipts ({total}, from {observed} months with receipts "
        "in {start} to {end})."
    ),
    "expenditures": N_(
        "The supply link's annual purchases from this counterparty ({amount}) are {share} of "
        "the company's annual {currency} expenditures ({total}, from {observed} months with "
        "expenditures in {start} to {end})."
    ),
}
_OTHER_CURRENCY_KEYS: Final[dict[Direction, str]] = {
    "receipts": N_("Its receipts in {currencies} are not counted (no exchange rate)."),
    "expenditures": N_("Its expenditures in {currencies} are not counted (no exchange rate)."),
}


def _other_currency_notes(others: tuple[str, ...], direction: Direction) -> tuple[Message, ...]:
    if not others:
        return ()
    return (Message(_OTHER_CURRENCY_KEYS[direction], {"currencies": ", ".join(others)}),)


def _flow_explanation(
    direction: Direction,
    rule: InterdependenceRule,
    months: Sequence[str],
    share: Fraction,
    amount: int,
    total: int,
    observed: int,
    above: int,
    others: tuple[str, ...],
) -> tuple[Message, ...]:
    cur = rule.currency
    main = Message(
        _FLOW_KEYS[direction],
        {
            "start": Month(months[0]),
            "end": Month(months[-1]),
            "share": percent_text(share),
            "currency": cur,
            "amount": Money(amount, cur),
            "total": Money(total, cur),
            "threshold": percent_text(rule.share),
            "above": above,
            "observed": observed,
        },
    )
    return (main, *_other_currency_notes(others, direction))


def _supply_explanation(
    direction: Direction,
    rule: InterdependenceRule,
    months: Sequence[str],
    share: Fraction,
    annual_amount: int,
    annual_total: int,
    observed: int,
    others: tuple[str, ...],
) -> tuple[Message, ...]:
    cur = rule.currency
    main = Message(
        _SUPPLY_KEYS[direction],
        {
            "amount": Money(annual_amount, cur),
            "share": percent_text(share),
            "currency": cur,
            "total": Money(annual_total, cur),
            "observed": observed,
            "start": Month(months[0]),
            "end": Month(months[-1]),
        },
    )
    return (main, *_other_currency_notes(others, direction))
