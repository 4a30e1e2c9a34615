"""The `lifeledger` command: import, demo, serve, users (and, as they land, projections, verify)."""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, TextIO

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from lifeledger.auth import DEFAULT_PROFILE, PROFILES, ROLES, UserError, UserStore
from lifeledger.cli_audit import keys_app, verify_command
from lifeledger.cli_projections import app as projections_app
from lifeledger.database import ViewDatabase
from lifeledger.demo import load_demo
from lifeledger.domain.provinces import PROVINCES
from lifeledger.feed.secret_box import SecretsKeyError, configured_box
from lifeledger.importers.register import ImportSummary, UnreadableExport, import_files
from lifeledger.importers.validation import WorkerFailed
from lifeledger.ledger import Ledger
from lifeledger.settings import Settings, problems

app = typer.Typer(help="lifeledger: an event-sourced ledger of civil status (hộ tịch).")
err = Console(stderr=True, soft_wrap=True)  # messages whole: a terminal wraps them itself


@app.callback()
def check_configuration() -> None:
    # Before any command: a setting that is not valid stops it before it does anything.
    try:
        Settings()
    except ValidationError as error:  # a LIFELEDGER_* variable (or .env line) is not valid
        for problem in problems(error):
            err.print(f"[red]configuration: {escape(problem)}[/red]")
        raise typer.Exit(2) from error


def open_ledger() -> Ledger:
    settings = Settings()
    try:
        return Ledger(settings)
    except Exception as error:  # the store is unreachable or the URL is wrong
        err.print(f"[red]cannot open the ledger at {settings.database_url}: {error}[/red]")
        raise typer.Exit(2) from error


def check_secrets_key(settings: Settings) -> None:
    """Stop (exit 2) when a secrets key is configured but cannot be read: nothing may then
    write a webhook secret in clear, nor fail to open the sealed ones."""
    try:
        configured_box(settings.secrets_key_file)
    except SecretsKeyError as error:
        err.print(f"[red]LIFELEDGER_SECRETS_KEY_FILE: {escape(str(error))}[/red]")
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
    """Import register exports; every line ends accepted (or staged), duplicate, rejected or
    conflict."""
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        err.print(f"[red]no such file: {', '.join(missing)}[/red]")
        raise typer.Exit(2)
    entering = entered_by or getpass.getuser()
    provinces = _approver_provinces(approve_as, entering) if approve_as else frozenset()
    with ExitStack() as stack:
        out = stack.enter_context(_report_file(report)) if report else None
        ledger = open_ledger()
        stack.callback(ledger.close)
        progress = _progress_bar(stack, "importing") if sys.stderr.isatty() else None
        try:
            summary = import_files(
                ledger,
                paths,
                approve_as=approve_as,
                entered_by=entering,
                report=out,
                progress=progress,
                provinces=provinces,
                check_scans=True,
            )
        except UnreadableExport as error:
            err.print(f"[red]{escape(str(error))}[/red]; nothing was imported")
            raise typer.Exit(2) from None
        except WorkerFailed as error:  # killed, or out of memory: its own error is above
            err.print(f"[red]{escape(str(error))}[/red]; nothing was imported, run it again")
            raise typer.Exit(1) from None
    _print_summary(summary, as_json)


def _report_file(path: Path) -> TextIO:
    """The `--report` file, open for writing; one that cannot be is a usage error (exit 2)
    before anything is imported."""
    try:
        return path.open("w", encoding="utf-8")
    except OSError as error:
        why = error.strerror or str(error)
        err.print(f"[red]cannot write the report {escape(str(path))}: {escape(why)}[/red]")
        raise typer.Exit(2) from None


def _approver_provinces(approve_as: str, entering: str) -> frozenset[str]:
    """Four-eyes on the command line: when the ledger has users, `--approve-as` names an
    active approver other than the entering user, and the import is theirs to approve only
    in their provinces. A ledger with no users yet (a first load) takes the name as given."""
    store = _user_store()
    try:
        if store.count() == 0:
            return frozenset()
        found = store.active(approve_as)
    finally:
        store.db.close()
    problem = None
    if found is None or "approver" not in found.roles:
        problem = f"--approve-as: {approve_as} is not an active user with the approver role"
    elif approve_as == entering:
        problem = (
            f"--approve-as: {approve_as} is also the entering user (--entered-by); "
            "a second user must approve"
        )
    if problem is not None:
        err.print(f"[red]{escape(problem)}[/red]; nothing was imported")
        raise typer.Exit(2)
    assert found is not None
    return frozenset(found.provinces)


@app.command()
def demo() -> None:
    """Load a small, realistic data set (four generations, two provinces) into an empty ledger."""
    ledger = open_ledger()
    summary = load_demo(ledger)
    if summary is None:
        err.print(f"The ledger already holds {ledger.position()} events; demo data not loaded.")
    ledger.close()
    if summary is not None:
        _print_summary(summary, as_json=False)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on [127.0.0.1]")] = None,
    port: Annotated[int | None, typer.Option(help="Port [8000]", min=1, max=65535)] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes [1]", min=1)] = None,
    access_log: Annotated[bool, typer.Option(help="Log every request")] = True,
    demo: Annotated[
        bool | None,
        typer.Option(
            "--demo/--no-demo",
            help="Load the demo data into an empty ledger [on SQLite: yes; PostgreSQL: no]",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Serve the HTTP API; an empty ledger gets a first API key (and, on SQLite or with
    --demo, the demo data)."""
    from lifeledger.api.serve import prepare, run

    overrides = {"api_host": host, "api_port": port, "api_workers": workers}
    settings = Settings().model_copy(update={k: v for k, v in overrides.items() if v is not None})
    check_secrets_key(settings)
    try:
        prepare(settings, typer.echo, demo)
    except Exception as error:  # the store is unreachable or the URL is wrong
        err.print(f"[red]cannot open the ledger at {settings.database_url}: {error}[/red]")
        raise typer.Exit(2) from error
    run(settings, access_log=access_log)


@app.command()
def follow() -> None:
    """Keep the read models and the Merkle log up to date, and publish digests, until
    stopped (Ctrl-C, SIGTERM): what `serve` does itself unless LIFELEDGER_FOLLOW_IN_SERVE is
    false; run apart, it leaves the server's interpreter to requests and live streams."""
    from lifeledger.api.migrations import migrate
    from lifeledger.audit.log import MerkleLog
    from lifeledger.following import wait_for_stop
    from lifeledger.projections import Projections
    from lifeledger.upkeep import Followers

    settings = Settings()
    ledger = open_ledger()
    try:
        projections = Projections(ledger)
        migrate(projections.db)
    except Exception as error:  # the store is unreachable or the URL is wrong
        ledger.close()
        err.print(f"[red]cannot open the ledger at {settings.database_url}: {error}[/red]")
        raise typer.Exit(2) from error
    followers = Followers(settings, projections, MerkleLog(ledger, projections.db))
    followers.start()
    err.print(f"following the ledger from position {projections.runner.position()}")
    try:
        wait_for_stop()
    finally:
        followers.stop()
        projections.close()
        ledger.close()


@app.command()
def deliver() -> None:
    """Deliver the webhooks (`/v1/subscriptions`) until stopped (Ctrl-C, SIGTERM): beside
    `serve`, or instead of its own deliveries (LIFELEDGER_WEBHOOKS_IN_SERVE=false). The feed
    it sends from is kept by `serve` or `projections run`."""
    from lifeledger.api.migrations import migrate
    from lifeledger.feed.webhooks import run_until_stopped

    settings = Settings()
    check_secrets_key(settings)
    try:
        db = ViewDatabase(settings.database_url, pool_size=settings.pool_size)
        migrate(db)
    except Exception as error:  # the store is unreachable or the URL is wrong
        err.print(f"[red]cannot open the ledger at {settings.database_url}: {error}[/red]")
        raise typer.Exit(2) from error
    try:
        run_until_stopped(settings, db, say=typer.echo)
    finally:
        db.close()


users_app = typer.Typer(help="API users: roles, provinces and keys.")
app.add_typer(users_app, name="users")


def _user_store() -> UserStore:
    store = UserStore(ViewDatabase(Settings().database_url, pool_size=1))
    store.setup()
    return store


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="User name")],
    role: Annotated[str, typer.Option(help=f"Role(s), comma-separated: {', '.join(ROLES)}")],
    provinces: Annotated[
        str, typer.Option(help="Province codes, comma-separated (none: all provinces)")
    ] = "",
    profile: Annotated[
        str, typer.Option(help=f"What they see of the event feed: {', '.join(PROFILES)}")
    ] = DEFAULT_PROFILE,
) -> None:
    """Create a user and print its API key once (only its SHA-256 is stored)."""
    try:
        key = _user_store().add(name, role.split(","), provinces.split(","), profile)
    except UserError as error:  # a usage error: an unknown role or province, a name taken
        err.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from error
    typer.echo(key)


@users_app.command("list")
def users_list() -> None:
    """List users with their roles, provinces and state (never their keys)."""
    for user in _user_store().users():
        where = ",".join(user.provinces) or "all"
        state = "disabled" if user.disabled else "active"
        line = f"{user.name}\t{','.join(user.roles)}\t{where}\t{state}\t{user.created_at}"
        typer.echo(f"{line}\t{user.profile}")


@users_app.command("disable")
def users_disable(name: Annotated[str, typer.Argument(help="User name")]) -> None:
    """Disable a user: its key stops working (within the API's few-second key cache)."""
    try:
        _user_store().disable(name)
    except UserError as error:
        err.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from error


@app.command()
def relay(
    profile: Annotated[
        str, typer.Option(help=f"What the messages carry: {', '.join(PROFILES)}")
    ] = DEFAULT_PROFILE,
    province: Annotated[
        list[str] | None, typer.Option(help="Relay only this province (repeatable; none: all)")
    ] = None,
) -> None:
    """Publish the event feed to NATS JetStream, one subject per province and type, until
    stopped (Ctrl-C or SIGTERM); resumes where the stream ends (docs/subscribers.md)."""
    from lifeledger.feed.relay import Options, RelayError, relay_until_stopped

    unknown = sorted(set(province or []) - PROVINCES.keys())
    if profile not in PROFILES or unknown:
        problem = f"--province: unknown {', '.join(unknown)}" if unknown else "--profile"
        err.print(f"[red]{escape(problem)}; profiles: {', '.join(PROFILES)}[/red]")
        raise typer.Exit(2)
    settings = Settings()
    options = Options(
        url=settings.nats_url,
        stream=settings.nats_stream,
        prefix=settings.nats_subject_prefix,
        profile=profile,
        source=settings.event_source,
        provinces=frozenset(province or []),
        batch_size=settings.relay_batch_size,
    )
    db = _feed_database(settings)
    try:
        relayed = relay_until_stopped(db, options, lambda line: err.print(escape(line)))
    except RelayError as error:
        err.print(f"[red]{escape(str(error))}[/red]")
        raise typer.Exit(2) from None
    finally:
        db.close()
    err.print(f"stopped after publishing {relayed} messages")


def _feed_database(settings: Settings) -> ViewDatabase:
    """The read models' database, which must hold the event feed already (the API or
    `projections run` writes it)."""
    db = ViewDatabase(settings.database_url, pool_size=2)
    try:
        db.row("SELECT position FROM ll_event LIMIT 1")
    except Exception as error:  # unreachable, or no feed there yet
        db.close()
        err.print(
            f"[red]no event feed at {settings.database_url} ({escape(str(error))}); "
            "start `lifeledger serve` or `lifeledger projections run` on it first[/red]"
        )
        raise typer.Exit(2) from None
    return db


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


app.add_typer(projections_app, name="projections")
app.add_typer(keys_app, name="keys")
app.command("verify")(verify_command)


if __name__ == "__main__":
    app()
