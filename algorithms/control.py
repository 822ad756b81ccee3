"""Ultimate controllers (实际控制人) by two measures, with explanation paths.

Measures
--------
**Control chain.** A company's *direct controller* is the one owner holding
*strictly more than* ``majority_pct`` (50%) of it, or the controller named by a
``control_links`` row (agreement, VIE, regulator filing). A control link wins
over a majority holding if both exist. The *ultimate* controller is found by
following direct controllers upwards until a person, or a company that nobody
controls. Companies nobody controls, and companies on (or below) a control cycle,
have no controller: "no controller" is a valid answer.

**Effective ownership.** The ultimate owners (persons, and companies that no one
owns) whose effective share (``E = A(I−A)⁻¹``, see :mod:`algorithms.ownership`)
is at or above ``threshold_pct`` (default 25%; 50% means absolute control).

Besides the cash-flow right (effective share) each owner's **control right** is
reported: the shares of the target it votes itself plus those held by companies
it controls by the chain measure (La Porta's weakest-link idea: a controlled
intermediary votes its whole stake for its controller). With 30% held directly
and 20% through a 60%-owned subsidiary, the control right is 50% while the
cash-flow right is 30% + 60%·20% = 42%.

Examples
--------
>>> holdings = [Holding("P", "H", 60.0), Holding("H", "S", 51.0)]
>>> direct = direct_controllers(holdings, [])
>>> chain = ultimate_controllers(direct)
>>> chain["S"].controller_id, chain["S"].path
('P', ('P', 'H', 'S'))
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from .ownership import (
    DEFAULT_MAX_DEPTH,
    DEFAULT_MAX_PATHS,
    Holding,
    OwnershipGraph,
    owners_of,
)

#: Strict majority: more than this percentage controls.
MAJORITY_PCT = 50.0
#: Default threshold of the effective-ownership measure.
DEFAULT_THRESHOLD_PCT = 25.0

Measure = Literal["effective", "control_chain"]


@dataclass(frozen=True)
class ControlLink:
    """A ``control_links`` row: ``controller_id`` controls ``company_id`` on ``basis``."""

    controller_id: str
    company_id: str
    basis: str


@dataclass(frozen=True)
class DirectControl:
    """Why ``controller_id`` directly controls ``company_id``.

    ``basis`` is ``"majority"`` for a strict-majority shareholding (``share_pct``
    set) or the control link's basis.
    """

    controller_id: str
    company_id: str
    basis: str
    share_pct: float | None = None


@dataclass(frozen=True)
class ChainControl:
    """A company's ultimate controller by the control-chain measure.

    ``path`` runs from the controller down to the company; ``steps`` are the
    direct-control edges along it.
    """

    company_id: str
    controller_id: str
    path: tuple[str, ...]
    steps: tuple[DirectControl, ...]

    @property
    def explanation(self) -> str:
        parts = [
            f"{s.controller_id}→{s.company_id} "
            + (f"{s.share_pct:g}%" if s.basis == "majority" else f"by {s.basis}")
            for s in self.steps
        ]
        return "control chain: " + ", ".join(parts)


@dataclass(frozen=True)
class Controller:
    """One controller of a company under one or both measures."""

    controller_id: str
    effective_pct: float
    control_pct: float
    by: tuple[Measure, ...]
    paths: tuple[tuple[str, ...], ...]
    explanation: str


@dataclass(frozen=True)
class ControllerReport:
    """Both measures for one company, and every upstream owner's effective share."""

    company_id: str
    controllers: tuple[Controller, ...]
    owners: tuple[tuple[str, float], ...]
    threshold_pct: float
    paths_truncated: bool

    @property
    def has_controller(self) -> bool:
        return bool(self.controllers)


def direct_controllers(
    holdings: Iterable[Holding],
    links: Iterable[ControlLink],
    *,
    majority_pct: float = MAJORITY_PCT,
) -> dict[str, DirectControl]:
    """Company → its direct controller (strict majority, or a control link).

    Examples
    --------
    >>> jv = [Holding("A", "JV", 50.0), Holding("B", "JV", 50.0)]
    >>> direct_controllers(jv, [])
    {}
    >>> direct_controllers(jv, [ControlLink("A", "JV", "agreement")])["JV"].basis
    'agreement'
    """
    totals: dict[tuple[str, str], float] = {}
    for h in holdings:
        totals[(h.owner_id, h.company_id)] = totals.get((h.owner_id, h.company_id), 0.0) + h.pct
    direct: dict[str, DirectControl] = {}
    for (owner, company), pct in sorted(totals.items()):
        if pct > majority_pct:
            direct[company] = DirectControl(owner, company, "majority", pct)
    for link in links:
        direct[link.company_id] = DirectControl(link.controller_id, link.company_id, link.basis)
    return direct


def ultimate_controllers(direct: Mapping[str, DirectControl]) -> dict[str, ChainControl]:
    """Company → ultimate controller by the control-chain measure (absent: none).

    Linear in the number of companies: each chain is walked once and memoised.

    Examples
    --------
    >>> d = {"A": DirectControl("B", "A", "majority", 60.0),
    ...      "B": DirectControl("A", "B", "majority", 60.0)}
    >>> ultimate_controllers(d)
    {}
    """
    memo: dict[str, ChainControl | None] = {}
    for start in direct:
        if start in memo:
            continue
        trail: list[str] = []
        on_trail: set[str] = set()
        current = start
        while True:
            if current in memo:
                break
            if current in on_trail:  # a control cycle: nobody on or below it is controlled
                for node in trail:
                    memo[node] = None
                trail = []
                break
            if current not in direct:  # a person or an uncontrolled company: the top
                break
            trail.append(current)
            on_trail.add(current)
            current = direct[current].controller_id
        # Unwind: trail[-1] is directly controlled by `current`.
        for node in reversed(trail):
            step = direct[node]
            parent = step.controller_id
            above = memo.get(parent) if parent in direct else None
            if parent in direct and above is None:
                memo[node] = None
                continue
            if above is None:
                memo[node] = ChainControl(node, parent, (parent, node), (step,))
            else:
                memo[node] = ChainControl(
                    node, above.controller_id, (*above.path, node), (*above.steps, step)
                )
    return {k: v for k, v in memo.items() if v is not None}


def controlled_by(chains: Mapping[str, ChainControl]) -> dict[str, set[str]]:
    """Controller → every company it controls directly or through a chain (any level)."""
    result: dict[str, set[str]] = {}
    for company, chain in chains.items():
        for holder in chain.path[:-1]:
            result.setdefault(holder, set()).add(company)
    return result


def control_pct(
    graph: OwnershipGraph,
    holder_id: str,
    company_id: str,
    controlled: Mapping[str, set[str]],
) -> float:
    """The holder's control right in the company, in percent.

    Its own direct share plus the direct shares of every company it controls.

    Examples
    --------
    >>> g = OwnershipGraph.from_holdings([Holding("P", "T", 30.0), Holding("P", "X", 60.0),
    ...                                   Holding("X", "T", 20.0)])
    >>> chains = ultimate_controllers(direct_controllers([Holding("P", "X", 60.0)], []))
    >>> control_pct(g, "P", "T", controlled_by(chains))
    50.0
    """
    owners = graph.direct_owners(company_id)
    voters = {holder_id} | controlled.get(holder_id, set())
    return sum(fraction for owner, fraction in owners.items() if owner in voters) * 100.0


def find_controllers(
    graph: OwnershipGraph,
    chains: Mapping[str, ChainControl],
    company_id: str,
    *,
    threshold_pct: float = DEFAULT_THRESHOLD_PCT,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_paths: int = DEFAULT_MAX_PATHS,
    controlled: Mapping[str, set[str]] | None = None,
) -> ControllerReport:
    """Both measures for one company, merged per controller, with paths.

    Parameters
    ----------
    graph
        The shareholding graph.
    chains
        :func:`ultimate_controllers` of the whole graph.
    company_id
        The company asked about.
    threshold_pct
        Effective-ownership threshold (at or above counts).
    max_depth, max_paths
        Limits of the listed ownership paths; never change percentages.
    controlled
        :func:`controlled_by` of ``chains`` (computed when omitted).

    Examples
    --------
    >>> g = OwnershipGraph.from_holdings([Holding("P", "JV", 50.0), Holding("Q", "JV", 50.0)])
    >>> report = find_controllers(g, {}, "JV")
    >>> [(c.controller_id, c.by) for c in report.controllers]
    [('P', ('effective',)), ('Q', ('effective',))]
    """
    ownership = owners_of(graph, company_id, max_depth=max_depth, max_paths=max_paths)
    controlled_map = controlled if controlled is not None else controlled_by(chains)
    by_id: dict[str, Controller] = {}
    effective = {o.owner_id: o for o in ownership.owners}
    for owner in ownership.owners:
        if owner.ultimate and owner.effective_pct >= threshold_pct - 1e-9:
            by_id[owner.owner_id] = Controller(
                controller_id=owner.owner_id,
                effective_pct=owner.effective_pct,
                control_pct=control_pct(graph, owner.owner_id, company_id, controlled_map),
                by=("effective",),
                paths=tuple(p.nodes for p in owner.paths),
                explanation=(
                    f"effective share {owner.effective_pct:.4f}% ≥ {threshold_pct:g}% "
                    f"over {len(owner.paths)} listed paths"
                ),
            )
    chain = chains.get(company_id)
    if chain is not None:
        cid = chain.controller_id
        existing = by_id.get(cid)
        eff = effective[cid].effective_pct if cid in effective else 0.0
        if existing is None:
            by_id[cid] = Controller(
                controller_id=cid,
                effective_pct=eff,
                control_pct=control_pct(graph, cid, company_id, controlled_map),
                by=("control_chain",),
                paths=(chain.path,),
                explanation=chain.explanation,
            )
        else:
            paths = (
                existing.paths if chain.path in existing.paths else (chain.path, *existing.paths)
            )
            by_id[cid] = Controller(
                controller_id=cid,
                effective_pct=existing.effective_pct,
                control_pct=existing.control_pct,
                by=("effective", "control_chain"),
                paths=paths,
                explanation=existing.explanation + "; " + chain.explanation,
            )
    controllers = sorted(by_id.values(), key=lambda c: (-c.effective_pct, c.controller_id))
    return ControllerReport(
        company_id=company_id,
        controllers=tuple(controllers),
        owners=tuple((o.owner_id, o.effective_pct) for o in ownership.owners),
        threshold_pct=threshold_pct,
        paths_truncated=ownership.paths_truncated,
    )
