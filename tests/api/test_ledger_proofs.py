"""GET /v1/ledger/…: signed digests, the public key, inclusion and consistency proofs, checked
by the stand-alone verifier of docs/audit.md run as a separate process; who may read them;
what a bad request gets; how far the log lags the ledger."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from tests.api.conftest import Api, Caller, api_settings, is_problem, post_act, running_api
from tests.builders import a_birth, a_pin
from tests.integration.test_verify import database_bytes

from lifeledger.audit.keys import init_key, load_signer, signature_holds
from lifeledger.audit.leaves import event_id
from lifeledger.demo import load_demo

DOCS = Path(__file__).resolve().parents[2] / "docs" / "audit.md"
DIGEST = "/v1/ledger/digest"
INCLUSION = "/v1/ledger/proof/inclusion"
CONSISTENCY = "/v1/ledger/proof/consistency"


@pytest.fixture
def signed(database_url: str, tmp_path: Path) -> Iterator[Api]:
    """The app with a signing key, on the demo ledger, the log caught up."""
    key = tmp_path / "signing.pem"
    init_key(key)
    for api in running_api(api_settings(database_url, signing_key_file=str(key))):
        load_demo(api.context.ledger)
        caught_up(api)
        yield api


def caught_up(api: Api) -> None:
    context = api.context
    assert context.merkle.wait_for(context.ledger.position(), timeout=5)
    api.settle()


@pytest.fixture(scope="module")
def verifier(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The verifier script, extracted from docs/audit.md as a reader would copy it."""
    text = DOCS.read_text(encoding="utf-8")
    marker = text.index("<!-- verifier")
    block = re.search(r"```python\n(.*?)```", text[marker:], re.DOTALL)
    assert block is not None
    script = tmp_path_factory.mktemp("verifier") / "verify_proof.py"
    script.write_text(block.group(1), encoding="utf-8")
    assert len(block.group(1).splitlines()) <= 90
    return script


def run(script: Path, tmp: Path, mode: str, *documents: dict[str, Any]) -> int:
    names = []
    for number, document in enumerate(documents):
        path = tmp / f"{mode}-{number}.json"
        path.write_text(json.dumps(document))
        names.append(str(path))
    done = subprocess.run([sys.executable, str(script), mode, *names],
                          capture_output=True, text=True, timeout=30)  # fmt: skip
    assert ("proof holds" if done.returncode == 0 else "PROOF FAILS") in done.stdout, done
    return done.returncode


def ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def feed_event(api: Api, province: str) -> str:
    row = api.context.projections.db.row(
        "SELECT e.event_id FROM ll_event e JOIN ll_event_province p ON p.position = e.position "
        "WHERE p.province = %s ORDER BY e.position",
        (province,),
    )
    assert row is not None
    return str(row["event_id"])


def bent(proof: dict[str, Any], field: str) -> dict[str, Any]:
    path = list(proof[field])
    path[-1] = ("0" if path[-1][0] != "0" else "1") + path[-1][1:]
    return {**proof, field: path}


def test_proofs_hold_for_the_standalone_verifier(
    signed: Api, verifier: Path, tmp_path: Path
) -> None:
    api = signed
    old = ok(api.national_auditor.get(DIGEST))
    assert old["tree_size"] == 135
    for _ in range(3):
        assert post_act(api.officer, a_birth(a_pin(year=2001), "2001-02-03")).status_code == 201
    caught_up(api)
    new = ok(api.auditor.get(DIGEST))
    assert new["tree_size"] > old["tree_size"]
    public = base64.b64decode(ok(api.subscriber.get("/v1/ledger/public-key"))["public_key"])
    assert signature_holds(old, public) and signature_holds(new, public)

    for event in (feed_event(api, "034"), feed_event(api, "001")):
        for digest in (old, new):
            params = {"event_id": event, "tree_size": digest["tree_size"]}
            proof = ok(api.national_auditor.get(INCLUSION, params=params))
            assert proof["event_id"] == event
            assert run(verifier, tmp_path, "inclusion", digest, proof) == 0
            if proof["audit_path"]:
                assert run(verifier, tmp_path, "inclusion", digest, bent(proof, "audit_path")) == 1
            assert (
                run(verifier, tmp_path, "inclusion", {**digest, "root_hash": "00" * 32}, proof) == 1
            )

    proof = ok(api.subscriber.get(CONSISTENCY, params={"from": 135, "to": new["tree_size"]}))
    assert run(verifier, tmp_path, "consistency", old, new, proof) == 0
    assert run(verifier, tmp_path, "consistency", old, new, bent(proof, "consistency_path")) == 1
    assert run(verifier, tmp_path, "consistency", new, old, proof) == 1
    assert ok(api.subscriber.get(CONSISTENCY, params={"from": 100}))["to"] == new["tree_size"]


def test_a_digest_verifies_with_the_published_key_only(signed: Api, tmp_path: Path) -> None:
    digest = ok(signed.subscriber.get(DIGEST))
    published = ok(signed.auditor.get("/v1/ledger/public-key"))
    public = base64.b64decode(published["public_key"])
    assert signature_holds(digest, public)
    assert digest["key_id"] == published["key_id"]
    assert published["pem"].startswith("-----BEGIN PUBLIC KEY-----")
    assert "PRIVATE" not in json.dumps(published)
    other = tmp_path / "other.pem"
    init_key(other)
    assert not signature_holds(digest, load_signer(other).public)
    assert not signature_holds({**digest, "tree_size": digest["tree_size"] - 1}, public)
    assert not signature_holds({**digest, "root_hash": "00" * 32}, public)


def test_who_may_read_digests_and_proofs(signed: Api) -> None:
    event = feed_event(signed, "034")
    for path, params in (
        (DIGEST, {}),
        (INCLUSION, {"event_id": event}),
        (CONSISTENCY, {"from": 1}),
    ):
        for name in ("auditor", "national_auditor", "subscriber"):
            assert getattr(signed, name).get(path, params=params).status_code == 200
        for name in ("officer", "approver", "admin", "national_officer"):
            is_problem(getattr(signed, name).get(path, params=params), 403, "forbidden")
        is_problem(signed.client.get(path, params=params), 401, "unauthenticated")
    assert signed.officer.get("/v1/ledger/public-key").status_code == 200
    is_problem(signed.client.get("/v1/ledger/public-key"), 401)


def test_an_inclusion_proof_discloses_nothing_outside_the_callers_provinces(signed: Api) -> None:
    """A provincial caller asking about another province's event, or about an event the feed
    never shows (a person's), gets the answer an unknown event gets, word for word."""
    foreign = feed_event(signed, "001")
    person = signed.context.projections.db.row(
        "SELECT position FROM ll_merkle_leaf l WHERE NOT EXISTS "
        "(SELECT 1 FROM ll_event e WHERE e.position = l.position) ORDER BY leaf_index"
    )
    assert person is not None
    leaf = signed.context.merkle.leaves(int(person["position"]) - 1, int(person["position"]))[0]
    person_event = event_id(leaf.originator, leaf.version)
    unknown = "00000000-0000-0000-0000-000000000000:1"

    def refusal(caller: Caller, event: str) -> dict[str, Any]:
        problem = is_problem(
            caller.get(INCLUSION, params={"event_id": event}), 422, "event-not-logged"
        )
        return {**problem, "detail": problem["detail"].replace(event, "…")}

    for caller in (signed.auditor, signed.subscriber):
        assert refusal(caller, foreign) == refusal(caller, unknown)
        assert refusal(caller, person_event) == refusal(caller, unknown)
        assert ok(caller.get(INCLUSION, params={"event_id": feed_event(signed, "034")}))
    assert ok(signed.national_auditor.get(INCLUSION, params={"event_id": person_event}))
    assert ok(signed.national_auditor.get(INCLUSION, params={"event_id": foreign}))


def test_bad_requests_are_422_problems(signed: Api) -> None:
    caller = signed.national_auditor
    event = feed_event(signed, "034")
    size = ok(caller.get(DIGEST))["tree_size"]
    beyond = caller.get(INCLUSION, params={"event_id": event, "tree_size": size + 1})
    assert (
        "beyond the Merkle log's size" in is_problem(beyond, 422, "tree-size-beyond-log")["detail"]
    )
    is_problem(
        caller.get(CONSISTENCY, params={"from": 1, "to": size + 1}), 422, "tree-size-beyond-log"
    )
    is_problem(caller.get(CONSISTENCY, params={"from": 9, "to": 5}), 422, "from-after-to")
    is_problem(caller.get(CONSISTENCY, params={"from": size + 1}), 422, "from-after-to")
    is_problem(caller.get(CONSISTENCY, params={"from": 0}), 422, "invalid-request")
    is_problem(caller.get(CONSISTENCY), 422, "invalid-request")
    for malformed in (
        "nope",
        f"{event}x",
        event.replace(":", "/"),
        "",
        f"{event.split(':')[0]}:-1",
    ):
        is_problem(caller.get(INCLUSION, params={"event_id": malformed}), 422, "invalid-request")
    unknown = {"event_id": "00000000-0000-0000-0000-000000000000:1"}
    is_problem(caller.get(INCLUSION, params=unknown), 422, "event-not-logged")
    last = signed.context.merkle.leaves(size - 1, size)[0]
    late = {"event_id": event_id(last.originator, last.version), "tree_size": size - 1}
    is_problem(caller.get(INCLUSION, params=late), 422, "event-not-in-tree")
    is_problem(caller.get(INCLUSION, params={**late, "tree_size": 0}), 422, "invalid-request")


def test_without_a_key_the_digest_says_how_to_make_one(api: Api) -> None:
    for path in (DIGEST, "/v1/ledger/public-key"):
        problem = is_problem(api.national_auditor.get(path), 503, "no-signing-key")
        assert "lifeledger keys init" in problem["detail"]
    assert api.national_auditor.get(CONSISTENCY, params={"from": 1}).status_code in (200, 422)


def test_the_log_follows_a_write_within_a_second(signed: Api) -> None:
    lags = []
    for _ in range(5):
        response = post_act(signed.officer, a_birth(a_pin(year=2002), "2002-03-04"))
        assert response.status_code == 201
        written = time.monotonic()
        assert signed.context.merkle.wait_for(signed.context.ledger.position(), timeout=5)
        lags.append(time.monotonic() - written)
    assert max(lags) < 1.0, lags
    size = ok(signed.auditor.get(DIGEST))["tree_size"]
    assert size == signed.context.ledger.position()


def test_the_private_key_is_never_in_the_database(signed: Api, tmp_path: Path) -> None:
    """After the app signed digests, neither the key file's secret nor any part of its PEM is
    in the database (its file on SQLite, a dump on PostgreSQL)."""
    for _ in range(3):
        ok(signed.auditor.get(DIGEST))
    signer = load_signer(signed.context.settings.signing_key_file or "")
    secret = signer.private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    pem = Path(signed.context.settings.signing_key_file or "").read_bytes()
    body = b"".join(pem.splitlines()[1:-1])
    dump = database_bytes(signed.context.settings)
    assert len(dump) > 10_000
    for needle in (secret, secret.hex().encode(), base64.b64encode(secret), body[:24], body[-24:]):
        assert needle not in dump
