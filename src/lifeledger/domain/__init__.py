"""The domain: value objects, the act and person aggregates, the rules and their errors."""
