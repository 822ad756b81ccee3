"""The related-party review (疑似关联复核) for risk staff: the queue, decisions, their audit.

``GET /api/v1/related-parties/review`` lists the suspected pairs of the latest compute
that no reviewer has decided (``status=pending``, the queue, strongest first), or the
pairs decided ``confirmed`` or ``dismissed`` (newest first), each with its strength
and evidence paths. ``POST .../review/{review_id}/confirm`` and ``.../dismiss`` record a
decision with a note; who and when come from the caller.
``GET /api/v1/related-parties/decisions`` is the audit log.
``GET /api/v1/groups/{group_id}/related-parties`` shows a group's confirmed related
parties and the exposure of its group of connected counterparties.

When a decision applies: **at once**. A confirmed pair joins the group of connected
counterparties of its companies' control groups from the moment of the decision (no
compute needed; every later compute keeps it); a dismissed pair leaves the queue and
changes no figure. Decisions name the pair of companies (``RP-`` + a hash of the two
ids), so reloading the same files and recomputing never brings a dismissed pair back.

Roles: risk (and admin), as the entity-resolution review. Scoping: a reviewer sees
and decides only pairs whose two companies are visible to them; any other pair, like
an unknown one, answers 404.
"""

from __future__ import annotations

from typing import Annotated, Final, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import Field

from algorithms.groups import Exposure
from api.deps import Caller, CallerLanguage, DatabaseDep, require_roles
from api.pagination import Limit, Offset, Page
from api.routes.interdependence import ExposureOut
from api.routes.related import (
    RelatedCompanyOut,
    RelatedPartyOut,
    ReviewDecisionOut,
    StrengthOut,
    company_out,
    decision_out,
    path_companies,
    relation_out,
)
from api.schemas import ApiModel
from api.schemas import PathCodeOut as CodeOut
from core.codes import Role
from core.errors import NotFoundError
from core.formatting import Language
from core.i18n import N_, gettext, pgettext
from core.judgements import RelatedVerdict
from core.money import from_minor_units
from graph.branches import BranchScope
from graph.compute_runs import published_runs, run_fields
from graph.database import Database
from graph.related_review import DecisionRecord, list_decisions, list_review, record_decision
from graph.scoping import Anonymiser, hidden_company_name
from services import interdependence
from services.related_review import group_related_parties

router = APIRouter(prefix="/api/v1", tags=["related parties"])

Reviewer = Annotated[Caller, Depends(require_roles(Role.RISK))]
RiskReader = Annotated[Caller, Depends(require_roles(Role.RISK, Role.MANAGER))]
ReviewIdPath = Annotated[str, Path(pattern=r"^RP-[0-9a-f]{16}$", max_length=19)]
GroupIdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]

#: The code lists (api.vocabulary) that name a connection's kind and an evidence kind.
CONNECTION_KINDS: Final = "connection_kind"
CONFIRMED_KIND: Final = "confirmed_related_party"
EVIDENCE_KINDS: Final = "related_evidence"
#: When a decision applies, as the API states it on every decision and group view.
APPLIES_AT: Final = "decision"
APPLIES_TEXT = N_(
    "A decision applies at once: a confirmed related party joins the group of connected "
    "counterparties of its companies' groups from the moment of the decision, and keeps "
    "doing so after every reload and compute; a dismissed pair leaves the review queue and "
    "changes no figure."
)
CONNECTED_TEXT = N_(
    "The group's own (control) total is unchanged. The group of connected counterparties "
    "adds, each company once, the companies connected to a member by economic "
    "interdependence or by a confirmed related-party link."
)


class ReviewItemOut(ApiModel):
    """A pair of the review: the two companies, the evidence and the decision in force."""

    review_id: str = Field(description="The pair's id (RP-...), the same after every reload.")
    status: Literal["pending", "confirmed", "dismissed"]
    company: RelatedCompanyOut = Field(description="The first company (a customer).")
    related: RelatedPartyOut = Field(
        description="The second company as a related party of the first, with the evidence."
    )


class DecisionIn(ApiModel):
    """A reviewer's note on the decision: why (kept in the audit log)."""

    note: str = Field(min_length=1, max_length=2000, pattern=r"\S")


class DecisionRecordOut(ApiModel):
    """One decision of the audit log, and when it applies."""

    review_id: str
    company: RelatedCompanyOut
    related_company: RelatedCompanyOut
    decision: ReviewDecisionOut
    run_id: str | None = Field(description="The compute run whose evidence the reviewer saw.")
    applies: Literal["decision"] = Field(
        APPLIES_AT, description="decision: in force from the moment it is recorded."
    )
    applies_text: str = Field(description="When it applies, in the caller's language.")


class GroupRelatedConnectionOut(ApiModel):
    """A member's confirmed related party outside the group, and the decision."""

    review_id: str
    member: RelatedCompanyOut
    related: RelatedCompanyOut
    kind: CodeOut = Field(description="The kind of connection: confirmed related party.")
    strength: list[StrengthOut]
    decision: ReviewDecisionOut


class GroupRelatedPartiesOut(ApiModel):
    """A group's confirmed related parties: the third kind of connection, and the exposure.

    ``group_exposure`` is the control group's own total (unchanged by any review).
    ``related_exposure``: the confirmed related companies outside the group, each once.
    ``combined_exposure``: the group plus them. ``connected_exposure``: the group of
    connected counterparties, members plus every company connected by economic
    interdependence or a confirmed related-party link, each company once.
    """

    connections: list[GroupRelatedConnectionOut]
    related_companies: int
    related_customers: int
    group_exposure: list[ExposureOut]
    related_exposure: list[ExposureOut]
    combined_exposure: list[ExposureOut]
    connected_companies: int = Field(
        description="Companies outside the group connected by either kind, each once."
    )
    connected_exposure: list[ExposureOut]
    applies: Literal["decision"] = APPLIES_AT
    applies_text: str
    label: str = Field(description="How to read the figures, in the caller's language.")


def _exposures(exposures: tuple[Exposure, ...]) -> list[ExposureOut]:
    return [
        ExposureOut(
            currency=e.currency,
            limit=str(from_minor_units(e.limit_minor, e.currency)),
            outstanding=str(from_minor_units(e.outstanding_minor, e.currency)),
        )
        for e in exposures
    ]


def _ref_out(ref: interdependence.CompanyRef, language: Language, key: str) -> RelatedCompanyOut:
    if not ref.visible or ref.id is None:
        return RelatedCompanyOut(
            id=None,
            key=key,
            name=hidden_company_name(language),
            is_customer=ref.is_customer,
            visible=False,
        )
    return RelatedCompanyOut(
        id=ref.id, key=ref.id, name=ref.name or "", is_customer=ref.is_customer, visible=True
    )


def group_related_view(
    db: Database, group_id: str, scope: BranchScope, language: Language
) -> GroupRelatedPartiesOut | None:
    """The group's confirmed related parties, or ``None`` when unknown or not visible.

    The group detail embeds this, next to economic interdependence.
    """
    found = group_related_parties(db, group_id, scope)
    if found is None:
        return None
    return GroupRelatedPartiesOut(
        connections=[
            GroupRelatedConnectionOut(
                review_id=c.review_id,
                member=_ref_out(c.member, language, f"hidden-member-{n}"),
                related=_ref_out(c.related, language, f"hidden-related-{n}"),
                kind=CodeOut(
                    code=CONFIRMED_KIND,
                    name=pgettext(language, CONNECTION_KINDS, CONFIRMED_KIND),
                ),
                strength=[
                    StrengthOut(
                        kind=CodeOut(code=kind, name=pgettext(language, EVIDENCE_KINDS, kind)),
                        count=count,
                    )
                    for kind, count in c.strength.items()
                ],
                decision=decision_out(c.decision),
            )
            for n, c in enumerate(found.connections, start=1)
        ],
        related_companies=found.related_companies,
        related_customers=found.related_customers,
        group_exposure=_exposures(found.group_exposure),
        related_exposure=_exposures(found.related_exposure),
        combined_exposure=_exposures(found.combined_exposure),
        connected_companies=found.connected_companies,
        connected_exposure=_exposures(found.connected_exposure),
        applies_text=gettext(language, APPLIES_TEXT),
        label=gettext(language, CONNECTED_TEXT),
    )


@router.get("/related-parties/review", response_model=Page[ReviewItemOut])
def review_queue(
    caller: Reviewer,
    db: DatabaseDep,
    language: CallerLanguage,
    status: Annotated[
        Literal["pending", "confirmed", "dismissed"],
        Query(description="pending: the queue; confirmed or dismissed: decided pairs"),
    ] = "pending",
    limit: Limit = 20,
    offset: Offset = 0,
) -> Page[ReviewItemOut]:
    """Suspected related-party pairs to review (strongest first), or the decided ones."""
    runs = published_runs(db, ("related_parties",))
    verdict = None if status == "pending" else RelatedVerdict(status)
    page = list_review(
        db,
        caller.scope,
        runs.run_id("related_parties"),
        status=verdict,
        limit=limit,
        offset=offset,
    )
    relations = [i.relation for i in page.items]
    anon = Anonymiser(caller.scope, language=language).load(
        db, {i.left.company_id for i in page.items} | path_companies(relations)
    )
    items = [
        ReviewItemOut(
            review_id=i.review_id,
            status=i.decision.verdict.value if i.decision is not None else "pending",
            company=company_out(anon, i.left.company_id),
            related=relation_out(
                i.relation, page.person_names, page.contact_values, anon, language, i.decision
            ),
        )
        for i in page.items
    ]
    extra = run_fields(runs, "related_parties") if status == "pending" else {}
    return Page[ReviewItemOut](total=page.total, limit=limit, offset=offset, items=items, **extra)


def _record_out(
    record: DecisionRecord, db: Database, scope: BranchScope, language: Language
) -> DecisionRecordOut:
    anon = Anonymiser(scope, language=language).load(
        db, (record.left.company_id, record.right.company_id)
    )
    return DecisionRecordOut(
        review_id=record.review_id,
        company=company_out(anon, record.left.company_id),
        related_company=company_out(anon, record.right.company_id),
        decision=decision_out(record.decision, anon),
        run_id=record.run_id,
        applies_text=gettext(language, APPLIES_TEXT),
    )


def _decide(
    review_id: str,
    verdict: RelatedVerdict,
    body: DecisionIn,
    caller: Caller,
    db: Database,
    language: Language,
) -> DecisionRecordOut:
    runs = published_runs(db, ("related_parties",))
    record = record_decision(
        db,
        caller.scope,
        review_id,
        verdict,
        run_id=runs.run_id("related_parties"),
        user_id=caller.user.user_id,
        user_name=caller.user.name,
        note=body.note,
    )
    return _record_out(record, db, caller.scope, language)


@router.post(
    "/related-parties/review/{review_id}/confirm",
    response_model=DecisionRecordOut,
    status_code=201,
)
def confirm(
    review_id: ReviewIdPath,
    body: DecisionIn,
    caller: Reviewer,
    db: DatabaseDep,
    language: CallerLanguage,
) -> DecisionRecordOut:
    """Confirm the pair as related parties: it joins the group of connected counterparties now."""
    return _decide(review_id, RelatedVerdict.CONFIRMED, body, caller, db, language)


@router.post(
    "/related-parties/review/{review_id}/dismiss",
    response_model=DecisionRecordOut,
    status_code=201,
)
def dismiss(
    review_id: ReviewIdPath,
    body: DecisionIn,
    caller: Reviewer,
    db: DatabaseDep,
    language: CallerLanguage,
) -> DecisionRecordOut:
    """Dismiss the pair: it leaves the queue for good and changes no figure."""
    return _decide(review_id, RelatedVerdict.DISMISSED, body, caller, db, language)


@router.get("/related-parties/decisions", response_model=Page[DecisionRecordOut])
def decisions(
    caller: Reviewer,
    db: DatabaseDep,
    language: CallerLanguage,
    review_id: Annotated[str | None, Query(pattern=r"^RP-[0-9a-f]{16}$", max_length=19)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[DecisionRecordOut]:
    """The audit log: every decision on pairs the caller may see, newest first."""
    total, records = list_decisions(
        db, caller.scope, review_id=review_id, limit=limit, offset=offset
    )
    return Page[DecisionRecordOut](
        total=total,
        limit=limit,
        offset=offset,
        items=[_record_out(r, db, caller.scope, language) for r in records],
    )


@router.get("/groups/{group_id}/related-parties", response_model=GroupRelatedPartiesOut)
def group(
    group_id: GroupIdPath, caller: RiskReader, db: DatabaseDep, language: CallerLanguage
) -> GroupRelatedPartiesOut:
    """The group's confirmed related parties and its group of connected counterparties."""
    found = group_related_view(db, group_id, caller.scope, language)
    if found is None:
        raise NotFoundError(f"group {group_id} not found")
    return found
