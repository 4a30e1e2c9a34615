"""The write side's decisions, one module per job: `unit_of_work` (the aggregates a write
loads and changes, and who records it), `handlers` (for each kind of act, the rules of
`domain/rules.py` it checks and the facts it links), `corrections` (checking and applying a
correction to an act already recorded), `decisions` (recording, staging or approving one act
or entry, and its outcome)."""
