"""Counterparty entity resolution for a whole load: exact evidence, fuzzy matching,
review decisions, branch offices.

Every payment side known by name (not by id) is resolved, in this order:

1. **Exact** (:class:`loaders.resolution.CompanyIndex`): a valid USCC that a
   registered company carries, else the normalised name of exactly one
   registered company. A name matching several is *ambiguous* and rejected.
2. **Alias**: a name seen on another side together with a registered company's
   USCC means that company (old names after a rename, English names), when no
   other company claims the name.
3. **Records**: the remaining sides group into counterparty records, one per
   normalised name; sides sharing a valid USCC are one record. A record's id is
   :func:`core.names.counterparty_id` of its name (a company created earlier
   keeps its id).
4. **Fuzzy** (:mod:`loaders.matching`): records and registered companies are
   paired and scored. Pairs at or above ``auto_merge_probability`` merge; pairs
   between ``review_probability`` and that go to the review queue.
5. **Decisions** (:class:`core.judgements.Judgement`) apply on every run:
   a positive pair merges whatever its score, a negative one never merges (not
   even through a third record), an unsure one stays apart and leaves the queue.
   Two registered companies never merge.
6. **Branch offices** (…分公司) are records of their own, linked to their head
   company when the head is known (``BRANCH_OF``), never merged into it.

Merged records become one company: a registered company when the group has one,
else the id of a company that already exists, else the smallest record id.

All of it is a pure function of its inputs (sides, registered companies,
decisions), so running it again on the same data gives the same answer.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

from core.judgements import Judgement, candidate_id, ordered_pair
from core.name_forms import Gazetteer, branch_office
from core.names import counterparty_id, name_key
from core.uscc import validate_uscc

from .matching import CandidatePair, MatchRecord, find_candidates
from .resolution import CompanyIndex, Method, Resolution

logger = logging.getLogger(__name__)

CandidateStatus = Literal["pending", "merged", "accepted", "rejected", "unsure", "kept_apart"]
_DECIDED: Final[dict[Judgement, CandidateStatus]] = {
    Judgement.POSITIVE: "accepted",
    Judgement.NEGATIVE: "rejected",
    Judgement.UNSURE: "unsure",
}


@dataclass(frozen=True, slots=True)  # one per side or company: millions on a large bank
class Side:
    """A payment side known by name: what the payment file said about the company."""

    side_no: int
    name: str
    uscc: str | None = None  # as written; an invalid one is ignored
    accounts: tuple[str, ...] = ()
    partners: tuple[str, ...] = ()  # companies (by id) on the other side of its payments


@dataclass(frozen=True, slots=True)  # one per side or company: millions on a large bank
class RegisteredCompany:
    """A company of the companies file (or one created from payments before sides were kept)."""

    company_id: str
    name: str
    uscc: str | None = None
    region: str | None = None
    partners: tuple[str, ...] = ()


@dataclass(frozen=True)
class ResolutionConfig:
    """Thresholds of fuzzy matching (from :class:`core.settings.Settings`)."""

    auto_merge_probability: float = 0.99
    review_probability: float = 0.5
    fuzzy: bool = True


@dataclass(frozen=True)
class ReviewCandidate:
    """A scored pair of records and what became of it."""

    candidate_id: str
    left_id: str
    right_id: str
    left_name: str
    right_name: str
    probability: float
    match_weight: float
    features: tuple[str, ...]
    status: CandidateStatus
    features_zh: tuple[str, ...] = ()


@dataclass(frozen=True)
class BranchLink:
    """A branch office and its head company."""

    branch_id: str
    head_id: str
    place: str


@dataclass
class ResolutionOutcome:
    """Everything one resolution run decided."""

    resolutions: list[Resolution]  # one per side, in the order of the sides given
    candidates: list[ReviewCandidate] = field(default_factory=list)
    branch_links: list[BranchLink] = field(default_factory=list)
    records: int = 0  # counterparty records (name-only) that were matched
    registered_records: int = 0

    @property
    def pending(self) -> list[ReviewCandidate]:
        return [c for c in self.candidates if c.status == "pending"]


class _Clusters:
    """Union-find with two constraints: one registered company per cluster, and no
    cluster holding both records of a negative pair.

    Only records that a decision or a merge touches get an entry (a large bank has
    millions of records and few merges); every other record is a cluster of its own.
    """

    def __init__(self, registered: Collection[str]) -> None:
        self.parent: dict[str, str] = {}
        self.members: dict[str, list[str]] = {}
        self._registered_ids = registered
        self.registered: dict[str, int] = {}
        self.forbidden: dict[str, set[str]] = defaultdict(set)

    def _add(self, item: str) -> None:
        if item not in self.parent:
            self.parent[item] = item
            self.members[item] = [item]
            self.registered[item] = int(item in self._registered_ids)

    def find(self, item: str) -> str:
        self._add(item)
        root = item
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[item] != root:
            self.parent[item], item = root, self.parent[item]
        return root

    def forbid(self, first: str, second: str) -> None:
        self.forbidden[first].add(second)
        self.forbidden[second].add(first)

    def can_join(self, first: str, second: str) -> bool:
        a, b = self.find(first), self.find(second)
        if a == b:
            return True
        if self.registered[a] + self.registered[b] > 1:
            return False
        small, large = (a, b) if len(self.members[a]) <= len(self.members[b]) else (b, a)
        return not any(
            self.find(other) == large
            for member in self.members[small]
            for other in self.forbidden.get(member, ())
        )

    def join(self, first: str, second: str) -> bool:
        if not self.can_join(first, second):
            return False
        a, b = self.find(first), self.find(second)
        if a == b:
            return True
        if len(self.members[a]) < len(self.members[b]):
            a, b = b, a
        self.parent[b] = a
        self.members[a].extend(self.members.pop(b))
        self.registered[a] += self.registered.pop(b)
        return True


@dataclass(slots=True)
class _Record:
    record_id: str
    name: str
    uscc: str | None
    sides: list[int] = field(default_factory=list)
    accounts: set[str] = field(default_factory=set)
    partners: set[str] = field(default_factory=set)


def _group_unresolved(
    sides: Sequence[Side],
    unresolved: list[int],
    valid_uscc: Sequence[str | None],
    existing_ids: Collection[str],
) -> dict[str, _Record]:
    """Sides not resolved exactly, grouped by normalised name and shared valid USCC."""
    parent: dict[str, str] = {}

    def find(item: str) -> str:
        parent.setdefault(item, item)
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    for position in unresolved:
        key_node = "k:" + name_key(sides[position].name)
        find(key_node)
        uscc = valid_uscc[position]
        if uscc:
            parent[find("u:" + uscc)] = find(key_node)
    groups: dict[str, list[int]] = defaultdict(list)
    for position in unresolved:
        groups[find("k:" + name_key(sides[position].name))].append(position)
    records: dict[str, _Record] = {}
    for members in groups.values():
        members.sort(key=lambda p: (sides[p].name, sides[p].uscc or ""))
        ids = sorted({counterparty_id(name_key(sides[p].name)) for p in members})
        known = [i for i in ids if i in existing_ids]
        first = counterparty_id(name_key(sides[members[0]].name))
        record_id = known[0] if known else first
        usccs = sorted(u for p in members if (u := valid_uscc[p]))
        record = _Record(record_id, sides[members[0]].name, usccs[0] if usccs else None)
        for position in members:
            record.sides.append(position)
            record.accounts.update(sides[position].accounts)
            record.partners.update(sides[position].partners)
        records[record_id] = record
    return records


def resolve_sides(
    sides: Sequence[Side],
    registered: Mapping[str, RegisteredCompany],
    judgements: Mapping[tuple[str, str], Judgement],
    *,
    existing_ids: set[str] | frozenset[str] = frozenset(),
    config: ResolutionConfig | None = None,
    gazetteer: Gazetteer | None = None,
) -> ResolutionOutcome:
    """Resolve every side (see the module docstring).

    Parameters
    ----------
    sides
        Every side known by name, from this load and earlier ones.
    registered
        Companies that sides may resolve to, by id.
    judgements
        Review decisions in force, by :func:`core.judgements.ordered_pair`.
    existing_ids
        Company ids already in the graph (a merged group keeps one of them).
    """
    cfg = config or ResolutionConfig()
    places = gazetteer or Gazetteer.build(r.region for r in registered.values() if r.region)
    index = CompanyIndex.build((r.company_id, r.name, r.uscc) for r in registered.values())
    exact: list[Resolution | None] = []
    valid_uscc: list[str | None] = []
    alias: dict[str, set[str]] = defaultdict(set)
    registered_keys = index.by_key
    for side in sides:
        check = validate_uscc(side.uscc) if side.uscc else None
        valid_uscc.append(check.code if check is not None and check.valid else None)
        resolved = index.resolve(side.name, side.uscc)
        if resolved.method in ("uscc", "name", "ambiguous"):
            exact.append(resolved)
            if resolved.method == "uscc" and resolved.company_id is not None:
                alias[resolved.name_key].add(resolved.company_id)
        else:
            exact.append(None)
    unresolved: list[int] = []
    for position, side in enumerate(sides):
        if exact[position] is not None:
            continue
        key = name_key(side.name)
        owners = alias.get(key, set())
        if len(owners) == 1 and key not in registered_keys:
            company = next(iter(owners))
            exact[position] = Resolution(
                side.name,
                valid_uscc[position],
                company,
                "alias",
                key,
                note="name seen with this company's USCC",
            )
        else:
            unresolved.append(position)

    records = _group_unresolved(sides, unresolved, valid_uscc, existing_ids)
    # What the sides resolved exactly to a company say about it: its accounts and partners.
    registered_accounts: dict[str, list[str]] = defaultdict(list)
    registered_partners: dict[str, list[str]] = defaultdict(list)
    for position, found in enumerate(exact):
        if found is not None and found.company_id is not None:
            if sides[position].accounts:
                registered_accounts[found.company_id].extend(sides[position].accounts)
            if sides[position].partners:
                registered_partners[found.company_id].extend(sides[position].partners)

    def match_records() -> Iterator[MatchRecord]:
        """Built one at a time: find_candidates holds them as Arrow columns only."""
        for r in registered.values():
            yield MatchRecord(
                r.company_id,
                r.name,
                registered=True,
                uscc=r.uscc,
                region=r.region,
                accounts=tuple(sorted(set(registered_accounts.get(r.company_id, ())))),
                partners=tuple(
                    sorted(set(registered_partners.get(r.company_id, ())) | set(r.partners))
                ),
            )
        for record in records.values():
            yield MatchRecord(
                record.record_id,
                record.name,
                uscc=record.uscc,
                accounts=tuple(sorted(record.accounts)),
                partners=tuple(sorted(record.partners)),
            )

    def known(record_id: str) -> bool:
        return record_id in registered or record_id in records

    def name_of(record_id: str) -> str:
        company = registered.get(record_id)
        return company.name if company is not None else records[record_id].name

    pairs: list[CandidatePair] = []
    if cfg.fuzzy and records:
        pairs = find_candidates(match_records(), places, min_probability=cfg.review_probability)
    registered_accounts.clear()
    registered_partners.clear()
    clusters = _Clusters(registered)
    for (left, right), judgement in sorted(judgements.items()):
        if judgement is Judgement.NEGATIVE and known(left) and known(right):
            clusters.forbid(left, right)
    for (left, right), judgement in sorted(judgements.items()):
        both = known(left) and known(right)
        if judgement is Judgement.POSITIVE and both and not clusters.join(left, right):
            logger.warning("accepted pair %s/%s conflicts with other decisions", left, right)
    for pair in pairs:
        if pair.probability >= cfg.auto_merge_probability and (
            ordered_pair(pair.left_id, pair.right_id) not in judgements
        ):
            clusters.join(pair.left_id, pair.right_id)

    candidates: list[ReviewCandidate] = []
    for pair in pairs:
        key_pair = ordered_pair(pair.left_id, pair.right_id)
        verdict = judgements.get(key_pair)
        together = clusters.find(pair.left_id) == clusters.find(pair.right_id)
        status: CandidateStatus
        if verdict is not None:
            status = _DECIDED[verdict]
        elif together:
            status = "merged"
        elif pair.probability >= cfg.auto_merge_probability:
            status = "kept_apart"
        else:
            status = "pending"
        candidates.append(
            ReviewCandidate(
                candidate_id(*key_pair),
                key_pair[0],
                key_pair[1],
                name_of(key_pair[0]),
                name_of(key_pair[1]),
                round(pair.probability, 6),
                round(pair.match_weight, 3),
                pair.features(),
                status,
                pair.features_zh(),
            )
        )
    # Decided pairs no longer scored as candidates still show in the queue's history.
    scored = {ordered_pair(p.left_id, p.right_id) for p in pairs}
    for (left, right), judgement in sorted(judgements.items()):
        if (left, right) in scored or not known(left) or not known(right):
            continue
        candidates.append(
            ReviewCandidate(
                candidate_id(left, right),
                left,
                right,
                name_of(left),
                name_of(right),
                0.0,
                0.0,
                ("below the review threshold",),
                _DECIDED[judgement],
                ("低于复核阈值",),
            )
        )

    # One company per cluster: the registered one, else one that exists already (ids stay
    # stable from load to load), else the record seen under most spellings. A record no
    # decision or merge touched is its own cluster, so its own representative.
    representative: dict[str, str] = {}

    def spellings(record_id: str) -> int:
        record = records.get(record_id)
        return len(record.sides) if record is not None else 0

    for members in clusters.members.values():
        chosen = (
            [m for m in members if m in registered]
            or sorted(m for m in members if m in existing_ids)
            or sorted(members, key=lambda m: (-spellings(m), m))
        )
        for member in members:
            representative[member] = chosen[0]

    resolutions: list[Resolution | None] = list(exact)
    for record in records.values():
        target = representative.get(record.record_id, record.record_id)
        method: Method
        if target == record.record_id:
            method = "created"
        elif judgements.get(ordered_pair(record.record_id, target)) is Judgement.POSITIVE:
            method = "accepted"
        else:
            method = "fuzzy"
        for position in record.sides:
            side = sides[position]
            resolutions[position] = Resolution(
                side.name,
                valid_uscc[position],
                target,
                method,
                name_key(side.name),
                note="" if method == "created" else f"same company as {record.record_id}",
            )
    final = [r for r in resolutions if r is not None]
    if len(final) != len(sides):
        raise RuntimeError("a side was left unresolved")

    links = _branch_links(records, representative, index, places)
    outcome = ResolutionOutcome(
        final, candidates, links, records=len(records), registered_records=len(registered)
    )
    logger.info(
        "resolved %d sides: %d records, %d candidate pairs (%d pending), %d branch links",
        len(sides),
        len(records),
        len(candidates),
        len(outcome.pending),
        len(links),
    )
    return outcome


def _branch_links(
    records: Mapping[str, _Record],
    representative: Mapping[str, str],
    index: CompanyIndex,
    places: Gazetteer,
) -> list[BranchLink]:
    """Branch-office records linked to a known head company (registered or a record)."""
    by_key: dict[str, str] = {}
    for record in records.values():
        by_key.setdefault(
            name_key(record.name), representative.get(record.record_id, record.record_id)
        )
    links: dict[str, BranchLink] = {}
    for record in records.values():
        branch = branch_office(record.name, places)
        if branch is None:
            continue
        branch_id = representative.get(record.record_id, record.record_id)
        head = index.resolve(branch.head, None)
        head_id = head.company_id if head.method in ("name", "uscc") else None
        head_id = head_id or by_key.get(name_key(branch.head))
        if head_id is not None and head_id != branch_id:
            links[branch_id] = BranchLink(branch_id, head_id, branch.place)
    return sorted(links.values(), key=lambda link: link.branch_id)
