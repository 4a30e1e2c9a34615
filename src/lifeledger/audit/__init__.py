"""Audits of the ledger: proofs that it was never altered, and reports for auditors."""
