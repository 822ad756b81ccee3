"""The synthetic bank: determinism, the contract's shape, and a truth file that holds.

Every check here reads the written files back and re-derives the truth
independently (networkx for guarantee circles, a plain control-closure walk for
controllers, the payments behind each planted event), so a truth file that drifted
from its data fails here. Detection quality is not measured here but by
``bench/quality.py`` (standard and hard bank) and its floors in
``tests/integration/test_quality_floors.py``.
"""

from __future__ import annotations

import csv
import itertools
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from core.codes import ACTIVITY_KINDS
from core.errors import InputValidationError
from core.names import counterparty_id, name_key
from core.uscc import is_valid_uscc
from loaders.contract import CONTRACT, LOAD_ORDER, Kind, RejectReason
from loaders.flows import FlowLedger
from loaders.parsing import FieldError, parse_currency, parse_date, parse_decimal, parse_percent
from loaders.reading import find_input_files
from loaders.resolution import CompanyIndex
from loaders.synthetic import MONTHS, TRUTH_FILE, GenerationReport, generate_bank, vocabulary
from loaders.validation import (
    check_key_person_identities,
    check_references,
    check_share_totals,
    validate_rows,
)

SEED = 20250101
Rows = list[dict[str, str]]
MONEY = re.compile(r"^\d+\.\d{2}$")


# --- helpers ------------------------------------------------------------------------------
def read_rows(path: Path, encoding: str = "utf-8") -> Rows:
    """Data rows as dicts, each with its line number under ``_line``."""
    with path.open(encoding=encoding, newline="") as handle:
        reader = csv.DictReader(handle)
        rows = []
        for row in reader:
            row["_line"] = str(reader.line_num)
            rows.append(row)
        return rows


def read_parquet_rows(path: Path) -> list[tuple[str, ...]]:
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    columns = [[v if v is not None else "" for v in c.to_pylist()] for c in table.columns]
    return list(zip(*columns, strict=True))


def raw_rows(path: Path, encoding: str) -> list[list[str]]:
    with path.open(encoding=encoding, newline="") as handle:
        return list(csv.reader(handle))


class Bank:
    """One generated folder, read back."""

    def __init__(self, folder: Path, report: GenerationReport) -> None:
        self.folder = folder
        self.report = report
        self.truth: dict[str, Any] = json.loads((folder / TRUTH_FILE).read_text(encoding="utf-8"))
        self.tables = {name: read_rows(folder / f"{name}.csv") for name in LOAD_ORDER}
        self.bad_lines: dict[str, set[int]] = defaultdict(set)
        for bad in self.truth["bad_rows"]:
            self.bad_lines[bad["file"]].add(bad["row"])

    def good(self, name: str) -> Rows:
        return [r for r in self.tables[name] if int(r["_line"]) not in self.bad_lines[name]]

    def row_at(self, name: str, line: int) -> dict[str, str]:
        return next(r for r in self.tables[name] if int(r["_line"]) == line)


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> Bank:
    folder = tmp_path_factory.mktemp("tiny")
    return Bank(folder, generate_bank("tiny", SEED, folder))


@pytest.fixture(scope="module")
def resolver(bank: Bank) -> Any:
    """Resolve a payment side the way the contract says: id, USCC, name, else a new id."""
    companies = bank.good("companies")
    by_key = {name_key(c["name"]): c["company_id"] for c in companies}
    by_uscc = {c["uscc"]: c["company_id"] for c in companies if c["uscc"]}
    assert len(by_key) == len(companies), "two companies share a normalised name"

    def resolve(row: dict[str, str], side: str) -> str:
        if row[f"{side}_id"]:
            return row[f"{side}_id"]
        by_name = by_key.get(name_key(row[f"{side}_name"]))
        uscc = row[f"{side}_uscc"]
        if uscc and uscc in by_uscc:
            assert by_uscc[uscc] == by_name, "a USCC and its name point at different companies"
        return by_name or counterparty_id(name_key(row[f"{side}_name"]))

    return resolve


@pytest.fixture(scope="module")
def monthly_flows(bank: Bank, resolver: Any) -> dict[str, dict[str, dict[int, int]]]:
    """customer → counterparty → month → cents, both directions added, good payments only."""
    customers = {c["company_id"] for c in bank.good("companies") if c["is_customer"] == "true"}
    flows: dict[str, dict[str, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
    for row in bank.good("transactions"):
        month = int(row["date"][5:7])
        whole, cents = row["amount"].split(".")
        amount = int(whole) * 100 + int(cents)
        payer, payee = resolver(row, "payer"), resolver(row, "payee")
        for customer, other in ((payer, payee), (payee, payer)):
            if customer in customers:
                cell = flows[customer][other]
                cell[month] = cell.get(month, 0) + amount
    return flows


def outflows(bank: Bank, resolver: Any) -> dict[str, dict[int, int]]:
    result: dict[str, dict[int, int]] = defaultdict(dict)
    for row in bank.good("transactions"):
        payer = resolver(row, "payer")
        month = int(row["date"][5:7])
        whole, cents = row["amount"].split(".")
        result[payer][month] = result[payer].get(month, 0) + int(whole) * 100 + int(cents)
    return result


# --- determinism and shape ----------------------------------------------------------------
def test_same_seed_same_bytes_and_another_seed_differs(bank: Bank, tmp_path: Path) -> None:
    again = tmp_path / "again"
    generate_bank("tiny", SEED, again)
    for path in sorted(bank.folder.iterdir()):
        assert (again / path.name).read_bytes() == path.read_bytes(), path.name
    other = tmp_path / "other"
    generate_bank("tiny", SEED + 1, other)
    for name in ("companies.csv", "transactions.csv", "shareholdings.csv"):
        assert (other / name).read_bytes() != (bank.folder / name).read_bytes()


def test_every_file_has_exactly_the_contract_header(bank: Bank) -> None:
    for name in LOAD_ORDER:
        with (bank.folder / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
            assert handle.readline() == ",".join(CONTRACT[name].column_names) + "\n", name


def test_counts_in_truth_and_report_match_the_files(bank: Bank) -> None:
    counts = bank.truth["counts"]
    for name in LOAD_ORDER:
        rows = len(bank.tables[name])
        assert counts["rows"][name] == rows == bank.report.rows[name]
        assert counts["valid_rows"][name] == rows - len(bank.bad_lines[name])
    assert 150 <= counts["rows"]["companies"] <= 260
    assert 4_000 <= counts["rows"]["transactions"] <= 6_000
    assert bank.truth["months"] == list(MONTHS)


def test_money_is_written_as_exact_two_place_decimals(bank: Bank) -> None:
    for name in LOAD_ORDER:
        spec = CONTRACT[name]
        money = [c.name for c in spec.columns if c.kind is Kind.DECIMAL]
        for row in bank.good(name):
            for column in money:
                assert row[column] == "" or MONEY.match(row[column]), (name, column, row[column])


def test_usccs_are_valid_except_the_planted_bad_one(bank: Bank) -> None:
    bad_companies = bank.bad_lines["companies"]
    for row in bank.tables["companies"]:
        if row["uscc"]:
            assert is_valid_uscc(row["uscc"]) == (int(row["_line"]) not in bad_companies)
    for row in bank.tables["transactions"]:
        for side in ("payer", "payee"):
            assert not row[f"{side}_uscc"] or is_valid_uscc(row[f"{side}_uscc"])
    usccs = [r["uscc"] for r in bank.tables["companies"] if r["uscc"]]
    assert len(usccs) == len(set(usccs))


def test_vocabulary_is_gbk_encodable() -> None:
    texts: list[str] = []
    for value in vars(vocabulary).values():
        texts.extend(_strings(value))
    for text in texts:
        text.encode("gbk")


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, tuple | list | frozenset):
        for item in value:
            yield from _strings(item)
    elif hasattr(value, "__dataclass_fields__"):
        yield from _strings(tuple(vars(value).values()))


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig"])
def test_other_encodings_hold_the_same_rows(bank: Bank, tmp_path: Path, encoding: str) -> None:
    generate_bank("tiny", SEED, tmp_path, encoding=encoding)
    if encoding == "utf-8-sig":
        assert (tmp_path / "companies.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    else:
        with pytest.raises(UnicodeDecodeError):
            (tmp_path / "companies.csv").read_bytes().decode("utf-8")
    for name in LOAD_ORDER:
        assert raw_rows(tmp_path / f"{name}.csv", encoding) == raw_rows(
            bank.folder / f"{name}.csv", "utf-8"
        ), name


def test_parquet_holds_the_same_rows(bank: Bank, tmp_path: Path) -> None:
    generate_bank("tiny", SEED, tmp_path, file_format="parquet")
    for name in LOAD_ORDER:
        expected = [tuple(r) for r in raw_rows(bank.folder / f"{name}.csv", "utf-8")]
        assert [expected[0], *read_parquet_rows(tmp_path / f"{name}.parquet")] == expected
    assert not list(tmp_path.glob("*.csv"))


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputValidationError, match="scale"):
        generate_bank("huge", 1, tmp_path)
    with pytest.raises(InputValidationError, match="encoding"):
        generate_bank("tiny", 1, tmp_path, encoding="latin-1")
    with pytest.raises(InputValidationError, match="format"):
        generate_bank("tiny", 1, tmp_path, file_format="xlsx")


# --- the bank's structure -----------------------------------------------------------------
def test_branch_tree_and_bookings_are_consistent(bank: Bank) -> None:
    parents = {b["branch_id"]: b["parent_branch_id"] for b in bank.good("branches")}
    assert parents["HO"] == ""
    assert all(p in parents for p in parents.values() if p)
    rm_branch = {r["rm_id"]: r["branch_id"] for r in bank.good("relationship_managers")}
    assert "HO" not in rm_branch.values()
    for company in bank.good("companies"):
        if company["is_customer"] == "true":
            assert company["segment"] in {"strategic", "core", "growth", "basic"}
            assert rm_branch[company["rm_id"]] == company["branch_id"]
            assert company["branch_id"] != "HO"
        else:
            assert company["segment"] == company["branch_id"] == company["rm_id"] == ""


def test_company_names_are_unique_after_normalisation(bank: Bank) -> None:
    keys = [name_key(c["name"]) for c in bank.tables["companies"]]
    assert len(keys) == len(set(keys))
    names = {c["company_id"]: c["name"] for c in bank.good("companies")}
    duplicates = bank.truth["duplicates"]
    assert duplicates
    for entry in duplicates:
        canonical = names.get(entry["company_id"], entry["name"])
        assert entry["name"] == canonical
        for variant in entry["variant_names"]:
            assert variant != canonical
            assert name_key(variant) == name_key(canonical)


def test_shares_stay_within_100_percent(bank: Bank) -> None:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for row in bank.good("shareholdings"):
        pct = Decimal(row["share_pct"])
        assert Decimal(0) < pct <= Decimal(100)
        totals[row["company_id"]] += pct
    assert max(totals.values()) <= Decimal(100)


def _control_walk(bank: Bank) -> dict[str, list[str]]:
    """An independent derivation of consolidation control over the good rows.

    Each party's closure is everything it reaches by control links or by holding,
    together with what it already reaches, more than 50%. A company's ultimate
    controllers are the parties no one else reaches whose closure holds it; one that
    no closure holds but two such parties hold 50% each is jointly controlled.
    """
    stakes: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for row in bank.good("shareholdings"):
        stakes[row["company_id"]][row["owner_id"]] = Decimal(row["share_pct"])
    links: dict[str, set[str]] = defaultdict(set)
    for row in bank.good("control_links"):
        links[row["company_id"]].add(row["controller_id"])
    companies = sorted(set(stakes) | set(links))
    parties = {o for s in stakes.values() for o in s} | {x for xs in links.values() for x in xs}

    def closure(party: str) -> set[str]:
        reached = {party}
        grew = True
        while grew:
            grew = False
            for company in companies:
                if company in reached:
                    continue
                votes = sum(p for o, p in stakes[company].items() if o in reached)
                if links[company] & reached or votes > 50:
                    reached.add(company)
                    grew = True
        return reached

    closures = {p: closure(p) for p in sorted(parties)}
    tops = [p for p in closures if not any(p in c for q, c in closures.items() if q != p)]
    ultimate: dict[str, list[str]] = {}
    for company in companies:
        holders = [t for t in tops if t != company and company in closures[t]]
        if not holders:
            holders = [
                t
                for t in tops
                if t != company
                and sum(p for o, p in stakes[company].items() if o in closures[t]) >= 50
            ]
            if len(holders) < 2:
                continue
        ultimate[company] = sorted(holders)
    return ultimate


def test_ultimate_controllers_and_groups_follow_from_the_rows(bank: Bank) -> None:
    ultimate = _control_walk(bank)
    assert bank.truth["ultimate_controllers"] == ultimate
    company_ids = {c["company_id"] for c in bank.good("companies")}
    members: dict[str, set[str]] = defaultdict(set)
    for company, controllers in ultimate.items():
        for controller in controllers:
            members[controller].add(company)
            if controller in company_ids:
                members[controller].add(controller)
    groups = sorted((k, sorted(v)) for k, v in members.items() if len(v) >= 2)
    assert [(g["controller"], g["members"]) for g in bank.truth["groups"]] == groups
    # The planted variety is there: a company controller, control by agreement,
    # ownership cycles, 50/50 joint ventures and one by two links, a control cycle.
    assert any(controller.startswith("C") for controller, _ in groups)
    assert any(controller.startswith("P") for controller, _ in groups)
    assert bank.good("control_links")
    graph = nx.DiGraph((r["owner_id"], r["company_id"]) for r in bank.good("shareholdings"))
    cycles = [c for c in nx.strongly_connected_components(graph) if len(c) >= 2]
    in_groups = [c for c in cycles if any(c <= set(g["members"]) for g in bank.truth["groups"])]
    assert in_groups  # cross-holdings inside a group
    rings = [set(ring) for ring in bank.truth["ownership_cycles"]]
    assert rings
    assert all(ring in cycles for ring in rings)  # no-controller rings outside groups
    joint = {j["company"]: j["controllers"] for j in bank.truth["joint_control"]}
    for venture in bank.truth["joint_ventures"]:
        stakes = [r["share_pct"] for r in bank.good("shareholdings") if r["company_id"] == venture]
        assert stakes == ["50", "50"]
        assert len(ultimate[venture]) == 2
        assert joint[venture] == ultimate[venture]
    for venture in bank.truth["link_joint_ventures"]:
        linked = [r for r in bank.good("control_links") if r["company_id"] == venture]
        assert len(linked) == 2
        assert joint[venture] == ultimate[venture]
    for ring in bank.truth["ownership_cycles"]:
        assert not set(ring) & set(ultimate)
    (cycle,) = bank.truth["control_cycles"]
    control_graph = nx.DiGraph(
        [(r["controller_id"], r["company_id"]) for r in bank.good("control_links")]
        + [
            (r["owner_id"], r["company_id"])
            for r in bank.good("shareholdings")
            if Decimal(r["share_pct"]) > 50
        ]
    )
    assert set(cycle["members"]) in list(nx.strongly_connected_components(control_graph))
    assert all(ultimate[m] == [cycle["controller"]] for m in cycle["members"])
    (sister,) = bank.truth["sister_subsidiaries"]
    held = {
        r["owner_id"]: r["share_pct"]
        for r in bank.good("shareholdings")
        if r["company_id"] == sister["company"]
    }
    assert held == {s: "50" for s in sister["sisters"]}
    assert ultimate[sister["company"]] == [sister["controller"]]


def test_guarantee_circles_are_the_strongly_connected_components(bank: Bank) -> None:
    graph = nx.DiGraph((r["guarantor_id"], r["borrower_id"]) for r in bank.good("guarantees"))
    components = sorted(sorted(c) for c in nx.strongly_connected_components(graph) if len(c) >= 2)
    assert bank.truth["guarantee_circles"] == components
    sizes = sorted(len(c) for c in components)
    assert sizes[0] == 2  # a mutual pair
    assert sizes[-1] >= 5  # a nested circle
    for chain in bank.truth["guarantee_chains"]:
        assert all(graph.has_edge(a, b) for a, b in itertools.pairwise(chain))


def test_the_planted_guarantee_chains_are_paths_one_run_by_a_family(bank: Bank) -> None:
    """The people cases' chains: a path of guarantees between customers that guarantee
    nothing else, one whose legal representatives are a parent and two children, and
    one whose legal representatives have no family tie."""
    planted = bank.truth["people_cases"]["guarantee_chains"]
    assert sorted(c["run_by"] is None for c in planted) == [False, True]
    guarantees = [(r["guarantor_id"], r["borrower_id"]) for r in bank.good("guarantees")]
    legal = {
        r["company_id"]: r["person_id"]
        for r in bank.good("key_persons")
        if r["role"] == "legal_representative"
    }
    family = {
        frozenset((r["person_id"], r["related_person_id"])) for r in bank.good("person_relations")
    }
    customers = {c["company_id"] for c in bank.good("companies") if c["is_customer"] == "true"}
    for chain in planted:
        members = chain["members"]
        assert set(members) <= customers
        assert chain["members"] in bank.truth["guarantee_chains"]
        touching = [g for g in guarantees if set(g) & set(members)]
        assert sorted(touching) == sorted(itertools.pairwise(members))
        ties = {
            frozenset((legal[a], legal[b])) for a, b in itertools.combinations(members, 2)
        } & family
        assert len(ties) == (2 if chain["run_by"] else 0)


def test_facilities_and_concentration(bank: Bank) -> None:
    outstanding: dict[str, int] = defaultdict(int)
    for row in bank.good("facilities"):
        limit, drawn = Decimal(row["limit"]), Decimal(row["outstanding"])
        assert Decimal(0) <= drawn <= limit
        if row["currency"] == "CNY":
            outstanding[row["customer_id"]] += int(drawn * 100)
    threshold = Decimal(bank.truth["concentration_threshold_cny"]) * 100
    over = [
        {"controller": g["controller"], "outstanding_cny": f"{total // 100}.{total % 100:02d}"}
        for g in bank.truth["groups"]
        if (total := sum(outstanding[m] for m in g["members"])) >= threshold
    ]
    assert over
    assert bank.truth["over_concentration"] == over


def test_segment_migrations_follow_the_snapshots(bank: Bank) -> None:
    by_customer: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in bank.good("segment_snapshots"):
        by_customer[row["customer_id"]].append((row["as_of"], row["segment"]))
    segments = {c["company_id"]: c["segment"] for c in bank.good("companies")}
    migrations = []
    for customer, snapshots in by_customer.items():
        snapshots.sort()
        assert snapshots[-1][1] == segments[customer]
        for (_, old), (as_of, new) in itertools.pairwise(snapshots):
            if old != new:
                migrations.append({"customer_id": customer, "from": old, "to": new, "as_of": as_of})
    assert migrations
    assert (
        sorted(migrations, key=lambda m: (m["customer_id"], m["as_of"]))
        == bank.truth["segment_migrations"]
    )


def test_cross_sell_gaps_are_products_the_customer_lacks(bank: Bank) -> None:
    held = {(r["customer_id"], r["product_code"]) for r in bank.good("holdings")}
    products = {r["product_code"] for r in bank.good("products")}
    assert 12 <= len(products) <= 20
    for gap in bank.truth["cross_sell_gaps"]:
        assert (gap["customer_id"], gap["product_code"]) not in held


def test_supply_chains_have_cores_and_tiers(bank: Bank) -> None:
    links = {(r["supplier_id"], r["buyer_id"]) for r in bank.good("supply_links")}
    chains = bank.truth["supply_chains"]
    assert [c["core"] for c in chains] == bank.truth["core_enterprises"]
    for chain in chains:
        assert all((s, chain["core"]) in links for s in chain["tier1_suppliers"])
        assert all((chain["core"], b) in links for b in chain["tier1_buyers"])
        degree: dict[str, int] = defaultdict(int)
        for supplier, buyer in links:
            degree[supplier] += 1
            degree[buyer] += 1
        tier1 = chain["tier1_suppliers"] + chain["tier1_buyers"]
        assert degree[chain["core"]] > max(degree[m] for m in tier1)


# --- flows: prospects and events ----------------------------------------------------------
def test_prospects_are_non_customers_tied_to_several_customers_all_year(
    bank: Bank, monthly_flows: dict[str, dict[str, dict[int, int]]]
) -> None:
    companies = {c["company_id"]: c for c in bank.good("companies")}
    ties: dict[str, set[str]] = defaultdict(set)  # counterparty → customers it trades with
    for customer, partners in monthly_flows.items():
        for partner, months in partners.items():
            if len(months) >= 9:
                ties[partner].add(customer)
    prospects = bank.truth["prospects"]
    assert len(prospects) >= 5
    for prospect in prospects:
        company = companies.get(prospect)
        if company is not None:
            assert company["is_customer"] == "false"
            assert company["status"] == "active"
        assert len(ties[prospect]) >= 4, prospect
    decoys = set(bank.truth["dissolved_decoys"])
    for party, customers in ties.items():
        is_customer = party in companies and companies[party]["is_customer"] == "true"
        if party not in prospects and party not in decoys and not is_customer:
            assert len(customers) <= 2, party
    # Name-only prospects are the ids the loader will create.
    created = set(bank.truth["new_counterparties"]["ids"])
    assert any(p.startswith("CP-") and p in created for p in prospects)
    assert all(p in companies or p in created for p in prospects)
    # One-off noise: many counterparties seen in one payment only.
    one_payment = sum(
        1 for months in _all_counterparty_months(monthly_flows).values() if len(months) == 1
    )
    assert one_payment >= 100


def _all_counterparty_months(
    monthly_flows: dict[str, dict[str, dict[int, int]]],
) -> dict[str, set[int]]:
    months: dict[str, set[int]] = defaultdict(set)
    for partners in monthly_flows.values():
        for partner, cells in partners.items():
            months[partner].update(cells)
    return months


def test_planted_events_are_in_the_files(
    bank: Bank, monthly_flows: dict[str, dict[str, dict[int, int]]], resolver: Any
) -> None:
    """What each planted event says happened is in the payments, by definition of its type.

    This checks that the truth file describes its data. It is not a measure of
    detection quality: that is ``bench/quality.py``, on the hard bank too.
    """
    details = bank.truth["event_details"]
    assert {d["type"] for d in details} == {
        "large_outflow",
        "counterparty_loss",
        "dormancy",
        "new_major_counterparty",
    }
    assert len({d["customer_id"] for d in details}) == len(details)  # one event per customer
    paid = outflows(bank, resolver)
    for event in details:
        customer, month = event["customer_id"], int(event["month"][5:])
        partners = monthly_flows[customer]
        active = {m for cells in partners.values() for m in cells}
        if event["type"] == "dormancy":
            assert max(active) == month - 1, event
            continue
        counterparty = partners[event["counterparty_id"]]
        if event["type"] == "counterparty_loss":
            assert max(counterparty) == month - 1, event
            assert max(active) == 12, event
        elif event["type"] == "new_major_counterparty":
            assert min(counterparty) == month, event
        else:  # large_outflow: a payment to a usual supplier, bigger than any other month
            assert month in counterparty, event
            assert len(counterparty) == 12, event
            others = [v for m, v in paid[customer].items() if m != month]
            assert paid[customer][month] > max(others), event


# --- bad rows -----------------------------------------------------------------------------
def test_each_bad_row_is_bad_for_its_stated_reason(bank: Bank) -> None:
    reasons = {b["reason"] for b in bank.truth["bad_rows"]}
    assert {
        "invalid_uscc",
        "out_of_range",
        "unknown_reference",
        "invalid_date",
        "invalid_decimal",
        "invalid_currency",
        "missing_required",
        "share_total_exceeded",
        "self_reference",
        "duplicate_key",
    } <= reasons
    assert 8 <= len(bank.truth["bad_rows"]) <= 12
    company_ids = {c["company_id"] for c in bank.good("companies")}
    for bad in bank.truth["bad_rows"]:
        row = bank.row_at(bad["file"], bad["row"])
        reason = RejectReason(bad["reason"])
        _assert_bad(bank, bad["file"], row, reason, company_ids)


def _field_error(parser: Any, text: str) -> RejectReason:
    with pytest.raises(FieldError) as error:
        parser(text)
    return error.value.reason


def _assert_bad(
    bank: Bank, file: str, row: dict[str, str], reason: RejectReason, company_ids: set[str]
) -> None:
    line = int(row["_line"])
    match reason:
        case RejectReason.INVALID_USCC:
            assert not is_valid_uscc(row["uscc"])
        case RejectReason.OUT_OF_RANGE:
            assert _field_error(parse_percent, row["share_pct"]) is reason
        case RejectReason.SHARE_TOTAL_EXCEEDED:
            earlier = [
                Decimal(r["share_pct"])
                for r in bank.good("shareholdings")
                if r["company_id"] == row["company_id"] and int(r["_line"]) < line
            ]
            later = [
                r
                for r in bank.good("shareholdings")
                if r["company_id"] == row["company_id"] and int(r["_line"]) > line
            ]
            assert sum(earlier) + Decimal(row["share_pct"]) > Decimal("100.5")
            assert not later
        case RejectReason.SELF_REFERENCE:
            assert row["supplier_id"] == row["buyer_id"]
        case RejectReason.UNKNOWN_REFERENCE:
            assert row["borrower_id"] not in company_ids
            assert row["guarantor_id"] in company_ids
        case RejectReason.DUPLICATE_KEY:
            first = [r for r in bank.tables[file] if r["guarantee_id"] == row["guarantee_id"]]
            assert len(first) == 2
            assert int(first[0]["_line"]) < line
            assert {k: v for k, v in first[0].items() if k != "_line"} != {
                k: v for k, v in row.items() if k != "_line"
            }
        case RejectReason.INVALID_CURRENCY:
            assert _field_error(parse_currency, row["currency"]) is reason
        case RejectReason.MISSING_REQUIRED:
            assert row["balance"] == ""
        case RejectReason.INVALID_DATE:
            assert _field_error(parse_date, row["date"]) is reason
        case RejectReason.INVALID_DECIMAL:
            assert _field_error(parse_decimal, row["amount"]) is reason
        case RejectReason.INVALID_ENUM:
            assert file == "activities"
            assert row["kind"] not in ACTIVITY_KINDS
        case _:
            pytest.fail(f"unexpected reason {reason}")


def test_the_project_validator_rejects_exactly_the_bad_rows(bank: Bank) -> None:
    """Run the loader's row validation over every file but transactions."""
    known: dict[str, set[str]] = {}
    rejected: set[tuple[str, int, str]] = set()
    for name in LOAD_ORDER:
        if name == "transactions":
            continue
        spec = CONTRACT[name]
        rows = [(int(r["_line"]), r) for r in bank.tables[name]]
        result = validate_rows(spec, rows)
        if name == "branches":
            known["branches.branch_id"] = {r["branch_id"] for r in result.records}
        check_references(result, spec, known)
        if name == "shareholdings":
            check_share_totals(result)
        if name == "key_persons":  # a named key person is a new person (as the loader does)
            known["persons.person_id"] |= check_key_person_identities(
                result, known["persons.person_id"]
            )
        key = f"{name}.{spec.key[0]}"
        known[key] = {r[spec.key[0]] for r in result.records}
        rejected |= {(r.file, r.row, r.reason.value) for r in result.rejects}
    expected = {
        (b["file"], b["row"], b["reason"])
        for b in bank.truth["bad_rows"]
        if b["file"] != "transactions"
    }
    assert rejected == expected


def test_good_payments_parse_and_reference_known_companies(bank: Bank) -> None:
    company_ids = {c["company_id"] for c in bank.good("companies")}
    txn_ids = [r["txn_id"] for r in bank.tables["transactions"]]
    assert len(txn_ids) == len(set(txn_ids))
    for row in bank.good("transactions"):
        parse_date(row["date"])
        assert MONEY.match(row["amount"])
        assert row["currency"] == "CNY"
        for side in ("payer", "payee"):
            assert row[f"{side}_id"] in company_ids or (
                row[f"{side}_id"] == "" and row[f"{side}_name"] and row[f"{side}_account"]
            )
        assert (row["payer_id"] or row["payer_name"]) != (row["payee_id"] or row["payee_name"])


def test_the_project_loader_stages_payments_as_the_truth_says(bank: Bank, tmp_path: Path) -> None:
    """The loader's own staging rejects the bad payments and creates the listed counterparties."""
    source = find_input_files(bank.folder, ("transactions",))["transactions"]
    companies = [(c["company_id"], c["name"], c["uscc"] or None) for c in bank.good("companies")]
    with FlowLedger(tmp_path / "ledger.duckdb") as ledger:
        staged = ledger.stage(
            source, CompanyIndex.build(companies), {company for company, _, _ in companies}
        )
    assert {(r.row, r.reason.value) for r in staged.rejects} == {
        (b["row"], b["reason"]) for b in bank.truth["bad_rows"] if b["file"] == "transactions"
    }
    created = sorted({str(r.company_id) for r in staged.created_companies})
    assert created == bank.truth["new_counterparties"]["ids"]
