"""The HTTP API: app factory, routers per resource, request/response models, problem+json
errors, credentials and jurisdictions, idempotent writes, access log and metrics."""
