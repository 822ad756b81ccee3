"""Control (控制) and ultimate controllers (实际控制人), explained step by step.

The definition: consolidation control
-------------------------------------
corpgraph groups companies by *control* as accountants consolidate them and as the
regulator defines a group customer:

- IFRS 10 *Consolidated Financial Statements* ¶7 and B35 (and its Chinese
  equivalent, 《企业会计准则第33号——合并财务报表》 第七条: the scope of
  consolidation rests on control): an investor that holds, directly or through the
  companies it already controls, more than half of the voting rights has power
  over the investee; rights under an agreement can give control without a majority
  (B39).
- 《商业银行集团客户授信业务风险管理指引》 第三条: a group customer is a set of
  companies of which one "在股权上或者经营决策上直接或间接控制" the others (controls
  them directly or indirectly, through equity or through decision making), or that
  are jointly controlled by a third party.
- Joint control (IFRS 11 ¶7): control shared by agreement, where decisions need the
  consent of every party sharing it. Two unrelated holders of 50% each are the case
  shareholdings alone can show.

The rule, applied to the shareholdings (``OWNS``) and ``control_links`` rows:

1. **Claims.** ``X`` *claims* control of company ``C`` when (i) a control link
   ``X → C`` exists (agreement, VIE, regulator filing), or (ii) ``X``'s **bloc**
   holds strictly more than ``majority_pct`` (50%) of ``C``. ``X``'s bloc is ``X``'s
   own direct stake in ``C`` plus the direct stakes of every company ``X`` already
   solely controls, at any depth. Blocs are keyed by the top of each owner's
   sole-control chain (a *unit*), so sister companies under one parent vote
   together. The claimant named on a bloc claim is the lowest company of the unit
   whose own bloc is already a majority (a parent holding 60% itself is named, not
   its controller).
2. **Fixpoint.** Control only grows as units merge, so the rule is applied in
   rounds until nothing changes (synchronous rounds: each round reads the state of
   the previous one, so the answer never depends on input order). Only the
   companies whose blocs or link claimants changed are re-examined; units are a
   union-find merged small into large, so a registry of 500,000 companies costs a
   few passes over its shareholdings. The rounds needed are about the depth of the
   deepest chain.
3. **Links decide.** A control link overrides a voting majority of a *different*
   party: an agreement or VIE is exactly how control is obtained without equity.
   Links from parties of one unit (one ultimate controller) are not a conflict.
   A claim from a company's own subsidiaries (a subsidiary that holds a majority of,
   or signs an agreement over, its parent) is *circular*: it never overrides an
   outside claim; it closes a control cycle.
4. **Joint control.** A company is jointly controlled when links from two or more
   different units claim it, or when no bloc is a majority and two or more blocs
   each hold at least ``joint_control_pct`` (default 50%: a deadlocked 50/50
   venture). A jointly controlled company stays the top of its own unit: its own
   stakes do not count in either venturer's bloc.
5. **Ultimate controllers.** The claims form the graph *K* (edge claimant →
   company). Its strongly connected components are the control cycles; the
   ultimate controllers of ``C`` are the roots of K's condensation that reach
   ``C``. One root: ``C`` is solely controlled (``sole``); two or more: ``joint``.
   A cycle that nobody outside claims is itself a root (``cycle``; its id is a hash
   of its members); a cycle with an outside claimant belongs to that claimant.
   A company no one claims has status ``none`` (it may itself control others).

Besides this control-chain measure, :func:`find_controllers` reports the
**effective ownership** measure for ultimate beneficial owners: the owners whose
effective share (``E = A(I−A)⁻¹``, :mod:`algorithms.ownership`) is at or above
``threshold_pct`` (25% by default), and each owner's **control right** (its bloc).

Examples
--------
Two wholly owned sisters each hold half of a company: their parent's bloc is 100%.

>>> holdings = [Holding("P", "S1", 100.0), Holding("P", "S2", 100.0),
...             Holding("S1", "C", 50.0), Holding("S2", "C", 50.0)]
>>> result = resolve_control(consolidate(holdings, []))
>>> result.companies["C"].status, result.companies["C"].controllers
('sole', ('P',))
>>> from core.messages import render_clauses
>>> render_clauses(result.companies["C"].paths[0].explanation, "en")
'P and the companies it controls hold 100% of C (S1 50%, S2 50%)'

Two unrelated parents with 50% each control a joint venture together:

>>> jv = resolve_control(consolidate([Holding("A", "JV", 50.0), Holding("B", "JV", 50.0)], []))
>>> jv.companies["JV"].status, jv.companies["JV"].controllers
('joint', ('A', 'B'))
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from core.i18n import N_
from core.messages import Code, Message

from .graph_algorithms import EdgeList, strongly_connected_components
from .ownership import (
    DEFAULT_MAX_DEPTH,
    DEFAULT_MAX_PATHS,
    Holding,
    OwnershipGraph,
    owners_of,
)

#: Strict majority: a bloc of more than this percentage controls.
MAJORITY_PCT: Final = 50.0
#: Default joint-control threshold (see ``Settings.joint_control_pct``).
DEFAULT_JOINT_CONTROL_PCT: Final = 50.0
#: Default threshold of the effective-ownership measure.
DEFAULT_THRESHOLD_PCT: Final = 25.0
#: Percentages are floats: sums within this of a threshold count as equal to it.
EPSILON_PCT: Final = 1e-9
#: Bases of claims that come from shareholdings (every other basis is a link's).
SHARE_BASES: Final = frozenset({"majority", "bloc", "joint_bloc"})

Effect = Literal["decisive", "supporting", "joint", "circular"]
Status = Literal["sole", "joint", "cycle", "none"]
RootKind = Literal["company", "person", "cycle"]
Measure = Literal["effective", "control_chain"]

# How control is explained: catalogue keys (core.messages), rendered in the reader's language.
_CLAIM_BY_LINK: Final = N_("{claimant} controls {company} by {basis}")
_CLAIM_HOLDS: Final = N_("{claimant} holds {share} of {company}")
_CLAIM_BLOC: Final = N_(
    "{claimant} and the companies it controls hold {share} of {company} ({parts})"
)
_EFFECT_NOTES: Final[dict[str, str]] = {
    "joint": N_("joint control"),
    "circular": N_("circular: {claimant} is under {company}"),
    "supporting": N_("same controller"),
}
_EFFECTIVE_SHARE: Final = N_("effective share {share} ≥ {threshold} over {paths} listed paths")
_IN_CONTROL_CYCLE: Final = N_("{company} is in control cycle {cycle}")

#: Claims that explanation paths and group trees follow.
PATH_EFFECTS: Final = frozenset({"decisive", "joint"})
_Stakes = list[tuple[str, float]]
_EFFECT_RANK: Final[dict[str, int]] = {"decisive": 0, "joint": 1, "circular": 2, "supporting": 3}


@dataclass(frozen=True)
class ControlLink:
    """A ``control_links`` row: ``controller_id`` controls ``company_id`` on ``basis``."""

    controller_id: str
    company_id: str
    basis: str


@dataclass(frozen=True)
class Claim:
    """One edge of the claims graph K: ``claimant_id`` claims control of ``company_id``.

    ``basis`` is the link's basis (``agreement``, ``vie``, ...) or, for shares,
    ``majority`` (the claimant's own stake is a majority), ``bloc`` (a majority
    with the stakes of companies it controls) or ``joint_bloc`` (a bloc at the
    joint-control threshold). ``effect`` says what the claim does:

    - ``decisive``: it made the company solely controlled;
    - ``supporting``: another claim by the same controller;
    - ``joint``: one of several unrelated controllers' claims;
    - ``circular``: from the company's own subsidiaries (it closes a control cycle).

    ``contributors`` are the direct stakes ``(owner, pct)`` that make up a bloc.
    """

    claimant_id: str
    company_id: str
    basis: str
    effect: Effect
    share_pct: float | None = None
    contributors: tuple[tuple[str, float], ...] = ()

    @property
    def from_shares(self) -> bool:
        return self.basis in SHARE_BASES

    @property
    def explanation(self) -> tuple[Message, ...]:
        """Who claims what, on which basis, then the claim's effect when it is not plain
        control: clauses as catalogue keys (:mod:`core.messages`).

        Examples
        --------
        >>> from core.messages import render_clauses
        >>> render_clauses(Claim("H", "S", "agreement", "decisive").explanation, "en")
        'H controls S by agreement'
        >>> joint = Claim("A", "JV", "joint_bloc", "joint", 50.0, (("A", 50.0),))
        >>> render_clauses(joint.explanation, "en"), render_clauses(joint.explanation, "zh")
        ('A holds 50% of JV; joint control', 'A持有JV 50%的股权；共同控制')
        """
        pct = f"{self.share_pct:g}%" if self.share_pct is not None else ""
        own = len(self.contributors) == 1 and self.contributors[0][0] == self.claimant_id
        names: dict[str, str | Code] = {"claimant": self.claimant_id, "company": self.company_id}
        if not self.from_shares:
            basis = Code("control_basis", self.basis)  # named when the catalogue knows it
            main = Message(_CLAIM_BY_LINK, {**names, "basis": basis})
        elif self.basis == "majority" or own:
            main = Message(_CLAIM_HOLDS, {**names, "share": pct})
        else:
            parts = ", ".join(f"{owner} {share:g}%" for owner, share in self.contributors)
            main = Message(_CLAIM_BLOC, {**names, "share": pct, "parts": parts})
        note = _EFFECT_NOTES.get(self.effect)
        return (main,) if note is None else (main, Message(note, names))


@dataclass(frozen=True)
class ControlGraph:
    """The claims graph K after the fixpoint (:func:`consolidate`).

    ``decisive`` maps each solely controlled company to the claim that made it so
    (its parent in the sole-control forest); ``rounds`` is how many rounds the
    fixpoint took.
    """

    claims: tuple[Claim, ...]
    decisive: Mapping[str, Claim]
    rounds: int
    joint_control_pct: float


@dataclass(frozen=True)
class ControlPath:
    """How one ultimate controller reaches a company: ``nodes`` top-down and the claims."""

    controller_id: str
    nodes: tuple[str, ...]
    steps: tuple[Claim, ...]

    @property
    def explanation(self) -> tuple[Message, ...]:
        return tuple(m for step in self.steps for m in step.explanation)

    @property
    def share_pct(self) -> float:
        """The claimant's share at the last joint step of the path (0 when none or by link).

        The primary group of a jointly controlled company is the side with the larger
        share where control is shared.
        """
        for step in reversed(self.steps):
            if step.effect == "joint":
                return step.share_pct or 0.0
        return 0.0


@dataclass(frozen=True)
class ControlCycle:
    """A strongly connected component of K: companies that claim each other.

    ``is_root`` is true when nobody outside the cycle claims it: the cycle is then
    itself the top of its group. ``cycle_id`` is a hash of the members.
    """

    cycle_id: str
    members: tuple[str, ...]
    claims: tuple[Claim, ...]
    is_root: bool


@dataclass(frozen=True)
class ControlRoot:
    """An ultimate controller: a person, an uncontrolled company, or a root cycle.

    ``members`` are the entities at the top (the one id, or the cycle's members);
    ``tree`` maps every company it reaches to ``(depth, claim from its parent)``
    (``None`` for the top's own companies).
    """

    root_id: str
    kind: RootKind
    members: tuple[str, ...]
    tree: Mapping[str, tuple[int, Claim | None]]

    def path_to(self, company_id: str) -> ControlPath:
        return path_in(self.root_id, self.tree, company_id)


@dataclass(frozen=True)
class CompanyControl:
    """One company's control: status, ultimate controllers, one path each, cycle."""

    company_id: str
    status: Status
    controllers: tuple[str, ...]
    paths: tuple[ControlPath, ...]
    cycle_id: str | None = None


@dataclass(frozen=True)
class ControlResult:
    """Everything :func:`resolve_control` derives from the claims graph."""

    graph: ControlGraph
    roots: Mapping[str, ControlRoot]
    companies: Mapping[str, CompanyControl]
    cycles: tuple[ControlCycle, ...]


def cycle_id_for(members: Iterable[str]) -> str:
    """A control cycle's id: a hash of its sorted members, stable across recomputes.

    Examples
    --------
    >>> cycle_id_for(["B", "A"]) == cycle_id_for(["A", "B"])
    True
    >>> cycle_id_for(["A", "B"]).startswith("CYC-")
    True
    """
    digest = hashlib.sha256("\x1f".join(sorted(members)).encode("utf-8")).hexdigest()
    return "CYC-" + digest[:12]


# --- the fixpoint ------------------------------------------------------------------------------
class _Consolidation:
    """State of the fixpoint: units (union-find), their tops and the decisive claims."""

    def __init__(
        self,
        owners: dict[str, dict[str, float]],
        links: dict[str, dict[str, str]],
        majority_pct: float,
    ) -> None:
        self.owners = owners
        self.links = links
        self.majority = majority_pct
        self.held: dict[str, list[str]] = defaultdict(list)
        self.linked: dict[str, list[str]] = defaultdict(list)
        for company, by_owner in owners.items():
            for owner in by_owner:
                self.held[owner].append(company)
        for company, by_controller in links.items():
            for controller in by_controller:
                self.linked[controller].append(company)
        entities = set(owners) | set(links) | set(self.held) | set(self.linked)
        self.parent: dict[str, str] = {e: e for e in entities}
        self.members: dict[str, list[str]] = {e: [e] for e in entities}
        self.top: dict[str, str | None] = {e: e for e in entities}
        self.decisive: dict[str, Claim] = {}

    # union-find
    def find(self, node: str) -> str:
        root = node
        parent = self.parent
        while parent[root] != root:
            root = parent[root]
        while parent[node] != root:
            parent[node], node = root, parent[node]
        return root

    def _apply(self, claim: Claim) -> tuple[list[str], str]:
        """Merge the claimed company's unit into the claimant's; the members that moved."""
        company, claimant = claim.company_id, claim.claimant_id
        self.decisive[company] = claim
        claimed_root, claimant_root = self.find(company), self.find(claimant)
        if claimed_root == claimant_root:  # closed in this round: a cycle with no top
            if self.top[claimed_root] == company:
                self.top[claimed_root] = None
            return [], claimed_root
        new_top = self.top[claimant_root]
        small, large = sorted(
            (claimed_root, claimant_root), key=lambda r: (len(self.members[r]), r)
        )
        self.parent[small] = large
        moved = self.members.pop(small)
        self.members[large].extend(moved)
        del self.top[small]
        self.top[large] = new_top
        return moved, large

    # the forest
    def tree_parent(self, node: str) -> str | None:
        claim = self.decisive.get(node)
        return claim.claimant_id if claim is not None else None

    def chain(self, node: str) -> list[str]:
        """``node`` and its controllers upwards, to the top (or once round a cycle)."""
        seen: list[str] = []
        visited: set[str] = set()
        current: str | None = node
        while current is not None and current not in visited:
            seen.append(current)
            visited.add(current)
            current = self.tree_parent(current)
        return seen

    def is_under(self, node: str, ancestor: str) -> bool:
        return ancestor in self.chain(node)

    # claims
    def bloc_claim(
        self,
        company: str,
        stakes: Sequence[tuple[str, float]],
        threshold: float,
        *,
        strict: bool,
        effect: Effect,
    ) -> Claim | None:
        """The claim of one unit's bloc, named on its lowest member that meets ``threshold``."""
        total: dict[str, float] = defaultdict(float)
        under: dict[str, list[tuple[str, float]]] = defaultdict(list)
        depth_of: dict[str, int] = {}
        for owner, pct in stakes:
            path = self.chain(owner)
            for position, node in enumerate(path):
                total[node] += pct
                under[node].append((owner, pct))
                depth_of[node] = len(path) - position
        if strict:
            meets = [n for n, v in total.items() if v > threshold + EPSILON_PCT]
        else:
            meets = [n for n, v in total.items() if v >= threshold - EPSILON_PCT]
        if not meets:
            return None
        claimant = min(meets, key=lambda n: (-depth_of[n], n))
        contributors = tuple(sorted(under[claimant]))
        if effect == "joint":
            basis = "joint_bloc"
        elif contributors == ((claimant, self.owners[company].get(claimant, -1.0)),):
            basis = "majority"
        else:
            basis = "bloc"
        share = round(total[claimant], 9)
        return Claim(claimant, company, basis, effect, share, contributors)

    def outside(self, company: str) -> tuple[dict[str, list[str]], dict[str, _Stakes]]:
        """Link claimants and share blocs of ``company`` by unit, other than its own unit."""
        own = self.find(company)
        link_units: dict[str, list[str]] = defaultdict(list)
        for controller in sorted(self.links.get(company, {})):
            unit = self.find(controller)
            if unit != own:
                link_units[unit].append(controller)
        blocs: dict[str, list[tuple[str, float]]] = defaultdict(list)
        for owner, pct in self.owners.get(company, {}).items():
            unit = self.find(owner)
            if unit != own:
                blocs[unit].append((owner, pct))
        return link_units, blocs

    def decide(self, company: str) -> Claim | None:
        """The claim that makes ``company`` solely controlled now, if any."""
        link_units, blocs = self.outside(company)
        if link_units:
            if len(link_units) > 1:
                return None  # links of unrelated parties: joint control, unless they merge
            (claimants,) = link_units.values()
            claimant = min(claimants, key=lambda c: (len(self.chain(c)), c))
            return Claim(claimant, company, self.links[company][claimant], "decisive")
        for stakes in blocs.values():
            if sum(p for _, p in stakes) > self.majority + EPSILON_PCT:
                return self.bloc_claim(
                    company, stakes, self.majority, strict=True, effect="decisive"
                )
        return None

    def run(self) -> int:
        """Synchronous rounds to the fixpoint; returns the number of rounds."""
        pending = sorted(set(self.owners) | set(self.links))
        rounds = 0
        while pending:
            rounds += 1
            decisions = [
                claim
                for company in pending
                if company not in self.decisive
                for claim in (self.decide(company),)
                if claim is not None
            ]
            if not decisions:
                break
            touched: set[str] = set()
            for claim in decisions:
                moved, root = self._apply(claim)
                for member in moved:
                    touched.update(self.held.get(member, ()))
                    touched.update(self.linked.get(member, ()))
                top = self.top[root]
                if top is not None:
                    touched.add(top)
            pending = sorted(
                c
                for c in touched
                if c not in self.decisive and (c in self.owners or c in self.links)
            )
        return rounds

    def claims(self, joint_pct: float) -> list[Claim]:
        """Every claim of K once the fixpoint is reached (one per claimant and company)."""
        found: dict[tuple[str, str], Claim] = {}

        def add(claim: Claim) -> None:
            key = (claim.claimant_id, claim.company_id)
            current = found.get(key)
            if current is None or _EFFECT_RANK[claim.effect] < _EFFECT_RANK[current.effect]:
                found[key] = claim

        for company in sorted(set(self.owners) | set(self.links)):
            decisive = self.decisive.get(company)
            if decisive is not None:
                add(decisive)
            link_units, blocs = self.outside(company)
            own = self.find(company)
            for controller, basis in sorted(self.links.get(company, {}).items()):
                if self.find(controller) != own:
                    add(Claim(controller, company, basis, "joint"))  # only when joint
                else:
                    add(Claim(controller, company, basis, self._inside_effect(controller, company)))
            if decisive is None or not decisive.from_shares:
                inside = [
                    (o, p) for o, p in self.owners.get(company, {}).items() if self.find(o) == own
                ]
                if sum(p for _, p in inside) > self.majority + EPSILON_PCT:
                    claim = self.bloc_claim(
                        company, inside, self.majority, strict=True, effect="supporting"
                    )
                    if claim is not None:
                        effect = self._inside_effect(claim.claimant_id, company)
                        add(_with_effect(claim, effect))
            if decisive is None and not link_units:
                totals = {u: sum(p for _, p in s) for u, s in blocs.items()}
                if all(t <= self.majority + EPSILON_PCT for t in totals.values()):
                    sides = [u for u, t in totals.items() if t >= joint_pct - EPSILON_PCT]
                    if len(sides) >= 2:
                        for unit in sides:
                            claim = self.bloc_claim(
                                company, blocs[unit], joint_pct, strict=False, effect="joint"
                            )
                            if claim is not None:
                                add(claim)
        return sorted(found.values(), key=lambda c: (c.company_id, c.claimant_id))

    def _inside_effect(self, claimant: str, company: str) -> Effect:
        return "circular" if self.is_under(claimant, company) else "supporting"


def _with_effect(claim: Claim, effect: Effect) -> Claim:
    return Claim(
        claim.claimant_id,
        claim.company_id,
        claim.basis,
        effect,
        claim.share_pct,
        claim.contributors,
    )


def consolidate(
    holdings: Iterable[Holding],
    links: Iterable[ControlLink],
    *,
    joint_control_pct: float = DEFAULT_JOINT_CONTROL_PCT,
    majority_pct: float = MAJORITY_PCT,
) -> ControlGraph:
    """The claims graph K of consolidation control (see the module docstring).

    Parameters
    ----------
    holdings
        Direct shareholdings; parallel rows of one owner and company add up.
    links
        Control links; a company's link to itself is ignored. Two rows of one pair
        keep the first basis in sort order.
    joint_control_pct
        Blocs at or above this (with no majority) share control.
    majority_pct
        A bloc above this controls.

    Examples
    --------
    A link beats another party's majority; a subsidiary's claim on its parent is circular:

    >>> g = consolidate([Holding("Q", "A", 60.0), Holding("A", "B", 60.0)],
    ...                 [ControlLink("H", "A", "agreement"), ControlLink("B", "A", "agreement")])
    >>> [(c.claimant_id, c.company_id, c.basis, c.effect) for c in g.claims]
    [('B', 'A', 'agreement', 'circular'), ('H', 'A', 'agreement', 'decisive'), \
('A', 'B', 'majority', 'decisive')]
    """
    owners: dict[str, dict[str, float]] = {}
    for h in sorted(holdings, key=lambda h: (h.company_id, h.owner_id, h.pct)):
        by_owner = owners.setdefault(h.company_id, {})
        by_owner[h.owner_id] = by_owner.get(h.owner_id, 0.0) + h.pct
    link_map: dict[str, dict[str, str]] = {}
    for link in sorted(links, key=lambda x: (x.company_id, x.controller_id, x.basis)):
        if link.controller_id != link.company_id:
            link_map.setdefault(link.company_id, {}).setdefault(link.controller_id, link.basis)
    state = _Consolidation(owners, link_map, majority_pct)
    rounds = state.run()
    return ControlGraph(
        claims=tuple(state.claims(joint_control_pct)),
        decisive=dict(sorted(state.decisive.items())),
        rounds=rounds,
        joint_control_pct=joint_control_pct,
    )


# --- ultimate controllers ----------------------------------------------------------------------
def control_tree(
    starts: Iterable[str], out_claims: Mapping[str, Sequence[Claim]]
) -> dict[str, tuple[int, Claim | None]]:
    """Breadth-first tree from a root's ``starts`` over decisive and joint claims.

    A node's parent is, among the claims into it from the previous level, the one
    with the smallest claimant id: the tree depends only on distances, so it is the
    same on the whole graph and on any sub-graph that holds all of a node's
    upstream (which is what the API reads).
    """
    tree: dict[str, tuple[int, Claim | None]] = {s: (0, None) for s in starts}
    frontier = sorted(tree)
    depth = 0
    while frontier:
        depth += 1
        best: dict[str, Claim] = {}
        for node in frontier:
            for claim in out_claims.get(node, ()):
                target = claim.company_id
                if claim.effect not in PATH_EFFECTS or target in tree:
                    continue
                current = best.get(target)
                if current is None or (claim.claimant_id, claim.basis) < (
                    current.claimant_id,
                    current.basis,
                ):
                    best[target] = claim
        for target, claim in best.items():
            tree[target] = (depth, claim)
        frontier = sorted(best)
    return tree


def path_in(
    controller_id: str, tree: Mapping[str, tuple[int, Claim | None]], company_id: str
) -> ControlPath:
    """The path of ``tree`` from its top down to ``company_id``."""
    steps: list[Claim] = []
    node = company_id
    nodes = [node]
    while True:
        _, claim = tree[node]
        if claim is None:
            break
        steps.append(claim)
        node = claim.claimant_id
        nodes.append(node)
    return ControlPath(controller_id, tuple(reversed(nodes)), tuple(reversed(steps)))


def index_path_claims(claims: Iterable[Claim]) -> dict[str, list[Claim]]:
    """Claimant → its decisive and joint claims (what :func:`control_tree` follows)."""
    out: dict[str, list[Claim]] = defaultdict(list)
    for claim in claims:
        if claim.effect in PATH_EFFECTS:
            out[claim.claimant_id].append(claim)
    return out


def resolve_control(
    graph: ControlGraph,
    company_ids: Collection[str] | None = None,
    *,
    components: Mapping[str, str] | None = None,
) -> ControlResult:
    """Statuses, ultimate controllers, paths and cycles from the claims graph.

    Parameters
    ----------
    graph
        :func:`consolidate`'s result.
    company_ids
        Which ids are companies (the rest of the claimants are persons). Every
        company listed gets a result, also one that no claim touches (``none``).
        Default: every company a claim names.
    components
        Strongly connected components of K (node → label), e.g. from the graph
        engine; computed here when omitted.

    Examples
    --------
    A control cycle under a holding company belongs to the holding company:

    >>> g = consolidate([Holding("B", "A", 55.0), Holding("A", "B", 60.0)],
    ...                 [ControlLink("H", "A", "regulator_filing")])
    >>> r = resolve_control(g, {"A", "B", "H"})
    >>> r.companies["B"].status, r.companies["B"].controllers, r.cycles[0].members
    ('sole', ('H',), ('A', 'B'))
    """
    claims = graph.claims
    claimed = {c.company_id for c in claims}
    companies = set(company_ids) if company_ids is not None else set(claimed)
    companies |= claimed
    nodes = sorted({c.claimant_id for c in claims} | claimed)
    if components is None:
        pairs = [(c.claimant_id, c.company_id) for c in claims]
        components = strongly_connected_components(EdgeList.from_pairs(pairs, nodes=nodes))
    label = {n: components.get(n, n) for n in nodes}
    by_label: dict[str, list[str]] = defaultdict(list)
    for node in nodes:
        by_label[label[node]].append(node)
    self_loops = {c.company_id for c in claims if c.claimant_id == c.company_id}
    claimed_from_outside: set[str] = set()
    inside: dict[str, list[Claim]] = defaultdict(list)
    for c in claims:
        if label[c.claimant_id] != label[c.company_id]:
            claimed_from_outside.add(label[c.company_id])
        else:
            inside[label[c.company_id]].append(c)

    cycles: list[ControlCycle] = []
    root_of_label: dict[str, ControlRoot] = {}
    out_claims = index_path_claims(claims)
    for lab in sorted(by_label):
        members = tuple(sorted(by_label[lab]))
        is_cycle = len(members) > 1 or members[0] in self_loops
        is_root = lab not in claimed_from_outside
        if is_cycle:
            cycles.append(ControlCycle(cycle_id_for(members), members, tuple(inside[lab]), is_root))
        if not is_root:
            continue
        kind: RootKind
        if is_cycle:
            root_id, kind = cycle_id_for(members), "cycle"
        else:
            root_id = members[0]
            kind = "company" if root_id in companies else "person"
        root_of_label[lab] = ControlRoot(
            root_id,
            kind,
            members,
            control_tree(members, out_claims),
        )

    reached: dict[str, list[ControlRoot]] = defaultdict(list)
    for root in root_of_label.values():
        for node in root.tree:
            if node in companies:
                reached[node].append(root)
    cycle_of = {m: cycle.cycle_id for cycle in cycles for m in cycle.members}
    results: dict[str, CompanyControl] = {}
    for company in sorted(companies):
        own_root = root_of_label.get(label.get(company, company))
        cycle_id = cycle_of.get(company)
        if company not in label or (own_root is not None and own_root.kind != "cycle"):
            results[company] = CompanyControl(company, "none", (), (), cycle_id)
            continue
        if own_root is not None:  # on a cycle that no one controls
            results[company] = CompanyControl(
                company, "cycle", (own_root.root_id,), (own_root.path_to(company),), cycle_id
            )
            continue
        roots = sorted(reached[company], key=lambda r: r.root_id)
        results[company] = CompanyControl(
            company,
            "sole" if len(roots) == 1 else "joint",
            tuple(r.root_id for r in roots),
            tuple(r.path_to(company) for r in roots),
            cycle_id,
        )
    return ControlResult(
        graph=graph,
        roots={r.root_id: r for r in sorted(root_of_label.values(), key=lambda r: r.root_id)},
        companies=results,
        cycles=tuple(sorted(cycles, key=lambda c: c.members)),
    )


def control_rights(
    direct_owners: Mapping[str, float], decisive: Mapping[str, Claim]
) -> dict[str, float]:
    """Each holder's control right (bloc) in one company, in percent.

    An owner's direct stake counts for it and for every controller above it in the
    sole-control forest (``decisive``), the weakest-link idea of La Porta et al.

    Examples
    --------
    >>> control_rights({"P": 30.0, "X": 20.0}, {"X": Claim("P", "X", "majority", "decisive", 60.0)})
    {'P': 50.0, 'X': 20.0}
    """
    rights: dict[str, float] = defaultdict(float)
    for owner, pct in direct_owners.items():
        node: str | None = owner
        seen: set[str] = set()
        while node is not None and node not in seen:
            seen.add(node)
            rights[node] += pct
            claim = decisive.get(node)
            node = claim.claimant_id if claim is not None else None
    return dict(sorted(rights.items()))


# --- both measures for one company ----------------------------------------------------------------
@dataclass(frozen=True)
class Controller:
    """One controller of a company under one or both measures."""

    controller_id: str
    effective_pct: float
    control_pct: float
    by: tuple[Measure, ...]
    paths: tuple[tuple[str, ...], ...]
    explanation: tuple[Message, ...]  # clauses (core.messages); ids as the parameters


@dataclass(frozen=True)
class ControllerReport:
    """Both measures for one company, its control status, and every upstream owner."""

    company_id: str
    status: Status
    controllers: tuple[Controller, ...]
    owners: tuple[tuple[str, float], ...]
    threshold_pct: float
    paths_truncated: bool
    cycle_id: str | None = None

    @property
    def has_controller(self) -> bool:
        return bool(self.controllers)


def find_controllers(
    graph: OwnershipGraph,
    control: CompanyControl,
    decisive: Mapping[str, Claim],
    *,
    cycle_members: Mapping[str, Sequence[str]] | None = None,
    threshold_pct: float = DEFAULT_THRESHOLD_PCT,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_paths: int = DEFAULT_MAX_PATHS,
) -> ControllerReport:
    """Both measures for one company, merged per controller, with paths.

    Parameters
    ----------
    graph
        The shareholdings (at least the company's upstream).
    control
        The company's control-chain result (:func:`resolve_control`, or as stored).
    decisive
        Decisive claims of (at least) the company's upstream: for control rights.
    cycle_members
        Members of each cycle controller (for its control right).
    threshold_pct
        Effective-ownership threshold (at or above counts).
    max_depth, max_paths
        Limits of the listed ownership paths; never change percentages.

    Examples
    --------
    >>> g = OwnershipGraph.from_holdings([Holding("P", "JV", 50.0), Holding("Q", "JV", 50.0)])
    >>> r = resolve_control(consolidate([], []), {"JV"})
    >>> report = find_controllers(g, r.companies["JV"], {})
    >>> [(c.controller_id, c.by) for c in report.controllers]
    [('P', ('effective',)), ('Q', ('effective',))]
    """
    company_id = control.company_id
    ownership = owners_of(graph, company_id, max_depth=max_depth, max_paths=max_paths)
    rights = control_rights(
        {o: f * 100.0 for o, f in graph.direct_owners(company_id).items()}, decisive
    )
    members = cycle_members or {}
    by_id: dict[str, Controller] = {}
    for owner in ownership.owners:
        if owner.ultimate and owner.effective_pct >= threshold_pct - EPSILON_PCT:
            by_id[owner.owner_id] = Controller(
                controller_id=owner.owner_id,
                effective_pct=owner.effective_pct,
                control_pct=rights.get(owner.owner_id, 0.0),
                by=("effective",),
                paths=tuple(p.nodes for p in owner.paths),
                explanation=(
                    Message(
                        _EFFECTIVE_SHARE,
                        {
                            "share": f"{owner.effective_pct:.4f}%",
                            "threshold": f"{threshold_pct:g}%",
                            "paths": len(owner.paths),
                        },
                    ),
                ),
            )
    effective = {o.owner_id: o.effective_pct for o in ownership.owners}
    for path in control.paths:
        cid = path.controller_id
        right = max((rights.get(m, 0.0) for m in members.get(cid, (cid,))), default=0.0)
        existing = by_id.get(cid)
        chain = path.explanation or (
            Message(_IN_CONTROL_CYCLE, {"company": company_id, "cycle": cid}),
        )
        if existing is None:
            by_id[cid] = Controller(
                controller_id=cid,
                effective_pct=effective.get(cid, 0.0),
                control_pct=right,
                by=("control_chain",),
                paths=(path.nodes,),
                explanation=chain,
            )
        else:
            paths = (
                existing.paths if path.nodes in existing.paths else (path.nodes, *existing.paths)
            )
            by_id[cid] = Controller(
                controller_id=cid,
                effective_pct=existing.effective_pct,
                control_pct=existing.control_pct,
                by=("effective", "control_chain"),
                paths=paths,
                explanation=existing.explanation + chain,
            )
    controllers = sorted(by_id.values(), key=lambda c: (-c.effective_pct, c.controller_id))
    return ControllerReport(
        company_id=company_id,
        status=control.status,
        controllers=tuple(controllers),
        owners=tuple((o.owner_id, o.effective_pct) for o in ownership.owners),
        threshold_pct=threshold_pct,
        paths_truncated=ownership.paths_truncated,
        cycle_id=control.cycle_id,
    )
