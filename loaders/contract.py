"""The input data contract: the single machine-readable source of truth.

``docs/data-contract.md`` describes these files for people; a unit test checks
that it names every file and column defined here. The loader validates against
these specs, and the synthetic-bank generator writes exactly these columns.

Examples
--------
>>> CONTRACT["companies"].required_file, CONTRACT["transactions"].required_file
(True, False)
>>> [c.name for c in CONTRACT["branches"].columns]
['branch_id', 'name', 'parent_branch_id']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from core.codes import ACTIVITY_KINDS
from core.contacts import ContactKind, FamilyRelation, KeyPersonRole
from core.kpis import METRIC_CODES, SCOPE_TYPES


class Kind(StrEnum):
    """How a column's text is parsed and checked."""

    ID = "id"  # non-empty text, trimmed, at most 64 characters
    TEXT = "text"  # free text (may be Chinese)
    BOOL = "bool"  # true/false, 1/0, yes/no, y/n, 是/否
    DECIMAL = "decimal"  # exact; thousands separators and E-notation allowed
    PERCENT = "percent"  # decimal in (0, 100]
    DATE = "date"  # YYYY-MM-DD (also YYYY/MM/DD, YYYYMMDD)
    CURRENCY = "currency"  # ISO 4217 code, e.g. CNY, USD
    USCC = "uscc"  # 18-character code with a valid GB 32100 check character
    ENUM = "enum"  # one of ``choices``
    RATE = "rate"  # exact positive decimal, at most core.money.MAX_RATE_DECIMALS decimals


@dataclass(frozen=True)
class Column:
    """One column of an input file."""

    name: str
    kind: Kind
    required: bool = True
    description: str = ""
    choices: tuple[str, ...] = ()
    #: ``"file.column"`` this value must exist in (checked after all files are read).
    references: str | None = None
    #: For an amount (``DECIMAL``): the column of the same row holding its currency, or
    #: a fixed ISO 4217 code. It fixes the decimals allowed and the range of minor units.
    currency_column: str | None = None
    fixed_currency: str | None = None


@dataclass(frozen=True)
class FileSpec:
    """One input file: its columns, its key, and whether it must be present."""

    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    required_file: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for candidate in self.columns:
            if candidate.name == name:
                return candidate
        raise KeyError(name)


def _c(name: str, kind: Kind, required: bool = True, description: str = "", **kw: object) -> Column:
    return Column(name, kind, required, description, **kw)  # type: ignore[arg-type]


OWNER_TYPES: Final = ("company", "person")
COMPANY_STATUSES: Final = ("active", "dormant", "dissolved", "revoked")
#: Tolerance on the sum of one company's direct shares (rounding in registry data).
SHARE_SUM_TOLERANCE_PCT: Final = "0.5"

CONTRACT: Final[dict[str, FileSpec]] = {
    "branches": FileSpec(
        "branches",
        "The branch tree: head office (no parent) → branches → sub-branches.",
        (
            _c("branch_id", Kind.ID),
            _c("name", Kind.TEXT),
            _c("parent_branch_id", Kind.ID, False, references="branches.branch_id"),
        ),
        key=("branch_id",),
    ),
    "relationship_managers": FileSpec(
        "relationship_managers",
        "Relationship managers (客户经理) and the branch each works at.",
        (
            _c("rm_id", Kind.ID),
            _c("name", Kind.TEXT),
            _c("branch_id", Kind.ID, references="branches.branch_id"),
        ),
        key=("rm_id",),
    ),
    "companies": FileSpec(
        "companies",
        "Every company: customers and non-customers (suppliers, buyers, owners...).",
        (
            _c("company_id", Kind.ID),
            _c("name", Kind.TEXT),
            _c("uscc", Kind.USCC, False, "统一社会信用代码"),
            _c("is_customer", Kind.BOOL),
            _c(
                "segment", Kind.TEXT, False, "customer segment, e.g. strategic, core, growth, basic"
            ),
            _c("industry", Kind.TEXT, False),
            _c("region", Kind.TEXT, False),
            _c("branch_id", Kind.ID, False, "booking branch", references="branches.branch_id"),
            _c("rm_id", Kind.ID, False, references="relationship_managers.rm_id"),
            _c("registered_capital", Kind.DECIMAL, False, "in CNY", fixed_currency="CNY"),
            _c("founded", Kind.DATE, False),
            _c("status", Kind.ENUM, False, choices=COMPANY_STATUSES),
        ),
        key=("company_id",),
        required_file=True,
    ),
    "persons": FileSpec(
        "persons",
        "Natural persons: shareholders and ultimate controllers.",
        (_c("person_id", Kind.ID), _c("name", Kind.TEXT)),
        key=("person_id",),
    ),
    "shareholdings": FileSpec(
        "shareholdings",
        "Direct equity: owner holds share_pct of company.",
        (
            _c("owner_id", Kind.ID),
            _c("owner_type", Kind.ENUM, choices=OWNER_TYPES),
            _c("company_id", Kind.ID, references="companies.company_id"),
            _c("share_pct", Kind.PERCENT, description="in (0, 100]"),
            _c("as_of", Kind.DATE, False),
        ),
        key=("owner_id", "company_id"),
        notes=(
            "owner_id refers to companies.company_id or persons.person_id by owner_type.",
            "The direct shares of one company may add up to at most 100 "
            f"(+{SHARE_SUM_TOLERANCE_PCT} tolerance); rows past that are rejected.",
        ),
    ),
    "control_links": FileSpec(
        "control_links",
        "Control without a percentage: by agreement, by a regulator's filing, by VIE.",
        (
            _c("controller_id", Kind.ID),
            _c("controller_type", Kind.ENUM, choices=OWNER_TYPES),
            _c("company_id", Kind.ID, references="companies.company_id"),
            _c("basis", Kind.TEXT, description="e.g. agreement, regulator_filing, vie"),
        ),
        key=("controller_id", "company_id"),
    ),
    "supply_links": FileSpec(
        "supply_links",
        "Supplier sells to buyer.",
        (
            _c("supplier_id", Kind.ID, references="companies.company_id"),
            _c("buyer_id", Kind.ID, references="companies.company_id"),
            _c("annual_amount", Kind.DECIMAL, False, currency_column="currency"),
            _c("currency", Kind.CURRENCY, False, "required when annual_amount is given"),
            _c("category", Kind.TEXT, False),
            _c("since", Kind.DATE, False),
        ),
        key=("supplier_id", "buyer_id"),
    ),
    "guarantees": FileSpec(
        "guarantees",
        "Guarantor guarantees the borrower's debt to the bank.",
        (
            _c("guarantee_id", Kind.ID),
            _c("guarantor_id", Kind.ID, references="companies.company_id"),
            _c("borrower_id", Kind.ID, references="companies.company_id"),
            _c("amount", Kind.DECIMAL, currency_column="currency"),
            _c("currency", Kind.CURRENCY),
            _c("start_date", Kind.DATE),
            _c("end_date", Kind.DATE, False),
        ),
        key=("guarantee_id",),
    ),
    "facilities": FileSpec(
        "facilities",
        "Credit facilities the bank granted: limit and current outstanding.",
        (
            _c("facility_id", Kind.ID),
            _c("customer_id", Kind.ID, references="companies.company_id"),
            _c("product", Kind.TEXT),
            _c("limit", Kind.DECIMAL, currency_column="currency"),
            _c("outstanding", Kind.DECIMAL, currency_column="currency"),
            _c("currency", Kind.CURRENCY),
            _c("maturity", Kind.DATE, False),
        ),
        key=("facility_id",),
    ),
    "products": FileSpec(
        "products",
        "The bank's product catalogue.",
        (_c("product_code", Kind.ID), _c("name", Kind.TEXT), _c("category", Kind.TEXT)),
        key=("product_code",),
    ),
    "holdings": FileSpec(
        "holdings",
        "Products a customer holds, with balance.",
        (
            _c("customer_id", Kind.ID, references="companies.company_id"),
            _c("product_code", Kind.ID, references="products.product_code"),
            _c("balance", Kind.DECIMAL, currency_column="currency"),
            _c("currency", Kind.CURRENCY),
            _c("opened", Kind.DATE, False),
            _c("closed", Kind.DATE, False, "empty while the customer holds the product"),
        ),
        key=("customer_id", "product_code"),
        notes=(
            "A customer whose every holding is closed is a lost customer from the last "
            "closing date (the lost_customers metric). A row whose closed is before its "
            "opened is rejected (out_of_range).",
        ),
    ),
    "segment_snapshots": FileSpec(
        "segment_snapshots",
        "A customer's segment at a date; migrations are read between snapshots.",
        (
            _c("customer_id", Kind.ID, references="companies.company_id"),
            _c("as_of", Kind.DATE),
            _c("segment", Kind.TEXT),
        ),
        key=("customer_id", "as_of"),
    ),
    "transactions": FileSpec(
        "transactions",
        "Payments. Each side is an id, or a name and account resolved to a company.",
        (
            _c("txn_id", Kind.ID),
            _c("date", Kind.DATE),
            _c("amount", Kind.DECIMAL, description="positive", currency_column="currency"),
            _c("currency", Kind.CURRENCY),
            _c("payer_id", Kind.ID, False, references="companies.company_id"),
            _c("payer_name", Kind.TEXT, False),
            _c("payer_account", Kind.TEXT, False),
            _c("payer_uscc", Kind.USCC, False),
            _c("payee_id", Kind.ID, False, references="companies.company_id"),
            _c("payee_name", Kind.TEXT, False),
            _c("payee_account", Kind.TEXT, False),
            _c("payee_uscc", Kind.USCC, False),
            _c("channel", Kind.TEXT, False),
            _c("purpose", Kind.TEXT, False),
        ),
        key=("txn_id",),
        notes=(
            "Each side needs its id, or its name (account and USCC optional).",
            "A side without id resolves by valid USCC, then by normalised name, then by "
            "probabilistic matching (score thresholds and reviewed decisions), else a new "
            "non-customer company is created with a stable id derived from the name.",
        ),
    ),
    "key_persons": FileSpec(
        "key_persons",
        "Who runs a company: legal representative, directors, supervisors, executives.",
        (
            _c("company_id", Kind.ID, references="companies.company_id"),
            _c("person_id", Kind.ID),
            _c(
                "person_name",
                Kind.TEXT,
                False,
                "the person's name; required when person_id is not in persons",
            ),
            _c("role", Kind.ENUM, choices=tuple(KeyPersonRole)),
            _c("since", Kind.DATE, False),
            _c("until", Kind.DATE, False, "empty while the person holds the role"),
        ),
        key=("company_id", "person_id", "role"),
        notes=(
            "person_id is the same identity as persons.person_id (matched exactly, never "
            "by name); a person not in persons is created from person_name.",
            "A row whose until is before its since is rejected (out_of_range).",
        ),
    ),
    "person_relations": FileSpec(
        "person_relations",
        "Family ties between persons: spouse, parent, child, sibling, other family.",
        (
            _c("person_id", Kind.ID, references="persons.person_id"),
            _c("related_person_id", Kind.ID, references="persons.person_id"),
            _c("relation", Kind.ENUM, choices=tuple(FamilyRelation)),
        ),
        key=("person_id", "related_person_id"),
        notes=(
            "Both ids refer to persons or to key_persons.person_id. A tie is read both "
            "ways: parent means person_id is a parent of related_person_id.",
        ),
    ),
    "company_contacts": FileSpec(
        "company_contacts",
        "A company's registered and office addresses, phones and e-mail addresses.",
        (
            _c("company_id", Kind.ID, references="companies.company_id"),
            _c("kind", Kind.ENUM, choices=tuple(ContactKind)),
            _c("value", Kind.TEXT, description="as written; compared in its normal form"),
        ),
        key=("company_id", "kind", "value"),
        notes=(
            "Values are compared in a normal form (core.contacts): full/half width, "
            "spaces and punctuation, 中国 and province/city prefixes for addresses; "
            "separators, +86/0086, extensions and the trunk 0 for phones. A value with "
            "nothing comparable left is rejected (invalid_contact).",
        ),
    ),
    "fx_rates": FileSpec(
        "fx_rates",
        "Exchange rates: what one unit of a currency was worth in CNY on a date.",
        (
            _c("currency", Kind.CURRENCY),
            _c("rate_date", Kind.DATE),
            _c("cny_per_unit", Kind.RATE, description="CNY per one unit, exact, e.g. 7.1884"),
        ),
        key=("currency", "rate_date"),
        notes=(
            "Totals in several currencies also show their CNY equivalent at each "
            "currency's latest rate; an amount in a currency without a rate is shown "
            "as having none, never dropped or added at a guess.",
            "A CNY row must have cny_per_unit 1.",
        ),
    ),
    "targets": FileSpec(
        "targets",
        "Plan targets: one value per unit (a branch or an RM), metric and period.",
        (
            _c("scope_type", Kind.ENUM, choices=SCOPE_TYPES),
            _c("scope_id", Kind.ID),
            _c("metric", Kind.ENUM, choices=METRIC_CODES),
            _c("category", Kind.TEXT, False, "product category or stage; empty for all"),
            _c("period", Kind.TEXT, description="a year (2026), quarter (2026-Q1) or month"),
            _c(
                "target_value",
                Kind.DECIMAL,
                description="in the metric's unit: yuan, a count, a ratio, % or hours",
                fixed_currency="CNY",
            ),
        ),
        key=("scope_type", "scope_id", "metric", "category", "period"),
        notes=(
            "scope_id refers to branches.branch_id or relationship_managers.rm_id by scope_type.",
            "metric is a code of the KPI registry (core/kpis.py); a count takes a whole "
            "number, every value at most 2 decimals; category only for metrics broken down "
            "by one (holding_balance, facility_outstanding: product category; "
            "stage_conversion: stage).",
        ),
    ),
    "activities": FileSpec(
        "activities",
        "Sales activities RMs log: visits, calls, meetings, proposals sent, notes.",
        (
            _c("activity_id", Kind.ID),
            _c("rm_id", Kind.ID, references="relationship_managers.rm_id"),
            _c("company_id", Kind.ID, references="companies.company_id"),
            _c(
                "opportunity_id",
                Kind.ID,
                False,
                "the opportunity it advances, when it exists in corpgraph",
            ),
            _c("kind", Kind.ENUM, choices=ACTIVITY_KINDS),
            _c("date", Kind.DATE),
            _c("notes", Kind.TEXT, False),
        ),
        key=("activity_id",),
        notes=(
            "An activity counts for its RM and the branch the RM works at (the "
            "sales_activities metric counts visits and calls).",
            "opportunity_id is not checked against a file: opportunities live in corpgraph "
            "(created through the API); an activity naming one links to it once it exists.",
        ),
    ),
    "opportunity_history": FileSpec(
        "opportunity_history",
        "Opportunities from the bank's CRM with the dates they reached each stage: the "
        "history stage win probabilities are measured from.",
        (
            _c("opportunity_id", Kind.ID),
            _c("company_id", Kind.ID, references="companies.company_id"),
            _c("rm_id", Kind.ID, references="relationship_managers.rm_id"),
            _c("product", Kind.TEXT, False, "product code or description"),
            _c("amount", Kind.DECIMAL, False, currency_column="currency"),
            _c("currency", Kind.CURRENCY, False),
            _c("created", Kind.DATE, description="identified on this date"),
            _c("contacted", Kind.DATE, False, "reached contacted"),
            _c("proposal", Kind.DATE, False, "reached proposal"),
            _c("won", Kind.DATE, False, "won on this date"),
            _c("lost", Kind.DATE, False, "lost on this date"),
        ),
        key=("opportunity_id",),
        notes=(
            "Stage dates never go back in time (created <= contacted <= proposal <= "
            "won/lost); an opportunity is won or lost, not both, and won only after a "
            "proposal. Loading it again overwrites the same opportunities.",
        ),
    ),
}

#: Files in the order they load: referenced files first.
LOAD_ORDER: Final = (
    "branches",
    "relationship_managers",
    "companies",
    "persons",
    "products",
    "shareholdings",
    "control_links",
    "supply_links",
    "guarantees",
    "facilities",
    "holdings",
    "segment_snapshots",
    "fx_rates",
    "targets",
    "activities",
    "key_persons",
    "person_relations",
    "company_contacts",
    "opportunity_history",
    "transactions",
)


class RejectReason(StrEnum):
    """Why a row was rejected: the ``reason`` column of the rejects file.

    The synthetic bank's ``truth.json`` lists its planted bad rows with these codes.
    """

    MISSING_REQUIRED = "missing_required"  # a required field is empty
    INVALID_ID = "invalid_id"  # id too long or with control characters
    INVALID_BOOL = "invalid_bool"
    INVALID_DECIMAL = "invalid_decimal"  # not a number, or more decimals than its currency has
    #: e.g. share_pct outside (0, 100], a negative amount, an amount beyond 64-bit minor
    #: units, a monthly flow whose sum would pass that range
    OUT_OF_RANGE = "out_of_range"
    INVALID_DATE = "invalid_date"
    INVALID_CURRENCY = "invalid_currency"  # not an ISO 4217 code
    INVALID_USCC = "invalid_uscc"  # format or GB 32100 check character
    INVALID_ENUM = "invalid_enum"
    DUPLICATE_KEY = "duplicate_key"  # the file repeats a key with different values
    UNKNOWN_REFERENCE = "unknown_reference"  # refers to a row that does not exist
    SHARE_TOTAL_EXCEEDED = "share_total_exceeded"  # one company's shares add up past 100
    AMBIGUOUS_COUNTERPARTY = "ambiguous_counterparty"  # a name matches several companies
    SELF_REFERENCE = "self_reference"  # owns / supplies / guarantees / pays itself
    FIELD_TOO_LONG = "field_too_long"  # longer than Settings.max_field_chars
    WRONG_FIELD_COUNT = "wrong_field_count"  # fewer or more fields than the header
    MALFORMED_ROW = "malformed_row"  # not CSV: e.g. a quote inside an unquoted field
    #: a contact with nothing comparable left after normalising (e.g. a phone of 3 digits)
    INVALID_CONTACT = "invalid_contact"
