"""The one rule for scoped data: a company booked outside the caller's subtree is a placeholder.

:mod:`graph.branches` decides which *entry points* a caller may open (a customer,
an event, a group). This module decides what the caller may see of every *other*
company those views mention: guarantors, borrowers, controllers, group and circle
members, supply-chain tiers, linked customers, contagion paths, map nodes.

The rule: a company that is booked at a branch (a customer, or any company with a
booking branch) and whose branch lies outside the caller's subtree appears only as
an anonymous placeholder, :data:`HIDDEN_COMPANY` in the caller's language ("另一分支
机构的客户"), with no id, no name and no amount. Companies booked nowhere
(non-customer counterparties) and persons are visible as they are.

Where a view needs a key to draw structure (an edge of a map, a parent link, a
step of a path) a placeholder gets a *response-local* reference, ``hidden-1``,
``hidden-2``...: numbered in the order the view first mentions them, the same
within one response and meaningless outside it (it resolves nowhere).

Use :class:`Anonymiser` for every id, name, amount and free text a read function
returns, and :func:`visible_predicate` where Cypher filters on visibility (e.g. a
filter by a customer id must behave exactly like a filter by an unknown id).

Examples
--------
>>> from graph.branches import BranchTree
>>> tree = BranchTree.from_parents({"HO": None, "BJ": "HO", "SH": "HO"})
>>> anon = Anonymiser(BranchScope.for_home_branch(tree, "BJ"), language="en")
>>> anon.learn("C1", name="北京甲公司", is_customer=True, branch_id="BJ")
>>> anon.learn("C2", name="上海乙公司", is_customer=True, branch_id="SH")
>>> anon.learn("C3", name="某供应商", is_customer=False, branch_id=None)
>>> [anon.key(c) for c in ("C1", "C2", "C3", "C2")]
['C1', 'hidden-1', 'C3', 'hidden-1']
>>> anon.ref("C2")
CompanyRef(id=None, name='A customer of another branch', is_customer=True, visible=False, \
key='hidden-1')
>>> anon.scrub("上海乙公司 (C2) guarantees 北京甲公司")
'A customer of another branch (A customer of another branch) guarantees 北京甲公司'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, LiteralString

from core.formatting import Language
from core.i18n import DEFAULT_LANGUAGE, gettext

from .branches import BranchScope
from .database import Reader

#: Prefix of a placeholder's response-local reference.
HIDDEN_KEY_PREFIX: Final = "hidden-"

_IDENTIFIER: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _(message: str) -> str:
    """Mark ``message`` for extraction (pybabel); translated where it is shown."""
    return message


#: The placeholder's name (a msgid of the message catalogue, extracted from here).
HIDDEN_COMPANY: Final = _("A customer of another branch")


def hidden_company_name(language: Language = DEFAULT_LANGUAGE) -> str:
    """The placeholder's name in ``language``: 另一分支机构的客户 in Chinese."""
    return gettext(language, HIDDEN_COMPANY)


def is_visible(scope: BranchScope, *, is_customer: bool, branch_id: str | None) -> bool:
    """Whether the caller may see a company: booked nowhere, or booked in their subtree.

    Examples
    --------
    >>> from graph.branches import BranchTree
    >>> scope = BranchScope.for_home_branch(BranchTree.from_parents({"HO": None, "A": "HO",
    ...     "B": "HO"}), "A")
    >>> [is_visible(scope, is_customer=c, branch_id=b)
    ...  for c, b in ((True, "A"), (True, "B"), (False, None), (False, "B"), (True, None))]
    [True, False, True, False, False]
    """
    booked = is_customer or branch_id is not None
    return not booked or scope.allows(branch_id)


def visible_predicate(alias: LiteralString) -> LiteralString:
    """Cypher for :func:`is_visible` of company ``alias`` (pass :meth:`BranchScope.parameters`).

    Examples
    --------
    >>> visible_predicate("o")  # doctest: +NORMALIZE_WHITESPACE
    '(NOT (coalesce(o.is_customer, false) OR o:Customer OR o.branch_id IS NOT NULL)
      OR $scope_all OR o.branch_id IN $scope_branch_ids)'
    """
    if not _IDENTIFIER.match(alias):
        raise ValueError(f"not a Cypher identifier: {alias!r}")
    return (
        "(NOT (coalesce("
        + alias
        + ".is_customer, false) OR "
        + alias
        + ":Customer OR "
        + alias
        + ".branch_id IS NOT NULL) "
        "OR $scope_all OR " + alias + ".branch_id IN $scope_branch_ids)"
    )


READ_COMPANIES: Final[LiteralString] = (
    "UNWIND $ids AS id MATCH (c:Company {company_id: id}) "
    "RETURN c.company_id AS id, c.name AS name, "
    "coalesce(c.is_customer, false) OR c:Customer AS is_customer, c.branch_id AS branch_id"
)


@dataclass(frozen=True)
class CompanyRef:
    """A company as the caller may see it.

    ``id`` is ``None`` and ``name`` the placeholder when it is not visible; ``key``
    is its id, or its response-local reference (``hidden-N``) when hidden.
    """

    id: str | None
    name: str
    is_customer: bool
    visible: bool
    key: str


@dataclass
class _Known:
    name: str
    is_customer: bool
    visible: bool


class Anonymiser:
    """Applies the rule to one response: ids, names, amounts and free text.

    Learn the companies a view mentions (:meth:`learn`, :meth:`learn_rows` or
    :meth:`load`), then pass every id through :meth:`key` or :meth:`ref`, every
    amount through :meth:`amount` and every free text through :meth:`scrub`. An id it
    never learnt is treated as visible only if it is not a company id at all (a
    person): :meth:`load` learns every company in the store it is asked about.
    """

    def __init__(self, scope: BranchScope, *, language: Language = DEFAULT_LANGUAGE) -> None:
        self.scope = scope
        self.language = language
        self.placeholder = hidden_company_name(language)
        self._known: dict[str, _Known] = {}
        self._aliases: dict[str, str] = {}

    # --- learning -------------------------------------------------------------------------
    def learn(
        self, company_id: str, *, name: str | None, is_customer: bool, branch_id: str | None
    ) -> None:
        """Record one company and whether the caller may see it."""
        visible = is_visible(self.scope, is_customer=bool(is_customer), branch_id=branch_id)
        self._known[str(company_id)] = _Known(str(name or ""), bool(is_customer), visible)

    def learn_rows(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Learn rows with ``id``, ``name``, ``is_customer`` and ``branch_id``."""
        for r in rows:
            self.learn(
                str(r["id"]),
                name=r.get("name"),
                is_customer=bool(r.get("is_customer")),
                branch_id=r.get("branch_id"),
            )

    def load(self, db: Reader, ids: Iterable[str]) -> Anonymiser:
        """Learn every company among ``ids`` from the store (one query); returns ``self``.

        ``db`` is a :class:`~graph.database.Database` or anything with its ``read``.
        """
        wanted = sorted({str(i) for i in ids if i is not None} - set(self._known))
        if wanted:
            self.learn_rows(db.read(READ_COMPANIES, {"ids": wanted}))
        return self

    # --- applying -------------------------------------------------------------------------
    def visible(self, company_id: str | None) -> bool:
        """Whether ``company_id`` may be shown (persons and unknown ids: yes)."""
        if company_id is None:
            return True
        known = self._known.get(str(company_id))
        return known is None or known.visible

    def key(self, company_id: str) -> str:
        """The id itself, or the response-local reference of a hidden company."""
        company_id = str(company_id)
        if self.visible(company_id):
            return company_id
        alias = self._aliases.get(company_id)
        if alias is None:
            alias = f"{HIDDEN_KEY_PREFIX}{len(self._aliases) + 1}"
            self._aliases[company_id] = alias
        return alias

    def keys(self, company_ids: Iterable[str]) -> list[str]:
        """:meth:`key` of each id, in order."""
        return [self.key(c) for c in company_ids]

    def id(self, company_id: str | None) -> str | None:
        """The id when visible, else ``None``."""
        if company_id is None:
            return None
        return str(company_id) if self.visible(company_id) else None

    def name(self, company_id: str | None, name: str | None = None) -> str:
        """The company's name (``name`` or what was learnt), or the placeholder."""
        if company_id is not None and not self.visible(company_id):
            return self.placeholder
        known = self._known.get(str(company_id)) if company_id is not None else None
        return str(name if name is not None else known.name if known else company_id or "")

    def ref(self, company_id: str, name: str | None = None) -> CompanyRef:
        """The company as a :class:`CompanyRef`."""
        known = self._known.get(str(company_id))
        visible = self.visible(company_id)
        return CompanyRef(
            id=str(company_id) if visible else None,
            name=self.name(company_id, name),
            is_customer=known.is_customer if known else False,
            visible=visible,
            key=self.key(company_id),
        )

    def amount(self, company_id: str | None, value: Any) -> Any:
        """``value`` when ``company_id`` is visible, else ``None`` (no amount of a placeholder)."""
        return value if self.visible(company_id) else None

    def scrub(self, text: str | None) -> str | None:
        """Free text with every learnt hidden company's id and name replaced by the placeholder."""
        if not text:
            return text
        hidden = [(cid, k.name) for cid, k in self._known.items() if not k.visible]
        # Longest first, so that a name containing another is replaced whole.
        for needle in sorted(
            {n for cid, name in hidden for n in (cid, name) if n}, key=len, reverse=True
        ):
            text = text.replace(needle, self.placeholder)
        return text

    @property
    def hidden_count(self) -> int:
        """How many learnt companies are hidden."""
        return sum(1 for k in self._known.values() if not k.visible)


def anonymiser_for(
    db: Reader, scope: BranchScope, ids: Iterable[str], *, language: Language = DEFAULT_LANGUAGE
) -> Anonymiser:
    """An :class:`Anonymiser` that knows every company among ``ids``."""
    return Anonymiser(scope, language=language).load(db, ids)
