"""Default contagion through guarantees and control: a documented threshold model.

Model
-----
Rounds start from the seed company, which defaults in round 0.

- **Guarantee channel.** When a borrower defaults, each of its guarantors is
  called for the guaranteed amount (exact, per currency). A guarantor whose
  calls in its capital currency reach ``default_ratio`` × its registered capital
  defaults in the next round; without a known capital it is *impacted* (it pays)
  but never defaults.
- **Control channel** (``control=True``). Groups carry cross-default in practice:
  when a company defaults, its direct controller (if a company: the claimant
  that made it solely controlled, see :mod:`algorithms.control`) and the
  companies it directly controls default in the next round.
- Propagation stops when a round adds nobody, or after ``max_rounds``.

Each affected company reports its status (``defaulted`` or ``impacted``), the
round, the channel, the path from the seed, the guarantee calls it received and,
when defaulted, its outstanding at the bank (the exposure at default).

Examples
--------
>>> g = [GuaranteeEdge("g1", "G", "D", 500, "CNY")]
>>> result = propagate("D", g, {}, {}, capital={"G": ("CNY", 800)})
>>> [(a.company_id, a.status, a.path) for a in result.affected]
[('D', 'defaulted', ('D',)), ('G', 'defaulted', ('D', 'G'))]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from core.errors import InputValidationError
from core.i18n import N_
from core.messages import Message

from .control import Claim
from .groups import Exposure
from .guarantees import GuaranteeEdge

Status = Literal["defaulted", "impacted"]
Channel = Literal["seed", "guarantee", "control"]

DEFAULT_RATIO = 0.5
DEFAULT_MAX_ROUNDS = 10


@dataclass
class _State:
    status: Status
    round: int
    via: Channel
    path: tuple[str, ...]
    calls: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Affected:
    """One company the default reaches."""

    company_id: str
    status: Status
    round: int
    via: Channel
    path: tuple[str, ...]
    guarantee_calls: tuple[tuple[str, int], ...]
    exposure_at_default: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class ContagionResult:
    """Everyone affected, in round order, and the totals per currency."""

    seed: str
    affected: tuple[Affected, ...]
    rounds: int
    total_calls: tuple[tuple[str, int], ...]
    total_exposure_at_default: tuple[tuple[str, int], ...]
    explanation: Message


#: Why the simulation ended as it did (catalogue keys, :mod:`core.messages`).
_EXPLAIN_WITH_CONTROL = N_(
    "Default of {seed}: {defaulted} companies default and {impacted} pay guarantees within "
    "{rounds} rounds (guarantor default at {ratio}× capital, cross-default through control)"
)
_EXPLAIN_GUARANTEES_ONLY = N_(
    "Default of {seed}: {defaulted} companies default and {impacted} pay guarantees within "
    "{rounds} rounds (guarantor default at {ratio}× capital)"
)


def propagate(
    seed: str,
    guarantees: Iterable[GuaranteeEdge],
    direct: Mapping[str, Claim],
    outstanding: Mapping[str, Sequence[Exposure]],
    *,
    capital: Mapping[str, tuple[str, int]] | None = None,
    company_ids: Iterable[str] | None = None,
    default_ratio: float = DEFAULT_RATIO,
    control: bool = True,
    max_rounds: int = DEFAULT_MAX_ROUNDS,
) -> ContagionResult:
    """Propagate the default of ``seed`` (see the module docstring for the model).

    ``company_ids``, when given, limits the control channel to companies
    (persons never default).
    """
    if not 0 < default_ratio <= 10 or max_rounds < 1:
        raise InputValidationError("default_ratio must be in (0, 10] and max_rounds ≥ 1")
    caps = capital or {}
    companies = set(company_ids) if company_ids is not None else None
    guarantors: dict[str, list[GuaranteeEdge]] = {}
    for e in guarantees:
        guarantors.setdefault(e.borrower_id, []).append(e)
    children: dict[str, list[str]] = {}
    for company, step in direct.items():
        children.setdefault(step.claimant_id, []).append(company)

    states: dict[str, _State] = {seed: _State("defaulted", 0, "seed", (seed,))}
    frontier = [seed]
    rounds = 0
    while frontier and rounds < max_rounds:
        rounds += 1
        newly: list[str] = []
        for d in sorted(frontier):
            path = states[d].path
            for e in sorted(guarantors.get(d, ()), key=lambda x: x.guarantee_id):
                g = e.guarantor_id
                state = states.get(g)
                if state is None:
                    state = states[g] = _State("impacted", rounds, "guarantee", (*path, g))
                if state.status == "defaulted" and state.round < rounds:
                    continue  # already in default: it cannot pay more
                state.calls[e.currency] = state.calls.get(e.currency, 0) + int(e.amount_minor)
                cap = caps.get(g)
                if (
                    state.status == "impacted"
                    and cap is not None
                    and state.calls.get(cap[0], 0) >= default_ratio * cap[1]
                ):
                    state.status, state.round = "defaulted", rounds
                    newly.append(g)
            if control:
                linked = list(children.get(d, ()))
                parent = direct[d].claimant_id if d in direct else None
                if parent is not None and (companies is None or parent in companies):
                    linked.append(parent)
                for c in sorted(linked):
                    state = states.get(c)
                    if state is None:
                        states[c] = _State("defaulted", rounds, "control", (*path, c))
                        newly.append(c)
                    elif state.status == "impacted":
                        state.status, state.round, state.via = "defaulted", rounds, "control"
                        state.path = (*path, c)
                        newly.append(c)
        frontier = newly

    affected = []
    calls_total: dict[str, int] = {}
    ead_total: dict[str, int] = {}
    for cid, s in sorted(states.items(), key=lambda kv: (kv[1].round, kv[0])):
        ead: dict[str, int] = {}
        if s.status == "defaulted":
            for x in outstanding.get(cid, ()):
                ead[x.currency] = ead.get(x.currency, 0) + int(x.outstanding_minor)
        for cur, amount in s.calls.items():
            calls_total[cur] = calls_total.get(cur, 0) + amount
        for cur, amount in ead.items():
            ead_total[cur] = ead_total.get(cur, 0) + amount
        affected.append(
            Affected(
                company_id=cid,
                status=s.status,
                round=s.round,
                via=s.via,
                path=s.path,
                guarantee_calls=tuple(sorted(s.calls.items())),
                exposure_at_default=tuple(sorted(ead.items())),
            )
        )
    defaulted = sum(a.status == "defaulted" for a in affected)
    return ContagionResult(
        seed=seed,
        affected=tuple(affected),
        rounds=rounds,
        total_calls=tuple(sorted(calls_total.items())),
        total_exposure_at_default=tuple(sorted(ead_total.items())),
        explanation=Message(
            _EXPLAIN_WITH_CONTROL if control else _EXPLAIN_GUARANTEES_ONLY,
            {
                "seed": seed,
                "defaulted": defaulted,
                "impacted": len(affected) - defaulted,
                "rounds": rounds,
                "ratio": f"{default_ratio:g}",
            },
        ),
    )
