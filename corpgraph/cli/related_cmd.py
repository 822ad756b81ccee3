"""``corpgraph related``: a customer's related parties, and the related-party review.

``related show`` lists a customer's suspected related parties (not yet reviewed),
and the confirmed and dismissed ones with their decisions. ``related review list``
is the review queue; ``confirm`` and ``dismiss`` record a decision with a note. A
decision applies at once (a confirmed pair joins the group of connected
counterparties; see ``corpgraph groups show``) and holds across reloads and computes.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterable, Mapping
from typing import Annotated, Literal

import typer
from rich.markup import escape
from rich.table import Table

from core.judgements import RelatedVerdict
from graph.branches import BranchScope
from graph.compute_runs import published_runs
from graph.database import Database
from graph.related_parties import StoredRelation, read_related
from graph.related_review import ReviewPage, list_customer_links, list_review, record_decision
from graph.scoping import Anonymiser

from .common import console, open_database

related_app = typer.Typer(help="Related parties (疑似关联) of a customer, and their review.")
review_app = typer.Typer(
    help="The related-party review: the queue, confirm and dismiss (applies at once)."
)
related_app.add_typer(review_app, name="review")

#: The CLI is an operator's tool and sees every branch.
_ALL_BRANCHES = BranchScope("HO", None)

Note = Annotated[str, typer.Option("--note", help="Why (kept in the audit log).")]
By = Annotated[
    str | None, typer.Option("--by", help="Who decides (default: the operating-system user).")
]


def _path_text(
    relation: StoredRelation,
    anon: Anonymiser,
    persons: Mapping[str, str],
    contacts: Mapping[str, str],
) -> list[str]:
    lines = []
    for evidence in relation.evidence:
        names = []
        for kind, node in evidence.nodes:
            if kind == "company":
                names.append(anon.name(node))
            elif kind == "person":
                names.append(persons.get(node, node))
            else:
                names.append(contacts.get(node, node))
        steps = [names[0]]
        for link, name in zip(evidence.links, names[1:], strict=True):
            steps.append(f"-{link}- {name}")
        lines.append(f"{evidence.kind}: {' '.join(steps)}")
    return lines


def _strength(relation: StoredRelation) -> str:
    return ", ".join(f"{kind} ×{count}" for kind, count in relation.strength.items())


def _companies(relations: Iterable[StoredRelation], *extra: str) -> set[str]:
    ids = set(extra)
    for r in relations:
        ids.add(r.other_id)
        ids |= {i for e in r.evidence for k, i in e.nodes if k == "company"}
    return ids


def _review_table(db: Database, title: str, page: ReviewPage) -> Table:
    anon = Anonymiser(_ALL_BRANCHES).load(
        db, _companies([i.relation for i in page.items], *(i.left.company_id for i in page.items))
    )
    table = Table(
        "pair", "company", "related company", "strength", "evidence", "decision", title=title
    )
    for item in page.items:
        decision = ""
        if item.decision is not None:
            d = item.decision
            decision = (
                f"{d.verdict.value} by {d.user_name or d.user_id} "
                f"{d.decided_at:%Y-%m-%d %H:%M}: {d.note}"
            )
        table.add_row(
            item.review_id,
            f"{item.left.company_id} {escape(item.left.name)}",
            f"{item.right.company_id} {escape(item.right.name)}",
            _strength(item.relation),
            escape(
                "\n".join(_path_text(item.relation, anon, page.person_names, page.contact_values))
            ),
            escape(decision),
        )
    return table


@related_app.command("show")
def show(
    customer_id: Annotated[str, typer.Argument(help="Customer id, e.g. C0000123.")],
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
) -> None:
    """A customer's related parties: suspected (to review), confirmed and dismissed."""
    with open_database() as db:
        runs = published_runs(db, ("related_parties",))
        page = read_related(
            db,
            _ALL_BRANCHES,
            customer_id,
            runs.run_id("related_parties"),
            limit=limit,
            offset=0,
        )
        anon = Anonymiser(_ALL_BRANCHES).load(db, _companies(page.relations, customer_id))
        console.print(f"[bold]{customer_id} {escape(page.customer_name)}[/bold]")
        suspected = Table("related company", "strength", "evidence", title="suspected (to review)")
        for relation in page.relations:
            suspected.add_row(
                f"{relation.other_id} {escape(anon.name(relation.other_id))}",
                _strength(relation),
                escape(
                    "\n".join(_path_text(relation, anon, page.person_names, page.contact_values))
                ),
            )
        console.print(suspected)
        console.print(f"{page.total} suspected, not yet reviewed", highlight=False)
        for verdict in RelatedVerdict:
            decided = list_customer_links(db, customer_id, verdict, limit=limit, offset=0)
            console.print(_review_table(db, verdict.value, decided))


@review_app.command("list")
def review_list(
    status: Annotated[
        Literal["pending", "confirmed", "dismissed"],
        typer.Option(help="pending (the queue), confirmed or dismissed."),
    ] = "pending",
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
) -> None:
    """The review queue (strongest first), or the confirmed or dismissed pairs."""
    with open_database() as db:
        runs = published_runs(db, ("related_parties",))
        page = list_review(
            db,
            _ALL_BRANCHES,
            runs.run_id("related_parties"),
            status=None if status == "pending" else RelatedVerdict(status),
            limit=limit,
            offset=offset,
        )
        console.print(_review_table(db, status, page))
    console.print(f"{page.total} pair{'' if page.total == 1 else 's'} {status}", highlight=False)


def _decide(review_id: str, verdict: RelatedVerdict, note: str, by: str | None) -> None:
    who = by or getpass.getuser()
    if not note.strip():
        raise typer.BadParameter("a decision needs a note", param_hint="--note")
    with open_database() as db:
        runs = published_runs(db, ("related_parties",))
        record = record_decision(
            db,
            _ALL_BRANCHES,
            review_id,
            verdict,
            run_id=runs.run_id("related_parties"),
            user_id=f"cli:{who}",
            user_name=who,
            note=note,
        )
    console.print(
        f"{record.decision.decision_id}: {escape(record.left.name)} / "
        f"{escape(record.right.name)} → {verdict.value} by {escape(who)}; in force now "
        "(the groups' connected exposure reads it at once)",
        highlight=False,
    )


@review_app.command("confirm")
def confirm(
    review_id: Annotated[str, typer.Argument(help="Pair id (RP-...).")],
    note: Note,
    by: By = None,
) -> None:
    """The two companies are related: the pair joins the group of connected counterparties."""
    _decide(review_id, RelatedVerdict.CONFIRMED, note, by)


@review_app.command("dismiss")
def dismiss(
    review_id: Annotated[str, typer.Argument(help="Pair id (RP-...).")],
    note: Note,
    by: By = None,
) -> None:
    """The two companies are not related: the pair leaves the queue and changes nothing."""
    _decide(review_id, RelatedVerdict.DISMISSED, note, by)
