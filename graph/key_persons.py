"""The 360's key persons: who runs the customer, where else they sit, and their family.

One section of the customer 360 (:mod:`graph.customer_view` reads it in the 360's
transaction). For each key person of the customer (法定代表人, directors, supervisors,
executives, the financial controller), ended roles included and marked:

- the other companies the person sits at. A company booked outside the caller's
  subtree is the anonymous placeholder of :mod:`graph.scoping` (no id, no name, and
  neither role nor dates: a placeholder tells only that there is another seat);
- the person's close relatives who are key persons of *other companies the caller may
  see*, with those companies. A relative who sits only at companies booked elsewhere
  (or nowhere) is left out whole: a person is visible only through a company the
  caller may see, and the customer's key person alone does not make a relative so.

Roles and family relations are codes of :class:`core.contacts.KeyPersonRole` and
:class:`core.contacts.FamilyRelation`, named in the caller's language.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any, Final, LiteralString

from core.contacts import FamilyRelation, KeyPersonRole
from core.formatting import Language
from core.i18n import pgettext

from .branches import BranchScope
from .database import Reader
from .models import KeyPersonCompany, KeyPersonOut, KeyPersonRelative
from .scoping import Anonymiser

READ_KEY_PERSONS: Final[LiteralString] = """
MATCH (c:Company {company_id: $id})<-[r:KEY_PERSON_OF]-(p:Person)
RETURN p.person_id AS person_id, p.name AS name, r.role AS role, r.since AS since,
       r.until AS until
"""
# The other seats of the customer's key persons (with each company's booking, for scoping).
READ_OTHER_SEATS: Final[LiteralString] = """
UNWIND $persons AS person_id
MATCH (p:Person {person_id: person_id})-[r:KEY_PERSON_OF]->(o:Company)
WHERE o.company_id <> $id
RETURN person_id, o.company_id AS company_id, o.name AS name,
       coalesce(o.is_customer, false) OR o:Customer AS is_customer, o.branch_id AS branch_id,
       r.role AS role, r.since AS since, r.until AS until
"""
# Relatives of the customer's key persons and the companies (other than the customer)
# where they are key persons. ``forward``: the tie is stored from the key person.
READ_RELATIVES: Final[LiteralString] = """
UNWIND $persons AS person_id
MATCH (p:Person {person_id: person_id})-[f:FAMILY_OF]-(q:Person)
WHERE q.person_id <> person_id
MATCH (q)-[r:KEY_PERSON_OF]->(o:Company)
WHERE o.company_id <> $id
RETURN person_id, q.person_id AS relative_id, q.name AS relative_name,
       f.relation AS relation, startNode(f) = p AS forward,
       o.company_id AS company_id, o.name AS name,
       coalesce(o.is_customer, false) OR o:Customer AS is_customer, o.branch_id AS branch_id,
       r.role AS role, r.since AS since, r.until AS until
"""

#: What the relative is to the key person, when the tie is stored from the key person:
#: ``(key person)-[:FAMILY_OF {relation: parent}]->(relative)`` makes the relative a child.
_INVERSE: Final[dict[FamilyRelation, FamilyRelation]] = {
    FamilyRelation.PARENT: FamilyRelation.CHILD,
    FamilyRelation.CHILD: FamilyRelation.PARENT,
}


def relative_is(relation: str, *, stored_from_key_person: bool) -> FamilyRelation:
    """What the relative is to the key person, from the stored tie and its direction.

    ``person_relations`` reads "``person_id`` is the ``relation`` of
    ``related_person_id``" (a parent of, a child of); spouses, siblings and other family
    read the same both ways.

    Examples
    --------
    >>> relative_is("parent", stored_from_key_person=True).value   # key person is the parent
    'child'
    >>> relative_is("parent", stored_from_key_person=False).value  # the relative is
    'parent'
    >>> relative_is("spouse", stored_from_key_person=True).value
    'spouse'
    """
    code = FamilyRelation(relation)
    return _INVERSE.get(code, code) if stored_from_key_person else code


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return str(value.iso_format()) if hasattr(value, "iso_format") else str(value)


def _role_order(role: str) -> int:
    codes = [r.value for r in KeyPersonRole]
    return codes.index(role) if role in codes else len(codes)


@dataclass(frozen=True)
class _Seat:
    company_id: str
    name: str | None
    role: str
    since: str | None
    until: str | None


def _company(anon: Anonymiser, seat: _Seat, language: Language) -> KeyPersonCompany:
    ref = anon.ref(seat.company_id, seat.name)
    if not ref.visible:
        return KeyPersonCompany(
            id=None, key=ref.key, name=ref.name, is_customer=ref.is_customer, visible=False
        )
    return KeyPersonCompany(
        id=ref.id,
        key=ref.key,
        name=ref.name,
        is_customer=ref.is_customer,
        visible=True,
        role=KeyPersonRole(seat.role),
        role_name=pgettext(language, "key_person_role", seat.role),
        since=seat.since,
        until=seat.until,
    )


def _is_current(until: str | None, today: date) -> bool:
    return until is None or until >= today.isoformat()


def read_key_persons(
    db: Reader,
    scope: BranchScope,
    company_id: str,
    *,
    today: date,
    language: Language = "zh",
) -> list[KeyPersonOut]:
    """The key persons of ``company_id`` as the caller may see them (see the module).

    The caller has checked that the customer itself is in scope (the 360 does, first).
    Current roles come first, in the code list's order (legal representative first),
    then ended ones; a role is current on ``today`` when it has no end or ends later.
    """
    anon = Anonymiser(scope, language=language)
    rows = db.read(READ_KEY_PERSONS, {"id": company_id})
    persons = sorted({str(r["person_id"]) for r in rows})
    if not persons:
        return []
    params = {"id": company_id, "persons": persons}
    seats: dict[str, list[_Seat]] = defaultdict(list)
    for r in db.read(READ_OTHER_SEATS, params):
        anon.learn(
            str(r["company_id"]),
            name=r["name"],
            is_customer=bool(r["is_customer"]),
            branch_id=r["branch_id"],
        )
        seats[str(r["person_id"])].append(
            _Seat(
                str(r["company_id"]), r["name"], str(r["role"]), _iso(r["since"]), _iso(r["until"])
            )
        )
    relatives: dict[str, dict[str, tuple[str, FamilyRelation, list[_Seat]]]] = defaultdict(dict)
    for r in db.read(READ_RELATIVES, params):
        anon.learn(
            str(r["company_id"]),
            name=r["name"],
            is_customer=bool(r["is_customer"]),
            branch_id=r["branch_id"],
        )
        if not anon.visible(str(r["company_id"])):
            continue  # a relative is shown only through companies the caller may see
        relative_id = str(r["relative_id"])
        entry = relatives[str(r["person_id"])].setdefault(
            relative_id,
            (
                str(r["relative_name"] or ""),
                relative_is(str(r["relation"]), stored_from_key_person=bool(r["forward"])),
                [],
            ),
        )
        entry[2].append(
            _Seat(
                str(r["company_id"]), r["name"], str(r["role"]), _iso(r["since"]), _iso(r["until"])
            )
        )

    def seat_order(seat: _Seat) -> tuple[bool, int, str]:
        return (not _is_current(seat.until, today), _role_order(seat.role), seat.company_id)

    out: list[KeyPersonOut] = []
    for r in rows:
        person_id, role, until = str(r["person_id"]), str(r["role"]), _iso(r["until"])
        family = [
            KeyPersonRelative(
                person_id=relative_id,
                name=name,
                relation=relation,
                relation_name=pgettext(language, "family_relation", relation.value),
                companies=[
                    _company(anon, seat, language)
                    for seat in sorted(dict.fromkeys(found), key=seat_order)
                ],
            )
            for relative_id, (name, relation, found) in sorted(relatives[person_id].items())
        ]
        out.append(
            KeyPersonOut(
                person_id=person_id,
                name=str(r["name"] or ""),
                role=KeyPersonRole(role),
                role_name=pgettext(language, "key_person_role", role),
                since=_iso(r["since"]),
                until=until,
                current=_is_current(until, today),
                other_companies=[
                    _company(anon, seat, language)
                    for seat in sorted(seats.get(person_id, []), key=seat_order)
                ],
                family=family,
            )
        )
    out.sort(key=lambda p: (not p.current, _role_order(p.role.value), p.name, p.person_id))
    return out
