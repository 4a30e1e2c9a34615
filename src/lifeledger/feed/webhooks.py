"""Delivering the webhooks: each subscription's events, in ledger order, one per POST, signed
per Standard Webhooks (docs/subscribers.md). Runs as a thread of `lifeledger serve`
(`LIFELEDGER_WEBHOOKS_IN_SERVE`) or alone as `lifeledger deliver`; several processes may
run at once, the subscriptions' leases keep each subscription with one of them.

At least once: the cursor moves only after a 2xx, committed with the delivery's record, so a
process killed mid-way resends at most the event it was sending (receivers drop repeats by
`webhook-id`). The body is exactly what `feed.reader.read` hands out for the subscription's
owner, with the owner's provinces and profile as they are when the event is sent."""

from __future__ import annotations

import logging
import os
import random
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from datetime import UTC, datetime
from types import FrameType

import httpx
import orjson
import psycopg
from standardwebhooks import Webhook

from lifeledger.auth import Permission, Principal, UserStore
from lifeledger.database import ViewDatabase
from lifeledger.feed import reader as feed_reader
from lifeledger.feed.reader import Reader
from lifeledger.feed.secret_box import SecretUnreadable, configured_box
from lifeledger.feed.subscriptions import (
    ACTIVE,
    Claimed,
    Delivery,
    Subscription,
    SubscriptionStore,
)
from lifeledger.feed.wakeup import FeedWaiter
from lifeledger.feed.webhook_urls import Target, UrlNotAllowed, check_url
from lifeledger.projections import event_feed
from lifeledger.settings import Settings

log = logging.getLogger(__name__)

CONTENT_TYPE = "application/cloudevents+json"
USER_AGENT = "lifeledger-webhooks/1"
BATCH = 100
"""Events read from the feed at a time for one subscription."""
RUN_SECONDS = 5.0
"""A subscription is delivered this long at most before its thread turns to the others."""
IDLE_SECONDS = 1.0
"""Longest sleep between two looks at the subscriptions (a resumed one starts within it)."""
BUSY_SECONDS = 0.05
"""Sleep between looks while deliveries run (one that ends may have more to send)."""
SQLITE_POLL_SECONDS = 0.1
OWNER_UNABLE_SECONDS = 30.0
"""How long a subscription whose owner may not receive it (disabled, no longer a subscriber,
none of its provinces left) waits before it is looked at again."""
UNREADABLE_SECRET_SECONDS = 60.0
"""How long a subscription whose secret cannot be opened (no secrets key, or the wrong one, in
this process) waits before it is tried again: an operator's mistake, mended without its
owner; the subscription is not paused, and nothing is sent unsigned meanwhile."""
MAX_ERROR_CHARS = 300


def retry_delay(failures: int, base: float, cap: float) -> float:
    """Exponential backoff with full jitter: a random wait up to `base × 2^(failures - 1)`,
    at most `cap` (spreads the retries of many subscriptions to one receiver)."""
    bound = min(cap, base * 2 ** min(max(failures - 1, 0), 62))
    return random.uniform(0, bound)


class Deliverer:
    """Delivers every due subscription, `webhook_concurrency` at a time, until `stop()`."""

    def __init__(self, settings: Settings, db: ViewDatabase) -> None:
        """`SecretsKeyError` when a secrets key is configured but cannot be read."""
        self.settings = settings
        self.db = db
        self.store = SubscriptionStore(db, configured_box(settings.secrets_key_file))
        self.users = UserStore(db, cache_seconds=0)
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._stopping = threading.Event()
        self._pool = ThreadPoolExecutor(
            settings.webhook_concurrency, thread_name_prefix="lifeledger-webhook"
        )
        self._running: dict[str, Future[None]] = {}
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Deliver in a background thread (`lifeledger serve`)."""
        self._thread = threading.Thread(target=self.run, name="lifeledger-webhooks", daemon=True)
        self._thread.start()

    def request_stop(self) -> None:
        """Ask `run` to end (from a signal handler too)."""
        self._stopping.set()

    def stop(self) -> None:
        """Stop looking for work, let the deliveries under way end (each within its request's
        timeout), release their leases."""
        self.request_stop()
        if self.db.postgres:  # wake the waiter now rather than at its timeout
            with suppress(psycopg.Error):  # unreachable: the waiter's timeout ends it
                self.db.rows("SELECT pg_notify(%s, '')", (event_feed.CHANNEL,))
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def run(self) -> None:
        """Deliver until `stop()`, waking when the feed moves. A store that cannot be reached
        (a PostgreSQL restart) is tried again every `IDLE_SECONDS`, its listener made anew."""
        poll = SQLITE_POLL_SECONDS if not self.db.postgres else IDLE_SECONDS
        waiter: FeedWaiter | None = None
        try:
            while not self._stopping.is_set():
                try:
                    waiter = waiter or FeedWaiter(self.db, poll_seconds=poll)
                    self.dispatch()
                    busy = any(not f.done() for f in self._running.values())
                    waiter.wait(BUSY_SECONDS if busy else IDLE_SECONDS)
                except Exception:
                    log.exception("webhooks: cannot reach the store; trying again")
                    if waiter is not None:
                        waiter.close()
                        waiter = None
                    self._stopping.wait(IDLE_SECONDS)
        finally:
            if waiter is not None:
                waiter.close()
            self._pool.shutdown(wait=True, cancel_futures=True)

    def dispatch(self) -> None:
        """Hand every due subscription not already being delivered to a thread."""
        self._running = {k: f for k, f in self._running.items() if not f.done()}
        for sub_id in self.store.due(event_feed.tracked_position(self.db)):
            if sub_id not in self._running:
                self._running[sub_id] = self._pool.submit(self._deliver_logged, sub_id)

    def _deliver_logged(self, sub_id: str) -> None:
        try:
            self.deliver(sub_id)
        except Exception:
            log.exception("webhooks: delivering subscription %s failed", sub_id)

    def deliver(self, sub_id: str) -> None:
        """Send the subscription's next events (for `RUN_SECONDS` at most), if it is due and
        no other process holds it."""
        try:
            claimed = self.store.claim(sub_id, self.worker, self.settings.webhook_lease_seconds)
        except SecretUnreadable as problem:
            self.cannot_sign(sub_id, problem)
            return
        if claimed is None:
            return
        try:
            reader = self.reader(claimed.subscription)
            if reader is None:
                self.store.postpone(sub_id, self.worker, OWNER_UNABLE_SECONDS)
                return
            with httpx.Client(
                timeout=self.settings.webhook_timeout_seconds,
                follow_redirects=False,
                trust_env=False,  # no proxy from the environment: the checked address only
            ) as client:
                Run(self, claimed, reader, client).deliver()
        finally:
            self.store.release(sub_id, self.worker)

    def cannot_sign(self, sub_id: str, problem: SecretUnreadable) -> None:
        """Say why a claimed subscription cannot be signed for, send it nothing, and look at
        it again after `UNREADABLE_SECRET_SECONDS`."""
        log.error("webhooks: subscription %s not delivered: %s", sub_id, problem)
        try:
            self.store.postpone(sub_id, self.worker, UNREADABLE_SECRET_SECONDS)
        finally:
            self.store.release(sub_id, self.worker)

    def reader(self, sub: Subscription) -> Reader | None:
        """What the owner may receive now: their provinces and profile as they are, the
        subscription's filters within them. None when they may receive nothing."""
        user = self.users.active(sub.owner)
        if user is None:
            return None
        owner = Principal(user.name, user.roles, frozenset(user.provinces), user.profile)
        provinces = tuple(p for p in sub.provinces if owner.covers(p))
        if not owner.may(Permission.EVENTS) or (sub.provinces and not provinces):
            return None
        return Reader(
            scope=owner.provinces,
            profile=owner.profile,
            source=self.settings.event_source,
            provinces=provinces,
            types=sub.types,
        )

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()


class Run:
    """One subscription's deliveries while its lease is held."""

    def __init__(
        self, deliverer: Deliverer, claimed: Claimed, reader: Reader, client: httpx.Client
    ) -> None:
        self.deliverer = deliverer
        self.settings = deliverer.settings
        self.store = deliverer.store
        self.subscription = claimed.subscription
        self.signer = Webhook(claimed.secret)
        self.reader = reader
        self.client = client

    def deliver(self) -> None:
        deadline = time.monotonic() + RUN_SECONDS
        cursor = self.subscription.cursor
        while not self.deliverer.stopping and time.monotonic() < deadline:
            page = feed_reader.read(self.deliverer.db, self.reader, cursor, BATCH)
            for position, body in page.items:
                if self.deliverer.stopping or not self.send(position, body):
                    return
                cursor = position
            if page.next_after > cursor:
                self.store.skip_to(self.subscription.id, self.deliverer.worker, page.next_after)
                cursor = page.next_after
            if len(page.items) < BATCH:
                return

    def send(self, position: int, body: bytes) -> bool:
        """POST one event; whether the run may go on (delivered, and the subscription was not
        changed, paused or deleted meanwhile)."""
        sub, worker = self.subscription, self.deliverer.worker
        delivery = self.attempt(position, body)
        if delivery.status is None or not 200 <= delivery.status < 300:
            retry_in = retry_delay(
                sub.failures + 1,
                self.settings.webhook_backoff_base_seconds,
                self.settings.webhook_backoff_cap_seconds,
            )
            most = self.settings.webhook_max_failures
            self.store.failed(sub.id, worker, delivery, retry_in, most)
            return False
        now = self.store.delivered(sub.id, worker, delivery, self.settings.webhook_lease_seconds)
        if now is None or now.state != ACTIVE or now.updated_at != sub.updated_at:
            return False  # lost, paused, deleted or changed: the next run reads it anew
        self.subscription = now
        return True

    def attempt(self, position: int, body: bytes) -> Delivery:
        event_id = str(orjson.loads(body)["id"])
        attempt = self.subscription.failures + 1
        started = time.monotonic()
        status: int | None = None
        error: str | None = None
        try:
            target = check_url(self.subscription.url, self.settings.webhook_allowed_networks)
            status = self.post(target, event_id, body)
        except UrlNotAllowed as refused:
            error = f"url-not-allowed: {refused}"
        except httpx.HTTPError as failure:
            error = f"{type(failure).__name__}: {failure}".removesuffix(": ")
        if status is not None and not 200 <= status < 300:
            error = f"HTTP {status}"
        latency = round((time.monotonic() - started) * 1000)
        clipped = error[:MAX_ERROR_CHARS] if error else None
        return Delivery(event_id, position, attempt, status, latency, clipped)

    def post(self, target: Target, event_id: str, body: bytes) -> int:
        """Send to the checked address (a name is not resolved again: what was checked is
        what is reached), with the URL's host as `Host` and TLS server name; the answer's
        status, its body unread."""
        sent_at = datetime.now(UTC)
        headers = {
            "content-type": CONTENT_TYPE,
            "user-agent": USER_AGENT,
            "host": target.host_header,
            "webhook-id": event_id,
            "webhook-timestamp": str(int(sent_at.timestamp())),
            "webhook-signature": self.signer.sign(event_id, sent_at, body),
        }
        url = httpx.URL(target.url).copy_with(host=str(target.address), fragment=None)
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        with self.client.stream(
            "POST", url, content=body, headers=headers, extensions=extensions
        ) as answer:
            return answer.status_code


def run_until_stopped(settings: Settings, db: ViewDatabase, say: Callable[[str], None]) -> None:
    """`lifeledger deliver`: deliver in this process until SIGINT or SIGTERM."""
    deliverer = Deliverer(settings, db)
    say(sealing_note(deliverer.store))

    def stop(signum: int, frame: FrameType | None) -> None:
        deliverer.request_stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    say(f"Delivering webhooks as {deliverer.worker} (Ctrl-C to stop).")
    deliverer.run()
    say("Stopped.")


def sealing_note(store: SubscriptionStore) -> str:
    """Seal the secrets still in clear (`SubscriptionStore.seal_clear_secrets`); what a
    starting process says of the secrets at rest."""
    if store.box is None:
        return (
            "LIFELEDGER_SECRETS_KEY_FILE is not set: webhook signing secrets are stored in "
            "clear (not for production; see docs/security.md)."
        )
    sealed = store.seal_clear_secrets()
    return f"Webhook signing secrets are encrypted at rest ({sealed} sealed now)."
