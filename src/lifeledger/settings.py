"""The one Settings object: configuration from `LIFELEDGER_*` environment variables and `.env`."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    Field,
    IPvAnyNetwork,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveInt,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    """Everything that can be configured; nothing else reads the environment."""

    model_config = SettingsConfigDict(env_prefix="LIFELEDGER_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///./lifeledger.db"
    """`sqlite:///path/to/ledger.db` (embedded default) or `postgresql://user@host:port/db`."""
    pool_size: PositiveInt = 5
    """PostgreSQL connections per process (plus as many again on overflow)."""
    import_batch_size: PositiveInt = 500
    """Acts checked and saved together in one transaction by an import."""
    import_workers: NonNegativeInt = 2
    """Processes that check an import's lines while it reads them (0: the importing process
    checks them itself, as it always does for a file of fewer than 1,000 lines)."""
    import_max_line_bytes: PositiveInt = 1 << 20
    """Longest line of an export: a longer JSON Lines line is rejected unread (`line-too-long`),
    a CSV file holding one is refused; no act is anywhere near this long."""
    import_kept_persons: NonNegativeInt = 1_000_000
    """Persons an import keeps in memory from one batch to the next (about 3 kB each), so its
    rules read from the event store only the persons it has not seen; let go when it ends."""

    # HTTP API (`lifeledger serve`)
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)
    api_workers: PositiveInt = 1
    """Worker processes; with more than one, metrics use prometheus-client's multiprocess mode."""
    read_wait_seconds: NonNegativeFloat = 5.0
    """How long a read with `min_position` waits for the projections before answering 503."""
    ready_max_lag: NonNegativeInt = 10_000
    """`/readyz` answers 503 while the projections are more events than this behind the ledger."""
    auth_cache_seconds: NonNegativeFloat = 5.0
    """API keys are looked up at most this often; disabling a user takes effect within it."""
    access_log_flush_seconds: NonNegativeFloat = 0.2
    """Person reads are logged in batches this often (0: each read writes its log row at once)."""
    unusual_reads_per_hour: PositiveInt = 200
    """A user who reads more distinct persons than this in one clock hour is flagged to
    auditors (`GET /v1/audit/access?flagged=true`). Counter work reads tens of persons in an
    hour and one page of search answers at most 200 (so no single search is flagged alone);
    a script walking the register reads thousands: 200 is quiet for the first two and
    catches the third within the hour."""
    idempotency_wait_seconds: NonNegativeFloat = 5.0
    """How long a request waits for another request holding its `Idempotency-Key` (to replay
    its answer) before answering 409 `idempotency-key-in-use`."""
    idempotency_claim_seconds: float = Field(default=60.0, gt=0)
    """A request holding an `Idempotency-Key` renews its claim every third of this while it
    runs; a claim not renewed for this long was left by a process that died, and the next
    request with the key takes it over."""
    import_max_bytes: PositiveInt = 512 * 1024 * 1024
    """Largest register export `POST /v1/imports` accepts."""
    import_max_inflated_bytes: PositiveInt = 8 * 512 * 1024 * 1024
    """Most an export `POST /v1/imports` accepts may hold once decompressed (413 beyond it):
    register exports gzip about 9 to 1, so 8 times the upload limit is a province-sized file,
    the CLI's job; it bounds the time and temporary disk one request can take."""
    api_max_body_bytes: PositiveInt = 256 * 1024
    """Largest request body of every other route (an act is a few kilobytes): a larger one
    is answered 413 before it is read further."""
    event_source: str = Field(default="urn:lifeledger:ledger", min_length=1)
    """The CloudEvents `source` of every event the feed hands out: the URI naming this ledger
    (e.g. `urn:lifeledger:vn-moj`); subscribers read event ids as unique within it."""
    signing_key_file: str | None = None
    """The ledger's Ed25519 signing key (PEM, mode 0600), made by `lifeledger keys init`: it
    signs `GET /v1/ledger/digest`. Never in the database; unset, digests answer 503."""
    digest_publish_seconds: NonNegativeFloat = 3600.0
    """With a signing key, `serve` records a signed digest of the Merkle log in the ledger this
    often while it grows; it leaves by the event feed (`vn.lifeledger.ledger.digest.v1`), so
    subscribers hold witnesses of its earlier states. 0: never."""
    # The live stream (`GET /v1/events/stream`, docs/subscribers.md)
    stream_heartbeat_seconds: float = Field(default=15.0, gt=0)
    """A quiet stream sends a comment line this often: proxies keep it open, and a client
    that hears nothing for several of these knows the connection is gone."""
    stream_buffer_events: PositiveInt = 1000
    """Events a stream reads and holds for its client at a time (one page of the feed): what
    one client can cost the server's memory, however far behind it is."""
    stream_send_timeout_seconds: float = Field(default=30.0, gt=0)
    """A client that takes nothing of its stream for this long is cut off (the connection is
    dropped); it resumes after the last event it received (`Last-Event-ID`)."""
    # NATS JetStream relay (`lifeledger relay`)
    nats_url: str = "nats://127.0.0.1:4222"
    """The NATS server the relay publishes to (`nats://user:password@host:4222` with
    credentials)."""
    nats_stream: str = Field(default="LIFELEDGER", pattern=r"^[A-Za-z0-9_-]+$")
    """The JetStream stream the relay writes (created if missing); one relay per stream."""
    nats_subject_prefix: str = Field(
        default="lifeledger", pattern=r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$"
    )
    """The relay publishes on `<prefix>.<province>.<type>`; its stream takes `<prefix>.>`."""
    relay_batch_size: PositiveInt = 1000
    """Feed events the relay reads and publishes before awaiting their acks together."""
    metrics_dir: str | None = None
    """prometheus-client multiprocess directory (set by `serve --workers N` for N > 1)."""
    bench_routes: bool = False
    """Expose the hidden benchmark baseline routes (`bench/http.py` turns this on)."""

    follow_in_serve: bool = True
    """`lifeledger serve` keeps the read models and the Merkle log up to date itself (threads
    in each worker process); set it false to run `lifeledger follow` apart instead, which
    keeps their work off the interpreter serving requests and live streams."""

    # Webhooks (`/v1/subscriptions`, `lifeledger deliver`, docs/subscribers.md)
    webhooks_in_serve: bool = True
    """`lifeledger serve` delivers the webhooks itself (a thread in each worker process); set
    it false to run `lifeledger deliver` apart instead."""
    webhook_allowed_networks: Annotated[list[IPvAnyNetwork], NoDecode] = []
    """Networks (CIDRs, comma-separated) a webhook may be sent to although private, loopback,
    link-local or otherwise not public (`10.20.0.0/16,127.0.0.0/8`); none by default."""
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    """Each webhook request's timeout (to connect, to send, to wait for the answer)."""
    webhook_max_failures: PositiveInt = 20
    """Consecutive failed attempts after which a subscription is paused (about five hours of
    retries with the default backoff)."""
    webhook_backoff_base_seconds: float = Field(default=1.0, gt=0)
    """The first retry waits up to this long, each next one up to twice as long (full jitter:
    a random wait between zero and that bound)."""
    webhook_backoff_cap_seconds: float = Field(default=3600.0, gt=0)
    """The longest bound of a retry's wait."""
    webhook_concurrency: PositiveInt = 8
    """Subscriptions delivered at once by one process (a slow receiver holds only its own)."""
    webhook_lease_seconds: float = Field(default=60.0, gt=0)
    """How long a delivering process holds a subscription without renewing it (each delivery
    renews it); one that died is taken over after this. More than the request timeout."""
    secrets_key_file: str | None = None
    """The key (256 bits in base64, mode 0600) the webhooks' signing secrets are encrypted
    with in the database (AES-256-GCM), made by `lifeledger keys init-secrets`. Never in the
    database: keep it out of its backups. Unset, secrets are stored in clear: not for
    production (docs/security.md)."""

    @field_validator("webhook_allowed_networks", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("webhook_lease_seconds")
    @classmethod
    def _lease_outlasts_a_request(cls, value: float, info: ValidationInfo) -> float:
        timeout = info.data.get("webhook_timeout_seconds")
        if timeout is not None and value <= timeout:
            raise ValueError(f"must be more than LIFELEDGER_WEBHOOK_TIMEOUT_SECONDS ({timeout})")
        return value


def problems(error: ValidationError) -> list[str]:
    """What is wrong in the configuration, each naming the environment variable."""
    prefix = str(Settings.model_config.get("env_prefix", ""))
    return [
        f"{prefix}{'_'.join(map(str, each['loc'])).upper()}: {each['msg']} (got {each['input']!r})"
        for each in error.errors()
    ]
