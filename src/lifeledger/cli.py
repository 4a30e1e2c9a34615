"""The `lifeledger` command: import, demo (and, as they land, serve, projections, verify, users)."""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Callable
from contextlib import ExitStack
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from lifeledger.importers.register import ImportSummary, import_files
from lifeledger.ledger import Ledger
from lifeledger.settings import Settings

app = typer.Typer(help="lifeledger: an event-sourced ledger of civil status (hộ tịch).")
err = Console(stderr=True)

DEMO_APPROVER = "demo-approver"


def open_ledger() -> Ledger:
    settings = Settings()
    try:
        return Ledger(settings)
    except Exception as error:  # the store is unreachable or the URL is wrong
        err.print(f"[red]cannot open the ledger at {settings.database_url}: {error}[/red]")
        raise typer.Exit(2) from error


@app.command("import")
def import_command(
    paths: Annotated[list[Path], typer.Argument(help="Register exports: .jsonl, .jsonl.gz, .csv")],
    approve_as: Annotated[
        str | None,
        typer.Option(
            help="Record the entries at once, approved by this user (four-eyes: "
            "not the user who entered them). Without it they are staged."
        ),
    ] = None,
    entered_by: Annotated[
        str | None, typer.Option(help="Data-entry user for lines without `entered_by`.")
    ] = None,
    report: Annotated[
        Path | None, typer.Option(help="Write rejected and conflicting lines with reasons here.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the counts as JSON.")] = False,
) -> None:
    """Import register exports; every line ends accepted, duplicate, rejected or conflict."""
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        err.print(f"[red]no such file: {', '.join(missing)}[/red]")
        raise typer.Exit(2)
    ledger = open_ledger()
    with ExitStack() as stack:
        out = stack.enter_context(report.open("w", encoding="utf-8")) if report else None
        progress = _progress_bar(stack, "importing") if sys.stderr.isatty() else None
        summary = import_files(
            ledger,
            paths,
            approve_as=approve_as,
            entered_by=entered_by or getpass.getuser(),
            report=out,
            progress=progress,
        )
    ledger.close()
    _print_summary(summary, as_json)


@app.command()
def demo() -> None:
    """Load a small, realistic data set (four generations, two provinces) into an empty ledger."""
    ledger = open_ledger()
    if ledger.position() > 0:
        err.print(f"The ledger already holds {ledger.position()} events; demo data not loaded.")
        ledger.close()
        return
    demo_file = resources.files("lifeledger") / "demo" / "demo.jsonl"
    with resources.as_file(demo_file) as path:
        summary = import_files(ledger, [path], approve_as=DEMO_APPROVER, entered_by="demo-operator")
    ledger.close()
    _print_summary(summary, as_json=False)


def _progress_bar(stack: ExitStack, what: str) -> Callable[[int, int], None]:
    bar = stack.enter_context(
        Progress(
            "{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=False,
        )
    )
    task = bar.add_task(what, total=None)

    def update(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    return update


def _print_summary(summary: ImportSummary, as_json: bool) -> None:
    counts = summary.as_dict()
    if as_json:
        typer.echo(json.dumps(counts))
    else:
        typer.echo(", ".join(f"{name}: {count}" for name, count in counts.items()))
    if counts["rejected"] or counts["conflict"]:
        raise typer.Exit(1)


if __name__ == "__main__":
    app()
