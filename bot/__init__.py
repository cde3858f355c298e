"""Dexter: a Slack chat-ops bot for Sentry."""

__version__ = "0.1.0"
