"""The code lists the UI names through the message catalogue, taken from their definitions.

Each list is the project's own definition of the codes (the enum, the tuple of
statuses, the stage list), not a copy, so a new code shows up in the catalogue's
extraction and the completeness test fails until it has a name in both languages.
The catalogue holds each code as ``pgettext(<list>, <code>)``.

:func:`extract_code_lists` is a Babel extraction method (see ``babel.cfg``): for
``api/vocabulary.py`` it yields the codes instead of parsing the file, so plain
``pybabel extract -F babel.cfg`` collects them with the UI's strings.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import IO, Any, Final, get_args

from algorithms.contagion import Channel
from algorithms.contagion import Status as ContagionStatus
from algorithms.control import Effect as ControlEffect
from algorithms.control import Measure
from algorithms.control import RootKind as ControllerKind
from algorithms.control import Status as ControlStatus
from algorithms.groups import Role as MemberRole
from algorithms.hidden_guarantees import HiddenRiskKind
from algorithms.interdependence import Basis as DependenceBasis
from algorithms.interdependence import Direction as DependenceDirection
from algorithms.prospects import COMPONENTS
from algorithms.related_parties import EvidenceKind
from core.codes import (
    ACTIVITY_KINDS,
    EVENT_TYPES,
    SEGMENT_ORDER,
    SEVERITIES,
    SOURCES,
    STAGES,
    STATUSES,
    Action,
    Role,
)
from core.contacts import ContactKind, FamilyRelation, KeyPersonRole
from core.errors import CorpgraphError
from graph.customers import TRENDS
from graph.reports import AGE_BUCKETS
from loaders.contract import COMPANY_STATUSES
from loaders.synthetic.vocabulary import CONTROL_BASES, INDUSTRY_WORDS, PRODUCTS
from visualizations.model import NodeKind, Relation

#: Problem types the API answers besides its domain errors (see ``api.errors``).
EXTRA_PROBLEM_TYPES: Final = ("invalid-request", "http-404", "http-405", "http-error")


def _problem_types() -> tuple[str, ...]:
    seen: list[str] = []
    pending: list[type[CorpgraphError]] = [CorpgraphError]
    while pending:
        error = pending.pop(0)
        if error.problem_type not in seen:
            seen.append(error.problem_type)
        pending.extend(error.__subclasses__())
    return (*seen, *EXTRA_PROBLEM_TYPES)


#: code list (the gettext context) → its codes, in display order.
CODE_LISTS: Final[Mapping[str, tuple[str, ...]]] = {
    "role": tuple(r.value for r in Role),
    "segment": SEGMENT_ORDER,
    "event_type": EVENT_TYPES,
    "event_status": STATUSES,
    "severity": SEVERITIES,
    "suggested_action": get_args(Action),
    "stage": STAGES,
    "opportunity_source": SOURCES,
    "activity_kind": ACTIVITY_KINDS,
    "relation": get_args(Relation),
    "node_kind": get_args(NodeKind),
    "member_role": get_args(MemberRole),
    "controller_measure": get_args(Measure),
    "control_status": get_args(ControlStatus),
    "control_effect": get_args(ControlEffect),
    # A control link's basis is free text in the contract; the usual ones are named.
    "control_basis": CONTROL_BASES,
    "controller_kind": get_args(ControllerKind),
    "dependence_direction": get_args(DependenceDirection),
    "dependence_basis": get_args(DependenceBasis),
    "contagion_status": get_args(ContagionStatus),
    "contagion_channel": get_args(Channel),
    "age_bucket": tuple(name for name, _ in AGE_BUCKETS),
    "score_component": COMPONENTS,
    "supply_role": ("supplier", "buyer"),
    "trend": TRENDS,
    "company_status": COMPANY_STATUSES,
    "industry": tuple(INDUSTRY_WORDS),
    "product_category": tuple(dict.fromkeys(category for _, _, category in PRODUCTS)),
    "problem": _problem_types(),
    "key_person_role": tuple(r.value for r in KeyPersonRole),
    "family_relation": tuple(r.value for r in FamilyRelation),
    "contact_kind": tuple(k.value for k in ContactKind),
    "contact_family": ("address", "phone", "email"),
    "related_evidence": tuple(k.value for k in EvidenceKind),
    # The related-party review: the queue and the decided pairs.
    "review_status": ("pending", "confirmed", "dismissed"),
    # The kinds of connection between a group and companies outside it.
    "connection_kind": ("economic_interdependence", "confirmed_related_party"),
    "hidden_guarantee_risk": tuple(k.value for k in HiddenRiskKind),
}


def extract_code_lists(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, str, tuple[str, str], list[str]]]:
    """Babel extraction method: every code of :data:`CODE_LISTS` as a ``pgettext`` call."""
    for context, codes in CODE_LISTS.items():
        for code in codes:
            yield 1, "pgettext", (context, code), [f"code list: {context}"]
