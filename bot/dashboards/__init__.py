"""Sentry's own dashboards: reading them, and a dashboard's widgets as a digest."""
