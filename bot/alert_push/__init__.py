"""Alerts Sentry pushes: issue alerts as Dexter's own cards, metric incidents with charts."""
