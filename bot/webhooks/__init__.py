"""Sentry webhooks: verified deliveries routed to the features that act on them."""
