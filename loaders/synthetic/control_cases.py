"""Planted control cases that a "one owner above 50%" rule gets wrong.

Planted at every scale, on companies created for them, after the groups, joint
ventures and ownership cycles exist (:func:`plant_control_cases`):

- **Sister subsidiary**: a group's top company wholly owns two sister companies,
  which hold 50% each of a third. Business meaning: the three are the group's
  subsidiaries (the parent consolidates them).
- **Joint ventures**: the 50/50 ventures of two person-controlled groups (planted
  by ``build_joint_ventures``), and one venture controlled through two control
  links, one from a member of each of two other groups, with a wholly owned
  subsidiary. Business meaning: each venture (and its subsidiary) is controlled
  jointly by both groups' controllers and belongs to both groups, so its exposure
  counts in both.
- **Control cycle**: under one group's top company, company A holds 60% of B while
  B holds 30% of A and has an agreement to control it; the top company controls A
  by regulator filing. Business meaning: A and B control each other, and both are
  in the top company's group.

The truth (:func:`control_case_truth`) says what each case is, in ids.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .model import Bank, ControlLink, Owner

if TYPE_CHECKING:
    from .structure import StructureBuilder

FULL: int = 10_000  # basis points


def _new_member(builder: StructureBuilder, group: int, *, customer: bool) -> int:
    """A new company in ``group`` (an index into ``bank.groups``), near its top company."""
    bank = builder.bank
    top = bank.companies[bank.groups[group].top]
    region = top.region if top.region in builder.offices_by_city else builder.customer_city()
    index = builder.add_company(
        is_customer=customer,
        industry=builder.random_industry(),
        region=region,
        role="group",
        segment=builder.rng.choice(("core", "growth", "basic")),
    )
    planted = bank.groups[group]
    planted.members.append(index)
    bank.controllers[index] = planted.controller
    return index


def _plant_sister_subsidiary(builder: StructureBuilder, group: int) -> tuple[int, list[int]]:
    top = builder.bank.groups[group].top
    sisters = [_new_member(builder, group, customer=False) for _ in range(2)]
    subsidiary = _new_member(builder, group, customer=True)
    for sister in sisters:
        builder.hold(Owner("company", top), sister, FULL)
        builder.hold(Owner("company", sister), subsidiary, FULL // 2)
    return subsidiary, sisters


def _plant_control_cycle(builder: StructureBuilder, group: int) -> list[int]:
    bank = builder.bank
    top = bank.groups[group].top
    first = _new_member(builder, group, customer=True)
    second = _new_member(builder, group, customer=builder.rng.random() < 0.5)
    builder.hold(Owner("company", first), second, 6_000)
    builder.hold(Owner("person", builder.new_person()), second, 4_000)
    builder.hold(Owner("company", second), first, 3_000)
    builder.hold(Owner("company", top), first, 2_000)
    builder.hold(Owner("person", builder.new_person()), first, 2_500)
    builder.hold(Owner("person", builder.new_person()), first, 2_500)
    bank.control_links.append(ControlLink(Owner("company", top), first, "regulator_filing"))
    bank.control_links.append(ControlLink(Owner("company", second), first, "agreement"))
    return [first, second]


def _joint(bank: Bank, groups: list[int], company: int) -> None:
    """Record ``company`` as jointly controlled by the controllers of ``groups``."""
    owners = []
    for number in groups:
        planted = bank.groups[number]
        if company not in planted.members:
            planted.members.append(company)
        owners.append(planted.controller)
    bank.controllers.pop(company, None)
    bank.control.joint[company] = owners


def _group_of(builder: StructureBuilder, company: int) -> int:
    return next(n for n, g in enumerate(builder.bank.groups) if company in g.members)


def plant_control_cases(builder: StructureBuilder) -> None:
    """Plant the cases of the module docstring and record them in ``bank.control``."""
    bank, rng = builder.bank, builder.rng
    person_groups = [n for n, g in enumerate(bank.groups) if g.controller.kind == "person"]
    # The 50/50 ventures of build_joint_ventures: jointly controlled by both groups.
    for venture in bank.joint_ventures:
        holders = [s.owner.index for s in bank.shareholdings if s.company == venture]
        _joint(bank, sorted({_group_of(builder, h) for h in holders}), venture)
    sister_group, cycle_group = rng.sample(range(len(bank.groups)), 2)
    subsidiary, sisters = _plant_sister_subsidiary(builder, sister_group)
    bank.control.sister_subsidiaries.append((subsidiary, sisters))
    bank.control.cycles.append(_plant_control_cycle(builder, cycle_group))
    first, second = sorted(rng.sample(person_groups, 2))
    venture = builder.add_company(
        is_customer=True,
        industry=builder.random_industry(),
        region=builder.customer_city(),
        role="joint_venture",
        segment="core",
    )
    subsidiary = builder.add_company(
        is_customer=rng.random() < 0.5,
        industry=builder.random_industry(),
        region=builder.customer_city(),
        role="joint_venture",
    )
    for number in (first, second):
        sole = [m for m in bank.groups[number].members if m not in bank.control.joint]
        member = rng.choice(sole)
        bank.control_links.append(ControlLink(Owner("company", member), venture, "agreement"))
    builder.hold(Owner("person", builder.new_person()), venture, 4_000)
    builder.hold(Owner("company", venture), subsidiary, FULL)
    for company in (venture, subsidiary):
        _joint(bank, [first, second], company)
    bank.control.link_ventures.append(venture)


def control_case_truth(bank: Bank, public: Callable[[str, int], str]) -> dict[str, Any]:
    """The planted cases in ids (``public(kind, index)`` gives an owner's id)."""
    companies = bank.companies
    control = bank.control

    def cid(index: int) -> str:
        return companies[index].company_id

    def controller_of(index: int) -> str:
        owner = bank.controllers[index]
        return public(owner.kind, owner.index)

    joint = []
    for company, owners in sorted(control.joint.items(), key=lambda item: cid(item[0])):
        ids = sorted(public(o.kind, o.index) for o in owners)
        joint.append(
            {
                "company": cid(company),
                "controllers": ids,
                # Equal stakes or links on both sides: the smaller group id is primary.
                "primary_group": f"GRP-{ids[0]}",
            }
        )
    return {
        "joint_control": joint,
        "link_joint_ventures": sorted(cid(v) for v in control.link_ventures),
        "control_cycles": sorted(
            (
                {
                    "members": sorted(cid(m) for m in members),
                    "controller": controller_of(members[0]),
                }
                for members in control.cycles
            ),
            key=lambda c: c["members"],
        ),
        "sister_subsidiaries": sorted(
            (
                {
                    "company": cid(subsidiary),
                    "sisters": sorted(cid(s) for s in sisters),
                    "controller": controller_of(subsidiary),
                }
                for subsidiary, sisters in control.sister_subsidiaries
            ),
            key=lambda c: c["company"],
        ),
    }
