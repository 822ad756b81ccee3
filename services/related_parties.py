"""The ``related_parties`` compute step: every customer's suspected related parties.

Reads key persons, family ties, contacts and company ties
(:func:`graph.related_parties.read_inputs`), runs the pure algorithm
(:func:`algorithms.related_parties.suspected_related_parties`) with the agent rule's
threshold from Settings, and writes the relations under the run id; the runner
(:mod:`services.compute`) publishes them. No graph engine is needed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any, Final

from algorithms.related_parties import SuspectedRelation, suspected_related_parties
from core.formatting import Language
from core.i18n import N_, gettext, pgettext
from core.judgements import related_pair_id
from core.settings import Settings
from graph.database import Database
from graph.related_parties import StoredEvidence, read_inputs, write_relations
from graph.scoping import Anonymiser

from .compute_inputs import ComputeInputs
from .engines import GraphEngine
from .steps import StepReport

logger = logging.getLogger(__name__)


def relation_rows(relations: Sequence[SuspectedRelation]) -> list[dict[str, Any]]:
    """The rows :func:`graph.related_parties.write_relations` stores (``rank`` keeps the order).

    Examples
    --------
    >>> from algorithms.related_parties import Evidence, EvidenceKind, PathNode
    >>> path = (PathNode("company", "A"), PathNode("person", "P"), PathNode("company", "B"))
    >>> evidence = Evidence(EvidenceKind.SHARED_KEY_PERSON, path, ("director", "supervisor"))
    >>> row = relation_rows([SuspectedRelation("A", "B", (evidence,))])[0]
    >>> row["pair_id"], row["evidence_kinds"], row["evidence_counts"], row["tied_by_ownership"]
    ('A|B', ['shared_key_person'], [1], False)
    """
    rows = []
    for rank, relation in enumerate(relations):
        strength = relation.strength
        paths = [
            {
                "kind": e.kind.value,
                "nodes": [[n.kind, n.id] for n in e.nodes],
                "links": list(e.links),
            }
            for e in relation.evidence
        ]
        rows.append(
            {
                "pair_id": f"{relation.customer_id}|{relation.other_id}",
                "review_id": related_pair_id(relation.customer_id, relation.other_id),
                "customer_id": relation.customer_id,
                "other_id": relation.other_id,
                "evidence_kinds": list(strength),
                "evidence_counts": list(strength.values()),
                "evidence_total": len(relation.evidence),
                "tied_by_ownership": relation.tied_by_ownership,
                "rank": rank,
                "paths": json.dumps(paths, ensure_ascii=False),
            }
        )
    return rows


#: The code list that names a link of an evidence path, by the kinds of its two ends.
LINK_LISTS: Final[dict[frozenset[str], str]] = {
    frozenset({"company", "person"}): "key_person_role",
    frozenset({"person"}): "family_relation",
    frozenset({"company", "contact"}): "contact_kind",
    frozenset({"company"}): "related_evidence",
}


def link_list(nodes: Sequence[tuple[str, str]], links: Sequence[str]) -> list[tuple[str, str]]:
    """``(code list, code)`` of each link of a path, so that it can be named.

    >>> link_list([("company", "A"), ("person", "P"), ("person", "Q"), ("company", "B")],
    ...           ["director", "spouse", "legal_representative"])
    [('key_person_role', 'director'), ('family_relation', 'spouse'), \
('key_person_role', 'legal_representative')]
    """
    return [
        (LINK_LISTS[frozenset({nodes[i][0], nodes[i + 1][0]})], link)
        for i, link in enumerate(links)
    ]


def visible_nodes(
    nodes: Sequence[tuple[str, str]], company_visible: Callable[[str], bool]
) -> list[bool]:
    """Which nodes of an evidence path the caller may see.

    A company: when :class:`graph.scoping.Anonymiser` says so. A person or a contact:
    only when it is next (in the path) to a company the caller may see: persons and
    contacts are visible only through visible companies, never through another person.

    Examples
    --------
    >>> path = [("company", "A"), ("person", "P1"), ("person", "P2"), ("company", "B")]
    >>> visible_nodes(path, lambda c: c == "A")
    [True, True, False, False]
    >>> visible_nodes([("company", "A"), ("contact", "k"), ("company", "B")], lambda c: c == "B")
    [False, True, True]
    """
    companies = [kind == "company" and company_visible(node) for kind, node in nodes]
    shown = []
    for i, (kind, _node) in enumerate(nodes):
        if kind == "company":
            shown.append(companies[i])
        else:
            shown.append((i > 0 and companies[i - 1]) or (i + 1 < len(nodes) and companies[i + 1]))
    return shown


HIDDEN_PERSON: Final = N_("A person known only through a customer of another branch")
HIDDEN_CONTACT: Final = N_("A contact known only through a customer of another branch")


def _code(language: Language, context: str, code: str) -> dict[str, str]:
    return {"code": code, "name": pgettext(language, context, code)}


def scoped_evidence(
    evidence: StoredEvidence,
    person_names: Mapping[str, str],
    contact_values: Mapping[str, str],
    anon: Anonymiser,
    language: Language,
) -> dict[str, Any]:
    """An evidence path as the caller may see it (the shape of ``api.routes.related.EvidenceOut``).

    Companies go through ``anon`` (a placeholder outside the caller's subtree); a person
    or a contact is shown only when :func:`visible_nodes` says so, else it is a
    placeholder with no id and no name. Codes come with their names in ``language``.
    """
    shown = visible_nodes(evidence.nodes, anon.visible)
    nodes: list[dict[str, Any]] = []
    for (kind, node_id), visible in zip(evidence.nodes, shown, strict=True):
        if kind == "company":
            ref = anon.ref(node_id)
            nodes.append(
                {
                    "kind": "company",
                    "id": ref.id,
                    "key": ref.key,
                    "name": ref.name,
                    "visible": ref.visible,
                    "is_customer": ref.is_customer,
                }
            )
        elif kind == "person":
            nodes.append(
                {
                    "kind": "person",
                    "id": node_id if visible else None,
                    "key": node_id if visible else f"hidden-person-{len(nodes) + 1}",
                    "name": person_names.get(node_id, node_id)
                    if visible
                    else gettext(language, HIDDEN_PERSON),
                    "visible": visible,
                }
            )
        else:
            nodes.append(
                {
                    "kind": "contact",
                    "id": None,
                    "key": f"contact-{len(nodes) + 1}",
                    "name": contact_values.get(node_id, "")
                    if visible
                    else gettext(language, HIDDEN_CONTACT),
                    "visible": visible,
                    "contact_kind": _code(language, "contact_family", node_id.partition("|")[0]),
                }
            )
    return {
        "kind": _code(language, "related_evidence", evidence.kind),
        "nodes": nodes,
        "links": [
            _code(language, context, code)
            for context, code in link_list(evidence.nodes, evidence.links)
        ],
    }


def compute_related_parties(
    db: Database,
    engine: GraphEngine,
    settings: Settings,
    run_id: str,
    /,
    *,
    run_inputs: ComputeInputs | None = None,  # the flows: this step does not read them
) -> StepReport:
    """Compute and store every customer's suspected related parties under ``run_id``."""
    inputs = read_inputs(db, as_of=date.today())
    result = suspected_related_parties(
        customers=inputs.customers,
        key_persons=inputs.key_persons,
        family=inputs.family,
        contacts=inputs.contacts,
        company_ties=inputs.company_ties,
        max_companies_per_contact=settings.related_party_max_companies_per_contact,
    )
    write_relations(db, run_id, relation_rows(result.relations))
    hidden = sum(1 for r in result.relations if not r.tied_by_ownership)
    logger.info(
        "related parties: %d suspected relations (%d hidden), %d agent contacts excluded",
        len(result.relations),
        hidden,
        len(result.excluded_contacts),
    )
    return StepReport(
        "related_parties",
        {
            "suspected relations": len(result.relations),
            "without equity or control tie": hidden,
            "agent contacts excluded": len(result.excluded_contacts),
        },
    )
