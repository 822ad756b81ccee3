"""Suspected related parties (疑似关联) of a customer, with their evidence paths.

``status=suspected`` (the default) lists the suspicions of the latest compute that no
reviewer has decided yet; ``status=confirmed`` and ``status=dismissed`` list the pairs
risk staff decided in the review (:mod:`api.routes.related_review`), each with its
decision (who, when, note) and the evidence the reviewer saw.

Scoping: the customer itself must be in the caller's branch subtree (else 404,
exactly like an unknown id). A related company booked outside the subtree is an
anonymous placeholder (no id, no name), as everywhere else. Persons and contacts
are visible only through companies the caller may see: a node of an evidence path
that is a person or a contact is shown only when it touches (in that path) a
company the caller may see; otherwise it is a placeholder with no id and no name.
The customer's own key persons and contacts are always its neighbours, so what is
hidden is what only the hidden company would reveal (the relative of its key person).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import Field

from api.deps import Caller, CallerLanguage, DatabaseDep, require_roles
from api.pagination import Limit, Offset, Page
from api.schemas import ApiModel, EvidenceOut
from api.schemas import PathCodeOut as CodeOut
from core.codes import Role
from core.formatting import Language
from core.i18n import pgettext
from core.judgements import RelatedVerdict
from graph.compute_runs import published_runs, run_fields
from graph.related_parties import StoredEvidence, StoredRelation, read_related
from graph.related_review import Decision, list_customer_links
from graph.scoping import Anonymiser
from services.related_parties import scoped_evidence

router = APIRouter(prefix="/api/v1", tags=["related parties"])

RelatedReader = Annotated[Caller, Depends(require_roles(Role.RM, Role.RISK, Role.MANAGER))]
IdPath = Annotated[str, Path(min_length=1, max_length=64)]


class StrengthOut(ApiModel):
    """How many pieces of evidence of one kind."""

    kind: CodeOut
    count: int


class RelatedCompanyOut(ApiModel):
    """The related company as the caller may see it."""

    id: str | None
    key: str
    name: str
    is_customer: bool
    visible: bool


class ReviewDecisionOut(ApiModel):
    """A risk reviewer's decision on a related-party pair: who, when and why."""

    id: str
    verdict: RelatedVerdict
    decided_at: datetime
    user_id: str
    user_name: str | None
    note: str


class RelatedPartyOut(ApiModel):
    """A related party of the customer, its strength and its evidence (and its decision)."""

    company: RelatedCompanyOut
    strength: list[StrengthOut]
    evidence_total: int
    tied_by_ownership: bool
    evidence: list[EvidenceOut]
    review_id: str | None = Field(
        None, description="The pair's id in the related-party review (RP-...)."
    )
    decision: ReviewDecisionOut | None = Field(
        None, description="The decision in force (confirmed or dismissed lists only)."
    )


def _code(language: Language, context: str, code: str) -> CodeOut:
    return CodeOut(code=code, name=pgettext(language, context, code))


def decision_out(decision: Decision, anon: Anonymiser | None = None) -> ReviewDecisionOut:
    """The decision as shown: the note is scrubbed of companies the caller may not see."""
    note = anon.scrub(decision.note) if anon is not None else decision.note
    return ReviewDecisionOut(
        id=decision.decision_id,
        verdict=decision.verdict,
        decided_at=decision.decided_at,
        user_id=decision.user_id,
        user_name=decision.user_name,
        note=note or "",
    )


def company_out(anon: Anonymiser, company_id: str) -> RelatedCompanyOut:
    """A company of a pair or a path as the caller may see it."""
    ref = anon.ref(company_id)
    return RelatedCompanyOut(
        id=ref.id, key=ref.key, name=ref.name, is_customer=ref.is_customer, visible=ref.visible
    )


def path_companies(relations: Iterable[StoredRelation]) -> set[str]:
    """Every company the relations and their evidence paths name."""
    return {r.other_id for r in relations} | {
        i for r in relations for e in r.evidence for k, i in e.nodes if k == "company"
    }


def relation_out(
    relation: StoredRelation,
    persons: Mapping[str, str],
    contacts: Mapping[str, str],
    anon: Anonymiser,
    language: Language,
    decision: Decision | None = None,
) -> RelatedPartyOut:
    """A relation with its strength and evidence paths, scoped and named."""
    return RelatedPartyOut(
        company=company_out(anon, relation.other_id),
        strength=[
            StrengthOut(kind=_code(language, "related_evidence", kind), count=count)
            for kind, count in relation.strength.items()
        ],
        evidence_total=relation.evidence_total,
        tied_by_ownership=relation.tied_by_ownership,
        evidence=[_evidence(e, persons, contacts, anon, language) for e in relation.evidence],
        review_id=relation.review_id,
        decision=decision_out(decision, anon) if decision is not None else None,
    )


def _evidence(
    evidence: StoredEvidence,
    persons: Mapping[str, str],
    contacts: Mapping[str, str],
    anon: Anonymiser,
    language: Language,
) -> EvidenceOut:
    """One evidence path, scoped: see :func:`services.related_parties.scoped_evidence`."""
    return EvidenceOut.model_validate(scoped_evidence(evidence, persons, contacts, anon, language))


RelatedStatus = Literal["suspected", "confirmed", "dismissed"]


@router.get("/customers/{customer_id}/related", response_model=Page[RelatedPartyOut])
def get_related_parties(
    customer_id: IdPath,
    caller: RelatedReader,
    db: DatabaseDep,
    language: CallerLanguage,
    status: Annotated[
        RelatedStatus,
        Query(
            description="suspected: not yet reviewed (latest compute); confirmed or dismissed: "
            "decided in the related-party review, with the decision"
        ),
    ] = "suspected",
    limit: Limit = 20,
    offset: Offset = 0,
) -> Page[RelatedPartyOut]:
    """The customer's related parties (疑似关联), strongest first, with evidence.

    Suspected ones come from the latest published ``related_parties`` compute run (empty
    before the first); confirmed and dismissed ones from the review's decisions in force,
    newest first, with the evidence the reviewer saw.
    """
    runs = published_runs(db, ("related_parties",))
    run_id = runs.run_id("related_parties") if status == "suspected" else None
    page = read_related(db, caller.scope, customer_id, run_id, limit=limit, offset=offset)
    if status == "suspected":
        anon = Anonymiser(caller.scope, language=language).load(
            db, {page.customer_id} | path_companies(page.relations)
        )
        items = [
            relation_out(r, page.person_names, page.contact_values, anon, language)
            for r in page.relations
        ]
        return Page[RelatedPartyOut](
            total=page.total,
            limit=limit,
            offset=offset,
            items=items,
            **run_fields(runs, "related_parties"),
        )
    decided = list_customer_links(
        db, customer_id, RelatedVerdict(status), limit=limit, offset=offset
    )
    relations = [i.relation for i in decided.items]
    anon = Anonymiser(caller.scope, language=language).load(
        db, {customer_id} | path_companies(relations)
    )
    return Page[RelatedPartyOut](
        total=decided.total,
        limit=limit,
        offset=offset,
        items=[
            relation_out(
                i.relation, decided.person_names, decided.contact_values, anon, language, i.decision
            )
            for i in decided.items
        ],
    )
