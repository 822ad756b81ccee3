from __future__ import annotations

from pathlib import Path

from loaders.contract import CONTRACT, RejectReason

DOC = (Path(__file__).resolve().parents[2] / "docs" / "data-contract.md").read_text(
    encoding="utf-8"
)


def test_doc_names_every_file_and_column() -> None:
    for name, spec in CONTRACT.items():
        assert f"### `{name}`" in DOC, name
        section = DOC.split(f"### `{name}`", 1)[1].split("### ", 1)[0]
        for column in spec.columns:
            assert f"| `{column.name}` | {column.kind.value} |" in section, (name, column.name)


def test_doc_lists_every_reject_reason() -> None:
    for reason in RejectReason:
        assert f"`{reason.value}`" in DOC
