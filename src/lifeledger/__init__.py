"""lifeledger: an event-sourced ledger of civil status (hộ tịch)."""

__version__ = "0.1.0"
