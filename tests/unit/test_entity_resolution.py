"""Resolving every payment side at once: exact evidence, aliases, fuzzy merges, the
review queue, decisions (positive, negative, unsure) and branch offices."""

from __future__ import annotations

from core.judgements import Judgement, candidate_id, ordered_pair
from core.names import counterparty_id, name_key
from core.uscc import check_character
from loaders.entity_resolution import RegisteredCompany, ResolutionOutcome, Side, resolve_sides

USCC17 = "91330100MA2H3K5L0"
USCC = USCC17 + check_character(USCC17)

REGISTERED = {
    "C1": RegisteredCompany("C1", "杭州顺达物流有限公司", USCC, "杭州"),
    "C2": RegisteredCompany("C2", "上海华信科技有限公司", None, "上海"),
    "K1": RegisteredCompany("K1", "北京远景贸易有限公司", None, "北京"),
}
SIDES = [
    Side(1, "杭州顺达物流有限公司", None, ("A1",), ("K1",)),
    Side(2, "杭州順達物流有限公司", None, ("A1",), ("K1",)),  # traditional: exact
    Side(3, "杭州顺达物留有限公司", None, ("A1",), ("K1",)),  # typo, same account: merges
    Side(4, "顺达国际物流", USCC, ("A1",), ("K1",)),  # an old name, with the USCC
    Side(5, "顺达国际物流", None, ("A9",), ("K1",)),  # the same old name, no USCC: alias
    Side(6, "杭州顺达物流有限公司宁波分公司", None, ("B7",), ("K1",)),  # a branch office
    Side(7, "Rigensis Bank AS", None, (), ("K1",)),
    Side(8, "Rigenesis Bank AS", None, (), ("C2",)),  # one letter off, no account: queue
]


def resolve(judgements: dict[tuple[str, str], Judgement] | None = None) -> ResolutionOutcome:
    return resolve_sides(SIDES, REGISTERED, judgements or {}, existing_ids=set(REGISTERED))


def by_side(outcome: ResolutionOutcome) -> dict[int, tuple[str | None, str]]:
    return {
        side.side_no: (r.company_id, r.method)
        for side, r in zip(SIDES, outcome.resolutions, strict=True)
    }


def test_exact_alias_fuzzy_and_created() -> None:
    got = by_side(resolve())
    assert got[1] == ("C1", "name")
    assert got[2] == ("C1", "name")
    assert got[3] == ("C1", "fuzzy")
    assert got[4] == ("C1", "uscc")
    assert got[5] == ("C1", "alias")
    branch = counterparty_id(name_key("杭州顺达物流有限公司宁波分公司"))
    assert got[6] == (branch, "created")
    assert got[7][1] == got[8][1] == "created"
    assert got[7][0] != got[8][0]


def test_a_branch_office_is_linked_to_its_head_not_merged() -> None:
    outcome = resolve()
    [link] = outcome.branch_links
    assert (link.branch_id, link.head_id, link.place) == (
        counterparty_id(name_key("杭州顺达物流有限公司宁波分公司")),
        "C1",
        "宁波",
    )


def test_the_look_alike_bank_names_wait_for_review() -> None:
    outcome = resolve()
    [pending] = outcome.pending
    assert {pending.left_name, pending.right_name} == {"Rigensis Bank AS", "Rigenesis Bank AS"}
    assert 0.5 <= pending.probability < 0.99
    assert pending.candidate_id == candidate_id(pending.left_id, pending.right_id)
    merged = [c for c in outcome.candidates if c.status == "merged"]
    assert [(c.left_id, c.right_name) for c in merged] == [("C1", "杭州顺达物留有限公司")]


def test_decisions_apply_whatever_the_score() -> None:
    outcome = resolve()
    [pending] = outcome.pending
    [merged] = [c for c in outcome.candidates if c.status == "merged"]
    pair_pending = ordered_pair(pending.left_id, pending.right_id)
    pair_merged = ordered_pair(merged.left_id, merged.right_id)

    accepted = resolve({pair_pending: Judgement.POSITIVE, pair_merged: Judgement.NEGATIVE})
    got = by_side(accepted)
    assert got[7][0] == got[8][0]
    assert {got[7][1], got[8][1]} == {"created", "accepted"}
    assert got[3][0] != "C1"  # the rejected typo is a company of its own again
    assert got[3][1] == "created"
    statuses = {c.candidate_id: c.status for c in accepted.candidates}
    assert statuses[pending.candidate_id] == "accepted"
    assert statuses[merged.candidate_id] == "rejected"
    assert accepted.pending == []

    unsure = resolve({pair_pending: Judgement.UNSURE})
    assert unsure.pending == []
    assert by_side(unsure)[7][0] != by_side(unsure)[8][0]


def test_a_rejected_pair_stays_apart_through_a_third_record() -> None:
    sides = [
        Side(1, "Baltic Amber Trading Ltd", None, ("X1",), ("K1",)),
        Side(2, "Baltic Amber Tradng Ltd", None, ("X1",), ("K1",)),
        Side(3, "Baltik Amber Trading Ltd", None, ("X1",), ("K1",)),
    ]
    ids = [counterparty_id(name_key(s.name)) for s in sides]
    free = resolve_sides(sides, {}, {})
    assert len({r.company_id for r in free.resolutions}) == 1
    kept_apart = resolve_sides(sides, {}, {ordered_pair(ids[0], ids[1]): Judgement.NEGATIVE})
    companies = [r.company_id for r in kept_apart.resolutions]
    assert companies[0] != companies[1]


def test_two_registered_companies_never_merge_even_when_accepted() -> None:
    outcome = resolve({ordered_pair("C1", "C2"): Judgement.POSITIVE})
    got = by_side(outcome)
    assert got[1][0] == "C1"
    assert all(company != "C2" for company, _ in got.values())


def test_an_existing_company_keeps_its_id_when_records_merge() -> None:
    sides = [
        Side(1, "Baltic Amber Trading Ltd", None, ("X1",), ("K1",)),
        Side(2, "Baltic Amber Tradng Ltd", None, ("X1",), ("K1",)),
    ]
    late = counterparty_id(name_key("Baltic Amber Tradng Ltd"))
    outcome = resolve_sides(sides, {}, {}, existing_ids={late})
    assert {r.company_id for r in outcome.resolutions} == {late}


def test_resolution_is_deterministic() -> None:
    first, second = resolve(), resolve()
    assert first.resolutions == second.resolutions
    assert first.candidates == second.candidates
