"""`lifeledger projections …`: rebuild the read models from zero, show how far behind they are,
or keep them up to date in their own process."""

from __future__ import annotations

import json
import time
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from lifeledger.following import wait_for_stop
from lifeledger.ledger import Ledger
from lifeledger.projections import Projections, documents
from lifeledger.settings import Settings

app = typer.Typer(help="Read models: rebuild, status, run.", no_args_is_help=True)
err = Console(stderr=True, soft_wrap=True)  # messages whole: a terminal wraps them itself


def open_projections() -> Projections:
    settings = Settings()
    try:
        return Projections(Ledger(settings))
    except Exception as error:  # the store is unreachable or the URL is wrong
        err.print(f"[red]cannot open the ledger at {settings.database_url}: {error}[/red]")
        raise typer.Exit(2) from error


def close(projections: Projections) -> None:
    projections.close()
    projections.ledger.close()


@app.command()
def rebuild(
    name: Annotated[
        str | None, typer.Argument(help="One projection (registry, statistics); all if omitted.")
    ] = None,
) -> None:
    """Drop the read models and rebuild them from the first event of the ledger."""
    projections = open_projections()
    names = [p.name for p in projections.runner.projections]
    if name is not None and name not in names:
        err.print(f"[red]no projection named {name!r}; there are: {', '.join(names)}[/red]")
        close(projections)
        raise typer.Exit(2)
    total = projections.ledger.position()
    started = time.monotonic()
    columns = ("{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, disable=not err.is_terminal) as bar:
        task = bar.add_task(f"rebuilding {name or ', '.join(names)}", total=total)
        done = projections.runner.rebuild(
            [name] if name else [], progress=lambda n: bar.update(task, completed=n)
        )
        bar.update(task, completed=total)  # caught up (a follower may have applied some)
        pending = documents.status(projections.db)["pending"]
        task = bar.add_task("person documents", total=pending)
        while projections.runner.idle_work():
            # What is left, not the sum of the steps: a step also takes persons touched
            # after the count (and relatives), so the bar ends at its total, and only then.
            left = documents.status(projections.db)["pending"]
            bar.update(task, completed=max(pending - left, 0))
        bar.update(task, completed=pending)
    elapsed = time.monotonic() - started
    close(projections)
    typer.echo(f"rebuilt {name or ', '.join(names)}: {done} events in {elapsed:.1f}s")


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print the positions as JSON.")] = False,
) -> None:
    """Each read model's position, the ledger's position, and how many events behind it is."""
    projections = open_projections()
    ledger = projections.ledger.position()
    positions = projections.runner.positions()
    stored = documents.status(projections.db)
    close(projections)
    rows = {
        name: {"position": position, "lag": ledger - position}
        for name, position in positions.items()
    }
    if as_json:
        typer.echo(json.dumps({"ledger": ledger, "projections": rows, "documents": stored}))
        return
    table = Table("projection", "position", "lag")
    for name, row in rows.items():
        table.add_row(name, str(row["position"]), str(row["lag"]))
    Console().print(table)
    typer.echo(f"ledger position: {ledger}")
    typer.echo(
        f"stored person documents: at position {stored['position']}, "
        f"{stored['pending']} touched persons waiting"
    )


@app.command()
def run(
    poll: Annotated[
        float, typer.Option(help="Seconds between polls (PostgreSQL also wakes on NOTIFY).")
    ] = 0.2,
) -> None:
    """Keep the read models up to date in this process until stopped (Ctrl-C or SIGTERM)."""
    projections = open_projections()
    follower = projections.follow(poll_seconds=poll)
    err.print(f"following the ledger from position {projections.runner.position()}")
    wait_for_stop()
    follower.stop()
    position = projections.runner.position()
    close(projections)
    err.print(f"stopped at position {position}")
