"""The one Settings object: configuration from `LIFELEDGER_*` environment variables and `.env`."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything that can be configured; nothing else reads the environment."""

    model_config = SettingsConfigDict(env_prefix="LIFELEDGER_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///./lifeledger.db"
    """`sqlite:///path/to/ledger.db` (embedded default) or `postgresql://user@host:port/db`."""
    pool_size: int = 5
    """PostgreSQL connections per process (plus as many again on overflow)."""
    import_batch_size: int = 500
    """Acts checked and saved together in one transaction by an import."""
