"""Suspected related parties (疑似关联) of a customer, with their evidence paths.

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

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from api.deps import Caller, CallerLanguage, DatabaseDep, require_roles
from api.pagination import Limit, Offset, Page
from api.schemas import ApiModel, EvidenceOut
from api.schemas import PathCodeOut as CodeOut
from core.codes import Role
from core.formatting import Language
from core.i18n import pgettext
from graph.compute_runs import published_runs, run_fields
from graph.related_parties import RelatedPage, StoredEvidence, read_related
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


class RelatedPartyOut(ApiModel):
    """A suspected related party of the customer, its strength and its evidence."""

    company: RelatedCompanyOut
    strength: list[StrengthOut]
    evidence_total: int
    tied_by_ownership: bool
    evidence: list[EvidenceOut]


def _code(language: Language, context: str, code: str) -> CodeOut:
    return CodeOut(code=code, name=pgettext(language, context, code))


def _evidence(
    evidence: StoredEvidence, page: RelatedPage, anon: Anonymiser, language: Language
) -> EvidenceOut:
    return EvidenceOut.model_validate(
        scoped_evidence(evidence, page.person_names, page.contact_values, anon, language)
    )


@router.get("/customers/{customer_id}/related", response_model=Page[RelatedPartyOut])
def get_related_parties(
    customer_id: IdPath,
    caller: RelatedReader,
    db: DatabaseDep,
    language: CallerLanguage,
    limit: Limit = 20,
    offset: Offset = 0,
) -> Page[RelatedPartyOut]:
    """The customer's suspected related parties (疑似关联), strongest first, with evidence.

    From the latest published ``related_parties`` compute run; empty before the first.
    """
    runs = published_runs(db, ("related_parties",))
    page = read_related(
        db,
        caller.scope,
        customer_id,
        runs.run_id("related_parties"),
        limit=limit,
        offset=offset,
    )
    companies = {page.customer_id} | {r.other_id for r in page.relations}
    companies |= {
        i for r in page.relations for e in r.evidence for k, i in e.nodes if k == "company"
    }
    anon = Anonymiser(caller.scope, language=language).load(db, companies)
    items = []
    for relation in page.relations:
        ref = anon.ref(relation.other_id)
        items.append(
            RelatedPartyOut(
                company=RelatedCompanyOut(
                    id=ref.id,
                    key=ref.key,
                    name=ref.name,
                    is_customer=ref.is_customer,
                    visible=ref.visible,
                ),
                strength=[
                    StrengthOut(kind=_code(language, "related_evidence", kind), count=count)
                    for kind, count in relation.strength.items()
                ],
                evidence_total=relation.evidence_total,
                tied_by_ownership=relation.tied_by_ownership,
                evidence=[_evidence(e, page, anon, language) for e in relation.evidence],
            )
        )
    return Page[RelatedPartyOut](
        total=page.total,
        limit=limit,
        offset=offset,
        items=items,
        **run_fields(runs, "related_parties"),
    )
