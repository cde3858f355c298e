"""Per-workspace Sentry settings (`/dexter setup`) and the client resolver."""
