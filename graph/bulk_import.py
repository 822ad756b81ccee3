"""A first load as ``neo4j-admin database import`` files instead of ``MERGE`` batches.

:class:`ImportGraph` holds, in memory, the graph that the load's write statements
(:data:`graph.load_writes.UPSERTS`, :data:`~graph.load_writes.CREATE_FLOWS`) would
write into an *empty* database, applying each statement's ``MERGE``/``SET`` meaning
to its parameter rows: the same labels, keys, properties (a ``None`` leaves a property
unset, as ``SET x.p = null`` does) and relationships. :func:`write_import_files` then
writes it as the importer's CSV files, one per label set or relationship type, with
typed headers (``:long``, ``:double``, ``:boolean``, ``:date``, ``:string``): the
property types are those of the Python values, which are the types the Bolt driver
would have sent.

Statements without a translation here (:data:`TRANSLATED` lists those with one) are
not lost: the bulk load runs them after the import with their own Cypher.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final, LiteralString

from core.errors import ConflictError, QueryError

from .database import Database
from .load_writes import CREATE_FLOWS, UPDATE_FLOWS, UPSERTS, Upsert
from .schema import NODE_KEYS

NodeRef = tuple[str, str]
"""A node by its id space (its primary label) and business key."""

ANY_NODE: Final[LiteralString] = "MATCH (n) RETURN elementId(n) AS id LIMIT 1"


def database_is_empty(db: Database) -> bool:
    """True when the database holds no node at all (nothing was ever loaded)."""
    return db.read_one(ANY_NODE) is None


def require_empty(db: Database) -> None:
    """Refuse a bulk load into a database that holds data.

    Raises
    ------
    ConflictError
        The database has nodes: the importer would replace them.
    """
    if not database_is_empty(db):
        raise ConflictError(
            "the bulk load only writes into an empty database, and this one holds data: "
            "load without --bulk (or wipe it first with `corpgraph db wipe`)",
            details={"database": db.database},
        )


@dataclass
class _Node:
    labels: set[str]
    properties: dict[str, Any]


@dataclass
class _Relationship:
    type: str
    start: NodeRef
    end: NodeRef
    properties: dict[str, Any]


def _set(target: dict[str, Any], values: Mapping[str, Any]) -> None:
    """``SET x.p = v`` for each pair: a null removes the property."""
    for name, value in values.items():
        if value is None:
            target.pop(name, None)
        else:
            target[name] = value


@dataclass
class ImportGraph:
    """The graph a load writes into an empty database, built from its statements' rows."""

    nodes: dict[NodeRef, _Node] = field(default_factory=dict)
    #: By a key that says which relationships one MERGE pattern finds again.
    relationships: dict[tuple[Any, ...], _Relationship] = field(default_factory=dict)

    # --- the MERGE and SET of the statements ---------------------------------------------
    def merge_node(self, label: str, key: Any) -> _Node:
        ref = (label, str(key))
        node = self.nodes.get(ref)
        if node is None:
            node = _Node({label}, {NODE_KEYS[label]: key})
            self.nodes[ref] = node
        return node

    def has(self, label: str, key: Any) -> bool:
        return key is not None and (label, str(key)) in self.nodes

    def merge_relationship(
        self,
        rel_type: str,
        start: NodeRef,
        end: NodeRef,
        key: tuple[Any, ...] | None = None,
        pattern: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The properties of the relationship one MERGE finds or creates.

        ``key`` overrides the identity when the statement deletes the other
        relationships it replaces (one branch per company, one owner per facility).
        """
        identity = key or (rel_type, start, end, tuple(sorted((pattern or {}).items())))
        found = self.relationships.get(identity)
        if found is None or found.start != start or found.end != end:
            found = _Relationship(rel_type, start, end, dict(pattern or {}))
            self.relationships[identity] = found
        return found.properties

    def drop_relationship(self, key: tuple[Any, ...]) -> None:
        self.relationships.pop(key, None)

    # --- the statements ------------------------------------------------------------------
    def apply(self, statement: Upsert, rows: Iterable[Mapping[str, Any]]) -> None:
        write = _TRANSLATIONS[statement]
        for row in rows:
            write(self, row)

    def apply_flows(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """:data:`CREATE_FLOWS` / :data:`UPDATE_FLOWS`: one ``PAYS`` per payer, payee,
        month and currency; an endpoint that is not a company drops the row (``MATCH``)."""
        for row in rows:
            if not (self.has("Company", row["payer"]) and self.has("Company", row["payee"])):
                continue
            start, end = ("Company", str(row["payer"])), ("Company", str(row["payee"]))
            pays = self.merge_relationship(
                "PAYS",
                start,
                end,
                key=("PAYS", start, end, row["month"], row["currency"]),
                pattern={"month": row["month"], "currency": row["currency"]},
            )
            _set(
                pays,
                {
                    "amount_minor": row["amount_minor"],
                    "txn_count": row["txn_count"],
                    "first_date": date.fromisoformat(row["first_date"]),
                    "last_date": date.fromisoformat(row["last_date"]),
                },
            )


# --- one translation per statement, each following its Cypher in graph.load_writes ----------
def _branches(g: ImportGraph, row: Mapping[str, Any]) -> None:
    branch = g.merge_node("Branch", row["branch_id"])
    _set(branch.properties, {"name": row["name"], "parent_branch_id": row["parent_branch_id"]})
    if row["parent_branch_id"] is not None:
        g.merge_node("Branch", row["parent_branch_id"])
        g.merge_relationship(
            "CHILD_OF", ("Branch", str(row["branch_id"])), ("Branch", str(row["parent_branch_id"]))
        )


def _relationship_managers(g: ImportGraph, row: Mapping[str, Any]) -> None:
    manager = g.merge_node("RelationshipManager", row["rm_id"])
    _set(manager.properties, {"name": row["name"], "branch_id": row["branch_id"]})
    ref = ("RelationshipManager", str(row["rm_id"]))
    g.drop_relationship(("WORKS_AT", ref))
    if g.has("Branch", row["branch_id"]):
        g.merge_relationship("WORKS_AT", ref, ("Branch", str(row["branch_id"])), ("WORKS_AT", ref))


_COMPANY_FIELDS: Final = (
    "name",
    "name_key",
    "uscc",
    "is_customer",
    "segment",
    "industry",
    "region",
    "branch_id",
    "rm_id",
    "registered_capital_minor",
    "founded",
    "status",
)


def _companies(g: ImportGraph, row: Mapping[str, Any]) -> None:
    company = g.merge_node("Company", row["company_id"])
    values = {name: row[name] for name in _COMPANY_FIELDS}
    values["registered_capital_currency"] = (
        None if row["registered_capital_minor"] is None else "CNY"
    )
    values["source"] = "companies"
    _set(company.properties, values)
    if row["is_customer"]:
        company.labels.add("Customer")
    else:
        company.labels.discard("Customer")
    ref = ("Company", str(row["company_id"]))
    for rel_type, label, key in (
        ("BOOKED_AT", "Branch", row["branch_id"]),
        ("MANAGED_BY", "RelationshipManager", row["rm_id"]),
    ):
        g.drop_relationship((rel_type, ref))
        if g.has(label, key):
            g.merge_relationship(rel_type, ref, (label, str(key)), (rel_type, ref))


def _counterparties(g: ImportGraph, row: Mapping[str, Any]) -> None:
    if g.has("Company", row["company_id"]):
        return  # ON CREATE only
    company = g.merge_node("Company", row["company_id"])
    _set(
        company.properties,
        {
            "name": row["name"],
            "name_key": row["name_key"],
            "uscc": row["uscc"],
            "is_customer": False,
            "source": "transactions",
        },
    )


def _node_setter(
    label: str, fields: tuple[str, ...]
) -> Callable[[ImportGraph, Mapping[str, Any]], None]:
    key = NODE_KEYS[label]

    def write(g: ImportGraph, row: Mapping[str, Any]) -> None:
        _set(g.merge_node(label, row[key]).properties, {name: row[name] for name in fields})

    return write


def _link(
    rel_type: str,
    start: tuple[str, str],
    end: tuple[str, str],
    fields: tuple[str, ...],
) -> Callable[[ImportGraph, Mapping[str, Any]], None]:
    """``MATCH`` both ends by a row column, ``MERGE`` the relationship, ``SET`` ``fields``."""

    def write(g: ImportGraph, row: Mapping[str, Any]) -> None:
        (start_label, start_column), (end_label, end_column) = start, end
        if not (g.has(start_label, row[start_column]) and g.has(end_label, row[end_column])):
            return
        properties = g.merge_relationship(
            rel_type,
            (start_label, str(row[start_column])),
            (end_label, str(row[end_column])),
        )
        _set(properties, {name: row[name] for name in fields})

    return write


def _guarantees(g: ImportGraph, row: Mapping[str, Any]) -> None:
    if not (g.has("Company", row["guarantor_id"]) and g.has("Company", row["borrower_id"])):
        return
    properties = g.merge_relationship(
        "GUARANTEES",
        ("Company", str(row["guarantor_id"])),
        ("Company", str(row["borrower_id"])),
        key=("GUARANTEES", row["guarantee_id"]),
        pattern={"guarantee_id": row["guarantee_id"]},
    )
    _set(
        properties,
        {name: row[name] for name in ("amount_minor", "currency", "start_date", "end_date")},
    )


_FACILITY_FIELDS: Final = (
    "customer_id",
    "product",
    "limit_minor",
    "outstanding_minor",
    "currency",
    "maturity",
)


def _facilities(g: ImportGraph, row: Mapping[str, Any]) -> None:
    if not g.has("Company", row["customer_id"]):
        return
    facility = g.merge_node("Facility", row["facility_id"])
    _set(facility.properties, {name: row[name] for name in _FACILITY_FIELDS})
    ref = ("Facility", str(row["facility_id"]))
    g.merge_relationship(
        "HAS_FACILITY", ("Company", str(row["customer_id"])), ref, ("HAS_FACILITY", ref)
    )


def _segment_snapshots(g: ImportGraph, row: Mapping[str, Any]) -> None:
    if not g.has("Company", row["customer_id"]):
        return
    snapshot = g.merge_node("SegmentSnapshot", row["snapshot_id"])
    _set(
        snapshot.properties,
        {"customer_id": row["customer_id"], "as_of": row["as_of"], "segment": row["segment"]},
    )
    g.merge_relationship(
        "HAS_SEGMENT",
        ("Company", str(row["customer_id"])),
        ("SegmentSnapshot", str(row["snapshot_id"])),
    )


_TRANSLATIONS: Final[dict[Upsert, Callable[[ImportGraph, Mapping[str, Any]], None]]] = {
    Upsert.BRANCHES: _branches,
    Upsert.RELATIONSHIP_MANAGERS: _relationship_managers,
    Upsert.COMPANIES: _companies,
    Upsert.COUNTERPARTIES: _counterparties,
    Upsert.PERSONS: _node_setter("Person", ("name",)),
    Upsert.PRODUCTS: _node_setter("Product", ("name", "category")),
    Upsert.COMPANY_SHAREHOLDINGS: _link(
        "OWNS",
        ("Company", "owner_id"),
        ("Company", "company_id"),
        ("share_pct", "share_pct_exact", "as_of"),
    ),
    Upsert.PERSON_SHAREHOLDINGS: _link(
        "OWNS",
        ("Person", "owner_id"),
        ("Company", "company_id"),
        ("share_pct", "share_pct_exact", "as_of"),
    ),
    Upsert.COMPANY_CONTROL: _link(
        "CONTROLS", ("Company", "controller_id"), ("Company", "company_id"), ("basis",)
    ),
    Upsert.PERSON_CONTROL: _link(
        "CONTROLS", ("Person", "controller_id"), ("Company", "company_id"), ("basis",)
    ),
    Upsert.SUPPLY: _link(
        "SUPPLIES",
        ("Company", "supplier_id"),
        ("Company", "buyer_id"),
        ("annual_amount_minor", "currency", "category", "since"),
    ),
    Upsert.GUARANTEES: _guarantees,
    Upsert.FACILITIES: _facilities,
    Upsert.HOLDINGS: _link(
        "HOLDS",
        ("Company", "customer_id"),
        ("Product", "product_code"),
        ("balance_minor", "currency", "opened", "closed"),
    ),
    Upsert.SEGMENT_SNAPSHOTS: _segment_snapshots,
    Upsert.FX_RATES: _node_setter("FxRate", ("currency", "rate_date", "cny_per_unit")),
}

#: The statements whose rows go into the import files, by their Cypher; the others (KPI
#: targets, key persons, family relations, contacts: small, with ``coalesce`` and
#: ``OPTIONAL MATCH`` semantics) run after the import with their own statement.
TRANSLATED: Final[dict[str, Upsert]] = {UPSERTS[s]: s for s in _TRANSLATIONS}
FLOW_STATEMENTS: Final[frozenset[str]] = frozenset({CREATE_FLOWS, UPDATE_FLOWS})


# --- the importer's files -------------------------------------------------------------------
def _import_type(value: Any) -> str:
    """The importer's type for a property value, as the driver would have sent it."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "long"
    if isinstance(value, float):
        return "double"
    if isinstance(value, datetime):
        return "datetime" if value.tzinfo is not None else "localdatetime"
    if isinstance(value, date):
        return "date"
    if isinstance(value, str):
        return "string"
    raise QueryError("a load value has no import type", details={"type": type(value).__name__})


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _columns(items: Iterable[Mapping[str, Any]], skip: frozenset[str]) -> dict[str, str]:
    """Every property name of ``items`` and its one import type."""
    types: dict[str, str] = {}
    for properties in items:
        for name, value in properties.items():
            if name in skip:
                continue
            kind = _import_type(value)
            if types.setdefault(name, kind) != kind:
                raise QueryError(
                    "a property has values of two types; the importer needs one",
                    details={"property": name, "types": [types[name], kind]},
                )
    return dict(sorted(types.items()))


class _CsvFile:
    """One import file. Strings are always quoted so that an empty string stays one; an
    absent property is an empty, unquoted field, which the importer leaves unset."""

    def __init__(self, path: Path, header: list[str]) -> None:
        self.path = path
        self.handle = path.open("w", encoding="utf-8", newline="")
        self.handle.write(",".join(header) + "\n")

    def row(self, fields: list[tuple[Any, bool]]) -> None:
        parts = []
        for value, quoted in fields:
            if value is None:
                parts.append("")
            elif quoted:
                parts.append('"' + str(value).replace('"', '""') + '"')
            else:
                parts.append(_text(value))
        self.handle.write(",".join(parts) + "\n")

    def close(self) -> None:
        self.handle.close()


@dataclass(frozen=True)
class ImportFiles:
    """The files of one import and what they hold."""

    nodes: tuple[Path, ...]
    relationships: tuple[Path, ...]
    node_count: int
    relationship_count: int


def write_import_files(graph: ImportGraph, folder: Path) -> ImportFiles:
    """Write ``graph`` as the importer's node and relationship CSV files under ``folder``.

    One node file per label set (its id space is the primary label, the business key
    its ``:ID`` column, stored as a string property of that name), one relationship file
    per type and end labels.
    """
    folder.mkdir(parents=True, exist_ok=True)
    node_groups: dict[tuple[str, tuple[str, ...]], list[_Node]] = {}
    for (space, _key), node in graph.nodes.items():
        node_groups.setdefault((space, tuple(sorted(node.labels))), []).append(node)
    node_paths = []
    for index, ((space, labels), nodes) in enumerate(sorted(node_groups.items())):
        key = NODE_KEYS[space]
        columns = _columns((n.properties for n in nodes), frozenset({key}))
        path = folder / f"nodes-{index:02d}-{'-'.join(labels)}.csv"
        out = _CsvFile(
            path,
            [f"{key}:ID({space})", *(f"{name}:{kind}" for name, kind in columns.items()), ":LABEL"],
        )
        label_field = ";".join(labels)
        for node in nodes:
            out.row(
                [
                    (node.properties[key], True),
                    *(
                        (node.properties.get(name), kind == "string")
                        for name, kind in columns.items()
                    ),
                    (label_field, False),
                ]
            )
        out.close()
        node_paths.append(path)
    rel_groups: dict[tuple[str, str, str], list[_Relationship]] = {}
    for rel in graph.relationships.values():
        rel_groups.setdefault((rel.type, rel.start[0], rel.end[0]), []).append(rel)
    rel_paths = []
    for index, ((rel_type, start, end), rels) in enumerate(sorted(rel_groups.items())):
        columns = _columns((r.properties for r in rels), frozenset())
        path = folder / f"relationships-{index:02d}-{rel_type}.csv"
        out = _CsvFile(
            path,
            [
                f":START_ID({start})",
                f":END_ID({end})",
                *(f"{name}:{kind}" for name, kind in columns.items()),
                ":TYPE",
            ],
        )
        for rel in rels:
            out.row(
                [
                    (rel.start[1], True),
                    (rel.end[1], True),
                    *(
                        (rel.properties.get(name), kind == "string")
                        for name, kind in columns.items()
                    ),
                    (rel_type, False),
                ]
            )
        out.close()
        rel_paths.append(path)
    return ImportFiles(
        tuple(node_paths), tuple(rel_paths), len(graph.nodes), len(graph.relationships)
    )


def importer_arguments(files: ImportFiles, *, max_off_heap: str, report: Path) -> list[str]:
    """The options of ``neo4j-admin database import full`` for ``files``."""
    return [
        "--overwrite-destination=true",
        "--id-type=string",
        "--multiline-fields=true",
        "--bad-tolerance=0",
        f"--max-off-heap-memory={max_off_heap}",
        f"--report-file={report}",
        *(f"--nodes={path}" for path in files.nodes),
        *(f"--relationships={path}" for path in files.relationships),
    ]
