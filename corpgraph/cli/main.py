"""The ``corpgraph`` command line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, cast

import typer
from rich.panel import Panel
from rich.table import Table

from core.codes import Role
from core.errors import CorpgraphError
from corpgraph import __version__
from corpgraph.logging_setup import configure_logging
from graph import schema
from graph.demo_state import mark_demo_computed, mark_demo_loaded, read_demo_state
from graph.local_server import LocalNeo4j
from graph.users import UserStore

from .common import console, err_console, open_database, report_error, settings
from .events_cmd import events_app
from .groups_cmd import groups_app
from .interdependence_cmd import interdependence_app
from .kpi_cmd import kpi_app
from .prospects_cmd import prospects_app
from .related_cmd import related_app
from .resolve_cmd import resolve_app
from .webhooks_cmd import webhooks_app

app = typer.Typer(
    name="corpgraph",
    help="Graph relationship intelligence for corporate banking.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
neo4j_app = typer.Typer(help="Run the embedded local Neo4j (used when NEO4J_URI is unset).")
db_app = typer.Typer(help="Schema and data maintenance.")
users_app = typer.Typer(help="API users and keys.")
app.add_typer(neo4j_app, name="neo4j")
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(prospects_app, name="prospects")
app.add_typer(groups_app, name="groups")
app.add_typer(events_app, name="events")
app.add_typer(webhooks_app, name="webhooks")
app.add_typer(interdependence_app, name="interdependence")
app.add_typer(resolve_app, name="resolve")
app.add_typer(kpi_app, name="kpi")
app.add_typer(related_app, name="related")


@app.callback()
def _root(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log at DEBUG.")] = False,
) -> None:
    cfg = settings()
    configure_logging(10 if verbose else cfg.log_level_number)


@app.command()
def version() -> None:
    """Print the corpgraph version."""
    console.print(f"corpgraph {__version__}")


# --- neo4j ----------------------------------------------------------------------------------
@neo4j_app.command("start")
def neo4j_start(
    port: Annotated[int | None, typer.Option(help="Bolt port (default: settings).")] = None,
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Data folder (default: settings).")
    ] = None,
) -> None:
    """Build the launcher on first use, start Neo4j in the background, wait for Bolt."""
    local = LocalNeo4j(settings())
    if local.needs_build():
        with console.status("building the embedded Neo4j launcher with Maven (first use)..."):
            local.build()
    with console.status("starting the local Neo4j..."):
        state = local.start(port=port, data_dir=data_dir)
    console.print(state.uri)


@neo4j_app.command("stop")
def neo4j_stop() -> None:
    """Stop the local Neo4j cleanly; no process is left behind."""
    stopped = LocalNeo4j(settings()).stop()
    if stopped is None:
        console.print("local Neo4j is not running")
    else:
        console.print(f"stopped local Neo4j (pid {stopped.pid}, {stopped.uri})")


@neo4j_app.command("status")
def neo4j_status() -> None:
    """Whether the local Neo4j runs, its version, and the GDS version or "absent"."""
    status = LocalNeo4j(settings()).status()
    if not status.running or status.state is None or status.server is None:
        console.print("local Neo4j: [bold]stopped[/bold]")
        raise typer.Exit(code=1)
    table = Table(show_header=False, box=None)
    table.add_row("status", "[green]running[/green]")
    table.add_row("uri", status.state.uri)
    table.add_row("pid", str(status.state.pid))
    table.add_row("data dir", status.state.data_dir)
    table.add_row("neo4j", f"{status.server.version} {status.server.edition}")
    table.add_row("gds", status.server.gds_version or "absent")
    console.print(table)


# --- db -------------------------------------------------------------------------------------
@db_app.command("init")
def db_init() -> None:
    """Create constraints and indexes (idempotent)."""
    with open_database() as db:
        created = schema.apply_schema(db)
        status = schema.schema_status(db)
    if not status.ready:
        raise CorpgraphError(
            "schema incomplete after init",
            details={"missing": status.missing, "not_online": status.not_online},
        )
    if created:
        console.print(f"created {len(created)} constraints and indexes: {', '.join(created)}")
    else:
        console.print("schema already up to date")


@db_app.command("wipe")
def db_wipe(
    yes: Annotated[bool, typer.Option("--yes", help="Really delete all nodes.")] = False,
) -> None:
    """Delete every node and relationship (constraints and indexes stay), and the flow ledger."""
    from loaders.pipeline import forget_ledger

    if not yes:
        err_console.print("refusing to wipe without --yes")
        raise typer.Exit(code=2)
    with open_database() as db:
        forget_ledger(db, settings())
        counters = schema.wipe(db)
    console.print(
        f"deleted {counters.nodes_deleted} nodes and {counters.relationships_deleted} relationships"
    )


# --- users ----------------------------------------------------------------------------------
@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Option(help="Display name.")],
    role: Annotated[Role, typer.Option(help="Role.")],
    branch: Annotated[str, typer.Option(help="Home branch id.")],
    rm_id: Annotated[
        str | None,
        typer.Option("--rm-id", help="The relationship manager this user is (owns opportunities)."),
    ] = None,
) -> None:
    """Create a user and print their API key once."""
    with open_database() as db:
        user, key = UserStore(db).add(name, role, branch, rm_id=rm_id)
    console.print(
        Panel(
            f"[bold]{key}[/bold]\n\nuser {user.user_id} · role {user.role.value} · "
            f"branch {user.branch_id}\nThis key is shown once; only its hash is stored.",
            title="new API key",
        )
    )


@users_app.command("list")
def users_list() -> None:
    """List users (never keys)."""
    with open_database() as db:
        users = UserStore(db).list()
    table = Table("user id", "name", "role", "branch", "key prefix", "created", "status")
    for user in users:
        table.add_row(
            user.user_id,
            user.name,
            user.role.value,
            user.branch_id,
            user.key_prefix,
            user.created_at.strftime("%Y-%m-%d %H:%M"),
            "active" if user.active else "[red]revoked[/red]",
        )
    console.print(table)


@users_app.command("revoke")
def users_revoke(
    user: Annotated[str, typer.Argument(help="User id or key prefix.")],
) -> None:
    """Revoke a user's key; it stops working at once."""
    with open_database() as db:
        revoked = UserStore(db).revoke(user)
    console.print(f"revoked {revoked.user_id} ({revoked.name})")


# --- serve ----------------------------------------------------------------------------------
@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface (default: settings).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: settings).")] = None,
    workers: Annotated[
        int, typer.Option(min=1, max=32, help="Worker processes (each has its own driver).")
    ] = 1,
) -> None:
    """Serve the HTTP API and the web UI."""
    import uvicorn

    from api.app import create_app
    from graph.local_server import ensure_local_server

    cfg = settings()
    ensure_local_server(cfg)
    bind_host = host or cfg.api_host
    bind_port = port or cfg.api_port
    err_console.print(f"serving on http://{bind_host}:{bind_port} (docs at /docs)")
    if workers == 1:
        uvicorn.run(
            create_app(cfg),
            host=bind_host,
            port=bind_port,
            log_level=cfg.log_level.lower(),
            log_config=None,
        )
        return
    # Several processes need an import string; each worker builds the app (and its one
    # driver) from the same environment.
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        workers=workers,
        host=bind_host,
        port=bind_port,
        log_level=cfg.log_level.lower(),
        log_config=None,
    )


# --- data ---------------------------------------------------------------------------------
@app.command()
def generate(
    out: Annotated[Path, typer.Option(help="Output folder.")],
    scale: Annotated[str, typer.Option(help="tiny, small, medium or large.")] = "tiny",
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same files.")] = 1,
    encoding: Annotated[str, typer.Option(help="CSV encoding: utf-8, utf-8-sig, gbk.")] = "utf-8",
    file_format: Annotated[str, typer.Option("--format", help="csv or parquet.")] = "csv",
    difficulty: Annotated[
        str,
        typer.Option(
            help="standard, or hard: hubs, seasonality, lumpy purchases, late payments, "
            "events of every magnitude and noisy counterparty names."
        ),
    ] = "standard",
) -> None:
    """Write the synthetic bank (contract files plus truth.json) to a folder."""
    from loaders.synthetic import generate_bank

    with console.status(f"generating the {scale} synthetic bank ({difficulty})..."):
        report = generate_bank(
            scale, seed, out, encoding=encoding, file_format=file_format, difficulty=difficulty
        )
    table = Table("file", "rows", "bad rows")
    for name, rows in report.rows.items():
        bad = rows - report.valid_rows.get(name, rows)
        table.add_row(name, f"{rows:,}", str(bad) if bad else "")
    console.print(table)
    console.print(f"truth: {report.truth_path} ({report.seconds:.1f}s)")


@app.command()
def load(
    directory: Annotated[Path, typer.Argument(help="Folder with the contract's files.")],
    rejects: Annotated[
        Path | None,
        typer.Option(help="Rejects CSV (default: HOME/rejects/<folder>-<time>.csv)."),
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option(help="CSV encoding: utf-8, utf-8-sig, gbk, gb18030 (default: detect)."),
    ] = None,
    bulk: Annotated[
        bool,
        typer.Option(
            "--bulk",
            help="First load into an empty local database: the same validation and "
            "resolution, written by neo4j-admin database import (the server restarts).",
        ),
    ] = False,
) -> None:
    """Validate and load a folder of bank files. Valid rows load; rejects are reported."""
    from datetime import UTC, datetime

    from loaders.bulk import bulk_load_directory
    from loaders.pipeline import load_directory, report_rows

    from .progress import RichProgress

    cfg = settings()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    rejects_path = rejects or cfg.home.expanduser() / "rejects" / f"{directory.name}-{stamp}.csv"
    timings = None
    with open_database() as db, RichProgress(err_console) as progress:
        if bulk:
            work_dir = cfg.home.expanduser() / "bulk" / f"{directory.name}-{stamp}"
            report, timings = bulk_load_directory(
                db,
                directory,
                cfg,
                rejects_path=rejects_path,
                work_dir=work_dir,
                encoding=encoding,
                progress=progress,
            )
        else:
            schema.apply_schema(db)
            report = load_directory(
                db, directory, cfg, rejects_path=rejects_path, encoding=encoding, progress=progress
            )
    table = Table("file", "read", "loaded", "rejected", "duplicates", "already loaded")
    for row in report_rows(report):
        table.add_row(
            row["file"],
            f"{row['read']:,}",
            f"{row['loaded']:,}",
            f"[red]{row['rejected']:,}[/red]" if row["rejected"] else "0",
            f"{row['duplicates']:,}",
            f"{row['already_loaded']:,}",
        )
    console.print(table)
    if report.resolution_methods:
        methods = ", ".join(f"{k} {v:,}" for k, v in sorted(report.resolution_methods.items()))
        console.print(f"counterparty sides resolved: {methods}")
        console.print(f"new counterparty companies: {report.created_counterparties:,}")
        console.print(f"monthly flows written: {report.flows_written:,}")
    if report.matching is not None:
        summary = report.matching
        statuses = ", ".join(f"{k} {v:,}" for k, v in summary.statuses.items()) or "none"
        console.print(
            f"counterparty matching: {summary.records:,} records, candidate pairs: {statuses}; "
            f"review queue {summary.review_queue:,} (corpgraph resolve list); "
            f"branch offices linked {summary.branch_links:,}; decisions applied "
            f"{summary.decisions_applied:,}"
        )
    console.print(f"rejects: {len(report.rejects):,} rows in {report.rejects_path}")
    if timings is not None:
        console.print(
            f"bulk import: {timings.nodes:,} nodes, {timings.relationships:,} relationships; "
            f"validate and resolve {timings.prepare:.1f}s, files {timings.write_files:.1f}s, "
            f"import and restart {timings.import_:.1f}s, schema and the rest {timings.finish:.1f}s"
        )
    if report.resolutions_path:
        console.print(f"resolutions: {report.resolutions_path}")


@app.command()
def compute(
    engine: Annotated[
        str, typer.Option(help="auto (GDS when the server has it), gds or python.")
    ] = "auto",
    only: Annotated[
        list[str] | None, typer.Option(help="Run only these steps (repeatable).")
    ] = None,
) -> None:
    """Run the analytics (group risk, prospects, influence, events) and store the results."""
    from services.compute import COMPUTE_STEPS, run_compute
    from services.engines import EngineMode

    if engine not in {"auto", "gds", "python"}:
        raise typer.BadParameter("use auto, gds or python", param_hint="--engine")
    known = {name for name, _ in COMPUTE_STEPS}
    unknown = set(only or ()) - known
    if unknown:
        raise typer.BadParameter(
            f"unknown steps {sorted(unknown)}; known: {sorted(known)}", param_hint="--only"
        )
    with open_database() as db:
        used, reports = run_compute(
            db,
            settings(),
            engine_mode=cast(EngineMode, engine),
            only=set(only) if only else None,
        )
    table = Table("step", "results", "seconds", title=f"compute (engine: {used})")
    for report in reports:
        results = ", ".join(f"{k} {v:,}" for k, v in report.counts.items())
        table.add_row(report.step, results, f"{report.seconds:.1f}")
    console.print(table)


# --- demo ---------------------------------------------------------------------------------
HEAD_OFFICE = "HO"


@app.command()
def demo(
    scale: Annotated[str, typer.Option(help="Synthetic bank size: tiny, small, medium.")] = "small",
    seed: Annotated[int, typer.Option(help="Synthetic bank seed.")] = 1,
    port: Annotated[int | None, typer.Option(help="API port (default: settings).")] = None,
) -> None:
    """The main job: local Neo4j, the synthetic bank generated and loaded, analytics, the API.

    The bank is generated once into HOME/demo and loaded once into the graph; a
    second run reuses both. A fresh head-office admin key is printed each run.
    """
    from datetime import UTC, datetime

    from loaders.pipeline import load_directory
    from loaders.synthetic import generate_bank
    from services.compute import COMPUTE_STEPS, run_compute

    from .progress import RichProgress

    cfg = settings()
    dataset = f"{scale}-seed{seed}"
    bank_dir = cfg.home.expanduser() / "demo" / dataset
    if not (bank_dir / "truth.json").exists():
        with console.status(f"generating the {scale} synthetic bank in {bank_dir}..."):
            generate_bank(scale, seed, bank_dir)
    with open_database() as db:
        schema.apply_schema(db)
        loaded = read_demo_state(db)
        if loaded is None or loaded.dataset != dataset:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            rejects = cfg.home.expanduser() / "rejects" / f"demo-{dataset}-{stamp}.csv"
            with RichProgress(err_console) as progress:
                report = load_directory(db, bank_dir, cfg, rejects_path=rejects, progress=progress)
            loaded = mark_demo_loaded(db, dataset)
            console.print(
                f"loaded {dataset}: {sum(f.loaded for f in report.files):,} rows, "
                f"{len(report.rejects)} planted bad rows rejected ({rejects})"
            )
        else:
            console.print(f"reusing the loaded {dataset} bank")
        steps = [name for name, _ in COMPUTE_STEPS]
        if steps and list(loaded.computed_steps) != steps:
            with console.status("computing analytics: " + ", ".join(steps)):
                used, reports = run_compute(db, cfg)
            mark_demo_computed(db, steps)
            for step_report in reports:
                results = ", ".join(f"{k} {v:,}" for k, v in step_report.counts.items())
                console.print(f"computed {step_report.step} ({used}): {results}")
        user, key = UserStore(db).add("demo admin", Role.ADMIN, HEAD_OFFICE)
    bind_port = port or cfg.api_port
    base = f"http://{cfg.api_host}:{bind_port}"
    console.print(
        Panel(
            f"API      {base}/api/v1/health\n"
            f"Docs     {base}/docs\n"
            f"API key  [bold]{key}[/bold]  (head-office admin {user.user_id})\n"
            f"Try      curl -H 'X-API-Key: {key}' {base}/api/v1/me",
            title="corpgraph demo",
        )
    )
    serve(host=None, port=bind_port, workers=1)


def main() -> None:
    """Console-script entry: domain errors become one clear line and an exit code."""
    try:
        app()
    except CorpgraphError as error:
        report_error(error)
        sys.exit(error.exit_code)
