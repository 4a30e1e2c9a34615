"""Statistics: counts of acts by type × province × registration day × source, the figures a
province reports during a digitization drive. A revoked act stops counting."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from lifeledger.database import DO_NOTHING, OnConflict, Tx
from lifeledger.domain.registration import Registration
from lifeledger.projections.runner import Envelope, Projection

DDL = (
    """CREATE TABLE IF NOT EXISTS ll_stat (
        kind TEXT NOT NULL, province TEXT NOT NULL, registered_on TEXT NOT NULL,
        source TEXT NOT NULL, acts BIGINT NOT NULL,
        PRIMARY KEY (kind, province, registered_on, source))""",
    """CREATE TABLE IF NOT EXISTS ll_stat_act (
        act_id TEXT PRIMARY KEY, kind TEXT NOT NULL, province TEXT NOT NULL,
        registered_on TEXT NOT NULL, source TEXT NOT NULL)""",
)

CELL = ("kind", "province", "registered_on", "source")
CELL_COLUMNS = (*CELL, "acts")
ADD_ACTS = OnConflict(key=CELL, add=("acts",))
ACT_COLUMNS = ("act_id", *CELL)


class StatisticsProjection(Projection):
    name = "statistics"
    tables = ("ll_stat", "ll_stat_act")
    ddl = DDL
    topics = ("lifeledger.domain.registration:Registration.",)

    def apply_batch(self, tx: Tx, envelopes: Sequence[Envelope], prepared: Any = None) -> None:
        """Count the batch's acts in memory, then add each cell's change once (a cell an act
        was added to and revoked from in one batch is kept at 0, as across two batches)."""
        deltas: Counter[Key] = Counter()
        keys = _revoked_keys(tx, envelopes)
        for envelope in envelopes:
            event = envelope.event
            if isinstance(event, Registration.Registered):
                key = _key(event)
                keys.setdefault(envelope.originator, key)  # for a revocation that follows
                row = (envelope.originator, *key)
                tx.defer_insert("ll_stat_act", ACT_COLUMNS, row, DO_NOTHING)
                deltas[key] += 1
            elif isinstance(event, Registration.Revoked):
                revoked = keys.get(envelope.originator)
                if revoked is not None:
                    deltas[revoked] -= 1
        rows = [(*key, delta) for key, delta in sorted(deltas.items())]
        tx.insert_many("ll_stat", CELL_COLUMNS, rows, ADD_ACTS)


Key = tuple[str, str, str, str]


def _key(event: Registration.Registered) -> Key:
    ref: dict[str, Any] = event.reference
    province = str(ref.get("province") or str(ref["authority"])[:3])
    return (event.kind, province, str(ref["registered_on"]), str(event.source.get("kind")))


def _revoked_keys(tx: Tx, envelopes: Sequence[Envelope]) -> dict[str, Key]:
    """The cells of the acts the batch revokes that earlier batches counted, in one query."""
    revoked = sorted({e.originator for e in envelopes if isinstance(e.event, Registration.Revoked)})
    if not revoked:
        return {}
    where, params = tx.any_of("act_id", revoked)
    rows = tx.rows(
        f"SELECT act_id, kind, province, registered_on, source FROM ll_stat_act WHERE {where}",
        params,
    )
    return {r["act_id"]: (r["kind"], r["province"], r["registered_on"], r["source"]) for r in rows}
