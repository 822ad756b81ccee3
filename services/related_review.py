"""Confirmed related parties in groups: the third kind of connection between counterparties.

A group (集团客户) is made by control. Economic interdependence
(:mod:`services.interdependence`) is the second kind of connection; a related-party
link that risk staff confirmed (:mod:`graph.related_review`) is the third. Basel's
group of connected counterparties (LEX10) takes all of them: the group's members, the
companies economically dependent on or depended on by a member, and the companies a
reviewer confirmed as related to a member, **each company once**.

When it applies: at the moment of the decision. The links are read live against the
published control groups, so a confirmation shows in the group's figures at once and
a dismissal never does; a later compute (new groups) keeps applying them, because the
decision names the pair of companies, not a group.

Scoping: the group must be visible (a member in the caller's subtree); a related
company booked outside the subtree is an anonymous placeholder. The totals are whole,
as the group's own totals are.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from algorithms.groups import Exposure
from graph import interdependence_store as store
from graph.branches import BranchScope
from graph.compute_runs import published_runs
from graph.database import Database
from graph.related_review import Decision, read_group_links
from graph.scoping import Anonymiser, is_visible

from .interdependence import CompanyRef, combine


@dataclass(frozen=True)
class GroupRelatedConnection:
    """A confirmed related party of a member, outside the group, and the decision."""

    review_id: str
    member: CompanyRef
    related: CompanyRef
    strength: dict[str, int]
    decision: Decision


@dataclass(frozen=True)
class GroupRelatedParties:
    """A group's confirmed related parties and the exposure of its connected counterparties.

    ``related_exposure``: the confirmed related companies outside the group (each once);
    ``combined_exposure``: the group's members plus them; ``connected_exposure``: the
    group of connected counterparties, members plus every company connected by economic
    interdependence or a confirmed related-party link, each company once.
    """

    group_id: str
    connections: tuple[GroupRelatedConnection, ...]
    related_companies: int
    related_customers: int
    group_exposure: tuple[Exposure, ...]
    related_exposure: tuple[Exposure, ...]
    combined_exposure: tuple[Exposure, ...]
    connected_companies: int
    connected_exposure: tuple[Exposure, ...]


def _ref(
    company_id: str, name: str, is_customer: bool, branch: str | None, scope: BranchScope
) -> CompanyRef:
    if not is_visible(scope, is_customer=is_customer, branch_id=branch):
        return CompanyRef(None, None, is_customer, False)
    return CompanyRef(company_id, name, is_customer, True)


def exposures_once(rows: Iterable[store.CompanyFacilities]) -> tuple[Exposure, ...]:
    """Per-currency sums of facility rows, each company counted once whatever repeats it.

    Examples
    --------
    >>> row = store.CompanyFacilities("A", True, "CNY", 100, 60)
    >>> exposures_once([row, row, store.CompanyFacilities("B", False, None, 0, 0)])
    (Exposure(currency='CNY', limit_minor=100, outstanding_minor=60),)
    """
    unique = {(r.company_id, r.currency): r for r in rows if r.currency is not None}
    return combine(
        Exposure(r.currency, r.limit_minor, r.outstanding_minor)
        for r in unique.values()
        if r.currency is not None
    )


def group_related_parties(
    db: Database, group_id: str, scope: BranchScope
) -> GroupRelatedParties | None:
    """A visible group's confirmed related parties and connected exposure, else ``None``."""
    runs = published_runs(db, ("group_risk", "interdependence"))
    group_run, dependency_run = runs.group_risk, runs.interdependence
    if not store.group_visible(db, group_id, scope.parameters(), group_run):
        return None
    links = read_group_links(db, group_id, group_run)
    anon = Anonymiser(scope)  # the notes may name a company the caller may not see
    for link in links:
        anon.learn(
            link.member_id,
            name=link.member_name,
            is_customer=link.member_customer,
            branch_id=link.member_branch,
        )
        anon.learn(
            link.other_id,
            name=link.other_name,
            is_customer=link.other_customer,
            branch_id=link.other_branch,
        )
    connections = tuple(
        GroupRelatedConnection(
            review_id=link.review_id,
            member=_ref(
                link.member_id, link.member_name, link.member_customer, link.member_branch, scope
            ),
            related=_ref(
                link.other_id, link.other_name, link.other_customer, link.other_branch, scope
            ),
            strength=link.strength,
            decision=replace(link.decision, note=anon.scrub(link.decision.note) or ""),
        )
        for link in links
    )
    related_ids = {link.other_id: link.other_customer for link in links}
    members = store.read_group_member_facilities(db, group_id, group_run)
    related = store.read_company_facilities(db, related_ids)
    dependent = store.read_group_connected_facilities(db, group_id, group_run, dependency_run)
    group_exposure = exposures_once(members)
    connected_ids = {r.company_id for r in dependent} | set(related_ids)
    return GroupRelatedParties(
        group_id=group_id,
        connections=connections,
        related_companies=len(related_ids),
        related_customers=sum(related_ids.values()),
        group_exposure=group_exposure,
        related_exposure=exposures_once(related),
        combined_exposure=exposures_once([*members, *related]),
        connected_companies=len(connected_ids),
        connected_exposure=exposures_once([*members, *dependent, *related]),
    )
