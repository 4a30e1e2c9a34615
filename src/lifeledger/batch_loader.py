"""Loading a batch's aggregates ahead of its rules, in a few queries instead of one each, and
keeping the persons an import's batches load for its next batches (a bounded, most recently
used cache, let go when the last import under way in the process ends)."""

from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Mapper

from lifeledger.commands.handlers import pins_of
from lifeledger.commands.unit_of_work import Work
from lifeledger.domain.acts import Act, Reference
from lifeledger.domain.person import Person, person_id
from lifeledger.domain.registration import Registration
from lifeledger.stored_events import select_stored_events, stored_versions


class BatchLoader:
    """Fills a batch's unit of work from the store read through `recorder` and `mapper`,
    keeping up to `kept_persons` persons between an import's batches."""

    def __init__(self, recorder: Any, mapper: Mapper[UUID], kept_persons: int) -> None:
        self._recorder = recorder
        self._mapper = mapper
        self._kept_persons = kept_persons
        # Aggregates saved or read by earlier batches; a batch takes them out (so no two
        # units of work share one) and reads only the events stored since.
        self.kept: OrderedDict[UUID, Aggregate] = OrderedDict()
        self._kept_lock = threading.Lock()
        self._imports = 0  # imports under way (see `importing`)

    @contextmanager
    def importing(self) -> Iterator[None]:
        """An import under way: the persons its batches load are kept for the next batches
        (the most recently used, up to `kept_persons`) and let go when the last import under
        way in this process ends, so a server does not hold them between imports."""
        with self._kept_lock:
            self._imports += 1
        try:
            yield
        finally:
            with self._kept_lock:
                self._imports -= 1
                if self._imports == 0:
                    self.kept.clear()

    def load(self, work: Work, ids: Iterable[UUID]) -> None:
        """Load many aggregates in one query instead of one query each. Those kept from an
        earlier batch are used only while the store holds nothing newer (from any writer)."""
        wanted = list({i for i in ids if i not in work.loaded})
        kept = self._take_kept(wanted)
        stored = stored_versions(self._recorder, list(kept))
        kept = {i: a for i, a in kept.items() if stored.get(i) == a.version}
        events: dict[UUID, list[Any]] = defaultdict(list)
        for stored_event in select_stored_events(
            self._recorder, [i for i in wanted if i not in kept]
        ):
            aggregate_id = UUID(str(stored_event.originator_id))
            events[aggregate_id].append(self._mapper.to_domain_event(stored_event))
        for aggregate_id in wanted:
            aggregate = kept.get(aggregate_id)
            for event in events.get(aggregate_id, []):
                aggregate = event.mutate(aggregate)
            work.loaded[aggregate_id] = aggregate

    def load_for(self, work: Work, acts: Sequence[Act]) -> None:
        """Load what a batch's rules will read: its acts' references and persons, then their
        parents and spouses, then the grandparents (kinship reaches two generations up)."""
        refs = [a.reference.act_id for a in acts]
        refs += [
            Reference.at(a.content, k).act_id
            for a in acts
            for k in ("target", "marriage")
            if isinstance(a.content.get(k), dict)
        ]
        pins = pins_of(acts)
        self.load(work, refs + [person_id(p) for p in pins])
        targets = [work.loaded.get(ref) for ref in refs]
        pins |= {p for target in targets if isinstance(target, Registration) for p in target.pins}
        self.load(work, [person_id(p) for p in pins])
        for _ in range(2):
            related: set[str] = set()
            for pin in pins:
                person = work.loaded.get(person_id(pin))
                if isinstance(person, Person):
                    related |= person.relatives()
            pins = related
            self.load(work, [person_id(p) for p in pins])

    def keep(self, work: Work) -> None:
        """After a successful save, what the batch loaded is as stored: keep its persons for
        the next (the acts, with their whole entries, are seldom read again)."""
        with self._kept_lock:
            for aggregate_id, aggregate in work.loaded.items():
                if isinstance(aggregate, Person):
                    self.kept[aggregate_id] = aggregate
                    self.kept.move_to_end(aggregate_id)
            while len(self.kept) > self._kept_persons:
                self.kept.popitem(last=False)

    def _take_kept(self, ids: list[UUID]) -> dict[UUID, Aggregate]:
        with self._kept_lock:
            taken = {i: self.kept.pop(i, None) for i in ids}
        return {i: aggregate for i, aggregate in taken.items() if aggregate is not None}
