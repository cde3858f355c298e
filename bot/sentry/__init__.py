"""The Sentry service: transport, models and one module per resource family."""
