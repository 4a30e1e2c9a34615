"""`lifeledger keys init` (the ledger's signing key), `lifeledger keys init-secrets` (the key
the webhooks' signing secrets are encrypted with) and `lifeledger verify` (recompute the
Merkle log from the stored events; with `--digest`, prove the ledger still extends a digest
taken earlier; with `--projections`, rebuild the read models from the events and compare
them with the stored ones). Exit codes: 0 all holds, 1 the ledger, the digest or a read
model does not, 2 usage."""

from __future__ import annotations

import json
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from lifeledger.audit import read_models
from lifeledger.audit.keys import (
    DIGEST_FIELDS,
    KeyFileError,
    init_key,
    load_public,
    signature_holds,
)
from lifeledger.audit.log import MerkleLog
from lifeledger.audit.verify import Outcome, Verifier
from lifeledger.database import ViewDatabase
from lifeledger.feed.secret_box import SecretsKeyError, init_secrets_key
from lifeledger.ledger import Ledger
from lifeledger.settings import Settings

keys_app = typer.Typer(
    help="The ledger's keys: the signing key (signed Merkle digests) and the secrets key "
    "(webhook signing secrets encrypted at rest).",
    no_args_is_help=True,
)
err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True, highlight=False)


def usage(message: str) -> typer.Exit:
    err.print(f"[red]{escape(message)}[/red]")
    return typer.Exit(2)


@keys_app.command("init")
def keys_init(
    force: Annotated[bool, typer.Option(help="Replace an existing key file")] = False,
) -> None:
    """Make the ledger's Ed25519 signing key in LIFELEDGER_SIGNING_KEY_FILE (mode 0600)."""
    path = Settings().signing_key_file
    if not path:
        raise usage(
            "LIFELEDGER_SIGNING_KEY_FILE is not set: name the file the key goes in "
            "(outside the database and its backups), e.g. /etc/lifeledger/signing.pem"
        )
    try:
        made = init_key(Path(path), force=force)
    except KeyFileError as error:
        raise usage(str(error)) from None
    out.print(f"signing key {made} written to {path}")


@keys_app.command("init-secrets")
def keys_init_secrets(
    force: Annotated[bool, typer.Option(help="Replace an existing key file")] = False,
) -> None:
    """Make the key webhook signing secrets are encrypted with, in
    LIFELEDGER_SECRETS_KEY_FILE (256 bits, mode 0600). Replacing it (--force) makes the
    secrets sealed with the old one unreadable: rotate every subscription's secret after."""
    path = Settings().secrets_key_file
    if not path:
        raise usage(
            "LIFELEDGER_SECRETS_KEY_FILE is not set: name the file the key goes in "
            "(outside the database and its backups), e.g. /etc/lifeledger/secrets.key"
        )
    try:
        init_secrets_key(Path(path), force=force)
    except SecretsKeyError as error:
        raise usage(str(error)) from None
    out.print(f"secrets key written to {path}")


def verify_command(
    digest: Annotated[
        Path | None,
        typer.Option(help="A digest saved from GET /v1/ledger/digest: prove the ledger extends it"),
    ] = None,
    public_key: Annotated[
        Path | None,
        typer.Option(
            help="The PEM public key to check the digest's signature with "
            "[default: the public half of LIFELEDGER_SIGNING_KEY_FILE]"
        ),
    ] = None,
    projections: Annotated[
        bool,
        typer.Option(
            "--projections",
            help="Check the read models instead: rebuild them from the events and name every "
            "stored row that differs",
        ),
    ] = False,
    sample: Annotated[
        int | None,
        typer.Option(help="With --projections: check this many persons, chosen at random", min=1),
    ] = None,
) -> None:
    """Recompute the Merkle tree from the stored events and compare it with the log; name the
    first event altered, deleted, inserted or reordered (exit 1), or exit 0. With
    `--projections`, the read models are checked instead."""
    if sample is not None and not projections:
        raise usage("--sample goes with --projections")
    if projections:
        if digest or public_key:
            raise usage("--digest and --public-key check the Merkle log, not --projections")
        verify_read_models(sample)
        return
    saved = _read_digest(digest, public_key) if digest else None
    settings = Settings()
    with ExitStack() as stack:
        try:
            ledger = Ledger(settings)
        except Exception as error:  # the store is unreachable or the URL is wrong
            raise usage(f"cannot open the ledger at {settings.database_url}: {error}") from error
        stack.callback(ledger.close)
        db = ViewDatabase(settings.database_url, pool_size=2)
        stack.callback(db.close)
        merkle_log = MerkleLog(ledger, db)
        outcome = _run(merkle_log, ledger.position(), saved)
    _report(outcome, saved)


def _read_digest(path: Path, public_key: Path | None) -> dict[str, Any]:
    """The saved digest, its fields checked and its signature verified (exit 1 if not)."""
    try:
        digest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise usage(f"--digest: cannot read {path} as JSON: {error}") from None
    missing = [
        f for f in (*DIGEST_FIELDS, "signature") if not isinstance(digest, dict) or f not in digest
    ]
    if missing:
        raise usage(f"--digest: {path} is not a digest (no {', '.join(missing)})")
    size = digest["tree_size"]
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise usage(f"--digest: tree_size must be a positive integer (got {size!r})")
    key_file = public_key or Settings().signing_key_file
    if key_file is None:
        raise usage(
            "--digest: no public key to check its signature with: give --public-key FILE "
            "(GET /v1/ledger/public-key) or set LIFELEDGER_SIGNING_KEY_FILE"
        )
    try:
        public = load_public(key_file)
    except (OSError, KeyFileError) as error:
        raise usage(f"--public-key: {error}") from None
    if not signature_holds(digest, public):
        err.print(
            f"[red]the digest's signature does not verify with the key {escape(str(key_file))}: "
            "it was not signed by this ledger's key, or it was changed[/red]"
        )
        raise typer.Exit(1)
    return dict(digest)


def _run(merkle_log: MerkleLog, head: int, saved: dict[str, Any] | None) -> Outcome:
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rate]} events/s"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err, disable=not err.is_terminal) as bar:
        logging = bar.add_task("logging new events", total=None, rate="-")
        logged = merkle_log.catch_up(lambda n: bar.update(logging, completed=n))
        done = max(logged, 1)
        bar.update(logging, description=f"logged {logged:,} new events", total=done, completed=done)
        task = bar.add_task("verifying", total=head or None, rate="-")

        def progress(done: int, total: int) -> None:
            elapsed = bar.tasks[task].elapsed or 0
            rate = f"{done / elapsed:,.0f}" if elapsed else "-"
            bar.update(task, completed=done, total=max(total, done), rate=rate)

        sizes = (int(saved["tree_size"]),) if saved else ()
        return Verifier(merkle_log, sizes).run(progress)


def _report(outcome: Outcome, saved: dict[str, Any] | None) -> None:
    if outcome.anomaly is not None:
        err.print(f"[red]the ledger was changed: {escape(str(outcome.anomaly))}[/red]")
        raise typer.Exit(1)
    if saved is not None:
        size = int(saved["tree_size"])
        root = outcome.roots.get(size)
        if root is None:
            err.print(
                f"[red]the digest covers {size} events; the ledger holds only {outcome.events}: "
                "events it covered were deleted[/red]"
            )
            raise typer.Exit(1)
        if root.hex() != saved["root_hash"]:
            err.print(
                f"[red]the ledger does not extend the digest: its first {size} events hash to "
                f"{root.hex()}, the digest signed {escape(str(saved['root_hash']))}[/red]"
            )
            raise typer.Exit(1)
        out.print(f"the ledger extends the digest of {size} events signed at {saved['time']}")
    out.print(
        f"{outcome.events} events verified against the Merkle log (tree size {outcome.tree_size})"
    )


def verify_read_models(sample: int | None) -> None:
    """Rebuild the read models from the events and name every stored row that differs (exit
    1), or none (exit 0)."""
    settings = Settings()
    try:
        found = read_models.differences(settings, sample)
    except Exception as error:  # the store is unreachable or holds no read models
        raise usage(f"cannot check the read models at {settings.database_url}: {error}") from error
    for difference in found:
        out.print(escape(str(difference)))
    checked = "all persons" if sample is None else f"a sample of {sample} persons"
    if found:
        err.print(f"[red]{len(found)} read model rows differ from the events ({checked})[/red]")
        raise typer.Exit(1)
    out.print(f"the read models match the events ({checked})")
