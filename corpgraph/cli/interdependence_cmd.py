"""``corpgraph interdependence``: the economic dependencies ``corpgraph compute`` stored."""

from __future__ import annotations

from fractions import Fraction
from typing import Annotated

import typer
from rich.table import Table

from algorithms.interdependence import percent_text
from core.errors import NotFoundError
from core.formatting import Language
from core.messages import render_sentences
from core.money import from_minor_units
from graph.branches import BranchScope
from services.interdependence import (
    CompanyRef,
    RuleSnapshot,
    StoredDependency,
    company_interdependence,
    group_interdependence,
    summary,
)

from .common import console, open_database

interdependence_app = typer.Typer(
    help="Economic interdependence (经济依存): who depends on whom, beyond control."
)

#: The CLI is an operator's tool and sees every branch.
_ALL_BRANCHES = BranchScope("HO", None)


def _name(ref: CompanyRef) -> str:
    return f"{ref.id} {ref.name or ''}".strip() if ref.id else "(another branch)"


def _rule_line(rule: RuleSnapshot | None) -> str:
    if rule is None:
        return "no rule stored: run `corpgraph compute` first"
    window = f"{rule.window_start} to {rule.window_end}" if rule.window_start else "no flows"
    return (
        f"rule: at least {percent_text(Fraction(rule.share))} of receipts or expenditures "
        f"({rule.currency}), {rule.window_months}-month window ({window}), in at least "
        f"{rule.min_months} months"
    )


def _table(title: str, rows: tuple[StoredDependency, ...]) -> Table:
    table = Table(
        "dependent",
        "counterparty",
        "direction",
        "basis",
        "share",
        "months",
        "evidence",
        title=title,
    )
    for d in rows:
        months = f"{d.months_above}/{d.months_observed}" if d.months_above is not None else "-"
        amounts = (
            f"{from_minor_units(d.counterparty_minor, d.currency):,} of "
            f"{from_minor_units(d.total_minor, d.currency):,} {d.currency}"
            if d.counterparty_minor is not None and d.total_minor is not None
            else ""
        )
        table.add_row(
            _name(d.dependent),
            _name(d.counterparty),
            d.direction,
            d.basis,
            percent_text(Fraction(d.share)),
            months,
            amounts,
        )
    return table


@interdependence_app.command("summary")
def interdependence_summary(
    top: Annotated[int, typer.Option(min=0, max=500, help="Strongest dependencies to list.")] = 10,
) -> None:
    """Count the stored dependencies by direction and basis, and list the strongest."""
    with open_database() as db:
        found = summary(db, _ALL_BRANCHES, top=top)
    console.print(_rule_line(found.rule))
    counts = Table("direction", "basis", "dependencies", "dependents", "on customers")
    for kind in found.by_kind:
        counts.add_row(
            kind.direction,
            kind.basis,
            str(kind.dependencies),
            str(kind.dependents),
            str(kind.on_customers),
        )
    console.print(counts)
    console.print(
        f"connected pairs: {found.pairs} (both customers: {found.customer_pairs})", highlight=False
    )
    if found.top:
        console.print(_table(f"the {len(found.top)} strongest", found.top))


@interdependence_app.command("show")
def interdependence_show(
    company_id: Annotated[str, typer.Argument(help="Company id, e.g. C0000123.")],
    lang: Annotated[
        Language, typer.Option(help="Language of the explanations: zh (default) or en.")
    ] = "zh",
) -> None:
    """A company's dependencies: on whom it depends and who depends on it, with evidence."""
    with open_database() as db:
        found = company_interdependence(db, company_id, _ALL_BRANCHES)
    if found is None:
        raise NotFoundError(f"company {company_id} not found")
    console.print(f"[bold]{_name(found.company)}[/bold] · {_rule_line(found.rule)}")
    console.print(_table("depends on", found.depends_on))
    console.print(_table("depended on by", found.depended_on_by))
    for d in found.depends_on + found.depended_on_by:
        if d.explanation is not None:
            console.print(f"· {render_sentences(d.explanation, lang)}", highlight=False)


@interdependence_app.command("group")
def interdependence_group(
    group_id: Annotated[str, typer.Argument(help="Group id, e.g. GRP-P0000079.")],
) -> None:
    """A group's economic connections beyond control, and the exposure they add (apart)."""
    with open_database() as db:
        found = group_interdependence(db, group_id, _ALL_BRANCHES)
    if found is None:
        raise NotFoundError(f"group {group_id} not found (run `corpgraph compute` first?)")
    console.print(f"[bold]{group_id}[/bold] · {_rule_line(found.rule)}")
    console.print(
        _table(
            f"{len(found.connections)} connections with {found.connected_companies} companies "
            f"outside the group ({found.connected_customers} customers)",
            tuple(c.dependency for c in found.connections),
        )
    )
    exposure = Table(
        "currency", "group (control)", "connected, apart", "group of connected counterparties"
    )
    group = {e.currency: e.outstanding_minor for e in found.group_exposure}
    connected = {e.currency: e.outstanding_minor for e in found.connected_exposure}
    for e in found.combined_exposure:
        exposure.add_row(
            e.currency,
            f"{from_minor_units(group.get(e.currency, 0), e.currency):,}",
            f"{from_minor_units(connected.get(e.currency, 0), e.currency):,}",
            f"{from_minor_units(e.outstanding_minor, e.currency):,}",
        )
    exposure.title = "outstanding"
    console.print(exposure)
