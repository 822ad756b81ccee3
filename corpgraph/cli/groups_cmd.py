"""``corpgraph groups``: look at the groups ``corpgraph compute`` stored."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.tree import Tree

from corpgraph.errors import NotFoundError
from graph.branches import BranchScope
from graph.group_risk import exposures_from, get_group, member_facilities
from loaders.parsing import from_minor_units

from .common import console, open_database

groups_app = typer.Typer(help="Groups (集团客户): controller, members and exposure.")

#: The CLI is an operator's tool and sees every branch.
_ALL_BRANCHES = BranchScope("HO", None)


@groups_app.command("show")
def groups_show(
    group_id: Annotated[str, typer.Argument(help="Group id, e.g. GRP-P0000079.")],
) -> None:
    """Print a group: controller, ownership tree with roles and depths, exposure per currency."""
    with open_database() as db:
        found = get_group(db, group_id, _ALL_BRANCHES)
    if found is None:
        raise NotFoundError(f"group {group_id} not found (run `corpgraph compute` first?)")
    row, members = found
    g = row["g"]
    name = row.get("controller_name") or ""
    flag = " [bold red]over concentration threshold[/bold red]" if g["over_concentration"] else ""
    console.print(
        f"[bold]{g['group_id']}[/bold] · controller {g['controller_id']} {name} "
        f"({g['controller_type']}) · {g['size']} members · rank {g['rank']}{flag}"
    )
    totals = Table("currency", "limit", "outstanding", title="exposure (all members)")
    for e in exposures_from(
        list(g.get("currencies") or []),
        list(g.get("limit_minor") or []),
        list(g.get("outstanding_minor") or []),
    ):
        totals.add_row(
            e.currency,
            f"{from_minor_units(e.limit_minor, e.currency):,}",
            f"{from_minor_units(e.outstanding_minor, e.currency):,}",
        )
    console.print(totals)
    tree = Tree(f"[bold]{g['controller_id']}[/bold] {name}")
    nodes = {g["controller_id"]: tree}
    for m in sorted(members, key=lambda r: (r["depth"], r["id"])):
        if m["id"] == g["controller_id"]:
            tree.label = f"[bold]{m['id']}[/bold] {m['name'] or ''} · {m['role']}"
            continue
        edge = f"{m['share_pct']:g}%" if m["basis"] == "majority" else str(m["basis"])
        out = ", ".join(
            f"{from_minor_units(e.outstanding_minor, e.currency):,} {e.currency}"
            for e in member_facilities(m["facilities"])
        )
        label = (
            f"{m['id']} {m['name'] or ''} · {m['role']} · depth {m['depth']} · {edge}"
            + (" · customer" if m["is_customer"] else "")
            + (f" · outstanding {out}" if out else "")
        )
        parent = nodes.get(m["parent_id"], tree)
        nodes[m["id"]] = parent.add(label)
    console.print(tree)
