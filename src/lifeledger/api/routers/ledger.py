"""The ledger's Merkle log (docs/audit.md): signed digests of the tree of every stored event,
the public key they verify with, and RFC 9162 inclusion and consistency proofs.

Answers carry hashes and tree sizes only. Auditors and subscribers may read them; an
inclusion proof is given for an event the caller could read anyway: any logged event for a
national auditor, else an event of the feed in the caller's provinces (any other is refused
exactly like an unknown one, so a probe learns nothing).
"""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from lifeledger.api.deps import Context, CurrentUser, needs
from lifeledger.api.problems import ApiProblem
from lifeledger.api.schemas.common import MAX_POSITION, problems
from lifeledger.api.schemas.out import Out
from lifeledger.audit.keys import KeyFileError, Signer, load_signer
from lifeledger.audit.leaves import event_id as format_event_id
from lifeledger.audit.leaves import parse_event_id
from lifeledger.audit.log import Leaf, MerkleLog
from lifeledger.auth import Permission, Principal

router = APIRouter(prefix="/v1/ledger", tags=["ledger"])

LedgerReader = Annotated[Principal, Depends(needs(Permission.LEDGER))]
EVENT_ID_PATTERN = (
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}:[0-9]{1,18}$"
)
Hex = Annotated[str, Field(description="32 bytes, lowercase hex")]


class DigestOut(Out):
    ledger: str = Field(description="The ledger's name (`LIFELEDGER_EVENT_SOURCE`)")
    tree_size: int
    root_hash: Hex
    time: str = Field(description="When it was signed, UTC, YYYY-MM-DDTHH:MM:SSZ")
    key_id: str
    signature: str = Field(description="Ed25519 over the bytes docs/audit.md defines, base64")


class PublicKeyOut(Out):
    key_id: str
    algorithm: str
    public_key: str = Field(description="The raw 32-byte Ed25519 public key, base64")
    pem: str = Field(description="The same key as PEM (SubjectPublicKeyInfo)")


class InclusionOut(Out):
    event_id: str
    position: int = Field(description="The event's ledger position")
    leaf_index: int
    tree_size: int
    leaf_hash: Hex
    audit_path: list[Hex]


class ConsistencyOut(Out):
    from_: int = Field(alias="from")
    to: int
    consistency_path: list[Hex]


def _signer(context: Any) -> Signer:
    """The configured signing key, or a 503 that says how to make one."""
    path = context.settings.signing_key_file
    if not path:
        raise ApiProblem(
            503,
            "no-signing-key",
            "The ledger has no signing key",
            "set LIFELEDGER_SIGNING_KEY_FILE and run `lifeledger keys init`",
        )
    try:
        return load_signer(path)
    except KeyFileError as error:
        raise ApiProblem(
            503, "no-signing-key", "The ledger's signing key cannot be read", str(error)
        ) from None


def _log(context: Any) -> MerkleLog:
    merkle: MerkleLog = context.merkle
    return merkle


@router.get("/digest", response_model=DigestOut, responses=problems(401, 403, 503))
def digest(context: Context, user: LedgerReader) -> dict[str, Any]:
    """The Merkle log's current size and root, signed with the ledger's key: keep it, and
    `lifeledger verify --digest` (or the verifier in docs/audit.md) later proves the ledger
    still extends it."""
    signer = _signer(context)
    merkle = _log(context)
    size = merkle.head().tree_size
    return signer.digest(context.settings.event_source, size, merkle.root(size))


@router.get("/public-key", response_model=PublicKeyOut, responses=problems(401, 503))
def public_key(context: Context, user: CurrentUser) -> dict[str, Any]:
    """The public half of the ledger's signing key: what digests verify with."""
    signer = _signer(context)
    return {
        "key_id": signer.key_id,
        "algorithm": "Ed25519",
        "public_key": base64.b64encode(signer.public).decode(),
        "pem": signer.public_pem(),
    }


def _tree_size(merkle: MerkleLog, asked: int | None, name: str) -> int:
    size = merkle.head().tree_size
    if asked is None:
        return size
    if asked > size:
        raise ApiProblem(
            422,
            "tree-size-beyond-log",
            "No such tree size",
            f"{name}: {asked} is beyond the Merkle log's size {size}",
            field=name,
        )
    return asked


@router.get(
    "/proof/inclusion",
    response_model=InclusionOut,
    responses=problems(
        401, 403, 422, refusals=("tree-size-beyond-log", "event-not-logged", "event-not-in-tree")
    ),
)
def inclusion(
    context: Context,
    user: LedgerReader,
    event_id: Annotated[
        str,
        Query(
            pattern=EVENT_ID_PATTERN, description="`{aggregate id}:{version}`, as the feed names it"
        ),
    ],
    tree_size: Annotated[
        int | None,
        Query(ge=1, le=MAX_POSITION, description="The tree of a digest (default: the log's)"),
    ] = None,
) -> dict[str, Any]:
    """The audit path of one event's leaf in the tree of `tree_size` (RFC 9162 §2.1.3)."""
    merkle = _log(context)
    size = _tree_size(merkle, tree_size, "tree_size")
    leaf = _visible_leaf(context, merkle, user, event_id)
    if leaf.index >= size:
        raise ApiProblem(
            422,
            "event-not-in-tree",
            "The event is not in that tree",
            f"event_id: {event_id} was logged after the tree of tree_size {size}",
            field="event_id",
        )
    return {
        "event_id": format_event_id(leaf.originator, leaf.version),
        "position": leaf.position,
        "leaf_index": leaf.index,
        "tree_size": size,
        "leaf_hash": leaf.hash.hex(),
        "audit_path": [node.hex() for node in merkle.inclusion(leaf.index, size)],
    }


def _visible_leaf(context: Any, merkle: MerkleLog, user: Principal, event_id: str) -> Leaf:
    """The event's leaf, if the caller may read the event (see the module docstring)."""
    parsed = parse_event_id(event_id)
    leaf = merkle.find(*parsed) if parsed else None
    if leaf is None or not _may_see(context, user, leaf):
        raise ApiProblem(
            422,
            "event-not-logged",
            "No such event",
            f"event_id: {event_id} names no event of the log that you may read",
            field="event_id",
        )
    return leaf


def _may_see(context: Any, user: Principal, leaf: Leaf) -> bool:
    if user.national and user.may(Permission.AUDIT):
        return True
    db = context.projections.db
    canonical = format_event_id(leaf.originator, leaf.version)
    query = "SELECT 1 FROM ll_event e WHERE e.position = %s AND e.event_id = %s"
    params: list[Any] = [leaf.position, canonical]
    if not user.national:
        provinces = sorted(user.provinces)
        query += (
            " AND EXISTS (SELECT 1 FROM ll_event_province p WHERE p.position = e.position "
            f"AND p.province IN ({', '.join(['%s'] * len(provinces))}))"
        )
        params += provinces
    with db.transaction() as tx:
        return tx.row(query, params) is not None


@router.get(
    "/proof/consistency",
    response_model=ConsistencyOut,
    response_model_by_alias=True,
    responses=problems(401, 403, 422, refusals=("tree-size-beyond-log", "from-after-to")),
)
def consistency(
    context: Context,
    user: LedgerReader,
    from_: Annotated[
        int, Query(alias="from", ge=1, le=MAX_POSITION, description="The older tree's size")
    ],
    to: Annotated[
        int | None,
        Query(ge=1, le=MAX_POSITION, description="The newer tree's size (default: the log's)"),
    ] = None,
) -> dict[str, Any]:
    """The proof that the tree of size `to` extends the tree of size `from` (RFC 9162 §2.1.4)."""
    merkle = _log(context)
    size = _tree_size(merkle, to, "to")
    if from_ > size:
        raise ApiProblem(
            422,
            "from-after-to",
            "No proof from a larger tree to a smaller one",
            f"from: {from_} is greater than to: {size}",
            field="from",
        )
    path = merkle.consistency(from_, size)
    return {"from": from_, "to": size, "consistency_path": [node.hex() for node in path]}
