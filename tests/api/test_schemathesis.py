"""Schemathesis as `schemathesis run --checks all` runs it (with the project's
schemathesis.toml), against the app on the demo data, with the key of each role, on both
stores: every phase (examples, coverage, fuzzing, stateful) and every check, so no answer
is a 500, every answer is one the OpenAPI document states (status, media type, schema,
headers), a request the document allows is taken and one it forbids refused, an undeclared
method is a 405 whose `Allow` lists the path's methods. Two checks of our own:

- a schema-valid request refused with 422 carries a code the route documents for it
  (`x-refusals`: reasons no schema can state), never `invalid-request` or `invalid-pin`;
- a refused request (4xx) changed nothing: the ledger's position is the same after it.

Bounded: the coverage phase (every boundary of every field, every undeclared method) and
a few examples per operation on the operations a role works with; elsewhere, where the
answer is the same 403 whatever is sent, one example. The provincial officer works with the
acts without their coverage phase (the national officer's covers them)."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import schemathesis.python.asgi
from schemathesis.engine import events, from_schema
from schemathesis.engine.recorder import ScenarioRecorder
from tests.api.conftest import api_settings

from lifeledger.api.app import create_app
from lifeledger.api.schemas.common import REFUSALS_KEY
from lifeledger.audit.keys import init_key
from lifeledger.auth import UserStore
from lifeledger.database import ViewDatabase
from lifeledger.demo import load_demo
from lifeledger.ledger import Ledger

CONFIG = Path(__file__).parents[2] / "schemathesis.toml"

TAGS = (
    "acts",
    "imports",
    "entries",
    "persons",
    "registers",
    "audit",
    "users",
    "events",
    "subscriptions",
    "operations",
    "ledger",
)


@dataclass(frozen=True)
class Role:
    roles: tuple[str, ...]
    provinces: tuple[str, ...]
    covered: frozenset[str]
    """Tags of the operations the role works with: coverage phase and EXAMPLES each."""
    fuzzed: frozenset[str] = frozenset()
    """Tags of the operations that get EXAMPLES each but no coverage phase."""


EXAMPLES = 4
ROLES = {
    "officer": Role(("officer",), (), frozenset({"acts", "imports", "persons", "registers"})),
    "approver": Role(("approver",), (), frozenset({"imports", "entries", "registers"})),
    "auditor": Role(
        ("auditor",),
        (),
        frozenset({"persons", "registers", "entries", "imports", "audit", "ledger"}),
    ),
    "subscriber": Role(
        ("subscriber",), (), frozenset({"events", "subscriptions", "operations", "ledger"})
    ),
    "admin": Role(("admin",), (), frozenset({"users", "operations"})),
    "officer-034": Role(
        ("officer",), ("034",), frozenset({"persons", "registers"}), frozenset({"acts", "imports"})
    ),
}


@schemathesis.check
def refusal_of_a_valid_request_is_documented(ctx: Any, response: Any, case: Any) -> bool | None:
    """A 422 to a request the document allows names a reason the route documents for it."""
    meta = case.meta
    if response.status_code != 422 or meta is None or not meta.generation.mode.is_positive:
        return None
    answer = case.operation.definition.raw.get("responses", {}).get("422", {})
    code = response.json().get("code")
    documented = answer.get(REFUSALS_KEY, [])
    if code not in documented:
        raise AssertionError(
            f"a request the document allows was refused with 422 {code!r}; the route "
            f"documents only {documented} for such requests: {response.text[:300]}"
        )
    return None


@dataclass
class LedgerWatch:
    """Wraps the app: notes every request answered 4xx that moved the ledger's position.
    Requests come one at a time, so the position before one is the position after the
    last."""

    app: Any
    changed: list[str] = field(default_factory=list)
    last: int | None = None

    def position(self) -> int:
        return int(self.app.state.context.ledger.position())

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        before, status = self.position() if self.last is None else self.last, [0]

        async def noting(message: Any) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        await self.app(scope, receive, noting)
        after = self.last = self.position()
        if 400 <= status[0] < 500 and after != before:
            self.changed.append(f"{scope['method']} {scope['path']} {status[0]}: {before}->{after}")


def demo_app(database_url: str, signing_key: Path) -> Any:
    init_key(signing_key)  # as deployed: digests signed (without a key they answer 503)
    settings = api_settings(
        database_url,
        read_wait_seconds=1,
        auth_cache_seconds=60,
        signing_key_file=str(signing_key),
        webhooks_in_serve=False,  # a URL schemathesis makes up may be any public address
    )
    ledger = Ledger(settings)
    load_demo(ledger)
    ledger.close()
    return create_app(settings)


def add_user(
    database_url: str, name: str, roles: tuple[str, ...], provinces: tuple[str, ...]
) -> str:
    db = ViewDatabase(database_url, pool_size=1)
    try:
        store = UserStore(db)
        store.setup()
        return store.add(name, roles, provinces)
    finally:
        db.close()


def config_for(key: str, role: Role) -> schemathesis.Config:
    """The project's schemathesis.toml, as `--checks all` with this key would run it."""
    data = tomllib.loads(CONFIG.read_text())
    data["headers"] = {"Authorization": f"Bearer {key}"}
    data["generation"] = {"max-examples": EXAMPLES}
    data["operations"] = data.get("operations", []) + [
        {
            "include-tag": tag,
            "phases": {"coverage": {"enabled": False}},
            "generation": {"max-examples": EXAMPLES if tag in role.fuzzed else 1},
        }
        for tag in TAGS
        if tag not in role.covered
    ]
    data["seed"] = 20241204
    data["workers"] = 1
    config = schemathesis.Config.from_dict(data)
    config.projects.default.checks.update(included_check_names=["all"])
    return config


def failures(stream: Iterator[Any]) -> list[str]:
    """Every failed check and every error of a run, described."""
    found: list[str] = []
    for event in stream:
        if isinstance(event, events.ScenarioFinished | events.FuzzScenarioFinished):
            found += failed_checks(event.recorder)
        elif isinstance(event, events.NonFatalError):
            found.append(f"error in {event.label}: {event.info.title}: {event.info}")
        elif isinstance(event, events.FatalError):
            found.append(f"the run stopped: {event.exception!r}")
    return found


def failed_checks(recorder: ScenarioRecorder) -> list[str]:
    described = []
    for checks in recorder.checks.values():
        for check in checks:
            if check.failure_info is not None:
                failure = check.failure_info.failure
                described.append(
                    f"{recorder.label}: {check.name}: {failure.title}\n{failure.message}\n"
                    f"{check.failure_info.code_sample}"
                )
    return described


@pytest.fixture
def running_demo(database_url: str, tmp_path: Path) -> Iterator[tuple[str, LedgerWatch]]:
    watch = LedgerWatch(demo_app(database_url, tmp_path / "signing.pem"))
    try:
        yield database_url, watch
    finally:
        schemathesis.python.asgi.shutdown_lifespans()


@pytest.mark.slow
@pytest.mark.parametrize("role", ROLES)
def test_every_check_of_schemathesis_passes_for_every_role(
    running_demo: tuple[str, LedgerWatch], role: str
) -> None:
    database_url, watch = running_demo
    key = add_user(database_url, role, ROLES[role].roles, ROLES[role].provinces)
    add_user(database_url, "schemathesis-disposable", ("subscriber",), ())
    config = config_for(key, ROLES[role])
    schema = schemathesis.openapi.from_asgi("/openapi.json", watch, config=config)
    found = failures(from_schema(schema).execute())
    assert not found, "\n\n".join(found)
    assert not watch.changed, "refused requests changed the ledger:\n" + "\n".join(watch.changed)
