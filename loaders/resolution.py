"""Counterparty entity resolution: a payment side known only by name becomes a company.

Order of evidence:

1. a valid USCC that a known company carries;
2. the normalised name (:func:`core.names.name_key`) of exactly one known company;
3. otherwise a new non-customer company with the stable id
   :func:`core.names.counterparty_id` of that normalised name.

A name that matches several known companies is *ambiguous*: it is reported with
its candidates and never merged. An invalid USCC on a side is ignored (the
payment is still real) and the side resolves by name; the resolution says so.

Examples
--------
>>> index = CompanyIndex.build(
...     [("C1", "某某（北京）有限公司", None), ("C2", "某某（上海）有限公司", None)]
... )
>>> index.resolve("某某(北京)", None).company_id, index.resolve("某某(北京)", None).method
('C1', 'name')
>>> index.resolve("新公司有限公司", None).method
'created'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from core.names import counterparty_id, name_key
from core.uscc import validate_uscc

#: ``alias``, ``fuzzy`` and ``accepted`` come from :mod:`loaders.entity_resolution`.
Method = Literal["uscc", "name", "created", "ambiguous", "alias", "fuzzy", "accepted"]


@dataclass(frozen=True, slots=True)  # one per side or company: millions on a large bank
class Resolution:
    """How one (name, USCC) side was resolved."""

    name: str
    uscc: str | None
    company_id: str | None
    method: Method
    name_key: str
    candidates: tuple[str, ...] = ()
    note: str = ""


@dataclass
class CompanyIndex:
    """Known companies by USCC and by normalised name."""

    # Tuples, not sets: nearly every key has one company, and a large bank indexes a
    # million keys (a one-element set costs four times a one-element tuple).
    by_uscc: dict[str, tuple[str, ...]] = field(default_factory=dict)
    by_key: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def build(cls, companies: Iterable[tuple[str, str, str | None]]) -> CompanyIndex:
        """Index ``(company_id, name, uscc)`` triples."""
        index = cls()
        for company_id, name, uscc in companies:
            index.add(company_id, name, uscc)
        return index

    def add(self, company_id: str, name: str, uscc: str | None) -> None:
        _add_to(self.by_key, name_key(name), company_id)
        if uscc:
            _add_to(self.by_uscc, uscc, company_id)

    def resolve(self, name: str, uscc: str | None) -> Resolution:
        """Resolve one side; see the module docstring for the order."""
        key = name_key(name)
        note = ""
        if uscc:
            check = validate_uscc(uscc)
            if check.valid:
                matches = self.by_uscc.get(check.code, ())
                if len(matches) == 1:
                    return Resolution(name, check.code, matches[0], "uscc", key)
                if len(matches) > 1:
                    return Resolution(
                        name,
                        check.code,
                        None,
                        "ambiguous",
                        key,
                        tuple(sorted(matches)),
                        "several companies carry this USCC",
                    )
                uscc = check.code
            else:
                note = f"invalid USCC ignored ({check.reason})"
                uscc = None
        matches = self.by_key.get(key, ())
        if len(matches) == 1:
            return Resolution(name, uscc, matches[0], "name", key, note=note)
        if len(matches) > 1:
            return Resolution(
                name,
                uscc,
                None,
                "ambiguous",
                key,
                tuple(sorted(matches)),
                note or "the normalised name matches several companies",
            )
        return Resolution(name, uscc, counterparty_id(key), "created", key, note=note)


def _add_to(index: dict[str, tuple[str, ...]], key: str, company_id: str) -> None:
    held = index.get(key, ())
    if company_id not in held:
        index[key] = (*held, company_id)
