"""Request and response models, separate from the domain's objects."""
