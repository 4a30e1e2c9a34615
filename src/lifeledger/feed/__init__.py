"""The event feed: the ledger's act- and entry-level events as CloudEvents envelopes, and what
each subscriber's data profile and provinces let them see of them."""
