"""``corpgraph groups``: look at the groups ``corpgraph compute`` stored."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from core.errors import NotFoundError
from core.messages import render
from core.money import from_minor_units
from graph.branches import BranchScope
from services.group_risk import (
    CircleAmount,
    CircleHiddenRisk,
    StoredGroup,
    StoredMember,
    get_group,
    list_chains,
    list_circles,
    list_groups,
)
from services.related_review import GroupRelatedParties, group_related_parties

from .common import console, open_database

groups_app = typer.Typer(help="Groups (集团客户): controller, members and exposure.")

#: The CLI is an operator's tool and sees every branch.
_ALL_BRANCHES = BranchScope("HO", None)


def _flags(group: StoredGroup) -> str:
    flags = []
    if group.over_concentration:
        flags.append("[bold red]over concentration threshold[/bold red]")
    if group.control_cycles:
        flags.append(f"[bold red]control cycle ×{len(group.control_cycles)}[/bold red]")
    if group.ownership_cycles:
        flags.append(f"[yellow]cross-shareholding ×{len(group.ownership_cycles)}[/yellow]")
    if group.joint_members:
        flags.append(f"[magenta]{group.joint_members} jointly controlled[/magenta]")
    return "".join(f" · {f}" for f in flags)


def _controller(group: StoredGroup) -> str:
    if group.controller_type == "cycle":
        return f"control cycle {group.controller_id} ({', '.join(group.controller_members)})"
    return f"{group.controller_id} {escape(group.controller_name)} ({group.controller_type})"


@groups_app.command("list")
def groups_list(
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="Groups to show.")] = 50,
) -> None:
    """List the groups, largest CNY outstanding first, with their flags."""
    with open_database() as db:
        total, groups = list_groups(db, _ALL_BRANCHES, limit=limit, offset=0)
    table = Table(
        "rank", "group", "controller", "members", "CNY outstanding", "flags", title="groups"
    )
    for g in groups:
        cny = sum(e.outstanding_minor for e in g.exposures if e.currency == "CNY")
        table.add_row(
            str(g.rank),
            g.group_id,
            _controller(g),
            str(g.size),
            f"{from_minor_units(cny, 'CNY'):,}",
            _flags(g).removeprefix(" · "),
        )
    console.print(table)
    shown = f" (first {len(groups)} shown)" if total > limit else ""
    console.print(f"{total} group{'' if total == 1 else 's'}{shown}")


def _member_label(m: StoredMember) -> str:
    edge = f"{m.share_pct:g}%" if m.share_pct is not None else str(m.basis)
    out = ", ".join(
        f"{from_minor_units(e.outstanding_minor, e.currency):,} {e.currency}"
        for e in m.facilities or ()
    )
    joint = ""
    if m.status == "joint":
        joint = (
            f" · [magenta]jointly controlled by {', '.join(m.controllers)}"
            f"{'' if m.primary else ' (not its primary group)'}[/magenta]"
        )
    return (
        f"{m.id} {escape(m.name)} · {m.role} · depth {m.depth} · {edge}"
        + joint
        + (" · customer" if m.is_customer else "")
        + (f" · outstanding {out}" if out else "")
    )


@groups_app.command("show")
def groups_show(
    group_id: Annotated[str, typer.Argument(help="Group id, e.g. GRP-P0000079.")],
) -> None:
    """Print a group: controller, flags, control tree with roles and depths, exposure."""
    with open_database() as db:
        group = get_group(db, group_id, _ALL_BRANCHES)
        related = group_related_parties(db, group_id, _ALL_BRANCHES)
    if group is None:
        raise NotFoundError(f"group {group_id} not found (run `corpgraph compute` first?)")
    console.print(
        f"[bold]{group.group_id}[/bold] · controller {_controller(group)} · "
        f"{group.size} members · rank {group.rank}{_flags(group)}"
    )
    for cycle in group.control_cycles:
        console.print(f"[bold red]control cycle:[/bold red] {' ⇄ '.join(cycle)}")
    for ring in group.ownership_cycles:
        console.print(f"[yellow]cross-shareholding cycle:[/yellow] {' ⇄ '.join(ring)}")
    totals = Table("currency", "limit", "outstanding", title="exposure (all members)")
    for e in group.exposures:
        totals.add_row(
            e.currency,
            f"{from_minor_units(e.limit_minor, e.currency):,}",
            f"{from_minor_units(e.outstanding_minor, e.currency):,}",
        )
    console.print(totals)
    tree = Tree(f"[bold]{group.controller_id}[/bold] {escape(group.controller_name)}")
    nodes = {group.controller_id: tree}
    for m in sorted(group.members, key=lambda r: (r.depth, r.id)):
        if m.id == group.controller_id:
            tree.label = f"[bold]{m.id}[/bold] {escape(m.name)} · {m.role}"
            continue
        parent = nodes.get(m.parent_id or "", tree)
        nodes[m.id] = parent.add(_member_label(m))
    console.print(tree)
    if related is not None:
        _print_connected(related)


def _print_connected(related: GroupRelatedParties) -> None:
    """Confirmed related parties (the third kind of connection) and the connected exposure."""
    links = Table(
        "member",
        "confirmed related party",
        "evidence",
        "decided",
        title="confirmed related parties",
    )
    for c in related.connections:
        d = c.decision
        links.add_row(
            f"{c.member.id} {escape(c.member.name or '')}",
            f"{c.related.id} {escape(c.related.name or '')}",
            ", ".join(f"{kind} ×{count}" for kind, count in c.strength.items()),
            escape(f"{d.user_name or d.user_id} {d.decided_at:%Y-%m-%d}: {d.note}"),
        )
    console.print(links)
    exposure = Table(
        "currency",
        "group (control)",
        "confirmed related, apart",
        "group of connected counterparties",
        title=(
            f"outstanding · {related.connected_companies} connected companies outside the group "
            "(economic interdependence or confirmed related party), each counted once"
        ),
    )
    group = {e.currency: e.outstanding_minor for e in related.group_exposure}
    apart = {e.currency: e.outstanding_minor for e in related.related_exposure}
    for e in related.connected_exposure:
        exposure.add_row(
            e.currency,
            f"{from_minor_units(group.get(e.currency, 0), e.currency):,}",
            f"{from_minor_units(apart.get(e.currency, 0), e.currency):,}",
            f"{from_minor_units(e.outstanding_minor, e.currency):,}",
        )
    console.print(exposure)


def _guaranteed(amounts: tuple[CircleAmount, ...]) -> str:
    return ", ".join(
        f"{from_minor_units(a.amount_minor, a.currency):,} {a.currency}" for a in amounts
    )


def _risk(risk: CircleHiddenRisk | None) -> str:
    return f"[bold red]{escape(render(risk.explanation, 'en'))}[/bold red]" if risk else ""


@groups_app.command("circles")
def groups_circles(
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="Circles to show.")] = 50,
) -> None:
    """List the guarantee circles, largest first, flagging those run by one family, one
    person or sharing contacts (members that are suspected related parties)."""
    with open_database() as db:
        total, circles = list_circles(db, _ALL_BRANCHES, limit=limit, offset=0, language="en")
    table = Table("circle", "members", "guaranteed", "hidden risk", title="guarantee circles")
    for c in circles:
        table.add_row(
            c.circle_id, ", ".join(c.members), _guaranteed(c.amounts), _risk(c.hidden_risk)
        )
    console.print(table)
    shown = f" (first {len(circles)} shown)" if total > limit else ""
    flagged = sum(1 for c in circles if c.hidden_risk)
    console.print(f"{total} circle{'' if total == 1 else 's'}{shown}, {flagged} flagged")


@groups_app.command("chains")
def groups_chains(
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="Chains to show.")] = 50,
) -> None:
    """List the guarantee chains, longest first (guarantor → … → the customer), flagging
    those run by one family, one person or sharing contacts."""
    with open_database() as db:
        total, chains = list_chains(db, _ALL_BRANCHES, limit=limit, offset=0, language="en")
    table = Table("chain", "members", "guaranteed", "hidden risk", title="guarantee chains")
    for c in chains:
        table.add_row(
            c.chain_id, " → ".join(c.members), _guaranteed(c.amounts), _risk(c.hidden_risk)
        )
    console.print(table)
    shown = f" (first {len(chains)} shown)" if total > limit else ""
    flagged = sum(1 for c in chains if c.hidden_risk)
    console.print(f"{total} chain{'' if total == 1 else 's'}{shown}, {flagged} flagged")
